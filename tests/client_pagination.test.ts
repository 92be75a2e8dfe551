import assert from "node:assert/strict";
import { TolokaResponseError } from "../mod.ts";
import {
  applyPage,
  type Cursor,
  fieldRangePlan,
  nextPageQuery,
  type PagingPlan,
  START,
} from "../src/pagination.ts";
import { validateFilter } from "../src/query.ts";
import { parseAttachmentPage } from "../src/schema.ts";
import type { AttachmentPage, Order } from "../src/types.ts";
import {
  clientFor,
  collect,
  compareBy,
  createdKey,
  deferred,
  page,
  paramsOf,
  randomUuids,
  referenceApi,
  scripted,
  seeded,
  tick,
  wire,
} from "./client_helpers.ts";

const T = "2024-01-01T00:00:00";

function plan(order: Order, batchSize: number, filter: Record<string, unknown> = {}): PagingPlan {
  return { order, batchSize, filter: validateFilter({ pool_id: "1", ...filter }) };
}

function parsed(items: Record<string, unknown>[], hasMore: boolean): AttachmentPage {
  return parseAttachmentPage({ items: structuredClone(items), has_more: hasMore });
}

function query(p: PagingPlan, cursor: Cursor): string {
  return decodeURIComponent(nextPageQuery(p, cursor).toString());
}

// ---- the pure "next request" function ----

Deno.test("nextPageQuery() starts with the caller's filter, sort and limit", () => {
  assert.equal(query(plan("id", 7), START), "pool_id=1&sort=id&limit=7");
  assert.equal(query(plan("-id", 7), START), "pool_id=1&sort=-id&limit=7");
  assert.equal(query(plan("created", 7), START), "pool_id=1&sort=created,id&limit=7");
  assert.equal(query(plan("-created", 7), START), "pool_id=1&sort=-created,-id&limit=7");
});

Deno.test("nextPageQuery() pages by id_gt ascending and id_lt descending", () => {
  assert.equal(query(plan("id", 5), { phase: "id", id: "m" }), "pool_id=1&id_gt=m&sort=id&limit=5");
  assert.equal(
    query(plan("-id", 5), { phase: "id", id: "m" }),
    "pool_id=1&id_lt=m&sort=-id&limit=5",
  );
});

Deno.test("nextPageQuery() merges the cursor with the caller's bound on the same side", () => {
  const p = plan("id", 5, { id_gte: "c", id_lt: "x" });
  assert.equal(query(p, START), "pool_id=1&id_gte=c&id_lt=x&sort=id&limit=5");
  assert.equal(query(p, { phase: "id", id: "m" }), "pool_id=1&id_gt=m&id_lt=x&sort=id&limit=5");
  // A cursor looser than the caller's bound (only in theory): the caller's bound wins.
  assert.equal(query(p, { phase: "id", id: "a" }), "pool_id=1&id_gte=c&id_lt=x&sort=id&limit=5");
  assert.equal(query(p, { phase: "id", id: "c" }), "pool_id=1&id_gt=c&id_lt=x&sort=id&limit=5");
  const down = plan("-id", 5, { id_gt: "c", id_lte: "x", id_lt: "w" });
  assert.equal(query(down, START), "pool_id=1&id_gt=c&id_lt=w&id_lte=x&sort=-id&limit=5");
  assert.equal(query(down, { phase: "id", id: "m" }), "pool_id=1&id_gt=c&id_lt=m&sort=-id&limit=5");
});

Deno.test("nextPageQuery() scans from the exact created string in created order", () => {
  const p = plan("created", 10, { created_gt: "2023-01-01", created_lt: "2025-01-01" });
  const c = `${T}.123456`;
  const at = { created: c, key: createdKey(c), id: "k" };
  assert.equal(
    query(p, { phase: "after", ...at, seen: 1 }),
    `pool_id=1&created_gte=${c}&created_lt=2025-01-01T00:00:00&sort=created,id&limit=10`,
  );
  assert.equal(
    query(p, { phase: "past", created: c, key: at.key }),
    `pool_id=1&created_gt=${c}&created_lt=2025-01-01T00:00:00&sort=created,id&limit=10`,
  );
  assert.equal(
    query(p, { phase: "ties", ...at }),
    `pool_id=1&id_gt=k&created_gte=${c}&created_lte=${c}&sort=id&limit=10`,
  );
});

