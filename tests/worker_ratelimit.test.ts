/** The per-key rate limit (`[[ratelimits]]` binding `RATE_LIMITER`), here 3 requests a minute. */

import assert from "node:assert/strict";
import { assertError, edgeSuite } from "./edge_harness.ts";

const LIST = "/api/v1/attachments?pool_id=1&limit=2";

edgeSuite(
  "Worker: rate limit per key",
  { emulator: { pools: [10] }, rateLimit: 3 },
  async (t, edge) => {
    const busy = await edge.issue({ name: "busy" });
    const calm = await edge.issue({ name: "calm" });

    await t.step("the 4th request of one key in a minute is 429 TOO_MANY_REQUESTS", async () => {
      for (let i = 1; i <= 3; i++) {
        assert.equal((await edge.request(LIST, { key: busy.key })).status, 200, `request ${i}`);
      }
      edge.emulator.clearRequests();
      const answer = await edge.request(LIST, { key: busy.key });
      const body = assertError(answer, 429, "TOO_MANY_REQUESTS");
      assert.equal(body.message, "Too many requests for this API key; retry later");
      assert.equal(body.payload, null);
      assert.equal(answer.headers.get("Retry-After"), "60");
      assert.deepEqual(edge.emulator.requests, [], "nothing sent upstream");
      const line = await edge.logLine(body.request_id);
      assert.equal(line.key, "busy");
      assert.equal(line.status, 429);
    });

    await t.step("every route of that key is limited, exports and downloads included", async () => {
      const id = edge.emulator.attachments[0]!.id;
      for (
        const path of [
          `/api/v1/attachments/${id}`,
          `/api/v1/attachments/${id}/download`,
          "/api/v1/attachments.ndjson?pool_id=1",
          "/api/v1/attachments.csv?pool_id=1",
        ]
      ) {
        assertError(await edge.request(path, { key: busy.key }), 429, "TOO_MANY_REQUESTS");
      }
    });

    await t.step("another key is unaffected", async () => {
      for (let i = 1; i <= 3; i++) {
        assert.equal((await edge.request(LIST, { key: calm.key })).status, 200, `request ${i}`);
      }
    });

    await t.step("requests without a valid key are 401, not counted against a key", async () => {
      assertError(await edge.request(LIST), 401, "AUTHENTICATION_ERROR");
      assertError(
        await edge.request(LIST, { key: `tae_${"z".repeat(32)}` }),
        401,
        "AUTHENTICATION_ERROR",
      );
      assert.equal((await edge.request("/health")).status, 200);
    });
  },
);
