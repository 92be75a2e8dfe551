/**
 * The exact `created` string the API sent for each parsed attachment.
 *
 * `Attachment.created` is a `Date` (milliseconds only), but the API may write up to 6 fractional
 * digits. Pagination builds its cursors from the exact string, and a proxy re-serialising items
 * must write back what Toloka wrote. So each parsed attachment (and each listed item paging reads;
 * it is the same object) carries its parsed timestamp under a symbol private to this module, as a
 * non-enumerable property: invisible to `JSON.stringify`, object spread, `structuredClone`,
 * `Object.keys` and deep equality, never in the public type, and gone from any copy.
 *
 * Why not a `WeakMap` from item to timestamp: one entry per item made the collector trace an
 * ephemeron table of every live item, and a page of 100 cost about 100 µs more, most of it in
 * garbage collection (V8 profile of a client loop, `bench/validation.ts`: GC 13% of the time with
 * the map, 3% without it).
 *
 * Internal (not exported from `mod.ts`); {@linkcode toWireAttachment} in `wire.ts` is the public
 * way to write an attachment back as the API sent it.
 *
 * @module
 */

import type { Timestamp } from "./timestamps.ts";
import type { Attachment } from "./types.ts";

const CREATED: unique symbol = Symbol("toloka-edge created");

/** An object that may carry a remembered timestamp. */
interface Stamped {
  readonly [CREATED]?: Timestamp;
}

/**
 * Records the parsed `created` of an attachment, or of a listed item (its `text` is the string
 * the API sent).
 */
export function rememberCreated(item: object, created: Timestamp): void {
  // Not enumerable, not writable; configurable, so a later reading may replace it.
  Object.defineProperty(item, CREATED, { value: created, configurable: true });
}

/**
 * The parsed `created` of an object this library parsed (`text`: as sent; `key`: for exact
 * comparisons; `utc`: for filters); `undefined` for any other object (a copy, a hand-made one).
 */
export function createdOf(item: object): Timestamp | undefined {
  return (item as Stamped)[CREATED];
}

/**
 * The `created` string the API sent for an attachment this library parsed; `undefined` for an
 * object it did not parse (a copy, a hand-made object).
 */
export function rawCreatedOf(attachment: Attachment): string | undefined {
  return createdOf(attachment)?.text;
}
