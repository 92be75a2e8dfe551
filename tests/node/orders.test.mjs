/**
 * The core on Node: `getAttachments()` over the emulator served on loopback yields pool 1 (600
 * attachments: a run of 150 identical `created` instants written four ways, microsecond
 * neighbours) exactly as a brute-force sort of the emulator's data, in each of the four orders.
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
  TolokaApiError,
  TolokaEmulator,
  toWireAttachment,
} from "./harness.mjs";

const emulator = new TolokaEmulator();
let server;
before(async () => {
  server = await serve(emulator);
});
after(() => server.close());

for (const order of Object.keys(SORTS)) {
  test(`getAttachments() in order ${order} matches a brute-force sort (Node, loopback)`, async () => {
    const client = clientOf(AttachmentsClient, server.baseUrl);
    for (const batchSize of [13, 100]) {
      emulator.clearRequests();
      const items = await collect(client.getAttachments({ pool_id: "1" }, { order, batchSize }));
      assert.equal(items.length, 600);
      assert.deepEqual(items.map(toWireAttachment), expected(emulator, "1", order));
      assert.ok(items.every((item) => item.created instanceof Date));
      for (const entry of emulator.requests) {
        assert.equal(entry.status, 200);
        assert.deepEqual(entry.params.filter(([name]) => name === "limit"), [
          ["limit", String(batchSize)],
        ]);
      }
    }
  });
}

test("findAttachments() sends the API's own parameters and returns one page (Node)", async () => {
  const client = clientOf(AttachmentsClient, server.baseUrl);
  emulator.clearRequests();
  const page = await client.findAttachments({ pool_id: "2" }, {
    sort: ["-created", "-id"],
    limit: 10,
  });
  assert.equal(page.items.length, 10);
  assert.equal(page.has_more, true);
  assert.deepEqual(
    page.items.map((item) => item.id),
    expected(emulator, "2", "-created").slice(0, 10).map((item) => item.id),
  );
  assert.deepEqual(emulator.requests.map((entry) => entry.params), [
    [["pool_id", "2"], ["sort", "-created,-id"], ["limit", "10"]],
  ]);
});

test("an unknown id is a TolokaApiError with the API's code (Node)", async () => {
  const client = clientOf(AttachmentsClient, server.baseUrl);
  await assert.rejects(client.getAttachment("no-such-id"), (error) => {
    assert.ok(error instanceof TolokaApiError);
    assert.equal(error.status, 404);
    assert.equal(error.code, "DOES_NOT_EXIST");
    return true;
  });
});
