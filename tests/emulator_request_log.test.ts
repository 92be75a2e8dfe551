import assert from "node:assert/strict";
import { TolokaEmulator } from "@toloka-edge/attachments/testing";
import { apiUrl } from "./emulator_helpers.ts";

const TOKEN = "very-secret-token-123";

async function send(emulator: TolokaEmulator, url: string, authorization?: string): Promise<void> {
  const headers: Record<string, string> = authorization === undefined
    ? {}
    : { Authorization: authorization };
  const response = await emulator.fetch(url, { headers });
  await response.body?.cancel();
}

Deno.test("the log records method, path, params in order, scheme, status and fault", async () => {
  const emulator = new TolokaEmulator({ pools: [5], tokens: [TOKEN] });
  await send(
    emulator,
    apiUrl("attachments", "pool_id=1&sort=-id&limit=2&sort=id"),
    `ApiKey ${TOKEN}`,
  );
  assert.deepEqual(emulator.requests, [{
    method: "GET",
    path: "/api/v1/attachments",
    params: [["pool_id", "1"], ["sort", "-id"], ["limit", "2"], ["sort", "id"]],
    scheme: "ApiKey",
    status: 400,
    fault: null,
  }]);
});

Deno.test("the log keeps the path as sent, percent-encoding included", async () => {
  const emulator = new TolokaEmulator({ pools: [1] });
  await send(emulator, apiUrl("attachments/fr%2Eabc/download"), "OAuth test-token");
  assert.equal(emulator.requests[0]?.path, "/api/v1/attachments/fr%2Eabc/download");
  assert.equal(emulator.requests[0]?.status, 404);
});

Deno.test("the scheme is null without a header and the word sent otherwise", async () => {
  const emulator = new TolokaEmulator({ pools: [1], tokens: [TOKEN] });
  const url = apiUrl("attachments", "pool_id=1");
  await send(emulator, url);
  await send(emulator, url, `Bearer ${TOKEN}`);
  await send(emulator, url, `Basic ${TOKEN}`);
  await send(emulator, url, `oauth ${TOKEN}`);
  assert.deepEqual(emulator.requests.map((r) => [r.scheme, r.status]), [
    [null, 401],
    ["Bearer", 200],
    ["Basic", 401],
    ["oauth", 200],
  ]);
});

Deno.test("the log never contains the token, however it was sent", async () => {
  const emulator = new TolokaEmulator({
    pools: [1],
    tokens: [TOKEN],
    faults: { script: ["500", "reset"] },
  });
  const url = apiUrl("attachments", "pool_id=1");
  for (
    const header of [
      `OAuth ${TOKEN}`,
      `OAuth ${TOKEN}`,
      TOKEN,
      `${TOKEN} ${TOKEN}`,
      `Bearer ${TOKEN}x`,
    ]
  ) {
    await send(emulator, url, header).catch(() => {});
  }
  assert.equal(emulator.requests.length, 5);
  assert.ok(!JSON.stringify(emulator.requests).includes(TOKEN));
  assert.equal(emulator.requests[2]?.scheme, "", "a bare token is not logged as a scheme");
});

Deno.test("requestLogLimit keeps only the newest entries", async () => {
  const emulator = new TolokaEmulator({ pools: [1], requestLogLimit: 3 });
  for (let i = 0; i < 2000; i++) {
    await send(emulator, apiUrl("attachments", `pool_id=${i}`), "OAuth test-token");
  }
  assert.deepEqual(emulator.requests.map((r) => r.params[0]?.[1]), ["1997", "1998", "1999"]);
});

Deno.test("requestLogLimit 0 keeps nothing", async () => {
  const emulator = new TolokaEmulator({ pools: [1], requestLogLimit: 0 });
  await send(emulator, apiUrl("attachments", "pool_id=1"), "OAuth test-token");
  assert.deepEqual(emulator.requests, []);
});

Deno.test("clearRequests empties the log", async () => {
  const emulator = new TolokaEmulator({ pools: [1] });
  await send(emulator, apiUrl("attachments", "pool_id=1"), "OAuth test-token");
  emulator.clearRequests();
  assert.deepEqual(emulator.requests, []);
  await send(emulator, apiUrl("attachments", "pool_id=1"), "OAuth test-token");
  assert.equal(emulator.requests.length, 1);
});

Deno.test("requests is a snapshot that callers cannot use to change the log", async () => {
  const emulator = new TolokaEmulator({ pools: [1] });
  await send(emulator, apiUrl("attachments", "pool_id=1"), "OAuth test-token");
  (emulator.requests as unknown[]).length = 0;
  assert.equal(emulator.requests.length, 1);
});

Deno.test("the log shows a pending request with status 0 until it is answered", async () => {
  const emulator = new TolokaEmulator({ pools: [1], latencyMs: 30 });
  const pending = send(emulator, apiUrl("attachments", "pool_id=1"), "OAuth test-token");
  assert.equal(emulator.requests[0]?.status, 0);
  await pending;
  assert.equal(emulator.requests[0]?.status, 200);
});
