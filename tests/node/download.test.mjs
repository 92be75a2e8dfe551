/**
 * The core on Node: downloads over the emulator served on loopback match its bytes exactly, with
 * the names it sent; a reset before the headers is retried; a body cut mid-way errors when read.
 */

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { AttachmentsClient, clientOf, serve, TolokaEmulator } from "./harness.mjs";

const emulator = new TolokaEmulator({ pools: [600], maxFileSize: 200_000 });
let server;
before(async () => {
  server = await serve(emulator);
});
after(() => server.close());

const bytesOf = async (body) => new Uint8Array(await new Response(body).arrayBuffer());

test("downloads match the emulator byte for byte, with exact names (Node)", async () => {
  const client = clientOf(AttachmentsClient, server.baseUrl);
  const names = ["photo.png", "empty.txt", "фото 1.png", "😀 smile.png", "100%.txt"];
  const chosen = [
    ...names.map((name) => emulator.attachments.find((item) => item.name === name)),
    // The largest file of the pool, so the body spans many chunks.
    emulator.attachments.reduce((a, b) =>
      emulator.bytesOf(a.id).length >= emulator.bytesOf(b.id).length ? a : b
    ),
  ];
  for (const item of chosen) {
    assert.ok(item !== undefined);
    const download = await client.downloadAttachment(item.id);
    const bytes = await bytesOf(download.body);
    assert.deepEqual(bytes, emulator.bytesOf(item.id), item.name);
    assert.equal(download.size, bytes.length);
    assert.equal(download.fileName, item.name);
    assert.equal(download.mediaType, item.media_type);
  }
  assert.ok(emulator.bytesOf(chosen.at(-1).id).length > 64_000);
});

test("a download is retried on a reset and a 503 before the headers (Node)", async () => {
  const item = emulator.attachments.find((a) => a.name === "photo.png");
  emulator.setFaults({ script: ["reset", "503"] });
  emulator.clearRequests();
  try {
    const client = clientOf(AttachmentsClient, server.baseUrl);
    const download = await client.downloadAttachment(item.id);
    assert.deepEqual(await bytesOf(download.body), emulator.bytesOf(item.id));
    assert.deepEqual(emulator.requests.map((entry) => entry.fault), ["reset", "503", null]);
  } finally {
    emulator.setFaults(undefined);
  }
});

test("a download body cut by the server errors when read, and is not retried (Node)", async () => {
  const big = emulator.attachments.find((a) => emulator.bytesOf(a.id).length > 10_000);
  emulator.setFaults({ script: ["truncated"] });
  emulator.clearRequests();
  try {
    const client = clientOf(AttachmentsClient, server.baseUrl);
    const download = await client.downloadAttachment(big.id);
    assert.equal(download.size, emulator.bytesOf(big.id).length);
    await assert.rejects(bytesOf(download.body));
    assert.equal(emulator.requests.length, 1);
  } finally {
    emulator.setFaults(undefined);
  }
});
