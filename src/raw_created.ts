/**
 * The exact `created` string the API sent for each parsed attachment.
 *
 * `Attachment.created` is a `Date` (milliseconds only), but the API may write up to 6 fractional
 * digits. Pagination builds its cursors from the exact string, and a proxy re-serialising items
 * must write back what Toloka wrote. So each parsed attachment (and each listed item paging reads;
 * it is the same object) carries its parsed timestamp in a private field of this module's
 * (see `Stamp` below): invisible to `JSON.stringify`, object spread, `structuredClone`,
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

/** A base class whose constructor returns the object it is given: its subclass adds to it. */
class Target {
  constructor(object: object) {
    return object;
  }
}

/**
 * The remembered timestamp as a private field, added to the item by a constructor that runs on
 * the item itself (the base class above returns it). A private field is invisible to every
 * reflection (JSON, spread, `structuredClone`, `Object.keys`, symbols, deep equality) and cheap
 * to add: `Object.defineProperty` of a non-enumerable symbol cost a client loop 10% of its CPU
 * (V8 profile, `bench/validation.ts`); adding a private field costs about a third of that.
 */
class Stamp extends Target {
  #created: Timestamp;

  private constructor(item: object, created: Timestamp) {
    super(item);
    this.#created = created;
  }

  /** Records `created` on `item`, replacing what a previous reading recorded. */
  static set(item: object, created: Timestamp): void {
    if (#created in item) (item as Stamp).#created = created;
    else new Stamp(item, created);
  }

  /** What was recorded on `item`, if anything. */
  static get(item: object): Timestamp | undefined {
    return #created in item ? (item as Stamp).#created : undefined;
  }
}

/**
 * Records the parsed `created` of an attachment, or of a listed item (its `text` is the string
 * the API sent).
 */
export function rememberCreated(item: object, created: Timestamp): void {
  Stamp.set(item, created);
}

/**
 * The parsed `created` of an object this library parsed (`text`: as sent; `key`: for exact
 * comparisons; `utc`: for filters); `undefined` for any other object (a copy, a hand-made one).
 */
export function createdOf(item: object): Timestamp | undefined {
  return Stamp.get(item);
}

/**
 * The `created` string the API sent for an attachment this library parsed; `undefined` for an
 * object it did not parse (a copy, a hand-made object).
 */
export function rawCreatedOf(attachment: Attachment): string | undefined {
  return createdOf(attachment)?.text;
}
