/**
 * Listing queries read from a query string (`URLSearchParams`), checked with the client's own
 * validators and reported as Toloka reports a bad query: every issue at once, each naming its
 * parameter, with Toloka's codes (`UNKNOWN_PARAMETER`, `INVALID_FORMAT`, `VALUE_REQUIRED`). Pure:
 * a Worker turns the issues into a `400 VALIDATION_ERROR`, a command line into a usage error
 * naming its flag.
 *
 * @module
 */

import { ArgumentRangeError } from "./argument_errors.ts";
import { validateOrder, validatePageSize, validateSort } from "./options.ts";
import { normalizeDateBound, validateFilter } from "./query.ts";
import type { AttachmentFilter, FindOptions } from "./types.ts";
import { FILTER_FIELDS, type Order } from "./wire.ts";

/**
 * One problem of a query string: the parameter it is about, Toloka's code for it and a message.
 *
 * @example
 * ```ts
 * import type { QueryIssue } from "@toloka-edge/attachments";
 *
 * const issue: QueryIssue = { field: "limit", code: "INVALID_FORMAT", message: "..." };
 * ```
 */
export interface QueryIssue {
  /**
   * The parameter: a filter field, `sort`, `limit`, or the unknown name as sent (cut after 64
   * characters). `pool_id` also stands for "neither `pool_id` nor `assignment_id`".
   */
  readonly field: string;
  /**
   * `UNKNOWN_PARAMETER` (a name the route does not take), `VALUE_REQUIRED` (an empty value, or
   * neither `pool_id` nor `assignment_id`) or `INVALID_FORMAT` (anything else).
   */
  readonly code: "UNKNOWN_PARAMETER" | "INVALID_FORMAT" | "VALUE_REQUIRED";
  /** What is wrong, in a sentence. */
  readonly message: string;
}

/**
 * What a query parser returns: the checked query with `ok: true`, or `ok: false` and every issue
 * found, at most one per parameter.
 *
 * @example
 * ```ts
 * import type { ExportQuery, QueryResult } from "@toloka-edge/attachments";
 *
 * const result: QueryResult<ExportQuery> = { ok: true, filter: { pool_id: "1" }, order: "id" };
 * ```
 */
export type QueryResult<T> =
  | ({ readonly ok: true } & T)
  | { readonly ok: false; readonly issues: readonly QueryIssue[] };

/**
 * A checked listing query (`GET /attachments`): the filter, with dates as the API reads them,
 * and the options `sort` and `limit` as given.
 *
 * @example
 * ```ts
 * import type { ListQuery } from "@toloka-edge/attachments";
 *
 * const query: ListQuery = { filter: { pool_id: "1" }, options: { sort: ["-created"], limit: 20 } };
 * ```
 */
export interface ListQuery {
  /** Which attachments. */
  filter: AttachmentFilter;
  /** `sort` and `limit`, when given. */
  options: Pick<FindOptions, "sort" | "limit">;
}

/**
 * A checked export query: the filter, the iteration order (`sort`, one key) and the continuation
 * `cursor` of an earlier response, if any (passed on unchecked: only its issuer can check it).
 *
 * @example
 * ```ts
 * import type { ExportQuery } from "@toloka-edge/attachments";
 *
 * const query: ExportQuery = { filter: { assignment_id: "a1" }, order: "-created" };
 * ```
 */
export interface ExportQuery {
  /** Which attachments. */
  filter: AttachmentFilter;
  /** The iteration order. */
  order: Order;
  /** The continuation token given, if any. */
  cursor?: string;
}

const FILTERS: ReadonlySet<string> = new Set(FILTER_FIELDS);
const MAX_VALUE_LENGTH = 1024;
const MAX_NAME_LENGTH = 64;

/**
 * The issues found so far, one per parameter (a later one replaces an earlier one in its place).
 * A `Map`, so that a parameter named `__proto__` is an issue like any other name: on a plain
 * object the assignment would set the object's prototype instead, leaving no issue behind.
 */
type Issues = Map<string, Omit<QueryIssue, "field">>;

/**
 * Checks the query of `GET /attachments`, as the API does: the filters (either `pool_id` or
 * `assignment_id` required), `sort` (keys comma-separated) and `limit` (1 to 100). Every other
 * parameter, a repeated one, an empty one or one longer than 1024 characters is an issue.
 *
 * @param params The query string's parameters.
 * @returns The filter and options, or the issues.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseListQuery } from "@toloka-edge/attachments";
 *
 * const good = parseListQuery(new URLSearchParams("pool_id=1&sort=-created,-id&limit=50"));
 * assert.deepEqual(good, {
 *   ok: true,
 *   filter: { pool_id: "1" },
 *   options: { sort: ["-created", "-id"], limit: 50 },
 * });
 *
 * const bad = parseListQuery(new URLSearchParams("limit=0&colour=red"));
 * assert.ok(!bad.ok);
 * assert.deepEqual(bad.issues.map((issue) => [issue.field, issue.code]), [
 *   ["colour", "UNKNOWN_PARAMETER"],
 *   ["limit", "INVALID_FORMAT"],
 *   ["pool_id", "VALUE_REQUIRED"],
 * ]);
 * ```
 */
