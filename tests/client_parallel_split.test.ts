/**
 * How the parallel scan splits a listing, request by request. With no bounds on ids, the first
 * round is one even part of the UUID space per lane: by id, consecutive parts; by `created`, parts
 * read in `created` order and merged. Within a caller's id range, a listing of one page costs one
 * request by id and two by `created` (both ends); by id, the second round is the last page (read
 * in reverse) and, for ids that pass the uniform check, as many chunks as the pages between, else
 * the next page only. Ties on `created` at the last page's edge and across cuts come out exactly once; an early
 * break after the first round aborts everything. Requests are released round by round (every
 * request sent while the previous round was answered forms the next), so counts are exact.
 */

import assert from "node:assert/strict";
import { type AttachmentFilter, type Order, ORDERS } from "../mod.ts";
import {
  clientFor,
  collect,
  compareBy,
  randomUuids,
  referenceApi,
  scripted,
  SORT_OF,
  tick,
} from "./client_helpers.ts";

type Item = { id: string; created: string };

/** Items with these ids, one a millisecond apart in the given order (else in id order). */
function itemsOf(ids: readonly string[]): Item[] {
  return ids.map((id, index) => ({
    id,
    created: new Date(Date.UTC(2024, 0, 1) + index).toISOString().slice(0, 23),
  }));
}

/**
 * Lists `items` with 8 lanes, answering round by round: each round answers every request sent
 * so far, in the order sent. Returns the ids listed and each round's queries.
 */
async function inRounds(
  items: readonly Item[],
  order: Order,
  options: {
    concurrency?: number;
    breakAfter?: number;
    filter?: AttachmentFilter;
    /** Requests (numbered from 0 as sent) never answered. */
    hang?: (index: number) => boolean;
  } = {},
): Promise<{ ids: string[]; rounds: string[][]; aborted: number }> {
  const api = referenceApi(items);
  const pending: { request: Request; answer: (response: Response) => void }[] = [];
  let aborted = 0;
  let sent = 0;
  const script = scripted((request: Request) =>
    new Promise<Response>((resolve, reject) => {
      if (!options.hang?.(sent++)) pending.push({ request, answer: resolve });
      request.signal.addEventListener("abort", () => {
        aborted++;
        reject(request.signal.reason);
      }, { once: true });
    })
  );
  const client = clientFor(script);
  const ids: string[] = [];
  let done = false;
  const listing = (async () => {
    for await (
      const item of client.getAttachments(
        { pool_id: "1", ...options.filter },
        { order, concurrency: options.concurrency ?? 8 },
      )
    ) {
      ids.push(item.id);
      if (ids.length === options.breakAfter) break;
    }
    done = true;
  })();
  const rounds: string[][] = [];
  for (;;) {
    await tick();
    await tick();
    if (done) break;
    const batch = pending.splice(0);
    if (batch.length === 0) continue;
    rounds.push(batch.map(({ request }) => decodeURIComponent(new URL(request.url).search)));
    for (const { request, answer } of batch) answer(await api(request));
  }
  await listing;
  return { ids, rounds, aborted };
}

function sorted(items: readonly Item[], order: Order): string[] {
  return items.toSorted(compareBy(SORT_OF[order])).map((item) => item.id);
}

/**
 * A caller's bound on ids that every id here passes: by id, the scan then starts from the first
 * page alone (the even parts of the UUID space are only cut when the caller sets no id bound).
 */
function anyId(order: Order): AttachmentFilter {
  return order === "-id" ? { id_lte: "~" } : { id_gte: "0" };
}

/** The caller's bound of {@linkcode anyId} as it appears in a query. */
function anyIdQuery(order: Order): string {
  return order === "-id" ? "id_lte=~" : "id_gte=0";
}

