import assert from "node:assert/strict";
import { TolokaEmulator, type WireAttachment } from "@toloka-edge/attachments/testing";
import { apiUrl, AUTH, fail, list } from "./emulator_helpers.ts";

const emulator = new TolokaEmulator({ pools: [400], tokens: ["test-token", "second.token.xyz"] });
const first = emulator.attachments[0] as WireAttachment;

async function statusWith(
  authorization: string | undefined,
  url = apiUrl("attachments", "pool_id=1"),
): Promise<number> {
  const headers: Record<string, string> = authorization === undefined
    ? {}
    : { Authorization: authorization };
  const response = await emulator.fetch(url, { headers });
  await response.body?.cancel();
  return response.status;
}

Deno.test("OAuth, ApiKey and Bearer schemes with an accepted token are let in", async () => {
  for (const scheme of ["OAuth", "ApiKey", "Bearer"]) {
    assert.equal(await statusWith(`${scheme} test-token`), 200, scheme);
    assert.equal(await statusWith(`${scheme} second.token.xyz`), 200, scheme);
  }
});

Deno.test("auth schemes are case-insensitive", async () => {
  assert.equal(await statusWith("oauth test-token"), 200);
  assert.equal(await statusWith("APIKEY test-token"), 200);
  assert.equal(await statusWith("bearer test-token"), 200);
});

Deno.test("a missing Authorization header is 401 AUTHENTICATION_ERROR", async () => {
  const answer = await fail(emulator, apiUrl("attachments", "pool_id=1"), {});
  assert.equal(answer.status, 401);
  assert.equal(answer.body.code, "AUTHENTICATION_ERROR");
  assert.equal(answer.body.payload, null);
  assert.deepEqual(Object.keys(answer.body), ["request_id", "code", "message", "payload"]);
});

Deno.test("an unknown token is 401", async () => {
  assert.equal(await statusWith("OAuth wrong-token"), 401);
  assert.equal(await statusWith("OAuth test-token-2"), 401);
  assert.equal(await statusWith("OAuth "), 401);
  assert.equal(await statusWith("OAuth"), 401);
});

Deno.test("a wrong scheme is 401 even with an accepted token", async () => {
  assert.equal(await statusWith("Basic test-token"), 401);
  assert.equal(await statusWith("Token test-token"), 401);
  assert.equal(await statusWith("test-token"), 401);
  assert.equal(await statusWith(""), 401);
});

Deno.test("auth is checked before validation", async () => {
  const answer = await fail(emulator, apiUrl("attachments", "limit=0&foo=1"), {
    headers: { Authorization: "OAuth nope" },
  });
  assert.equal(answer.status, 401);
  assert.equal(answer.body.code, "AUTHENTICATION_ERROR");
});

Deno.test("auth is checked before looking an id up", async () => {
  assert.equal(await statusWith(undefined, apiUrl(`attachments/${first.id}`)), 401);
  assert.equal(await statusWith(undefined, apiUrl("attachments/unknown")), 401);
  assert.equal(await statusWith(undefined, apiUrl(`attachments/${first.id}/download`)), 401);
});

Deno.test("the tokens option replaces the default token", async () => {
  const custom = new TolokaEmulator({ pools: [1], tokens: ["only-this"] });
  const ok = await custom.fetch(apiUrl("attachments", "pool_id=1"), {
    headers: { Authorization: "ApiKey only-this" },
  });
  await ok.body?.cancel();
  assert.equal(ok.status, 200);
  const answer = await fail(custom, apiUrl("attachments", "pool_id=1"));
  assert.equal(answer.status, 401);
});

Deno.test("GET /attachments/{id} returns the wire object", async () => {
  const response = await emulator.fetch(apiUrl(`attachments/${first.id}`), { headers: AUTH });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.deepEqual(await response.json(), first);
});

Deno.test("GET /attachments/{id} finds ids with dots and percent-encoded ids", async () => {
  const prefixed = emulator.attachments.find((a) => a.id.startsWith("fr."));
  assert.ok(prefixed !== undefined, "the data has fr.-prefixed ids");
  for (
    const path of [prefixed.id, encodeURIComponent(prefixed.id), prefixed.id.replace(".", "%2E")]
  ) {
    const response = await emulator.fetch(apiUrl(`attachments/${path}`), { headers: AUTH });
    assert.equal(response.status, 200, path);
    assert.deepEqual(await response.json(), prefixed);
  }
});

