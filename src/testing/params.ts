/**
 * Validation of the `GET /attachments` query string into a {@linkcode ListQuery}, reporting every
 * bad field at once the way the API does (`VALIDATION_ERROR` with a payload per field).
 */

import { type Instant, parseCreated } from "./created.ts";

/** One entry of a validation error payload. */
export interface FieldError {
  code: string;
  message: string;
}

/** A `VALIDATION_ERROR` payload: field name to its error. */
export type ValidationPayload = Record<string, FieldError>;

/** Parameters compared as exact strings. */
export const STRING_FILTERS = [
  "pool_id",
  "assignment_id",
  "name",
  "type",
  "user_id",
  "owner_id",
  "owner_company_id",
] as const;
/** Exact-string filter names. */
export type StringFilter = typeof STRING_FILTERS[number];

const ID_RANGES = ["id_gt", "id_gte", "id_lt", "id_lte"] as const;
const CREATED_RANGES = ["created_gt", "created_gte", "created_lt", "created_lte"] as const;
const KNOWN: ReadonlySet<string> = new Set<string>([
  ...STRING_FILTERS,
  ...ID_RANGES,
  ...CREATED_RANGES,
  "sort",
  "limit",
]);

/** Default and maximum page size. */
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/** A sort key: a field and its direction. */
export interface SortKey {
  field: "id" | "created";
  descending: boolean;
}

/** A lower or upper bound of a range filter. */
export interface Bound<T> {
  value: T;
  inclusive: boolean;
}

/** A validated list request. */
export interface ListQuery {
  filters: Partial<Record<StringFilter, string>>;
  idLower: Bound<string>[];
  idUpper: Bound<string>[];
  createdLower: Bound<Instant>[];
  createdUpper: Bound<Instant>[];
  /** `undefined` without `sort`: generation order. */
  sort: SortKey[] | undefined;
  limit: number;
}

/** The outcome of validation: a query, or the payload of a 400 answer. */
export type ParsedList = { ok: true; query: ListQuery } | { ok: false; payload: ValidationPayload };

function fieldError(code: string, message: string): FieldError {
  return { code, message };
}

/**
 * Validates list parameters (decoded pairs in the order sent: a `URLSearchParams`, or the pairs
 * already spread for the request log); every bad field is reported, unknown parameters included.
 */
export function parseListParams(params: Iterable<readonly [string, string]>): ParsedList {
  const values = new Map<string, string[]>();
  for (const [key, value] of params) {
    const list = values.get(key);
    if (list === undefined) values.set(key, [value]);
    else list.push(value);
  }
  // No prototype: a parameter named "__proto__" is reported like any other.
  const payload = Object.create(null) as ValidationPayload;
  const query: ListQuery = {
    filters: {},
    idLower: [],
    idUpper: [],
    createdLower: [],
    createdUpper: [],
    sort: undefined,
    limit: DEFAULT_LIMIT,
  };
  for (const [key, list] of values) {
    if (!KNOWN.has(key)) {
      payload[key] = fieldError("UNKNOWN_PARAMETER", `Unknown parameter "${key}"`);
      continue;
    }
    if (list.length > 1) {
      payload[key] = fieldError(
        "INVALID_FORMAT",
        `Parameter must be given at most once, current count is ${list.length}`,
      );
      continue;
    }
    const value = list[0] as string;
    if (value === "") {
      payload[key] = fieldError("VALUE_REQUIRED", "Value must not be empty");
      continue;
    }
    const error = applyParam(query, key, value);
    if (error !== undefined) payload[key] = error;
  }
  if (!values.has("pool_id") && !values.has("assignment_id")) {
    const required = fieldError("VALUE_REQUIRED", "Either pool_id or assignment_id is required");
    payload["pool_id"] = required;
    payload["assignment_id"] = required;
  }
  return Object.keys(payload).length > 0 ? { ok: false, payload } : { ok: true, query };
}

function applyParam(query: ListQuery, key: string, value: string): FieldError | undefined {
  switch (key) {
    case "id_gt":
    case "id_gte":
      query.idLower.push({ value, inclusive: key === "id_gte" });
      return undefined;
    case "id_lt":
    case "id_lte":
      query.idUpper.push({ value, inclusive: key === "id_lte" });
      return undefined;
    case "created_gt":
    case "created_gte":
    case "created_lt":
    case "created_lte": {
      const instant = parseCreated(value);
      if (instant === undefined) {
        return fieldError(
          "INVALID_FORMAT",
          `Value must be a UTC date and time without offset (YYYY-MM-DDTHH:mm:ss[.SSSSSS]), current value is "${value}"`,
        );
      }
      const bound = { value: instant, inclusive: key.endsWith("e") };
      (key.startsWith("created_g") ? query.createdLower : query.createdUpper).push(bound);
      return undefined;
    }
    case "sort":
      return parseSort(query, value);
    case "limit":
      return parseLimit(query, value);
    default:
      query.filters[key as StringFilter] = value;
      return undefined;
  }
}

function parseSort(query: ListQuery, value: string): FieldError | undefined {
  const keys: SortKey[] = [];
  for (const part of value.split(",")) {
    const descending = part.startsWith("-");
    const field = descending ? part.slice(1) : part;
    if (field !== "id" && field !== "created") {
      return fieldError(
        "INVALID_FORMAT",
        `Sort keys must be id or created, optionally prefixed with "-", current value is "${value}"`,
      );
    }
    if (keys.some((key) => key.field === field)) {
      return fieldError("INVALID_FORMAT", `Sort key ${field} is given twice in "${value}"`);
    }
    keys.push({ field, descending });
  }
  query.sort = keys;
  return undefined;
}

function parseLimit(query: ListQuery, value: string): FieldError | undefined {
  if (!/^-?\d+$/.test(value)) {
    return fieldError("INVALID_FORMAT", `Value must be an integer, current value is "${value}"`);
  }
  const limit = Number(value);
  if (limit < 1) {
    return fieldError("VALUE_LESS_THAN_MIN", `Value must be at least 1, current value is ${value}`);
  }
  if (limit > MAX_LIMIT) {
    return fieldError(
      "VALUE_GREATER_THAN_MAX",
      `Value must be at most ${MAX_LIMIT}, current value is ${value}`,
    );
  }
  query.limit = limit;
  return undefined;
}