Deno.test("a listing of one page: one round of 8 parts; in an id range one page by id, both ends by created", async () => {
  for (const size of [0, 1, 60, 100]) {
    const items = itemsOf(randomUuids(size, size + 1));
    for (const order of ORDERS) {
      const byId = order === "id" || order === "-id";
      const { ids, rounds } = await inRounds(items, order);
      assert.deepEqual(ids, sorted(items, order), `${size} ${order}`);
      assert.deepEqual(rounds.map((round) => round.length), [8], `${size} ${order}`);
      const ranged = await inRounds(items, order, { filter: anyId(order) });
      assert.deepEqual(ranged.ids, sorted(items, order), `${size} ${order} in a range`);
      const requests = byId ? 1 : 2;
      const { rounds: rangedRounds } = ranged;
      assert.deepEqual(
        rangedRounds.map((round) => round.length),
        [requests],
        `${size} ${order}: ${rangedRounds}`,
      );
    }
  }
});

Deno.test("by id: the first round is one even part of the UUID space per lane, the ends open", async () => {
  const items = itemsOf(randomUuids(3_000, 1));
  for (const concurrency of [3, 8]) {
    for (const order of ["id", "-id"] as const) {
      const { ids, rounds } = await inRounds(items, order, { concurrency });
      assert.deepEqual(ids, sorted(items, order), order);
      const first = (rounds[0] ?? []).map((query) => new URLSearchParams(query));
      assert.equal(first.length, concurrency);
      const [low, high] = order === "id" ? ["id_gte", "id_lt"] : ["id_lte", "id_gt"];
      // Consecutive: each part starts where the one before ends; the first and last are open.
      assert.equal(first[0]?.get(low), null);
      assert.equal(first.at(-1)?.get(high), null);
      for (let part = 1; part < concurrency; part++) {
        assert.equal(first[part]?.get(low), first[part - 1]?.get(high), `${order} part ${part}`);
      }
      // Even: each part holds about its share of random UUIDs (within a third).
      for (const query of first) {
        const from = query.get(low);
        const to = query.get(high);
        const inside = items.filter((item) =>
          order === "id"
            ? (from === null || item.id >= from) && (to === null || item.id < to)
            : (from === null || item.id <= from) && (to === null || item.id > to)
        ).length;
        const share = items.length / concurrency;
        assert.ok(Math.abs(inside - share) < share / 3, `${order}: ${inside} of ${share}`);
      }
    }
  }
});

Deno.test("by id: 3,000 random UUIDs in 4 or 5 rounds (serially 30), 8 parts of about 3.75 pages", async () => {
  for (const seed of [1, 2, 3]) {
    const items = itemsOf(randomUuids(3_000, seed));
    for (const order of ["id", "-id"] as const) {
      const { ids, rounds } = await inRounds(items, order);
      assert.deepEqual(ids, sorted(items, order));
      assert.ok(rounds.length >= 4 && rounds.length <= 5, `${seed} ${order}: ${rounds.length}`);
      // Each part's last page is partial: at most one request more per part than serially.
      assert.ok(rounds.flat().length <= 30 + 8, `${seed} ${order}: ${rounds.flat().length}`);
    }
  }
});

/** The caller's created bounds and the created ranges of a query, as timestamps in ms. */
function createdRange(query: URLSearchParams): { low: number; high: number } {
  const at = (name: string, otherwise: number): number => {
    const value = query.get(name);
    return value === null ? otherwise : Date.parse(`${value}Z`);
  };
  return { low: at("created_gte", -Infinity), high: at("created_lt", Infinity) };
}

Deno.test("by id: 5% prefixed ids past the UUIDs, 30 pages in 5 rounds", async () => {
  for (const seed of [41, 42, 43, 44]) {
    // Shuffled against `created` (sorted by a random key), so ids do not follow time.
    const ids = [
      ...randomUuids(2_850, seed),
      ...randomUuids(150, seed + 100).map((id) => `fr.${id}`),
    ];
    const keys = randomUuids(ids.length, seed + 200);
    const items = itemsOf(
      ids.map((id, index) => ({ id, key: keys[index] as string }))
        .toSorted((a, b) => (a.key < b.key ? -1 : 1)).map(({ id }) => id),
    );
    for (const order of ["id", "-id"] as const) {
      const { ids: listed, rounds } = await inRounds(items, order);
      assert.deepEqual(listed, sorted(items, order), `${seed} ${order}`);
      // The part that holds the cluster finds it late; once a page ends in it, what is left is
      // measured on the cluster's own ids and shared among the free lanes.
      assert.ok(rounds.length <= 5, `${seed} ${order}: ${rounds.length} rounds`);
      assert.ok(rounds.flat().length <= 30 + 8, `${seed} ${order}: ${rounds.flat().length}`);
    }
  }
});