Deno.test("an id needing escapes round-trips through decodeURIComponent", async () => {
  const odd = new TolokaEmulator({
    attachments: [{
      id: "a/b c%d",
      attachment_type: "ASSIGNMENT_ATTACHMENT",
      name: "n",
      details: { user_id: "u", assignment_id: "x", pool_id: "1" },
      created: "2024-01-01T00:00:00",
      media_type: "text/plain",
    }],
  });
  const response = await odd.fetch(apiUrl(`attachments/${encodeURIComponent("a/b c%d")}`), {
    headers: AUTH,
  });
  assert.equal(response.status, 200);
  assert.equal((await response.json()).id, "a/b c%d");
});

Deno.test("an unknown id is 404 DOES_NOT_EXIST", async () => {
  for (
    const path of ["attachments/unknown", "attachments/unknown/download", "attachments/%E0%A4%A"]
  ) {
    const answer = await fail(emulator, apiUrl(path));
    assert.equal(answer.status, 404, path);
    assert.equal(answer.body.code, "DOES_NOT_EXIST");
    assert.equal(answer.body.payload, null);
  }
});

Deno.test("an unknown path is 404 DOES_NOT_EXIST", async () => {
  for (
    const url of [
      "http://emulator/",
      "http://emulator/api/v1/attachments/",
      "http://emulator/api/v1/pools",
      "http://emulator/api/v2/attachments?pool_id=1",
      `http://emulator/api/v1/attachments/${first.id}/download/more`,
      `http://emulator/v1/attachments/${first.id}`,
    ]
  ) {
    const answer = await fail(emulator, url);
    assert.equal(answer.status, 404, url);
    assert.equal(answer.body.code, "DOES_NOT_EXIST");
  }
});

Deno.test("a method other than GET is 405 with an error body and Allow: GET", async () => {
  for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
    const response = await emulator.fetch(apiUrl("attachments", "pool_id=1"), {
      method,
      headers: AUTH,
    });
    assert.equal(response.status, 405, method);
    assert.equal(response.headers.get("allow"), "GET");
    const body = await response.json();
    assert.deepEqual(Object.keys(body), ["request_id", "code", "message", "payload"]);
  }
});

Deno.test("the API answers under any origin", async () => {
  for (const origin of ["https://toloka.dev", "https://sandbox.toloka.dev", "http://127.0.0.1:9"]) {
    const response = await emulator.fetch(`${origin}/api/v1/attachments/${first.id}`, {
      headers: AUTH,
    });
    assert.equal(response.status, 200, origin);
    await response.body?.cancel();
  }
});

Deno.test("fetch accepts a Request, a URL or a string", async () => {
  const url = apiUrl("attachments", "pool_id=1&limit=1");
  for (const input of [new Request(url, { headers: AUTH }), new URL(url), url]) {
    const response = input instanceof Request
      ? await emulator.fetch(input)
      : await emulator.fetch(input, { headers: AUTH });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).items.length, 1);
  }
  assert.equal((await list(emulator, "pool_id=1&limit=1")).items.length, 1);
});

Deno.test("handle() answers a Request directly", async () => {
  const response = await emulator.handle(
    new Request(apiUrl(`attachments/${first.id}`), { headers: AUTH }),
  );
  assert.deepEqual(await response.json(), first);
});

Deno.test("a hand-made media type that is no valid header value gives a 500, not a crash", async () => {
  const broken = new TolokaEmulator({
    attachments: [{
      id: "x",
      attachment_type: "ASSIGNMENT_ATTACHMENT",
      name: "x",
      details: { user_id: "u", assignment_id: "a", pool_id: "1" },
      created: "2024-01-01T00:00:00",
      media_type: "text/plain\r\nX-Injected: 1",
    }],
  });
  const answer = await fail(broken, apiUrl("attachments/x/download"));
  assert.equal(answer.status, 500);
  assert.equal(answer.body.code, "INTERNAL_ERROR");
});
