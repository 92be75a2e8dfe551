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
  type QueryIssue,
} from "../mod.ts";
import { EdgeError, type FieldIssues } from "./errors.ts";

export type { ExportQuery, ListQuery };

/** Checks `GET /api/v1/attachments`'s query: the filters, `sort` and `limit`, as upstream. */
export function parseListQuery(params: URLSearchParams): ListQuery {
  const result = readListQuery(params);
  if (!result.ok) throw validationError(result.issues);
  const { ok: _, ...query } = result;
  return query;
}

/**
 * Checks an export's query: the filters and an optional `sort` of one key, which becomes the
 * iteration order, and the signed continuation `cursor` (checked later: its signature needs the
 * Worker's secret).
 */
export function parseExportQuery(params: URLSearchParams): ExportQuery {
  const result = readExportQuery(params);
  if (!result.ok) throw validationError(result.issues);
  const { ok: _, ...query } = result;
  return query;
}

/** The `400 VALIDATION_ERROR` whose payload maps each field to its issue. */
function validationError(issues: readonly QueryIssue[]): EdgeError {
  // Without a prototype: a field named `__proto__` must stay a key like any other.
  const payload = Object.create(null) as FieldIssues;
  for (const { field, code, message } of issues) payload[field] = { code, message };
  return new EdgeError(400, "VALIDATION_ERROR", "Validation failed", { payload });
}
