/**
 * Abort-aware waiting: a promise raced against a signal, and an abortable delay.
 *
 * The client cannot count on `fetch` (or an in-process handler standing in for it) to notice an
 * abort promptly, so it races every wait against the signal itself.
 *
 * @module
 */

/**
 * Settles like `promise`, or rejects with `signal.reason` as soon as the signal aborts. The
 * promise left behind is kept from ever reporting an unhandled rejection.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** A controller that follows a parent signal until told to stop; see {@linkcode follow}. */
export interface Follower {
  /** Aborts with the parent's reason when the parent aborts, or when aborted itself. */
  readonly controller: AbortController;
  /** Stops following the parent (the controller can still be aborted directly). */
  unlink(): void;
}

/**
 * A controller that aborts when `parent` does, with its reason, until `unlink()` is called.
 *
 * `AbortSignal.any([parent, own])` would do the same, but a signal made that way stays tied to
 * its parent until the parent is collected: a request made from a long-lived signal (a whole
 * listing's) would keep a dependent signal alive for every request of the listing (measured in
 * Deno 2.9: about 0.9 KB each, 9 MB per 10,000 pages).
 */
export function follow(parent: AbortSignal | undefined): Follower {
  const controller = new AbortController();
  if (parent === undefined) return { controller, unlink: () => {} };
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, unlink: () => {} };
  }
  const onAbort = (): void => controller.abort(parent.reason);
  parent.addEventListener("abort", onAbort, { once: true });
  return { controller, unlink: () => parent.removeEventListener("abort", onAbort) };
}

/**
 * Waits `ms` milliseconds; rejects with `signal.reason` at once when the signal aborts (and its
 * timer is cleared). The client's default `sleep` between retries.
 *
 * @param ms How long to wait, in milliseconds.
 * @param signal Ends the wait early.
 * @returns A promise that resolves after `ms`.
 * @throws The signal's reason, when it aborts first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { delay } from "@toloka-edge/attachments";
 *
 * await delay(1);
 * const controller = new AbortController();
 * const waiting = delay(60_000, controller.signal);
 * controller.abort(new Error("stop"));
 * await assert.rejects(waiting, { message: "stop" });
 * ```
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Resolves after one turn of the event loop (a macrotask, not a microtask): the runtime then gets
 * to do its own I/O, such as writing out a request just made with `fetch`, which Deno and Node do
 * only between tasks. Uses a `MessageChannel` (a few microseconds; `setTimeout(0)` takes a
 * millisecond or more), and resolves at once where there is none.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel !== "function") return Promise.resolve();
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = (): void => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
    port2.close();
  });
}
