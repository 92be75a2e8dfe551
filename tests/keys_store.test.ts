/** The keys entry point (`src/keys/`): raw keys, KV keys, sealing of the upstream token, issue and revoke. */

import assert from "node:assert/strict";
import {
  generateKey,
  importSealingKey,
  isKeyShaped,
  issueKey,
  type KeyRecord,
  kvKeyFor,
  openToken,
  parseKeyRecord,
  revokeKey,
  type SealedFields,
  sealToken,
} from "../src/keys/mod.ts";
import { MemoryKv, randomSealingKey } from "./keys_fixtures.ts";

const TOKEN = "AQAAAAAupstream-token-y2Wq0";
const sealingKey = randomSealingKey();

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("generateKey() is tae_ and 32 base64url characters, never a dot, never twice the same", () => {
  const keys = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const key = generateKey();
    assert.match(key, /^tae_[A-Za-z0-9_-]{32}$/);
    assert.ok(!key.includes("."), "toloka-kit would send a key with dots as ApiKey");
    assert.ok(isKeyShaped(key));
    keys.add(key);
  }
  assert.equal(keys.size, 500);
});

Deno.test("isKeyShaped() refuses other prefixes, lengths and characters", () => {
  for (
    const value of [
      "",
      "tae_",
      `tae_${"a".repeat(31)}`,
      `tae_${"a".repeat(33)}`,
      `tak_${"a".repeat(32)}`,
      `TAE_${"a".repeat(32)}`,
      `tae_${"a".repeat(31)}.`,
      `tae_${"a".repeat(31)}=`,
      ` tae_${"a".repeat(32)}`,
    ]
  ) {
    assert.equal(isKeyShaped(value), false, JSON.stringify(value));
  }
});

