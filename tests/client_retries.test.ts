import assert from "node:assert/strict";
import { TolokaApiError, TolokaNetworkError, TolokaTimeoutError } from "../mod.ts";
import { backoffDelay, parseRetryAfter, retryDelay } from "../src/backoff.ts";
import { clientFor, deferred, json, page, scripted, wire } from "./client_helpers.ts";
import { FakeTime } from "./fake_time.ts";

const ok = (): Response => page([wire("a")], false);
const fail = (status: number, headers: Record<string, string> = {}): Response =>
  json({ request_id: "r", code: "X", message: `status ${status}`, payload: null }, status, headers);

for (const status of [408, 429, 500, 502, 503, 504]) {
  Deno.test(`a ${status} answer is retried`, async () => {
    const script = scripted(fail(status), fail(status), ok());
    const result = await clientFor(script).findAttachments({ pool_id: "1" });
    assert.equal(result.items[0]?.id, "a");
    assert.equal(script.requests.length, 3);
  });
}

for (const status of [400, 401, 403, 404, 409]) {
  Deno.test(`a ${status} answer is not retried`, async () => {
    const script = scripted(fail(status), ok());
    const error = await clientFor(script).findAttachments({ pool_id: "1" }).catch((e) => e);
    assert.ok(error instanceof TolokaApiError);
    assert.equal(error.status, status);
    assert.equal(script.requests.length, 1);
  });
}

Deno.test("a network error is retried", async () => {
  const script = scripted(new TypeError("reset"), ok());
  const result = await clientFor(script).findAttachments({ pool_id: "1" });
  assert.equal(result.items.length, 1);
  assert.equal(script.requests.length, 2);
});

Deno.test("a truncated 2xx JSON body is retried", async () => {
  const script = scripted(new Response('{"items": [{"id": "a", "crea'), ok());
  const result = await clientFor(script).findAttachments({ pool_id: "1" });
  assert.equal(result.items.length, 1);
  assert.equal(script.requests.length, 2);
});

Deno.test("a body that breaks off mid-stream is retried", async () => {
  const broken = new ReadableStream<Uint8Array>({
    start(controller): void {
      controller.enqueue(new TextEncoder().encode('{"items": ['));
      controller.error(new TypeError("connection reset"));
    },
  });
  const script = scripted(new Response(broken), ok());
  const result = await clientFor(script).findAttachments({ pool_id: "1" });
  assert.equal(result.items.length, 1);
  assert.equal(script.requests.length, 2);
});

Deno.test("each attempt sends a fresh Request", async () => {
  const script = scripted(fail(500), ok());
  await clientFor(script).findAttachments({ pool_id: "1" });
  assert.notEqual(script.requests[0], script.requests[1]);
  assert.equal(script.requests[0]!.url, script.requests[1]!.url);
});

Deno.test("retries stop after `retries` and the last error is thrown", async () => {
  const script = scripted(() => fail(503));
  const error = await clientFor(script, { retries: 2 }).findAttachments({ pool_id: "1" })
    .catch((e) => e);
  assert.ok(error instanceof TolokaApiError);
  assert.equal(error.status, 503);
  assert.equal(script.requests.length, 3);
});

Deno.test("retries: 0 sends a single attempt", async () => {
  const script = scripted(() => fail(500));
  await assert.rejects(clientFor(script, { retries: 0 }).getAttachment("a"), TolokaApiError);
  assert.equal(script.requests.length, 1);
});

Deno.test("the network error is thrown once retries are exhausted", async () => {
  const script = scripted(new TypeError("a"), new TypeError("b"));
  const error = await clientFor(script, { retries: 1 }).getAttachment("x").catch((e) => e);
  assert.ok(error instanceof TolokaNetworkError);
  assert.equal((error.cause as Error).message, "b");
});

Deno.test("Retry-After in seconds sets the wait before the retry", async () => {
  const time = new FakeTime();
  const script = scripted(fail(429, { "retry-after": "0" }), ok());
  // A backoff of 5 to 10 s would show if Retry-After: 0 were ignored.
  const client = clientFor(script, {
    retryDelayMs: 10_000,
    maxRetryDelayMs: 10_000,
    sleep: time.sleep,
  });
  await time.run(client.findAttachments({ pool_id: "1" }));
  assert.equal(script.requests.length, 2);
  assert.deepEqual(time.waits, [0]);
});