export function parseListQuery(params: URLSearchParams): QueryResult<ListQuery> {
  const issues: Issues = new Map();
  const values = single(params, ["sort", "limit"], issues);
  const filter = filterOf(values, issues);
  const options: ListQuery["options"] = {};
  const sort = values.get("sort");
  if (sort !== undefined) {
    check(issues, "sort", () => {
      validateSort(sort.split(","));
      options.sort = sort.split(",") as FindOptions["sort"] & string[];
    });
  }
  const limit = values.get("limit");
  if (limit !== undefined) {
    check(issues, "limit", () => {
      if (!/^\d{1,4}$/.test(limit)) {
        // Quoted as sent: "abc", not the NaN it would become.
        throw new ArgumentRangeError(
          "limit",
          `Option "limit" must be an integer from 1 to 100: current value is ${
            JSON.stringify(limit.length > 40 ? `${limit.slice(0, 40)}…` : limit)
          }`,
        );
      }
      options.limit = validatePageSize("limit", Number(limit));
    });
  }
  return finish(filter, issues, { filter, options });
}

/**
 * Checks an export's query: the filters and an optional `sort` of one key (`id`, `-id`,
 * `created`, `-created`; `created,id` and `-created,-id` are accepted as the same orders), which
 * becomes the iteration order (`id` when absent), and an optional `cursor`, passed on as given.
 * Exports have no `limit`: they stream every match.
 *
 * @param params The query string's parameters.
 * @returns The filter, order and cursor, or the issues.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseExportQuery } from "@toloka-edge/attachments";
 *
 * const good = parseExportQuery(new URLSearchParams("assignment_id=a1&sort=-created,-id"));
 * assert.deepEqual(good, { ok: true, filter: { assignment_id: "a1" }, order: "-created" });
 *
 * const bad = parseExportQuery(new URLSearchParams("pool_id=1&created_gte=yesterday"));
 * assert.ok(!bad.ok);
 * assert.equal(bad.issues[0]?.field, "created_gte");
 * ```
 */
export function parseExportQuery(params: URLSearchParams): QueryResult<ExportQuery> {
  const issues: Issues = new Map();
  const values = single(params, ["sort", "cursor"], issues);
  const filter = filterOf(values, issues);
  let order: Order = "id";
  const sort = values.get("sort");
  if (sort !== undefined) {
    const alias = sort === "created,id" ? "created" : sort === "-created,-id" ? "-created" : sort;
    check(issues, "sort", () => {
      order = validateOrder(alias);
    });
  }
  const cursor = values.get("cursor");
  return finish(
    filter,
    issues,
    cursor === undefined ? { filter, order } : { filter, order, cursor },
  );
}

/** Collects each parameter's single value; unknown, repeated, empty or huge ones are issues. */
function single(
  params: URLSearchParams,
  extra: readonly string[],
  issues: Issues,
): Map<string, string> {
  const values = new Map<string, string>();
  const repeated = new Set<string>();
  for (const [name, value] of params) {
    if (!FILTERS.has(name) && !extra.includes(name)) {
      // Bounded, so that a huge name cannot bloat the answer.
      const field = name.length > MAX_NAME_LENGTH ? `${name.slice(0, MAX_NAME_LENGTH)}…` : name;
      issues.set(field, { code: "UNKNOWN_PARAMETER", message: "Unknown parameter" });
    } else if (values.has(name) || repeated.has(name)) {
      repeated.add(name);
      values.delete(name);
      issues.set(name, { code: "INVALID_FORMAT", message: "The parameter must be given once" });
    } else if (value === "") {
      issues.set(name, { code: "VALUE_REQUIRED", message: "The parameter must not be empty" });
    } else if (value.length > MAX_VALUE_LENGTH) {
      issues.set(name, {
        code: "INVALID_FORMAT",
        message: `The value is longer than ${MAX_VALUE_LENGTH} characters`,
      });
    } else {
      values.set(name, value);
    }
  }
  return values;
}

/** The filter fields given; dates checked and written as the API reads them. */
function filterOf(values: Map<string, string>, issues: Issues): AttachmentFilter {
  const filter: Record<string, string> = {};
  for (const field of FILTER_FIELDS) {
    const value = values.get(field);
    if (value === undefined) continue;
    if (field.startsWith("created_")) {
      check(issues, field, () => {
        filter[field] = normalizeDateBound(field, value);
      });
    } else {
      filter[field] = value;
    }
  }
  return filter as AttachmentFilter;
}

/** Applies the pool-or-assignment rule and the client's filter check; the result. */
function finish<T>(filter: AttachmentFilter, issues: Issues, query: T): QueryResult<T> {
  if (
    filter.pool_id === undefined && filter.assignment_id === undefined &&
    !issues.has("pool_id") && !issues.has("assignment_id")
  ) {
    issues.set("pool_id", {
      code: "VALUE_REQUIRED",
      message: "Either pool_id or assignment_id is required",
    });
  }
  if (issues.size === 0) check(issues, "filter", () => validateFilter(filter));
  if (issues.size === 0) return { ok: true, ...query };
  return { ok: false, issues: [...issues].map(([field, issue]) => ({ field, ...issue })) };
}

/** Runs a core validator and turns its TypeError/RangeError into an issue of `field`. */
function check(issues: Issues, field: string, run: () => void): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
    issues.set(field, { code: "INVALID_FORMAT", message: error.message });
  }
}
