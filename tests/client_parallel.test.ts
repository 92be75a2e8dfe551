/**
 * The parallel ordered scan (`concurrency` above 1): every order against a brute-force sort, ties
 * and microsecond differences included, in process and over loopback; the caller's own ranges;
 * `concurrency: 1` as the single lane; early exits and failures abort every lane; and the pages
 * held ahead of the consumer stay within `PAGES_PER_LANE × concurrency`.
 */

import assert from "node:assert/strict";
import {
  type Attachment,
  type AttachmentFilter,
  AttachmentsClient,
  type IterateOptions,
  type Order,
  ORDERS,
  TolokaApiError,
  TolokaResponseError,
} from "../mod.ts";
import { PAGES_PER_LANE } from "../src/parallel_scan.ts";
import { toWireAttachment } from "../src/wire.ts";
import { TolokaEmulator, type WireAttachment } from "../src/testing/mod.ts";
import {
  clientFor,
  collect,
  compareBy,
  createdKey,
  randomUuids,
  referenceApi,
  scripted,
  seeded,
  SORT_OF,
  tick,
  wire,
} from "./client_helpers.ts";

// Pool "1" holds a run of 150 identical created values and values that differ in microseconds.
const emulator = new TolokaEmulator({ pools: [1_500, 40] });

function fastClient(
  fetch: (request: Request) => Promise<Response>,
  options: { baseUrl?: string; retries?: number } = {},
): AttachmentsClient {
  return new AttachmentsClient({
    token: "test-token",
    fetch,
    retryDelayMs: 1,
    maxRetryDelayMs: 50,
    ...options,
  });
}

function inRange(item: { id: string; created: string }, filter: AttachmentFilter): boolean {
  const key = createdKey(item.created);
  const bound = (value: Date | string | undefined): string | undefined =>
    value === undefined
      ? undefined
      : createdKey(value instanceof Date ? value.toISOString().slice(0, 23) : value);
  const [cgt, cgte, clt, clte] = [
    bound(filter.created_gt),
    bound(filter.created_gte),
    bound(filter.created_lt),
    bound(filter.created_lte),
  ];
  return (filter.id_gt === undefined || item.id > filter.id_gt) &&
    (filter.id_gte === undefined || item.id >= filter.id_gte) &&
    (filter.id_lt === undefined || item.id < filter.id_lt) &&
    (filter.id_lte === undefined || item.id <= filter.id_lte) &&
    (cgt === undefined || key > cgt) && (cgte === undefined || key >= cgte) &&
    (clt === undefined || key < clt) && (clte === undefined || key <= clte);
}

/** The expected listing of the emulator, by brute force over its ground truth. */
function expected(filter: AttachmentFilter, order: Order): WireAttachment[] {
  return emulator.attachments
    .filter((item) => item.details.pool_id === filter.pool_id && inRange(item, filter))
    .sort(compareBy(SORT_OF[order]));
}

/** The listing as the client yields it, in wire form (exact `created` strings). */
async function listed(
  client: AttachmentsClient,
  filter: AttachmentFilter,
  options: IterateOptions,
): Promise<Record<string, unknown>[]> {
  const items: Attachment[] = await collect(client.getAttachments(filter, options));
  return items.map(toWireAttachment);
}

// ---- exactly once, in order ----

Deno.test("the emulator's pool 1 has the tie run and microsecond neighbours these tests need", () => {
  const pool = expected({ pool_id: "1" }, "id");
  const counts = new Map<string, number>();
  for (const item of pool) {
    counts.set(createdKey(item.created), (counts.get(createdKey(item.created)) ?? 0) + 1);
  }
  assert.ok(Math.max(...counts.values()) >= 150);
  assert.ok(pool.some((a) => a.created.endsWith(".345001")));
});

for (const order of ORDERS) {
  Deno.test(`concurrency yields each item once in order ${order}, ties included (in process)`, async () => {
    const client = fastClient(emulator.fetch);
    const want = expected({ pool_id: "1" }, order);
    for (
      const [concurrency, batchSize] of [[2, 100], [3, 7], [5, 50], [8, 13], [16, 3], [
        4,
        1,
      ]] as const
    ) {
      const got = await listed(client, { pool_id: "1" }, { order, concurrency, batchSize });
      assert.equal(got.length, want.length, `concurrency ${concurrency}, batch ${batchSize}`);
      assert.deepEqual(got, want, `concurrency ${concurrency}, batch ${batchSize}`);
    }
  });
}

