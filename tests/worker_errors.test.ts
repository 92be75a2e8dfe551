/** `toEdgeError`: the one mapping from anything thrown to the status and body the caller sees. */

import assert from "node:assert/strict";
import {
  TolokaApiError,
  TolokaNetworkError,
  TolokaResponseError,
  TolokaTimeoutError,
} from "../mod.ts";
import { EdgeError, errorResponse, toEdgeError } from "../worker/errors.ts";

const api = (status: number, code: string, retryAfterMs?: number): TolokaApiError =>
  new TolokaApiError({ status, code, message: `upstream says ${code}`, retryAfterMs });

const mapped = (error: unknown): [number, string, Record<string, string>] => {
  const { error: edge } = toEdgeError(error);
  return [edge.status, edge.code, edge.headers];
};

Deno.test("toEdgeError() keeps an EdgeError as it is", () => {
  const error = new EdgeError(403, "ACCESS_DENIED", "no");
  assert.equal(toEdgeError(error).error, error);
  assert.equal(toEdgeError(error).reason, "ACCESS_DENIED");
});

Deno.test("toEdgeError() maps an upstream 404 to 404 DOES_NOT_EXIST", () => {
  assert.deepEqual(mapped(api(404, "DOES_NOT_EXIST")), [404, "DOES_NOT_EXIST", {}]);
});

Deno.test("toEdgeError() maps an upstream 401 (the sealed token rejected) to 502", () => {
  assert.deepEqual(mapped(api(401, "AUTHENTICATION_ERROR")), [
    502,
    "REMOTE_SERVICE_UNAVAILABLE",
    {},
  ]);
});

Deno.test("toEdgeError() maps an upstream 403 to 403 ACCESS_DENIED, which clients do not retry", () => {
  assert.deepEqual(mapped(api(403, "ACCESS_DENIED")), [403, "ACCESS_DENIED", {}]);
});

Deno.test("toEdgeError() maps an upstream 429 to 429 with the upstream's Retry-After", () => {
  assert.deepEqual(mapped(api(429, "TOO_MANY_REQUESTS", 45_000)), [429, "TOO_MANY_REQUESTS", {
    "Retry-After": "45",
  }]);
  assert.deepEqual(mapped(api(429, "TOO_MANY_REQUESTS", 1_500))[2], { "Retry-After": "2" });
  assert.deepEqual(mapped(api(429, "TOO_MANY_REQUESTS", 0))[2], { "Retry-After": "1" });
  assert.deepEqual(mapped(api(429, "TOO_MANY_REQUESTS"))[2], { "Retry-After": "1" });
});

Deno.test("toEdgeError() maps upstream 5xx, 400, timeouts, resets and bad bodies to 502", () => {
  for (
    const error of [
      api(500, "INTERNAL_ERROR"),
      api(503, "REMOTE_SERVICE_UNAVAILABLE"),
      api(400, "VALIDATION_ERROR"),
      new TolokaTimeoutError(10_000),
      new TolokaNetworkError("reset", new TypeError("reset")),
      new TolokaResponseError("not an attachment"),
    ]
  ) {
    assert.deepEqual(mapped(error), [502, "REMOTE_SERVICE_UNAVAILABLE", {}], error.name);
  }
});

Deno.test("toEdgeError() turns anything else into a generic 500 and keeps the reason for the log", () => {
  const { error, reason } = toEdgeError(new RangeError("secret internals"));
  assert.equal(error.status, 500);
  assert.equal(error.code, "INTERNAL_ERROR");
  assert.equal(error.message, "Internal error");
  assert.equal(reason, "RangeError: secret internals");
  assert.equal(toEdgeError("thrown string").error.status, 500);
});

Deno.test("errorResponse() writes Toloka's error body with the request id and the error's headers", async () => {
  const response = errorResponse(
    new EdgeError(400, "VALIDATION_ERROR", "Validation failed", {
      payload: { limit: { code: "INVALID_FORMAT", message: "bad" } },
      headers: { "X-Extra": "1" },
    }),
    "req-1",
  );
  assert.equal(response.status, 400);
  assert.equal(response.headers.get("Content-Type"), "application/json; charset=utf-8");
  assert.equal(response.headers.get("X-Extra"), "1");
  assert.equal(
    await response.text(),
    '{"request_id":"req-1","code":"VALIDATION_ERROR","message":"Validation failed","payload":{"limit":{"code":"INVALID_FORMAT","message":"bad"}}}',
  );
});
