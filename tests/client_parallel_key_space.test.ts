/**
 * The key space projections behind the parallel scan: positions grow in the order's direction
 * and keep the order of keys, and boundaries lie strictly between the keys asked, written as a
 * filter accepts them (`created` with 6 fractional digits, ids from sampled characters); and the
 * uniform-id check, which sizes a listing of random UUIDs from its first page and turns down
 * anything else.
 */

import assert from "node:assert/strict";
import { createdKeySpace, evenUuidBoundaries, idKeySpace, uniformIds } from "../src/key_space.ts";
import { parseTimestamp } from "../src/timestamps.ts";
import { TolokaEmulator } from "../src/testing/mod.ts";
import { randomUuids, seeded } from "./client_helpers.ts";

const key = (created: string): string => parseTimestamp(created)!.key;

Deno.test("created positions are microseconds, negated for -created", () => {
  const up = createdKeySpace("created");
  const down = createdKeySpace("-created");
  const a = key("2024-01-01T00:00:00.000001");
  const b = key("2024-01-01T00:00:00.000002");
  assert.equal(up.positionOf(b) - up.positionOf(a), 1);
  assert.equal(down.positionOf(a) - down.positionOf(b), 1);
  assert.equal(up.positionOf(key("1970-01-01T00:00:01")), 1_000_000);
});

Deno.test("a created boundary lies strictly between the keys and has 6 fractional digits", () => {
  const space = createdKeySpace("created");
  const after = key("2024-01-01T00:00:00.5");
  const before = key("2024-01-01T00:00:01");
  const middle = space.boundaryNear(
    (space.positionOf(after) + space.positionOf(before)) / 2,
    after,
    before,
  );
  assert.equal(middle?.value, "2024-01-01T00:00:00.750000");
  assert.equal(middle?.key, key("2024-01-01T00:00:00.750000"));
  // Asked for a point at or behind `after`: one microsecond past it.
  assert.equal(space.boundaryNear(0, after, before)?.value, "2024-01-01T00:00:00.500001");
  // Nothing strictly between two neighbours.
  const next = key("2024-01-01T00:00:00.500001");
  assert.equal(space.boundaryNear(space.positionOf(after), after, next), undefined);
});

Deno.test("a -created boundary lies below `after` and above `before`", () => {
  const space = createdKeySpace("-created");
  const after = key("2024-01-01T00:00:01");
  const before = key("2024-01-01T00:00:00");
  const boundary = space.boundaryNear(space.positionOf(after) + 250_000, after, before);
  assert.equal(boundary?.value, "2024-01-01T00:00:00.750000");
});

Deno.test("id positions keep the order of UUIDs and prefixed ids", () => {
  const emulator = new TolokaEmulator({ pools: [3_000] });
  const ids = emulator.attachments.map((a) => a.id).sort();
  const space = idKeySpace("id", ids.slice(0, 100), ids.at(-1)!);
  for (let index = 1; index < ids.length; index++) {
    assert.ok(
      space.positionOf(ids[index - 1]!) <= space.positionOf(ids[index]!),
      `${ids[index - 1]} before ${ids[index]}`,
    );
  }
  const down = idKeySpace("-id", ids.slice(-100).reverse(), ids[0]!);
  assert.ok(down.positionOf(ids[0]!) > down.positionOf(ids.at(-1)!));
});

Deno.test("id boundaries lie strictly between the keys asked, made of sampled characters", () => {
  const random = seeded(7);
  const ids = Array.from({ length: 2_000 }, () => crypto.randomUUID()).sort();
  const space = idKeySpace("id", ids.slice(0, 100), ids.at(-1)!);
  let found = 0;
  for (let trial = 0; trial < 500; trial++) {
    const i = Math.floor(random() * (ids.length - 2));
    const j = i + 1 + Math.floor(random() * (ids.length - i - 1));
    const [after, before] = [ids[i]!, ids[j]!];
    const at = space.positionOf(after) +
      random() * (space.positionOf(before) - space.positionOf(after));
    const boundary = space.boundaryNear(at, after, before);
    if (boundary === undefined) continue;
    found++;
    assert.ok(
      after < boundary.value && boundary.value < before,
      `${after} < ${boundary.value} < ${before}`,
    );
    assert.match(boundary.value, /^[0-9a-f-]+$/);
  }
  assert.ok(found > 400, `${found} boundaries found`);
});

