import assert from "node:assert/strict";
import { type FaultKind, TolokaEmulator } from "@toloka-edge/attachments/testing";
import { apiUrl, AUTH, readAll } from "./emulator_helpers.ts";
import { FakeTime } from "./fake_time.ts";

const LIST = apiUrl("attachments", "pool_id=1&sort=id&limit=50");

function withFaults(
  kinds: (FaultKind | null)[],
  extra: object = {},
  time?: FakeTime,
): TolokaEmulator {
  const faults = { script: kinds, ...extra };
  return new TolokaEmulator(
    time === undefined ? { pools: [60], faults } : { pools: [60], faults, sleep: time.sleep },
  );
}

async function statusOf(emulator: TolokaEmulator): Promise<number | "reset"> {
  try {
    const response = await emulator.fetch(LIST, { headers: AUTH });
    await response.body?.cancel();
    return response.status;
  } catch (error) {
    assert.ok(error instanceof TypeError);
    return "reset";
  }
}

Deno.test("fault 429 answers TOO_MANY_REQUESTS with Retry-After", async () => {
  const emulator = withFaults(["429"]);
  const response = await emulator.fetch(LIST, { headers: AUTH });
  assert.equal(response.status, 429);
  assert.equal(response.headers.get("retry-after"), "1");
  assert.equal(response.headers.get("content-type"), "application/json");
  const body = await response.json();
  assert.equal(body.code, "TOO_MANY_REQUESTS");
  assert.deepEqual(Object.keys(body), ["request_id", "code", "message", "payload"]);
});

Deno.test("fault 429 uses retryAfterSeconds, 0 included", async () => {
  for (const seconds of [0, 7]) {
    const emulator = withFaults(["429"], { retryAfterSeconds: seconds });
    const response = await emulator.fetch(LIST, { headers: AUTH });
    await response.body?.cancel();
    assert.equal(response.headers.get("retry-after"), String(seconds));
  }
});

Deno.test("fault 500 answers INTERNAL_ERROR as JSON", async () => {
  const response = await withFaults(["500"]).fetch(LIST, { headers: AUTH });
  assert.equal(response.status, 500);
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.equal((await response.json()).code, "INTERNAL_ERROR");
});

Deno.test("faults 502 and 503 answer an HTML gateway page", async () => {
  for (const kind of ["502", "503"] as const) {
    const response = await withFaults([kind]).fetch(LIST, { headers: AUTH });
    assert.equal(response.status, Number(kind));
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
    const html = await response.text();
    assert.match(html, new RegExp(`<title>${kind} `));
    assert.throws(() => JSON.parse(html), SyntaxError);
  }
});

Deno.test("fault reset rejects the promise with a TypeError, as fetch does", async () => {
  const emulator = withFaults(["reset"]);
  await assert.rejects(emulator.fetch(LIST, { headers: AUTH }), TypeError);
  assert.equal(emulator.requests[0]?.status, 0);
  assert.equal(emulator.requests[0]?.fault, "reset");
});

Deno.test("fault truncated sends a 200 whose body is the first half of the JSON", async () => {
  const emulator = withFaults(["truncated"]);
  const cut = await emulator.fetch(LIST, { headers: AUTH });
  assert.equal(cut.status, 200);
  const text = await cut.text();
  assert.equal(cut.headers.get("content-length"), String(new TextEncoder().encode(text).length));
  const whole = await (await emulator.fetch(LIST, { headers: AUTH })).text();
  assert.ok(text.length > 0 && text.length < whole.length);
  assert.ok(whole.startsWith(text.replace(/\uFFFD$/, "")));
  assert.throws(() => JSON.parse(text), SyntaxError);
});

Deno.test("fault truncated on a download sends half the bytes, then the body errors", async () => {
  const emulator = withFaults([]);
  const item = emulator.attachments.find((a) => emulator.bytesOf(a.id).length > 1000);
  assert.ok(item !== undefined);
  emulator.setFaults({ script: ["truncated"] });
  const response = await emulator.fetch(apiUrl(`attachments/${item.id}/download`), {
    headers: AUTH,
  });
  assert.equal(response.status, 200);
  const full = emulator.bytesOf(item.id);
  assert.equal(response.headers.get("content-length"), String(full.length));
  const { bytes, error } = await readAll(response.body as ReadableStream<Uint8Array>);
  assert.ok(error instanceof TypeError, "the body read fails like a network error");
  assert.deepEqual(bytes, full.subarray(0, Math.floor(full.length / 2)));
});

