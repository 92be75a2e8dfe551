/**
 * An in-memory {@link KvNamespace}, for tests and examples of the key tools.
 *
 * @module
 */

import type { KvNamespace } from "./kv.ts";

/**
 * A value {@link MemoryKv} holds, with the expiration it was put with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryKv, type StoredValue } from "@toloka-edge/attachments/keys";
 *
 * const kv = new MemoryKv();
 * await kv.put("a", "1", { expiration: 2_000_000_000 });
 * const stored: StoredValue | undefined = kv.values.get("a");
 * assert.deepEqual(stored, { value: "1", expiration: 2_000_000_000 });
 * ```
 */
export interface StoredValue {
  /** The text stored. */
  value: string;
  /** Seconds since the epoch after which Workers KV would drop it, as given to `put`. */
  expiration?: number | undefined;
}

/**
 * A {@link KvNamespace} in a `Map`, which counts its reads. It never drops expired values: Workers
 * KV does so some time after the expiration, and key lookups check expiry themselves.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryKv } from "@toloka-edge/attachments/keys";
 *
 * const kv = new MemoryKv();
 * await kv.put("key:1", "[1]");
 * assert.deepEqual(await kv.get("key:1", { type: "json" }), [1]);
 * assert.equal(await kv.get("key:2", { type: "json" }), null);
 * assert.equal(kv.reads, 2);
 * assert.deepEqual((await kv.list({ prefix: "key:" })).keys, [{ name: "key:1" }]);
 * ```
 */
export class MemoryKv implements KvNamespace {
  /** What is stored, by key. */
  readonly values: Map<string, StoredValue> = new Map();
  /** `get` calls so far. */
  reads = 0;

  /** The JSON value under `name`, or `null`. */
  get(name: string, _options: { type: "json"; cacheTtl?: number }): Promise<unknown> {
    this.reads++;
    const stored = this.values.get(name);
    return Promise.resolve(stored === undefined ? null : JSON.parse(stored.value));
  }

  /** Stores `value` under `name`, with its expiration. */
  put(name: string, value: string, options?: { expiration?: number }): Promise<void> {
    this.values.set(name, { value, expiration: options?.expiration });
    return Promise.resolve();
  }

  /** Deletes `name`. */
  delete(name: string): Promise<void> {
    this.values.delete(name);
    return Promise.resolve();
  }

  /** Every key under `prefix`, sorted, in one page. */
  list(options: { prefix?: string } = {}): ReturnType<KvNamespace["list"]> {
    const keys = [...this.values.keys()].filter((name) => name.startsWith(options.prefix ?? ""))
      .sort().map((name) => ({ name }));
    return Promise.resolve({ keys, list_complete: true });
  }
}
