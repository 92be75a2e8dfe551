/**
 * Toloka's timestamps: UTC written without an offset, with 0 to 6 fractional digits
 * (`2016-05-25T16:14:27`, `...27.748`, `...27.748123`).
 *
 * A JavaScript `Date` holds milliseconds only, and `new Date("2016-05-25T16:14:27.748")` reads
 * the string as local time. So this module parses the string itself and keeps, besides a `Date`,
 * a sortable key at full precision for comparing timestamps (pagination depends on it).
 *
 * @module
 */

/**
 * A timestamp parsed at full precision by {@linkcode parseTimestamp}.
 *
 * @example
 * ```ts
 * import type { Timestamp } from "@toloka-edge/attachments";
 *
 * const timestamp: Timestamp = {
 *   text: "2016-05-25T16:14:27.748123",
 *   date: new Date("2016-05-25T16:14:27.748Z"),
 *   key: "2016-05-25T16:14:27.748123000",
 *   utc: "2016-05-25T16:14:27.748123",
 * };
 * ```
 */
export interface Timestamp {
  /** The string that was parsed, as given. */
  text: string;
  /** The instant, truncated to milliseconds. */
  date: Date;
  /**
   * `YYYY-MM-DDTHH:mm:ss.fffffffff` in UTC with exactly 9 fractional digits: comparing two keys
   * as strings compares the instants at full precision (`…:00` equals `…:00.000000`).
   */
  key: string;
  /**
   * The timestamp as the API writes it: UTC, no offset, `T` separator, the fractional digits as
   * given. Equal to the input when the input has no offset.
   */
  utc: string;
}

const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Parses a timestamp as Toloka writes it, or as a person would: `YYYY-MM-DDTHH:mm:ss`, an
 * optional fraction of 1 to 9 digits and an optional offset (`Z`, `+03:00`, `+0300`, `+03`); read
 * as UTC without an offset. With `dateOnly`, `YYYY-MM-DD` alone is accepted too (midnight UTC).
 *
 * @param text The timestamp.
 * @param options `dateOnly`: accept a date without a time.
 * @returns The instant at full precision; `undefined` for anything else, including impossible
 * dates such as February 30 and instants outside years 0000..9999.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTimestamp } from "@toloka-edge/attachments";
 *
 * const parsed = parseTimestamp("2024-05-25T19:14:27.748123+03:00");
 * assert.equal(parsed?.utc, "2024-05-25T16:14:27.748123");
 * assert.equal(parsed?.date.toISOString(), "2024-05-25T16:14:27.748Z");
 * assert.equal(parseTimestamp("2024-05-25", { dateOnly: true })?.utc, "2024-05-25T00:00:00");
 * assert.equal(parseTimestamp("2024-02-30T00:00:00"), undefined);
 * ```
 */
export function parseTimestamp(
  text: string,
  options: { dateOnly?: boolean } = {},
): Timestamp | undefined {
  return parseApiTimestamp(text) ?? parseAnyTimestamp(text, options.dateOnly === true);
}

/** Two ASCII digits at `index` as a number, or -1. */
function twoDigits(text: string, index: number): number {
  const tens = text.charCodeAt(index) - 48;
  const ones = text.charCodeAt(index + 1) - 48;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : -1;
}

const KEY_ZEROS = "000000000";

/**
 * The hot path of every listing: the API's own format, `YYYY-MM-DDTHH:mm:ss` with an optional
 * fraction of 1 to 9 digits and no offset, read with `charCodeAt` (a third of the regular
 * expression's cost). `undefined` for anything else, valid or not: the general parser decides.
 */
function parseApiTimestamp(text: string): Timestamp | undefined {
  const length = text.length;
  if (
    length < 19 || length === 20 || length > 29 || text.charCodeAt(4) !== 0x2d /* - */ ||
    text.charCodeAt(7) !== 0x2d || text.charCodeAt(10) !== 0x54 /* T */ ||
    text.charCodeAt(13) !== 0x3a /* : */ || text.charCodeAt(16) !== 0x3a ||
    (length > 19 && text.charCodeAt(19) !== 0x2e /* . */)
  ) {
    return undefined;
  }
  const century = twoDigits(text, 0);
  const yearOfCentury = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  const year = century * 100 + yearOfCentury;
  // Years before 100 need the general path (Date.UTC reads 0..99 as 1900..1999).
  if (century < 1 || yearOfCentury < 0 || month < 1 || month > 12 || day < 1) return undefined;
  if (day > daysInMonth(year, month) || hour < 0 || hour > 23 || minute < 0 || minute > 59) {
    return undefined;
  }
  if (second < 0 || second > 59) return undefined;
  let millis = 0;
  for (let index = 20; index < length; index++) {
    const digit = text.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return undefined;
    if (index < 23) millis = millis * 10 + digit;
  }
  if (length === 21) millis *= 100;
  else if (length === 22) millis *= 10;
  return {
    text,
    date: new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis)),
    key: length === 19 ? `${text}.${KEY_ZEROS}` : text + KEY_ZEROS.slice(length - 20),
    utc: text,
  };
}

/** Every accepted form: other separators, offsets, date only (with `dateOnly`), early years. */
function parseAnyTimestamp(text: string, dateOnly: boolean): Timestamp | undefined {
  const match = PATTERN.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, offsetHours, offsetMinutes] = match;
  if (h === undefined && !dateOnly) return undefined;
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
    // No offset to apply (another separator than `T`): the string already is the UTC form.
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

/** Writes a `Date` as the API reads it: UTC, `YYYY-MM-DDTHH:mm:ss.sss`, no offset. */
export function formatTimestamp(date: Date): string | undefined {
  const time = date.getTime();
  if (Number.isNaN(time)) return undefined;
  const iso = date.toISOString();
  return iso.length === 24 ? iso.slice(0, 23) : undefined;
}
