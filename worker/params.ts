/**
 * Query strings of the Worker's listing routes, checked with the core's own validators (the same
 * rules the client applies to its arguments) and reported as Toloka does: a `400
 * VALIDATION_ERROR` whose payload names every bad field at once. Nothing reaches the upstream
 * until this passes.
 *
 * @module
 */

import type { AttachmentFilter, FindOptions, Order } from "../mod.ts";
import {
  FILTER_FIELDS,
  normalizeDateBound,
  validateFilter,
  validateOrder,
  validatePageSize,
  validateSort,
} from "../src/query.ts";
import { EdgeError, type FieldIssues } from "./errors.ts";

const FILTERS: ReadonlySet<string> = new Set(FILTER_FIELDS);
const MAX_VALUE_LENGTH = 1024;

/** A checked listing query. */
export interface ListQuery {
  filter: AttachmentFilter;
  options: Pick<FindOptions, "sort" | "limit">;
}

/**
 * A checked export query: the filter, the iteration order (`sort`, one key) and the signed
 * continuation `cursor` of an earlier response, if any (checked later: its signature needs the
 * Worker's secret).
 */
export interface ExportQuery {
  filter: AttachmentFilter;
  order: Order;
  cursor?: string;
}

/** Checks `GET /api/v1/attachments`'s query: the filters, `sort` and `limit`, as upstream. */
export function parseListQuery(params: URLSearchParams): ListQuery {
  const issues = noIssues();
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
        throw new RangeError(
          `Option "limit" must be an integer from 1 to 100: current value is ${
            JSON.stringify(limit.length > 40 ? `${limit.slice(0, 40)}…` : limit)
          }`,
        );
      }
      options.limit = validatePageSize("limit", Number(limit));
    });
  }
  finish(filter, issues);
  return { filter, options };
}

/**
 * Checks an export's query: the filters and an optional `sort` of one key (`id`, `-id`,
 * `created`, `-created`; `created,id` and `-created,-id` are accepted as the same orders), which
 * becomes the iteration order. Exports have no `limit`: they stream every match.
 */
export function parseExportQuery(params: URLSearchParams): ExportQuery {
  const issues = noIssues();
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
  finish(filter, issues);
  const cursor = values.get("cursor");
  return cursor === undefined ? { filter, order } : { filter, order, cursor };
}

/** Collects each parameter's single value; unknown, repeated, empty or huge ones are issues. */
function single(
  params: URLSearchParams,
  extra: readonly string[],
  issues: FieldIssues,
): Map<string, string> {
  const values = new Map<string, string>();
  const repeated = new Set<string>();
  for (const [name, value] of params) {
    if (!FILTERS.has(name) && !extra.includes(name)) {
      issues[safeField(name)] = { code: "UNKNOWN_PARAMETER", message: "Unknown parameter" };
    } else if (values.has(name) || repeated.has(name)) {
      repeated.add(name);
      values.delete(name);
      issues[name] = { code: "INVALID_FORMAT", message: "The parameter must be given once" };
    } else if (value === "") {
      issues[name] = { code: "VALUE_REQUIRED", message: "The parameter must not be empty" };
    } else if (value.length > MAX_VALUE_LENGTH) {
      issues[name] = {
        code: "INVALID_FORMAT",
        message: `The value is longer than ${MAX_VALUE_LENGTH} characters`,
      };
    } else {
      values.set(name, value);
    }
  }
  return values;
}

function filterOf(values: Map<string, string>, issues: FieldIssues): AttachmentFilter {
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

function finish(filter: AttachmentFilter, issues: FieldIssues): void {
  if (
    filter.pool_id === undefined && filter.assignment_id === undefined && !issues.pool_id &&
    !issues.assignment_id
  ) {
    issues.pool_id = {
      code: "VALUE_REQUIRED",
      message: "Either pool_id or assignment_id is required",
    };
  }
  if (Object.keys(issues).length === 0) {
    check(issues, "filter", () => validateFilter(filter));
  }
  if (Object.keys(issues).length > 0) {
    throw new EdgeError(400, "VALIDATION_ERROR", "Validation failed", { payload: issues });
  }
}

/**
 * An empty set of issues without a prototype: a parameter named `__proto__` must become an issue
 * like any other name, where on a plain object the assignment would set the object's prototype
 * instead, leaving no issue behind, and the request would pass with the parameter ignored.
 */
function noIssues(): FieldIssues {
  return Object.create(null) as FieldIssues;
}

/** Runs a core validator and turns its TypeError/RangeError into a field issue. */
function check(issues: FieldIssues, field: string, run: () => void): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
    issues[field] = { code: "INVALID_FORMAT", message: error.message };
  }
}

/** An unknown parameter's name as a payload key: bounded, so a huge name cannot bloat the answer. */
function safeField(name: string): string {
  return name.length > 64 ? `${name.slice(0, 64)}…` : name;
}