Deno.test("by id: past 10 pages a lane, the rest is cut by created at the first round's quantiles, read by id and merged", async () => {
  for (const seed of [1, 2]) {
    const items = itemsOf(randomUuids(12_000, seed));
    for (const order of ["id", "-id"] as const) {
      const { ids, rounds } = await inRounds(items, order);
      const expected = sorted(items, order);
      assert.deepEqual(ids, expected, `${seed} ${order}`);
      assert.equal(rounds[0]?.length, 8, "the first round: one even part of the UUIDs a lane");
      // The second round: 8 ranges of created, ascending and consecutive, the ends open, each
      // read by id past the first page (the first part's, which was the listing's first).
      const second = (rounds[1] ?? []).map((query) => new URLSearchParams(query));
      assert.equal(second.length, 8);
      const past = order === "id" ? "id_gt" : "id_lt";
      const ranges = second.map(createdRange);
      for (const [index, query] of second.entries()) {
        assert.equal(query.get("sort"), order);
        assert.equal(query.get(past), expected[99], `${order} range ${index}: past the first page`);
        const range = ranges[index] as { low: number; high: number };
        assert.ok(range.low < range.high);
        if (index > 0) assert.equal(range.low, ranges[index - 1]?.high, `range ${index}`);
      }
      assert.equal(ranges[0]?.low, -Infinity);
      assert.equal(ranges.at(-1)?.high, Infinity);
      // About even: created runs with the array here, so each range holds a slice of it.
      for (const { low, high } of ranges) {
        const inside = items.filter((item) => {
          const at = Date.parse(`${item.created}Z`);
          return at >= low && at < high;
        }).length;
        assert.ok(Math.abs(inside - 1_500) < 500, `${seed} ${order}: ${inside} of 1,500`);
      }
      // 120 pages: serially 120 rounds and requests; here about 16 rounds, and besides the
      // serial scan's requests the first round's 7 unused pages, and a partial page a range.
      const requests = rounds.flat();
      assert.ok(rounds.length <= 19, `${seed} ${order}: ${rounds.length} rounds`);
      assert.ok(requests.length <= 120 + 24, `${seed} ${order}: ${requests.length} requests`);
      assert.equal(new Set(requests).size, requests.length, "no query sent twice");
    }
  }
});

Deno.test("by id, merged: the ranges' first requests are out while the consumer holds the first page", async () => {
  const items = itemsOf(randomUuids(12_000, 12));
  const api = referenceApi(items);
  for (const order of ["id", "-id"] as const) {
    const queries: string[] = [];
    const client = clientFor(scripted((request: Request) => {
      queries.push(new URL(request.url).search);
      return api(request);
    }));
    const pages = client.getAttachmentPages({ pool_id: "1" }, { order, concurrency: 8 });
    const first = await pages.next();
    assert.equal(first.value?.items.length, 100);
    await tick(5); // the consumer is busy with the first page
    const ranges = queries.slice(8).filter((query) => query.includes("created_"));
    // Every range has been read from (answers here are instant, so the lanes ran on).
    assert.ok(ranges.length >= 8, `${order}: ${queries.length} requests`);
    await pages.return?.(undefined);
  }
});

Deno.test("by id, merged: the caller's created range and filters stay on every range", async () => {
  const items = itemsOf(randomUuids(12_000, 7));
  // The middle ten seconds of the twelve the items span (one a millisecond).
  const filter = { created_gte: "2024-01-01T00:00:01", created_lt: "2024-01-01T00:00:11" };
  const caller = {
    low: Date.parse("2024-01-01T00:00:01Z"),
    high: Date.parse("2024-01-01T00:00:11Z"),
  };
  const inside = items.filter((item) => {
    const at = Date.parse(`${item.created}Z`);
    return at >= caller.low && at < caller.high;
  });
  for (const order of ["id", "-id"] as const) {
    const { ids, rounds } = await inRounds(items, order, { filter });
    assert.deepEqual(ids, sorted(inside, order), order);
    const queries = rounds.flat().map((query) => new URLSearchParams(query));
    assert.ok(queries.every((query) => query.get("pool_id") === "1"));
    for (const query of queries) {
      const { low, high } = createdRange(query);
      assert.ok(low >= caller.low && high <= caller.high, `${order}: ${query}`);
    }
    // Cut by created within the caller's range: some range starts past the caller's start.
    assert.ok(queries.some((query) => createdRange(query).low > caller.low), `${order}: merged`);
  }
});

