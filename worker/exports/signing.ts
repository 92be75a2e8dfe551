/**
 * A job's `download_url`: a link a browser can open with no `Authorization` header, signed with
 * HMAC-SHA256 under a key derived (HKDF) from `TOKEN_SEALING_KEY` for this purpose only, and
 * bound to the job, the key that owns it and an expiry 15 minutes ahead:
 * `/api/v1/exports/<id>/download?expires=<unix seconds>&signature=<base64url>`.
 *
 * The owner is part of what is signed but not of the link: a link names no key, and a key that
 * is revoked ends every link to its jobs (the download reads the key's record). The router's log
 * line records the route pattern, never the URL, so a signature is never logged.
 *
 * @module
 */

import { base64url, decodeBase64url } from "../../src/keys/mod.ts";
import { hmacKey } from "../derived_keys.ts";

/** How long a link is valid. */
export const LINK_LIFETIME_MS = 15 * 60 * 1000;
const PURPOSE = "export-download";
const encoder = new TextEncoder();

function signedText(job: string, owner: string, expires: number): Uint8Array<ArrayBuffer> {
  return encoder.encode(`export-download/v1\n${job}\n${owner}\n${expires}`);
}

/** The query string (`expires=...&signature=...`) of a link valid 15 minutes from `now`. */
export async function signLink(
  secret: string,
  job: string,
  owner: string,
  now: number,
): Promise<string> {
  const expires = Math.floor((now + LINK_LIFETIME_MS) / 1000);
  const key = await hmacKey(secret, PURPOSE);
  const mac = await crypto.subtle.sign("HMAC", key, signedText(job, owner, expires));
  return `expires=${expires}&signature=${base64url(new Uint8Array(mac))}`;
}

/** Why a link does not open. */
export type LinkCheck = "valid" | "expired" | "invalid";

/** Checks a link's `expires` and `signature` for a job owned by `owner`. */
export async function checkLink(
  secret: string,
  job: string,
  owner: string,
  params: URLSearchParams,
  now: number,
): Promise<LinkCheck> {
  const expiresText = params.get("expires") ?? "";
  const signature = decodeBase64url(params.get("signature") ?? "");
  if (!/^\d{1,12}$/.test(expiresText) || signature === null || signature.length !== 32) {
    return "invalid";
  }
  const expires = Number(expiresText);
  const key = await hmacKey(secret, PURPOSE);
  // crypto.subtle.verify compares in constant time.
  const valid = await crypto.subtle.verify(
    "HMAC",
    key,
    signature,
    signedText(job, owner, expires),
  );
  if (!valid) return "invalid";
  return expires * 1000 < now ? "expired" : "valid";
}
