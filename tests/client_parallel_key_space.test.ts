/**
 * The key space projections behind the parallel scan: positions grow in the order's direction
 * and keep the order of keys, and boundaries lie strictly between the keys asked, written as a
 * filter accepts them (`created` with 6 fractional digits, ids from sampled characters).
 */

import assert from "node:assert/strict";
import { createdKeySpace, idKeySpace } from "../src/key_space.ts";
import { parseTimestamp } from "../src/timestamps.ts";
import { TolokaEmulator } from "../src/testing/mod.ts";
import { seeded } from "./client_helpers.ts";

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
