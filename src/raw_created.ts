/**
 * The exact `created` string the API sent for each parsed attachment.
 *
 * `Attachment.created` is a `Date` (milliseconds only), but the API may write up to 6 fractional
 * digits. Pagination builds its cursors from the exact string, and a proxy re-serialising items
 * must write back what Toloka wrote. So each parsed attachment carries its parsed timestamp in a
 * private class field, added to the plain object by a constructor that returns its argument (a
 * subclass's fields are then installed on that object). A private field is invisible to
 * `JSON.stringify`, object spread, `structuredClone`, `Object.keys`, `Reflect.ownKeys` and deep
 * equality, never in the public type, and gone with the attachment. It costs about a seventh of
 * a non-enumerable `Object.defineProperty` and half a `WeakMap` entry, which matters: every
 * listed item gets one.
 *
 * Internal (not exported from `mod.ts`); {@linkcode toWireAttachment} in `wire.ts` is the public
 * way to write an attachment back as the API sent it.
 *
 * @module
 */

import type { Timestamp } from "./timestamps.ts";
import type { Attachment } from "./types.ts";

/** Returns the object it is given, so a subclass constructor can add private fields to it. */
class Carrier {
  constructor(target: object) {
    return target;
  }
}

/** Adds the private `#created` field to an object. */
class CreatedMark extends Carrier {
  readonly #created: Timestamp;

  constructor(target: object, created: Timestamp) {
    super(target);
    this.#created = created;
  }

  static of(target: object): Timestamp | undefined {
    return #created in target ? (target as CreatedMark).#created : undefined;
  }
}

/**
 * Records the parsed `created` of an attachment, or of a wire item becoming one (its `text` is
 * the string the API sent). Once per object: a second call throws a `TypeError`.
 */
export function rememberCreated(attachment: object, created: Timestamp): void {
  new CreatedMark(attachment, created);
}

/**
 * The parsed `created` of an attachment this library parsed (`text`: as sent; `key`: for exact
 * comparisons; `utc`: for filters); `undefined` for any other object (a copy, a hand-made one).
 */
export function createdOf(attachment: object): Timestamp | undefined {
  return CreatedMark.of(attachment);
}

/**
 * The `created` string the API sent for an attachment this library parsed; `undefined` for an
 * object it did not parse (a copy, a hand-made object).
 */
export function rawCreatedOf(attachment: Attachment): string | undefined {
  return CreatedMark.of(attachment)?.text;
}
