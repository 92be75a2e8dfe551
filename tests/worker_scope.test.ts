/**
 * What a key may see, on every route: pools named directly or through an assignment, ids of
 * other pools, keys without pools and with several; and the core client pointed at the Worker.
 */

import assert from "node:assert/strict";
import { type Attachment, AttachmentsClient, TolokaApiError } from "../mod.ts";
import type { WireAttachment } from "../src/testing/mod.ts";
import { parseCsv } from "./csv_parse.ts";
import { assertError, edgeSuite, UPSTREAM_TOKEN } from "./edge_harness.ts";

interface Listed {
  /** Ids in the order the route sent them. */
  ids: string[];
  /** The raw body. */
  text: string;
}

/** The routes that list: one page, NDJSON and CSV. */
const LISTING_ROUTES = ["attachments", "attachments.ndjson", "attachments.csv"] as const;

function idsOf(route: typeof LISTING_ROUTES[number], text: string): string[] {
  if (route === "attachments") return JSON.parse(text).items.map((i: { id: string }) => i.id);
  if (route === "attachments.ndjson") {
    return text.split("\n").filter(Boolean).map((line) => JSON.parse(line).id);
  }
  const [header, ...rows] = parseCsv(text);
  assert.equal(header?.[0], "id");
  return rows.map((row) => row[0]!);
}

