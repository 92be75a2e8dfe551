/**
 * The errors this library throws besides `TypeError`/`RangeError` for invalid arguments: a small
 * family under {@linkcode TolokaError}. None of them ever holds the token.
 *
 * @module
 */

/**
 * The base class of every error this library throws for a failed request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TolokaApiError, TolokaError } from "@toloka-edge/attachments";
 *
 * const error = new TolokaApiError({ status: 404, code: "DOES_NOT_EXIST", message: "Not found" });
 * assert.ok(error instanceof TolokaError);
 * ```
 */
export class TolokaError extends Error {
  /** The error\'s name, `"TolokaError"`. */
  override name: string = "TolokaError";

  /**
   * Creates an error.
   *
   * @param message What went wrong.
   * @param options The `cause`, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * The fields of a {@linkcode TolokaApiError}.
 *
 * @example
 * ```ts
 * import type { TolokaApiErrorInit } from "@toloka-edge/attachments";
 *
 * const init: TolokaApiErrorInit = { status: 429, code: "TOO_MANY_REQUESTS", message: "Slow down" };
 * ```
 */
export interface TolokaApiErrorInit {
  /** The HTTP status. */
  status: number;
  /** Toloka's error code, such as `VALIDATION_ERROR`. */
  code: string;
  /** The error message. */
  message: string;
  /** The request id the API gave, if any. */
  requestId?: string | undefined;
  /** Details: for validation errors, a map from field to `{ code, message }`. */
  payload?: unknown;
  /** How long the API asked to wait before retrying (`Retry-After`), in milliseconds. */
  retryAfterMs?: number | undefined;
}

/**
 * A non-2xx answer of the API, with Toloka's error body when it sent one.
 *
 * When the body is not Toloka's JSON (a proxy's HTML page, or nothing), `code` is the one Toloka
 * uses for that status (`INTERNAL_ERROR` for 500, ...) or `HTTP_<status>`, and `message` says
 * what came back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AttachmentsClient, TolokaApiError } from "@toloka-edge/attachments";
 * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const emulator = new TolokaEmulator();
 * const client = new AttachmentsClient({ token: "test-token", fetch: emulator.fetch });
 * try {
 *   await client.getAttachment("no-such-id");
 *   assert.fail("expected an error");
 * } catch (error) {
 *   if (!(error instanceof TolokaApiError)) throw error;
 *   assert.equal(error.status, 404);
 *   assert.equal(error.code, "DOES_NOT_EXIST");
 * }
 * ```
 */
export class TolokaApiError extends TolokaError {
  /** The error\'s name, `"TolokaApiError"`. */
  override name: string = "TolokaApiError";
  /** The HTTP status. */
  readonly status: number;
  /** Toloka's error code, such as `VALIDATION_ERROR` or `DOES_NOT_EXIST`. */
  readonly code: string;
  /** The request id the API gave (`request_id` of the body, else `X-Request-Id`), if any. */
  readonly requestId: string | undefined;
  /** Details: for validation errors, a map from field to `{ code, message }`; else `null`. */
  readonly payload: unknown;
  /** How long the API asked to wait before retrying (`Retry-After`), in milliseconds. */
  readonly retryAfterMs: number | undefined;

  /**
   * Creates an error from the fields of the API's error body.
   *
   * @param init The status, code, message, request id and payload.
   */
  constructor(init: TolokaApiErrorInit) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.payload = init.payload ?? null;
    this.retryAfterMs = init.retryAfterMs;
  }
}

/**
 * An attempt took longer than the client's `timeoutMs` (and no retry was left).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TolokaTimeoutError } from "@toloka-edge/attachments";
 *
 * const error = new TolokaTimeoutError(10_000);
 * assert.equal(error.message, "The request timed out after 10000 ms");
 * ```
 */
export class TolokaTimeoutError extends TolokaError {
  /** The error\'s name, `"TolokaTimeoutError"`. */
  override name: string = "TolokaTimeoutError";
  /** The time limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  /**
   * Creates an error.
   *
   * @param timeoutMs The time limit that was exceeded, in milliseconds.
   */
  constructor(timeoutMs: number) {
    super(`The request timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The request could not be sent, or the connection broke before the answer was complete (and no
 * retry was left). The underlying error is the `cause`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TolokaNetworkError } from "@toloka-edge/attachments";
 *
 * const error = new TolokaNetworkError("Connection reset", new TypeError("reset"));
 * assert.ok(error.cause instanceof TypeError);
 * ```
 */
export class TolokaNetworkError extends TolokaError {
  /** The error\'s name, `"TolokaNetworkError"`. */
  override name: string = "TolokaNetworkError";

  /**
   * Creates an error.
   *
   * @param message What went wrong.
   * @param cause The underlying error.
   */
  constructor(message: string, cause: unknown) {
    super(message, { cause });
  }
}

/**
 * A 2xx answer the library cannot use: a body that is not JSON or breaks the API's schema
 * (`path` names the field), or a listing page that breaks the paging contract (an empty page
 * with `has_more: true`, items out of order, a page that does not move past the last one, or
 * one that ends at an id with a lone UTF-16 surrogate, which no URL can carry to page past it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TolokaResponseError } from "@toloka-edge/attachments";
 *
 * const error = new TolokaResponseError("items[0].id: expected a string", { path: "items[0].id" });
 * assert.equal(error.path, "items[0].id");
 * ```
 */
export class TolokaResponseError extends TolokaError {
  /** The error\'s name, `"TolokaResponseError"`. */
  override name: string = "TolokaResponseError";
  /** The field that broke the schema, such as `items[3].created`, if the error is about one. */
  readonly path: string | undefined;

  /**
   * Creates an error.
   *
   * @param message What is wrong with the answer.
   * @param options The field `path` and the `cause`, if any.
   */
  constructor(message: string, options: { path?: string; cause?: unknown } = {}) {
    super(message, "cause" in options ? { cause: options.cause } : undefined);
    this.path = options.path;
  }
}

/**
 * A request was not sent because its {@linkcode RequestBudget} was spent: every request it
 * allowed (retries included) has been made. Nothing was sent for this one; the caller decides
 * whether to stop, or to continue later (in a new Worker invocation, with a new budget).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AttachmentsClient, RequestBudget, TolokaBudgetError } from "@toloka-edge/attachments";
 * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const emulator = new TolokaEmulator({ pools: [3] });
 * const budget = new RequestBudget({ limit: 1 });
 * const client = new AttachmentsClient({ token: "test-token", fetch: emulator.fetch, budget });
 * await client.findAttachments({ pool_id: "1" });
 * await assert.rejects(client.findAttachments({ pool_id: "1" }), TolokaBudgetError);
 * ```
 */
export class TolokaBudgetError extends TolokaError {
  /** The error\'s name, `"TolokaBudgetError"`. */
  override name: string = "TolokaBudgetError";
  /** The budget's limit: how many requests it allowed. */
  readonly limit: number;

  /**
   * Creates an error.
   *
   * @param limit How many requests the spent budget allowed.
   */
  constructor(limit: number) {
    super(
      `The request budget of ${limit} request${limit === 1 ? "" : "s"} is spent; nothing was sent`,
    );
    this.limit = limit;
  }
}
