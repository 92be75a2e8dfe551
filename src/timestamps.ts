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

/** A timestamp parsed at full precision. */
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
 * Parses a timestamp: `YYYY-MM-DDTHH:mm:ss`, an optional fraction of 1 to 9 digits and an
 * optional offset (`Z`, `+03:00`, `+0300`, `+03`); read as UTC without an offset. With
 * `dateOnly`, `YYYY-MM-DD` alone is accepted too (midnight UTC). Returns `undefined` for anything
 * else, including impossible dates such as February 30 and instants outside years 0000..9999.
 */
export function parseTimestamp(
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

/** Writes a `Date` as the API reads it: UTC, `YYYY-MM-DDTHH:mm:ss.sss`, no offset. */
export function formatTimestamp(date: Date): string | undefined {
  const time = date.getTime();
  if (Number.isNaN(time)) return undefined;
  const iso = date.toISOString();
  return iso.length === 24 ? iso.slice(0, 23) : undefined;
}