Deno.test("nextPageQuery() mirrors every bound in -created order", () => {
  const p = plan("-created", 10, { created_gt: "2023-01-01", id_gte: "b" });
  const c = T;
  const at = { created: c, key: createdKey(c), id: "k" };
  assert.equal(
    query(p, { phase: "after", ...at, seen: 1 }),
    `pool_id=1&id_gte=b&created_gt=2023-01-01T00:00:00&created_lte=${c}&sort=-created,-id&limit=10`,
  );
  assert.equal(
    query(p, { phase: "past", created: c, key: at.key }),
    `pool_id=1&id_gte=b&created_gt=2023-01-01T00:00:00&created_lt=${c}&sort=-created,-id&limit=10`,
  );
  assert.equal(
    query(p, { phase: "ties", ...at }),
    `pool_id=1&id_gte=b&id_lt=k&created_gte=${c}&created_lte=${c}&sort=-id&limit=10`,
  );
});

// ---- the pure cursor step ----

Deno.test("applyPage() moves the id cursor to the last id and stops on has_more false", () => {
  const p = plan("id", 2);
  const first = applyPage(p, START, parsed([wire("a"), wire("b")], true));
  assert.deepEqual(first.items.map((i) => i.id), ["a", "b"]);
  assert.deepEqual(first.next, { phase: "id", id: "b" });
  const last = applyPage(p, first.next!, parsed([wire("c")], false));
  assert.equal(last.next, null);
});

Deno.test("applyPage() drops the leading items already yielded at the cursor's created", () => {
  const p = plan("created", 10);
  const cursor: Cursor = { phase: "after", created: T, key: createdKey(T), id: "b", seen: 2 };
  const step = applyPage(
    p,
    cursor,
    parsed(
      [wire("a", T), wire("b", `${T}.000000`), wire("c", `${T}.000`), wire("d", `${T}.1`)],
      true,
    ),
  );
  assert.deepEqual(step.items.map((i) => i.id), ["c", "d"]);
  assert.deepEqual(step.next, {
    phase: "after",
    created: `${T}.1`,
    key: createdKey(`${T}.1`),
    id: "d",
    seen: 1,
  });
});

Deno.test("applyPage() counts every yielded item at the last created value", () => {
  const p = plan("created", 10);
  const cursor: Cursor = { phase: "after", created: T, key: createdKey(T), id: "b", seen: 2 };
  const step = applyPage(p, cursor, parsed([wire("a", T), wire("b", T), wire("c", T)], true));
  assert.deepEqual(step.items.map((i) => i.id), ["c"]);
  assert.deepEqual(step.next, { phase: "after", created: T, key: createdKey(T), id: "c", seen: 3 });
});

Deno.test("applyPage() drains ties by id once half a page would be re-fetched", () => {
  const p = plan("created", 4);
  const step = applyPage(
    p,
    START,
    parsed([wire("a", "2024-01-01T00:00:00.5"), wire("b", T + ".9"), wire("c", T + ".9")], true),
  );
  assert.deepEqual(step.next, {
    phase: "ties",
    created: `${T}.9`,
    key: createdKey(`${T}.9`),
    id: "c",
  });
  const drained = applyPage(p, step.next!, parsed([wire("d", `${T}.900`)], false));
  assert.deepEqual(drained.items.map((i) => i.id), ["d"]);
  assert.deepEqual(drained.next, { phase: "past", created: `${T}.9`, key: createdKey(`${T}.9`) });
});

Deno.test("applyPage() switches to draining when a scan page is entirely already yielded", () => {
  const p = plan("created", 2);
  const cursor: Cursor = { phase: "after", created: T, key: createdKey(T), id: "b", seen: 0 };
  const step = applyPage(p, cursor, parsed([wire("a", T), wire("b", T)], true));
  assert.deepEqual(step.items, []);
  assert.deepEqual(step.next, { phase: "ties", created: T, key: createdKey(T), id: "b" });
});

