/**
 * The oracle of the soaks, written independently of the client's pagination: the exact sequence
 * an iteration in each order must yield, computed by sorting the emulator's data, and the
 * resumption rule an outer caller uses after an export broke off.
 *
 * @module
 */

import type { Order } from "../mod.ts";
import type { WireAttachment } from "../src/testing/mod.ts";

/** The four iteration orders. */
export const ORDERS: readonly Order[] = ["id", "-id", "created", "-created"];

/**
 * A `created` string as a key that compares at full precision as a string: `…:27` and
 * `…:27.000000` give the same key, `…:27.748` and `…:27.7480001` do not.
 */
export function createdKey(created: string): string {
  const dot = created.indexOf(".");
  if (dot === -1) return `${created}.000000`;
  return created.slice(0, dot + 1) + created.slice(dot + 1).padEnd(6, "0");
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares two positions `(created key, id)` in `order`; negative when `a` comes first. */
export function comparePositions(
  order: Order,
  a: { key: string; id: string },
  b: { key: string; id: string },
): number {
  const direction = order.startsWith("-") ? -1 : 1;
  if (order === "id" || order === "-id") return compare(a.id, b.id) * direction;
  return (compare(a.key, b.key) || compare(a.id, b.id)) * direction;
}

/** The ids of `items` in the order an iteration in `order` must yield them. */
export function expectedIds(items: readonly WireAttachment[], order: Order): string[] {
  const keyed = items.map((item) => ({ id: item.id, key: createdKey(item.created) }));
  keyed.sort((a, b) => comparePositions(order, a, b));
  return keyed.map((item) => item.id);
}

/** Where an outer caller stands in an export: the last item it received. */
export interface ExportPosition {
  id: string;
  /** `created` exactly as the export wrote it. */
  created: string;
}

/**
 * The query parameters that resume an export in `order` after `last`, and the test that drops
 * the items of the resumed export that the caller already has.
 *
 * - `id`: `id_gt=<last id>`; `-id`: `id_lt=<last id>`; nothing to drop.
 * - `created`: `created_gte=<last created>` (the items at that instant are ordered by id, so
 *   the ones with an id up to the last one were received); `-created` mirrors it.
 */
export function resumeAfter(
  order: Order,
  last: ExportPosition,
): { params: Record<string, string>; already: (item: ExportPosition) => boolean } {
  switch (order) {
    case "id":
      return { params: { id_gt: last.id }, already: () => false };
    case "-id":
      return { params: { id_lt: last.id }, already: () => false };
    case "created":
    case "-created": {
      const key = createdKey(last.created);
      const at = { key, id: last.id };
      return {
        params: order === "created" ? { created_gte: last.created } : { created_lte: last.created },
        already: (item) =>
          createdKey(item.created) === key &&
          comparePositions(order, { key, id: item.id }, at) <= 0,
      };
    }
  }
}

/** Splits a byte stream into lines (without their `\n`); a last line without `\n` comes too. */
export async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of body) {
    rest += decoder.decode(chunk, { stream: true });
    let start = 0;
    let at: number;
    while ((at = rest.indexOf("\n", start)) !== -1) {
      yield rest.slice(start, at);
      start = at + 1;
    }
    rest = rest.slice(start);
  }
  rest += decoder.decode();
  if (rest !== "") yield rest;
}
