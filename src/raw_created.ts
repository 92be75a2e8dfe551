/**
 * The exact `created` string the API sent for each parsed attachment.
 *
 * `Attachment.created` is a `Date` (milliseconds only), but the API may write up to 6 fractional
 * digits. Pagination builds its cursors from the exact string, and a proxy re-serialising items
 * must write back what Toloka wrote. So each parsed attachment carries its parsed timestamp under
 * a module-private symbol, as a non-enumerable property: invisible to `JSON.stringify`, object
 * spread, `structuredClone`, `Object.keys` and deep equality, never in the public type, and gone
 * with the attachment. (A `WeakMap` would do the same at about twice the cost per item, a
 * visible share of a listing's CPU time.)
 *
 * Internal to this repository (not exported from `mod.ts`).
 *
 * @module
 */

import { formatTimestamp, type Timestamp } from "./timestamps.ts";
import type { Attachment } from "./types.ts";

const CREATED: unique symbol = Symbol("toloka-edge.created");

type Marked = Attachment & { [CREATED]?: Timestamp };

/** Records the parsed `created` of an attachment (its `text` is the string the API sent). */
export function rememberCreated(attachment: Attachment, created: Timestamp): void {
  Object.defineProperty(attachment, CREATED, { value: created });
}

/**
 * The parsed `created` of an attachment this library parsed (`text`: as sent; `key`: for exact
 * comparisons; `utc`: for filters); `undefined` for any other object (a copy, a hand-made one).
 */
export function createdOf(attachment: Attachment): Timestamp | undefined {
  return (attachment as Marked)[CREATED];
}

/**
 * The `created` string the API sent for an attachment this library parsed; `undefined` for an
 * object it did not parse (a copy, a hand-made object).
 */
export function rawCreatedOf(attachment: Attachment): string | undefined {
  return (attachment as Marked)[CREATED]?.text;
}

/**
 * The attachment as the API wrote it, ready for `JSON.stringify`: `created` is the exact string
 * the API sent (or, for an object this library did not parse, UTC `YYYY-MM-DDTHH:mm:ss.sss`
 * without offset); every other field as is, in the same order.
 */
export function toWireAttachment(attachment: Attachment): Record<string, unknown> {
  const created = rawCreatedOf(attachment) ?? formatTimestamp(attachment.created);
  return { ...attachment, created };
}
