/**
 * The key space of a listing as numbers, for a parallel scan: where an `id` or a `created` value
 * lies, and which value lies at a given point. A scan measures how many items a stretch of the
 * space holds (a page of 100 items covers some span) and cuts the space ahead into parts of about
 * a page each.
 *
 * Positions grow in the order's direction (they are negated for `-id` and `-created`), so the
 * scan never looks at the direction. They are estimates only: a part is always bounded by a real
 * value, and the parts cut at the same values never overlap and leave nothing out, whatever the
 * projection does.
 *
 * - `created`: microseconds since 1970 (exact for years up to 2255, close enough beyond).
 * - `id`: ids are opaque strings compared by UTF-16 code units. After the prefix that a sample
 *   of ids shares, each character becomes a digit: its rank among the characters the sample has
 *   at that position (a mixed radix: 16 for the hex digits of a UUID, 1 for its dashes, which
 *   take no bits), for as many positions as 52 bits hold. Boundaries are written with sampled
 *   characters only, so they look like ids (`3a7f0c21-9b`), and UUIDs, prefixed ids
 *   (`fr.5867be74-...`) and numbers written as strings all come out about evenly spread.
 *
 * Ids that are random UUIDs can also be checked for it ({@linkcode uniformIds}): then the first
 * page alone tells how many items the listing holds, and where to cut it, before anything else is
 * read.
 *
 * Internal to this repository (not exported from `mod.ts`).
 *
 * @module
 */

import { isDescending } from "./order.ts";
import type { Order } from "./wire.ts";

/** A value of the order's field that a part of the key space can start or end at. */
export interface Boundary {
  /** The value as sent in a filter: an id, or a `created` with 6 fractional digits. */
  readonly value: string;
  /** What keys compare: the id, or the timestamp key (9 fractional digits). */
  readonly key: string;
}