Deno.test("fault delay stalls delayMs then answers normally", async () => {
  const time = new FakeTime();
  const emulator = withFaults(["delay"], { delayMs: 40 }, time);
  let answered = false;
  const pending = emulator.fetch(LIST, { headers: AUTH }).finally(() => (answered = true));
  await time.asked(1);
  assert.deepEqual(time.waits, [40]);
  await time.tick(39);
  assert.equal(answered, false, "no answer before delayMs");
  await time.tick(1);
  assert.equal(answered, true, "the answer at delayMs");
  const response = await pending;
  assert.equal(response.status, 200);
  assert.equal((await response.json()).items.length, 50);
});

Deno.test("fault delay aborts at once when the request's signal aborts", async () => {
  const time = new FakeTime();
  const emulator = withFaults(["delay"], {}, time);
  const controller = new AbortController();
  const pending = emulator.fetch(LIST, { headers: AUTH, signal: controller.signal });
  await time.asked(1);
  assert.deepEqual(time.waits, [60_000], "the default delayMs");
  controller.abort();
  // Run on the clock: had the abort not ended the wait, the 60 s would pass.
  await assert.rejects(
    time.run(pending),
    (error: unknown) => error instanceof DOMException && error.name === "AbortError",
  );
  assert.equal(time.now, 0, "no time had to pass");
  assert.equal(time.pending, 0, "the wait ended with the abort");
  assert.equal(emulator.requests[0]?.status, 0);
});

Deno.test("an already aborted request is rejected with the signal's reason", async () => {
  const emulator = withFaults([]);
  const reason = new Error("gone");
  await assert.rejects(
    emulator.fetch(LIST, { headers: AUTH, signal: AbortSignal.abort(reason) }),
    (error) => error === reason,
  );
});

Deno.test("latencyMs delays every request", async () => {
  const time = new FakeTime();
  const emulator = new TolokaEmulator({ pools: [5], latencyMs: 30, sleep: time.sleep });
  let answered = false;
  const pending = emulator.fetch(LIST, { headers: AUTH }).finally(() => (answered = true));
  assert.deepEqual(time.waits, [30]);
  await time.tick(29);
  assert.equal(answered, false, "no answer before latencyMs");
  await time.tick(1);
  await (await pending).body?.cancel();
  emulator.latencyMs = 0;
  await (await emulator.fetch(LIST, { headers: AUTH })).body?.cancel();
  assert.deepEqual(time.waits, [30], "no wait at latencyMs 0");
});

Deno.test("latency is aborted by the request's signal", async () => {
  const time = new FakeTime();
  const emulator = new TolokaEmulator({ pools: [5], latencyMs: 60_000, sleep: time.sleep });
  const controller = new AbortController();
  const pending = emulator.fetch(LIST, { headers: AUTH, signal: controller.signal });
  assert.deepEqual(time.waits, [60_000]);
  controller.abort();
  await assert.rejects(
    time.run(pending),
    (error: unknown) => (error as Error).name === "AbortError",
  );
  assert.equal(time.now, 0, "no time had to pass");
});

Deno.test("latencyMs rejects a negative value", () => {
  const emulator = new TolokaEmulator({ pools: [1] });
  assert.throws(() => {
    emulator.latencyMs = -1;
  }, RangeError);
  assert.throws(() => new TolokaEmulator({ latencyMs: Number.NaN }), RangeError);
});

Deno.test("sleep must be a function", () => {
  assert.throws(
    () => new TolokaEmulator({ pools: [1], sleep: 5 as never }),
    (error: unknown) =>
      error instanceof TypeError &&
      error.message === "sleep must be a function: current value is 5",
  );
});

