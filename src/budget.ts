/**
 * {@linkcode RequestBudget}: a cap on how many requests a client may send, and on how many may be
 * open at once. A Cloudflare Worker needs both: a deployed invocation may make only so many
 * subrequests (50 on the Free plan, retries included) and hold at most 6 connections open.
 *
 * @module
 */

import { ArgumentTypeError } from "./argument_errors.ts";
import { mustBe } from "./describe_value.ts";
import { validateInteger } from "./options.ts";
import { TolokaBudgetError } from "./errors.ts";

/**
 * Options of a {@linkcode RequestBudget}.
 *
 * @example
 * ```ts
 * import type { RequestBudgetOptions } from "@toloka-edge/attachments";
 *
 * const options: RequestBudgetOptions = { limit: 45, concurrency: 6 };
 * ```
 */
export interface RequestBudgetOptions {
  /** How many requests may be sent in all, every retry counted: a non-negative integer. */
  limit: number;
  /**
   * How many requests may be open at once (from sending until the response body is read or
   * cancelled): an integer of at least 1.
   *
   * @default {6}
   */
  concurrency?: number;
}

/**
 * A budget of requests, shared by every client (and every call) it is given to: each attempt a
 * client sends, retries included, takes one request from it, and holds one of its `concurrency`
 * connection slots until the response's body is read (a download's until its stream ends or is
 * cancelled). When no request is left, a call rejects with {@linkcode TolokaBudgetError} before
 * sending anything; a retry the budget cannot pay for is not made, and the failure it would have
 * retried is thrown instead.
 *
 * @example Stay inside a Worker's subrequest limit
 * ```ts
 * import assert from "node:assert/strict";
 * import { AttachmentsClient, RequestBudget } from "@toloka-edge/attachments";
 * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const emulator = new TolokaEmulator({ pools: [250] });
 * const budget = new RequestBudget({ limit: 45, concurrency: 6 });
 * const client = new AttachmentsClient({ token: "test-token", fetch: emulator.fetch, budget });
 *
 * let count = 0;
 * for await (const _ of client.getAttachments({ pool_id: "1" })) count++;
 * assert.equal(count, 250);
 * assert.equal(budget.used, 3);
 * assert.equal(budget.remaining, 42);
 * ```
 */
export class RequestBudget {
  /** How many requests it allows in all. */
  readonly limit: number;
  /** How many requests may be open at once. */
  readonly concurrency: number;
  #used = 0;
  #open = 0;
  #peak = 0;
  readonly #waiting: (() => void)[] = [];

  /**
   * Creates a budget.
   *
   * @param options `limit` and `concurrency`.
   * @throws {TypeError} When an option is not a number.
   * @throws {RangeError} When `limit` is not a non-negative integer or `concurrency` not a
   * positive integer.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { RequestBudget } from "@toloka-edge/attachments";
   *
   * assert.equal(new RequestBudget({ limit: 10 }).concurrency, 6);
   * ```
   */
  constructor(options: RequestBudgetOptions) {
    if (typeof options !== "object" || options === null) {
      throw new ArgumentTypeError("options", mustBe("Options", "an object", options));
    }
    this.limit = validateInteger("limit", options.limit, 0);
    this.concurrency = options.concurrency === undefined
      ? 6
      : validateInteger("concurrency", options.concurrency, 1);
  }

  /**
   * Requests taken so far (sent, or waiting for a connection slot).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { RequestBudget } from "@toloka-edge/attachments";
   *
   * assert.equal(new RequestBudget({ limit: 10 }).used, 0);
   * ```
   */
  get used(): number {
    return this.#used;
  }

  /**
   * Requests left.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { RequestBudget } from "@toloka-edge/attachments";
   *
   * assert.equal(new RequestBudget({ limit: 10 }).remaining, 10);
   * ```
   */
  get remaining(): number {
    return this.limit - this.#used;
  }

  /**
   * The most requests that were open at once so far.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { RequestBudget } from "@toloka-edge/attachments";
   *
   * assert.equal(new RequestBudget({ limit: 10 }).peakOpen, 0);
   * ```
   */
  get peakOpen(): number {
    return this.#peak;
  }

  /**
   * Takes one request and waits for a connection slot. The client calls it before each attempt;
   * call it yourself only for requests you send outside a client.
   *
   * @param signal Stops the wait for a slot (the request is then given back).
   * @returns A function that gives the slot back (the request stays spent); call it when the
   * response's body is read or cancelled.
   * @throws {TolokaBudgetError} When no request is left.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { RequestBudget, TolokaBudgetError } from "@toloka-edge/attachments";
   *
   * const budget = new RequestBudget({ limit: 1 });
   * const release = await budget.take();
   * release();
   * await assert.rejects(budget.take(), TolokaBudgetError);
   * ```
   */
  async take(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#used >= this.limit) throw new TolokaBudgetError(this.limit);
    this.#used++;
    try {
      while (this.#open >= this.concurrency) await this.#turn(signal);
    } catch (error) {
      this.#used--;
      throw error;
    }
    this.#open++;
    this.#peak = Math.max(this.#peak, this.#open);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#open--;
      this.#waiting.shift()?.();
    };
  }

  /** Resolves when a slot may be free; rejects with the signal's reason when it aborts. */
  #turn(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const index = this.#waiting.indexOf(wake);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal?.reason);
      };
      this.#waiting.push(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/**
 * The response with its body wrapped so that `release` runs when the body ends, fails or is
 * cancelled: a streamed download holds its connection until then.
 */
export function releaseWithBody(response: Response, release: () => void): Response {
  const source = response.body;
  if (source === null) {
    release();
    return response;
  }
  const reader = source.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      try {
        const { done, value } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        release();
        controller.error(error);
      }
    },
    cancel(reason): Promise<void> {
      release();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
