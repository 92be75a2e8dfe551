/**
 * Keyset pagination over `GET /attachments`, as pure functions: {@linkcode nextPageQuery} says
 * which request comes next, {@linkcode applyPage} checks an answer, drops what was already
 * yielded and moves the cursor. The client's iterators are thin loops around them.
 *
 * ## Orders `id` and `-id`
 *
 * `sort=id` and `id_gt=<last id>` (`sort=-id`, `id_lt=<last id>` descending), as the API
 * documents. The cursor's bound and the caller's bound on the same side are merged (the tighter
 * one is sent); the caller's bound on the other side is always sent as is.
 *
 * ## Orders `created` and `-created`
 *
 * The order is `(created, id)`, but the API has no compound cursor: `created_gt=<last created>`
 * would skip the items that share the last `created` value and were not yet returned, and
 * `created_gte` returns again those that were. So the cursor is `(c, i, n)`: the `created` string
 * of the last yielded item exactly as the API sent it (a `Date` would cut microseconds, so items
 * that differ only in microseconds would be lost or repeated), its id, and how many yielded items
 * have that `created` value. It moves through three phases (ascending shown; descending mirrors
 * every comparison):
 *
 * 1. **Scan after** `(c, i, n)`: `created_gte=c`, `sort=created,id`. The answer starts with the
 *    `n` items at `c` already yielded (`created == c`, `id <= i`, comparing `created` at full
 *    precision so `…:00` equals `…:00.000000`); they are dropped, the rest is new.
 * 2. **Drain ties** at `(c, i)`: `created_gte=c`, `created_lte=c`, `id_gt=i`, `sort=id`, paged by
 *    id until `has_more` is false. Entered instead of a scan when a scan would re-fetch at least
 *    half a page of already-yielded items (`2n >= batchSize`): a scan then yields at most half a
 *    page per request, while draining costs about one extra request per tie group and always
 *    makes progress, even when more than a page of items share one `created` value. Also entered
 *    if a scan page comes back entirely already-yielded.
 * 3. **Scan past** `c`: `created_gt=c`, `sort=created,id`, after a drain; nothing to drop.
 *
 * In the common case (no ties) a scan re-fetches one item per page. The caller's `created`
 * bounds are merged with the cursor's on the same side (the tighter one is sent), the other side
 * is kept; the caller's `id` bounds are sent on every page and merged with the drain's id bound.
 *
 * ## Safety
 *
 * Every answer is checked against the request: items must be in the requested order and strictly
 * after the cursor (or, in phase 1, be the leading already-yielded items), and `has_more: true`
 * must come with something new. Anything else is a {@linkcode TolokaResponseError}, never a loop
 * or a silently skipped item. Each request strictly moves the cursor or the phase forward.
 *
 * @module
 */

import { TolokaResponseError } from "./errors.ts";
import { buildListQuery, type NormalizedFilter } from "./query.ts";
import { isSendable } from "./key_space.ts";
import { isDescending, ordersById } from "./order.ts";
import { createdOf } from "./raw_created.ts";
import { formatTimestamp, parseTimestamp } from "./timestamps.ts";
import type { Order } from "./wire.ts";

/** What to list and how: fixed for a whole iteration. */
export interface PagingPlan {
  /** The caller's checked filter. */
  readonly filter: NormalizedFilter;
  /** The order of the items. */
  readonly order: Order;
  /** The `limit` sent on every page. */
  readonly batchSize: number;
}

/** Where an iteration stands; `null` once it is done. */
export type Cursor =
  /** Nothing fetched yet. */
  | { readonly phase: "start" }
  /** Orders `id`/`-id`: past the last id. */
  | { readonly phase: "id"; readonly id: string }
  /** Orders `created`/`-created`, phase 1: at `created` (inclusive), `seen` items there yielded. */
  | {
    readonly phase: "after";
    readonly created: string;
    readonly key: string;
    readonly id: string;
    readonly seen: number;
  }
  /** Orders `created`/`-created`, phase 2: the items at `created` with ids past `id`. */
  | { readonly phase: "ties"; readonly created: string; readonly key: string; readonly id: string }
  /** Orders `created`/`-created`, phase 3: strictly past `created`. */
  | { readonly phase: "past"; readonly created: string; readonly key: string };

/** The cursor of an iteration that has not fetched anything yet. */
export const START: Cursor = { phase: "start" };

/** A range bound: `key` orders bounds (a timestamp key for `created`, the id itself for `id`). */
interface Bound {
  readonly value: string;
  readonly key: string;
  readonly inclusive: boolean;
}

/** A field a listing can be ordered and bounded by. */
export type Field = "id" | "created";
type Side = "lower" | "upper";

