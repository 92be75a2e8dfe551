/**
 * A `CORS_ORIGINS` holding `*`, `null` or anything that is not an origin is refused: every request
 * (`/health` included) answers 500 `INTERNAL_ERROR`, and each log line says why.
 */

import assert from "node:assert/strict";
import { allowedOrigins } from "../worker/cors.ts";
import { assertError, edgeSuite } from "./edge_harness.ts";

Deno.test("allowedOrigins() accepts origins as browsers send them, and nothing empty", () => {
  assert.deepEqual(
    [...allowedOrigins(" https://app.example, http://127.0.0.1:8787 ,,https://admin.example:8443")],
    ["https://app.example", "http://127.0.0.1:8787", "https://admin.example:8443"],
  );
  assert.deepEqual([...allowedOrigins("")], []);
  assert.deepEqual([...allowedOrigins(undefined)], []);
  assert.deepEqual([...allowedOrigins(" , ")], []);
});

Deno.test("allowedOrigins() refuses *, null and what no browser sends as an origin, naming each", () => {
  for (
    const bad of [
      "*",
      "null",
      "NULL",
      "https://*.example",
      "https://app.example/",
      "https://app.example/path",
      "https://App.example",
      "https://app.example:443",
      "app.example",
      "file://",
      "ftp://app.example",
      "https://user@app.example",
    ]
  ) {
    assert.throws(() => allowedOrigins(`https://ok.example,${bad}`), {
      message:
        `CORS_ORIGINS must list origins such as https://app.example (scheme, host and port only; never * or null): current value has ${
          JSON.stringify(bad)
        }`,
    }, bad);
  }
  assert.throws(() => allowedOrigins("*, null"), { message: /current value has "\*", "null"$/ });
});

edgeSuite(
  "Worker: CORS_ORIGINS with * and null refused",
  { emulator: { pools: [5] }, corsOrigins: "https://app.example, *, null" },
  async (t, edge) => {
    const { key } = await edge.issue();
    const requests: [string, RequestInit & { key?: string }][] = [
      ["/health", {}],
      ["/health", { method: "HEAD" }],
      ["/api/v1/attachments?pool_id=1", { key, headers: { Origin: "https://app.example" } }],
      ["/api/v1/attachments?pool_id=1", { key, headers: { Origin: "null" } }],
      [
        "/api/v1/attachments?pool_id=1",
        {
          method: "OPTIONS",
          headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "GET" },
        },
      ],
      ["/", {}],
      ["/nowhere", {}],
    ];
    for (const [path, init] of requests) {
      await t.step(
        `${
          init.method ?? "GET"
        } ${path} is 500 INTERNAL_ERROR, no CORS header, the reason in the log`,
        async () => {
          edge.emulator.clearRequests();
          const answer = await edge.request(path, init);
          assert.equal(answer.status, 500);
          const id = answer.headers.get("X-Request-Id")!;
          if (init.method !== "HEAD") {
            const body = assertError(answer, 500, "INTERNAL_ERROR");
            assert.equal(body.message, "Internal error");
          }
          assert.deepEqual(
            [...answer.headers.keys()].filter((name) => name.startsWith("access-control-")),
            [],
          );
          assert.deepEqual(edge.emulator.requests, []);
          const line = await edge.logLine(id);
          assert.match(String(line.failure), /CORS_ORIGINS must list origins .*"\*", "null"/);
        },
      );
    }
  },
);
