/**
 * The bugs the reliability suite found in the Worker, each pinned by the request that showed it.
 */

import assert from "node:assert/strict";
import { assertError, edgeSuite } from "./edge_harness.ts";

edgeSuite(
  "reliability regressions: the Worker",
  { emulator: { pools: [30, 10] } },
  async (t, edge) => {
    const { key } = await edge.issue({ pools: ["1"] });

    await t.step(
      "a parameter named __proto__ is 400 UNKNOWN_PARAMETER, not silently dropped",
      async () => {
        for (const route of ["attachments", "attachments.ndjson", "attachments.csv"]) {
          edge.emulator.clearRequests();
          const answer = await edge.request(`/api/v1/${route}?pool_id=1&__proto__=x`, { key });
          const body = assertError(answer, 400, "VALIDATION_ERROR");
          assert.deepEqual(Object.keys(body.payload ?? {}), ["__proto__"]);
          assert.equal(body.payload?.["__proto__"]?.code, "UNKNOWN_PARAMETER");
          assert.deepEqual(edge.emulator.requests, []);
        }
      },
    );

    await t.step(
      "HEAD of a route that needs no key answers as GET does, without a body",
      async () => {
        for (
          const [path, status] of [["/health", 200], ["/", 200], ["/gallery.js", 200], [
            "/favicon.ico",
            204,
          ]] as const
        ) {
          const answer = await edge.request(path, { method: "HEAD" });
          assert.equal(answer.status, status, path);
          assert.equal(answer.text, "");
          assert.match(answer.headers.get("X-Request-Id") ?? "", /^[0-9a-f-]{36}$/);
        }
      },
    );

    await t.step(
      "HEAD of an API route is 405 with Allow: GET, before any upstream request",
      async () => {
        const id = edge.emulator.attachments[0]!.id;
        for (
          const path of [
            "/api/v1/attachments?pool_id=1",
            "/api/v1/attachments.ndjson?pool_id=1",
            `/api/v1/attachments/${id}`,
            `/api/v1/attachments/${id}/download`,
          ]
        ) {
          edge.emulator.clearRequests();
          const answer = await edge.request(path, { method: "HEAD", key });
          assert.equal(answer.status, 405, path);
          assert.equal(answer.headers.get("Allow"), "GET");
          assert.equal(answer.text, "");
          assert.deepEqual(edge.emulator.requests, []);
        }
      },
    );

    await t.step("HEAD of a path no route serves is still 404", async () => {
      const answer = await edge.request("/api/v2/attachments", { method: "HEAD" });
      assert.equal(answer.status, 404);
    });
  },
);