Deno.test("applyPage() rejects an empty page with has_more: true", () => {
  for (const order of ["id", "-id", "created", "-created"] as const) {
    assert.throws(
      () => applyPage(plan(order, 5), START, parsed([], true)),
      (error: unknown) =>
        error instanceof TolokaResponseError &&
        /empty page with has_more: true/.test(error.message),
    );
  }
});

Deno.test("applyPage() rejects a page that does not move past the cursor", () => {
  assert.throws(
    () => applyPage(plan("id", 5), { phase: "id", id: "b" }, parsed([wire("b")], true)),
    /item "b" is not past the last one, "b"/,
  );
  assert.throws(
    () => applyPage(plan("-id", 5), { phase: "id", id: "b" }, parsed([wire("c")], true)),
    /item "c" is not past the last one/,
  );
  const ties: Cursor = { phase: "ties", created: T, key: createdKey(T), id: "b" };
  assert.throws(
    () => applyPage(plan("created", 5), ties, parsed([wire("a", T)], true)),
    TolokaResponseError,
  );
  const past: Cursor = { phase: "past", created: T, key: createdKey(T) };
  assert.throws(
    () => applyPage(plan("created", 5), past, parsed([wire("z", T)], true)),
    /outside the requested created range/,
  );
  const after: Cursor = { phase: "after", created: T, key: createdKey(T), id: "b", seen: 1 };
  assert.throws(
    () =>
      applyPage(plan("created", 5), after, parsed([wire("z", "2023-12-31T23:59:59.999999")], true)),
    /outside the requested created range/,
  );
});

Deno.test("applyPage() rejects items out of the requested order", () => {
  assert.throws(
    () => applyPage(plan("id", 5), START, parsed([wire("b"), wire("a")], false)),
    /out of order id/,
  );
  assert.throws(
    () =>
      applyPage(
        plan("created", 5),
        START,
        parsed([wire("a", `${T}.2`), wire("b", `${T}.1`)], false),
      ),
    /out of order created/,
  );
  assert.throws(
    () => applyPage(plan("-created", 5), START, parsed([wire("a", T), wire("b", T)], false)),
    /out of order -created/,
  );
  assert.throws(
    () => applyPage(plan("id", 5), START, parsed([wire("a"), wire("a")], false)),
    /out of order/,
  );
});

// ---- the iterator over a scripted API ----

Deno.test("getAttachments() sends nothing before the first next()", async () => {
  const script = scripted(page([wire("a")], false));
  const iterator = clientFor(script).getAttachments({ pool_id: "1" });
  await tick(5);
  assert.equal(script.requests.length, 0);
  assert.deepEqual((await iterator.next()).value?.id, "a");
  assert.equal(script.requests.length, 1);
  assert.equal((await iterator.next()).done, true);
});

Deno.test("getAttachments() sends limit=batchSize and the cursor on every page", async () => {
  const script = scripted(
    page([wire("a"), wire("b")], true),
    page([wire("c"), wire("d")], true),
    page([wire("e")], false),
  );
  const client = clientFor(script);
  const ids =
    (await collect(client.getAttachments({ pool_id: "1", id_lte: "z" }, { batchSize: 2 })))
      .map((a) => a.id);
  assert.deepEqual(ids, ["a", "b", "c", "d", "e"]);
  assert.deepEqual(script.requests.map(paramsOf), [
    [["pool_id", "1"], ["id_lte", "z"], ["sort", "id"], ["limit", "2"]],
    [["pool_id", "1"], ["id_gt", "b"], ["id_lte", "z"], ["sort", "id"], ["limit", "2"]],
    [["pool_id", "1"], ["id_gt", "d"], ["id_lte", "z"], ["sort", "id"], ["limit", "2"]],
  ]);
});

Deno.test("getAttachments() uses batchSize 100 and order id by default", async () => {
  const script = scripted(page([], false));
  assert.deepEqual(await collect(clientFor(script).getAttachments({ pool_id: "7" })), []);
  assert.deepEqual(paramsOf(script.requests[0]!), [["pool_id", "7"], ["sort", "id"], [
    "limit",
    "100",
  ]]);
});

