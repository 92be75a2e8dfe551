/**
 * Issue, revoke and migration of key records in KV.
 *
 * @module
 */

import type { KvNamespace } from "./kv.ts";
import { generateKey, kvKeyFor } from "./raw_key.ts";
import {
  CURRENT_RECORD_VERSION,
  type KeyRecord,
  parseKeyRecord,
  type SealedFields,
} from "./record.ts";
import { importSealingKey, openToken, sealToken } from "./seal.ts";

/**
 * What {@link issueKey} needs.
 *
 * @example
 * ```ts
 * import type { IssueKeyOptions } from "@toloka-edge/attachments/keys";
 *
 * const options: IssueKeyOptions = { name: "ci", upstreamToken: "toloka-token", pools: ["1"] };
 * ```
 */
export interface IssueKeyOptions {
  /** The key's name (trimmed; not empty). */
  name: string;
  /** The Toloka token the Worker calls the upstream with for this key (printable ASCII). */
  upstreamToken: string;
  /**
   * Pool ids the key may see; `null` for every pool of the upstream token.
   *
   * @default {null}
   */
  pools?: readonly string[] | null;
  /**
   * When the key stops working; `null` for never.
   *
   * @default {null}
   */
  expiresAt?: Date | null;
  /**
   * Clock for `created_at`.
   *
   * @default {new Date()}
   */
  now?: Date;
}

/**
 * Issues a key: stores its record (with the sealed upstream token) and returns the raw key,
 * which exists nowhere else afterwards.
 *
 * @param kv Where records are kept (the Worker's `TOKENS`).
 * @param sealingKey The Worker's `TOKEN_SEALING_KEY`.
 * @param options The key's name, upstream token and scope.
 * @returns The raw key (show it once) and the record stored.
 * @throws {TypeError} For an empty name, an empty or non-ASCII token, or a malformed pool id.
 * @throws {RangeError} For an empty pool list, an expiry not in the future, or a malformed
 * sealing key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSealingKey, issueKey, MemoryKv } from "@toloka-edge/attachments/keys";
 *
 * const kv = new MemoryKv();
 * const { key, record } = await issueKey(kv, generateSealingKey(), {
 *   name: "ci",
 *   upstreamToken: "toloka-token",
 *   pools: ["1"],
 * });
 * assert.ok(key.startsWith("tae_"));
 * assert.equal(record.v, 2);
 * assert.equal(kv.values.size, 1);
 * ```
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

/**
 * The outcome of {@link migrateKeyRecord} for one KV key.
 *
 * @example
 * ```ts
 * import type { MigrationOutcome } from "@toloka-edge/attachments/keys";
 *
 * function describe(outcome: MigrationOutcome): string {
 *   return outcome.status === "missing" ? "no record" : `${outcome.record.name}: ${outcome.status}`;
 * }
 * describe({ status: "missing" });
 * ```
 */
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
 * @param kv Where records are kept.
 * @param sealingKey The Worker's `TOKEN_SEALING_KEY`.
 * @param kvKey The record's KV key (`key:<sha256 hex>`).
 * @param expected When given, the record is migrated only if its scope (`name`, `pools`,
 * `expires_at`, `created_at`) is still exactly this, as it was shown to the operator.
 * @returns What happened to the record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   generateSealingKey,
 *   issueKey,
 *   kvKeyFor,
 *   MemoryKv,
 *   migrateKeyRecord,
 * } from "@toloka-edge/attachments/keys";
 *
 * const kv = new MemoryKv();
 * const sealingKey = generateSealingKey();
 * const { key } = await issueKey(kv, sealingKey, { name: "ci", upstreamToken: "toloka-token" });
 * const outcome = await migrateKeyRecord(kv, sealingKey, await kvKeyFor(key));
 * assert.equal(outcome.status, "current");
 * assert.equal((await migrateKeyRecord(kv, sealingKey, "key:00")).status, "missing");
 * ```
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

/**
 * Revokes a raw key (deletes its record).
 *
 * @param kv Where records are kept.
 * @param key The raw key.
 * @returns Whether a record existed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSealingKey, issueKey, MemoryKv, revokeKey } from "@toloka-edge/attachments/keys";
 *
 * const kv = new MemoryKv();
 * const { key } = await issueKey(kv, generateSealingKey(), { name: "ci", upstreamToken: "t0k3n" });
 * assert.equal(await revokeKey(kv, key), true);
 * assert.equal(await revokeKey(kv, key), false);
 * ```
 */
export async function revokeKey(kv: KvNamespace, key: string): Promise<boolean> {
  const kvKey = await kvKeyFor(key);
  const existed = (await kv.get(kvKey, { type: "json" })) !== null;
  await kv.delete(kvKey);
  return existed;
}
