/**
 * API keys for the edge Worker: generation, hashing, sealing of the upstream token, issue, revoke
 * and migration of old records. (The per-isolate lookup cache is `key_cache.ts`.)
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
 * @module
 */

import { base64url, decodeBase64url } from "./base64url.ts";
import type { KvNamespace } from "./kv.ts";

/** The JSON stored in KV under `key:<sha256 hex>`. */
export interface KeyRecord {
  /** The record's format: 2 for every key issued now; 1 for older keys, refused until migrated. */
  v: 1 | 2;
  name: string;
  /** Pool ids this key may see; `null` means every pool the upstream token can see. */
  pools: string[] | null;
  /** ISO 8601 instant after which the key is refused, or `null`. */
  expires_at: string | null;
  /**
   * The upstream token sealed with AES-GCM: `v<record version>.<iv b64url>.<ciphertext b64url>`,
   * bound to the record (see the module doc).
   */
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
/** The record version {@link issueKey} writes and the Worker accepts. */
export const CURRENT_RECORD_VERSION = 2;
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

/** The fields of a record a seal is bound to: all of them but the sealed token itself. */
export type SealedFields = Omit<KeyRecord, "upstream_token">;

/**
 * The additional data that binds a seal to its record: the KV key alone for v1 (older keys), and
 * for v2 the KV key and every field but the seal, in a fixed order as a JSON array (so no two
 * different records can produce the same bytes).
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
 * Seals `token` for the record stored under `kvKey` with these fields (see {@link sealBinding}).
 * Changing any of them afterwards makes the seal fail to open.
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
 * Opens the sealed token of `record`, stored under `kvKey`; `null` when it was sealed under
 * another key, for another record, or when any field of the record was changed since (v2).
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
  const fields: SealedFields = {
    v: CURRENT_RECORD_VERSION,
    name,
    pools,
    expires_at: expiresAt?.toISOString() ?? null,
    created_at: now.toISOString(),
  };
  const record: KeyRecord = {
    v: fields.v,
    name,
    pools,
    expires_at: fields.expires_at,
    upstream_token: await sealToken(cryptoKey, token, kvKey, fields),
    created_at: fields.created_at,
  };
  await putRecord(kv, kvKey, record);
  return { key, record };
}

/** Stores a record; KV drops it by itself some time after its expiry (lookups check it anyway). */
async function putRecord(kv: KvNamespace, kvKey: string, record: KeyRecord): Promise<void> {
  const expiresAt = record.expires_at === null ? Number.NaN : Date.parse(record.expires_at);
  // KV refuses an expiration less than 60 s ahead of the real clock, whatever `now` says.
  const putOptions = Number.isNaN(expiresAt) ? undefined : {
    expiration: Math.max(Math.ceil(expiresAt / 1000), Math.ceil(Date.now() / 1000) + 60),
  };
  await kv.put(kvKey, JSON.stringify(record), putOptions);
}

/** The outcome of {@link migrateKeyRecord} for one KV key. */
export type MigrationOutcome =
  | { status: "migrated"; record: KeyRecord }
  | { status: "current"; record: KeyRecord }
  | { status: "missing" }
  | { status: "unsealable"; record: KeyRecord }
  /** Its scope is no longer what the caller expected (changed since it was shown). */
  | { status: "changed"; record: KeyRecord };

/**
 * Reseals a v1 record as v2, binding its current `name`, `pools`, `expires_at` and `created_at`
 * to the seal. A v1 seal never covered those fields, so whoever could write to KV may have
 * changed them: check the scope of each record (`keys migrate` shows it) before migrating it.
 * A record already at v2 is left alone; one whose seal does not open is left alone too (the
 * Worker refuses it either way).
 *
 * @param expected When given, the record is migrated only if its scope (`name`, `pools`,
 * `expires_at`, `created_at`) is still exactly this, as it was shown to the operator.
 */
export async function migrateKeyRecord(
  kv: KvNamespace,
  sealingKey: string,
  kvKey: string,
  expected?: Omit<SealedFields, "v">,
): Promise<MigrationOutcome> {
  const record = parseKeyRecord(await kv.get(kvKey, { type: "json" }));
  if (record === null) return { status: "missing" };
  if (record.v === CURRENT_RECORD_VERSION) return { status: "current", record };
  const cryptoKey = await importSealingKey(sealingKey);
  const token = await openToken(cryptoKey, record, kvKey);
  if (token === null) return { status: "unsealable", record };
  if (
    expected !== undefined &&
    JSON.stringify([record.name, record.pools, record.expires_at, record.created_at]) !==
      JSON.stringify([expected.name, expected.pools, expected.expires_at, expected.created_at])
  ) {
    // Changed between the operator's review and now: nothing is resealed unseen.
    return { status: "changed", record };
  }
  const fields: SealedFields = {
    v: CURRENT_RECORD_VERSION,
    name: record.name,
    pools: record.pools,
    expires_at: record.expires_at,
    created_at: record.created_at,
  };
  const migrated: KeyRecord = {
    v: fields.v,
    name: fields.name,
    pools: fields.pools,
    expires_at: fields.expires_at,
    upstream_token: await sealToken(cryptoKey, token, kvKey, fields),
    created_at: fields.created_at,
  };
  await putRecord(kv, kvKey, migrated);
  return { status: "migrated", record: migrated };
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
    (r.v !== 1 && r.v !== 2) || typeof r.name !== "string" || !poolsOk ||
    (r.expires_at !== null && typeof r.expires_at !== "string") ||
    typeof r.upstream_token !== "string" || typeof r.created_at !== "string"
  ) {
    return null;
  }
  return r as unknown as KeyRecord;
}
