/**
 * The core on Node: retries under the emulator's faults over loopback (429, 500, 502, 503,
 * connection resets, truncated bodies, stalls cut by `timeoutMs`), and no retry where one cannot
 * help (401).
 */

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  AttachmentsClient,
  clientOf,
  collect,
  expected,
  serve,
  TolokaApiError,
  TolokaEmulator,
  toWireAttachment,
} from "./harness.mjs";

const emulator = new TolokaEmulator({ pools: [600] });
let server;
before(async () => {
  server = await serve(emulator);
});
after(() => server.close());

test("each scripted fault is retried and the listing still comes out exact (Node)", async () => {
  const faults = ["429", "500", "502", "503", "reset", "truncated"];
  emulator.setFaults({ script: faults, retryAfterSeconds: 0 });
  emulator.clearRequests();
  try {
    const client = clientOf(AttachmentsClient, server.baseUrl, { retries: faults.length });
    const items = await collect(client.getAttachments({ pool_id: "1" }, { order: "created" }));
    assert.deepEqual(items.map(toWireAttachment), expected(emulator, "1", "created"));
    const log = emulator.requests;
    assert.deepEqual(log.slice(0, faults.length).map((entry) => entry.fault), faults);
    // Six failed attempts of page one, then the seven pages of 100 (the seventh one empty).
    assert.equal(log.length, faults.length + 7);
    assert.deepEqual(log.slice(0, 7).map((entry) => entry.params), Array(7).fill(log[0].params));
  } finally {
    emulator.setFaults(undefined);
  }
});

test("random faults on a fifth of the requests still give every item once, in order (Node)", async () => {
  emulator.setFaults({
    rate: 0.2,
    kinds: ["429", "500", "502", "503", "reset", "truncated"],
    retryAfterSeconds: 0,
    seed: 7,
  });
  emulator.clearRequests();
  try {
    const client = clientOf(AttachmentsClient, server.baseUrl, { retries: 8 });
    for (const order of ["-id", "-created"]) {
      const items = await collect(
        client.getAttachments({ pool_id: "1" }, { order, batchSize: 40 }),
      );
      assert.deepEqual(items.map(toWireAttachment), expected(emulator, "1", order), order);
    }
    assert.ok(emulator.requests.some((entry) => entry.fault !== null), "some faults were injected");
  } finally {
    emulator.setFaults(undefined);
  }
});

test("a stalled answer is cut by timeoutMs and retried (Node)", async () => {
  emulator.setFaults({ script: ["delay"], delayMs: 30_000 });
  emulator.clearRequests();
  try {
    const client = clientOf(AttachmentsClient, server.baseUrl, { timeoutMs: 300 });
    const started = performance.now();
    const page = await client.findAttachments({ pool_id: "1" }, { limit: 5 });
    assert.equal(page.items.length, 5);
    assert.ok(performance.now() - started < 10_000);
    assert.deepEqual(emulator.requests.map((entry) => entry.fault), ["delay", null]);
  } finally {
    emulator.setFaults(undefined);
  }
});

test("a 401 is not retried (Node)", async () => {
  emulator.clearRequests();
  const client = clientOf(AttachmentsClient, server.baseUrl, { token: "wrong-token" });
  await assert.rejects(client.findAttachments({ pool_id: "1" }), (error) => {
    assert.ok(error instanceof TolokaApiError);
    assert.equal(error.status, 401);
    assert.equal(error.code, "AUTHENTICATION_ERROR");
    return true;
  });
  assert.equal(emulator.requests.length, 1);
});
