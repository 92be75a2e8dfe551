/**
 * Resolves a presented raw key to its record and opened upstream token, with a short
 * per-isolate cache of lookups, misses included, so a busy key costs ~0 KV reads and a client
 * retrying one wrong key costs one. Garbage that is not key-shaped never reaches KV; distinct
 * well-formed unknown keys do cost a read each (KV reads are cheap and the rate limiter is keyed
 * per key, so it cannot help before a key is known).
 *
 * @module
 */

import {
  CURRENT_RECORD_VERSION,
  importSealingKey,
  isKeyShaped,
  type KeyRecord,
  kvKeyFor,
  type KvNamespace,
  openToken,
  parseKeyRecord,
} from "../src/keys/mod.ts";

/** The outcome of a key lookup. */
export type KeyLookup =
  | { status: "valid"; record: KeyRecord; upstreamToken: string; kvKey: string }
  | { status: "unknown" }
  | { status: "expired"; record: KeyRecord }
  /**
   * The record exists but its token does not open: the record was changed after it was sealed
   * (its scope or expiry widened by hand, say), or it was sealed under another sealing key.
   */
  | { status: "unsealable"; record: KeyRecord }
  /** A record of an older format (v1, whose seal does not cover its scope): refused until migrated. */
  | { status: "outdated"; record: KeyRecord };

interface Entry {
  until: number;
  record: KeyRecord | null;
  upstreamToken: string | null;
}

/** Options of {@link KeyCache}. */
export interface KeyCacheOptions {
  /** How long a lookup (hit or miss) is reused. @default 10_000 */
  ttlMs?: number;
  /** Entries kept at most; the oldest go first. @default 10_000 */
  maxEntries?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** A per-isolate cache of key lookups. */
export class KeyCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** KV reads made, for the overhead benchmark and tests. */
  kvReads = 0;

  constructor(options: KeyCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 10_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Looks a raw key up; expiry is checked on every call, not only when the entry is made. */
  async lookup(kv: KvNamespace, sealingKey: string, rawKey: string): Promise<KeyLookup> {
    if (!isKeyShaped(rawKey)) return { status: "unknown" };
    const kvKey = await kvKeyFor(rawKey);
    const now = this.#now();
    let entry = this.#entries.get(kvKey);
    if (!entry || entry.until <= now) {
      entry = await this.#load(kv, sealingKey, kvKey, now);
      this.#entries.delete(kvKey);
      this.#entries.set(kvKey, entry);
      if (this.#entries.size > this.#maxEntries) {
        const oldest = this.#entries.keys().next();
        if (!oldest.done) this.#entries.delete(oldest.value);
      }
    }
    const { record, upstreamToken } = entry;
    if (record === null) return { status: "unknown" };
    if (record.v !== CURRENT_RECORD_VERSION) return { status: "outdated", record };
    // The seal first: until it opens, no field of the record can be trusted, its expiry included.
    if (upstreamToken === null) return { status: "unsealable", record };
    // An expiry that does not parse fails closed: expired.
    if (record.expires_at !== null && !(Date.parse(record.expires_at) > now)) {
      return { status: "expired", record };
    }
    return { status: "valid", record, upstreamToken, kvKey };
  }

  async #load(kv: KvNamespace, sealingKey: string, kvKey: string, now: number): Promise<Entry> {
    this.kvReads++;
    // KV's own edge cache (cacheTtl) keeps the read cheap across isolates of one location.
    const record = parseKeyRecord(await kv.get(kvKey, { type: "json", cacheTtl: 60 }));
    // A v1 record is refused whatever its seal says, so it is not opened at all.
    const upstreamToken = record === null || record.v !== CURRENT_RECORD_VERSION
      ? null
      : await openToken(await importSealingKey(sealingKey), record, kvKey);
    return { until: now + this.#ttlMs, record, upstreamToken };
  }
}