Deno.test("concurrency yields each item once in all four orders over loopback", async () => {
  await using server = await emulator.serve();
  const client = fastClient((request) => fetch(request), { baseUrl: server.baseUrl });
  for (const order of ORDERS) {
    for (const [concurrency, batchSize] of [[4, 37], [8, 100]] as const) {
      const got = await listed(client, { pool_id: "1" }, { order, concurrency, batchSize });
      assert.deepEqual(got, expected({ pool_id: "1" }, order), `${order} ${concurrency}`);
    }
  }
});

Deno.test("concurrency keeps the caller's id and created ranges", async () => {
  const pool = expected({ pool_id: "1" }, "created");
  const at = (index: number): WireAttachment => pool[index] as WireAttachment;
  const byId = expected({ pool_id: "1" }, "id");
  const ranges: AttachmentFilter[] = [
    { pool_id: "1", id_gt: byId[100]!.id, id_lte: byId[1_200]!.id },
    { pool_id: "1", created_gte: at(200).created, created_lt: at(1_300).created },
    { pool_id: "1", created_gt: at(10).created, id_lt: byId[900]!.id },
    { pool_id: "1", created_lte: new Date(Date.parse(`${at(700).created.slice(0, 19)}Z`)) },
    { pool_id: "1", id_gte: byId[1_450]!.id }, // less than a page
    { pool_id: "1", id_gt: byId.at(-1)!.id }, // nothing
  ];
  const client = fastClient(emulator.fetch);
  for (const filter of ranges) {
    for (const order of ORDERS) {
      const got = await listed(client, filter, { order, concurrency: 6, batchSize: 45 });
      assert.deepEqual(got, expected(filter, order), `${JSON.stringify(filter)} ${order}`);
    }
  }
});

/** Items with long tie runs and 0 to 6 fraction digits, ids in base 36 (not UUIDs). */
function tieHeavy(seed: number, size: number): { id: string; created: string }[] {
  const random = seeded(seed);
  const bases = ["2024-01-01T00:00:00", "2024-01-01T00:00:01", "2024-01-02T10:00:00"];
  const fractions = [
    "",
    ".000",
    ".000000",
    ".345",
    ".345000",
    ".345001",
    ".34500",
    ".5",
    ".999999",
  ];
  const ids = new Set<string>();
  const items: { id: string; created: string }[] = [];
  while (items.length < size) {
    const id = Math.floor(random() * 1e9).toString(36).padStart(6, "0");
    if (ids.has(id)) continue;
    ids.add(id);
    const base = bases[Math.floor(random() * bases.length)]!;
    items.push({ id, created: base + fractions[Math.floor(random() * fractions.length)]! });
  }
  return items;
}

Deno.test("concurrency yields each item once over tie runs longer than many pages", async () => {
  for (const [seed, size] of [[1, 0], [2, 1], [3, 250], [4, 600]] as const) {
    const items = tieHeavy(seed, size).map((item) => wire(item.id, item.created));
    for (const order of ORDERS) {
      for (const [concurrency, batchSize] of [[3, 5], [8, 2], [2, 100]] as const) {
        const script = scripted(referenceApi(items as never));
        const got = (await collect(
          clientFor(script).getAttachments({ pool_id: "1" }, { order, concurrency, batchSize }),
        )).map((a) => a.id);
        const want = [...items as never as { id: string; created: string }[]]
          .sort(compareBy(SORT_OF[order])).map((i) => i.id);
        assert.deepEqual(got, want, `seed ${seed}, ${order}, ${concurrency}x${batchSize}`);
      }
    }
  }
});

Deno.test("getAttachmentPages() with concurrency gives ordered pages, has_more false on the last", async () => {
  const client = fastClient(emulator.fetch);
  const pages = await collect(
    client.getAttachmentPages({ pool_id: "1" }, { order: "-created", concurrency: 4 }),
  );
  assert.ok(pages.length > 10);
  assert.ok(pages.every((page) => page.items.length > 0 && page.items.length <= 100));
  assert.deepEqual(pages.map((page) => page.has_more).slice(-1), [false]);
  assert.deepEqual(
    pages.flatMap((page) => page.items).map(toWireAttachment),
    expected({ pool_id: "1" }, "-created"),
  );
});

