/**
 * Pure retry maths: which answers are worth retrying, how long to wait, and `Retry-After`. Public,
 * so that a program retrying requests of its own (the CLI's downloads) retries like the client.
 *
 * @module
 */

/**
 * Statuses a retry can fix: timeouts, rate limits and server or gateway failures (408, 429, 500,
 * 502, 503, 504). Every other status is final: 400, 401, 403 and 404 will not change on retry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RETRYABLE_STATUSES } from "@toloka-edge/attachments";
 *
 * assert.ok(RETRYABLE_STATUSES.has(503));
 * assert.ok(!RETRYABLE_STATUSES.has(404));
 * ```
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Whether a retry can fix an answer with this HTTP status: one of {@linkcode RETRYABLE_STATUSES}.
 *
 * @param status An HTTP status.
 * @returns `true` for 408, 429, 500, 502, 503 and 504.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRetryableStatus } from "@toloka-edge/attachments";
 *
 * assert.equal(isRetryableStatus(429), true);
 * assert.equal(isRetryableStatus(401), false);
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/**
 * The parameters of the backoff, as the client's options of the same names give them.
 *
 * @example
 * ```ts
 * import type { BackoffOptions } from "@toloka-edge/attachments";
 *
 * const options: BackoffOptions = { retryDelayMs: 500, maxRetryDelayMs: 30_000, random: Math.random };
 * ```
 */
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
 * `min(maxRetryDelayMs, retryDelayMs * 2 ** retry)`, rounded to whole milliseconds. Half the
 * delay is kept so that clients hitting a rate limit together still slow down; the random half
 * spreads them apart.
 *
 * @param retry The retry about to be made, from 0.
 * @param options The base delay, the cap and the jitter source.
 * @returns The wait in milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoffDelay } from "@toloka-edge/attachments";
 *
 * const options = { retryDelayMs: 500, maxRetryDelayMs: 30_000, random: () => 0.5 };
 * assert.equal(backoffDelay(0, options), 375); // 250 + 250 * 0.5
 * assert.equal(backoffDelay(2, options), 1500); // 1000 + 1000 * 0.5
 * assert.equal(backoffDelay(10, options), 22_500); // capped at 30 s: 15 s + 15 s * 0.5
 * ```
 */
export function backoffDelay(retry: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxRetryDelayMs, options.retryDelayMs * 2 ** retry);
  const random = Math.min(Math.max(options.random(), 0), 1);
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/**
 * Reads a `Retry-After` header: delay-seconds (`"120"`) or an HTTP date, as milliseconds from
 * `nowMs`. A date in the past gives 0.
 *
 * @param value The header's value (`headers.get("retry-after")`).
 * @param nowMs The current time, as `Date.now()` gives it.
 * @returns The wait in milliseconds; `undefined` for no header or an unreadable one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRetryAfter } from "@toloka-edge/attachments";
 *
 * assert.equal(parseRetryAfter("2", 0), 2000);
 * const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
 * assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now), 30_000);
 * assert.equal(parseRetryAfter("soon", now), undefined);
 * ```
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
 * is honoured exactly; without one the backoff applies ({@linkcode backoffDelay}).
 *
 * @param retry The retry about to be made, from 0.
 * @param retryAfterMs What the answer's `Retry-After` asked for ({@linkcode parseRetryAfter}).
 * @param options The base delay, the cap and the jitter source.
 * @returns The wait in milliseconds, or `undefined` for "give up".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { retryDelay } from "@toloka-edge/attachments";
 *
 * const options = { retryDelayMs: 500, maxRetryDelayMs: 30_000, random: () => 1 };
 * assert.equal(retryDelay(0, undefined, options), 500);
 * assert.equal(retryDelay(0, 2000, options), 2000);
 * assert.equal(retryDelay(0, 60_000, options), undefined);
 * ```
 */
export function retryDelay(
  retry: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions,
): number | undefined {
  if (retryAfterMs === undefined) return backoffDelay(retry, options);
  return retryAfterMs <= options.maxRetryDelayMs ? retryAfterMs : undefined;
}