Deno.test("getAttachmentPages() yields the new items of each page and whether more follow", async () => {
  const script = scripted(
    page([wire("a", T), wire("x", `${T}.2`), wire("b", `${T}.5`)], true),
    page([wire("b", `${T}.500000`), wire("c", `${T}.7`), wire("d", `${T}.70`)], true),
    page([wire("e", `${T}.700`)], false),
    page([wire("f", `${T}.8`)], false),
  );
  const pages = await collect(
    clientFor(script).getAttachmentPages({ pool_id: "1" }, { order: "created", batchSize: 3 }),
  );
  assert.deepEqual(pages.map((p) => [p.items.map((i) => i.id), p.has_more]), [
    [["a", "x", "b"], true],
    [["c", "d"], true],
    [["e"], true],
    [["f"], false],
  ]);
  assert.deepEqual(script.requests.map(paramsOf), [
    [["pool_id", "1"], ["sort", "created,id"], ["limit", "3"]],
    // One item at .5 was yielded: scan from it again, dropping it.
    [["pool_id", "1"], ["created_gte", `${T}.5`], ["sort", "created,id"], ["limit", "3"]],
    // Two at .7 would be re-fetched (2 * 2 >= 3): drain the ties at .7 by id.
    [
      ["pool_id", "1"],
      ["id_gt", "d"],
      ["created_gte", `${T}.70`],
      ["created_lte", `${T}.70`],
      ["sort", "id"],
      ["limit", "3"],
    ],
    // Then strictly past .7.
    [["pool_id", "1"], ["created_gt", `${T}.70`], ["sort", "created,id"], ["limit", "3"]],
  ]);
});

Deno.test("an empty page with has_more: true is a TolokaResponseError, not a loop", async () => {
  const script = scripted(page([wire("a")], true), () => page([], true));
  await assert.rejects(
    collect(clientFor(script).getAttachments({ pool_id: "1" }, { prefetch: false })),
    (error: unknown) =>
      error instanceof TolokaResponseError && /empty page with has_more: true/.test(error.message),
  );
  assert.equal(script.requests.length, 2);
});

Deno.test("a page that repeats the last one is a TolokaResponseError, not a loop", async () => {
  const script = scripted(() => page([wire("a"), wire("b")], true));
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const item of clientFor(script).getAttachments({ pool_id: "1" })) {
        seen.push(item.id);
      }
    })(),
    (error: unknown) =>
      error instanceof TolokaResponseError && /not past the last one/.test(error.message),
  );
  assert.deepEqual(seen, ["a", "b"]);
  assert.ok(script.requests.length <= 3);
});

Deno.test("a created page that does not advance is a TolokaResponseError, not a loop", async () => {
  // The server ignores created_gte and sends the same page forever.
  const script = scripted(() => page([wire("a", `${T}.1`), wire("b", `${T}.2`)], true));
  await assert.rejects(
    collect(clientFor(script).getAttachments({ pool_id: "1" }, { order: "created", batchSize: 2 })),
    TolokaResponseError,
  );
  assert.ok(script.requests.length <= 4, `${script.requests.length} requests`);
});

Deno.test("breaking out early aborts the request in flight and sends no more", async () => {
  let secondSignal: AbortSignal | undefined;
  const script = scripted(
    page([wire("a"), wire("b")], true),
    (request) => {
      secondSignal = request.signal;
      return new Promise<Response>(() => {}); // a slow server that ignores aborts
    },
  );
  const client = clientFor(script);
  for await (const item of client.getAttachments({ pool_id: "1" }, { batchSize: 2 })) {
    assert.equal(item.id, "a");
    await tick(); // let the prefetch start
    assert.equal(script.requests.length, 2);
    break;
  }
  assert.equal(secondSignal?.aborted, true);
  await tick(10);
  assert.equal(script.requests.length, 2);
});

