/**
 * Tie-heavy listings for the resumption tests: runs of one `created` value longer than a page,
 * the same instant written with 0, 3 and 6 fraction digits, and neighbours that differ only in
 * microseconds; plus the order they must come out in, computed independently of the library.
 *
 * @module
 */

import type { Order } from "../mod.ts";
import type { WireAttachment } from "../src/testing/mod.ts";
import { compareBy, seeded } from "./client_helpers.ts";

/** The API sort keys of each iteration order. */
export const SORTS: Readonly<Record<Order, string[]>> = {
  id: ["id"],
  "-id": ["-id"],
  created: ["created", "id"],
  "-created": ["-created", "-id"],
};

/**
 * `count` attachments of pool `pool`, seeded: about a third in a few huge runs of one `created`
 * (longer than a page of 100), the rest in small runs, with microsecond-only neighbours.
 */
export function tieHeavy(count: number, seed = 7, pool = "1"): WireAttachment[] {
  const random = seeded(seed);
  const items: WireAttachment[] = [];
  const second = (n: number): string =>
    `2024-03-0${1 + (n % 9)}T${String(n % 24).padStart(2, "0")}:${
      String(n % 60).padStart(2, "0")
    }:17`;
  let n = 0;
  while (items.length < count) {
    const base = second(n++);
    const roll = random();
    // A huge run: 120 to 260 items at exactly one instant, written three ways.
    const run = roll < 0.1 ? 120 + Math.floor(random() * 140) : 1 + Math.floor(random() * 4);
    for (let i = 0; i < run && items.length < count; i++) {
      const micro = roll < 0.1 ? 0 : Math.floor(random() * 3);
      const created = micro === 0
        ? [base, `${base}.000`, `${base}.000000`][i % 3]!
        : `${base}.00000${micro}`;
      const id = `${Math.floor(random() * 1e9).toString(16).padStart(8, "0")}-${items.length}`;
      items.push({
        id,
        attachment_type: "ASSIGNMENT_ATTACHMENT",
        name: `file-${items.length}.txt`,
        details: {
          user_id: "u1",
          // An assignment belongs to one pool: ten of them per pool.
          assignment_id: `p${pool}-a${items.length % 10}`,
          pool_id: pool,
        },
        created,
        media_type: "text/plain",
      });
    }
  }
  return items;
}

/** The ids of `items` in `order`, as an exactly-once iteration must yield them. */
export function expectedOrder(items: readonly WireAttachment[], order: Order): string[] {
  return items.toSorted(compareBy(SORTS[order])).map((item) => item.id);
}
