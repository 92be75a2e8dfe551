/**
 * Pure argument checking and query building for `GET /attachments`.
 *
 * Every check throws a `TypeError` (wrong type, missing or unknown field) or a `RangeError`
 * (right type, value not allowed) whose message names the field and its current value, so a
 * call with bad arguments fails before any request is sent.
 *
 * @module
 */

import { describeValue, mustBe } from "./describe_value.ts";
import { formatTimestamp, parseTimestamp } from "./timestamps.ts";
import type { Order, SortKey } from "./types.ts";

/**
 * The fields of an {@linkcode AttachmentFilter}, in the order they are sent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FILTER_FIELDS } from "@toloka-edge/attachments";
 *
 * assert.ok(FILTER_FIELDS.includes("created_gte"));
 * ```
 */
export const FILTER_FIELDS = [
  "pool_id",
  "assignment_id",
  "user_id",
  "name",
  "type",
  "owner_id",
  "owner_company_id",
  "id_gt",
  "id_gte",
  "id_lt",
  "id_lte",
  "created_gt",
  "created_gte",
  "created_lt",
  "created_lte",
] as const;

/** A field of `AttachmentFilter`. */
export type FilterField = typeof FILTER_FIELDS[number];

/** A checked filter: each given field as the string that is sent. */
export type NormalizedFilter = Partial<Record<FilterField, string>>;

const DATE_FIELDS: ReadonlySet<string> = new Set([
  "created_gt",
  "created_gte",
  "created_lt",
  "created_lte",
]);
const KNOWN_FIELDS: ReadonlySet<string> = new Set(FILTER_FIELDS);
const SORT_KEYS: readonly SortKey[] = ["id", "-id", "created", "-created"];
/** The page size limits of the API. */
export const MAX_LIMIT = 100;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
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
      throw new RangeError(
        mustBe(`Filter field "${field}"`, "a valid date in years 0000 to 9999", value),
      );
    }
    return text;
  }
  if (typeof value !== "string") {
    throw new TypeError(mustBe(`Filter field "${field}"`, "a Date or a string", value));
  }
  const parsed = parseTimestamp(value.trim(), { dateOnly: true });
  if (parsed === undefined) {
    throw new RangeError(
      mustBe(
        `Filter field "${field}"`,
        "a valid date such as 2016-05-25T16:14:27.748 (UTC unless an offset is given)",
        value,
      ),
    );
  }
  if (/\.\d{7,}$/.test(parsed.utc)) {
    throw new RangeError(
      mustBe(`Filter field "${field}"`, "a date with at most 6 fractional digits", value),
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
    throw new TypeError(mustBe("The filter", "an object", filter));
  }
  const normalized: NormalizedFilter = {};
  for (const [field, value] of Object.entries(filter)) {
    if (!KNOWN_FIELDS.has(field)) {
      throw new TypeError(
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
      throw new TypeError(mustBe(`Filter field "${field}"`, "a string", value));
    }
    if (value === "") {
      throw new RangeError(mustBe(`Filter field "${field}"`, "a non-empty string", value));
    }
    normalized[field as FilterField] = value;
  }
  if (normalized.pool_id === undefined && normalized.assignment_id === undefined) {
    throw new TypeError(mustBe("The filter", 'given "pool_id" or "assignment_id"', filter));
  }
  return normalized;
}

/** Checks `limit`/`batchSize`: an integer from 1 to 100. */
export function validatePageSize(option: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(mustBe(`Option "${option}"`, "a number", value));
  }
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw new RangeError(mustBe(`Option "${option}"`, `an integer from 1 to ${MAX_LIMIT}`, value));
  }
  return value;
}

function validateSortKey(option: string, value: unknown): SortKey {
  if (typeof value !== "string") {
    throw new TypeError(mustBe(`Option "${option}"`, "a string", value));
  }
  if (!(SORT_KEYS as readonly string[]).includes(value)) {
    throw new RangeError(
      mustBe(`Option "${option}"`, `one of ${SORT_KEYS.map((k) => `"${k}"`).join(", ")}`, value),
    );
  }
  return value as SortKey;
}

/** Checks `sort` (a key or a non-empty array of keys, each field once); returns it comma-joined. */
export function validateSort(value: unknown): string {
  if (!Array.isArray(value)) return validateSortKey("sort", value);
  if (value.length === 0) {
    throw new RangeError(mustBe('Option "sort"', "a sort key or a non-empty array of them", value));
  }
  const keys = value.map((key, index) => validateSortKey(`sort[${index}]`, key));
  const fields = keys.map((key) => key.replace(/^-/, ""));
  if (new Set(fields).size !== fields.length) {
    throw new RangeError(mustBe('Option "sort"', "an array naming each field once", value));
  }
  return keys.join(",");
}

/** Checks the iteration `order`. */
export function validateOrder(value: unknown): Order {
  return validateSortKey("order", value);
}

/** The most lanes a parallel scan may use. */
export const MAX_CONCURRENCY = 16;

/** Checks `concurrency`: an integer from 1 to {@linkcode MAX_CONCURRENCY}. */
export function validateConcurrency(value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(mustBe('Option "concurrency"', "a number", value));
  }
  if (!Number.isInteger(value) || value < 1 || value > MAX_CONCURRENCY) {
    throw new RangeError(
      mustBe('Option "concurrency"', `an integer from 1 to ${MAX_CONCURRENCY}`, value),
    );
  }
  return value;
}

/** Checks an optional boolean option. */
export function validateBoolean(option: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(mustBe(`Option "${option}"`, "a boolean", value));
  }
  return value;
}

/** Checks an options argument: `undefined` or an object (returned as an object). */
export function validateOptions(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw new TypeError(mustBe("The options", "an object", value));
  return value;
}

/** Checks the `signal` option. */
export function validateSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw new TypeError(mustBe('Option "signal"', "an AbortSignal", value));
}

/**
 * Checks an attachment id for a path segment: a non-empty string other than `.` and `..`
 * (which URLs would resolve as "this folder" and "the parent folder", even percent-encoded).
 */
export function validateId(id: unknown): string {
  if (typeof id !== "string") throw new TypeError(mustBe('The attachment "id"', "a string", id));
  if (id === "" || id === "." || id === "..") {
    throw new RangeError(
      mustBe('The attachment "id"', 'a non-empty string other than "." and ".."', id),
    );
  }
  return id;
}

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