Deno.test("return() while next() waits aborts the request and ends the iteration", async () => {
  let signal: AbortSignal | undefined;
  const script = scripted((request) => {
    signal = request.signal;
    return new Promise<Response>(() => {});
  });
  const iterator = clientFor(script).getAttachments({ pool_id: "1" });
  const pending = iterator.next();
  await tick();
  assert.equal(script.requests.length, 1);
  assert.deepEqual(await iterator.return!(), { done: true, value: undefined });
  assert.equal(signal?.aborted, true);
  assert.deepEqual(await pending, { done: true, value: undefined });
  assert.deepEqual(await iterator.next(), { done: true, value: undefined });
  assert.equal(script.requests.length, 1);
});

Deno.test("with prefetch the next page is requested before the consumer asks", async () => {
  const script = scripted(
    page([wire("a"), wire("b")], true),
    page([wire("c"), wire("d")], true),
    page([wire("e")], false),
  );
  const iterator = clientFor(script).getAttachmentPages({ pool_id: "1" }, { batchSize: 2 });
  const first = await iterator.next();
  assert.deepEqual(first.value?.items.map((i) => i.id), ["a", "b"]);
  await tick(5);
  assert.equal(script.requests.length, 2, "the second page is on its way");
  await tick(5);
  assert.equal(script.requests.length, 2, "at most one page ahead");
  await iterator.next();
  await tick(5);
  assert.equal(script.requests.length, 3);
  assert.equal((await iterator.next()).value?.has_more, false);
  assert.equal((await iterator.next()).done, true);
  assert.equal(script.requests.length, 3);
});

Deno.test("with prefetch a slow consumer and a slow server overlap", async () => {
  const gates = [deferred(), deferred()];
  const started: number[] = [];
  const script = scripted(
    async () => (started.push(0), await gates[0]!.promise, page([wire("a")], true)),
    async () => (started.push(1), await gates[1]!.promise, page([wire("b")], false)),
  );
  const iterator = clientFor(script).getAttachments({ pool_id: "1" });
  const first = iterator.next();
  await tick();
  gates[0]!.resolve();
  assert.equal((await first).value?.id, "a");
  // The consumer is still busy with "a": the second page is already being fetched.
  await tick();
  assert.deepEqual(started, [0, 1]);
  gates[1]!.resolve();
  assert.equal((await iterator.next()).value?.id, "b");
});

Deno.test("without prefetch a page is requested only when the consumer asks", async () => {
  const script = scripted(page([wire("a")], true), page([wire("b")], false));
  const iterator = clientFor(script).getAttachments({ pool_id: "1" }, { prefetch: false });
  assert.equal((await iterator.next()).value?.id, "a");
  await tick(10);
  assert.equal(script.requests.length, 1);
  assert.equal((await iterator.next()).value?.id, "b");
  assert.equal(script.requests.length, 2);
});

Deno.test("aborting the caller's signal mid-iteration rejects with its reason", async () => {
  const controller = new AbortController();
  const script = scripted(page([wire("a")], true), () => new Promise<Response>(() => {}));
  const iterator = clientFor(script).getAttachments({ pool_id: "1" }, {
    signal: controller.signal,
  });
  assert.equal((await iterator.next()).value?.id, "a");
  const pending = iterator.next();
  const reason = new Error("enough");
  controller.abort(reason);
  await assert.rejects(pending, (error) => error === reason);
  assert.equal(script.requests[1]?.signal.aborted, true);
  assert.equal((await iterator.next()).done, true);
});

Deno.test("a page that fails its checks aborts the prefetch its last id already started", async () => {
  let prefetched: Request | undefined;
  const script = scripted(
    // Out of order, but with has_more and a last id: the next request goes out before the checks.
    page([wire("b"), wire("a")], true),
    (request) => {
      prefetched = request;
      return new Promise<Response>(() => {});
    },
  );
  await assert.rejects(
    collect(clientFor(script).getAttachments({ pool_id: "1" })),
    (error: unknown) => error instanceof TolokaResponseError && /out of order/.test(error.message),
  );
  assert.equal(new URL(prefetched!.url).searchParams.get("id_gt"), "a");
  assert.equal(prefetched?.signal.aborted, true);
});

