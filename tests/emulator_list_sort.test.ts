import assert from "node:assert/strict";
import { TolokaEmulator, type WireAttachment } from "@toloka-edge/attachments/testing";
import {
  attachment,
  ids,
  list,
  normalCreated,
  poolOf,
  referenceFilter,
  referenceSort,
} from "./emulator_helpers.ts";

const emulator = new TolokaEmulator();
const pool1 = poolOf(emulator, "1");

const SORTS = [
  "id",
  "-id",
  "created",
  "-created",
  "created,id",
  "-created,-id",
  "created,-id",
  "-created,id",
  "id,created",
  "-id,-created",
] as const;

/** A hand-made pool of 60 with heavy ties written in every precision, small enough for one page. */
const tiny = new TolokaEmulator({
  attachments: Array.from({ length: 60 }, (_, i) => {
    const second = String(i % 4).padStart(2, "0");
    const forms = ["", ".000", ".00000", ".000000", ".5", ".500000", ".000001"];
    const created = `2024-03-01T10:00:${second}${forms[i % forms.length]}`;
    const id = `${(i * 37 % 60).toString(36).padStart(2, "0")}-${i}`;
    return attachment(id, created);
  }),
});

for (const sort of SORTS) {
  Deno.test(`sort=${sort} orders a page exactly, ties included`, async () => {
    const page = await list(tiny, { pool_id: "1", sort, limit: "100" });
    assert.deepEqual(ids(page.items), ids(referenceSort(tiny.attachments, sort)));
    assert.equal(page.has_more, false);
  });

  Deno.test(`sort=${sort} orders the first page of the 150-item tie run`, async () => {
    const tie = tieRunCreated();
    const params = { pool_id: "1", created_gte: tie, created_lte: tie };
    const page = await list(emulator, { ...params, sort, limit: "100" });
    const expected = referenceSort(referenceFilter(emulator.attachments, params), sort);
    assert.ok(expected.length >= 150);
    assert.deepEqual(ids(page.items), ids(expected.slice(0, 100)));
    assert.equal(page.has_more, true);
  });
}

Deno.test("sort=created breaks ties by id ascending", async () => {
  const page = await list(tiny, { pool_id: "1", sort: "created", limit: "100" });
  assert.deepEqual(ids(page.items), ids(referenceSort(tiny.attachments, "created,id")));
});

Deno.test("sort=-created breaks ties by id ascending", async () => {
  const page = await list(tiny, { pool_id: "1", sort: "-created", limit: "100" });
  assert.deepEqual(ids(page.items), ids(referenceSort(tiny.attachments, "-created,id")));
});

Deno.test("sort by id compares UTF-16 code units, like JavaScript's <", async () => {
  const strange = ["Z", "a", "é", "\u{1F600}", "\uFFFF", "fr.1", "10", "9", "a.b"];
  const emulator = new TolokaEmulator({
    attachments: strange.map((id) => attachment(id, "2024-01-01T00:00:00")),
  });
  const page = await list(emulator, { pool_id: "1", sort: "id" });
  assert.deepEqual(ids(page.items), [...strange].sort((a, b) => (a < b ? -1 : 1)));
});

Deno.test("limit defaults to 20", async () => {
  const page = await list(emulator, { pool_id: "1", sort: "id" });
  assert.equal(page.items.length, 20);
  assert.equal(page.has_more, true);
});

Deno.test("limit accepts 1 and 100", async () => {
  assert.equal((await list(emulator, { pool_id: "1", limit: "1" })).items.length, 1);
  assert.equal((await list(emulator, { pool_id: "1", limit: "100" })).items.length, 100);
});

Deno.test("has_more is false when the page is exactly full with nothing after it", async () => {
  assert.deepEqual(
    await list(emulator, { pool_id: "6", limit: "3" }).then((p) => p.has_more),
    false,
  );
  const page = await list(emulator, { pool_id: "6", limit: "3", sort: "-id" });
  assert.equal(page.items.length, 3);
  assert.equal(page.has_more, false);
});

Deno.test("has_more is true when one more match exists after the page", async () => {
  const page = await list(emulator, { pool_id: "6", limit: "2", sort: "created" });
  assert.equal(page.items.length, 2);
  assert.equal(page.has_more, true);
});

Deno.test("has_more is false on a partial page", async () => {
  const page = await list(emulator, { pool_id: "6", limit: "4" });
  assert.equal(page.items.length, 3);
  assert.equal(page.has_more, false);
});

Deno.test("has_more counts only matches, not the items the filters skip", async () => {
  const five = await list(emulator, { pool_id: "1", name: "photo.png", sort: "id", limit: "5" });
  assert.equal(five.items.length, 5);
  assert.equal(five.has_more, false);
  const four = await list(emulator, { pool_id: "1", name: "photo.png", sort: "-id", limit: "4" });
  assert.equal(four.items.length, 4);
  assert.equal(four.has_more, true);
});

Deno.test("keyset paging with id_gt returns every item exactly once", async () => {
  const seen: string[] = [];
  let after: string | undefined;
  let pages = 0;
  while (true) {
    const query: Record<string, string> = { pool_id: "1", sort: "id", limit: "37" };
    if (after !== undefined) query["id_gt"] = after;
    const page = await list(emulator, query);
    pages++;
    seen.push(...ids(page.items));
    if (!page.has_more) break;
    after = seen[seen.length - 1];
  }
  assert.deepEqual(seen, ids(referenceSort(pool1, "id")));
  assert.equal(pages, Math.ceil(pool1.length / 37));
});

