/**
 * Base64url without padding (RFC 4648 §5), the encoding of every secret and token the Worker
 * writes into URLs, headers and KV.
 *
 * @module
 */

/**
 * Encodes bytes as base64url without padding.
 *
 * @param bytes The bytes to encode.
 * @returns Their base64url text: `A-Z a-z 0-9 - _`, no `=`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { base64url } from "@toloka-edge/attachments/keys";
 *
 * assert.equal(base64url(new Uint8Array([251, 255])), "-_8");
 * ```
 */
export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Decodes base64url without padding.
 *
 * @param text The base64url text.
 * @returns The bytes, or `null` for text that is not base64url (padding, `+`, `/` included).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeBase64url } from "@toloka-edge/attachments/keys";
 *
 * assert.deepEqual(decodeBase64url("-_8"), new Uint8Array([251, 255]));
 * assert.equal(decodeBase64url("+/8="), null);
 * ```
 */
export function decodeBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