Deno.test("kvKeyFor() is key: and the 64 hex digits of the raw key's SHA-256", async () => {
  const key = generateKey();
  const kvKey = await kvKeyFor(key);
  assert.match(kvKey, /^key:[0-9a-f]{64}$/);
  assert.equal(kvKey, `key:${await sha256Hex(key)}`);
  assert.equal(
    await kvKeyFor("abc"),
    "key:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

/** The fields of a v2 record sealed in these tests. */
const FIELDS: SealedFields = {
  v: 2,
  name: "reports",
  pools: ["1", "2"],
  expires_at: "2027-01-01T00:00:00.000Z",
  created_at: "2026-01-01T00:00:00.000Z",
};

async function sealedRecord(
  key: CryptoKey,
  kvKey: string,
  fields: SealedFields = FIELDS,
): Promise<KeyRecord> {
  return { ...fields, upstream_token: await sealToken(key, TOKEN, kvKey, fields) };
}

Deno.test("sealToken() and openToken() round-trip the token", async () => {
  const key = await importSealingKey(sealingKey);
  const record = await sealedRecord(key, "key:1");
  assert.match(record.upstream_token, /^v2\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
  assert.ok(!record.upstream_token.includes(TOKEN));
  assert.equal(await openToken(key, record, "key:1"), TOKEN);
});

Deno.test("sealToken() uses a fresh IV each time: two seals of one token differ", async () => {
  const key = await importSealingKey(sealingKey);
  const first = await sealedRecord(key, "key:1");
  const second = await sealedRecord(key, "key:1");
  assert.notEqual(first.upstream_token, second.upstream_token);
  assert.notEqual(first.upstream_token.split(".")[1], second.upstream_token.split(".")[1]);
  assert.equal(await openToken(key, second, "key:1"), TOKEN);
});

Deno.test("openToken() fails under another sealing key or for another record", async () => {
  const key = await importSealingKey(sealingKey);
  const other = await importSealingKey(randomSealingKey());
  const record = await sealedRecord(key, "key:1");
  assert.equal(await openToken(other, record, "key:1"), null);
  assert.equal(await openToken(key, record, "key:2"), null);
});

Deno.test("openToken() fails for a v2 record whose name, pools, expiry, creation or version changed", async () => {
  const key = await importSealingKey(sealingKey);
  const record = await sealedRecord(key, "key:1");
  const changed: [string, KeyRecord][] = [
    ["pools widened to null", { ...record, pools: null }],
    ["a pool added", { ...record, pools: ["1", "2", "3"] }],
    ["a pool swapped", { ...record, pools: ["1", "4"] }],
    ["pools reordered", { ...record, pools: ["2", "1"] }],
    ["expiry removed", { ...record, expires_at: null }],
    ["expiry extended", { ...record, expires_at: "2099-01-01T00:00:00.000Z" }],
    ["name changed", { ...record, name: "admin" }],
    ["created_at changed", { ...record, created_at: "2025-01-01T00:00:00.000Z" }],
    ["downgraded to v1", { ...record, v: 1 }],
  ];
  for (const [what, tampered] of changed) {
    assert.equal(await openToken(key, tampered, "key:1"), null, what);
  }
  // A pool id with a comma cannot pose as two pools: the binding is a JSON array.
  const commas = await sealedRecord(key, "key:1", { ...FIELDS, pools: ["1,2"] });
  assert.equal(await openToken(key, { ...commas, pools: ["1", "2"] }, "key:1"), null);
});

Deno.test("openToken() opens a v1 record bound to its KV key only, and never a v2 seal as v1", async () => {
  const key = await importSealingKey(sealingKey);
  const v1Fields: SealedFields = { ...FIELDS, v: 1 };
  const v1 = await sealedRecord(key, "key:1", v1Fields);
  assert.match(v1.upstream_token, /^v1\./);
  assert.equal(await openToken(key, v1, "key:1"), TOKEN);
  // That is the weakness v2 closes: a v1 record's scope can be changed and the seal still opens.
  assert.equal(await openToken(key, { ...v1, pools: null, expires_at: null }, "key:1"), TOKEN);
  assert.equal(await openToken(key, v1, "key:2"), null);
  const v2 = await sealedRecord(key, "key:1");
  const relabelled = v2.upstream_token.replace(/^v2\./, "v1.");
  assert.equal(await openToken(key, { ...v2, v: 1, upstream_token: relabelled }, "key:1"), null);
});

Deno.test("openToken() refuses a tampered or malformed seal", async () => {
  const key = await importSealingKey(sealingKey);
  const record = await sealedRecord(key, "key:1");
  const [version, iv, data] = record.upstream_token.split(".") as [string, string, string];
  const flipped = (data[0] === "A" ? "B" : "A") + data.slice(1);
  for (
    const bad of [
      `${version}.${iv}.${flipped}`,
      `v1.${iv}.${data}`,
      `v3.${iv}.${data}`,
      `${version}.${iv}`,
      `${record.upstream_token}.x`,
      `${version}.${iv}.${data}!`,
      "",
      TOKEN,
    ]
  ) {
    assert.equal(await openToken(key, { ...record, upstream_token: bad }, "key:1"), null, bad);
  }
});

Deno.test("importSealingKey() refuses anything but base64url of 32 bytes", () => {
  for (const secret of ["", "short", randomSealingKey() + "AAAA", "+".repeat(43)]) {
    assert.throws(() => importSealingKey(secret), {
      name: "RangeError",
      message: "TOKEN_SEALING_KEY must be the base64url encoding of 32 random bytes",
    });
  }
});

Deno.test("issueKey() stores the record under the key's hash, the token only sealed", async () => {
  const kv = new MemoryKv();
  const now = new Date("2026-01-02T03:04:05.678Z");
  const { key, record } = await issueKey(kv, sealingKey, {
    name: " reports ",
    upstreamToken: TOKEN,
    pools: ["1", "2"],
    now,
  });
  const kvKey = await kvKeyFor(key);
  assert.deepEqual([...kv.values.keys()], [kvKey]);
  const stored = kv.values.get(kvKey)!;
  assert.equal(stored.expiration, undefined);
  assert.deepEqual(JSON.parse(stored.value), record);
  assert.deepEqual(Object.keys(record), [
    "v",
    "name",
    "pools",
    "expires_at",
    "upstream_token",
    "created_at",
  ]);
  assert.equal(record.v, 2);
  assert.equal(record.name, "reports");
  assert.deepEqual(record.pools, ["1", "2"]);
  assert.equal(record.expires_at, null);
  assert.equal(record.created_at, "2026-01-02T03:04:05.678Z");
  assert.ok(!stored.value.includes(TOKEN), "KV never holds the token in clear");
  assert.ok(!stored.value.includes(key), "KV never holds the raw key");
  assert.equal(
    await openToken(await importSealingKey(sealingKey), record, kvKey),
    TOKEN,
  );
  assert.deepEqual(parseKeyRecord(JSON.parse(stored.value)), record);
});

Deno.test("issueKey() with pools null or omitted makes a key for every pool", async () => {
  const kv = new MemoryKv();
  for (const pools of [null, undefined]) {
    const { record } = await issueKey(kv, sealingKey, {
      name: "all",
      upstreamToken: TOKEN,
      ...(pools === undefined ? {} : { pools }),
    });
    assert.equal(record.pools, null);
  }
});

Deno.test("issueKey() with an expiry stores it and lets KV drop the record after it", async () => {
  const kv = new MemoryKv();
  const expiresAt = new Date(Date.now() + 3_600_000);
  const { key, record } = await issueKey(kv, sealingKey, {
    name: "temp",
    upstreamToken: TOKEN,
    expiresAt,
  });
  assert.equal(record.expires_at, expiresAt.toISOString());
  const stored = kv.values.get(await kvKeyFor(key))!;
  assert.equal(stored.expiration, Math.ceil(expiresAt.getTime() / 1000));
});

Deno.test("issueKey() with an injected past clock still gives KV an expiration 60 s ahead", async () => {
  // KV refuses an expiration less than 60 s ahead of the real clock.
  const kv = new MemoryKv();
  const now = new Date(Date.now() - 600_000);
  const before = Math.ceil(Date.now() / 1000);
  const { key } = await issueKey(kv, sealingKey, {
    name: "expired",
    upstreamToken: TOKEN,
    now,
    expiresAt: new Date(now.getTime() + 1_000),
  });
  const stored = kv.values.get(await kvKeyFor(key))!;
  assert.ok(stored.expiration! >= before + 60);
  assert.ok(stored.expiration! <= Math.ceil(Date.now() / 1000) + 60);
});

Deno.test("issueKey() refuses bad options with clear messages, storing nothing", async () => {
  const kv = new MemoryKv();
  const base = { name: "n", upstreamToken: TOKEN };
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ name: "" }, "TypeError", /^Key name must not be empty, current value is ""$/],
    [{ name: "   " }, "TypeError", /^Key name must not be empty/],
    [{ upstreamToken: "" }, "TypeError", /^Upstream token must not be empty$/],
    [{ upstreamToken: "  " }, "TypeError", /^Upstream token must not be empty$/],
    [{ upstreamToken: "tok\nen" }, "TypeError", /printable ASCII.*not shown/],
    [{ pools: [] }, "RangeError", /^Pools must list at least one pool id, or be null$/],
    [{ pools: ["1", "a/b"] }, "TypeError", /^Pool id must be a plain id, current value is "a\/b"$/],
    [{ pools: [""] }, "TypeError", /^Pool id must be a plain id/],
    [
      { expiresAt: new Date("2020-01-01T00:00:00Z") },
      "RangeError",
      /^Expiry must be a date in the future, current value is 2020-01-01T00:00:00.000Z$/,
    ],
    [
      { expiresAt: new Date(NaN) },
      "RangeError",
      /^Expiry must be a date in the future, current value is an invalid date$/,
    ],
  ];
  for (const [override, name, message] of cases) {
    await assert.rejects(
      issueKey(kv, sealingKey, { ...base, ...override } as Parameters<typeof issueKey>[2]),
      (error: Error) => {
        assert.equal(error.name, name, JSON.stringify(override));
        assert.match(error.message, message);
        assert.ok(!error.message.includes("tok\nen"));
        return true;
      },
    );
  }
  await assert.rejects(issueKey(kv, "not a key", base), RangeError);
  assert.equal(kv.values.size, 0);
});

Deno.test("revokeKey() deletes the record and says whether there was one", async () => {
  const kv = new MemoryKv();
  const kept = await issueKey(kv, sealingKey, { name: "kept", upstreamToken: TOKEN });
  const gone = await issueKey(kv, sealingKey, { name: "gone", upstreamToken: TOKEN });
  assert.equal(await revokeKey(kv, gone.key), true);
  assert.deepEqual([...kv.values.keys()], [await kvKeyFor(kept.key)]);
  assert.equal(await revokeKey(kv, gone.key), false);
  assert.equal(await revokeKey(kv, generateKey()), false);
});

Deno.test("parseKeyRecord() accepts the record's shape only", () => {
  const good = {
    v: 1,
    name: "n",
    pools: null,
    expires_at: null,
    upstream_token: "v1.a.b",
    created_at: "2026-01-01T00:00:00.000Z",
  };
  assert.deepEqual(parseKeyRecord(good), good);
  assert.deepEqual(parseKeyRecord({ ...good, v: 2 }), { ...good, v: 2 });
  assert.deepEqual(parseKeyRecord({ ...good, pools: ["1"] }), { ...good, pools: ["1"] });
  for (
    const bad of [
      null,
      "x",
      { ...good, v: 3 },
      { ...good, v: "2" },
      { ...good, pools: [1] },
      { ...good, pools: "1" },
      { ...good, name: 1 },
      { ...good, expires_at: 5 },
      { ...good, upstream_token: null },
      { ...good, created_at: undefined },
    ]
  ) {
    assert.equal(parseKeyRecord(bad), null, JSON.stringify(bad));
  }
});
