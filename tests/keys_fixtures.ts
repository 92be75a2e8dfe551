/**
 * Fixtures of the key tests, free of Miniflare: an in-memory Workers KV (the methods of
 * `worker/kv.ts`, with the stored values and options, and a count of reads) and fresh sealing keys.
 *
 * @module
 */

import type { KvNamespace } from "../worker/kv.ts";

/** A stored value and the options it was put with. */
export interface StoredValue {
  value: string;
  expiration?: number | undefined;
}

/** A {@link KvNamespace} in a `Map`. */
export class MemoryKv implements KvNamespace {
  readonly values: Map<string, StoredValue> = new Map();
  /** `get` calls so far. */
  reads = 0;

  get(key: string, _options: { type: "json"; cacheTtl?: number }): Promise<unknown> {
    this.reads++;
    const stored = this.values.get(key);
    return Promise.resolve(stored === undefined ? null : JSON.parse(stored.value));
  }

  put(key: string, value: string, options?: { expiration?: number }): Promise<void> {
    this.values.set(key, { value, expiration: options?.expiration });
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.values.delete(key);
    return Promise.resolve();
  }

  list(options: { prefix?: string } = {}): ReturnType<KvNamespace["list"]> {
    const keys = [...this.values.keys()].filter((name) => name.startsWith(options.prefix ?? ""))
      .sort().map((name) => ({ name }));
    return Promise.resolve({ keys, list_complete: true });
  }
}

/** A fresh `TOKEN_SEALING_KEY` (the Worker's own generator, under the name the tests use). */
export { generateSealingKey as randomSealingKey } from "../worker/keys.ts";
