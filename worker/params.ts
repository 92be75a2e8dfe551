/**
 * Query strings of the Worker's listing routes, checked by the core's query parser (the same rules
 * the client applies to its arguments) and reported as Toloka does: a `400 VALIDATION_ERROR`
 * whose payload names every bad field at once. Nothing reaches the upstream until this passes.
 *
 * @module
 */

import {
  type ExportQuery,
  type ListQuery,
  parseExportQuery as readExportQuery,
  parseListQuery as readListQuery,
  type QueryResult,
} from "../mod.ts";
import { EdgeError, type FieldIssues } from "./errors.ts";

export type { ExportQuery, ListQuery };

/** Checks `GET /api/v1/attachments`'s query: the filters, `sort` and `limit`, as upstream. */
export function parseListQuery(params: URLSearchParams): ListQuery {
  return orThrow(readListQuery(params));
}

/**
 * Checks an export's query: the filters and an optional `sort` of one key, which becomes the
 * iteration order, and the signed continuation `cursor` (checked later: its signature needs the
 * Worker's secret).
 */
export function parseExportQuery(params: URLSearchParams): ExportQuery {
  return orThrow(readExportQuery(params));
}

/** The query, or the `400 VALIDATION_ERROR` whose payload maps each field to its issue. */
function orThrow<T>(result: QueryResult<T>): T {
  if (result.ok) {
    const { ok: _, ...query } = result;
    return query as T;
  }
  // Without a prototype: a field named `__proto__` must stay a key like any other.
  const payload = Object.create(null) as FieldIssues;
  for (const { field, code, message } of result.issues) payload[field] = { code, message };
  throw new EdgeError(400, "VALIDATION_ERROR", "Validation failed", { payload });
}
