/**
 * The Worker's errors and the one place that maps any thrown value to Toloka's error body.
 *
 * @module
 */

import {
  TolokaApiError,
  TolokaBudgetError,
  TolokaNetworkError,
  TolokaResponseError,
  TolokaTimeoutError,
} from "../mod.ts";

/** Per-field validation detail, as Toloka writes it. */
export type FieldIssues = Record<string, { code: string; message: string }>;

/** An error the Worker answers with on purpose: status, Toloka code, message, payload. */
export class EdgeError extends Error {
  override name = "EdgeError";
  readonly status: number;
  readonly code: string;
  readonly payload: FieldIssues | null;
  readonly headers: Record<string, string>;
  /** What the log line says instead of the code (for the operator; never sent to the caller). */
  readonly reason: string | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { payload?: FieldIssues; headers?: Record<string, string>; reason?: string } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.payload = options.payload ?? null;
    this.headers = options.headers ?? {};
    this.reason = options.reason;
  }
}

/** Builds the JSON response for Toloka's error body. */
export function errorResponse(error: EdgeError, requestId: string): Response {
  const body = {
    request_id: requestId,
    code: error.code,
    message: error.message,
    payload: error.payload,
  };
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: { "Content-Type": "application/json; charset=utf-8", ...error.headers },
  });
}

/**
 * Maps anything thrown while handling a request to the {@link EdgeError} the caller sees, plus a
 * log-safe reason. Upstream failures, and an upstream that rejects the key's sealed token, become
 * 502 (the caller's key is fine; our upstream is not); upstream 403, 404 and 429 keep their
 * meaning; an unexpected exception is a generic 500: its message stays in the log.
 */
export function toEdgeError(error: unknown): { error: EdgeError; reason: string } {
  if (error instanceof EdgeError) return { error, reason: error.reason ?? error.code };
  if (error instanceof TolokaApiError) {
    const reason = `upstream ${error.status} ${error.code}`;
    if (error.status === 404) {
      return { error: new EdgeError(404, "DOES_NOT_EXIST", "Attachment not found"), reason };
    }
    if (error.status === 401) {
      return {
        error: new EdgeError(
          502,
          "REMOTE_SERVICE_UNAVAILABLE",
          "The upstream Toloka API rejected the Toloka token sealed in this API key (it answered 401); the key must be issued again with a token that this Worker's upstream accepts",
        ),
        reason,
      };
    }
    // The token is fine but may not see this resource: a lasting answer, not a gateway failure
    // that clients would retry.
    if (error.status === 403) {
      return {
        error: new EdgeError(
          403,
          "ACCESS_DENIED",
          "The upstream API denied this key's Toloka token access",
        ),
        reason,
      };
    }
    if (error.status === 429) {
      // The upstream's own Retry-After when it gave one (whole seconds, at least 1).
      const seconds = Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000));
      return {
        error: new EdgeError(
          429,
          "TOO_MANY_REQUESTS",
          "The upstream API is rate limiting; retry later",
          { headers: { "Retry-After": String(seconds) } },
        ),
        reason,
      };
    }
    return { error: upstreamFailed(`answered ${error.status}`), reason };
  }
  if (error instanceof TolokaBudgetError) {
    // Only before an export's first byte, or after retries: the upstream kept failing.
    return {
      error: new EdgeError(
        503,
        "REMOTE_SERVICE_UNAVAILABLE",
        `This request used all ${error.limit} upstream requests it may make (SUBREQUEST_BUDGET) before it could answer; retry it`,
        { headers: { "Retry-After": "1" } },
      ),
      reason: "subrequest budget spent",
    };
  }
  if (error instanceof TolokaTimeoutError) {
    return { error: upstreamFailed("timed out"), reason: "upstream timeout" };
  }
  if (error instanceof TolokaNetworkError) {
    return { error: upstreamFailed("could not be reached"), reason: "upstream network" };
  }
  if (error instanceof TolokaResponseError) {
    return { error: upstreamFailed("sent a malformed response"), reason: "upstream malformed" };
  }
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { error: new EdgeError(500, "INTERNAL_ERROR", "Internal error"), reason };
}

function upstreamFailed(how: string): EdgeError {
  return new EdgeError(502, "REMOTE_SERVICE_UNAVAILABLE", `The upstream Toloka API ${how}`);
}
