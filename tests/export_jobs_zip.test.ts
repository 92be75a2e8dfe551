/**
 * The ZIP records of export jobs, without a Worker: an archive assembled from them (the classic
 * end record, and the ZIP64 end records a job writes past 65,535 entries or 4 GiB) is read by
 * Python's `zipfile` and `unzip -t`; CRC-32 carried across chunks equals the CRC of the whole.
 */

import assert from "node:assert/strict";
import { centralHeader, crc32, endRecords, localHeader } from "../worker/exports/zip.ts";
import { parseRange } from "../worker/exports/routes.ts";
import { pythonZip, unzipTest } from "./export_harness.ts";

function archive(files: { name: string; data: Uint8Array }[], zip64: boolean): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const file of files) {
    const entry = {
      name: file.name,
      crc: crc32(file.data),
      size: file.data.length,
      offset,
      modified: new Date("2026-05-01T12:34:56Z"),
    };
    const header = localHeader(entry);
    chunks.push(header, file.data);
    central.push(centralHeader(entry, { zip64 }));
    offset += header.length + file.data.length;
  }
  const size = central.reduce((sum, chunk) => sum + chunk.length, 0);
  chunks.push(...central, endRecords({ entries: files.length, offset, size }, { zip64 }));
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

const encoder = new TextEncoder();
const FILES = [
  { name: "a1_photo.png", data: crypto.getRandomValues(new Uint8Array(5000)) },
  { name: "b2_фото 1.png", data: encoder.encode("hello") },
  { name: "c3_empty.txt", data: new Uint8Array(0) },
  { name: "manifest.ndjson", data: encoder.encode('{"id":"a1"}\n') },
];

for (const zip64 of [false, true]) {
  Deno.test(`ZIP records${zip64 ? " with ZIP64 end records" : ""} read back by zipfile and unzip -t`, async () => {
    const path = await Deno.makeTempFile({ suffix: ".zip" });
    try {
      await Deno.writeFile(path, archive(FILES, zip64));
      const read = await pythonZip(path);
      assert.equal(read.testzip, null);
      assert.equal(read.zip64, zip64);
      assert.deepEqual(read.names, FILES.map((file) => file.name));
      assert.deepEqual(read.sizes, FILES.map((file) => file.data.length));
      const unzip = await unzipTest(path);
      if (unzip !== null) assert.match(unzip, /No errors detected/);
    } finally {
      await Deno.remove(path);
    }
  });
}

Deno.test("crc32() carried from chunk to chunk equals the CRC of the whole", () => {
  const data = crypto.getRandomValues(new Uint8Array(10_000));
  let crc = 0;
  for (let at = 0; at < data.length; at += 777) crc = crc32(data.subarray(at, at + 777), crc);
  assert.equal(crc, crc32(data));
  assert.equal(crc32(encoder.encode("123456789")), 0xcbf43926);
});

Deno.test("parseRange() reads one range, clamps it, and refuses what starts past the end", () => {
  assert.deepEqual(parseRange("bytes=0-9", 100), { start: 0, end: 9 });
  assert.deepEqual(parseRange("bytes=90-", 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange("bytes=-10", 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange("bytes=50-500", 100), { start: 50, end: 99 });
  assert.equal(parseRange("bytes=100-", 100), "unsatisfiable");
  assert.equal(parseRange("bytes=0-1,5-6", 100), null);
  assert.equal(parseRange(null, 100), null);
});
