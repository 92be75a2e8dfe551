/**
 * Runs a validated list query: picks the smallest position set (assignment, else pool), then the
 * cheaper of two plans. Usually it walks the ordering the sort asks for from a binary-searched
 * start, applying the other filters until `limit + 1` matches are found. When the range filters
 * on the other key (say `created_gte=c&created_lte=c` under `sort=id`, a tie drain) select far
 * fewer items, it takes that range from the other index instead and sorts just its matches.
 */

import { compareInstants, type Instant } from "./created.ts";
import type { AttachmentStore, PositionSet } from "./index.ts";
import type { Bound, ListQuery, SortKey } from "./params.ts";
import type { WireAttachment } from "./types.ts";

/** A page: the store positions of its items, in order (`PageJson` writes their JSON). */
export interface Page {
  positions: number[];
  hasMore: boolean;
}

/** Answers a list query in O(log n + limit + skipped items), or O(k log k) over a range of k. */
export function runQuery(store: AttachmentStore, query: ListQuery): Page {
  const { pool_id: poolId, assignment_id: assignmentId } = query.filters;
  const set = assignmentId !== undefined
    ? store.assignment(assignmentId)
    : store.pool(poolId as string);
  if (set === undefined) return { positions: [], hasMore: false };

  const limit = query.limit;
  if (query.sort === undefined) {
    return walk(
      { positions: set.natural, start: 0, end: set.natural.length, forward: true },
      matcher(store, query, undefined),
      limit,
    );
  }
  const keys = effectiveSort(query.sort);
  const primary = keys[0] as SortKey;
  const main = primaryWalk(store, set, query, keys);
  const hasIdRange = query.idLower.length + query.idUpper.length > 0;
  const hasCreatedRange = query.createdLower.length + query.createdUpper.length > 0;
  const other = primary.field === "id"
    ? (hasCreatedRange ? createdRange(store, set, query, false) : undefined)
    : (hasIdRange ? idRange(store, set, query) : undefined);
  const mainSize = main.end - main.start;
  const otherSize = other === undefined ? Infinity : other.end - other.start;
  // Walking costs about limit / density = limit * mainSize / otherSize items when the other
  // range is what filters; sorting the other range costs about otherSize items.
  if (other !== undefined && otherSize * otherSize < (limit + 1) * mainSize) {
    const otherField = primary.field === "id" ? "created" : "id";
    return sortRange(store, other, keys, matcher(store, query, otherField), limit);
  }
  return walk(main, matcher(store, query, primary.field), limit);
}

/** A slice of an ordering of positions. */
interface Range {
  positions: Int32Array;
  start: number;
  end: number;
}

/** A range read forwards or backwards. */
interface Walk extends Range {
  forward: boolean;
}

function walk(
  { positions, start, end, forward }: Walk,
  matches: ((position: number) => boolean) | undefined,
  limit: number,
): Page {
  const found: number[] = [];
  const step = forward ? 1 : -1;
  for (let i = forward ? start : end - 1; forward ? i < end : i >= start; i += step) {
    const position = positions[i] as number;
    if (matches !== undefined && !matches(position)) continue;
    if (found.length === limit) return { positions: found, hasMore: true };
    found.push(position);
  }
  return { positions: found, hasMore: false };
}

/** Collects every match of a range, sorts them in the requested order and cuts the page. */
function sortRange(
  store: AttachmentStore,
  { positions, start, end }: Range,
  keys: readonly SortKey[],
  matches: ((position: number) => boolean) | undefined,
  limit: number,
): Page {
  const found: number[] = [];
  for (let i = start; i < end; i++) {
    const position = positions[i] as number;
    if (matches === undefined || matches(position)) found.push(position);
  }
  const { ids, sec, micro } = store;
  found.sort((a, b) => {
    for (const key of keys) {
      const order = key.field === "id"
        ? compareStrings(ids[a] as string, ids[b] as string)
        : (sec[a] as number) - (sec[b] as number) || (micro[a] as number) - (micro[b] as number);
      if (order !== 0) return key.descending ? -order : order;
    }
    return 0;
  });
  return { positions: found.slice(0, limit), hasMore: found.length > limit };
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

/** The ordering the sort asks for, cut to the range filters on its first key. */
function primaryWalk(
  store: AttachmentStore,
  set: PositionSet,
  query: ListQuery,
  keys: readonly SortKey[],
): Walk {
  const [primary, secondary] = keys as [SortKey, SortKey | undefined];
  if (primary.field === "id") {
    return { ...idRange(store, set, query), forward: !primary.descending };
  }
  // Walking backwards reverses the tie order too: (created desc, id asc) is (created asc, id desc)
  // read from the end.
  const idDescending = (secondary?.descending === true) !== primary.descending;
  return {
    ...createdRange(store, set, query, idDescending),
    forward: !primary.descending,
  };
}

/** The id-ordered positions within the id range filters. */
function idRange(store: AttachmentStore, set: PositionSet, query: ListQuery): Range {
  const positions = set.byId();
  const ids = store.ids;
  const range = searchRange(
    positions,
    query.idLower,
    query.idUpper,
    (position, value) => compareStrings(ids[position] as string, value),
  );
  return { positions, ...range };
}

/** The created-ordered positions (ties by id, either way) within the created range filters. */
function createdRange(
  store: AttachmentStore,
  set: PositionSet,
  query: ListQuery,
  idDescending: boolean,
): Range {
  const positions = set.byCreated(idDescending);
  const { sec, micro } = store;
  const range = searchRange(
    positions,
    query.createdLower,
    query.createdUpper,
    (position, value) =>
      (sec[position] as number) - value.sec || (micro[position] as number) - value.micro,
  );
  return { positions, ...range };
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

/**
 * A predicate over the positions of a range for the filters the range does not already satisfy,
 * or `undefined` when it satisfies them all (the usual page: each check reads scattered objects).
 * The range holds only its set's positions (a pool's, or an assignment's), and its binary search
 * applied every range filter on `walked`, the field it is ordered by.
 */
function matcher(
  store: AttachmentStore,
  query: ListQuery,
  walked: SortKey["field"] | undefined,
): ((position: number) => boolean) | undefined {
  const { filters, idLower, idUpper, createdLower, createdUpper } = query;
  const { items, ids, sec, micro } = store;
  // Without assignment_id the set is pool_id's own.
  const poolId = filters.assignment_id === undefined ? undefined : filters.pool_id;
  const hasIdRange = walked !== "id" && idLower.length + idUpper.length > 0;
  const hasCreatedRange = walked !== "created" &&
    createdLower.length + createdUpper.length > 0;
  const readsItems = poolId !== undefined || filters.name !== undefined ||
    filters.type !== undefined || filters.user_id !== undefined ||
    filters.owner_id !== undefined || filters.owner_company_id !== undefined;
  if (!readsItems && !hasIdRange && !hasCreatedRange) return undefined;
  const instant: Instant = { sec: 0, micro: 0 };
  return (position) => {
    const item = items[position] as WireAttachment;
    // assignment_id is never checked here: the walk only visits that assignment's positions.
    if (poolId !== undefined && item.details.pool_id !== poolId) return false;
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
      if (!inBounds(instant, createdLower, createdUpper, compareInstants)) return false;
    }
    return true;
  };
}
