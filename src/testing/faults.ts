/**
 * Fault injection: which fault (if any) the next request gets, from the script first, then from
 * a seeded random rate; and the replies of the faults that replace an answer.
 */

import { errorReply, gatewayPage } from "./errors.ts";
import { Prng, seedOf } from "./prng.ts";
import type { Reply } from "./reply.ts";
import type { FaultKind, FaultOptions } from "./types.ts";

/**
 * Every fault kind, in the order {@linkcode FaultKind} lists them: a script of all of them makes
 * sure a run sees each kind at least once.
 *
 * @example
 * ```ts
 * import { FAULT_KINDS, TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const emulator = new TolokaEmulator({ pools: [1], faults: { script: [...FAULT_KINDS] } });
 * if (FAULT_KINDS.length !== 7 || !FAULT_KINDS.includes("reset")) throw new Error("unexpected");
 * emulator.setFaults(undefined);
 * ```
 */
export const FAULT_KINDS: readonly FaultKind[] = [
  "429",
  "500",
  "502",
  "503",
  "reset",
  "truncated",
  "delay",
];

const DEFAULT_RETRY_AFTER_SECONDS = 1;
const DEFAULT_DELAY_MS = 60_000;

function checkKind(kind: unknown, field: string): FaultKind {
  if (!FAULT_KINDS.includes(kind as FaultKind)) {
    throw new TypeError(
      `${field} must be one of ${FAULT_KINDS.join(", ")}: current value is ${JSON.stringify(kind)}`,
    );
  }
  return kind as FaultKind;
}

function checkNonNegative(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${field} must be a finite number >= 0: current value is ${value}`);
  }
  return value;
}

/** Decides the fault of each request; validates its options up front. */
export class FaultInjector {
  /** `Retry-After` of a 429, in seconds. */
  readonly retryAfterSeconds: number;
  /** Stall of a `"delay"`, in milliseconds. */
  readonly delayMs: number;
  readonly #rate: number;
  readonly #kinds: readonly FaultKind[];
  readonly #script: readonly (FaultKind | null)[];
  #scriptAt = 0;
  readonly #prng: Prng;

  /** Throws `TypeError`/`RangeError` naming the bad field. */
  constructor(options: FaultOptions = {}) {
    const rate = options.rate ?? 0;
    if (!(rate >= 0 && rate <= 1)) {
      throw new RangeError(`faults.rate must be between 0 and 1: current value is ${rate}`);
    }
    this.#rate = rate;
    this.#kinds = (options.kinds ?? FAULT_KINDS).map((kind, i) =>
      checkKind(kind, `faults.kinds[${i}]`)
    );
    if (rate > 0 && this.#kinds.length === 0) {
      throw new TypeError("faults.kinds must not be empty when faults.rate is above 0");
    }
    this.#script = (options.script ?? []).map((kind, i) =>
      kind === null ? null : checkKind(kind, `faults.script[${i}]`)
    );
    const retryAfter = options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
    if (!Number.isSafeInteger(retryAfter) || retryAfter < 0) {
      throw new RangeError(
        `faults.retryAfterSeconds must be an integer >= 0: current value is ${retryAfter}`,
      );
    }
    this.retryAfterSeconds = retryAfter;
    this.delayMs = checkNonNegative(options.delayMs ?? DEFAULT_DELAY_MS, "faults.delayMs");
    const seed = options.seed ?? 1;
    if (!Number.isFinite(seed)) {
      throw new TypeError(`faults.seed must be a finite number: current value is ${seed}`);
    }
    this.#prng = new Prng(seedOf(seed), 5);
  }

  /** The fault of the next request: the next script entry, else a draw against the rate. */
  next(): FaultKind | null {
    if (this.#scriptAt < this.#script.length) {
      return this.#script[this.#scriptAt++] as FaultKind | null;
    }
    if (this.#rate === 0 || this.#prng.next() >= this.#rate) return null;
    return this.#prng.pick(this.#kinds);
  }

  /** The reply of a fault that replaces the answer (`"429"`, `"500"`, `"502"`, `"503"`). */
  reply(kind: "429" | "500" | "502" | "503"): Reply {
    switch (kind) {
      case "429":
        return errorReply(429, "TOO_MANY_REQUESTS", "Too many requests", null, {
          "retry-after": String(this.retryAfterSeconds),
        });
      case "500":
        return errorReply(500, "INTERNAL_ERROR", "Internal server error");
      case "502":
        return gatewayPage(502);
      case "503":
        return gatewayPage(503);
    }
  }
}
