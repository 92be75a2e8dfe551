/**
 * The `cursor` of an export's continuation (`next`): the core's resume token, signed by the
 * Worker so that a caller can hand it back but not forge, alter or reuse it elsewhere.
 *
 * Written `<token>.<issued>.<mac>`: the core's opaque token (base64url; the exact `created` string
 * the API sent, the id, and how much of a tie was written), when it was issued (seconds since the
 * epoch, base 36), and an HMAC-SHA256 (truncated to 128 bits, under a key derived from
 * `TOKEN_SEALING_KEY`) over all of that plus the order and the caller's filter. A cursor from
 * another query or order, another deployment, or older than {@linkcode CURSOR_LIFETIME_MS}, is
 * refused before any upstream request. It is not bound to the API key: every request of a chain
 * is authenticated and scoped afresh, so a cursor gives nothing its holder's key cannot see.
 *
 * @module
 */

import { type AttachmentFilter, FILTER_FIELDS, type Order } from "../mod.ts";
import { base64url, decodeBase64url } from "../src/keys/mod.ts";
import { hmacKey } from "./derived_keys.ts";
import { EdgeError } from "./errors.ts";

/** How long a continuation stays valid: long enough to resume an export the next day. */
export const CURSOR_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
const MAC_BYTES = 16;
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
const encoder = new TextEncoder();

/** What a cursor is bound to: the order and the caller's filter, as parsed. */
export interface CursorScope {
  order: Order;
  filter: AttachmentFilter;
}

function signedText(
  scope: CursorScope,
  token: string,
  issued: string,
): Uint8Array<ArrayBuffer> {
  const filter = new URLSearchParams();
  for (const field of FILTER_FIELDS) {
    const value = (scope.filter as Record<string, string | undefined>)[field];
    if (value !== undefined) filter.set(field, value);
  }
  return encoder.encode(`export-cursor/v1\n${scope.order}\n${filter}\n${token}\n${issued}`);
}

/** Signs the core's resume `token` for an export of `scope`. */
export async function signCursor(
  secret: string,
  scope: CursorScope,
  token: string,
  now: number,
): Promise<string> {
  const issued = Math.floor(now / 1000).toString(36);
  const key = await hmacKey(secret, "export-cursor");
  const mac = await crypto.subtle.sign("HMAC", key, signedText(scope, token, issued));
  return `${token}.${issued}.${base64url(new Uint8Array(mac, 0, MAC_BYTES))}`;
}

function invalid(message: string): EdgeError {
  return new EdgeError(400, "VALIDATION_ERROR", "Validation failed", {
    payload: { cursor: { code: "INVALID_FORMAT", message } },
  });
}

/**
 * The core's resume token inside a signed `cursor`, once it is checked.
 *
 * @throws {EdgeError} 400 VALIDATION_ERROR naming `cursor` when it is malformed, altered, from
 * another query, order or deployment, or expired.
 */
export async function openCursor(
  secret: string,
  scope: CursorScope,
  cursor: string,
  now: number,
): Promise<string> {
  const [token, issued, macText, ...rest] = cursor.split(".");
  const mac = macText === undefined ? null : decodeBase64url(macText);
  if (
    rest.length > 0 || !token || !issued || !/^[0-9a-z]{1,10}$/.test(issued) || mac === null ||
    mac.length !== MAC_BYTES
  ) {
    throw invalid("The cursor is malformed; pass the `next` value of an export unchanged");
  }
  const key = await hmacKey(secret, "export-cursor");
  const full = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, signedText(scope, token, issued)),
  );
  // Constant-time comparison of the truncated MAC.
  let difference = 0;
  for (let index = 0; index < MAC_BYTES; index++) difference |= full[index]! ^ mac[index]!;
  if (difference !== 0) {
    throw invalid(
      "The cursor was altered, or belongs to another query, order or deployment; follow `next` with the filters and sort it came with",
    );
  }
  const age = now - parseInt(issued, 36) * 1000;
  if (age > CURSOR_LIFETIME_MS || age < -MAX_CLOCK_SKEW_MS) {
    throw invalid(
      "The cursor expired (a continuation is valid for 7 days); start the export again",
    );
  }
  return token;
}
