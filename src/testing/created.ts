/**
 * `created` timestamps: UTC without an offset, `YYYY-MM-DDTHH:mm:ss` with 0 to 6 fraction digits.
 * An instant is kept as whole seconds since the epoch plus microseconds, so values compare at full
 * microsecond precision however they were written (`...:00` and `...:00.000000` are equal).
 */

/** A point in time at microsecond precision. */
export interface Instant {
  /** Whole seconds since 1970-01-01T00:00:00 UTC (may be negative). */
  sec: number;
  /** Microseconds within the second, 0..999999. */
  micro: number;
}

const CREATED_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days from 1970-01-01 to the given proleptic Gregorian date (works for years 0..9999). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Parses a `created` value or filter; `undefined` when it is not in the API's format. */
export function parseCreated(text: string): Instant | undefined {
  const match = CREATED_PATTERN.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const monthDays = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1] as number;
  if (day > monthDays) return undefined;
  const sec = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  const micro = fraction === undefined ? 0 : Number(fraction.padEnd(6, "0"));
  return { sec, micro };
}

/** Orders two instants: negative, zero or positive. */
export function compareInstants(a: Instant, b: Instant): number {
  return a.sec - b.sec || a.micro - b.micro;
}

const TWO_DIGITS: readonly string[] = Array.from(
  { length: 100 },
  (_, i) => String(i).padStart(2, "0"),
);

/** The proleptic Gregorian date of a day count since 1970-01-01 (inverse of daysFromCivil). */
function civilFromDays(days: number): [year: number, month: number, day: number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/**
 * Writes an instant with the given number of fraction digits (0 to 6; digits beyond the count are
 * dropped, so pick a count that writes the instant exactly). Years 0..9999.
 */
export function formatCreated(instant: Instant, digits: number): string {
  const days = Math.floor(instant.sec / 86400);
  const time = instant.sec - days * 86400;
  const [year, month, day] = civilFromDays(days);
  const base = String(year).padStart(4, "0") + "-" + TWO_DIGITS[month] + "-" + TWO_DIGITS[day] +
    "T" + TWO_DIGITS[Math.floor(time / 3600)] + ":" + TWO_DIGITS[Math.floor(time / 60) % 60] +
    ":" + TWO_DIGITS[time % 60];
  if (digits === 0) return base;
  return `${base}.${String(instant.micro).padStart(6, "0").slice(0, digits)}`;
}

/** The fraction digit counts (of 0, 3, 5, 6) that can write this instant exactly. */
export function writableDigits(micro: number): readonly number[] {
  if (micro === 0) return [0, 3, 5, 6];
  if (micro % 1000 === 0) return [3, 5, 6];
  if (micro % 10 === 0) return [5, 6];
  return [6];
}