Deno.test("a failed prefetch surfaces when its page is reached", async () => {
  const script = scripted(
    page([wire("a")], true),
    new Response("nope", { status: 404 }),
  );
  const iterator = clientFor(script).getAttachments({ pool_id: "1" });
  assert.equal((await iterator.next()).value?.id, "a");
  await assert.rejects(iterator.next(), /404/);
});

// ---- every order against a reference API, with ties and microseconds ----

interface Item {
  id: string;
  created: string;
}

function dataset(seed: number, size: number): Item[] {
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
  const items: Item[] = [];
  const ids = new Set<string>();
  while (items.length < size) {
    const id = Math.floor(random() * 1e9).toString(36).padStart(6, "0");
    if (ids.has(id)) continue;
    ids.add(id);
    const base = bases[Math.floor(random() * bases.length)]!;
    const fraction = fractions[Math.floor(random() * fractions.length)]!;
    items.push({ id, created: base + fraction });
  }
  return items;
}

const ORDERS: Record<Order, string[]> = {
  id: ["id"],
  "-id": ["-id"],
  created: ["created", "id"],
  "-created": ["-created", "-id"],
};

for (const order of ["id", "-id", "created", "-created"] as const) {
  Deno.test(`getAttachments() in order ${order} yields each item once, against a reference API`, async () => {
    for (
      const [seed, size, batchSize] of [
        [1, 0, 5],
        [2, 1, 1],
        [3, 60, 1],
        [4, 250, 7],
        [5, 250, 13],
        [6, 400, 100],
        [7, 120, 2],
        [8, 90, 3],
      ] as const
    ) {
      const items = dataset(seed, size).map((item) =>
        wire(item.id, item.created)
      ) as never as Item[];
      const script = scripted(referenceApi(items));
      const client = clientFor(script);
      const got = (await collect(client.getAttachments({ pool_id: "1" }, { order, batchSize })))
        .map((a) => a.id);
      const expected = [...items].sort(compareBy(ORDERS[order])).map((i) => i.id);
      assert.deepEqual(got, expected, `seed ${seed}, batch ${batchSize}`);
      for (const request of script.requests) {
        assert.equal(new URL(request.url).searchParams.get("limit"), String(batchSize));
      }
    }
  });
}

Deno.test("getAttachments() keeps the caller's id and created ranges on every page", async () => {
  const items = dataset(11, 300).map((item) => wire(item.id, item.created)) as never as Item[];
  const ranges: Record<string, string>[] = [
    { id_gt: "3", id_lte: "f" },
    { id_gte: "5" },
    { created_gte: "2024-01-01T00:00:00.345", created_lt: "2024-01-02T10:00:00.000001" },
    { created_gt: "2024-01-01T00:00:00.345", id_lt: "c" },
    { created_lte: "2024-01-01T00:00:01.345000", id_gt: "2" },
  ];
  for (const range of ranges) {
    const inRange = (item: Item): boolean =>
      (range.id_gt === undefined || item.id > range.id_gt) &&
      (range.id_gte === undefined || item.id >= range.id_gte) &&
      (range.id_lt === undefined || item.id < range.id_lt) &&
      (range.id_lte === undefined || item.id <= range.id_lte) &&
      (range.created_gt === undefined || createdKey(item.created) > createdKey(range.created_gt)) &&
      (range.created_gte === undefined ||
        createdKey(item.created) >= createdKey(range.created_gte)) &&
      (range.created_lt === undefined || createdKey(item.created) < createdKey(range.created_lt)) &&
      (range.created_lte === undefined ||
        createdKey(item.created) <= createdKey(range.created_lte));
    for (const order of ["id", "-id", "created", "-created"] as const) {
      const script = scripted(referenceApi(items));
      const got = (await collect(
        clientFor(script).getAttachments({ pool_id: "1", ...range }, { order, batchSize: 9 }),
      )).map((a) => a.id);
      const expected = items.filter(inRange).sort(compareBy(ORDERS[order])).map((i) => i.id);
      assert.ok(expected.length > 0);
      assert.deepEqual(got, expected, `${JSON.stringify(range)} ${order}`);
    }
  }
});