Deno.test("ids spread evenly: equal spans of positions hold about equal counts", () => {
  const ids = Array.from({ length: 20_000 }, () => crypto.randomUUID()).sort();
  const space = idKeySpace("id", ids.slice(0, 100), ids.at(-1)!);
  const low = space.positionOf(ids[0]!);
  const high = space.positionOf(ids.at(-1)!);
  const counts = new Array<number>(10).fill(0);
  for (const id of ids) {
    const bucket = Math.min(9, Math.floor((space.positionOf(id) - low) / (high - low) * 10));
    counts[bucket]!++;
  }
  for (const count of counts) assert.ok(count > 1_600 && count < 2_400, `${counts}`);
});

Deno.test("uniformIds: a first page of random UUIDs tells the listing's size within a fifth", () => {
  for (const [size, seed] of [[300, 1], [3_000, 2], [30_000, 3]] as const) {
    const ids = randomUuids(size, seed).sort();
    for (const order of ["id", "-id"] as const) {
      const first = order === "id" ? ids.slice(0, 100) : ids.slice(-100).reverse();
      const uniform = uniformIds(order, first, {});
      assert.ok(uniform !== undefined, `${size} ${order}`);
      const estimate = uniform.density * (uniform.end - uniform.start);
      assert.ok(Math.abs(estimate / size - 1) < 0.2, `${size} ${order}: ${estimate}`);
    }
  }
});

Deno.test("uniformIds: the caller's bounds are the ends of the space", () => {
  const ids = randomUuids(20_000, 4).sort();
  // The ids from the 5,000th to the 15,000th: bounds at the ids just outside.
  const inside = ids.slice(5_000, 15_000);
  const uniform = uniformIds("id", inside.slice(0, 100), { from: ids[4_999], to: ids[15_000] });
  assert.ok(uniform !== undefined);
  const estimate = uniform.density * (uniform.end - uniform.start);
  assert.ok(Math.abs(estimate / 10_000 - 1) < 0.2, `${estimate}`);
});

Deno.test("uniformIds: prefixed, numeric, clustered and short samples fail the check", () => {
  const uuids = randomUuids(3_000, 5).sort();
  const samples: [string, string[]][] = [
    ["prefixed", uuids.slice(0, 100).map((id) => `fr.${id}`)],
    ["numbers", Array.from({ length: 100 }, (_, i) => String(1_000_000 + i * 37))],
    // Time-ordered (like UUID v7): one shared prefix, far from the start of the space.
    ["clustered", uuids.slice(0, 100).map((id) => `018f3a${id.slice(6)}`)],
    // A dense run at the start, then a gap: not a uniform sample.
    ["run", [
      ...uuids.slice(0, 90).map((id) => `0000${id.slice(4)}`).sort(),
      ...uuids.slice(90, 100),
    ]],
    ["short", uuids.slice(0, 10)],
  ];
  for (const [name, sample] of samples) {
    assert.equal(uniformIds("id", sample, {}), undefined, name);
  }
});

Deno.test("evenUuidBoundaries: parts - 1 boundaries, in the order's direction, even over random UUIDs", () => {
  for (const order of ["id", "-id"] as const) {
    for (const parts of [2, 3, 8, 16]) {
      const boundaries = evenUuidBoundaries(order, parts).map((boundary) => boundary.value);
      assert.equal(boundaries.length, parts - 1, `${order} ${parts}`);
      const sorted = boundaries.toSorted();
      assert.deepEqual(boundaries, order === "id" ? sorted : sorted.toReversed());
      // The share of the UUID space below each boundary (its first 8 hex digits) is k / parts.
      for (const [index, boundary] of boundaries.entries()) {
        const share = parseInt(boundary.slice(0, 8).padEnd(8, "0"), 16) / 2 ** 32;
        const expected = order === "id" ? (index + 1) / parts : 1 - (index + 1) / parts;
        assert.ok(Math.abs(share - expected) < 1e-6, `${order} ${parts}: ${boundary}`);
      }
    }
  }
  assert.deepEqual(evenUuidBoundaries("id", 1), []);
});