Deno.test("by id: long runs of ties on created, ids that follow time, or 10 pages a lane or fewer, go on with the chunk scan", async () => {
  // A fifth of 12,000 items share one instant: the range holding it would be one lane's.
  const tied = itemsOf(randomUuids(12_000, 8)).map((item, index) =>
    index >= 5_000 && index < 7_400 ? { ...item, created: "2024-01-01T00:00:05.000" } : item
  );
  const small = itemsOf(randomUuids(3_000, 9));
  // UUIDs that follow time: version 7 (the millisecond first), all in one part of the first
  // round; and ids spread over the whole space, rising with time.
  const withHead = (head: (index: number) => number) =>
    itemsOf(
      randomUuids(12_000, 11).map((id, index) =>
        `${head(index).toString(16).padStart(12, "0").replace(/^(.{8})/, "$1-")}${id.slice(13)}`
      ),
    );
  const v7 = withHead((index) => 0x18f0000000 + index);
  const spread = withHead((index) => Math.floor((index / 12_000) * 0x1000000000000));
  const pools = [["ties", tied], ["30 pages", small], ["UUIDv7", v7], ["spread in time", spread]];
  for (const [name, items] of pools as [string, Item[]][]) {
    for (const order of ["id", "-id"] as const) {
      const { ids, rounds } = await inRounds(items, order);
      assert.deepEqual(ids, sorted(items, order), `${name} ${order}`);
      const requests = rounds.flat();
      assert.ok(
        requests.every((query) => !query.includes("created_")),
        `${name} ${order}: no range of created`,
      );
      // The chunk scan takes over the first round's requests: nothing is sent twice.
      assert.equal(new Set(requests).size, requests.length, `${name} ${order}`);
    }
  }
});

Deno.test("by id, merged: a first-round request that never answers is aborted, not waited for", async () => {
  const items = itemsOf(randomUuids(12_000, 10));
  for (const order of ["id", "-id"] as const) {
    const { ids, aborted } = await inRounds(items, order, { hang: (index) => index === 5 });
    assert.deepEqual(ids, sorted(items, order), order);
    assert.equal(aborted, 1, `${order}: the sixth part's request`);
  }
});

Deno.test("in an id range, uniform UUIDs: the second round is the last page and a chunk for each page between", async () => {
  const items = itemsOf(randomUuids(3_000, 1));
  for (const order of ["id", "-id"] as const) {
    const { ids, rounds } = await inRounds(items, order, { filter: anyId(order) });
    assert.deepEqual(ids, sorted(items, order), order);
    const [[first] = [], second = []] = rounds;
    const minus = order === "id" ? "" : "-";
    assert.equal(first, `?pool_id=1&${anyIdQuery(order)}&sort=${order}&limit=100`);
    const last = ids[99] as string;
    const [end, ...chunks] = second;
    const reversed = order === "id" ? "-id" : "id";
    assert.equal(
      end,
      `?pool_id=1&${order === "id" ? "id_gt" : "id_lt"}=${last}&sort=${reversed}&limit=100`,
    );
    assert.equal(chunks.length, 7, `${order}: ${second.join(" ")}`);
    // Consecutive ranges from the first page on, each starting where the one before ends.
    let from = `${order === "id" ? "id_gt" : "id_lt"}=${last}`;
    for (const [index, chunk] of chunks.entries()) {
      const query = new URLSearchParams(chunk);
      assert.equal(query.get("sort"), `${minus}id`);
      const [start, stop] = order === "id" ? ["id_gte", "id_lt"] : ["id_lte", "id_gt"];
      const begin = query.get(from.split("=")[0] as string);
      assert.equal(begin, from.split("=")[1], chunk);
      const next = query.get(stop) as string;
      // The last runs to the end, bounded once the last page is back.
      if (index === chunks.length - 1) break;
      assert.ok(next !== null, chunk);
      from = `${start}=${next}`;
    }
  }
});