Deno.test("fieldRangePlan narrows a field to [low, high) in any order, keeping the tighter caller bound", () => {
  const plan = (filter: Record<string, string>, order: Order): PagingPlan => ({
    filter: filter as PagingPlan["filter"],
    order,
    batchSize: 100,
  });
  const id = (value: string) => ({ value, key: value });
  for (const order of ["created", "-created", "id", "-id"] as const) {
    assert.deepEqual(fieldRangePlan(plan({ pool_id: "1" }, order), "id", id("4"), id("8")).filter, {
      pool_id: "1",
      id_gte: "4",
      id_lt: "8",
    });
  }
  // The caller's bounds: the tighter one on each side is sent.
  assert.deepEqual(
    fieldRangePlan(
      plan({ pool_id: "1", id_gt: "5", id_lte: "9" }, "created"),
      "id",
      id("4"),
      id("8"),
    )
      .filter,
    { pool_id: "1", id_gt: "5", id_lt: "8" },
  );
  assert.deepEqual(
    fieldRangePlan(plan({ pool_id: "1", id_gte: "2" }, "-created"), "id", undefined, id("8"))
      .filter,
    { pool_id: "1", id_gte: "2", id_lt: "8" },
  );
  // `created`: compared by timestamp key (the caller's date-only bound is midnight), sent as given.
  const at = (value: string) => ({ value, key: `${value}000` });
  assert.deepEqual(
    fieldRangePlan(
      plan({ pool_id: "1", created_gte: "2024-05-02" }, "-id"),
      "created",
      at("2024-05-01T10:00:00.000001"),
      at("2024-05-03T00:00:00.500000"),
    ).filter,
    {
      pool_id: "1",
      created_gte: "2024-05-02",
      created_lt: "2024-05-03T00:00:00.500000",
    },
  );
});

Deno.test("an id with a lone surrogate is never sent as a cursor: the listing fails naming it, nothing skipped", async () => {
  // In a URL the id would become "b\ufffd", past "b\ud800x" and "b\ue000": both would be lost.
  const ids = ["a", "b\ud800", "b\ud800x", "b\ue000", "c"];
  const items = ids.map((id, index) => ({ id, created: `${T}.00${index}` }));
  const api = referenceApi(items);
  for (const concurrency of [1, 2]) {
    const seen: string[] = [];
    const queries: string[] = [];
    const client = clientFor(scripted((request: Request) => {
      queries.push(new URL(request.url).search);
      return api(request);
    }));
    await assert.rejects(
      (async () => {
        for await (
          const item of client.getAttachments(
            { pool_id: "1", id_gte: "a" },
            { batchSize: 2, concurrency },
          )
        ) {
          seen.push(item.id);
        }
      })(),
      (error: unknown) =>
        error instanceof TolokaResponseError && error.message.includes('"b\\ud800"') &&
        error.message.includes("lone UTF-16 surrogate"),
    );
    assert.deepEqual(seen, ids.slice(0, seen.length), `${concurrency}: a prefix, nothing skipped`);
    assert.ok(queries.every((query) => !query.includes("%EF%BF%BD")), `${concurrency}: ${queries}`);
  }
});

Deno.test("with lanes, a page ending at a lone-surrogate id fails the listing at once, in every order", async () => {
  // Pages of one: every id ends a page, so some lane's next request would page past it.
  const ids = randomUuids(120, 51).map((id, index) =>
    index % 40 === 7 ? `${id.slice(0, 9)}\ud800${id.slice(10)}` : id
  );
  const items = ids.map((id, index) => ({ id, created: `${T}.${String(index).padStart(3, "0")}` }));
  const api = referenceApi(items);
  for (const order of ["id", "-id"] as const) {
    for (const concurrency of [2, 3, 8]) {
      const client = clientFor(scripted((request: Request) => api(request)));
      await assert.rejects(
        collect(client.getAttachments({ pool_id: "1" }, { order, concurrency, batchSize: 1 })),
        (error: unknown) =>
          error instanceof TolokaResponseError && error.message.includes("lone UTF-16 surrogate"),
        `${order} ${concurrency}`,
      );
    }
  }
});
