/**
 * The one place that calls `fetch`: builds each attempt's `Request`, applies the per-attempt
 * timeout and the caller's signal, turns failures into the {@linkcode TolokaError} family, and
 * retries what a retry can fix.
 *
 * - One `Request` object per attempt, so an in-process `(Request) => Promise<Response>` handler
 *   works as `fetch`; the signal travels on the request.
 * - Retried: 408, 429, 500, 502, 503, 504, network errors, timeouts, and 2xx JSON bodies that are
 *   truncated or unparseable. Not retried: 400, 401, 403, 404 and other statuses, and bodies that
 *   parse but break the schema (checked later, by the caller).
 * - `Retry-After` is honoured; otherwise capped exponential backoff with jitter. The waits go
 *   through the client's `sleep`.
 * - Aborting the caller's signal rejects at once with the signal's reason, during a request, while
 *   reading its body, or during a wait between attempts.
 * - The token never reaches an error: messages and payloads are scrubbed of it.
 *
 * @module
 */

import { follow, raceAbort } from "./abort.ts";
import { releaseWithBody, type RequestBudget } from "./budget.ts";
import { redact, redactDeep } from "./auth.ts";
import { isPlainObject } from "./plain_object.ts";
import { type BackoffOptions, parseRetryAfter, RETRYABLE_STATUSES, retryDelay } from "./backoff.ts";
import {
  TolokaApiError,
  TolokaBudgetError,
  type TolokaError,
  TolokaNetworkError,
  TolokaResponseError,
  TolokaTimeoutError,
} from "./errors.ts";

/** Everything the transport needs, fixed per client. */
export interface TransportConfig {
  /** The API root without a trailing slash. */
  baseUrl: string;
  /** The `Authorization` header value. */
  authorization: string;
  /** The token's secret part, scrubbed from every error. */
  secret: string;
  /** Sends one request. */
  fetch: (request: Request) => Promise<Response>;
  /** The time limit of one attempt in milliseconds (`Infinity`: none). */
  timeoutMs: number;
  /** Retries after the first attempt. */
  retries: number;
  /** The backoff between attempts. */
  backoff: BackoffOptions;
  /** The clock for `Retry-After` dates. */
  now: () => number;
  /** Waits between attempts; resolves after `ms`, or rejects when `signal` aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Every attempt takes a request (and a connection slot) from it, when given. */
  budget?: RequestBudget | undefined;
}

/**
 * Reads a successful response; throws {@linkcode UnreadableBody} when a retry may help. A reader
 * of a streamed response gets the budget's `release`, to call when the body ends.
 */
type ReadBody<T> = (
  response: Response,
  signal: AbortSignal,
  release: (() => void) | undefined,
) => Promise<T>;

/** A 2xx body that could not be read as JSON: worth another attempt. */
class UnreadableBody extends Error {}

type Attempt<T> =
  | { ok: true; value: T }
  | { ok: false; error: TolokaError; retryable: boolean; retryAfterMs?: number | undefined };

const STATUS_CODES: Readonly<Record<number, string>> = {
  400: "VALIDATION_ERROR",
  401: "AUTHENTICATION_ERROR",
  403: "ACCESS_DENIED",
  404: "DOES_NOT_EXIST",
  409: "CONFLICT_STATE",
  429: "TOO_MANY_REQUESTS",
  500: "INTERNAL_ERROR",
  503: "REMOTE_SERVICE_UNAVAILABLE",
};

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A short readable excerpt of a non-JSON error body: tags dropped, whitespace collapsed. */
function excerpt(text: string): string {
  const plain = text.replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ").replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ").trim();
  return plain.length > 200 ? `${plain.slice(0, 200)}...` : plain;
}

