import assert from "node:assert/strict";
import { TolokaEmulator, type WireAttachment } from "@toloka-edge/attachments/testing";
import { AUTH, named, readAll } from "./emulator_helpers.ts";
import { FakeTime } from "./fake_time.ts";

/** Fetches and reads the whole body; a network failure at any point comes back as `error`. */
async function fetchAll(
  url: string,
  init: RequestInit = { headers: AUTH },
): Promise<{ response?: Response; bytes?: Uint8Array; error?: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    return { error };
  }
  const { bytes, error } = await readAll(response.body as ReadableStream<Uint8Array>);
  return error === undefined ? { response, bytes } : { response, bytes, error };
}

const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

Deno.test("serve() listens on 127.0.0.1 and answers the API", async () => {
  const emulator = new TolokaEmulator({ pools: [30] });
  await using server = await emulator.serve();
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(server.baseUrl, `${server.url}/api/v1`);
  assert.equal(server.url, `http://127.0.0.1:${server.port}`);
  const { response, bytes } = await fetchAll(
    `${server.baseUrl}/attachments?pool_id=1&sort=id&limit=5`,
  );
  assert.equal(response?.status, 200);
  assert.equal(response?.headers.get("content-type"), "application/json");
  const page = JSON.parse(text(bytes));
  assert.equal(page.items.length, 5);
  assert.equal(page.has_more, true);
});

Deno.test("a served error has Toloka's body", async () => {
  const emulator = new TolokaEmulator({ pools: [3] });
  await using server = await emulator.serve();
  const { response, bytes } = await fetchAll(`${server.baseUrl}/attachments?limit=0`, {});
  assert.equal(response?.status, 401);
  assert.deepEqual(Object.keys(JSON.parse(text(bytes))), [
    "request_id",
    "code",
    "message",
    "payload",
  ]);
});

Deno.test("a served download is byte for byte with Content-Length and Content-Disposition", async () => {
  const emulator = new TolokaEmulator({ maxFileSize: 100_000 });
  await using server = await emulator.serve();
  const items = [
    named(emulator, "a\u0000b.txt"),
    named(emulator, "照片.png"),
    named(emulator, "empty.txt"),
    emulator.attachments.find((a) => emulator.bytesOf(a.id).length > 50_000) as WireAttachment,
  ];
  for (const item of items) {
    const url = `${server.baseUrl}/attachments/${encodeURIComponent(item.id)}/download`;
    const { response, bytes, error } = await fetchAll(url);
    assert.equal(error, undefined);
    const expected = emulator.bytesOf(item.id);
    assert.deepEqual(bytes, expected);
    assert.equal(response?.headers.get("content-length"), String(expected.length));
    assert.equal(response?.headers.get("content-type"), item.media_type);
    const disposition = response?.headers.get("content-disposition") ?? "";
    const encoded = /filename\*=UTF-8''(.*)$/.exec(disposition)?.[1] ?? "";
    assert.equal(decodeURIComponent(encoded), item.name);
  }
});

Deno.test("served fault 429 carries Retry-After and TOO_MANY_REQUESTS", async () => {
  const emulator = new TolokaEmulator({
    pools: [3],
    faults: { script: ["429"], retryAfterSeconds: 3 },
  });
  await using server = await emulator.serve();
  const { response, bytes } = await fetchAll(`${server.baseUrl}/attachments?pool_id=1`);
  assert.equal(response?.status, 429);
  assert.equal(response?.headers.get("retry-after"), "3");
  assert.equal(JSON.parse(text(bytes)).code, "TOO_MANY_REQUESTS");
});

Deno.test("served fault 500 is INTERNAL_ERROR JSON", async () => {
  const emulator = new TolokaEmulator({ pools: [3], faults: { script: ["500"] } });
  await using server = await emulator.serve();
  const { response, bytes } = await fetchAll(`${server.baseUrl}/attachments?pool_id=1`);
  assert.equal(response?.status, 500);
  assert.equal(JSON.parse(text(bytes)).code, "INTERNAL_ERROR");
});