Deno.test("in an id range, uniform UUIDs: 3,000 items in 6 rounds and 35 requests (serially 30 of each)", async () => {
  const items = itemsOf(randomUuids(3_000, 1));
  const { ids, rounds } = await inRounds(items, "id", { filter: anyId("id") });
  assert.deepEqual(ids, sorted(items, "id"));
  assert.equal(rounds.length, 6);
  assert.equal(rounds.flat().length, 35);
});

Deno.test("in an id range, uniform UUIDs: two pages cost two requests, three pages three or four", async () => {
  for (const [size, requests] of [[101, 2], [150, 2], [200, 2], [250, 3], [300, 4]] as const) {
    const items = itemsOf(randomUuids(size, size));
    for (const order of ["id", "-id"] as const) {
      const { ids, rounds } = await inRounds(items, order, { filter: anyId(order) });
      assert.deepEqual(ids, sorted(items, order), `${size} ${order}`);
      assert.equal(rounds.flat().length, requests, `${size} ${order}: ${rounds.join(" | ")}`);
    }
  }
});

Deno.test("in an id range, created orders and other ids: two pages cost two or three requests", async () => {
  // Created: both ends in the first round, which cover the listing. Other ids: the first page,
  // then the last page and the next, found in the last.
  const cases: [string, Item[], Order[], number[]][] = [
    ["uuids", itemsOf(randomUuids(150, 11)), ["created", "-created"], [2]],
    ["numbers", itemsOf(Array.from({ length: 150 }, (_, i) => `n${1_000 + i}`)), ["id", "-id"], [
      1,
      2,
    ]],
  ];
  for (const [name, items, orders, expected] of cases) {
    for (const order of orders) {
      const { ids, rounds } = await inRounds(items, order, { filter: anyId(order) });
      assert.deepEqual(ids, sorted(items, order), `${name} ${order}`);
      assert.deepEqual(rounds.map((round) => round.length), expected, `${name} ${order}`);
    }
  }
});

Deno.test("ids that are not random UUIDs come out exactly once from the even parts, by id", async () => {
  const numbers = Array.from({ length: 2_000 }, (_, i) => `att-${String(i * 7).padStart(6, "0")}`);
  const prefixed = randomUuids(2_000, 3).map((id) => `fr.${id}`);
  const clustered = randomUuids(2_000, 4).map((id) => `018f3a${id.slice(6)}`); // time-ordered, like v7
  const mixed = [...randomUuids(1_900, 5), ...randomUuids(100, 6).map((id) => `fr.${id}`)];
  for (const ids of [numbers, prefixed, clustered, mixed]) {
    const items = itemsOf(ids);
    for (const order of ["id", "-id"] as const) {
      const listed = await inRounds(items, order);
      assert.deepEqual(listed.ids, sorted(items, order), `${ids[0]} ${order}`);
      assert.equal(listed.rounds[0]?.length, 8);
    }
  }
});

Deno.test("in an id range, ids that fail the uniform check: the second round is the last page and the next page", async () => {
  const numbers = Array.from({ length: 2_000 }, (_, i) => `att-${String(i * 7).padStart(6, "0")}`);
  const prefixed = randomUuids(2_000, 3).map((id) => `fr.${id}`);
  const clustered = randomUuids(2_000, 4).map((id) => `018f3a${id.slice(6)}`); // time-ordered, like v7
  for (const ids of [numbers, prefixed, clustered]) {
    const items = itemsOf(ids);
    for (const order of ["id", "-id"] as const) {
      const listed = await inRounds(items, order, { filter: anyId(order) });
      assert.deepEqual(listed.ids, sorted(items, order), `${ids[0]} ${order}`);
      const second = listed.rounds[1] ?? [];
      assert.equal(second.length, 2, `${ids[0]} ${order}: ${second.join(" ")}`);
      const head = new URLSearchParams(second[1]);
      // The next page, not bounded yet: the end of the listing is not known.
      assert.equal(head.get(order === "id" ? "id_lt" : "id_gt"), null, second[1]);
    }
  }
});

