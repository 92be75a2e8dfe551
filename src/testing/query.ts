/**
 * Runs a validated list query: picks the smallest position set (assignment, else pool), the
 * ordering the sort asks for, binary-searches the range filters on its primary key, then walks in
 * the requested direction applying the other filters until `limit + 1` matches are found.
 */

import type { Instant } from "./created.ts";
import type { AttachmentStore, PositionSet } from "./index.ts";
import type { Bound, ListQuery, SortKey } from "./params.ts";
import type { WireAttachment } from "./types.ts";

/** A page as the API sends it. */
export interface Page {
  items: WireAttachment[];
  has_more: boolean;
}

/** Answers a list query in O(limit + skipped non-matching items + log n). */
export function runQuery(store: AttachmentStore, query: ListQuery): Page {
  const { pool_id: poolId, assignment_id: assignmentId } = query.filters;
  const set = assignmentId !== undefined
    ? store.assignment(assignmentId)
    : store.pool(poolId as string);
  if (set === undefined) return { items: [], has_more: false };

  const walk = planWalk(store, set, query);
  const matches = matcher(store, query);
  const items: WireAttachment[] = [];
  const { positions, start, end, forward } = walk;
  const limit = query.limit;
  if (forward) {
    for (let i = start; i < end; i++) {
      const position = positions[i] as number;
      if (!matches(position)) continue;
      if (items.length === limit) return { items, has_more: true };
      items.push(store.items[position] as WireAttachment);
    }
  } else {
    for (let i = end - 1; i >= start; i--) {
      const position = positions[i] as number;
      if (!matches(position)) continue;
      if (items.length === limit) return { items, has_more: true };
      items.push(store.items[position] as WireAttachment);
    }
  }
  return { items, has_more: false };
}

interface Walk {
  positions: Int32Array;
  start: number;
  end: number;
  forward: boolean;
}

/** Keys up to the first `id` (it is unique, so later keys never matter), ties broken by id asc. */
export function effectiveSort(sort: readonly SortKey[]): SortKey[] {
  const keys: SortKey[] = [];
  for (const key of sort) {
    keys.push(key);
    if (key.field === "id") return keys;
  }
  keys.push({ field: "id", descending: false });
  return keys;
}

function planWalk(store: AttachmentStore, set: PositionSet, query: ListQuery): Walk {
  if (query.sort === undefined) {
    return { positions: set.natural, start: 0, end: set.natural.length, forward: true };
  }
  const [primary, secondary] = effectiveSort(query.sort) as [SortKey, SortKey | undefined];
  if (primary.field === "id") {
    const positions = set.byId();
    const ids = store.ids;
    const range = searchRange(
      positions,
      query.idLower,
      query.idUpper,
      (position, value) => compareStrings(ids[position] as string, value),
    );
    return { positions, ...range, forward: !primary.descending };
  }
  // Walking backwards reverses the tie order too: (created desc, id asc) is (created asc, id desc)
  // read from the end.
  const positions = set.byCreated((secondary?.descending === true) !== primary.descending);
  const { sec, micro } = store;
  const range = searchRange(
    positions,
    query.createdLower,
    query.createdUpper,
    (position, value) =>
      (sec[position] as number) - value.sec || (micro[position] as number) - value.micro,
  );
  return { positions, ...range, forward: !primary.descending };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The index range of `positions` (sorted on the compared key) that satisfies every bound. */
function searchRange<T>(
  positions: Int32Array,
  lower: readonly Bound<T>[],
  upper: readonly Bound<T>[],
  compare: (position: number, value: T) => number,
): { start: number; end: number } {
  let start = 0;
  let end = positions.length;
  for (const bound of lower) {
    // First index whose key is >= value (inclusive) or > value (exclusive).
    const index = firstIndex(positions, (p) => {
      const c = compare(p, bound.value);
      return bound.inclusive ? c >= 0 : c > 0;
    });
    start = Math.max(start, index);
  }
  for (const bound of upper) {
    // First index whose key is > value (inclusive) or >= value (exclusive): the end.
    const index = firstIndex(positions, (p) => {
      const c = compare(p, bound.value);
      return bound.inclusive ? c > 0 : c >= 0;
    });
    end = Math.min(end, index);
  }
  return { start, end: Math.max(start, end) };
}

/** The first index whose position satisfies a predicate that is monotone over the array. */
function firstIndex(positions: Int32Array, satisfied: (position: number) => boolean): number {
  let low = 0;
  let high = positions.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (satisfied(positions[middle] as number)) high = middle;
    else low = middle + 1;
  }
  return low;
}

function inBounds<T>(
  value: T,
  lower: readonly Bound<T>[],
  upper: readonly Bound<T>[],
  compare: (a: T, b: T) => number,
): boolean {
  for (const bound of lower) {
    const c = compare(value, bound.value);
    if (bound.inclusive ? c < 0 : c <= 0) return false;
  }
  for (const bound of upper) {
    const c = compare(value, bound.value);
    if (bound.inclusive ? c > 0 : c >= 0) return false;
  }
  return true;
}

/** A predicate over positions for every filter of the query. */
function matcher(store: AttachmentStore, query: ListQuery): (position: number) => boolean {
  const { filters, idLower, idUpper, createdLower, createdUpper } = query;
  const { items, ids, sec, micro } = store;
  const hasIdRange = idLower.length + idUpper.length > 0;
  const hasCreatedRange = createdLower.length + createdUpper.length > 0;
  const instant: Instant = { sec: 0, micro: 0 };
  const compareInstant = (a: Instant, b: Instant): number => a.sec - b.sec || a.micro - b.micro;
  return (position) => {
    const item = items[position] as WireAttachment;
    if (filters.pool_id !== undefined && item.details.pool_id !== filters.pool_id) return false;
    if (
      filters.assignment_id !== undefined && item.details.assignment_id !== filters.assignment_id
    ) return false;
    if (filters.name !== undefined && item.name !== filters.name) return false;
    if (filters.type !== undefined && item.attachment_type !== filters.type) return false;
    if (filters.user_id !== undefined && item.details.user_id !== filters.user_id) return false;
    if (filters.owner_id !== undefined && item.owner?.id !== filters.owner_id) return false;
    if (
      filters.owner_company_id !== undefined && item.owner?.company_id !== filters.owner_company_id
    ) return false;
    if (hasIdRange && !inBounds(ids[position] as string, idLower, idUpper, compareStrings)) {
      return false;
    }
    if (hasCreatedRange) {
      instant.sec = sec[position] as number;
      instant.micro = micro[position] as number;
      if (!inBounds(instant, createdLower, createdUpper, compareInstant)) return false;
    }
    return true;
  };
}
