/**
 * Pure retry maths: which answers are worth retrying, how long to wait, and `Retry-After`.
 *
 * @module
 */

/** Statuses a retry can fix: timeouts, rate limits and server or gateway failures. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** The parameters of the backoff. */
export interface BackoffOptions {
  /** The base delay in milliseconds. */
  retryDelayMs: number;
  /** The cap on any delay in milliseconds. */
  maxRetryDelayMs: number;
  /** Jitter source returning numbers in `[0, 1)`. */
  random: () => number;
}

/**
 * The wait before retry number `retry` (0 for the first retry): capped exponential backoff with
 * "equal jitter", a uniformly random value between half and all of
 * `min(maxRetryDelayMs, retryDelayMs * 2 ** retry)`. Half the delay is kept so that clients
 * hitting a rate limit together still slow down; the random half spreads them apart.
 */
export function backoffDelay(retry: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxRetryDelayMs, options.retryDelayMs * 2 ** retry);
  const random = Math.min(Math.max(options.random(), 0), 1);
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/**
 * Reads a `Retry-After` header: delay-seconds (`"120"`) or an HTTP date, as milliseconds from
 * `nowMs`. A date in the past gives 0. Returns `undefined` for no header or an unreadable one.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date always names the weekday and the month in letters; this keeps Date.parse from
  // accepting strings such as "1.5".
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined;
  const time = Date.parse(text);
  if (Number.isNaN(time)) return undefined;
  return Math.max(0, time - nowMs);
}

/**
 * The wait before retry number `retry`, or `undefined` when not to retry because the server
 * asked for a longer wait (`retryAfterMs`) than `maxRetryDelayMs`. A `Retry-After` within the cap
 * is honoured exactly; without one the backoff applies.
 */
export function retryDelay(
  retry: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions,
): number | undefined {
  if (retryAfterMs === undefined) return backoffDelay(retry, options);
  return retryAfterMs <= options.maxRetryDelayMs ? retryAfterMs : undefined;
}