function statusText(response: Response): string {
  return `${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
}

/** Builds the error for a non-2xx answer from its body: Toloka's JSON, a proxy's HTML, or nothing. */
async function readApiError(
  config: TransportConfig,
  response: Response,
  signal: AbortSignal,
): Promise<TolokaApiError> {
  let text = "";
  try {
    text = await raceAbort(response.text(), signal);
  } catch (error) {
    if (signal.aborted) throw error;
    // A body that breaks off still leaves a status worth reporting.
  }
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (isPlainObject(parsed)) body = parsed;
  } catch {
    // Not JSON: an HTML page from a gateway, or an empty body.
  }
  const status = response.status;
  const code = typeof body?.code === "string" && body.code !== ""
    ? body.code
    : STATUS_CODES[status] ?? `HTTP_${status}`;
  let message: string;
  if (typeof body?.message === "string" && body.message !== "") {
    message = body.message;
  } else if (body !== undefined) {
    message = `The Toloka API answered ${statusText(response)}`;
  } else if (text.trim() === "") {
    message = `The Toloka API answered ${statusText(response)} with an empty body`;
  } else {
    message = `The Toloka API answered ${statusText(response)} with a non-JSON body: ${
      excerpt(text)
    }`;
  }
  const requestId = typeof body?.request_id === "string"
    ? body.request_id
    : response.headers.get("x-request-id") ?? undefined;
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), config.now());
  return new TolokaApiError({
    status,
    code: redact(code, config.secret),
    message: redact(message, config.secret),
    requestId: requestId === undefined ? undefined : redact(requestId, config.secret),
    payload: redactDeep(body?.payload ?? null, config.secret),
    retryAfterMs,
  });
}

/**
 * One attempt: a fresh `Request`, its own timeout, the caller's signal. With `streamed`, the
 * request keeps following the caller's signal after the attempt (its body is read later);
 * otherwise it stops following it once the body is read.
 */
async function attempt<T>(
  config: TransportConfig,
  url: string,
  accept: string,
  callerSignal: AbortSignal | undefined,
  read: ReadBody<T>,
  streamed: boolean,
  release: (() => void) | undefined,
): Promise<Attempt<T>> {
  const follower = follow(callerSignal);
  const signal = follower.controller.signal;
  let timedOut = false;
  const timer = Number.isFinite(config.timeoutMs)
    ? setTimeout(() => {
      timedOut = true;
      follower.controller.abort(new DOMException("The attempt timed out", "TimeoutError"));
    }, config.timeoutMs)
    : undefined;
  let succeeded = false;
  try {
    const request = new Request(url, {
      method: "GET",
      headers: { authorization: config.authorization, accept },
      signal,
    });
    let sent: Promise<Response>;
    try {
      sent = config.fetch(request);
    } catch (error) {
      sent = Promise.reject(error);
    }
    const response = await raceAbort(sent, signal);
    if (!response.ok) {
      const error = await readApiError(config, response, signal);
      return {
        ok: false,
        error,
        retryable: RETRYABLE_STATUSES.has(response.status),
        retryAfterMs: error.retryAfterMs,
      };
    }
    const value = await read(response, signal, release);
    succeeded = true;
    return { ok: true, value };
  } catch (error) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (timedOut) {
      return { ok: false, error: new TolokaTimeoutError(config.timeoutMs), retryable: true };
    }
    if (error instanceof UnreadableBody) {
      return {
        ok: false,
        error: new TolokaResponseError(redact(error.message, config.secret), {
          cause: error.cause,
        }),
        retryable: true,
      };
    }
    return {
      ok: false,
      error: new TolokaNetworkError(
        redact(`The Toloka API could not be reached: ${errorMessage(error)}`, config.secret),
        error,
      ),
      retryable: true,
    };
  } finally {
    clearTimeout(timer);
    if (!(streamed && succeeded)) {
      follower.unlink();
      release?.();
    }
  }
}

/** Sends a GET with retries; resolves with what `read` makes of the first 2xx answer. */
async function send<T>(
  config: TransportConfig,
  path: string,
  query: URLSearchParams | undefined,
  accept: string,
  signal: AbortSignal | undefined,
  read: ReadBody<T>,
  streamed = false,
): Promise<T> {
  const search = query?.toString() ?? "";
  const url = `${config.baseUrl}${path}${search === "" ? "" : `?${search}`}`;
  let failure: TolokaError | undefined;
  for (let retry = 0;; retry++) {
    signal?.throwIfAborted();
    let release: (() => void) | undefined;
    try {
      release = await config.budget?.take(signal);
    } catch (error) {
      // A retry the budget cannot pay for: the failure it would have retried says more.
      if (error instanceof TolokaBudgetError && failure !== undefined) throw failure;
      throw error;
    }
    const result = await attempt(config, url, accept, signal, read, streamed, release);
    if (result.ok) return result.value;
    failure = result.error;
    if (!result.retryable || retry >= config.retries) throw result.error;
    const wait = retryDelay(retry, result.retryAfterMs, config.backoff);
    if (wait === undefined) throw result.error;
    // A wait whose caller gave no signal gets one that never aborts (made here: Workers allow no
    // AbortController at module scope). Raced as well: an injected sleep might not listen to it.
    const waiting = config.sleep(wait, signal ?? new AbortController().signal);
    await (signal === undefined ? waiting : raceAbort(waiting, signal));
  }
}

async function readJson(response: Response, signal: AbortSignal): Promise<unknown> {
  // A connection that breaks mid-body rejects here: a network error, retried.
  const text = await raceAbort(response.text(), signal);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UnreadableBody(
      `The Toloka API answered ${
        statusText(response)
      } with a body that is not valid JSON (truncated?): ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

function keepResponse(
  response: Response,
  _signal: AbortSignal,
  release: (() => void) | undefined,
): Promise<Response> {
  return Promise.resolve(release === undefined ? response : releaseWithBody(response, release));
}

/** GETs a JSON document (with retries); the body is parsed, not yet checked. */
export function getJson(
  config: TransportConfig,
  path: string,
  query: URLSearchParams | undefined,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  return send(config, path, query, "application/json", signal, readJson);
}

/**
 * GETs a response to stream: resolves as soon as the headers of a 2xx answer arrive. Retries
 * happen only before that; the timeout covers only that part, the body is not read.
 */
export function getStream(
  config: TransportConfig,
  path: string,
  signal: AbortSignal | undefined,
): Promise<Response> {
  return send(config, path, undefined, "*/*", signal, keepResponse, true);
}