edgeSuite(
  "Worker: scope of keys",
  { emulator: { pools: [320, 60, 20] } },
  async (t, edge) => {
    const all = edge.emulator.attachments;
    const inPool = (pool: string): WireAttachment[] =>
      all.filter((a) => a.details.pool_id === pool);
    const sortedIds = (items: readonly WireAttachment[]): string[] => items.map((a) => a.id).sort();
    const pool1 = inPool("1");
    const pool2 = inPool("2");
    const assignment1 = pool1[0]!.details.assignment_id;
    const assignment2 = pool2[0]!.details.assignment_id;
    const outOfScope = all.filter((a) => a.details.pool_id !== "1").map((a) => a.id);

    const k1 = await edge.issue({ name: "pool 1", pools: ["1"] });
    const kAll = await edge.issue({ name: "every pool", pools: null });
    const k12 = await edge.issue({ name: "pools 1 and 2", pools: ["1", "2"] });
    /** Every body the pool-1 key received, to prove no other pool's id ever reached it. */
    const k1Bodies: string[] = [];

    const list = async (
      key: string,
      route: typeof LISTING_ROUTES[number],
      query: string,
    ): Promise<Listed & { status: number; answer: Awaited<ReturnType<typeof edge.request>> }> => {
      // One page of at most 100 items is enough for every listing here.
      const limit = route === "attachments" ? "&limit=100" : "";
      const answer = await edge.request(`/api/v1/${route}?${query}${limit}&sort=id`, { key });
      if (key === k1.key) k1Bodies.push(answer.text);
      const ids = answer.status === 200 ? idsOf(route, answer.text) : [];
      return { status: answer.status, ids, text: answer.text, answer };
    };

    for (const route of LISTING_ROUTES) {
      await t.step(`${route}: a pool-1 key naming pool 2 is 403 ACCESS_DENIED`, async () => {
        edge.emulator.clearRequests();
        const { answer } = await list(k1.key, route, "pool_id=2");
        const body = assertError(answer, 403, "ACCESS_DENIED");
        assert.equal(body.message, "This API key has no access to pool 2");
        assert.deepEqual(edge.emulator.requests, [], "refused before any upstream request");
      });

      await t.step(
        `${route}: a pool-1 key naming an assignment of pool 2 is 403 ACCESS_DENIED`,
        async () => {
          const { answer } = await list(k1.key, route, `assignment_id=${assignment2}`);
          assertError(answer, 403, "ACCESS_DENIED");
        },
      );

      await t.step(
        `${route}: a pool-1 key naming an assignment of pool 1 sees its items only`,
        async () => {
          const { status, ids } = await list(k1.key, route, `assignment_id=${assignment1}`);
          assert.equal(status, 200);
          const expected = sortedIds(pool1.filter((a) => a.details.assignment_id === assignment1));
          assert.ok(expected.length > 0);
          assert.deepEqual(ids, expected);
        },
      );

      await t.step(
        `${route}: pool_id=1 with an assignment of pool 2 is 403, as the assignment alone is`,
        async () => {
          const { answer } = await list(k1.key, route, `pool_id=1&assignment_id=${assignment2}`);
          const body = assertError(answer, 403, "ACCESS_DENIED");
          assert.equal(
            body.message,
            `This API key has no access to the pool of assignment ${assignment2}`,
          );
        },
      );

      await t.step(
        `${route}: an unknown assignment is 403 exactly as a foreign one, with or without pool_id`,
        async () => {
          for (const pool of ["", "pool_id=1&"]) {
            const foreign = await list(k1.key, route, `${pool}assignment_id=${assignment2}`);
            const unknown = await list(k1.key, route, `${pool}assignment_id=${assignment2}x`);
            const foreignBody = assertError(foreign.answer, 403, "ACCESS_DENIED");
            const unknownBody = assertError(unknown.answer, 403, "ACCESS_DENIED");
            assert.equal(
              unknownBody.message,
              foreignBody.message.replace(assignment2, `${assignment2}x`),
            );
            assert.deepEqual(unknownBody.payload, foreignBody.payload);
            assert.deepEqual(
              [...unknown.answer.headers.keys()].sort(),
              [...foreign.answer.headers.keys()].sort(),
            );
          }
        },
      );

      await t.step(
        `${route}: keys that see both pools get the upstream's answer to pool_id=1 with an assignment of pool 2: nothing`,
        async () => {
          for (const key of [kAll.key, k12.key]) {
            const { status, ids } = await list(
              key,
              route,
              `pool_id=1&assignment_id=${assignment2}`,
            );
            assert.equal(status, 200);
            assert.deepEqual(ids, []);
          }
          // pools null: the upstream token's own view; an unknown assignment matches nothing.
          const unknown = await list(kAll.key, route, `assignment_id=${assignment2}x`);
          assert.equal(unknown.status, 200);
          assert.deepEqual(unknown.ids, []);
        },
      );

      await t.step(`${route}: a pool-1 key sees pool 1`, async () => {
        const { status, ids } = await list(k1.key, route, "pool_id=1");
        assert.equal(status, 200);
        const expected = sortedIds(pool1);
        assert.deepEqual(ids, route === "attachments" ? expected.slice(0, 100) : expected);
      });

      await t.step(`${route}: a key with pools null sees pool 2`, async () => {
        const { status, ids } = await list(kAll.key, route, "pool_id=2");
        assert.equal(status, 200);
        assert.deepEqual(ids, sortedIds(pool2));
        const byAssignment = await list(kAll.key, route, `assignment_id=${assignment2}`);
        assert.deepEqual(
          byAssignment.ids,
          sortedIds(pool2.filter((a) => a.details.assignment_id === assignment2)),
        );
      });

      await t.step(`${route}: a key with pools 1 and 2 sees both, and not pool 3`, async () => {
        for (const pool of ["1", "2"]) {
          const { status, ids } = await list(k12.key, route, `pool_id=${pool}`);
          assert.equal(status, 200);
          const expected = sortedIds(inPool(pool));
          assert.deepEqual(ids, route === "attachments" ? expected.slice(0, 100) : expected);
        }
        const other = await list(k12.key, route, `assignment_id=${assignment2}`);
        assert.equal(other.status, 200);
        assertError((await list(k12.key, route, "pool_id=3")).answer, 403, "ACCESS_DENIED");
      });
    }

    for (const suffix of ["", "/download"]) {
      const route = `attachments/{id}${suffix}`;
      await t.step(`${route}: an id of pool 2 is 404 DOES_NOT_EXIST for a pool-1 key`, async () => {
        const id = pool2[0]!.id;
        const answer = await edge.request(`/api/v1/attachments/${id}${suffix}`, { key: k1.key });
        k1Bodies.push(answer.text);
        const body = assertError(answer, 404, "DOES_NOT_EXIST");
        // Exactly what an id that exists nowhere gets: ids cannot be probed.
        const unknown = await edge.request(`/api/v1/attachments/no-such-id${suffix}`, {
          key: k1.key,
        });
        const unknownBody = assertError(unknown, 404, "DOES_NOT_EXIST");
        assert.equal(body.message, unknownBody.message);
        assert.equal(answer.headers.get("Content-Type"), unknown.headers.get("Content-Type"));
      });

      await t.step(`${route}: an id of pool 1 is served to a pool-1 key`, async () => {
        const item = pool1[1]!;
        const answer = await edge.request(`/api/v1/attachments/${item.id}${suffix}`, {
          key: k1.key,
        });
        k1Bodies.push(answer.text);
        assert.equal(answer.status, 200);
        if (suffix === "") assert.deepEqual(JSON.parse(answer.text), item);
        else assert.deepEqual(answer.bytes, edge.emulator.bytesOf(item.id));
      });

      await t.step(`${route}: keys with pools null or 1 and 2 get an id of pool 2`, async () => {
        const item = pool2[1]!;
        for (const key of [kAll.key, k12.key]) {
          const answer = await edge.request(`/api/v1/attachments/${item.id}${suffix}`, { key });
          assert.equal(answer.status, 200);
          if (suffix === "") assert.deepEqual(JSON.parse(answer.text), item);
          else assert.deepEqual(answer.bytes, edge.emulator.bytesOf(item.id));
        }
        const pool3 = inPool("3")[0]!;
        const denied = await edge.request(`/api/v1/attachments/${pool3.id}${suffix}`, {
          key: k12.key,
        });
        assertError(denied, 404, "DOES_NOT_EXIST");
      });
    }

    await t.step(
      "the core client pointed at the Worker lists exactly what the key may see",
      async () => {
        const client = new AttachmentsClient({
          token: k1.key,
          baseUrl: `${edge.url}/api/v1`,
          fetch: async (request) => {
            const response = await edge.fetch(request);
            k1Bodies.push(await response.clone().text());
            return response;
          },
        });
        const seen = async (iterable: AsyncIterable<Attachment>): Promise<string[]> => {
          const ids: string[] = [];
          for await (const item of iterable) ids.push(item.id);
          return ids;
        };
        const byId = await seen(client.getAttachments({ pool_id: "1" }, { batchSize: 37 }));
        assert.deepEqual(byId, sortedIds(pool1));
        // Ties on created and microsecond differences survive the Worker (it writes what it got):
        // the same order as the client gets from the upstream directly.
        const direct = new AttachmentsClient({ token: UPSTREAM_TOKEN, fetch: edge.emulator.fetch });
        for (const order of ["created", "-created"] as const) {
          assert.deepEqual(
            await seen(client.getAttachments({ pool_id: "1" }, { order })),
            await seen(direct.getAttachments({ pool_id: "1" }, { order })),
          );
        }

        const denied = await client.findAttachments({ pool_id: "2" }).catch((e) => e);
        assert.ok(denied instanceof TolokaApiError);
        assert.equal(denied.status, 403);
        assert.equal(denied.code, "ACCESS_DENIED");
        const iterated = await seen(client.getAttachments({ pool_id: "2" })).catch((e) => e);
        assert.ok(iterated instanceof TolokaApiError);
        assert.equal(iterated.status, 403);

        const hidden = await client.getAttachment(pool2[0]!.id).catch((e) => e);
        assert.ok(hidden instanceof TolokaApiError);
        assert.equal(hidden.status, 404);
        assert.equal(hidden.code, "DOES_NOT_EXIST");

        const item = pool1[2]!;
        const one = await client.getAttachment(item.id);
        assert.equal(one.id, item.id);
        const download = await client.downloadAttachment(item.id);
        assert.deepEqual(
          new Uint8Array(await new Response(download.body).arrayBuffer()),
          edge.emulator.bytesOf(item.id),
        );
        assert.equal(download.fileName, item.name);
        assert.equal(download.size, edge.emulator.bytesOf(item.id).length);
      },
    );

    await t.step("no attachment of another pool ever appears in a pool-1 key's answers", () => {
      assert.ok(k1Bodies.length > 30);
      for (const id of outOfScope) {
        const leaks = k1Bodies.filter((body) => body.includes(id));
        assert.deepEqual(leaks, [], `attachment ${id} of another pool leaked`);
      }
    });
  },
);
