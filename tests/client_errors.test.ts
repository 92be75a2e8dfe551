import assert from "node:assert/strict";
import {
  TolokaApiError,
  TolokaError,
  TolokaNetworkError,
  TolokaResponseError,
  TolokaTimeoutError,
} from "../mod.ts";
import { clientFor, json, scripted } from "./client_helpers.ts";

Deno.test("a JSON error body becomes a TolokaApiError with its fields", async () => {
  const body = {
    request_id: "req-42",
    code: "VALIDATION_ERROR",
    message: "Validation failed",
    payload: { limit: { code: "VALUE_GREATER_THAN_MAX", message: "Max is 100" } },
  };
  const script = scripted(json(body, 400, { "x-request-id": "header-id" }));
  await assert.rejects(clientFor(script).findAttachments({ pool_id: "1" }), (error: unknown) => {
    assert.ok(error instanceof TolokaApiError);
    assert.ok(error instanceof TolokaError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, "TolokaApiError");
    assert.equal(error.status, 400);
    assert.equal(error.code, "VALIDATION_ERROR");
    assert.equal(error.message, "Validation failed");
    assert.equal(error.requestId, "req-42");
    assert.deepEqual(error.payload, body.payload);
    return true;
  });
});

Deno.test("a JSON error body without payload has payload null", async () => {
  const script = scripted(
    json({ request_id: "r", code: "DOES_NOT_EXIST", message: "Not found" }, 404),
  );
  await assert.rejects(clientFor(script).getAttachment("nope"), (error: unknown) => {
    assert.ok(error instanceof TolokaApiError);
    assert.equal(error.payload, null);
    assert.equal(error.code, "DOES_NOT_EXIST");
    return true;
  });
});

Deno.test("an HTML 502 becomes a TolokaApiError with a readable message", async () => {
  const html =
    "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>";
  const script = scripted(
    new Response(html, {
      status: 502,
      statusText: "Bad Gateway",
      headers: { "content-type": "text/html", "x-request-id": "gw-7" },
    }),
  );
  await assert.rejects(
    clientFor(script, { retries: 0 }).findAttachments({ pool_id: "1" }),
    (error: unknown) => {
      assert.ok(error instanceof TolokaApiError);
      assert.equal(error.status, 502);
      assert.equal(error.code, "HTTP_502");
      assert.equal(error.requestId, "gw-7");
      assert.equal(error.payload, null);
      assert.equal(
        error.message,
        "The Toloka API answered 502 Bad Gateway with a non-JSON body: 502 Bad Gateway 502 Bad Gateway nginx",
      );
      return true;
    },
  );
});

Deno.test("an empty error body becomes a TolokaApiError with Toloka's code for the status", async () => {
  const script = scripted(new Response(null, { status: 503 }));
  await assert.rejects(
    clientFor(script, { retries: 0 }).findAttachments({ pool_id: "1" }),
    (error: unknown) => {
      assert.ok(error instanceof TolokaApiError);
      assert.equal(error.status, 503);
      assert.equal(error.code, "REMOTE_SERVICE_UNAVAILABLE");
      assert.equal(error.requestId, undefined);
      assert.equal(error.message, "The Toloka API answered 503 with an empty body");
      return true;
    },
  );
});

Deno.test("an error body that is JSON but not Toloka's keeps the status", async () => {
  const script = scripted(json({ error: "teapot" }, 418));
  await assert.rejects(clientFor(script).findAttachments({ pool_id: "1" }), (error: unknown) => {
    assert.ok(error instanceof TolokaApiError);
    assert.equal(error.code, "HTTP_418");
    assert.equal(error.message, "The Toloka API answered 418");
    return true;
  });
});

const TOKEN = "AQAAAAAsuperSecretToken0123456789";

function assertNoToken(error: unknown): void {
  const texts = [
    String(error),
    (error as Error).message,
    (error as Error).stack ?? "",
    JSON.stringify(error),
    Deno.inspect(error, { depth: 10 }),
  ];
  for (const text of texts) assert.ok(!text.includes(TOKEN), `token leaked in: ${text}`);
}

Deno.test("the token appears in no error, even when the server echoes it", async () => {
  const echo = (request: Request): Response => {
    const header = request.headers.get("authorization") ?? "";
    return json({
      request_id: header,
      code: `BAD_${header}`,
      message: `Token ${header} rejected`,
      payload: { header, nested: [header, { [header]: header }] },
    }, 401);
  };
  const script = scripted(echo);
  const client = clientFor(script, { token: TOKEN });
  const error = await client.findAttachments({ pool_id: "1" }).catch((e) => e);
  assert.ok(error instanceof TolokaApiError);
  assert.equal(error.status, 401);
  assert.equal(error.message, "Token OAuth [redacted] rejected");
  assertNoToken(error);
  assert.equal(script.requests[0]!.headers.get("authorization"), `OAuth ${TOKEN}`);
});

Deno.test("the token appears in no network, timeout or response error", async () => {
  // deno-lint-ignore no-explicit-any
  const cases: [string, () => Promise<Response>, new (...args: any[]) => TolokaError][] = [
    [
      "network",
      () => Promise.reject(new TypeError(`connect failed for ${TOKEN}`)),
      TolokaNetworkError,
    ],
    ["response", () => Promise.resolve(new Response(`{"x": "${TOKEN}`)), TolokaResponseError],
    ["timeout", () => new Promise<Response>(() => {}), TolokaTimeoutError],
  ];
  for (const [name, reply, errorClass] of cases) {
    const client = clientFor(scripted(reply), { token: TOKEN, retries: 0, timeoutMs: 20 });
    const error = await client.findAttachments({ pool_id: "1" }).catch((e) => e);
    assert.ok(error instanceof errorClass, `${name}: ${error}`);
    assert.ok(!String(error.message).includes(TOKEN), name);
    assert.ok(!String(error.stack).includes(TOKEN), name);
    assert.ok(!JSON.stringify(error).includes(TOKEN), name);
  }
});

Deno.test("the token appears in no error of an explicit-scheme token", async () => {
  const echo = (request: Request): Response =>
    new Response(`<p>bad ${request.headers.get("authorization")}</p>`, { status: 403 });
  const client = clientFor(scripted(echo), { token: `Bearer ${TOKEN}` });
  const error = await client.findAttachments({ pool_id: "1" }).catch((e) => e);
  assert.ok(error instanceof TolokaApiError);
  assert.equal(error.code, "ACCESS_DENIED");
  assertNoToken(error);
});

Deno.test("a failing fetch becomes a TolokaNetworkError keeping the cause", async () => {
  const cause = new TypeError("connection refused");
  const script = scripted(cause);
  const error = await clientFor(script, { retries: 0 }).getAttachment("x").catch((e) => e);
  assert.ok(error instanceof TolokaNetworkError);
  assert.equal(error.cause, cause);
  assert.equal(error.message, "The Toloka API could not be reached: connection refused");
});