Deno.test("an aborted in-process download errors its body stream", async () => {
  const emulator = new TolokaEmulator({ pools: [60], maxFileSize: 1_000_000 });
  const item = emulator.attachments.find((a) => emulator.bytesOf(a.id).length > 200_000);
  assert.ok(item !== undefined);
  const controller = new AbortController();
  const response = await emulator.fetch(apiUrl(`attachments/${item.id}/download`), {
    headers: AUTH,
    signal: controller.signal,
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  await reader.read();
  controller.abort();
  await assert.rejects(reader.read(), (error: unknown) => (error as Error).name === "AbortError");
});

Deno.test("the script applies to the next requests in order, null meaning none", async () => {
  const emulator = withFaults(["500", null, "429", "reset", "503"]);
  const statuses = [];
  for (let i = 0; i < 7; i++) statuses.push(await statusOf(emulator));
  assert.deepEqual(statuses, [500, 200, 429, "reset", 503, 200, 200]);
  assert.deepEqual(emulator.requests.map((r) => r.fault), [
    "500",
    null,
    "429",
    "reset",
    "503",
    null,
    null,
  ]);
});

Deno.test("the script comes before the rate", async () => {
  const emulator = withFaults(["502"], { rate: 1, kinds: ["500"] });
  assert.deepEqual([await statusOf(emulator), await statusOf(emulator)], [502, 500]);
});

Deno.test("faults apply to every request, not only to valid ones", async () => {
  const emulator = withFaults(["503"]);
  const response = await emulator.fetch(apiUrl("nowhere"));
  await response.body?.cancel();
  assert.equal(response.status, 503);
});

async function faultSequence(seed: number, count: number): Promise<(FaultKind | null)[]> {
  const emulator = new TolokaEmulator({
    pools: [5],
    faults: { rate: 0.5, seed, kinds: ["429", "500", "502", "503", "reset", "truncated"] },
  });
  for (let i = 0; i < count; i++) await statusOf(emulator);
  return emulator.requests.map((r) => r.fault);
}

Deno.test("the fault rate is deterministic for a seed", async () => {
  const a = await faultSequence(42, 60);
  assert.deepEqual(await faultSequence(42, 60), a);
  assert.notDeepEqual(await faultSequence(43, 60), a);
  const faulted = a.filter((k) => k !== null).length;
  assert.ok(faulted > 15 && faulted < 45, `about half faulted, got ${faulted}`);
});

Deno.test("the fault rate picks only from kinds", async () => {
  const emulator = new TolokaEmulator({ pools: [5], faults: { rate: 1, kinds: ["429", "503"] } });
  for (let i = 0; i < 30; i++) await statusOf(emulator);
  assert.deepEqual(new Set(emulator.requests.map((r) => r.fault)), new Set(["429", "503"]));
});

Deno.test("rate 0 injects nothing and rate 1 faults every request", async () => {
  const none = new TolokaEmulator({ pools: [5], faults: { rate: 0 } });
  const all = new TolokaEmulator({ pools: [5], faults: { rate: 1, kinds: ["500"] } });
  for (let i = 0; i < 20; i++) {
    assert.equal(await statusOf(none), 200);
    assert.equal(await statusOf(all), 500);
  }
});

Deno.test("setFaults replaces the settings and setFaults() turns them off", async () => {
  const emulator = withFaults(["500", "500"]);
  assert.equal(await statusOf(emulator), 500);
  emulator.setFaults({ script: ["429"] });
  assert.equal(await statusOf(emulator), 429);
  assert.equal(await statusOf(emulator), 200);
  emulator.setFaults({ rate: 1, kinds: ["502"] });
  assert.equal(await statusOf(emulator), 502);
  emulator.setFaults();
  assert.equal(await statusOf(emulator), 200);
});

Deno.test("invalid fault settings throw, naming the field", () => {
  assert.throws(() => new TolokaEmulator({ faults: { rate: 1.5 } }), /faults\.rate/);
  assert.throws(() => new TolokaEmulator({ faults: { rate: -0.1 } }), RangeError);
  assert.throws(
    () => new TolokaEmulator({ faults: { kinds: ["404" as FaultKind] } }),
    (error) => error instanceof TypeError && /faults\.kinds\[0\]/.test(error.message),
  );
  assert.throws(
    () => new TolokaEmulator({ faults: { script: [null, "x" as FaultKind] } }),
    /script\[1\]/,
  );
  assert.throws(() => new TolokaEmulator({ faults: { rate: 0.5, kinds: [] } }), TypeError);
  assert.throws(() => new TolokaEmulator({ faults: { retryAfterSeconds: -1 } }), RangeError);
  assert.throws(() => new TolokaEmulator({ faults: { retryAfterSeconds: 1.5 } }), RangeError);
  assert.throws(() => new TolokaEmulator({ faults: { delayMs: -5 } }), RangeError);
  const emulator = new TolokaEmulator({ pools: [1] });
  assert.throws(() => emulator.setFaults({ rate: 2 }), RangeError);
});
