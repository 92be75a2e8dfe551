/**
 * The key and scope matrix (see `reliability/matrix.ts`), and the audit that no secret is
 * compared as a raw string (`reliability/audit.ts`), with the audit's own checks.
 */

import assert from "node:assert/strict";
import { keyMatrix } from "../reliability/matrix.ts";
import { auditSecretComparisons, codeOnly } from "../reliability/audit.ts";
import { formatReports } from "../reliability/report.ts";
import { KeyCache } from "../worker/key_cache.ts";
import { issueKey, kvKeyFor, type KvNamespace } from "../src/keys/mod.ts";
import { MemoryKv, randomSealingKey } from "./keys_fixtures.ts";

Deno.test("key matrix: every key state x route x way of naming a pool has its exact status", async () => {
  const report = await keyMatrix();
  assert.deepEqual(report.violations, [], formatReports([report]));
  const all = report.rows.find((row) => row.label === "all")!.values;
  assert.equal(all.cells, 418);
  assert.equal(all["audit findings"], 0);
});

Deno.test("audit: comparisons and lookups of secrets as raw strings are found", () => {
  const bad = [
    "if (record.key === rawKey) return record;",
    "const ok = presented !== stored;",
    "if (header == expected) {}",
    "return cache.get(rawKey);",
    "if (upstreamToken === other) throw x;",
    "const found = entries.has(token);",
  ];
  for (const line of bad) {
    const findings = auditSecretComparisons([{ path: "x.ts", text: line }], []);
    assert.equal(findings.length, 1, line);
  }
  const fine = [
    "if (header === null) throw unauthenticated();",
    "if (raw === null || raw.length !== 32) {}",
    "if (version !== SEAL_VERSION) return null;",
    "let entry = this.#entries.get(kvKey);",
    'if (lookup.status === "unknown") throw x; // rawKey === nothing',
    "const pattern = /key === token/;",
    'const text = "key === token";',
  ];
  for (const line of fine) {
    assert.deepEqual(auditSecretComparisons([{ path: "x.ts", text: line }], []), [], line);
  }
});

Deno.test("audit: codeOnly() blanks comments, strings and regular expressions, keeping lines", () => {
  const source = 'a = "k === t"; // x === y\nb = /x === y/.test(z);\n/* p === q */ c === d';
  const code = codeOnly(source);
  assert.equal(code.split("\n").length, 3);
  assert.equal((code.match(/===/g) ?? []).length, 1);
  assert.ok(code.includes("c === d"));
});

Deno.test("a key lookup reads KV by the key's SHA-256 only, and a malformed key not at all", async () => {
  const kv = new MemoryKv();
  const sealingKey = randomSealingKey();
  const { key } = await issueKey(kv, sealingKey, {
    name: "k",
    upstreamToken: "t0ken-value",
    pools: ["1"],
  });
  const reads: string[] = [];
  const recording: KvNamespace = {
    get: (name, options) => {
      reads.push(name);
      return kv.get(name, options);
    },
    put: (name, value, options) => kv.put(name, value, options),
    delete: (name) => kv.delete(name),
    list: (options) => kv.list(options),
  };
  const cache = new KeyCache({ ttlMs: 0 });
  assert.equal((await cache.lookup(recording, sealingKey, key)).status, "valid");
  assert.equal(
    (await cache.lookup(recording, sealingKey, `tae_${"z".repeat(32)}`)).status,
    "unknown",
  );
  assert.equal((await cache.lookup(recording, sealingKey, "not-a-key")).status, "unknown");
  assert.deepEqual(reads, [await kvKeyFor(key), await kvKeyFor(`tae_${"z".repeat(32)}`)]);
  for (const read of reads) {
    assert.match(read, /^key:[0-9a-f]{64}$/);
    assert.ok(!read.includes(key.slice(4)));
  }
});