Deno.test("-id on a prefixed cluster, then UUIDs: the cluster's part is cut by its own ids", async () => {
  const ids = [...randomUuids(150, 21).map((id) => `fr.${id}`), ...randomUuids(2_850, 22)];
  const items = itemsOf(ids);
  const { ids: listed, rounds } = await inRounds(items, "-id");
  assert.deepEqual(listed, sorted(items, "-id"));
  // The first part holds the cluster and its share of UUIDs (about 506 items, 6 pages): it is
  // cut in the cluster's characters once its first page shows them, so it ends with the others
  // (5 rounds), not a page a round after them.
  const clusterCuts = rounds.flat().filter((query) =>
    (new URLSearchParams(query).get("id_lt") ?? "").startsWith("fr.")
  );
  assert.ok(clusterCuts.length > 0, rounds.join("\n"));
  assert.ok(rounds.length <= 5, `${rounds.length} rounds`);
});

Deno.test("in an id range, -id on a prefixed cluster, then UUIDs: parts cut on the UUIDs from the third round", async () => {
  const ids = [...randomUuids(150, 21).map((id) => `fr.${id}`), ...randomUuids(2_850, 22)];
  const items = itemsOf(ids);
  const { ids: listed, rounds } = await inRounds(items, "-id", { filter: anyId("-id") });
  assert.deepEqual(listed, sorted(items, "-id"));
  // The first page alone, then the last page and the next; then every lane.
  assert.deepEqual(rounds.slice(0, 3).map((round) => round.length), [1, 2, 8]);
  for (const query of rounds[2] as string[]) {
    // Cut on the projection of UUIDs: bounds written as UUIDs, not in the cluster's characters.
    const bound = new URLSearchParams(query).get("id_gt");
    assert.ok(bound === null || /^[0-9a-f-]+$/.test(bound), query);
  }
  // 30 pages in 7 rounds and 36 requests.
  assert.equal(rounds.length, 7);
  assert.equal(rounds.flat().length, 36);
});

Deno.test("created: the first round is one range of ids per lane, each read in created order", async () => {
  const items = itemsOf(randomUuids(3_000, 5));
  for (const order of ["created", "-created"] as const) {
    const { ids, rounds } = await inRounds(items, order);
    assert.deepEqual(ids, sorted(items, order), order);
    const minus = order === "created" ? "" : "-";
    const first = (rounds[0] ?? []).map((query) => new URLSearchParams(query));
    assert.equal(first.length, 8);
    // Ascending ranges of ids whatever the order, the first and last open, each continuing the
    // one before.
    assert.equal(first[0]?.get("id_gte"), null);
    assert.equal(first.at(-1)?.get("id_lt"), null);
    for (const [index, query] of first.entries()) {
      assert.equal(query.get("sort"), `${minus}created,${minus}id`);
      if (index > 0) assert.equal(query.get("id_gte"), first[index - 1]?.get("id_lt"));
    }
    // 30 pages of random UUIDs, 8 ranges of about 3.75 pages: 4 or 5 rounds, and each range's
    // last page partly empty (serially 30 requests).
    assert.ok(rounds.length >= 4 && rounds.length <= 5, `${order}: ${rounds.length} rounds`);
    assert.ok(rounds.flat().length <= 30 + 8, `${order}: ${rounds.flat().length} requests`);
  }
});