function boundKey(field: Field, value: string): string {
  if (field === "id") return value;
  // Filter values were checked and normalised; parsing cannot fail here.
  return parseTimestamp(value, { dateOnly: true })?.key ?? value;
}

/** Of two bounds on one side, the one that admits fewer values. */
function tighter(side: Side, a: Bound | undefined, b: Bound | undefined): Bound | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.key === b.key) return a.inclusive ? b : a;
  return (a.key > b.key) === (side === "lower") ? a : b;
}

/** The caller's bound on one side of a field (the tighter one if both `gt` and `gte` are given). */
function callerBound(filter: NormalizedFilter, field: Field, side: Side): Bound | undefined {
  const [exclusive, inclusive] = side === "lower"
    ? [filter[`${field}_gt`], filter[`${field}_gte`]]
    : [filter[`${field}_lt`], filter[`${field}_lte`]];
  const a = exclusive === undefined
    ? undefined
    : { value: exclusive, key: boundKey(field, exclusive), inclusive: false };
  const b = inclusive === undefined
    ? undefined
    : { value: inclusive, key: boundKey(field, inclusive), inclusive: true };
  return tighter(side, a, b);
}

/**
 * Checks an id bound before it is sent. An id with a lone surrogate (valid in JSON) cannot be
 * written in a URL: it would go out as U+FFFD, which sorts elsewhere, and the items between the
 * two would be skipped without a trace. Bounds come from items the API sent (a cursor, the edge
 * of a page); the scans' own cuts are never such ids.
 *
 * @throws {TolokaResponseError} When the id cannot be sent.
 */
function assertSendable(id: string): void {
  if (isSendable(id)) return;
  throw new TolokaResponseError(
    `Cannot page past attachment ${
      JSON.stringify(id)
    }: its id holds a lone UTF-16 surrogate, which no URL can carry`,
  );
}

/** The filter with one side of a field replaced by the tighter of the caller's and `bound`. */
function narrow(
  filter: NormalizedFilter,
  field: Field,
  side: Side,
  bound: Bound,
): NormalizedFilter {
  if (field === "id") assertSendable(bound.value);
  const merged = tighter(side, callerBound(filter, field, side), bound) ?? bound;
  const next = { ...filter };
  const [exclusive, inclusive] = side === "lower"
    ? [`${field}_gt` as const, `${field}_gte` as const]
    : [`${field}_lt` as const, `${field}_lte` as const];
  delete next[exclusive];
  delete next[inclusive];
  next[merged.inclusive ? inclusive : exclusive] = merged.value;
  return next;
}

/** The side a cursor bounds: the lower one ascending, the upper one descending. */
function cursorSide(order: Order): Side {
  return isDescending(order) ? "upper" : "lower";
}

/**
 * The plan of one part of the key space, for a parallel scan: the caller's filter narrowed to the
 * items whose key (the `id`, or the `created` value) lies from `from` (inclusive) to `to`
 * (exclusive), read in the order's direction; an `undefined` end stays the caller's. Parts cut at
 * the same values never overlap and leave nothing out: ties on `created` stay in one part, where
 * the cursor logic above pages through them.
 */
export function rangePlan(
  plan: PagingPlan,
  from: string | undefined,
  to: string | undefined,
): PagingPlan {
  const field: Field = ordersById(plan.order) ? "id" : "created";
  const descending = isDescending(plan.order);
  let filter = plan.filter;
  if (from !== undefined) {
    const bound = { value: from, key: boundKey(field, from), inclusive: true };
    filter = narrow(filter, field, descending ? "upper" : "lower", bound);
  }
  if (to !== undefined) {
    const bound = { value: to, key: boundKey(field, to), inclusive: false };
    filter = narrow(filter, field, descending ? "lower" : "upper", bound);
  }
  return { ...plan, filter };
}

/** A value a range of {@linkcode fieldRangePlan} starts or ends at: as sent, and as compared. */
export interface RangeEnd {
  /** The value as sent in a filter. */
  readonly value: string;
  /** What keys compare: the id, or the timestamp key. */
  readonly key: string;
}

/**
 * The plan of one range of a field, for a merged scan: the caller's filter narrowed to items
 * whose `field` lies from `low` (inclusive) to `high` (exclusive), whatever the order; an
 * `undefined` end stays the caller's. Ranges cut at the same values never overlap and leave
 * nothing out; the cursor logic above pages through each in the plan's order (a range of ids in
 * a `created` order, a range of `created` in an order by id).
 */