// ---- the option ----

Deno.test("concurrency must be an integer from 1 to 16; nothing is sent otherwise", () => {
  const script = scripted();
  const client = clientFor(script);
  for (const value of [0, 17, 1.5, -1, NaN, Infinity]) {
    assert.throws(
      () => client.getAttachments({ pool_id: "1" }, { concurrency: value }),
      (error: unknown) =>
        error instanceof RangeError && /"concurrency"/.test(error.message) &&
        /from 1 to 16/.test(error.message),
      String(value),
    );
  }
  assert.throws(
    () => client.getAttachmentPages({ pool_id: "1" }, { concurrency: "4" as never }),
    (error: unknown) => error instanceof TypeError && /"concurrency"/.test(error.message),
  );
  assert.throws(
    () => client.getAttachments({ pool_id: "1" }, { concurrency: 2, prefetch: false }),
    (error: unknown) => error instanceof RangeError && /"prefetch"/.test(error.message),
  );
  assert.equal(script.requests.length, 0);
});

Deno.test("concurrency: 1 sends exactly the requests of the single lane", async () => {
  const items = tieHeavy(9, 300).map((item) => wire(item.id, item.created));
  for (const order of ORDERS) {
    const plain = scripted(referenceApi(items as never));
    const one = scripted(referenceApi(items as never));
    await collect(clientFor(plain).getAttachments({ pool_id: "1" }, { order, batchSize: 9 }));
    await collect(
      clientFor(one).getAttachments({ pool_id: "1" }, { order, batchSize: 9, concurrency: 1 }),
    );
    assert.deepEqual(one.requests.map((r) => r.url), plain.requests.map((r) => r.url), order);
  }
});

Deno.test("nothing is sent before the first next(), then the first page alone in an id range", async () => {
  const script = scripted(referenceApi(tieHeavy(5, 50).map((i) => wire(i.id, i.created)) as never));
  const iterator = clientFor(script).getAttachments(
    { pool_id: "1", id_gte: "0" },
    { concurrency: 4 },
  );
  await tick(5);
  assert.equal(script.requests.length, 0);
  await iterator.next();
  const queries = script.requests.map((r) => new URL(r.url).search);
  assert.deepEqual(queries, ["?pool_id=1&id_gte=0&sort=id&limit=100"]);
  await iterator.return?.();
});

// ---- early exits and failures ----

/**
 * A fetch over the emulator that answers the first `answered` requests (the first and the last
 * page) and leaves every later one hanging until its signal aborts, except those `answer` picks;
 * it records every request and which are still pending.
 */
function hanging(
  source: TolokaEmulator,
  answered: number,
  answer: (index: number, request: Request) => Promise<Response> | undefined = () => undefined,
): {
  fetch: (request: Request) => Promise<Response>;
  pending: Set<Request>;
  all: Request[];
} {
  const pending = new Set<Request>();
  const all: Request[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const index = all.push(request) - 1;
    pending.add(request);
    try {
      if (index < answered) return await source.fetch(request);
      const answer_ = answer(index, request);
      if (answer_ !== undefined) return await answer_;
      return await new Promise<Response>((_, reject) => {
        const abort = (): void => reject(request.signal.reason);
        if (request.signal.aborted) abort();
        request.signal.addEventListener("abort", abort, { once: true });
      });
    } finally {
      pending.delete(request);
    }
  };
  return { fetch, pending, all };
}

Deno.test("an early break aborts every lane's request in flight and sends no more", async () => {
  const transport = hanging(new TolokaEmulator({ pools: [3_000] }), 2);
  const client = fastClient(transport.fetch);
  let inFlight: Request[] = [];
  for await (const _ of client.getAttachments({ pool_id: "1" }, { concurrency: 8 })) {
    await tick(5); // let the lanes start
    inFlight = [...transport.pending];
    break;
  }
  assert.equal(inFlight.length, 8, "every lane had a request in flight");
  assert.ok(inFlight.every((request) => request.signal.aborted));
  await tick();
  assert.equal(transport.pending.size, 0, "every request ended");
  const sent = transport.all.length;
  await tick(20);
  assert.equal(transport.all.length, sent, "no request after the break");
});

