/**
 * Keys derived from `TOKEN_SEALING_KEY` for purposes other than sealing tokens: each purpose gets
 * its own HMAC-SHA256 key through HKDF-SHA256 (RFC 5869), so a signature made for one purpose
 * (an export's continuation cursor, a download link) can never pass for another, and no second
 * secret has to be deployed.
 *
 * @module
 */

import { decodeBase64url } from "../src/keys/mod.ts";

const derived = new Map<string, Promise<CryptoKey>>();
const encoder = new TextEncoder();

/**
 * The HMAC-SHA256 key of `purpose` under the sealing key `secret` (base64url of 32 bytes),
 * derived once per isolate.
 *
 * @throws {RangeError} When `secret` is not base64url of 32 bytes.
 */
export function hmacKey(secret: string, purpose: string): Promise<CryptoKey> {
  const id = `${purpose}\n${secret}`;
  let key = derived.get(id);
  if (key === undefined) {
    const raw = decodeBase64url(secret);
    if (raw === null || raw.length !== 32) {
      throw new RangeError("TOKEN_SEALING_KEY must be the base64url encoding of 32 random bytes");
    }
    key = crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]).then((base) =>
      crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: new Uint8Array(32),
          info: encoder.encode(`toloka-edge ${purpose}`),
        },
        base,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign", "verify"],
      )
    );
    derived.set(id, key);
  }
  return key;
}
