/**
 * Raw API keys: `tae_` + 32 base64url characters (192 random bits), shown once and never stored;
 * KV holds a record under the SHA-256 of the raw key.
 *
 * @module
 */

import { base64url } from "./base64url.ts";

const KEY_PREFIX = "tae_";
const KEY_RANDOM_BYTES = 24;
const KEY_PATTERN = /^tae_[A-Za-z0-9_-]{32}$/;
const KV_PREFIX = "key:";
const encoder = new TextEncoder();

/**
 * Generates a raw key: `tae_` + 192 random bits in base64url (no `.`, so toloka-kit sends it as
 * `OAuth`).
 *
 * @returns A fresh raw key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateKey, isKeyShaped } from "@toloka-edge/attachments/keys";
 *
 * const key = generateKey();
 * assert.ok(key.startsWith("tae_"));
 * assert.ok(isKeyShaped(key));
 * ```
 */
export function generateKey(): string {
  return KEY_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(KEY_RANDOM_BYTES)));
}

/**
 * Whether a string has the shape of a raw key, so garbage is refused without a KV read.
 *
 * @param value What the caller presented.
 * @returns `true` for `tae_` + 32 base64url characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isKeyShaped } from "@toloka-edge/attachments/keys";
 *
 * assert.equal(isKeyShaped("tae_" + "a".repeat(32)), true);
 * assert.equal(isKeyShaped("not-a-key"), false);
 * ```
 */
export function isKeyShaped(value: string): boolean {
  return KEY_PATTERN.test(value);
}

/**
 * The KV key under which a raw key's record lives: `key:<sha256 hex>`.
 *
 * @param rawKey The raw key.
 * @returns `key:` and 64 hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kvKeyFor } from "@toloka-edge/attachments/keys";
 *
 * assert.match(await kvKeyFor("tae_" + "a".repeat(32)), /^key:[0-9a-f]{64}$/);
 * ```
 */
export async function kvKeyFor(rawKey: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(rawKey)));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return KV_PREFIX + hex;
}