Deno.test("an error in any lane rejects the iteration and aborts the other lanes", async () => {
  const source = new TolokaEmulator({ pools: [3_000] });
  for (const failing of [2, 5, 9]) {
    const denied = (): Response =>
      Response.json({ code: "ACCESS_DENIED", message: "no", request_id: "r" }, { status: 403 });
    const transport = hanging(source, 2, (index) =>
      // Answered once the other lanes are on their way.
      index === failing ? tick(5).then(denied) : undefined);
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        const client = fastClient(transport.fetch);
        for await (const item of client.getAttachments({ pool_id: "1" }, { concurrency: 8 })) {
          seen.push(item.id);
        }
      })(),
      (error: unknown) => error instanceof TolokaApiError && error.status === 403,
    );
    assert.equal(transport.all.length, 2 + 8, "the first page, the last page and eight lanes");
    assert.deepEqual(seen, source.attachments.map((a) => a.id).sort().slice(0, seen.length));
    await tick();
    assert.equal(transport.pending.size, 0, `request ${failing}: every lane stopped`);
  }
});

Deno.test("a page that breaks the schema in any lane rejects the iteration", async () => {
  let listings = 0;
  const fetch = async (request: Request): Promise<Response> => {
    const response = await emulator.fetch(request);
    if (++listings !== 6) return response;
    const body = await response.json();
    body.items[0].details = ["not", "an", "object"];
    return Response.json(body);
  };
  await assert.rejects(
    collect(fastClient(fetch).getAttachments({ pool_id: "1" }, { concurrency: 4, batchSize: 30 })),
    (error: unknown) => error instanceof TolokaResponseError && error.path === "items[0].details",
  );
});

Deno.test("retryable faults in lanes are retried and the listing stays exact", async () => {
  const flaky = new TolokaEmulator({
    pools: [1_500],
    faults: {
      rate: 0.15,
      kinds: ["429", "500", "503", "reset", "truncated"],
      seed: 3,
      retryAfterSeconds: 0,
    },
  });
  const client = new AttachmentsClient({
    token: "test-token",
    fetch: flaky.fetch,
    retries: 8,
    retryDelayMs: 1,
    maxRetryDelayMs: 5,
  });
  for (const order of ["id", "-created"] as const) {
    const got = (await collect(
      client.getAttachments({ pool_id: "1" }, { order, concurrency: 8, batchSize: 40 }),
    )).map((a) => a.id);
    const want = flaky.attachments.filter((a) => a.details.pool_id === "1")
      .sort(compareBy(SORT_OF[order])).map((a) => a.id);
    assert.deepEqual(got, want, order);
  }
});

// ---- memory ----

/**
 * Pages held ahead of the consumer, counted from outside: requests in flight plus answers that
 * brought an id no earlier answer had (each becomes exactly one page) minus pages taken. The last
 * page (the reversed request) is counted while in flight, not once it is held.
 */
Deno.test("lanes never hold more than 6 × concurrency pages ahead of a slow consumer", async () => {
  assert.equal(PAGES_PER_LANE, 6, "the documented bound");
  for (const order of ORDERS) {
    for (const [concurrency, batchSize] of [[3, 50], [8, 20]] as const) {
      const slow = new TolokaEmulator({ pools: [1_500], latencyMs: 2 });
      const seen = new Set<string>();
      let inFlight = 0;
      let pages = 0;
      let most = 0;
      const sort = SORT_OF[order].join(",");
      const fetch = async (request: Request): Promise<Response> => {
        const probe = new URL(request.url).searchParams.get("sort") !== sort;
        inFlight++;
        try {
          const response = await slow.fetch(request);
          const body = await response.clone().json() as { items: { id: string }[] };
          if (!probe && body.items.some((item) => !seen.has(item.id))) pages++;
          if (!probe) { for (const item of body.items) seen.add(item.id); }
          return response;
        } finally {
          inFlight--;
        }
      };
      const client = fastClient(fetch);
      let taken = 0;
      let count = 0;
      for await (
        const page of client.getAttachmentPages({ pool_id: "1" }, { order, concurrency, batchSize })
      ) {
        taken++;
        count += page.items.length;
        // A slow consumer: the lanes run ahead until their budget is used up, then wait.
        await tick(taken % 5 === 0 ? 15 : 1);
        most = Math.max(most, inFlight + pages - taken);
        assert.ok(
          inFlight + pages - taken <= PAGES_PER_LANE * concurrency + 1,
          `${order} ${concurrency}x${batchSize}: ${inFlight} in flight, ${pages - taken} held`,
        );
      }
      assert.equal(count, 1_500);
      assert.ok(most >= concurrency, `the lanes did run ahead (${most})`);
    }
  }
});

