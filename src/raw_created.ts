/**
 * The exact `created` string the API sent for each parsed attachment.
 *
 * `Attachment.created` is a `Date` (milliseconds only), but the API may write up to 6 fractional
 * digits. Pagination builds its cursors from the exact string, and a proxy re-serialising items
 * must write back what Toloka wrote. So each parsed attachment (and each listed item paging reads)
 * is mapped to its parsed timestamp in a `WeakMap`: nothing is added to the object, so the
 * timestamp is invisible to `JSON.stringify`, object spread, `structuredClone`, `Object.keys`
 * and deep equality, never in the public type, and gone with the object.
 *
 * Internal (not exported from `mod.ts`); {@linkcode toWireAttachment} in `wire.ts` is the public
 * way to write an attachment back as the API sent it.
 *
 * @module
 */

import type { Timestamp } from "./timestamps.ts";
import type { Attachment } from "./types.ts";

const CREATED = new WeakMap<object, Timestamp>();

/**
 * Records the parsed `created` of an attachment, or of a listed item (its `text` is the string
 * the API sent).
 */
export function rememberCreated(item: object, created: Timestamp): void {
  CREATED.set(item, created);
}

/**
 * The parsed `created` of an object this library parsed (`text`: as sent; `key`: for exact
 * comparisons; `utc`: for filters); `undefined` for any other object (a copy, a hand-made one).
 */
export function createdOf(item: object): Timestamp | undefined {
  return CREATED.get(item);
}

/**
 * The `created` string the API sent for an attachment this library parsed; `undefined` for an
 * object it did not parse (a copy, a hand-made object).
 */
export function rawCreatedOf(attachment: Attachment): string | undefined {
  return CREATED.get(attachment)?.text;
}