Deno.test("keyset paging with sort=-id and id_lt returns every item exactly once", async () => {
  const seen: string[] = [];
  let before: string | undefined;
  while (true) {
    const query: Record<string, string> = { pool_id: "1", sort: "-id", limit: "100" };
    if (before !== undefined) query["id_lt"] = before;
    const page = await list(emulator, query);
    seen.push(...ids(page.items));
    if (!page.has_more) break;
    before = seen[seen.length - 1];
  }
  assert.deepEqual(seen, ids(referenceSort(pool1, "-id")));
});

Deno.test("created paging through ties (rest of the tie by id, then created_gt) sees each once", async () => {
  const seen: string[] = [];
  const limit = "25";
  let page = await list(emulator, { pool_id: "1", sort: "created,id", limit });
  seen.push(...ids(page.items));
  while (page.has_more) {
    const last = page.items[page.items.length - 1] as WireAttachment;
    // First the rest of the items tied with the last one, by id...
    let after = last.id;
    while (true) {
      const rest = await list(emulator, {
        pool_id: "1",
        created_gte: last.created,
        created_lte: last.created,
        id_gt: after,
        sort: "id",
        limit,
      });
      seen.push(...ids(rest.items));
      if (!rest.has_more) break;
      after = (rest.items[rest.items.length - 1] as WireAttachment).id;
    }
    // ...then everything strictly later.
    page = await list(emulator, {
      pool_id: "1",
      created_gt: last.created,
      sort: "created,id",
      limit,
    });
    seen.push(...ids(page.items));
  }
  assert.deepEqual(seen, ids(referenceSort(pool1, "created,id")));
  assert.equal(new Set(seen).size, pool1.length);
});

Deno.test("created equality ignores how the instant is written", async () => {
  const tie = tieRunCreated();
  const written = new Set(
    pool1.filter((a) => normalCreated(a.created) === normalCreated(tie)).map((a) => a.created),
  );
  assert.ok(written.size >= 4, "the tie run is written in several precisions");
  for (const form of written) {
    const page = await list(emulator, {
      pool_id: "1",
      created_gte: form,
      created_lte: form,
      limit: "100",
    });
    assert.equal(page.items.length, 100);
    assert.equal(page.has_more, true);
  }
});

Deno.test("created filters compare microseconds within one millisecond", async () => {
  const base = microBase();
  const inGroup = (query: Record<string, string>): Promise<string[]> =>
    list(emulator, { pool_id: "1", sort: "created,id", limit: "100", ...query }).then((page) =>
      page.items.map((a) => a.created.slice(base.length)).filter((f) => f.startsWith(".34"))
    );
  assert.deepEqual(
    await inGroup({ created_gt: `${base}.345`, created_lt: `${base}.346` }),
    [".345001", ".345002", ".345003", ".34501", ".345999"],
  );
  assert.deepEqual(
    (await inGroup({ created_gte: `${base}.345`, created_lte: `${base}.345000` })).sort(),
    [".345", ".345000"],
  );
  assert.deepEqual(
    await inGroup({ created_gt: `${base}.345002`, created_lte: `${base}.34501` }),
    [".345003", ".34501"],
  );
  assert.deepEqual(
    await inGroup({ created_gt: `${base}.344`, created_lt: `${base}.345` }),
    [".344999"],
  );
});

/** The `created` value (as first written) of the run of 150 identical instants in pool "1". */
function tieRunCreated(): string {
  const counts = new Map<string, number>();
  for (const a of pool1) {
    counts.set(normalCreated(a.created), (counts.get(normalCreated(a.created)) ?? 0) + 1);
  }
  const [instant] = [...counts].find(([, n]) => n >= 150) ?? [];
  assert.ok(instant !== undefined, "pool 1 has a run of 150 ties");
  return instant.slice(0, 19);
}

/** `YYYY-MM-DDTHH:mm:ss` of the microsecond fixture group. */
function microBase(): string {
  const item = pool1.find((a) => a.created.endsWith(".345001"));
  assert.ok(item !== undefined);
  return item.created.slice(0, 19);
}

Deno.test("a narrow range on the non-sorted key gives the reference page for every sort", async () => {
  const byId = referenceSort(pool1, "id");
  const byCreated = referenceSort(pool1, "created");
  const narrow: Record<string, string>[] = [
    { id_gte: (byId[300] as WireAttachment).id, id_lt: (byId[306] as WireAttachment).id },
    {
      created_gte: (byCreated[300] as WireAttachment).created,
      created_lte: (byCreated[305] as WireAttachment).created,
    },
    { created_gte: tieRunCreated(), created_lte: tieRunCreated(), id_gt: "8" },
  ];
  for (const range of narrow) {
    const params = { pool_id: "1", ...range };
    const matching = referenceFilter(emulator.attachments, params);
    for (const sort of SORTS) {
      for (const limit of ["2", "100"]) {
        const page = await list(emulator, { ...params, sort, limit });
        const expected = referenceSort(matching, sort);
        const label = `${JSON.stringify(range)} sort=${sort} limit=${limit}`;
        assert.deepEqual(ids(page.items), ids(expected.slice(0, Number(limit))), label);
        assert.equal(page.has_more, expected.length > Number(limit), label);
      }
    }
  }
});
