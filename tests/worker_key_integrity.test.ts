/**
 * Key records bind their scope to their seal (record v2): a record changed in KV by someone
 * without `TOKEN_SEALING_KEY` fails closed with 401; v1 records are refused until `keys migrate`
 * reseals them, and work again afterwards.
 */

import assert from "node:assert/strict";
import { type KeyRecord, kvKeyFor, migrateKeyRecord } from "../src/keys/mod.ts";
import { assertError, edgeSuite, UPSTREAM_TOKEN } from "./edge_harness.ts";
import { putV1Record } from "./keys_v1.ts";

const KEY_CACHE_TTL_MS = 200;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

edgeSuite(
  "Worker: key records bound to their seal",
  { emulator: { pools: [20, 10] }, keyCacheTtlMs: KEY_CACHE_TTL_MS },
  async (t, edge) => {
    const changes: [string, Partial<KeyRecord>][] = [
      ["pools widened to null", { pools: null }],
      ["a pool added", { pools: ["1", "2"] }],
      ["pools swapped", { pools: ["2"] }],
      ["expiry removed", { expires_at: null }],
      ["expiry extended", { expires_at: "2099-12-31T00:00:00.000Z" }],
      ["name changed", { name: "someone else" }],
      ["created_at changed", { created_at: "2020-01-01T00:00:00.000Z" }],
    ];
    for (const [what, change] of changes) {
      await t.step(
        `a record whose ${what} is 401 AUTHENTICATION_ERROR on every route`,
        async () => {
          const { key, record } = await edge.issue({
            name: `tampered: ${what}`,
            pools: ["1"],
            expiresAt: new Date(Date.now() + 3_600_000),
          });
          await edge.kv.put(await kvKeyFor(key), JSON.stringify({ ...record, ...change }));
          const item = edge.emulator.attachments.find((a) => a.details.pool_id === "2")!;
          edge.emulator.clearRequests();
          for (
            const path of [
              "/api/v1/attachments?pool_id=2",
              "/api/v1/attachments?pool_id=1",
              `/api/v1/attachments/${item.id}`,
              `/api/v1/attachments/${item.id}/download`,
              "/api/v1/attachments.ndjson?pool_id=2",
            ]
          ) {
            const body = assertError(
              await edge.request(path, { key }),
              401,
              "AUTHENTICATION_ERROR",
            );
            assert.equal(
              body.message,
              "This API key's record failed its integrity check; ask for a new key",
            );
            const line = await edge.logLine(body.request_id);
            assert.match(String(line.failure), /does not open under TOKEN_SEALING_KEY/);
          }
          assert.deepEqual(edge.emulator.requests, [], "no upstream request");
        },
      );
    }

    await t.step("an untouched v2 record works", async () => {
      const { key, record } = await edge.issue({ pools: ["1"] });
      assert.equal(record.v, 2);
      assert.equal((await edge.request("/api/v1/attachments?pool_id=1", { key })).status, 200);
    });

    await t.step(
      "a v1 record is 401 naming keys migrate, and works once migrated",
      async () => {
        const v1 = await putV1Record(edge.kv, edge.sealingKey, UPSTREAM_TOKEN, {
          name: "issued before v2",
          pools: ["1"],
        });
        edge.secrets.add(v1.key);
        edge.secrets.add(v1.record.upstream_token);
        edge.emulator.clearRequests();
        const answer = await edge.request("/api/v1/attachments?pool_id=1", { key: v1.key });
        const body = assertError(answer, 401, "AUTHENTICATION_ERROR");
        assert.match(body.message, /old format \(v1\).*keys migrate/);
        assert.deepEqual(edge.emulator.requests, []);
        assert.equal(
          (await edge.logLine(body.request_id)).failure,
          "key record v1: run keys migrate",
        );

        const outcome = await migrateKeyRecord(edge.kv, edge.sealingKey, v1.kvKey);
        assert.equal(outcome.status, "migrated");
        if (outcome.status === "migrated") edge.secrets.add(outcome.record.upstream_token);
        await sleep(KEY_CACHE_TTL_MS + 50);
        const after = await edge.request("/api/v1/attachments?pool_id=1", { key: v1.key });
        assert.equal(after.status, 200, after.text);
        assertError(
          await edge.request("/api/v1/attachments?pool_id=2", { key: v1.key }),
          403,
          "ACCESS_DENIED",
        );
      },
    );

    await t.step("a v1 record widened before its migration is refused by it", async () => {
      const v1 = await putV1Record(edge.kv, edge.sealingKey, UPSTREAM_TOKEN, { pools: ["1"] });
      edge.secrets.add(v1.key);
      edge.secrets.add(v1.record.upstream_token);
      const seen = {
        name: v1.record.name,
        pools: v1.record.pools,
        expires_at: v1.record.expires_at,
        created_at: v1.record.created_at,
      };
      await edge.kv.put(v1.kvKey, JSON.stringify({ ...v1.record, pools: null }));
      assert.equal(
        (await migrateKeyRecord(edge.kv, edge.sealingKey, v1.kvKey, seen)).status,
        "changed",
      );
      const answer = await edge.request("/api/v1/attachments?pool_id=2", { key: v1.key });
      assertError(answer, 401, "AUTHENTICATION_ERROR");
    });
  },
);
