/**
 * The core on Node: the parallel scan (`concurrency`) over the emulator served on loopback
 * yields every attachment once, in order, and really has several requests in flight.
 */

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  AttachmentsClient,
  clientOf,
  collect,
  expected,
  serve,
  SORTS,
  TolokaEmulator,
  toWireAttachment,
} from "./harness.mjs";

// Pool 1 (600, with the tie run) and pool 2 (2,000); 20 ms per request, so that lanes overlap
// even on a busy machine.
const emulator = new TolokaEmulator({ pools: [600, 2_000], latencyMs: 20 });
let server;
before(async () => {
  server = await serve(emulator);
});
after(() => server.close());

for (const order of Object.keys(SORTS)) {
  test(`concurrency: 8 yields each item once in order ${order}, ties included (Node)`, async () => {
    const client = clientOf(AttachmentsClient, server.baseUrl);
    for (const pool of ["1", "2"]) {
      server.resetInFlight();
      const items = await collect(
        client.getAttachments({ pool_id: pool }, { order, concurrency: 8, batchSize: 50 }),
      );
      assert.deepEqual(items.map(toWireAttachment), expected(emulator, pool, order), pool);
      // Pool 1 splits into fewer parts than there are lanes.
      const least = pool === "1" ? 2 : 4;
      assert.ok(server.maxInFlight >= least, `at most ${server.maxInFlight} requests in flight`);
    }
  });
}

test("one lane has at most one request in flight (the prefetch), for contrast (Node)", async () => {
  const client = clientOf(AttachmentsClient, server.baseUrl);
  server.resetInFlight();
  const items = await collect(client.getAttachments({ pool_id: "2" }, { batchSize: 100 }));
  assert.equal(items.length, 2_000);
  assert.equal(server.maxInFlight, 1);
});

test("leaving a parallel scan early stops its requests (Node)", async () => {
  // Counted where the client sends them: a request already on the wire when the loop ends may
  // still reach the server a little later, but no new one may be sent.
  let sent = 0;
  const client = clientOf(AttachmentsClient, server.baseUrl, {
    fetch: (request) => {
      sent++;
      return fetch(request);
    },
  });
  emulator.clearRequests();
  let seen = 0;
  // 2,000 items by 20: a whole scan takes more than 100 requests.
  const options = { concurrency: 8, batchSize: 20 };
  for await (const _item of client.getAttachments({ pool_id: "2" }, options)) {
    if (++seen === 50) break;
  }
  const sentAtBreak = sent;
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(sent, sentAtBreak);
  assert.ok(sent < 50, `${sent} requests for 50 items`);
  for (let waited = 0; server.inFlight > 0 && waited < 2_000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(server.inFlight, 0);
  assert.ok(emulator.requests.length <= sent);
});