Deno.test("created: ids that are not random UUIDs come out exactly once, the part waited on split by its ids", async () => {
  const numbers = Array.from({ length: 3_000 }, (_, i) => `att-${String(i * 7).padStart(6, "0")}`);
  const mixed = [...randomUuids(2_850, 31), ...randomUuids(150, 32).map((id) => `fr.${id}`)];
  for (const [name, ids] of [["numbers", numbers], ["5% prefixed", mixed]] as const) {
    // Shuffled against `created` (sorted by a random key), so ids do not follow time.
    const keys = randomUuids(ids.length, 33);
    const shuffled = ids.map((id, index) => ({ id, key: keys[index] as string }))
      .toSorted((a, b) => (a.key < b.key ? -1 : 1)).map(({ id }) => id);
    const items = itemsOf(shuffled);
    for (const order of ["created", "-created"] as const) {
      const { ids: listed, rounds } = await inRounds(items, order);
      assert.deepEqual(listed, sorted(items, order), `${name} ${order}`);
      if (name === "numbers") {
        // Numbers all fall in one range of the UUID space (`att-…` between `a` and `b`): it is
        // split at its own ids while the others are done, so the listing takes far fewer rounds
        // than one lane's 30.
        const split = rounds.flat().some((query) =>
          new URLSearchParams(query).get("id_gte")?.startsWith("att-")
        );
        assert.ok(split, `${order}: a range cut at an id of the listing`);
        assert.ok(rounds.length <= 10, `${order}: ${rounds.length} rounds`);
      } else {
        // The last range holds the prefixed ids too, 1.4 times as many: it is split when the
        // merge waits on it.
        assert.ok(rounds.length <= 6, `${order}: ${rounds.length} rounds`);
      }
    }
  }
});

Deno.test("in an id range, created: the first round is both ends, the second uses every lane in even parts", async () => {
  const items = itemsOf(randomUuids(3_000, 5));
  for (const order of ["created", "-created"] as const) {
    const { ids, rounds } = await inRounds(items, order, { filter: anyId(order) });
    assert.deepEqual(ids, sorted(items, order), order);
    const minus = order === "created" ? "" : "-";
    const back = order === "created" ? "-" : "";
    assert.deepEqual(rounds[0], [
      `?pool_id=1&id_gte=0&sort=${back}created,${back}id&limit=100`,
      `?pool_id=1&id_gte=0&sort=${minus}created,${minus}id&limit=100`,
    ]);
    assert.equal(rounds[1]?.length, 8, `${order}: ${rounds[1]}`);
    // 28 pages between the two ends, 8 parts: 3,000 items in 5 rounds, 34 requests.
    assert.equal(rounds.length, 5, `${order}: ${rounds.length} rounds`);
    assert.equal(rounds.flat().length, 34, `${order}: ${rounds.flat().length} requests`);
  }
});

/** Items one millisecond apart, except runs of `run.length` at one instant starting at `run.at`. */
function withRuns(size: number, seed: number, runs: { at: number; length: number }[]): Item[] {
  const ids = randomUuids(size, seed);
  let instant = Date.UTC(2024, 0, 1);
  let left = 0;
  const pending = [...runs];
  return ids.map((id, index) => {
    if (left === 0) {
      instant += 1;
      if (pending[0]?.at === index) left = pending.shift()!.length;
    }
    if (left > 0) left--;
    return { id, created: new Date(instant).toISOString().slice(0, 23) };
  });
}

Deno.test("ties at the edge of the last page and across cuts come out exactly once", async () => {
  const cases: [string, Item[]][] = [
    // Ascending, the last page's lowest `created` goes on 30 items before it.
    ["the last page starts inside a run", withRuns(1_000, 6, [{ at: 870, length: 60 }])],
    // Descending, the same at the other end.
    ["the first 100 end inside a run", withRuns(1_000, 7, [{ at: 70, length: 60 }])],
    // The whole last page at one instant: it only tells where the listing ends.
    ["the last 150 at one instant", withRuns(1_000, 8, [{ at: 850, length: 150 }])],
    // Runs longer than a chunk where cuts would fall.
    [
      "runs longer than chunks",
      withRuns(3_000, 9, [{ at: 400, length: 400 }, { at: 1_500, length: 260 }, {
        at: 2_200,
        length: 130,
      }]),
    ],
  ];
  for (const [name, items] of cases) {
    for (const order of ORDERS) {
      for (const concurrency of [3, 8]) {
        const { ids, rounds } = await inRounds(items, order, { concurrency });
        assert.deepEqual(ids, sorted(items, order), `${name}, ${order}, ${concurrency} lanes`);
        // Within an id range (by `created`: both ends first, then cuts by `created`).
        const ranged = await inRounds(items, order, { concurrency, filter: anyId(order) });
        assert.deepEqual(
          ranged.ids,
          sorted(items, order),
          `${name}, ${order}, ${concurrency}, range`,
        );
        if (name === "runs longer than chunks" && concurrency === 8 && !order.endsWith("id")) {
          // The runs (400, 260 and 130 items at one instant) are read by every range of ids at
          // once, as the rest: 30 pages in at most 5 rounds.
          assert.ok(rounds.length <= 5, `${order}: ${rounds.length} rounds`);
        }
      }
    }
  }
});

