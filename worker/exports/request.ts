/**
 * The body of `POST /api/v1/exports`: `{"filter": {...}, "order": "id", "format": "ndjson"}`,
 * checked with the listing's own rules (the filter goes through `parseExportQuery`, exactly as the
 * synchronous export's query string would) and reported as Toloka reports validation errors: a
 * `400 VALIDATION_ERROR` whose payload names every bad field (`filter.<field>`, `order`,
 * `format`).
 *
 * @module
 */

import { type AttachmentFilter, FILTER_FIELDS, type Order } from "../../mod.ts";
import { EdgeError, type FieldIssues } from "../errors.ts";
import { parseExportQuery } from "../params.ts";
import { EXPORT_FORMATS, type ExportFormat } from "./job.ts";

/** The most a job request's body may hold. */
const MAX_BODY_BYTES = 16 * 1024;
const FIELDS: ReadonlySet<string> = new Set(FILTER_FIELDS);
const TOP_LEVEL: ReadonlySet<string> = new Set(["filter", "order", "format"]);

/** A checked job request. */
export interface JobRequest {
  filter: AttachmentFilter;
  order: Order;
  format: ExportFormat;
}

function invalid(issues: FieldIssues): EdgeError {
  return new EdgeError(400, "VALIDATION_ERROR", "Validation failed", { payload: issues });
}

/** Reads and checks the request's JSON body. */
export async function readJobRequest(request: Request): Promise<JobRequest> {
  const text = await request.text();
  if (new TextEncoder().encode(text).length > MAX_BODY_BYTES) {
    throw invalid({
      body: { code: "INVALID_FORMAT", message: `The body is larger than ${MAX_BODY_BYTES} bytes` },
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalid({ body: { code: "INVALID_FORMAT", message: "The body must be JSON" } });
  }
  return parseJobRequest(body);
}

/**
 * Checks a job request.
 *
 * @throws {EdgeError} 400 VALIDATION_ERROR naming every bad field.
 */
export function parseJobRequest(body: unknown): JobRequest {
  const issues = Object.create(null) as FieldIssues;
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalid({ body: { code: "INVALID_FORMAT", message: "The body must be a JSON object" } });
  }
  const fields = body as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!TOP_LEVEL.has(name)) {
      issues[name.slice(0, 64)] = { code: "UNKNOWN_PARAMETER", message: "Unknown parameter" };
    }
  }
  const format = fields.format;
  if (format === undefined) {
    issues.format = { code: "VALUE_REQUIRED", message: "format is required" };
  } else if (!EXPORT_FORMATS.includes(format as ExportFormat)) {
    issues.format = {
      code: "INVALID_FORMAT",
      message: `format must be one of ${EXPORT_FORMATS.join(", ")}`,
    };
  }
  const order = fields.order;
  if (order !== undefined && typeof order !== "string") {
    issues.order = { code: "INVALID_FORMAT", message: "order must be a string" };
  }
  const params = new URLSearchParams();
  const filter = fields.filter;
  if (filter === undefined) {
    issues.filter = {
      code: "VALUE_REQUIRED",
      message: "filter is required, with pool_id or assignment_id",
    };
  } else if (typeof filter !== "object" || filter === null || Array.isArray(filter)) {
    issues.filter = { code: "INVALID_FORMAT", message: "filter must be an object" };
  } else {
    // Unknown fields first: a query string cannot say `filter.`, so they are named here.
    for (const [name, value] of Object.entries(filter)) {
      const field = `filter.${name.slice(0, 64)}`;
      if (!FIELDS.has(name)) {
        issues[field] = { code: "UNKNOWN_PARAMETER", message: "Unknown parameter" };
      } else if (typeof value === "string") {
        params.set(name, value);
      } else if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) {
        params.set(name, String(value));
      } else {
        issues[field] = { code: "INVALID_FORMAT", message: "The value must be a string" };
      }
    }
  }
  if (Object.keys(issues).length > 0) throw invalid(issues);
  if (typeof order === "string") params.set("sort", order);
  try {
    const query = parseExportQuery(params);
    return { filter: query.filter, order: query.order, format: format as ExportFormat };
  } catch (error) {
    if (!(error instanceof EdgeError) || error.payload === null) throw error;
    // The listing's issues, renamed to the body's fields.
    const renamed = Object.create(null) as FieldIssues;
    for (const [name, issue] of Object.entries(error.payload)) {
      renamed[name === "sort" ? "order" : name === "filter" ? "filter" : `filter.${name}`] = issue;
    }
    throw invalid(renamed);
  }
}
