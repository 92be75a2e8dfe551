import assert from "node:assert/strict";
import { TolokaEmulator, type WireAttachment } from "@toloka-edge/attachments/testing";
import { apiUrl, AUTH, named, poolOf, readAll } from "./emulator_helpers.ts";

const emulator = new TolokaEmulator();
const pool1 = poolOf(emulator, "1");

async function download(target: TolokaEmulator, id: string): Promise<Response> {
  const response = await target.fetch(apiUrl(`attachments/${encodeURIComponent(id)}/download`), {
    headers: AUTH,
  });
  assert.equal(response.status, 200);
  return response;
}

/** The exact name carried by `filename*=UTF-8''...` of a Content-Disposition value. */
function extendedFilename(disposition: string): string {
  const match = /;\s*filename\*=UTF-8''([^;\s]*)$/.exec(disposition);
  assert.ok(match !== null, disposition);
  assert.match(match[1] as string, /^[A-Za-z0-9!#$&+\-.^_`|~%]*$/, "only RFC 5987 attr-chars");
  return decodeURIComponent(match[1] as string);
}

/** The `filename="..."` fallback, unescaped. */
function fallbackFilename(disposition: string): string {
  const match = /^attachment; filename="((?:[^"\\]|\\.)*)"; filename\*=/.exec(disposition);
  assert.ok(match !== null, disposition);
  return (match[1] as string).replace(/\\(.)/g, "$1");
}

Deno.test("a download serves exactly bytesOf(id), for every media type", async () => {
  const byType = new Map<string, WireAttachment>();
  for (const a of pool1) if (!byType.has(a.media_type)) byType.set(a.media_type, a);
  assert.deepEqual([...byType.keys()].sort(), [
    "application/octet-stream",
    "application/pdf",
    "audio/mpeg",
    "image/png",
    "text/plain",
    "video/mp4",
  ]);
  for (const item of byType.values()) {
    const response = await download(emulator, item.id);
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), emulator.bytesOf(item.id));
  }
});

Deno.test("a download sends Content-Type = media_type and Content-Length = size", async () => {
  for (const item of pool1.slice(0, 40)) {
    const response = await download(emulator, item.id);
    const bytes = new Uint8Array(await response.arrayBuffer());
    assert.equal(response.headers.get("content-type"), item.media_type);
    assert.equal(response.headers.get("content-length"), String(bytes.length));
    assert.equal(bytes.length, emulator.bytesOf(item.id).length);
  }
});

Deno.test("the fixture files empty.txt and empty.bin are 0 bytes", async () => {
  for (const name of ["empty.txt", "empty.bin"]) {
    const item = named(emulator, name);
    const response = await download(emulator, item.id);
    assert.equal(response.headers.get("content-length"), "0");
    assert.equal((await response.arrayBuffer()).byteLength, 0);
    assert.equal(emulator.bytesOf(item.id).length, 0);
  }
});

Deno.test("non-image sizes stay within maxFileSize", () => {
  const small = new TolokaEmulator({ pools: [200], maxFileSize: 100 });
  for (const a of small.attachments) {
    if (a.media_type !== "image/png") assert.ok(small.bytesOf(a.id).length <= 100);
  }
});

Deno.test("a download body is a stream delivered in several chunks", async () => {
  const large = new TolokaEmulator({ pools: [60], maxFileSize: 200_000 });
  const item = large.attachments.find((a) =>
    a.media_type !== "image/png" && large.bytesOf(a.id).length > 100_000
  );
  assert.ok(item !== undefined);
  const response = await download(large, item.id);
  assert.ok(response.body instanceof ReadableStream);
  const { bytes, chunks, error } = await readAll(response.body);
  assert.equal(error, undefined);
  assert.ok(chunks > 1, `expected several chunks, got ${chunks}`);
  assert.deepEqual(bytes, large.bytesOf(item.id));
});

Deno.test("bytesOf() throws a RangeError for an unknown id", () => {
  assert.throws(() => emulator.bytesOf("no-such-id"), RangeError);
});

Deno.test("bytesOf() is deterministic for a seed and differs between seeds", () => {
  const again = new TolokaEmulator();
  for (const item of pool1.slice(0, 30)) {
    assert.deepEqual(again.bytesOf(item.id), emulator.bytesOf(item.id));
  }
  const other = new TolokaEmulator({ seed: 2, attachments: pool1.slice(0, 30) });
  const same = new TolokaEmulator({ seed: 1, attachments: pool1.slice(0, 30) });
  const differing = pool1.slice(0, 30).filter((item) =>
    other.bytesOf(item.id).join() !== same.bytesOf(item.id).join()
  );
  assert.ok(differing.length > 20);
});

Deno.test("Content-Disposition of an ASCII name is the name in both parameters", async () => {
  const item = named(emulator, "ExampleAttachment.txt");
  const response = await download(emulator, item.id);
  await response.body?.cancel();
  const disposition = response.headers.get("content-disposition");
  assert.equal(
    disposition,
    `attachment; filename="ExampleAttachment.txt"; filename*=UTF-8''ExampleAttachment.txt`,
  );
});

Deno.test("Content-Disposition of a non-ASCII name: '_' fallback, exact UTF-8 filename*", async () => {
  const item = named(emulator, "фото 1.png");
  const response = await download(emulator, item.id);
  await response.body?.cancel();
  const disposition = response.headers.get("content-disposition") ?? "";
  assert.equal(fallbackFilename(disposition), "____ 1.png");
  assert.equal(extendedFilename(disposition), "фото 1.png");
  assert.match(disposition, /filename\*=UTF-8''%D1%84%D0%BE%D1%82%D0%BE%201\.png$/);
});

