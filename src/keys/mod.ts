/**
 * API keys of the edge Worker: the format of the key records it keeps in Workers KV, shared by
 * the Worker (which looks keys up) and the command line (which issues, lists, revokes and
 * migrates them).
 *
 * A raw key is `tae_` + 32 base64url characters (192 random bits). KV holds only
 * `key:<sha256 hex of the raw key>` → {@link KeyRecord}; the raw key is shown once and never
 * stored. The caller's Toloka token is sealed with AES-GCM under `TOKEN_SEALING_KEY`, with a fresh
 * IV per seal. The seal's additional data binds it to its record:
 *
 * - record version 2 (every key issued now): the KV key and every other field of the record
 *   (`v`, `name`, `pools`, `expires_at`, `created_at`), so whoever can write to the KV namespace
 *   but does not hold `TOKEN_SEALING_KEY` can neither move a sealed token into another record nor
 *   widen a key's pools or expiry: a changed record no longer opens, and the key fails closed;
 * - record version 1 (older keys): the KV key only. Its scope is not protected, so the Worker
 *   refuses v1 records; `keys migrate` reseals them as v2 after the operator has checked each
 *   one's scope ({@link migrateKeyRecord}).
 *
 * A lookup never compares secrets: it hashes the presented key and reads the record by that hash.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   generateSealingKey,
 *   importSealingKey,
 *   issueKey,
 *   kvKeyFor,
 *   MemoryKv,
 *   openToken,
 *   parseKeyRecord,
 * } from "@toloka-edge/attachments/keys";
 *
 * const kv = new MemoryKv(); // in the Worker: env.TOKENS
 * const sealingKey = generateSealingKey(); // in the Worker: env.TOKEN_SEALING_KEY
 * const { key } = await issueKey(kv, sealingKey, {
 *   name: "ci",
 *   upstreamToken: "toloka-token",
 *   pools: ["1"],
 * });
 *
 * // What the Worker does with a presented key:
 * const kvKey = await kvKeyFor(key);
 * const record = parseKeyRecord(await kv.get(kvKey, { type: "json" }));
 * assert.ok(record !== null);
 * const token = await openToken(await importSealingKey(sealingKey), record, kvKey);
 * assert.equal(token, "toloka-token");
 * ```
 *
 * @module
 */

export { base64url, decodeBase64url } from "./base64url.ts";
export type { KvNamespace } from "./kv.ts";
export { MemoryKv, type StoredValue } from "./memory_kv.ts";
export { generateKey, isKeyShaped, kvKeyFor } from "./raw_key.ts";
export {
  CURRENT_RECORD_VERSION,
  type KeyRecord,
  parseKeyRecord,
  type SealedFields,
} from "./record.ts";
export { generateSealingKey, importSealingKey, openToken, sealBinding, sealToken } from "./seal.ts";
export {
  issueKey,
  type IssueKeyOptions,
  migrateKeyRecord,
  type MigrationOutcome,
  revokeKey,
} from "./store.ts";
