/**
 * The Worker's authentication, request ids, error bodies of unexpected failures, log lines and
 * (with `CORS_ORIGINS` empty) the absence of CORS headers.
 */

import assert from "node:assert/strict";
import { revokeKey } from "../src/keys/mod.ts";
import { assertError, edgeSuite, randomSealingKey } from "./edge_harness.ts";

const KEY_CACHE_TTL_MS = 300;
const LIST = "/api/v1/attachments?pool_id=1&sort=id&limit=5";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

edgeSuite(
  "Worker: authentication, request ids, logs",
  { emulator: { pools: [30, 10] }, keyCacheTtlMs: KEY_CACHE_TTL_MS },
  async (t, edge) => {
    const pool1 = edge.emulator.attachments.filter((a) => a.details.pool_id === "1")
      .map((a) => a.id).sort().slice(0, 5);

    /** Asserts a 401 AUTHENTICATION_ERROR with Toloka's body and no upstream request. */
    const assertUnauthenticated = async (
      init: RequestInit & { key?: string; scheme?: string },
    ): Promise<string> => {
      edge.emulator.clearRequests();
      const answer = await edge.request(LIST, init);
      const body = assertError(answer, 401, "AUTHENTICATION_ERROR");
      assert.equal(body.payload, null);
      assert.deepEqual(edge.emulator.requests, []);
      return body.message;
    };

    await t.step("no Authorization header is 401 AUTHENTICATION_ERROR", async () => {
      assert.equal(await assertUnauthenticated({}), "Missing Authorization header");
    });

    await t.step("a Basic scheme is 401 AUTHENTICATION_ERROR", async () => {
      const { key } = await edge.issue();
      assert.match(
        await assertUnauthenticated({ headers: { Authorization: `Basic ${key}` } }),
        /OAuth <key>/,
      );
      assert.match(
        await assertUnauthenticated({ headers: { Authorization: "Basic x" } }),
        /OAuth <key>/,
      );
    });

    await t.step("a malformed key is 401 AUTHENTICATION_ERROR", async () => {
      for (const key of ["x", "tae_short", `tae_${"a".repeat(31)}.`, `tak_${"a".repeat(32)}`]) {
        assert.equal(await assertUnauthenticated({ key }), "Unknown or revoked API key");
      }
      assert.match(
        await assertUnauthenticated({ headers: { Authorization: "OAuth" } }),
        /OAuth <key>/,
      );
    });

    await t.step("an unknown well-formed key is 401 AUTHENTICATION_ERROR", async () => {
      const key = `tae_${"A".repeat(32)}`;
      assert.equal(await assertUnauthenticated({ key }), "Unknown or revoked API key");
    });

    await t.step("an expired key is 401 AUTHENTICATION_ERROR", async () => {
      const now = new Date(Date.now() - 10 * 60_000);
      const { key } = await edge.issue({ now, expiresAt: new Date(now.getTime() + 1_000) });
      assert.equal(await assertUnauthenticated({ key }), "This API key has expired");
    });

    await t.step("a key works until its expiry and is 401 after it", async () => {
      const { key } = await edge.issue({ expiresAt: new Date(Date.now() + 700) });
      assert.equal((await edge.request(LIST, { key })).status, 200);
      await sleep(800);
      assert.equal(await assertUnauthenticated({ key }), "This API key has expired");
    });

    await t.step("a revoked key is 401 once the key cache window has passed", async () => {
      const { key } = await edge.issue();
      assert.equal((await edge.request(LIST, { key })).status, 200);
      assert.equal(await revokeKey(edge.kv, key), true);
      await sleep(KEY_CACHE_TTL_MS + 100);
      assert.equal(await assertUnauthenticated({ key }), "Unknown or revoked API key");
    });

    for (const scheme of ["OAuth", "ApiKey", "Bearer", "oauth"]) {
      await t.step(`a valid key is accepted after "${scheme}"`, async () => {
        const { key } = await edge.issue();
        const answer = await edge.request(LIST, { key, scheme });
        assert.equal(answer.status, 200);
        const body = JSON.parse(answer.text);
        assert.deepEqual(body.items.map((i: { id: string }) => i.id), pool1);
        assert.equal(body.has_more, true);
      });
    }

    await t.step("GET /health needs no key", async () => {
      const answer = await edge.request("/health");
      assert.equal(answer.status, 200);
      assert.deepEqual(JSON.parse(answer.text), { status: "ok" });
    });

    await t.step(
      "a key whose token does not open is 401 AUTHENTICATION_ERROR, the reason in the log only",
      async () => {
        // Sealed under another TOKEN_SEALING_KEY: to the Worker, as unusable as a changed record.
        const { key } = await edge.issue({ sealingKey: randomSealingKey(), name: "foreign seal" });
        edge.emulator.clearRequests();
        const answer = await edge.request(LIST, { key });
        const body = assertError(answer, 401, "AUTHENTICATION_ERROR");
        assert.equal(
          body.message,
          "This API key's record failed its integrity check; ask for a new key",
        );
        assert.equal(body.payload, null);
        assert.doesNotMatch(answer.text, /TOKEN_SEALING_KEY/);
        assert.deepEqual(edge.emulator.requests, []);
        // The reason stays in the log, for the operator.
        const line = await edge.logLine(body.request_id);
        assert.equal(line.status, 401);
        assert.match(String(line.failure), /does not open under TOKEN_SEALING_KEY/);
      },
    );

    await t.step(
      "every response carries X-Request-Id, equal to the body's request_id",
      async () => {
        const { key } = await edge.issue();
        const foreign = await edge.issue({ sealingKey: randomSealingKey() });
        const cases: [string, RequestInit & { key?: string }, number][] = [
          ["/health", {}, 200],
          [LIST, { key }, 200],
          ["/api/v1/attachments.ndjson?pool_id=1", { key }, 200],
          ["/nowhere", {}, 404],
          ["/api/v1/attachments/x/y/z", { key }, 404],
          [LIST, { method: "POST", key }, 405],
          [LIST, { method: "DELETE" }, 405],
          [LIST, {}, 401],
          ["/api/v1/attachments?pool_id=1&limit=0", { key }, 400],
          ["/api/v1/attachments/no-such-id", { key }, 404],
          [LIST, { key: foreign.key }, 401],
        ];
        const ids = new Set<string>();
        for (const [path, init, status] of cases) {
          const answer = await edge.request(path, init);
          assert.equal(answer.status, status, `${init.method ?? "GET"} ${path}`);
          const id = answer.headers.get("X-Request-Id");
          assert.match(id ?? "", UUID, `${init.method ?? "GET"} ${path}`);
          ids.add(id!);
          if (status >= 400) assert.equal(JSON.parse(answer.text).request_id, id);
        }
        assert.equal(ids.size, cases.length, "request ids are unique");
      },
    );

    await t.step("an unknown route is 404 and another method is 405 with Allow", async () => {
      const missing = assertError(await edge.request("/api/v2/attachments"), 404, "DOES_NOT_EXIST");
      assert.equal(missing.message, "No such route");
      const post = await edge.request("/api/v1/attachments", { method: "POST" });
      assertError(post, 405, "METHOD_NOT_ALLOWED");
      assert.equal(post.headers.get("Allow"), "GET");
    });

    await t.step(
      "each request writes one JSON log line: request id, route, status, duration, key name, subrequests",
      async () => {
        const { key } = await edge.issue({ name: "log probe" });
        const ok = await edge.request(LIST, { key });
        const okLine = await edge.logLine(ok.headers.get("X-Request-Id")!);
        assert.deepEqual(Object.keys(okLine).sort(), [
          "duration_ms",
          "key",
          "key_lookup",
          "method",
          "peak_connections",
          "request_id",
          "route",
          "status",
          "subrequests",
        ]);
        assert.equal(okLine.subrequests, 1);
        assert.equal(okLine.peak_connections, 1);
        assert.equal(okLine.request_id, ok.headers.get("X-Request-Id"));
        assert.equal(okLine.method, "GET");
        assert.equal(okLine.route, "/api/v1/attachments");
        assert.equal(okLine.status, 200);
        assert.equal(okLine.key, "log probe");
        assert.equal(okLine.key_lookup, "kv"); // a new key: the first lookup reads KV
        const again = await edge.request(LIST, { key });
        const againLine = await edge.logLine(again.headers.get("X-Request-Id")!);
        assert.equal(againLine.key_lookup, "cache");
        assert.ok(typeof okLine.duration_ms === "number" && okLine.duration_ms >= 0);

        const denied = await edge.request(LIST, {});
        const deniedLine = await edge.logLine(denied.headers.get("X-Request-Id")!);
        assert.equal(deniedLine.status, 401);
        assert.equal(deniedLine.route, "/api/v1/attachments");
        assert.equal(deniedLine.failure, "AUTHENTICATION_ERROR");
        assert.equal("key" in deniedLine, false);

        const exported = await edge.request("/api/v1/attachments.ndjson?pool_id=1", { key });
        const exportLine = await edge.logLine(exported.headers.get("X-Request-Id")!);
        assert.equal(exportLine.route, "/api/v1/attachments.ndjson");
        assert.equal(exportLine.status, 200);
        assert.equal(exportLine.key, "log probe");
        assert.equal(exportLine.exported, 30);

        const missing = await edge.request("/nowhere");
        const missingLine = await edge.logLine(missing.headers.get("X-Request-Id")!);
        assert.equal(missingLine.route, null);
        assert.equal(missingLine.status, 404);
      },
    );

    await t.step("every log line is one JSON object with a request id", () => {
      assert.ok(edge.logs.length > 0);
      for (const line of edge.logs) {
        const parsed = JSON.parse(line);
        assert.match(parsed.request_id, UUID);
        assert.equal(typeof parsed.status, "number");
      }
    });

    await t.step("with CORS_ORIGINS empty no CORS header is added", async () => {
      const { key } = await edge.issue();
      const origin = { Origin: "https://app.example" };
      const preflight = await edge.request(LIST, {
        method: "OPTIONS",
        headers: { ...origin, "Access-Control-Request-Method": "GET" },
      });
      assertError(preflight, 405, "METHOD_NOT_ALLOWED");
      for (
        const answer of [
          preflight,
          await edge.request(LIST, { key, headers: origin }),
          await edge.request(LIST, { headers: origin }),
        ]
      ) {
        const cors = [...answer.headers.keys()].filter((name) =>
          name.startsWith("access-control-") || name === "vary"
        );
        assert.deepEqual(cors, []);
      }
    });
  },
);