Deno.test("Content-Disposition keeps a NUL in filename* and replaces it in the fallback", async () => {
  const item = named(emulator, "a\u0000b.txt");
  const response = await download(emulator, item.id);
  await response.body?.cancel();
  const disposition = response.headers.get("content-disposition") ?? "";
  assert.equal(disposition, `attachment; filename="a_b.txt"; filename*=UTF-8''a%00b.txt`);
  assert.equal(extendedFilename(disposition), "a\u0000b.txt");
});

Deno.test("Content-Disposition escapes quotes and drops backslashes in the fallback", async () => {
  const quoted = named(emulator, '"><script>alert(1)</script>');
  const a = await download(emulator, quoted.id);
  await a.body?.cancel();
  assert.equal(
    fallbackFilename(a.headers.get("content-disposition") ?? ""),
    '"><script>alert(1)</script>',
  );
  const windows = named(emulator, "C:\\Windows\\system32\\evil.dll");
  const b = await download(emulator, windows.id);
  await b.body?.cancel();
  assert.equal(
    fallbackFilename(b.headers.get("content-disposition") ?? ""),
    "C:_Windows_system32_evil.dll",
  );
});

Deno.test("filename* decodes back to the exact name of every attachment in pool 1", async () => {
  for (const item of pool1) {
    const response = await download(emulator, item.id);
    await response.body?.cancel();
    const disposition = response.headers.get("content-disposition") ?? "";
    assert.equal(extendedFilename(disposition), item.name, JSON.stringify(item.name));
    assert.match(
      fallbackFilename(disposition),
      /^[\x20-\x7e]*$/,
      "the fallback is printable ASCII",
    );
  }
});

Deno.test("an image download is a valid PNG: signature, IHDR, CRCs, stored zlib and Adler-32", async () => {
  const images = pool1.filter((a) => a.media_type === "image/png").slice(0, 20);
  for (const item of images) {
    const response = await download(emulator, item.id);
    const png = new Uint8Array(await response.arrayBuffer());
    const raw = await checkPng(png);
    assert.equal(raw.length, 48 * (1 + 48 * 3));
    const colours = new Set<number>();
    for (let y = 0; y < 48; y++) {
      assert.equal(raw[y * 145], 0, "filter type None");
      for (let x = 0; x < 48; x++) {
        const at = y * 145 + 1 + x * 3;
        colours.add(
          ((raw[at] as number) << 16) | ((raw[at + 1] as number) << 8) | (raw[at + 2] as number),
        );
      }
    }
    assert.ok(colours.size > 200, "a colourful picture");
  }
});

Deno.test("different images have different pixels", () => {
  const images = pool1.filter((a) => a.media_type === "image/png").slice(0, 10);
  const distinct = new Set(images.map((a) => emulator.bytesOf(a.id).join()));
  assert.equal(distinct.size, images.length);
});

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc(bytes: Uint8Array): number {
  let c = ~0;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

function adler(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return (b * 65536 + a) >>> 0;
}

/** Checks a PNG's structure and checksums; returns the inflated scanlines. */
async function checkPng(png: Uint8Array): Promise<Uint8Array> {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const types: string[] = [];
  const idat: Uint8Array[] = [];
  let at = 8;
  while (at < png.length) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    assert.equal(
      view.getUint32(at + 8 + length),
      crc(png.subarray(at + 4, at + 8 + length)),
      `${type} CRC`,
    );
    if (type === "IHDR") {
      assert.equal(length, 13);
      assert.deepEqual([view.getUint32(at + 8), view.getUint32(at + 12)], [48, 48]);
      assert.deepEqual([...data.subarray(8)], [8, 2, 0, 0, 0], "8-bit RGB, no interlace");
    }
    if (type === "IDAT") idat.push(data);
    types.push(type);
    at += 12 + length;
  }
  assert.equal(at, png.length);
  assert.equal(types[0], "IHDR");
  assert.equal(types[types.length - 1], "IEND");
  const zlib = new Uint8Array(idat.reduce((n, d) => n + d.length, 0));
  idat.reduce((offset, d) => (zlib.set(d, offset), offset + d.length), 0);
  assert.equal((zlib[0] as number) & 0x0f, 8, "deflate");
  assert.equal(((zlib[0] as number) * 256 + (zlib[1] as number)) % 31, 0, "zlib header check");
  // Walk the stored blocks by hand.
  const stored: number[] = [];
  let p = 2;
  let final = false;
  while (!final) {
    const header = zlib[p] as number;
    final = (header & 1) === 1;
    assert.equal((header >> 1) & 3, 0, "stored block");
    const length = (zlib[p + 1] as number) | ((zlib[p + 2] as number) << 8);
    const complement = (zlib[p + 3] as number) | ((zlib[p + 4] as number) << 8);
    assert.equal(length ^ 0xffff, complement, "LEN/NLEN");
    stored.push(...zlib.subarray(p + 5, p + 5 + length));
    p += 5 + length;
  }
  const raw = new Uint8Array(stored);
  const trailer = new DataView(zlib.buffer, zlib.byteOffset + p, 4).getUint32(0);
  assert.equal(trailer, adler(raw), "Adler-32");
  assert.equal(p + 4, zlib.length);
  // And a real inflater agrees.
  const inflated = new Uint8Array(
    await new Response(new Blob([zlib]).stream().pipeThrough(new DecompressionStream("deflate")))
      .arrayBuffer(),
  );
  assert.deepEqual(inflated, raw);
  return raw;
}