export function fieldRangePlan(
  plan: PagingPlan,
  field: Field,
  low: RangeEnd | undefined,
  high: RangeEnd | undefined,
): PagingPlan {
  let filter = plan.filter;
  if (low !== undefined) filter = narrow(filter, field, "lower", { ...low, inclusive: true });
  if (high !== undefined) filter = narrow(filter, field, "upper", { ...high, inclusive: false });
  return { ...plan, filter };
}

/**
 * The plan of an order by id narrowed to the items strictly past `id` in the order's direction
 * (the tighter of that and the caller's bound on the same side is sent).
 *
 * @throws {TolokaResponseError} When the id cannot be sent in a URL (see `narrow`).
 */
export function pastIdPlan(plan: PagingPlan, id: string): PagingPlan {
  const bound = { value: id, key: id, inclusive: false };
  return { ...plan, filter: narrow(plan.filter, "id", cursorSide(plan.order), bound) };
}

/**
 * The key a cursor stands at (the last id, or the timestamp key of the last `created`); `undefined`
 * at the start.
 */
export function cursorKey(cursor: Cursor): string | undefined {
  switch (cursor.phase) {
    case "start":
      return undefined;
    case "id":
      return cursor.id;
    default:
      return cursor.key;
  }
}

/**
 * The query of the next request: the caller's filter narrowed by the cursor, `sort`, and
 * `limit=batchSize`.
 *
 * @throws {TolokaResponseError} When the cursor's id cannot be sent in a URL (see `narrow`).
 */
export function nextPageQuery(plan: PagingPlan, cursor: Cursor): URLSearchParams {
  const { filter, order, batchSize: limit } = plan;
  const minus = isDescending(order) ? "-" : "";
  const side = cursorSide(order);
  switch (cursor.phase) {
    case "start":
      return buildListQuery(filter, {
        sort: order.endsWith("id") ? `${minus}id` : `${minus}created,${minus}id`,
        limit,
      });
    case "id":
      return buildListQuery(
        narrow(filter, "id", side, {
          value: cursor.id,
          key: cursor.id,
          inclusive: false,
        }),
        { sort: `${minus}id`, limit },
      );
    case "after":
    case "past": {
      const bound = {
        value: cursor.created,
        key: cursor.key,
        inclusive: cursor.phase === "after",
      };
      return buildListQuery(narrow(filter, "created", side, bound), {
        sort: `${minus}created,${minus}id`,
        limit,
      });
    }
    case "ties": {
      const at = { value: cursor.created, key: cursor.key, inclusive: true };
      let narrowed = narrow(filter, "created", "lower", at);
      narrowed = narrow(narrowed, "created", "upper", at);
      narrowed = narrow(narrowed, "id", side, {
        value: cursor.id,
        key: cursor.id,
        inclusive: false,
      });
      return buildListQuery(narrowed, { sort: `${minus}id`, limit });
    }
  }
}

/**
 * What paging reads of an item: its `id`, and its `created` as remembered by the parser (or, for
 * an object the library did not parse, its `created` as a `Date` or a string).
 */
export interface PagedItem {
  readonly id: string;
  readonly created: Date | string;
}

/** A page as {@linkcode applyPage} reads it. */
export interface PagedPage<T extends PagedItem> {
  readonly items: readonly T[];
  readonly has_more: boolean;
}

/** The result of {@linkcode applyPage}. */
export interface PageStep<T extends PagedItem> {
  /** The items to yield: new, in order. */
  readonly items: T[];
  /**
   * How many items were dropped as already yielded: always the leading ones, so `items` are the
   * page's items from this index on.
   */
  readonly skipped: number;
  /** The next cursor, or `null` when the listing is complete. */
  readonly next: Cursor | null;
}

/** An item's place in a `created` order. */
export interface Position {
  readonly created: string;
  readonly key: string;
  readonly id: string;
}

