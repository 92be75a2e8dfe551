/**
 * How the Worker answers when its upstream fails, rate limits, rejects the key's token or does
 * not know an id. The Worker's client makes 3 attempts (`retries: 2`).
 */

import assert from "node:assert/strict";
import type { FaultKind } from "../src/testing/mod.ts";
import { assertError, edgeSuite } from "./edge_harness.ts";

const ATTEMPTS = 3;
const LIST = "/api/v1/attachments?pool_id=1&sort=id&limit=10";

edgeSuite("Worker: upstream failures", { emulator: { pools: [250, 10] } }, async (t, edge) => {
  const { key } = await edge.issue({ pools: null });
  const item = edge.emulator.attachments[0]!;

  /** Runs `path` with the next upstream requests faulted by `script`; returns the answer. */
  const withFaults = async (
    script: (FaultKind | null)[],
    path: string,
    options: { retryAfterSeconds?: number; key?: string } = {},
  ) => {
    edge.emulator.setFaults({
      script,
      ...(options.retryAfterSeconds === undefined
        ? {}
        : { retryAfterSeconds: options.retryAfterSeconds }),
    });
    edge.emulator.clearRequests();
    try {
      return await edge.request(path, { key: options.key ?? key });
    } finally {
      edge.emulator.setFaults(undefined);
    }
  };
  const faultsSeen = (): (FaultKind | null)[] => edge.emulator.requests.map((r) => r.fault);

  await t.step("an upstream 500 on every attempt is 502 REMOTE_SERVICE_UNAVAILABLE", async () => {
    const answer = await withFaults(Array(ATTEMPTS).fill("500"), LIST);
    const body = assertError(answer, 502, "REMOTE_SERVICE_UNAVAILABLE");
    assert.equal(body.message, "The upstream Toloka API answered 500");
    assert.deepEqual(faultsSeen(), ["500", "500", "500"]);
  });

  for (const status of ["502", "503"] as const) {
    await t.step(`an upstream ${status} HTML page on every attempt is 502`, async () => {
      const answer = await withFaults(Array(ATTEMPTS).fill(status), LIST);
      const body = assertError(answer, 502, "REMOTE_SERVICE_UNAVAILABLE");
      assert.equal(body.message, `The upstream Toloka API answered ${status}`);
      assert.doesNotMatch(answer.text, /nginx|<html/);
      assert.equal(edge.emulator.requests.length, ATTEMPTS);
      // The log line names the upstream failure; the answer does not.
      const line = await edge.logLine(body.request_id);
      assert.equal(line.status, 502);
      assert.equal(
        line.failure,
        `upstream ${status} ${status === "502" ? "HTTP_502" : "REMOTE_SERVICE_UNAVAILABLE"}`,
      );
    });
  }

  await t.step("an upstream connection reset on every attempt is 502", async () => {
    const answer = await withFaults(Array(ATTEMPTS).fill("reset"), LIST);
    const body = assertError(answer, 502, "REMOTE_SERVICE_UNAVAILABLE");
    assert.equal(body.message, "The upstream Toloka API could not be reached");
  });

  await t.step("a single transient fault is healed by a retry: 200", async () => {
    for (const fault of ["500", "reset"] as const) {
      const answer = await withFaults([fault], LIST);
      assert.equal(answer.status, 200, fault);
      assert.equal(JSON.parse(answer.text).items.length, 10);
      assert.deepEqual(faultsSeen(), [fault, null]);
    }
  });

  await t.step(
    "an upstream 429 on every attempt is 429 TOO_MANY_REQUESTS with Retry-After",
    async () => {
      const answer = await withFaults(Array(ATTEMPTS).fill("429"), LIST, { retryAfterSeconds: 0 });
      const body = assertError(answer, 429, "TOO_MANY_REQUESTS");
      assert.equal(answer.headers.get("Retry-After"), "1");
      assert.equal(body.payload, null);
      assert.equal(edge.emulator.requests.length, ATTEMPTS);
    },
  );

  await t.step("an upstream Retry-After too long to wait for is passed on at once", async () => {
    const answer = await withFaults(["429"], LIST, { retryAfterSeconds: 45 });
    assertError(answer, 429, "TOO_MANY_REQUESTS");
    assert.equal(answer.headers.get("Retry-After"), "45");
    assert.equal(edge.emulator.requests.length, 1);
  });

  await t.step(
    "a key sealing a token the upstream rejects is 502, not 401, on every route",
    async () => {
      const rejected = await edge.issue({
        pools: null,
        upstreamToken: "revoked-upstream-token-7a1",
      });
      for (
        const path of [
          LIST,
          `/api/v1/attachments/${item.id}`,
          `/api/v1/attachments/${item.id}/download`,
          "/api/v1/attachments.ndjson?pool_id=1",
          "/api/v1/attachments.csv?pool_id=1",
        ]
      ) {
        edge.emulator.clearRequests();
        const answer = await edge.request(path, { key: rejected.key });
        const body = assertError(answer, 502, "REMOTE_SERVICE_UNAVAILABLE");
        assert.equal(
          body.message,
          "The upstream Toloka API rejected the Toloka token sealed in this API key (it answered 401); the key must be issued again with a token that this Worker's upstream accepts",
          path,
        );
        // A 401 is not retried: one upstream request.
        assert.deepEqual(edge.emulator.requests.map((r) => r.status), [401], path);
      }
    },
  );

  await t.step("an id the upstream does not know is 404 DOES_NOT_EXIST", async () => {
    for (
      const path of ["/api/v1/attachments/no-such-id", "/api/v1/attachments/no-such-id/download"]
    ) {
      edge.emulator.clearRequests();
      const body = assertError(await edge.request(path, { key }), 404, "DOES_NOT_EXIST");
      assert.equal(body.message, "Attachment not found");
      assert.equal(edge.emulator.requests.length, 1, "a 404 is not retried");
    }
  });

  for (const format of ["ndjson", "csv"]) {
    await t.step(
      `a ${format} export whose first page fails gets an error status, not a 200 stream`,
      async () => {
        const answer = await withFaults(
          Array(ATTEMPTS).fill("429"),
          `/api/v1/attachments.${format}?pool_id=1`,
          { retryAfterSeconds: 0 },
        );
        assertError(answer, 429, "TOO_MANY_REQUESTS");
        assert.equal(answer.headers.get("Retry-After"), "1");
        const line = await edge.logLine(answer.headers.get("X-Request-Id")!);
        assert.equal(line.status, 429);
        assert.equal(line.failure, "upstream 429 TOO_MANY_REQUESTS");
        assert.equal("exported" in line, false);
      },
    );
  }
});
