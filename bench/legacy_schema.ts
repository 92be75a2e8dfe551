/**
 * The listing-page parser as it was before the performance work (version 0.1.0, kept verbatim
 * here for the "before" column of the validation benchmark): valibot `looseObject` schemas that
 * copy every item, a regular expression per `created`, a non-enumerable property per item.
 *
 * @module
 */

import * as v from "valibot";
import { TolokaResponseError } from "../src/errors.ts";
import type { Attachment, AttachmentPage } from "../src/types.ts";

interface Timestamp {
  text: string;
  date: Date;
  key: string;
  utc: string;
}

const CREATED: unique symbol = Symbol("legacy.created");

function rememberCreated(attachment: Attachment, created: Timestamp): void {
  Object.defineProperty(attachment, CREATED, { value: created });
}

const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Parses a timestamp: `YYYY-MM-DDTHH:mm:ss`, an optional fraction of 1 to 9 digits and an
 * optional offset (`Z`, `+03:00`, `+0300`, `+03`); read as UTC without an offset. With
 * `dateOnly`, `YYYY-MM-DD` alone is accepted too (midnight UTC). Returns `undefined` for anything
 * else, including impossible dates such as February 30 and instants outside years 0000..9999.
 */
function parseTimestamp(
  text: string,
  options: { dateOnly?: boolean } = {},
): Timestamp | undefined {
  const match = PATTERN.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, offsetHours, offsetMinutes] = match;
  if (h === undefined && !options.dateOnly) return undefined;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (sign !== undefined) {
    const oh = Number(offsetHours);
    const om = Number(offsetMinutes ?? 0);
    if (oh > 23 || om > 59) return undefined;
    offset = (sign === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const digits = fraction ?? "";
  const millis = Number(digits.slice(0, 3).padEnd(3, "0"));
  const keyFraction = `.${digits.padEnd(9, "0")}`;
  if (sign === undefined && zulu === undefined && h !== undefined && year >= 100) {
    // The API's own format, the hot path of every listing: no offset to apply, so the string
    // already is the UTC form and no date arithmetic is needed.
    const utc = text.charCodeAt(10) === 0x54 /* T */
      ? text
      : `${text.slice(0, 10)}T${text.slice(11)}`;
    const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
    return { text, date, key: utc.slice(0, 19) + keyFraction, utc };
  }
  // Date.UTC reads years 0..99 as 1900..1999, so set the year on its own.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - offset, second, millis);
  const iso = date.toISOString();
  // Offsets can move the instant out of the four-digit years toISOString writes plainly.
  if (iso.length !== 24) return undefined;
  const seconds = iso.slice(0, 19);
  return {
    text,
    date,
    key: seconds + keyFraction,
    utc: seconds + (digits === "" ? "" : `.${digits}`),
  };
}

const optionalString = v.optional(v.string());

type JsonObjectSchema<TEntries extends v.ObjectEntries> = v.SchemaWithPipe<
  readonly [
    v.CustomSchema<Record<string, unknown>, v.ErrorMessage<v.CustomIssue> | undefined>,
    v.LooseObjectSchema<TEntries, undefined>,
  ]
>;

function isJsonObject(input: unknown): boolean {
  return typeof input === "object" && input !== null && !Array.isArray(input);
}

/** A JSON object with these entries and any others (valibot's object schemas let arrays in). */
function jsonObject<const TEntries extends v.ObjectEntries>(
  entries: TEntries,
): JsonObjectSchema<TEntries> {
  return v.pipe(
    v.custom<Record<string, unknown>>(
      isJsonObject,
      (issue) => `must be Object, received ${issue.received}`,
    ),
    v.looseObject(entries),
  );
}

const OwnerSchema = jsonObject({
  id: optionalString,
  myself: v.optional(v.boolean()),
  company_id: optionalString,
});

const DetailsSchema = jsonObject({
  user_id: optionalString,
  assignment_id: optionalString,
  pool_id: optionalString,
});

// `id` and `created` are required: without them an item can be neither fetched nor paged past.
const AttachmentSchema = jsonObject({
  id: v.pipe(v.string(), v.nonEmpty()),
  created: v.string(),
  attachment_type: optionalString,
  name: optionalString,
  details: v.optional(DetailsSchema),
  owner: v.optional(OwnerSchema),
  media_type: optionalString,
});

const PageSchema = jsonObject({
  items: v.array(AttachmentSchema),
  has_more: v.boolean(),
});

type WireAttachment = v.InferOutput<typeof AttachmentSchema>;

function formatPath(path: readonly v.IssuePathItem[] | undefined, prefix: string): string {
  let text = prefix;
  for (const item of path ?? []) {
    text += typeof item.key === "number"
      ? `[${item.key}]`
      : `${text === "" ? "" : "."}${String(item.key)}`;
  }
  return text === "" ? "(body)" : text;
}

function schemaError(
  what: string,
  issue: v.BaseIssue<unknown>,
  prefix: string,
): TolokaResponseError {
  const path = formatPath(issue.path, prefix);
  const problem = issue.type === "custom"
    ? issue.message
    : issue.received === "undefined"
    ? "is missing"
    : `must be ${issue.expected ?? "valid"}, received ${issue.received}`;
  return new TolokaResponseError(
    `The API answered ${what} that breaks its schema: ${path} ${problem}`,
    {
      path,
    },
  );
}

/** Turns a checked wire item into an `Attachment`: `created` becomes a `Date`, the string is kept. */
function toAttachment(wire: WireAttachment, what: string, prefix: string): Attachment {
  const raw = wire.created;
  const timestamp = parseTimestamp(raw);
  if (timestamp === undefined) {
    const path = `${prefix}${prefix === "" ? "" : "."}created`;
    throw new TolokaResponseError(
      `The API answered ${what} that breaks its schema: ${path} must be a timestamp such as 2016-05-25T16:14:27.748, received ${
        JSON.stringify(raw)
      }`,
      { path },
    );
  }
  // The checked input itself becomes the attachment (a body fresh from JSON.parse is ours to
  // change): it keeps the API's field order, which a proxy re-serialising items preserves.
  const attachment = wire as unknown as Attachment;
  attachment.created = timestamp.date;
  rememberCreated(attachment, timestamp);
  return attachment;
}

/**
 * Checks the body of `GET /attachments` and turns it into a page. The body (fresh from
 * `JSON.parse`) is taken over: its items become the attachments.
 */
export function parseAttachmentPageBefore(body: unknown): AttachmentPage {
  const what = "a listing page";
  const result = v.safeParse(PageSchema, body, { abortEarly: true });
  if (!result.success) throw schemaError(what, result.issues[0], "");
  const input = body as { items: WireAttachment[]; has_more: boolean };
  const items = input.items.map((item, index) => toAttachment(item, what, `items[${index}]`));
  return { items, has_more: input.has_more };
}
