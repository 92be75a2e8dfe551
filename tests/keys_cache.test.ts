/** `KeyCache`: key lookups cached per isolate for a short while, misses too, expiry always checked. */

import assert from "node:assert/strict";
import { KeyCache, type KeyLookup } from "../worker/key_cache.ts";
import { generateKey, issueKey, type KeyRecord, revokeKey } from "../src/keys/mod.ts";
import { MemoryKv, randomSealingKey } from "./keys_fixtures.ts";

const TOKEN = "upstream-token-for-cache-tests";
const TTL = 10_000;

interface Setup {
  kv: MemoryKv;
  sealingKey: string;
  /** The fake clock's hand: set `now` to move time. */
  clock: { now: number };
  issued: { key: string; record: KeyRecord };
  cache: KeyCache;
  /** Looks the issued key up. */
  lookup(): Promise<KeyLookup>;
}

/** A KV with one issued key, a cache on a fake clock, and the clock's hand. */
async function setUp(options: { pools?: string[] | null; expiresAt?: Date } = {}): Promise<Setup> {
  const kv = new MemoryKv();
  const sealingKey = randomSealingKey();
  const clock = { now: Date.parse("2026-03-01T12:00:00Z") };
  const issued = await issueKey(kv, sealingKey, {
    name: "cached",
    upstreamToken: TOKEN,
    pools: options.pools === undefined ? ["7"] : options.pools,
    now: new Date(clock.now),
    ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
  });
  const cache = new KeyCache({ ttlMs: TTL, now: () => clock.now });
  const lookup = () => cache.lookup(kv, sealingKey, issued.key);
  return { kv, sealingKey, clock, issued, cache, lookup };
}

Deno.test("KeyCache.lookup() resolves a valid key to its record and opened token", async () => {
  const { lookup, issued, kv } = await setUp();
  const result = await lookup();
  assert.equal(result.status, "valid");
  assert.ok(result.status === "valid");
  assert.deepEqual(result.record, issued.record);
  assert.equal(result.upstreamToken, TOKEN);
  assert.equal(result.kvKey, [...kv.values.keys()][0]);
});

Deno.test("KeyCache.lookup() within the TTL makes no KV read", async () => {
  const { lookup, kv, cache, clock } = await setUp();
  await lookup();
  assert.equal(kv.reads, 1);
  clock.now += TTL - 1;
  for (let i = 0; i < 5; i++) assert.equal((await lookup()).status, "valid");
  assert.equal(kv.reads, 1);
  assert.equal(cache.kvReads, 1);
});

Deno.test("KeyCache.lookup() reads KV again once the TTL has passed", async () => {
  const { lookup, kv, clock } = await setUp();
  await lookup();
  clock.now += TTL;
  await lookup();
  assert.equal(kv.reads, 2);
});

Deno.test("KeyCache.lookup() caches misses too", async () => {
  const { kv, sealingKey, cache, clock } = await setUp();
  const unknown = generateKey();
  assert.deepEqual(await cache.lookup(kv, sealingKey, unknown), { status: "unknown" });
  assert.deepEqual(await cache.lookup(kv, sealingKey, unknown), { status: "unknown" });
  assert.equal(kv.reads, 1);
  clock.now += TTL;
  await cache.lookup(kv, sealingKey, unknown);
  assert.equal(kv.reads, 2);
});

Deno.test("KeyCache.lookup() refuses a malformed key without any KV read", async () => {
  const { kv, sealingKey, cache } = await setUp();
  for (const key of ["", "x", "tae_short", `tae_${"a".repeat(31)}.`]) {
    assert.deepEqual(await cache.lookup(kv, sealingKey, key), { status: "unknown" });
  }
  assert.equal(kv.reads, 0);
});

Deno.test("KeyCache.lookup() sees a revocation only after the TTL", async () => {
  const { lookup, kv, clock, issued } = await setUp();
  await lookup();
  await revokeKey(kv, issued.key);
  assert.equal((await lookup()).status, "valid", "still cached");
  clock.now += TTL;
  assert.deepEqual(await lookup(), { status: "unknown" });
});

Deno.test("KeyCache.lookup() checks expiry on every call, even when the entry is cached", async () => {
  const expiresAt = new Date("2026-03-01T13:00:00Z");
  const { lookup, kv, clock } = await setUp({ expiresAt });
  clock.now = expiresAt.getTime() - 1;
  assert.equal((await lookup()).status, "valid");
  clock.now = expiresAt.getTime();
  const result = await lookup();
  assert.equal(result.status, "expired");
  assert.equal(kv.reads, 1, "the expiry came from the cached entry");
});

Deno.test("KeyCache.lookup() reports a record whose token does not open as unsealable", async () => {
  const { kv, issued, cache } = await setUp();
  const result = await cache.lookup(kv, randomSealingKey(), issued.key);
  assert.equal(result.status, "unsealable");
  assert.ok(!JSON.stringify(result).includes(TOKEN));
});

Deno.test("KeyCache keeps at most maxEntries, dropping the oldest", async () => {
  const kv = new MemoryKv();
  const sealingKey = randomSealingKey();
  const cache = new KeyCache({ ttlMs: TTL, maxEntries: 2, now: () => 0 });
  const keys = [generateKey(), generateKey(), generateKey()];
  for (const key of keys) await cache.lookup(kv, sealingKey, key);
  assert.equal(kv.reads, 3);
  await cache.lookup(kv, sealingKey, keys[2]!);
  await cache.lookup(kv, sealingKey, keys[1]!);
  assert.equal(kv.reads, 3, "the two newest are kept");
  await cache.lookup(kv, sealingKey, keys[0]!);
  assert.equal(kv.reads, 4, "the oldest was dropped");
});

Deno.test("KeyCache.lookup() refuses a record whose pools, expiry, name or creation time changed after sealing", async () => {
  const changes: [string, Partial<KeyRecord>][] = [
    ["pools null", { pools: null }],
    ["another pool", { pools: ["7", "8"] }],
    ["no expiry", { expires_at: null }],
    ["a later expiry", { expires_at: "2099-01-01T00:00:00.000Z" }],
    ["an expiry that does not parse", { expires_at: "next tuesday" }],
    ["another name", { name: "admin" }],
    ["another created_at", { created_at: "2020-01-01T00:00:00.000Z" }],
  ];
  for (const [what, change] of changes) {
    const fresh = await setUp({ expiresAt: new Date("2026-03-02T00:00:00Z") });
    const [freshKey] = [...fresh.kv.values.keys()];
    const record = JSON.parse(fresh.kv.values.get(freshKey!)!.value) as KeyRecord;
    assert.equal((await fresh.lookup()).status, "valid", what);
    await fresh.kv.put(freshKey!, JSON.stringify({ ...record, ...change }));
    fresh.clock.now += TTL;
    const result = await fresh.lookup();
    assert.equal(result.status, "unsealable", what);
    assert.ok(!JSON.stringify(result).includes(TOKEN));
  }
});

Deno.test("KeyCache.lookup() refuses a v1 record as outdated, without opening it", async () => {
  const { kv, lookup } = await setUp();
  const [kvKey] = [...kv.values.keys()];
  const stored = JSON.parse(kv.values.get(kvKey!)!.value) as KeyRecord;
  await kv.put(kvKey!, JSON.stringify({ ...stored, v: 1 }));
  const result = await lookup();
  assert.equal(result.status, "outdated");
  assert.ok(!JSON.stringify(result).includes(TOKEN));
});
