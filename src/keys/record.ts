/**
 * The key record: the JSON that KV holds under `key:<sha256 hex>`, checked with valibot where it
 * is read (the schema stays internal: valibot types must not reach the public API).
 *
 * @module
 */

import * as v from "valibot";

/**
 * The JSON stored in KV under `key:<sha256 hex of the raw key>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type KeyRecord, parseKeyRecord } from "@toloka-edge/attachments/keys";
 *
 * const record: KeyRecord | null = parseKeyRecord({
 *   v: 2,
 *   name: "ci",
 *   pools: ["1"],
 *   expires_at: null,
 *   upstream_token: "v2.iv.data",
 *   created_at: "2026-01-01T00:00:00.000Z",
 * });
 * assert.equal(record?.name, "ci");
 * ```
 */
export interface KeyRecord {
  /** The record's format: 2 for every key issued now; 1 for older keys, refused until migrated. */
  v: 1 | 2;
  /** The key's name, for people and logs. */
  name: string;
  /** Pool ids this key may see; `null` means every pool the upstream token can see. */
  pools: string[] | null;
  /** ISO 8601 instant after which the key is refused, or `null`. */
  expires_at: string | null;
  /**
   * The upstream token sealed with AES-GCM: `v<record version>.<iv b64url>.<ciphertext b64url>`,
   * bound to the record (see `sealBinding`).
   */
  upstream_token: string;
  /** ISO 8601 instant the key was issued. */
  created_at: string;
}

/**
 * The fields of a record a seal is bound to: all of them but the sealed token itself.
 *
 * @example
 * ```ts
 * import type { SealedFields } from "@toloka-edge/attachments/keys";
 *
 * const fields: SealedFields = {
 *   v: 2,
 *   name: "ci",
 *   pools: null,
 *   expires_at: null,
 *   created_at: "2026-01-01T00:00:00.000Z",
 * };
 * ```
 */
export type SealedFields = Omit<KeyRecord, "upstream_token">;

/**
 * The record version that keys are issued with and that the Worker accepts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CURRENT_RECORD_VERSION } from "@toloka-edge/attachments/keys";
 *
 * assert.equal(CURRENT_RECORD_VERSION, 2);
 * ```
 */
export const CURRENT_RECORD_VERSION = 2;

// A loose object: fields this version does not know are kept, as they were stored.
const KeyRecordSchema = v.looseObject({
  v: v.picklist([1, 2]),
  name: v.string(),
  pools: v.nullable(v.array(v.string())),
  expires_at: v.nullable(v.string()),
  upstream_token: v.string(),
  created_at: v.string(),
});

/**
 * Parses a KV value (as `get(key, { type: "json" })` returns it) into a {@link KeyRecord}.
 *
 * @param value The stored JSON, `null` when the key has no record.
 * @returns The record (of version 1 or 2), or `null` for anything that is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseKeyRecord } from "@toloka-edge/attachments/keys";
 *
 * assert.equal(parseKeyRecord(null), null);
 * assert.equal(parseKeyRecord({ v: 3, name: "future" }), null);
 * ```
 */
export function parseKeyRecord(value: unknown): KeyRecord | null {
  const result = v.safeParse(KeyRecordSchema, value);
  return result.success ? result.output : null;
}
