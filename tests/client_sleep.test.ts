import assert from "node:assert/strict";
import { TolokaApiError } from "../mod.ts";
import { clientFor, json, page, scripted, wire } from "./client_helpers.ts";

const ok = (): Response => page([wire("a")], false);
const fail = (status: number, headers: Record<string, string> = {}): Response =>
  json({ code: "X", message: `status ${status}` }, status, headers);

/** A `sleep` that records what it is asked and returns at once. */
function recorder(): {
  waits: number[];
  signals: AbortSignal[];
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
} {
  const waits: number[] = [];
  const signals: AbortSignal[] = [];
  return {
    waits,
    signals,
    sleep: (ms, signal) => {
      waits.push(ms);
      signals.push(signal);
      return Promise.resolve();
    },
  };
}

Deno.test("sleep is asked for every backoff wait, from the random source", async () => {
  const script = scripted(fail(500), fail(503), fail(502), ok());
  const { waits, sleep } = recorder();
  const client = clientFor(script, {
    retryDelayMs: 100,
    maxRetryDelayMs: 300,
    random: () => 0.5,
    sleep,
  });
  const result = await client.findAttachments({ pool_id: "1" });
  assert.equal(result.items[0]?.id, "a");
  // 75 of 100, 150 of 200, then capped: 225 of 300.
  assert.deepEqual(waits, [75, 150, 225]);
  assert.equal(script.requests.length, 4);
});

Deno.test("sleep is asked for a Retry-After exactly", async () => {
  const script = scripted(fail(429, { "retry-after": "2" }), ok());
  const { waits, sleep } = recorder();
  await clientFor(script, { maxRetryDelayMs: 5000, sleep }).findAttachments({ pool_id: "1" });
  assert.deepEqual(waits, [2000]);
});

Deno.test("sleep is not asked when nothing is retried", async () => {
  const { waits, sleep } = recorder();
  await clientFor(scripted(ok()), { sleep }).findAttachments({ pool_id: "1" });
  const error = await clientFor(scripted(fail(404)), { sleep }).findAttachments({ pool_id: "1" })
    .catch((e) => e);
  assert.ok(error instanceof TolokaApiError);
  assert.deepEqual(waits, []);
});

Deno.test("sleep gets the caller's signal, or one that never aborts", async () => {
  const { signals, sleep } = recorder();
  const controller = new AbortController();
  await clientFor(scripted(fail(500), ok()), { sleep }).findAttachments({ pool_id: "1" }, {
    signal: controller.signal,
  });
  await clientFor(scripted(fail(500), ok()), { sleep }).findAttachments({ pool_id: "1" });
  assert.equal(signals[0], controller.signal);
  assert.ok(signals[1] instanceof AbortSignal);
  assert.equal(signals[1]?.aborted, false);
});

Deno.test("a download's retries wait through sleep too", async () => {
  const script = scripted(fail(503), new Response("bytes"));
  const { waits, sleep } = recorder();
  const client = clientFor(script, { retryDelayMs: 10, random: () => 1, sleep });
  const download = await client.downloadAttachment("a");
  assert.equal(await new Response(download.body).text(), "bytes");
  assert.deepEqual(waits, [10]);
});

Deno.test("aborting ends a wait at once even if sleep ignores the signal", async () => {
  const script = scripted(fail(500), ok());
  const controller = new AbortController();
  let asked!: () => void;
  const sleeping = new Promise<void>((resolve) => asked = resolve);
  // Never resolves, never listens.
  const sleep = (): Promise<void> => {
    asked();
    return new Promise<void>(() => {});
  };
  const pending = clientFor(script, { sleep }).findAttachments({ pool_id: "1" }, {
    signal: controller.signal,
  });
  await sleeping;
  controller.abort("stop");
  await assert.rejects(pending, (error) => error === "stop");
  assert.equal(script.requests.length, 1);
});
