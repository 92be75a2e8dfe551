/**
 * The exact `created` string the API sent for each parsed attachment.
 *
 * `Attachment.created` is a `Date` (milliseconds only), but the API may write up to 6 fractional
 * digits. Pagination builds its cursors from the exact string, and a proxy re-serialising items
 * must write back what Toloka wrote. The strings live in a `WeakMap` keyed by the attachment
 * object, so they cost nothing once the attachment is gone and never show in the public type.
 *
 * Internal to this repository (not exported from `mod.ts`).
 *
 * @module
 */

import { formatTimestamp } from "./timestamps.ts";
import type { Attachment } from "./types.ts";

const rawCreated = new WeakMap<Attachment, string>();

/** Records the `created` string the API sent for a parsed attachment. */
export function rememberRawCreated(attachment: Attachment, raw: string): void {
  rawCreated.set(attachment, raw);
}

/**
 * The `created` string the API sent for an attachment this library parsed; `undefined` for an
 * object it did not parse (a copy, a hand-made object).
 */
export function rawCreatedOf(attachment: Attachment): string | undefined {
  return rawCreated.get(attachment);
}

/**
 * The attachment as the API wrote it, ready for `JSON.stringify`: `created` is the exact string
 * the API sent (or, for an object this library did not parse, UTC `YYYY-MM-DDTHH:mm:ss.sss`
 * without offset); every other field as is.
 */
export function toWireAttachment(attachment: Attachment): Record<string, unknown> {
  const created = rawCreated.get(attachment) ?? formatTimestamp(attachment.created);
  return { ...attachment, created };
}
