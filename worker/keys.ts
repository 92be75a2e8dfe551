/**
 * API keys for the edge Worker: generation, hashing, sealing of the upstream token, issue and
 * revoke. (The per-isolate lookup cache is `key_cache.ts`.)
 *
 * A raw key is `tae_` + 32 base64url characters (192 random bits). KV holds only
 * `key:<sha256 hex of the raw key>` → {@link KeyRecord}; the raw key is shown once and never
 * stored. The caller's Toloka token is sealed with AES-GCM under `TOKEN_SEALING_KEY`, with a fresh
 * IV per seal and the KV key as additional data, so a sealed token copied into another record does
 * not open.
 *
 * A lookup never compares secrets: it hashes the presented key and reads the record by that hash.
 *
 * @module
 */

import type { KvNamespace } from "./kv.ts";

/** The JSON stored in KV under `key:<sha256 hex>`. */
export interface KeyRecord {
  v: 1;
  name: string;
  /** Pool ids this key may see; `null` means every pool the upstream token can see. */
  pools: string[] | null;
  /** ISO 8601 instant after which the key is refused, or `null`. */
  expires_at: string | null;
  /** The upstream token sealed with AES-GCM: `v1.<iv b64url>.<ciphertext b64url>`. */
  upstream_token: string;
  created_at: string;
}

/** What {@link issueKey} needs. */
export interface IssueKeyOptions {
  name: string;
  upstreamToken: string;
  pools?: readonly string[] | null;
  expiresAt?: Date | null;
  /** Clock for `created_at`; defaults to the current time. */
  now?: Date;
}

const KEY_PREFIX = "tae_";
const KEY_RANDOM_BYTES = 24;
const KEY_PATTERN = /^tae_[A-Za-z0-9_-]{32}$/;
const KV_PREFIX = "key:";
const SEAL_VERSION = "v1";
const encoder = new TextEncoder();

/** Generates a raw key: `tae_` + 192 random bits in base64url (no `.`, so toloka-kit sends it as `OAuth`). */
export function generateKey(): string {
  return KEY_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(KEY_RANDOM_BYTES)));
}

/** A fresh `TOKEN_SEALING_KEY`: base64url of 32 random bytes, the form {@link importSealingKey} reads. */
export function generateSealingKey(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Whether a string has the shape of a raw key, so garbage is refused without a KV read. */
export function isKeyShaped(value: string): boolean {
  return KEY_PATTERN.test(value);
}

/** The KV key under which a raw key's record lives: `key:<sha256 hex>`. */
export async function kvKeyFor(rawKey: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(rawKey)));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return KV_PREFIX + hex;
}

const importedKeys = new Map<string, Promise<CryptoKey>>();

/** Imports `TOKEN_SEALING_KEY` (base64url of 32 bytes) once per isolate. */
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

/** Seals `token` for the record stored under `kvKey`. */
export async function sealToken(key: CryptoKey, token: string, kvKey: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(kvKey) },
    key,
    encoder.encode(token),
  );
  return `${SEAL_VERSION}.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
}

/** Opens a sealed token; `null` when it was sealed under another key or for another record. */
export async function openToken(
  key: CryptoKey,
  sealed: string,
  kvKey: string,
): Promise<string | null> {
  const [version, ivText, dataText, ...rest] = sealed.split(".");
  if (version !== SEAL_VERSION || ivText === undefined || dataText === undefined || rest.length) {
    return null;
  }
  const iv = decodeBase64url(ivText);
  const data = decodeBase64url(dataText);
  if (iv === null || data === null) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: encoder.encode(kvKey) },
      key,
      data,
    );
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}

/**
 * Issues a key: stores its record (with the sealed upstream token) and returns the raw key,
 * which exists nowhere else afterwards.
 */
export async function issueKey(
  kv: KvNamespace,
  sealingKey: string,
  options: IssueKeyOptions,
): Promise<{ key: string; record: KeyRecord }> {
  const name = options.name.trim();
  if (!name) throw new TypeError(`Key name must not be empty, current value is "${options.name}"`);
  const token = options.upstreamToken.trim();
  if (!token) throw new TypeError("Upstream token must not be empty");
  // The Worker sends it in a header: anything else would fail every request made with the key.
  if (!/^[\x21-\x7e]+(?: +[\x21-\x7e]+)*$/.test(token)) {
    throw new TypeError(
      `Upstream token must hold printable ASCII characters only, current value has ${token.length} characters (not shown)`,
    );
  }
  const pools = options.pools === undefined || options.pools === null ? null : [...options.pools];
  if (pools !== null) {
    if (pools.length === 0) {
      throw new RangeError("Pools must list at least one pool id, or be null");
    }
    for (const pool of pools) {
      if (!/^[0-9A-Za-z._-]{1,64}$/.test(pool)) {
        throw new TypeError(`Pool id must be a plain id, current value is ${JSON.stringify(pool)}`);
      }
    }
  }
  const now = options.now ?? new Date();
  const expiresAt = options.expiresAt ?? null;
  if (expiresAt !== null && !(expiresAt.getTime() > now.getTime())) {
    throw new RangeError(
      `Expiry must be a date in the future, current value is ${
        Number.isNaN(expiresAt.getTime()) ? "an invalid date" : expiresAt.toISOString()
      }`,
    );
  }
  const cryptoKey = await importSealingKey(sealingKey);
  const key = generateKey();
  const kvKey = await kvKeyFor(key);
  const record: KeyRecord = {
    v: 1,
    name,
    pools,
    expires_at: expiresAt?.toISOString() ?? null,
    upstream_token: await sealToken(cryptoKey, token, kvKey),
    created_at: now.toISOString(),
  };
  // KV drops an expired record by itself some time after expiry; the lookup checks expiry anyway.
  // KV refuses an expiration less than 60 s ahead of the real clock, whatever `now` says.
  const putOptions = expiresAt === null ? undefined : {
    expiration: Math.max(
      Math.ceil(expiresAt.getTime() / 1000),
      Math.ceil(Date.now() / 1000) + 60,
    ),
  };
  await kv.put(kvKey, JSON.stringify(record), putOptions);
  return { key, record };
}

/** Revokes a raw key (deletes its record). Returns whether a record existed. */
export async function revokeKey(kv: KvNamespace, key: string): Promise<boolean> {
  const kvKey = await kvKeyFor(key);
  const existed = (await kv.get(kvKey, { type: "json" })) !== null;
  await kv.delete(kvKey);
  return existed;
}

/** Parses a KV value into a {@link KeyRecord}, or `null` if it is not one. */
export function parseKeyRecord(value: unknown): KeyRecord | null {
  if (typeof value !== "object" || value === null) return null;
  const r = value as Record<string, unknown>;
  const poolsOk = r.pools === null ||
    (Array.isArray(r.pools) && r.pools.every((p) => typeof p === "string"));
  if (
    r.v !== 1 || typeof r.name !== "string" || !poolsOk ||
    (r.expires_at !== null && typeof r.expires_at !== "string") ||
    typeof r.upstream_token !== "string" || typeof r.created_at !== "string"
  ) {
    return null;
  }
  return r as unknown as KeyRecord;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decodeBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