Deno.test("served faults 502 and 503 are HTML pages", async () => {
  const emulator = new TolokaEmulator({ pools: [3], faults: { script: ["502", "503"] } });
  await using server = await emulator.serve();
  for (const status of [502, 503]) {
    const { response, bytes } = await fetchAll(`${server.baseUrl}/attachments?pool_id=1`);
    assert.equal(response?.status, status);
    assert.match(response?.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(text(bytes), /<html>/);
  }
});

Deno.test("served fault reset drops the connection: the client sees a network error", async () => {
  const emulator = new TolokaEmulator({ pools: [3], faults: { script: ["reset"] } });
  await using server = await emulator.serve();
  const { error, bytes } = await fetchAll(`${server.baseUrl}/attachments?pool_id=1`);
  assert.ok(error instanceof TypeError, `expected a network error, got ${error}`);
  assert.equal(bytes?.length ?? 0, 0);
  // The server keeps serving afterwards.
  const after = await fetchAll(`${server.baseUrl}/attachments?pool_id=1`);
  assert.equal(after.response?.status, 200);
});

Deno.test("served fault truncated sends a cut-off JSON body", async () => {
  const emulator = new TolokaEmulator({ pools: [30], faults: { script: ["truncated"] } });
  await using server = await emulator.serve();
  const url = `${server.baseUrl}/attachments?pool_id=1&limit=30`;
  const cut = await fetchAll(url);
  assert.equal(cut.response?.status, 200);
  assert.equal(cut.error, undefined);
  const whole = await fetchAll(url);
  assert.ok((cut.bytes?.length ?? 0) < (whole.bytes?.length ?? 0));
  assert.deepEqual(cut.bytes, whole.bytes?.subarray(0, cut.bytes?.length));
  assert.throws(() => JSON.parse(text(cut.bytes)), SyntaxError);
});

Deno.test("served fault truncated on a download fails the body read after half the bytes", async () => {
  const emulator = new TolokaEmulator({ pools: [30], maxFileSize: 100_000 });
  const item = emulator.attachments.find((a) => emulator.bytesOf(a.id).length > 40_000);
  assert.ok(item !== undefined);
  await using server = await emulator.serve();
  emulator.setFaults({ script: ["truncated"] });
  const { response, bytes, error } = await fetchAll(
    `${server.baseUrl}/attachments/${item.id}/download`,
  );
  assert.equal(response?.status, 200);
  assert.ok(error instanceof TypeError, `expected a network error, got ${error}`);
  const full = emulator.bytesOf(item.id);
  assert.ok((bytes?.length ?? 0) <= Math.floor(full.length / 2));
  assert.deepEqual(bytes, full.subarray(0, bytes?.length));
});

Deno.test("served fault delay answers normally after delayMs", async () => {
  const time = new FakeTime();
  const emulator = new TolokaEmulator({
    pools: [3],
    faults: { script: ["delay"], delayMs: 40 },
    sleep: time.sleep,
  });
  await using server = await emulator.serve();
  let answered = false;
  const pending = fetchAll(`${server.baseUrl}/attachments?pool_id=1`)
    .finally(() => (answered = true));
  await time.asked(1);
  assert.deepEqual(time.waits, [40]);
  await time.tick(39);
  assert.equal(answered, false, "no answer before delayMs");
  await time.tick(1);
  const { response } = await pending;
  assert.equal(response?.status, 200);
});

Deno.test("a client aborting a served delay returns at once, and close() ends the wait", async () => {
  const time = new FakeTime();
  const emulator = new TolokaEmulator({
    pools: [3],
    faults: { script: ["delay"] },
    sleep: time.sleep,
  });
  const server = await emulator.serve();
  const controller = new AbortController();
  const pending = fetch(`${server.baseUrl}/attachments?pool_id=1`, {
    headers: AUTH,
    signal: controller.signal,
  });
  await time.asked(1);
  assert.deepEqual(time.waits, [60_000], "the default delayMs");
  controller.abort();
  await assert.rejects(pending, (error: unknown) => (error as Error).name === "AbortError");
  const closing = server.close();
  assert.equal(time.pending, 0, "close() ends the 60 s wait");
  await closing;
});

Deno.test("close() drops a request still stalled by a delay", async () => {
  const time = new FakeTime();
  const emulator = new TolokaEmulator({
    pools: [3],
    faults: { script: ["delay"] },
    sleep: time.sleep,
  });
  const server = await emulator.serve();
  const pending = fetchAll(`${server.baseUrl}/attachments?pool_id=1`);
  await time.asked(1); // the request is stalled
  await server.close();
  const { error } = await pending;
  assert.ok(error instanceof TypeError, `expected a network error, got ${error}`);
});

Deno.test("served latency delays every request", async () => {
  const time = new FakeTime();
  const emulator = new TolokaEmulator({ pools: [3], latencyMs: 30, sleep: time.sleep });
  await using server = await emulator.serve();
  let answered = false;
  const pending = fetchAll(`${server.baseUrl}/attachments?pool_id=1`)
    .finally(() => (answered = true));
  await time.asked(1);
  assert.deepEqual(time.waits, [30]);
  await time.tick(29);
  assert.equal(answered, false, "no answer before latencyMs");
  await time.tick(1);
  assert.equal((await pending).response?.status, 200);
});

Deno.test("close() is idempotent and the port is released", async () => {
  const emulator = new TolokaEmulator({ pools: [3] });
  const server = await emulator.serve();
  await server.close();
  await server.close();
  await assert.rejects(fetch(`${server.baseUrl}/attachments?pool_id=1`), TypeError);
});

Deno.test("serve() takes a port", async () => {
  const emulator = new TolokaEmulator({ pools: [3] });
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  await using server = await emulator.serve({ port });
  assert.equal(server.port, port);
  assert.equal((await fetchAll(`${server.baseUrl}/attachments?pool_id=1`)).response?.status, 200);
});

Deno.test("aborting serve()'s signal closes the server", async () => {
  const emulator = new TolokaEmulator({ pools: [3] });
  const controller = new AbortController();
  const server = await emulator.serve({ signal: controller.signal });
  assert.equal((await fetchAll(`${server.baseUrl}/attachments?pool_id=1`)).response?.status, 200);
  controller.abort();
  await server.close();
  await assert.rejects(fetch(`${server.baseUrl}/attachments?pool_id=1`), TypeError);
});

Deno.test("the request log records served requests without the token", async () => {
  const emulator = new TolokaEmulator({ pools: [3], tokens: ["s3cr3t-served"] });
  await using server = await emulator.serve();
  await fetchAll(`${server.baseUrl}/attachments?pool_id=1&limit=2`, {
    headers: { Authorization: "Bearer s3cr3t-served" },
  });
  assert.deepEqual(emulator.requests, [{
    method: "GET",
    path: "/api/v1/attachments",
    params: [["pool_id", "1"], ["limit", "2"]],
    scheme: "Bearer",
    status: 200,
    fault: null,
  }]);
  assert.ok(!JSON.stringify(emulator.requests).includes("s3cr3t"));
});
