/**
 * The slice of Workers KV that key records are kept in: typed by hand, so that the Worker, the
 * command line (local KV through Miniflare, remote KV through wrangler) and tests all implement
 * the same four methods without the 500 KB of generated Workers types.
 *
 * @module
 */

/**
 * The Workers KV methods the key tools use: the `TOKENS` binding in the Worker, and what the
 * command line implements over Miniflare or wrangler.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type KvNamespace, MemoryKv } from "@toloka-edge/attachments/keys";
 *
 * const kv: KvNamespace = new MemoryKv();
 * await kv.put("key:ab", JSON.stringify({ hello: "world" }));
 * assert.deepEqual(await kv.get("key:ab", { type: "json" }), { hello: "world" });
 * ```
 */
export interface KvNamespace {
  /** The JSON value under `key`, or `null`; `cacheTtl` lets the edge reuse a read (seconds). */
  get(key: string, options: { type: "json"; cacheTtl?: number }): Promise<unknown>;
  /** Stores `value`; `expiration` (seconds since the epoch) makes KV drop it by itself. */
  put(key: string, value: string, options?: { expiration?: number }): Promise<void>;
  /** Deletes `key` (nothing happens when it is absent). */
  delete(key: string): Promise<void>;
  /** One page of key names under `prefix`, in order; `cursor` continues a listing. */
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<{
    keys: { name: string; expiration?: number }[];
    list_complete: boolean;
    cursor?: string;
  }>;
}