/**
 * Lists `items` in pages of 20 to a slow consumer, the answers coming after random short delays.
 * Returns the ids listed, the queries sent, and the most items seen in answers and not yet given
 * to the consumer.
 */
async function slowConsumer(
  items: readonly { id: string; created: string }[],
  order: Order,
  concurrency: number,
): Promise<{ ids: string[]; queries: URLSearchParams[]; most: number }> {
  const api = referenceApi(items);
  const random = seeded(concurrency);
  const seen = new Set<string>();
  const queries: URLSearchParams[] = [];
  let consumed = 0;
  let most = 0;
  const client = clientFor(scripted(async (request: Request) => {
    await tick(random());
    queries.push(new URL(request.url).searchParams);
    const response = await api(request);
    const body = await response.clone().json() as { items: { id: string }[] };
    for (const item of body.items) seen.add(item.id);
    most = Math.max(most, seen.size - consumed);
    return response;
  }));
  const ids: string[] = [];
  for await (
    const page of client.getAttachmentPages(
      { pool_id: "1" },
      { order, concurrency, batchSize: SLOW_BATCH },
    )
  ) {
    for (const item of page.items) ids.push(item.id);
    consumed += page.items.length;
    await tick(3); // a slow consumer: the lanes run ahead until the budget stops them
  }
  return { ids, queries, most };
}

const SLOW_BATCH = 20;

Deno.test("created: with most ids in one range and a slow consumer, at most 6 × concurrency pages are held", async () => {
  // 90% of the ids prefixed (past every UUID: all in the last range of ids), one ms apart.
  const uuids = randomUuids(3_000, 21);
  const items = uuids.map((id, index) => ({
    id: index % 10 === 0 ? id : `fr.${id}`,
    created: new Date(Date.UTC(2024, 0, 1) + index).toISOString().slice(0, 23),
  }));
  for (const order of ["created", "-created"] as const) {
    for (const concurrency of [2, 8]) {
      const { ids, most } = await slowConsumer(items, order, concurrency);
      assert.equal(ids.length, items.length);
      assert.equal(new Set(ids).size, items.length, `${order} ${concurrency}: each once`);
      assert.ok(
        most <= (PAGES_PER_LANE * concurrency + 1) * SLOW_BATCH,
        `${order} ${concurrency}: ${most} items held ahead`,
      );
    }
  }
});

Deno.test("by id, merged by created: with a slow consumer, at most 6 × concurrency pages are held", async () => {
  // 150 pages of 20: past 10 a lane, so the rest is read in ranges of created and merged.
  const items = randomUuids(3_000, 22).map((id, index) => ({
    id,
    created: new Date(Date.UTC(2024, 0, 1) + index).toISOString().slice(0, 23),
  }));
  for (const order of ["id", "-id"] as const) {
    for (const concurrency of [2, 8]) {
      const { ids, queries, most } = await slowConsumer(items, order, concurrency);
      assert.ok(queries.some((query) => query.has("created_gte")), `${order}: ranges of created`);
      assert.deepEqual(ids, items.toSorted(compareBy(SORT_OF[order])).map((item) => item.id));
      // Counted from outside, the first round's other pages look held until their items come
      // out (the scan drops them): `concurrency - 1` pages more than it holds.
      assert.ok(
        most <= (PAGES_PER_LANE * concurrency + concurrency) * SLOW_BATCH,
        `${order} ${concurrency}: ${most} items held ahead`,
      );
    }
  }
});