Deno.test("a Retry-After longer than maxRetryDelayMs is not waited for", async () => {
  const script = scripted(fail(429, { "retry-after": "120" }), ok());
  const error = await clientFor(script, { maxRetryDelayMs: 1000 }).findAttachments({ pool_id: "1" })
    .catch((e) => e);
  assert.ok(error instanceof TolokaApiError);
  assert.equal(error.status, 429);
  assert.equal(error.retryAfterMs, 120_000);
  assert.equal(script.requests.length, 1);
});

Deno.test("timeoutMs cancels a slow attempt, which is retried", async () => {
  const time = new FakeTime();
  let firstSignal: AbortSignal | undefined;
  const script = scripted(
    (request) => {
      firstSignal = request.signal;
      return new Promise<Response>(() => {}); // never answers
    },
    () => ok(),
  );
  const client = clientFor(script, {
    timeoutMs: 30,
    retryDelayMs: 100,
    maxRetryDelayMs: 1000,
    random: () => 0,
    sleep: time.sleep,
  });
  const result = await time.run(client.findAttachments({ pool_id: "1" }));
  assert.equal(result.items.length, 1);
  assert.equal(script.requests.length, 2);
  assert.equal(firstSignal?.aborted, true, "the slow request's signal was aborted");
  assert.deepEqual(time.waits, [50], "then the usual backoff: half of retryDelayMs at random 0");
});

Deno.test("a timeout on the last attempt is a TolokaTimeoutError", async () => {
  const script = scripted(() => new Promise<Response>(() => {}));
  const error = await clientFor(script, { timeoutMs: 20, retries: 1 }).getAttachment("x")
    .catch((e) => e);
  assert.ok(error instanceof TolokaTimeoutError);
  assert.equal(error.timeoutMs, 20);
  assert.equal(script.requests.length, 2);
});

Deno.test("timeoutMs also covers a body that stalls", async () => {
  const stalled = new ReadableStream<Uint8Array>({
    start(controller): void {
      controller.enqueue(new TextEncoder().encode('{"items": ['));
    },
  });
  const script = scripted(new Response(stalled));
  const error = await clientFor(script, { timeoutMs: 20, retries: 0 })
    .findAttachments({ pool_id: "1" }).catch((e) => e);
  assert.ok(error instanceof TolokaTimeoutError, String(error));
  await stalled.cancel().catch(() => {});
});

Deno.test("aborting the signal during a request rejects at once with its reason", async () => {
  const arrived = deferred();
  let seen: AbortSignal | undefined;
  const script = scripted((request) => {
    seen = request.signal;
    arrived.resolve();
    return new Promise<Response>(() => {}); // a handler that ignores the abort
  });
  const controller = new AbortController();
  const reason = new Error("user cancelled");
  const pending = clientFor(script).findAttachments({ pool_id: "1" }, {
    signal: controller.signal,
  });
  await arrived.promise;
  controller.abort(reason);
  await assert.rejects(pending, (error) => error === reason);
  assert.equal(seen?.aborted, true);
  assert.equal(script.requests.length, 1);
});

Deno.test("aborting the signal during a backoff wait rejects at once, with no more requests", async () => {
  const time = new FakeTime();
  const script = scripted(() => fail(503));
  const controller = new AbortController();
  const client = clientFor(script, {
    retryDelayMs: 60_000,
    maxRetryDelayMs: 60_000,
    random: () => 0,
    sleep: time.sleep,
  });
  const pending = client.getAttachment("x", { signal: controller.signal });
  await time.asked(1);
  assert.deepEqual(time.waits, [30_000]);
  assert.equal(script.requests.length, 1);
  controller.abort(new DOMException("stop", "AbortError"));
  // Run on the clock: had the abort not ended the wait, the 30 s would pass.
  await assert.rejects(
    time.run(pending),
    (error: unknown) => (error as DOMException).name === "AbortError",
  );
  assert.equal(time.now, 0, "no time had to pass");
  assert.equal(time.pending, 0, "the wait ended with the abort");
  assert.equal(script.requests.length, 1);
});

