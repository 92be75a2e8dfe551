/** CORS for the origins in `CORS_ORIGINS` only. (With it empty: see worker_auth.test.ts.) */

import assert from "node:assert/strict";
import { assertError, type EdgeAnswer, edgeSuite } from "./edge_harness.ts";

const ALLOWED = "https://app.example";
const ALSO_ALLOWED = "https://admin.example:8443";
const OTHER = "https://evil.example";
const LIST = "/api/v1/attachments?pool_id=1&limit=2";

function corsHeaders(answer: EdgeAnswer): Record<string, string> {
  return Object.fromEntries(
    [...answer.headers].filter(([name]) => name.startsWith("access-control-")),
  );
}

edgeSuite(
  "Worker: CORS",
  { emulator: { pools: [10] }, corsOrigins: ` ${ALLOWED}, ${ALSO_ALLOWED} ,` },
  async (t, edge) => {
    const { key } = await edge.issue();
    const preflight = (origin: string): Promise<EdgeAnswer> =>
      edge.request(LIST, {
        method: "OPTIONS",
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "GET",
          "Access-Control-Request-Headers": "authorization",
        },
      });

    await t.step(
      "a preflight from an allowed origin gets Allow-Origin, -Methods, -Headers",
      async () => {
        for (const origin of [ALLOWED, ALSO_ALLOWED]) {
          edge.emulator.clearRequests();
          const answer = await preflight(origin);
          assert.equal(answer.status, 204);
          assert.equal(answer.text, "");
          assert.deepEqual(corsHeaders(answer), {
            "access-control-allow-headers": "Authorization",
            "access-control-allow-methods": "GET, OPTIONS",
            "access-control-allow-origin": origin,
            "access-control-expose-headers":
              "X-Request-Id, Content-Disposition, Content-Length, Retry-After",
            "access-control-max-age": "600",
          });
          assert.equal(answer.headers.get("Vary"), "Origin");
          assert.ok(answer.headers.get("X-Request-Id"));
          assert.deepEqual(edge.emulator.requests, []);
        }
      },
    );

    await t.step("a preflight from another origin gets no CORS header", async () => {
      for (const origin of [OTHER, "null", `${ALLOWED}.evil.example`, "http://app.example"]) {
        const answer = await preflight(origin);
        assert.equal(answer.status, 204);
        assert.deepEqual(corsHeaders(answer), {});
      }
    });

    await t.step(
      "actual responses to an allowed origin carry Allow-Origin, whatever the status",
      async () => {
        const answers = [
          await edge.request(LIST, { key, headers: { Origin: ALLOWED } }),
          await edge.request(LIST, { headers: { Origin: ALLOWED } }),
          await edge.request("/api/v1/attachments/no-such-id", {
            key,
            headers: { Origin: ALLOWED },
          }),
          await edge.request("/nowhere", { headers: { Origin: ALLOWED } }),
        ];
        assert.deepEqual(answers.map((a) => a.status), [200, 401, 404, 404]);
        for (const answer of answers) {
          assert.deepEqual(corsHeaders(answer), {
            "access-control-allow-origin": ALLOWED,
            "access-control-expose-headers":
              "X-Request-Id, Content-Disposition, Content-Length, Retry-After",
          });
          assert.equal(answer.headers.get("Vary"), "Origin");
        }
      },
    );

    await t.step(
      "actual responses to another origin, or without Origin, carry no Allow-Origin",
      async () => {
        const other = await edge.request(LIST, { key, headers: { Origin: OTHER } });
        assert.equal(other.status, 200);
        assert.deepEqual(corsHeaders(other), {});
        assert.match(other.headers.get("Vary") ?? "", /Origin/, "caches must key on Origin");
        const none = await edge.request(LIST, { key });
        assert.equal(none.status, 200);
        assert.deepEqual(corsHeaders(none), {});
        assertError(
          await edge.request(LIST, { headers: { Origin: OTHER } }),
          401,
          "AUTHENTICATION_ERROR",
        );
      },
    );

    await t.step("a download to an allowed origin exposes its headers", async () => {
      const item = edge.emulator.attachments[0]!;
      const answer = await edge.request(`/api/v1/attachments/${item.id}/download`, {
        key,
        headers: { Origin: ALLOWED },
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get("Access-Control-Allow-Origin"), ALLOWED);
    });
  },
);
