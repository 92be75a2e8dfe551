import assert from "node:assert/strict";
import { TolokaEmulator, type WireAttachment } from "@toloka-edge/attachments/testing";
import { ids, list, poolOf, referenceFilter, referenceSort } from "./emulator_helpers.ts";

const emulator = new TolokaEmulator();
const pool1 = poolOf(emulator, "1");
const sample = pool1[17] as WireAttachment;
const byCreated = referenceSort(pool1, "created");
/** `created` values at a quarter and at three quarters of pool "1" in time. */
const quarter = (byCreated[150] as WireAttachment).created;
const threeQuarters = (byCreated[450] as WireAttachment).created;

/** Every match of the filters, through keyset pages on id (the emulator against the reference). */
async function allIds(params: Record<string, string>): Promise<string[]> {
  const found: string[] = [];
  let after: string | undefined;
  while (true) {
    const query: Record<string, string> = { ...params, sort: "id", limit: "100" };
    if (after !== undefined) query["id_gt"] = after;
    const page = await list(emulator, query);
    found.push(...ids(page.items));
    if (!page.has_more) return found;
    after = found[found.length - 1];
  }
}

async function assertMatchesReference(params: Record<string, string>): Promise<void> {
  const expected = ids(referenceSort(referenceFilter(emulator.attachments, params), "id"));
  assert.deepEqual(await allIds(params), expected);
}

Deno.test("pool_id alone returns exactly that pool's attachments", async () => {
  await assertMatchesReference({ pool_id: "1" });
  await assertMatchesReference({ pool_id: "3" });
});

Deno.test("an unknown pool_id returns an empty page", async () => {
  assert.deepEqual(await list(emulator, { pool_id: "999" }), { items: [], has_more: false });
});

Deno.test("the empty pool returns an empty page", async () => {
  assert.deepEqual(await list(emulator, { pool_id: "8" }), { items: [], has_more: false });
});

Deno.test("assignment_id alone returns exactly that assignment's attachments", async () => {
  const params = { assignment_id: sample.details.assignment_id };
  const expected = referenceFilter(emulator.attachments, params);
  assert.ok(expected.length >= 1);
  await assertMatchesReference(params);
});

Deno.test("pool_id and assignment_id together are an AND", async () => {
  await assertMatchesReference({ pool_id: "1", assignment_id: sample.details.assignment_id });
  const page = await list(emulator, { pool_id: "2", assignment_id: sample.details.assignment_id });
  assert.deepEqual(page, { items: [], has_more: false });
});

Deno.test("name filters by exact name", async () => {
  await assertMatchesReference({ pool_id: "1", name: "photo.png" });
  assert.equal((await allIds({ pool_id: "1", name: "photo.png" })).length, 5);
  assert.deepEqual(await allIds({ pool_id: "1", name: "photo" }), []);
});

Deno.test("type filters by attachment_type", async () => {
  await assertMatchesReference({ pool_id: "2", type: "ASSIGNMENT_ATTACHMENT" });
  assert.deepEqual(await allIds({ pool_id: "2", type: "OTHER" }), []);
});

Deno.test("user_id filters by details.user_id", async () => {
  await assertMatchesReference({ pool_id: "1", user_id: sample.details.user_id });
});

Deno.test("owner_id filters by owner.id and excludes attachments without owner", async () => {
  const owned = pool1.find((a) => a.owner !== undefined) as WireAttachment;
  await assertMatchesReference({ pool_id: "1", owner_id: owned.owner?.id as string });
});

Deno.test("owner_company_id filters by owner.company_id", async () => {
  await assertMatchesReference({ pool_id: "1", owner_company_id: "1" });
  await assertMatchesReference({ pool_id: "2", owner_company_id: "2" });
});

Deno.test("each id range filter compares ids as strings", async () => {
  for (const key of ["id_gt", "id_gte", "id_lt", "id_lte"]) {
    await assertMatchesReference({ pool_id: "1", [key]: sample.id });
  }
  await assertMatchesReference({ pool_id: "1", id_gt: "8", id_lt: "c" });
  await assertMatchesReference({ pool_id: "1", id_gte: "fr." });
});

Deno.test("each created range filter compares at microsecond precision", async () => {
  for (const key of ["created_gt", "created_gte", "created_lt", "created_lte"]) {
    await assertMatchesReference({ pool_id: "1", [key]: sample.created });
    await assertMatchesReference({ pool_id: "1", [key]: quarter });
    await assertMatchesReference({ pool_id: "2", [key]: "2023-01-09T00:01:00.5" });
  }
});

Deno.test("filters combine as an AND", async () => {
  await assertMatchesReference({
    pool_id: "1",
    owner_company_id: "1",
    created_gte: quarter,
    created_lt: threeQuarters,
    id_gt: "3",
    id_lte: "e",
  });
  await assertMatchesReference({
    pool_id: "1",
    user_id: sample.details.user_id,
    type: "ASSIGNMENT_ATTACHMENT",
    name: sample.name,
  });
});

Deno.test("range filters combine with every sort", async () => {
  const params = {
    pool_id: "1",
    created_gt: quarter,
    created_lte: threeQuarters,
    id_gt: "4",
  };
  const matching = referenceFilter(emulator.attachments, params);
  for (const sort of ["id", "-id", "created", "-created", "created,-id", "-created,id"]) {
    const page = await list(emulator, { ...params, sort, limit: "100" });
    assert.deepEqual(ids(page.items), ids(referenceSort(matching, sort).slice(0, 100)), sort);
  }
});

Deno.test("contradictory ranges give an empty page", async () => {
  const page = await list(emulator, { pool_id: "1", id_gt: "b", id_lt: "a", sort: "id" });
  assert.deepEqual(page, { items: [], has_more: false });
  const byCreated = await list(emulator, {
    pool_id: "1",
    created_gt: "2030-01-01T00:00:00",
    created_lt: "2020-01-01T00:00:00",
    sort: "-created",
  });
  assert.deepEqual(byCreated, { items: [], has_more: false });
});

Deno.test("without sort the page follows generation order", async () => {
  const page = await list(emulator, { pool_id: "2", limit: "100" });
  assert.deepEqual(ids(page.items), ids(poolOf(emulator, "2").slice(0, 100)));
});

Deno.test("items are the exact wire objects of emulator.attachments", async () => {
  const page = await list(emulator, { pool_id: "1", limit: "100" });
  assert.deepEqual(page.items, pool1.slice(0, 100));
});
