/**
 * Rate limits seen by `download`: who limited the run (the Toloka API, or an edge Worker named by
 * `--base-url`), and a gate that holds every transfer until the `Retry-After` has passed, so a
 * limited run waits, shows the wait, and then finishes instead of failing its files.
 *
 * The client waits out a short `Retry-After` itself; {@linkcode CLI_MAX_RETRY_DELAY_MS} hands a
 * longer one (an edge Worker asks for 60 s) to the gate, which waits with a visible countdown on
 * an injected clock.
 *
 * @module
 */

import { ENVIRONMENTS, parseRetryAfter, TolokaApiError } from "../mod.ts";

/**
 * The longest `Retry-After` (and backoff) the CLI's client waits out inside one request; a
 * longer one comes back to the command, which waits it out in the open.
 */
export const CLI_MAX_RETRY_DELAY_MS = 10_000;

/** The longest `Retry-After` the command honours; a server asking for more has failed the file. */
export const MAX_RATE_LIMIT_WAIT_MS = 15 * 60_000;

/** Waits for a rate limit one file (or the listing) may sit through before it counts as failed. */
export const MAX_RATE_LIMIT_WAITS = 20;

/** Whether `baseUrl` is one of Toloka's own installations. */
export function isTolokaApi(baseUrl: string): boolean {
  const origin = originOf(baseUrl);
  return Object.values(ENVIRONMENTS).some((root) => originOf(root) === origin);
}

/** `"the Toloka API"`, or `"the server at <host>"` for any other API root. */
export function serviceName(baseUrl: string | undefined): string {
  return baseUrl === undefined || isTolokaApi(baseUrl)
    ? "the Toloka API"
    : `the server at ${hostOf(baseUrl)}`;
}

/**
 * Who answered 429, from the API root and the answer's message: Toloka itself, Toloka behind an
 * edge Worker (the Worker says "upstream"), or the edge Worker's own limit for the API key.
 *
 * @param baseUrl The API root the client talks to.
 * @param message The message of the 429 answer.
 */
export function rateLimiterName(baseUrl: string | undefined, message: string): string {
  if (baseUrl === undefined || isTolokaApi(baseUrl)) return "the Toloka API";
  const host = hostOf(baseUrl);
  if (/upstream/i.test(message)) return `the Toloka API, behind the edge at ${host}`;
  if (/this API key/i.test(message)) {
    return `the edge Worker at ${host} (its limit for this API key)`;
  }
  return `the server at ${host}`;
}

/** The wait a 429 error asks for, or undefined when it is not one or names no wait. */
export function rateLimitWaitOf(error: unknown): number | undefined {
  if (!(error instanceof TolokaApiError) || error.status !== 429) return undefined;
  return error.retryAfterMs;
}

/** Holds transfers until a rate limit's `Retry-After` has passed. */
export class RateLimitGate {
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  #until = -Infinity;
  #who = "";
  /** Called when a 429 seen by {@linkcode RateLimitGate.watch} starts a wait. */
  onWait: ((ms: number, who: string) => void) | undefined;

  /**
   * @param now The clock, in milliseconds.
   * @param sleep An abortable wait.
   */
  constructor(now: () => number, sleep: (ms: number, signal: AbortSignal) => Promise<void>) {
    this.#now = now;
    this.#sleep = sleep;
  }

  /**
   * Closes the gate for `ms` from now (or keeps it closed longer if it already is).
   *
   * @returns Whether this starts a wait (the gate was open).
   */
  note(ms: number, who: string): boolean {
    const now = this.#now();
    const opening = this.#until <= now;
    const until = now + Math.min(Math.max(ms, 0), MAX_RATE_LIMIT_WAIT_MS);
    if (until > this.#until) {
      this.#until = until;
      this.#who = who;
    }
    return opening && until > now;
  }

  /**
   * Closes the gate for `error` if it is a rate limit worth waiting out: a 429 with a
   * `Retry-After` of at most {@linkcode MAX_RATE_LIMIT_WAIT_MS}, met fewer than
   * {@linkcode MAX_RATE_LIMIT_WAITS} times by the same file (or the listing).
   *
   * @param waitsSoFar Waits the file (or the listing) has sat through already.
   * @param baseUrl The API root, to name who limited the run.
   * @returns Whether to wait and try again.
   */
  closeFor(error: unknown, waitsSoFar: number, baseUrl: string): boolean {
    const wait = rateLimitWaitOf(error);
    if (
      wait === undefined || wait > MAX_RATE_LIMIT_WAIT_MS || waitsSoFar >= MAX_RATE_LIMIT_WAITS
    ) {
      return false;
    }
    const who = rateLimiterName(baseUrl, (error as Error).message);
    if (this.note(wait, who)) this.onWait?.(this.remainingMs(), who);
    return true;
  }

  /** Milliseconds until the gate opens (0 when open). */
  remainingMs(): number {
    return Math.max(0, this.#until - this.#now());
  }

  /** Who closed the gate last. */
  get who(): string {
    return this.#who;
  }

  /** Waits until the gate is open, a second at a time, calling `onTick` before each second. */
  async wait(signal: AbortSignal, onTick: () => void): Promise<void> {
    for (;;) {
      const left = this.remainingMs();
      if (left <= 0) return;
      onTick();
      await this.#sleep(Math.min(left, 1000), signal);
    }
  }

  /**
   * A `fetch` that closes the gate on every 429 with a `Retry-After`, also those the client then
   * retries by itself, so the wait shows and other transfers hold back meanwhile.
   */
  watch(
    fetch: (request: Request) => Promise<Response>,
  ): (request: Request) => Promise<Response> {
    return async (request) => {
      const response = await fetch(request);
      if (response.status !== 429) return response;
      const ms = parseRetryAfter(response.headers.get("retry-after"), this.#now());
      if (ms === undefined) return response;
      const message = await response.clone().text().catch(() => "");
      const who = rateLimiterName(request.url, message);
      if (this.note(ms, who)) this.onWait?.(this.remainingMs(), who);
      return response;
    };
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