/** Positions and boundaries of one order's key space. */
export interface KeySpace {
  /** The position of a key (an id, or a timestamp key). */
  positionOf(key: string): number;
  /** Whether positions of this key are meaningful (an id with the sampled prefix). */
  covers(key: string): boolean;
  /**
   * A boundary at about `position` that lies strictly after `after` and strictly before `before`
   * (keys, in the order's direction; `before` may be absent); `undefined` when there is none.
   */
  boundaryNear(position: number, after: string, before: string | undefined): Boundary | undefined;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether a value can be a boundary sent in a query: a lone surrogate would be sent as U+FFFD,
 * which sorts elsewhere, and the parts cut there would overlap.
 */
export function isSendable(value: string): boolean {
  return value !== "" && !LONE_SURROGATE.test(value);
}

/** Compares two keys in the order's direction. */
export function keyComparer(order: Order): (a: string, b: string) => number {
  const direction = isDescending(order) ? -1 : 1;
  return (a, b) => (a < b ? -direction : a > b ? direction : 0);
}

/** Compares two values by their keys, rising (for `Array.prototype.sort`). */
export function byKey(a: { readonly key: string }, b: { readonly key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** The key space of an order of `created`: positions are microseconds. */
export function createdKeySpace(order: Order): KeySpace {
  const sign = isDescending(order) ? -1 : 1;
  const compare = keyComparer(order);
  const micros = (key: string): number =>
    Date.parse(`${key.slice(0, 19)}Z`) * 1000 + Number(key.slice(20, 26)) +
    Number(key.slice(26, 29)) / 1000;
  const at = (microseconds: number): Boundary | undefined => {
    if (!Number.isFinite(microseconds)) return undefined;
    const whole = Math.floor(microseconds / 1_000_000);
    const iso = new Date(whole * 1000).toISOString();
    if (iso.length !== 24) return undefined; // beyond four-digit years
    const value = `${iso.slice(0, 19)}.${
      String(microseconds - whole * 1_000_000).padStart(6, "0")
    }`;
    return { value, key: `${value}000` };
  };
  return {
    positionOf: (key) => sign * micros(key),
    covers: () => true,
    boundaryNear(position, after, before): Boundary | undefined {
      // Rounded away from `after`, then at least one microsecond past it.
      const wanted = sign > 0 ? Math.ceil(position) : Math.floor(-position);
      const floor = micros(after) + sign;
      let boundary = at(
        sign > 0 ? Math.max(wanted, Math.ceil(floor)) : Math.min(wanted, Math.floor(floor)),
      );
      if (boundary !== undefined && compare(boundary.key, after) <= 0) boundary = undefined;
      if (boundary !== undefined && before !== undefined && compare(boundary.key, before) >= 0) {
        return undefined;
      }
      return boundary;
    },
  };
}

/**
 * The key space of an order of `id`, from the ids of a first page and the last id: the prefix
 * they all share, and the characters the page's ids have at each position after it (the last id
 * alone would add rare characters that then waste a share of every position).
 */
export function idKeySpace(order: Order, sample: readonly string[], last: string): KeySpace {
  const sign = isDescending(order) ? -1 : 1;
  const compare = keyComparer(order);
  let prefix = last;
  for (const id of sample) {
    let shared = 0;
    while (shared < prefix.length && shared < id.length && prefix[shared] === id[shared]) shared++;
    prefix = prefix.slice(0, shared);
  }
  const alphabets = positionAlphabets(sample, prefix.length);
  // The weight of each position's digit (a mixed radix), as many positions as 52 bits hold.
  const weights: number[] = [];
  let top = 1;
  for (const alphabet of alphabets) {
    if (top * alphabet.length > 2 ** 52) break;
    top *= alphabet.length;
    weights.push(top);
  }
  for (let index = 0; index < weights.length; index++) {
    weights[index] = top / (weights[index] as number);
  }

  const valueOf = (id: string): number => {
    if (!id.startsWith(prefix)) return id < prefix ? 0 : top;
    let value = 0;
    for (let index = 0; index < weights.length; index++) {
      const at = prefix.length + index;
      if (at >= id.length) break; // the end of a string sorts first: the rest is 0
      const alphabet = alphabets[index] as number[];
      const weight = weights[index] as number;
      const code = id.charCodeAt(at);
      const digit = rank(alphabet, code);
      // Below every sampled character: like the end of the string.
      if (digit < 0) break;
      value += digit * weight;
      if (alphabet[digit] !== code) {
        // Between two sampled characters: after every id with the lower one here, so the rest
        // is the largest it can be. Positions never go backwards, whatever the id.
        value += weight - 1;
        break;
      }
    }
    return value;
  };
  const idAt = (value: number): string => {
    let rest = Math.min(Math.max(value, 0), top - 1);
    const chars: number[] = [];
    let length = 0;
    for (let index = 0; index < weights.length; index++) {
      const alphabet = alphabets[index] as number[];
      const digit = Math.floor(rest / (weights[index] as number));
      rest -= digit * (weights[index] as number);
      chars.push(alphabet[digit] as number);
      // Trailing first characters add nothing (they rank like the end of the string).
      if (digit > 0) length = chars.length;
    }
    return prefix + String.fromCharCode(...chars.slice(0, length));
  };
  return {
    positionOf: (id) => sign * valueOf(id),
    covers: (id) => id.startsWith(prefix),
    boundaryNear(position, after, before): Boundary | undefined {
      const id = idAt(sign > 0 ? Math.ceil(position) : Math.floor(-position));
      // A lone surrogate would not survive URL encoding: no boundary there.
      if (!isSendable(id) || compare(id, after) <= 0) return undefined;
      if (before !== undefined && compare(id, before) >= 0) return undefined;
      return { value: id, key: id };
    },
  };
}

/**
 * The sorted characters at each position from `from` on, as the sample has them. A page is a
 * contiguous stretch of the space: up to the first position where its first and last ids differ,
 * it shows only part of the characters those positions take elsewhere, so they also get those of
 * the richest position after it.
 */
function positionAlphabets(sample: readonly string[], from: number): number[][] {
  const seen: Set<number>[] = [];
  for (const id of sample) {
    for (let at = from; at < id.length; at++) {
      (seen[at - from] ??= new Set()).add(id.charCodeAt(at));
    }
  }
  const first = sample[0] ?? "";
  const last = sample.at(-1) ?? "";
  let shared = 0;
  while (shared < first.length && shared < last.length && first[shared] === last[shared]) shared++;
  const leading = Math.max(0, shared + 1 - from);
  let richest = new Set<number>();
  seen.forEach((codes, index) => {
    if (index >= leading && codes.size > richest.size) richest = codes;
  });
  if (richest.size === 0) richest = new Set(seen.flatMap((codes) => [...codes]));
  return seen.map((codes, index) =>
    [...(index < leading ? new Set([...codes, ...richest]) : codes)].sort((a, b) => a - b)
  );
}

/** The index of the last character of an alphabet at or below `code` (-1 when there is none). */
function rank(alphabet: readonly number[], code: number): number {
  let low = 0;
  let high = alphabet.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((alphabet[middle] as number) <= code) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}

/** A UUID as Toloka writes it (lower-case hex, any version). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The projection of random UUIDs in an order by id: every hex digit at every position. */
export function uuidKeySpace(order: Order): KeySpace {
  return idKeySpace(order, EVERY_HEX_DIGIT, HIGHEST_UUID);
}

/** Whether an id is written as a UUID (lower-case hex). */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}
/** The lowest UUID: where an order by `id` of UUIDs starts (and `-id` ends). */
export const LOWEST_UUID = "00000000-0000-0000-0000-000000000000";

/**
 * Every hex digit at every position of a UUID: the sample of the projection of random UUIDs.
 * A page's own ids would miss digits where it crosses a carry (`3f…` to `40…` shows only `f` and
 * `0` in the second place), and stretch what lies past it.
 */
const EVERY_HEX_DIGIT = [..."0123456789abcdef"].map((digit) => LOWEST_UUID.replaceAll("0", digit));
/** The highest UUID: where an order by `id` of UUIDs ends (and `-id` starts). */
export const HIGHEST_UUID = "ffffffff-ffff-ffff-ffff-ffffffffffff";

/**
 * The `parts - 1` boundaries that cut the space of random UUIDs into `parts` even parts, in the
 * order's direction (`-id`: from the highest down). Each is a real id-like value (`20000000`),
 * so parts cut there never overlap and leave nothing out, whatever the ids really are: ids that
 * are not random UUIDs only make some parts fuller than others.
 *
 * @param order `id` or `-id`.
 * @param parts 1 or more.
 */
export function evenUuidBoundaries(order: Order, parts: number): Boundary[] {
  const space = uuidKeySpace(order);
  const descending = isDescending(order);
  const startKey = descending ? HIGHEST_UUID : LOWEST_UUID;
  const start = space.positionOf(startKey);
  const end = space.positionOf(descending ? LOWEST_UUID : HIGHEST_UUID);
  const boundaries: Boundary[] = [];
  let after = startKey;
  for (let part = 1; part < parts; part++) {
    const boundary = space.boundaryNear(start + (part * (end - start)) / parts, after, undefined);
    if (boundary === undefined) continue;
    boundaries.push(boundary);
    after = boundary.key;
  }
  return boundaries;
}

/** Fewer ids than this say too little about their spread. */
const UNIFORM_SAMPLE_MIN = 20;

/** What a first page of uniformly spread ids tells: see {@linkcode uniformIds}. */
export interface UniformIds {
  /** A projection of the whole space of UUIDs (no shared prefix). */
  readonly space: KeySpace;
  /** Items per unit of position, as the first page measured it. */
  readonly density: number;
  /** Where the listing starts and ends (the caller's bounds, or the first and last UUIDs). */
  readonly start: number;
  /** See {@linkcode UniformIds.start}. */
  readonly end: number;
  /** The key at {@linkcode UniformIds.end}. */
  readonly endKey: string;
}

/**
 * Checks the first page of an order by id against random UUIDs: every id a UUID, and their
 * positions spread like a uniform sample from the start of the listing (a Kolmogorov-Smirnov
 * test at about 0.3%). Then the page's density holds for the whole listing, whose size is known
 * within about `1/√n`. `undefined` when any of this fails (prefixed ids, numbers, clusters, a
 * page too small to tell): the scan then measures as it goes.
 *
 * @param first The first page's ids, in the order.
 * @param bounds The caller's bounds on ids, in the order's direction (`from` first).
 */
export function uniformIds(
  order: Order,
  first: readonly string[],
  bounds: { readonly from?: string | undefined; readonly to?: string | undefined },
): UniformIds | undefined {
  if (first.length < UNIFORM_SAMPLE_MIN || !first.every((id) => UUID.test(id))) return undefined;
  const descending = isDescending(order);
  const startKey = bounds.from ?? (descending ? HIGHEST_UUID : LOWEST_UUID);
  const endKey = bounds.to ?? (descending ? LOWEST_UUID : HIGHEST_UUID);
  const space = uuidKeySpace(order);
  if (!space.covers(startKey) || !first.every((id) => space.covers(id))) return undefined;
  const start = space.positionOf(startKey);
  const end = space.positionOf(endKey);
  const span = space.positionOf(first.at(-1) as string) - start;
  if (!(span > 0) || !(end > start)) return undefined;
  // The ids before the last, as fractions of the span up to the last: uniform on [0, 1).
  const count = first.length - 1;
  let distance = 0;
  for (let index = 0; index < count; index++) {
    const x = (space.positionOf(first[index] as string) - start) / span;
    distance = Math.max(distance, (index + 1) / count - x, x - index / count);
  }
  if (distance > 1.8 / Math.sqrt(count)) return undefined;
  return { space, density: first.length / span, start, end, endKey };
}
