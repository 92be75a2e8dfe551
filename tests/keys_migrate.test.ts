/** `migrateKeyRecord()`: v1 records (seal bound to the KV key only) resealed as v2. */

import assert from "node:assert/strict";
import { KeyCache } from "../worker/key_cache.ts";
import {
  generateKey,
  importSealingKey,
  issueKey,
  type KeyRecord,
  kvKeyFor,
  migrateKeyRecord,
  openToken,
  sealToken,
} from "../src/keys/mod.ts";
import { MemoryKv, randomSealingKey } from "./keys_fixtures.ts";
import { putV1Record } from "./keys_v1.ts";

const TOKEN = "upstream-token-for-migration-tests";

Deno.test("migrateKeyRecord() reseals a v1 record as v2 with the same scope and token", async () => {
  const kv = new MemoryKv();
  const sealingKey = randomSealingKey();
  const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
  const { key, kvKey, record } = await putV1Record(kv, sealingKey, TOKEN, {
    name: "old",
    pools: ["1", "2"],
    expires_at: expiresAt,
  });
  const cache = new KeyCache({ ttlMs: 0 });
  assert.equal((await cache.lookup(kv, sealingKey, key)).status, "outdated");

  const outcome = await migrateKeyRecord(kv, sealingKey, kvKey);
  assert.equal(outcome.status, "migrated");
  assert.ok(outcome.status === "migrated");
  const stored = JSON.parse(kv.values.get(kvKey)!.value) as KeyRecord;
  assert.deepEqual(stored, outcome.record);
  assert.deepEqual(Object.keys(stored), [
    "v",
    "name",
    "pools",
    "expires_at",
    "upstream_token",
    "created_at",
  ]);
  assert.deepEqual(
    { ...stored, upstream_token: "" },
    { ...record, v: 2, upstream_token: "" },
    "only the version and the seal change",
  );
  assert.match(stored.upstream_token, /^v2\./);
  assert.ok(!kv.values.get(kvKey)!.value.includes(TOKEN));
  assert.equal(kv.values.get(kvKey)!.expiration, Math.ceil(Date.parse(expiresAt) / 1000));
  assert.equal(await openToken(await importSealingKey(sealingKey), stored, kvKey), TOKEN);

  const lookup = await cache.lookup(kv, sealingKey, key);
  assert.equal(lookup.status, "valid");
  assert.ok(lookup.status === "valid");
  assert.equal(lookup.upstreamToken, TOKEN);
  // From now on the scope is bound: widening it makes the key fail closed.
  await kv.put(kvKey, JSON.stringify({ ...stored, pools: null }));
  assert.equal((await cache.lookup(kv, sealingKey, key)).status, "unsealable");
});

Deno.test("migrateKeyRecord() leaves v2, missing and unopenable records alone", async () => {
  const kv = new MemoryKv();
  const sealingKey = randomSealingKey();
  const current = await issueKey(kv, sealingKey, { name: "new", upstreamToken: TOKEN });
  const currentKv = await kvKeyFor(current.key);
  const before = kv.values.get(currentKv)!.value;
  assert.equal((await migrateKeyRecord(kv, sealingKey, currentKv)).status, "current");
  assert.equal(kv.values.get(currentKv)!.value, before);

  assert.equal(
    (await migrateKeyRecord(kv, sealingKey, await kvKeyFor(generateKey()))).status,
    "missing",
  );

  // Sealed under another sealing key: cannot be opened, so cannot be resealed.
  const foreign = await putV1Record(kv, randomSealingKey(), TOKEN, { name: "foreign" });
  const foreignBefore = kv.values.get(foreign.kvKey)!.value;
  assert.equal((await migrateKeyRecord(kv, sealingKey, foreign.kvKey)).status, "unsealable");
  assert.equal(kv.values.get(foreign.kvKey)!.value, foreignBefore);

  // A v2 seal relabelled as v1 (a downgrade to dodge the binding) does not open as v1.
  const downgraded = await issueKey(kv, sealingKey, { name: "v2", upstreamToken: TOKEN });
  const downKv = await kvKeyFor(downgraded.key);
  await kv.put(
    downKv,
    JSON.stringify({
      ...downgraded.record,
      v: 1,
      pools: null,
      upstream_token: downgraded.record.upstream_token.replace(/^v2\./, "v1."),
    }),
  );
  assert.equal((await migrateKeyRecord(kv, sealingKey, downKv)).status, "unsealable");
});

Deno.test("migrateKeyRecord() with the scope the operator saw refuses a record changed since", async () => {
  const kv = new MemoryKv();
  const sealingKey = randomSealingKey();
  const { kvKey, record } = await putV1Record(kv, sealingKey, TOKEN, { pools: ["1"] });
  const seen = {
    name: record.name,
    pools: record.pools,
    expires_at: record.expires_at,
    created_at: record.created_at,
  };
  // Widened between the review and the migration.
  await kv.put(kvKey, JSON.stringify({ ...record, pools: null }));
  const outcome = await migrateKeyRecord(kv, sealingKey, kvKey, seen);
  assert.equal(outcome.status, "changed");
  assert.equal((JSON.parse(kv.values.get(kvKey)!.value) as KeyRecord).v, 1);
  // Back as it was shown: migrated.
  await kv.put(kvKey, JSON.stringify(record));
  assert.equal((await migrateKeyRecord(kv, sealingKey, kvKey, seen)).status, "migrated");
});

Deno.test("sealToken() for v1 binds the KV key only (what older Workers wrote)", async () => {
  const key = await importSealingKey(randomSealingKey());
  const fields = {
    v: 1 as const,
    name: "x",
    pools: null,
    expires_at: null,
    created_at: "2026-01-01T00:00:00.000Z",
  };
  const sealed = await sealToken(key, TOKEN, "key:a", fields);
  assert.equal(await openToken(key, { ...fields, upstream_token: sealed }, "key:a"), TOKEN);
});