Deno.test("an early break after the first round aborts every request of the second", async () => {
  const items = itemsOf(randomUuids(3_000, 10));
  for (const [order, filter] of [["id", {}], ["id", anyId("id")], ["created", {}]] as const) {
    const { ids, rounds, aborted } = await inRounds(items, order, { breakAfter: 1, filter });
    assert.equal(ids.length, 1);
    // The first round was answered; the break came before the second round was.
    assert.equal(rounds.length, 1);
    // Every lane had sent its next request: the 8 parts' second pages; in an id range the last
    // page and seven chunks; by created the 8 even parts between both ends.
    assert.equal(aborted, 8, `${order} ${JSON.stringify(filter)}`);
  }
});

Deno.test("the last page says has_more false and no cursor while empty parts after it are still out", async () => {
  // Both items in one eighth of the UUID space; every empty answer comes 20 ms after the others.
  const items = itemsOf([
    "10000000-0000-4000-8000-000000000001",
    "10000000-0000-4000-8000-000000000002",
  ]);
  const api = referenceApi(items);
  for (const order of ORDERS) {
    const client = clientFor(scripted(async (request: Request) => {
      const response = await api(request);
      const body = await response.clone().json() as { items: unknown[] };
      if (body.items.length === 0) await tick(20);
      return response;
    }));
    const pages = await collect(
      client.getAttachmentPages({ pool_id: "1" }, { order, concurrency: 8 }),
    );
    assert.deepEqual(
      pages.map((page) => [page.items.length, page.has_more, page.cursor]),
      [[2, false, null]],
      order,
    );
  }
});

Deno.test("created: a run of ties and ids that follow created are not split (no requests multiplied)", async () => {
  // 2,000 ids in one range of the UUID space (`t…` sorts past every hex digit), all at one
  // instant, or one a millisecond in id order: a page's ids then say nothing of what is left.
  const ids = Array.from({ length: 2_000 }, (_, i) => `t${String(i).padStart(5, "0")}`);
  const tie = ids.map((id) => ({ id, created: "2024-01-01T00:00:00.010" }));
  for (
    const [name, items] of [["one instant", tie], ["ids in time order", itemsOf(ids)]] as const
  ) {
    for (const order of ["created", "-created"] as const) {
      const { ids: listed, rounds } = await inRounds(items, order);
      assert.deepEqual(listed, sorted(items, order), `${name} ${order}`);
      // One lane: 20 pages and the drain's or the end's request; 8 lanes: the 7 empty ranges more.
      assert.ok(rounds.flat().length <= 21 + 7, `${name} ${order}: ${rounds.flat().length}`);
    }
  }
});

Deno.test("created: ids with lone surrogates are never cut at, and come out exactly once", async () => {
  // A lone surrogate goes out as U+FFFD: a cut there would overlap its neighbours' ranges.
  const lone = Array.from(
    { length: 600 },
    (_, i) => `x${String.fromCharCode(0xd800 + (i % 64))}${String(i).padStart(4, "0")}`,
  );
  const replaced = Array.from({ length: 200 }, (_, i) => `x\ufffd${String(i).padStart(4, "0")}`);
  const keys = randomUuids(800, 41);
  const items = itemsOf(
    [...lone, ...replaced].map((id, index) => ({ id, key: keys[index] as string }))
      .toSorted((a, b) => (a.key < b.key ? -1 : 1)).map(({ id }) => id),
  );
  for (const order of ["created", "-created"] as const) {
    for (const concurrency of [4, 8]) {
      const { ids, rounds } = await inRounds(items, order, { concurrency });
      assert.deepEqual(ids, sorted(items, order), `${order} ${concurrency}`);
      for (const query of rounds.flat()) {
        const params = new URLSearchParams(query);
        for (const bound of [params.get("id_gte"), params.get("id_lt")]) {
          assert.ok(bound === null || bound.isWellFormed(), query);
        }
      }
    }
  }
});