/** Where an item stands in a `created` order: its exact `created`, the key comparing it, its id. */
export function positionOf(item: PagedItem): Position {
  const created = createdOf(item);
  if (created !== undefined) return { created: created.utc, key: created.key, id: item.id };
  // An item this library did not parse (only in tests of these functions).
  const parsed = parseTimestamp(
    typeof item.created === "string" ? item.created : formatTimestamp(item.created) ?? "",
  );
  if (parsed === undefined) {
    throw new TolokaResponseError(`Attachment ${item.id} has an unreadable "created"`);
  }
  return { created: parsed.utc, key: parsed.key, id: item.id };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function broken(message: string): TolokaResponseError {
  return new TolokaResponseError(`The API answered a listing page that breaks paging: ${message}`);
}

function applyIdPage<T extends PagedItem>(
  plan: PagingPlan,
  cursor: Cursor,
  page: PagedPage<T>,
): Omit<PageStep<T>, "skipped"> {
  const direction = isDescending(plan.order) ? -1 : 1;
  let previous = cursor.phase === "id" ? cursor.id : undefined;
  for (const item of page.items) {
    if (previous !== undefined && compare(item.id, previous) * direction <= 0) {
      throw broken(
        cursor.phase === "id" && compare(item.id, cursor.id) * direction <= 0
          ? `item ${JSON.stringify(item.id)} is not past the last one, ${
            JSON.stringify(cursor.id)
          } (order ${plan.order})`
          : `item ${JSON.stringify(item.id)} is out of order ${plan.order}`,
      );
    }
    previous = item.id;
  }
  const items = page.items.slice();
  if (!page.has_more) return { items, next: null };
  const last = items.at(-1);
  if (last === undefined) throw broken("an empty page with has_more: true");
  return { items, next: { phase: "id", id: last.id } };
}

function applyCreatedPage<T extends PagedItem>(
  plan: PagingPlan,
  cursor: Cursor,
  page: PagedPage<T>,
): Omit<PageStep<T>, "skipped"> {
  const direction = isDescending(plan.order) ? -1 : 1;
  const ties = cursor.phase === "ties";
  const cursorKey = cursor.phase === "start" || cursor.phase === "id" ? undefined : cursor.key;
  // `after`/`ties` cursors stand on an item; `past` stands before every item at its `created`.
  const at: Position | undefined = cursor.phase === "after" || cursor.phase === "ties"
    ? cursor
    : undefined;
  const items: T[] = [];
  const positions: Position[] = [];
  let previous: Position | undefined;
  let last: Position | undefined;
  for (const item of page.items) {
    const position = positionOf(item);
    const byCreated = cursorKey === undefined ? 1 : compare(position.key, cursorKey) * direction;
    const label = `item ${JSON.stringify(item.id)} (created ${position.created})`;
    if (ties ? byCreated !== 0 : byCreated < 0 || (cursor.phase === "past" && byCreated === 0)) {
      throw broken(`${label} is outside the requested created range`);
    }
    if (previous !== undefined) {
      const order = ties ? 0 : compare(position.key, previous.key) * direction;
      if (order < 0 || (order === 0 && compare(position.id, previous.id) * direction <= 0)) {
        throw broken(`${label} is out of order ${plan.order}`);
      }
    }
    previous = position;
    if (at !== undefined && byCreated === 0 && compare(position.id, at.id) * direction <= 0) {
      if (ties) throw broken(`${label} is not past the last one, ${JSON.stringify(at.id)}`);
      continue; // Already yielded: the leading items at the cursor's `created`.
    }
    items.push(item);
    positions.push(position);
    last = position;
  }

  if (ties) {
    if (!page.has_more) {
      // Every item at `created` is out: continue strictly past it.
      return { items, next: { phase: "past", created: cursor.created, key: cursor.key } };
    }
    if (last === undefined) throw broken("an empty page with has_more: true");
    return {
      items,
      next: { phase: "ties", created: cursor.created, key: cursor.key, id: last.id },
    };
  }
  if (!page.has_more) return { items, next: null };
  if (last === undefined) {
    if (cursor.phase === "after" && page.items.length > 0) {
      // A page of already-yielded items only: page through the ties by id instead.
      return {
        items,
        next: { phase: "ties", created: cursor.created, key: cursor.key, id: cursor.id },
      };
    }
    throw broken("an empty page with has_more: true");
  }
  // How many yielded items share the last `created` value: a scan would fetch them again.
  let seen = 0;
  for (
    let index = positions.length - 1;
    index >= 0 && positions[index]?.key === last.key;
    index--
  ) {
    seen++;
  }
  if (seen === items.length && cursor.phase === "after" && cursor.key === last.key) {
    seen += cursor.seen;
  }
  if (2 * seen >= plan.batchSize) {
    return { items, next: { phase: "ties", created: last.created, key: last.key, id: last.id } };
  }
  return {
    items,
    next: { phase: "after", created: last.created, key: last.key, id: last.id, seen },
  };
}

/**
 * Checks one answer to {@linkcode nextPageQuery}`(plan, cursor)`, drops the items already
 * yielded and moves the cursor.
 *
 * @throws {TolokaResponseError} When the page breaks the paging contract: items out of order or
 * not past the cursor, or `has_more: true` without anything new.
 */
export function applyPage<T extends PagedItem>(
  plan: PagingPlan,
  cursor: Cursor,
  page: PagedPage<T>,
): PageStep<T> {
  const step = ordersById(plan.order)
    ? applyIdPage(plan, cursor, page)
    : applyCreatedPage(plan, cursor, page);
  // Only leading items are ever dropped: an item after a new one would be out of order.
  return { ...step, skipped: page.items.length - step.items.length };
}
