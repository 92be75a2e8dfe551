/**
 * Routes that take no query parameters (`/api/v1/attachments/{id}` and its `/download`) refuse
 * any, exactly as the listing refuses an unknown one: `400 VALIDATION_ERROR` with a payload entry
 * `UNKNOWN_PARAMETER` per name. Ignoring them would let a caller believe a filter applied.
 *
 * @module
 */

import { EdgeError, type FieldIssues } from "./errors.ts";

/**
 * Throws unless the query string holds no parameter at all (a bare `?` is fine).
 *
 * @throws {EdgeError} 400 VALIDATION_ERROR naming every parameter given.
 */
export function assertNoQuery(params: URLSearchParams): void {
  // Without a prototype: a parameter named `__proto__` must become an issue like any other.
  const issues = Object.create(null) as FieldIssues;
  let any = false;
  for (const name of params.keys()) {
    // Bounded, so a huge name cannot bloat the answer (the listing's rule).
    issues[name.length > 64 ? `${name.slice(0, 64)}…` : name] = {
      code: "UNKNOWN_PARAMETER",
      message: "Unknown parameter",
    };
    any = true;
  }
  if (any) throw new EdgeError(400, "VALIDATION_ERROR", "Validation failed", { payload: issues });
}