Deno.test("aborting the signal during a Retry-After wait rejects at once", async () => {
  const time = new FakeTime();
  const script = scripted(() => fail(429, { "retry-after": "10" }));
  const controller = new AbortController();
  const pending = clientFor(script, { maxRetryDelayMs: 60_000, sleep: time.sleep })
    .findAttachments({ pool_id: "1" }, { signal: controller.signal });
  await time.asked(1);
  assert.deepEqual(time.waits, [10_000]);
  controller.abort("bye");
  await assert.rejects(time.run(pending), (error) => error === "bye");
  assert.equal(time.now, 0, "no time had to pass");
  assert.equal(script.requests.length, 1);
});

Deno.test("an already aborted signal sends nothing", async () => {
  const script = scripted(ok());
  const reason = new Error("already");
  await assert.rejects(
    clientFor(script).findAttachments({ pool_id: "1" }, { signal: AbortSignal.abort(reason) }),
    (error) => error === reason,
  );
  assert.equal(script.requests.length, 0);
});

// ---- the pure maths ----

Deno.test("backoffDelay() doubles per retry, with jitter between half and all", () => {
  const options = (random: number) => ({
    retryDelayMs: 100,
    maxRetryDelayMs: 10_000,
    random: () => random,
  });
  assert.deepEqual([0, 1, 2, 3].map((n) => backoffDelay(n, options(0))), [50, 100, 200, 400]);
  assert.deepEqual([0, 1, 2, 3].map((n) => backoffDelay(n, options(0.5))), [75, 150, 300, 600]);
  assert.deepEqual(
    [0, 1, 2, 3].map((n) => backoffDelay(n, options(0.999999))),
    [100, 200, 400, 800],
  );
});

Deno.test("backoffDelay() is capped by maxRetryDelayMs", () => {
  const options = { retryDelayMs: 500, maxRetryDelayMs: 3000, random: () => 1 };
  assert.equal(backoffDelay(10, options), 3000);
  assert.equal(backoffDelay(1000, options), 3000);
  assert.equal(backoffDelay(10, { ...options, random: () => 0 }), 1500);
});

Deno.test("parseRetryAfter() reads delay-seconds", () => {
  assert.equal(parseRetryAfter("0", 0), 0);
  assert.equal(parseRetryAfter("5", 0), 5000);
  assert.equal(parseRetryAfter(" 120 ", 0), 120_000);
  assert.equal(parseRetryAfter(null, 0), undefined);
  assert.equal(parseRetryAfter("", 0), undefined);
  assert.equal(parseRetryAfter("-1", 0), undefined);
  assert.equal(parseRetryAfter("1.5", 0), undefined);
  assert.equal(parseRetryAfter("soon", 0), undefined);
});

Deno.test("parseRetryAfter() reads an HTTP date relative to now", () => {
  const now = Date.UTC(2015, 9, 21, 7, 28, 0);
  assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now), 30_000);
  assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now), 0);
  assert.equal(parseRetryAfter("Wed, 99 Oct 2015 07:27:00 GMT", now), undefined);
});

Deno.test("retryDelay() honours Retry-After within the cap, else gives up", () => {
  const options = { retryDelayMs: 100, maxRetryDelayMs: 5000, random: () => 0 };
  assert.equal(retryDelay(3, 2000, options), 2000);
  assert.equal(retryDelay(3, 0, options), 0);
  assert.equal(retryDelay(3, 5001, options), undefined);
  assert.equal(retryDelay(1, undefined, options), 100);
});

Deno.test("the client waits the backoff its random source gives", async () => {
  const time = new FakeTime();
  const script = scripted(() => fail(500), () => fail(500), () => ok());
  const client = clientFor(script, {
    retryDelayMs: 40,
    maxRetryDelayMs: 1000,
    random: () => 0,
    sleep: time.sleep,
  });
  await time.run(client.findAttachments({ pool_id: "1" }));
  // random 0: 20 ms, then 40 ms.
  assert.deepEqual(time.waits, [20, 40]);
  assert.equal(time.now, 60);
  assert.equal(script.requests.length, 3);
});
