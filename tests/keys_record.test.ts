/** `parseKeyRecord()`: the valibot check of a key record where KV hands it over. */

import assert from "node:assert/strict";
import { type KeyRecord, parseKeyRecord } from "../src/keys/mod.ts";

const RECORD: KeyRecord = {
  v: 2,
  name: "ci",
  pools: ["1", "2"],
  expires_at: "2030-01-01T00:00:00.000Z",
  upstream_token: "v2.aXY.ZGF0YQ",
  created_at: "2026-01-01T00:00:00.000Z",
};

Deno.test("parseKeyRecord() takes v2 and v1 records, pools and expiry null or set", () => {
  assert.deepEqual(parseKeyRecord(RECORD), RECORD);
  const v1 = { ...RECORD, v: 1, pools: null, expires_at: null };
  assert.deepEqual(parseKeyRecord(v1), v1);
  assert.deepEqual(parseKeyRecord(JSON.parse(JSON.stringify(RECORD))), RECORD);
});

Deno.test("parseKeyRecord() keeps fields it does not know, as they were stored", () => {
  const stored = JSON.parse(JSON.stringify({ ...RECORD, note: "added by hand" }));
  assert.deepEqual(parseKeyRecord(stored), { ...RECORD, note: "added by hand" });
});

Deno.test("parseKeyRecord() refuses what is not a record, field by field", () => {
  const broken: [string, unknown][] = [
    ["null", null],
    ["a string", JSON.stringify(RECORD)],
    ["an array", [RECORD]],
    ["version 3", { ...RECORD, v: 3 }],
    ["version as text", { ...RECORD, v: "2" }],
    ["no version", { ...RECORD, v: undefined }],
    ["a numeric name", { ...RECORD, name: 7 }],
    ["pools as text", { ...RECORD, pools: "1" }],
    ["a numeric pool", { ...RECORD, pools: ["1", 2] }],
    ["no pools", { ...RECORD, pools: undefined }],
    ["a numeric expiry", { ...RECORD, expires_at: 1893456000 }],
    ["no expiry field", { ...RECORD, expires_at: undefined }],
    ["no sealed token", { ...RECORD, upstream_token: undefined }],
    ["a null sealed token", { ...RECORD, upstream_token: null }],
    ["no creation time", { ...RECORD, created_at: undefined }],
  ];
  for (const [what, value] of broken) {
    // Through JSON, as KV returns it: an undefined field is a missing one.
    const stored = value === undefined ? value : JSON.parse(JSON.stringify(value));
    assert.equal(parseKeyRecord(stored), null, what);
  }
});

Deno.test("parseKeyRecord() of a record with a __proto__ field changes no prototype", () => {
  const stored = JSON.parse(`{"__proto__":{"polluted":true},${JSON.stringify(RECORD).slice(1)}`);
  const record = parseKeyRecord(stored);
  assert.ok(record !== null);
  assert.equal(Object.getPrototypeOf(record), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
