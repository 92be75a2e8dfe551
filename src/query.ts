/**
 * The filter of `GET /attachments`, checked, and the query it becomes.
 *
 * Every check throws an {@linkcode ArgumentTypeError} (wrong type, missing or unknown field) or
 * an {@linkcode ArgumentRangeError} (right type, value not allowed) whose message names the field
 * and its current value, so a call with bad arguments fails before any request is sent.
 *
 * @module
 */

import { ArgumentRangeError, ArgumentTypeError } from "./argument_errors.ts";
import { describeValue, mustBe } from "./describe_value.ts";
import { isPlainObject } from "./plain_object.ts";
import { formatTimestamp, parseTimestamp } from "./timestamps.ts";
import { FILTER_FIELDS, type FilterField } from "./wire.ts";

/** A checked filter: each given field as the string that is sent. */
export type NormalizedFilter = Partial<Record<FilterField, string>>;

const DATE_FIELDS: ReadonlySet<string> = new Set([
  "created_gt",
  "created_gte",
  "created_lt",
  "created_lte",
]);
const KNOWN_FIELDS: ReadonlySet<string> = new Set(FILTER_FIELDS);

function subject(field: string): string {
  return `Filter field "${field}"`;
}

/**
 * Checks a date bound and writes it as the API reads it: a `Date` as UTC
 * `YYYY-MM-DDTHH:mm:ss.sss`; a string validated, then passed on as UTC without an offset (a string
 * without offset unchanged, an offset converted, `YYYY-MM-DD` as midnight).
 */
export function normalizeDateBound(field: string, value: unknown): string {
  if (value instanceof Date) {
    const text = formatTimestamp(value);
    if (text === undefined) {
      throw new ArgumentRangeError(
        field,
        mustBe(subject(field), "a valid date in years 0000 to 9999", value),
      );
    }
    return text;
  }
  if (typeof value !== "string") {
    throw new ArgumentTypeError(field, mustBe(subject(field), "a Date or a string", value));
  }
  const parsed = parseTimestamp(value.trim(), { dateOnly: true });
  if (parsed === undefined) {
    throw new ArgumentRangeError(
      field,
      mustBe(
        subject(field),
        "a valid date such as 2016-05-25T16:14:27.748 (UTC unless an offset is given)",
        value,
      ),
    );
  }
  if (/\.\d{7,}$/.test(parsed.utc)) {
    throw new ArgumentRangeError(
      field,
      mustBe(subject(field), "a date with at most 6 fractional digits", value),
    );
  }
  return parsed.utc;
}

/**
 * Checks a filter: an object with known fields only, non-empty strings (dates may be `Date`s),
 * and `pool_id` or `assignment_id`. `undefined` fields count as absent.
 */
export function validateFilter(filter: unknown): NormalizedFilter {
  if (!isPlainObject(filter)) {
    throw new ArgumentTypeError("filter", mustBe("The filter", "an object", filter));
  }
  const normalized: NormalizedFilter = {};
  for (const [field, value] of Object.entries(filter)) {
    if (!KNOWN_FIELDS.has(field)) {
      throw new ArgumentTypeError(
        field,
        `Filter field "${field}" is not supported (supported: ${
          FILTER_FIELDS.join(", ")
        }): current value is ${describeValue(value)}`,
      );
    }
    if (value === undefined) continue;
    if (DATE_FIELDS.has(field)) {
      normalized[field as FilterField] = normalizeDateBound(field, value);
      continue;
    }
    if (typeof value !== "string") {
      throw new ArgumentTypeError(field, mustBe(subject(field), "a string", value));
    }
    if (value === "") {
      throw new ArgumentRangeError(field, mustBe(subject(field), "a non-empty string", value));
    }
    // A lone surrogate cannot be written in a URL: it would be sent as U+FFFD, another value.
    if (!value.isWellFormed()) {
      throw new ArgumentRangeError(
        field,
        mustBe(subject(field), "a well-formed string (no lone UTF-16 surrogate)", value),
      );
    }
    normalized[field as FilterField] = value;
  }
  if (normalized.pool_id === undefined && normalized.assignment_id === undefined) {
    throw new ArgumentTypeError(
      "filter",
      mustBe("The filter", 'given "pool_id" or "assignment_id"', filter),
    );
  }
  return normalized;
}

// Until the code outside `src/` that imports them from here uses the public query parser.
export { validateOrder, validateSort } from "./options.ts";

/**
 * The query of `GET /attachments`: the filter's fields in a fixed order, then `sort`, then
 * `limit`; only what is given.
 */
export function buildListQuery(
  filter: NormalizedFilter,
  options: { sort?: string | undefined; limit?: number | undefined } = {},
): URLSearchParams {
  const query = new URLSearchParams();
  for (const field of FILTER_FIELDS) {
    const value = filter[field];
    if (value !== undefined) query.append(field, value);
  }
  if (options.sort !== undefined) query.append("sort", options.sort);
  if (options.limit !== undefined) query.append("limit", String(options.limit));
  return query;
}
