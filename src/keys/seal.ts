/**
 * Sealing of the upstream token in a key record: AES-GCM under `TOKEN_SEALING_KEY`, with a fresh
 * IV per seal and additional data that binds the seal to its record.
 *
 * @module
 */

import { base64url, decodeBase64url } from "./base64url.ts";
import type { KeyRecord, SealedFields } from "./record.ts";

const encoder = new TextEncoder();
const importedKeys = new Map<string, Promise<CryptoKey>>();

/**
 * A fresh `TOKEN_SEALING_KEY`: base64url of 32 random bytes, the form {@link importSealingKey}
 * reads.
 *
 * @returns The new secret.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeBase64url, generateSealingKey } from "@toloka-edge/attachments/keys";
 *
 * assert.equal(decodeBase64url(generateSealingKey())?.length, 32);
 * ```
 */
export function generateSealingKey(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * Imports `TOKEN_SEALING_KEY` (base64url of 32 bytes) as an AES-GCM key, once per isolate.
 *
 * @param secret The sealing key's text.
 * @returns The key, for {@link sealToken} and {@link openToken}.
 * @throws {RangeError} When `secret` is not base64url of 32 bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSealingKey, importSealingKey } from "@toloka-edge/attachments/keys";
 *
 * const key = await importSealingKey(generateSealingKey());
 * assert.equal(key.algorithm.name, "AES-GCM");
 * assert.throws(() => importSealingKey("short"), RangeError);
 * ```
 */
export function importSealingKey(secret: string): Promise<CryptoKey> {
  let key = importedKeys.get(secret);
  if (!key) {
    const raw = decodeBase64url(secret);
    if (raw === null || raw.length !== 32) {
      throw new RangeError(
        "TOKEN_SEALING_KEY must be the base64url encoding of 32 random bytes",
      );
    }
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    importedKeys.set(secret, key);
  }
  return key;
}

/**
 * The additional data that binds a seal to its record: the KV key alone for v1 (older keys), and
 * for v2 the KV key and every field but the seal, in a fixed order as a JSON array (so no two
 * different records can produce the same bytes).
 *
 * @param kvKey The KV key the record is stored under.
 * @param fields The record's fields but the seal.
 * @returns The bytes given to AES-GCM as additional data.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sealBinding } from "@toloka-edge/attachments/keys";
 *
 * const fields = { name: "ci", pools: null, expires_at: null, created_at: "2026-01-01" };
 * assert.equal(new TextDecoder().decode(sealBinding("key:ab", { v: 1, ...fields })), "key:ab");
 * assert.notDeepEqual(
 *   sealBinding("key:ab", { v: 2, ...fields }),
 *   sealBinding("key:ab", { v: 2, ...fields, pools: ["1"] }),
 * );
 * ```
 */
export function sealBinding(kvKey: string, fields: SealedFields): Uint8Array<ArrayBuffer> {
  if (fields.v === 1) return encoder.encode(kvKey);
  return encoder.encode(JSON.stringify([
    "toloka-edge key record",
    kvKey,
    fields.v,
    fields.name,
    fields.pools,
    fields.expires_at,
    fields.created_at,
  ]));
}

/**
 * Seals `token` for the record stored under `kvKey` with these fields (see
 * {@link sealBinding}). Changing any of them afterwards makes the seal fail to open.
 *
 * @param key The imported sealing key.
 * @param token The upstream token to seal.
 * @param kvKey The KV key the record is stored under.
 * @param fields The record's other fields.
 * @returns `v<record version>.<iv b64url>.<ciphertext b64url>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   generateSealingKey,
 *   importSealingKey,
 *   openToken,
 *   sealToken,
 * } from "@toloka-edge/attachments/keys";
 *
 * const key = await importSealingKey(generateSealingKey());
 * const fields = {
 *   v: 2 as const,
 *   name: "ci",
 *   pools: ["1"],
 *   expires_at: null,
 *   created_at: "2026-01-01T00:00:00.000Z",
 * };
 * const upstream_token = await sealToken(key, "toloka-token", "key:ab", fields);
 * assert.equal(await openToken(key, { ...fields, upstream_token }, "key:ab"), "toloka-token");
 * // A widened scope no longer opens.
 * assert.equal(await openToken(key, { ...fields, pools: null, upstream_token }, "key:ab"), null);
 * ```
 */
export async function sealToken(
  key: CryptoKey,
  token: string,
  kvKey: string,
  fields: SealedFields,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: sealBinding(kvKey, fields) },
    key,
    encoder.encode(token),
  );
  return `v${fields.v}.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
}

/**
 * Opens the sealed token of `record`, stored under `kvKey`.
 *
 * @param key The imported sealing key.
 * @param record The record as read from KV.
 * @param kvKey The KV key it was read from.
 * @returns The upstream token, or `null` when it was sealed under another key, for another
 * record, or when any field of the record was changed since (v2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSealingKey, importSealingKey, openToken } from "@toloka-edge/attachments/keys";
 *
 * const key = await importSealingKey(generateSealingKey());
 * const record = {
 *   v: 2 as const,
 *   name: "ci",
 *   pools: null,
 *   expires_at: null,
 *   upstream_token: "v2.garbage.garbage",
 *   created_at: "2026-01-01T00:00:00.000Z",
 * };
 * assert.equal(await openToken(key, record, "key:ab"), null);
 * ```
 */
export async function openToken(
  key: CryptoKey,
  record: KeyRecord,
  kvKey: string,
): Promise<string | null> {
  const [version, ivText, dataText, ...rest] = record.upstream_token.split(".");
  if (
    version !== `v${record.v}` || ivText === undefined || dataText === undefined || rest.length
  ) {
    return null;
  }
  const iv = decodeBase64url(ivText);
  const data = decodeBase64url(dataText);
  if (iv === null || data === null) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: sealBinding(kvKey, record) },
      key,
      data,
    );
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}
