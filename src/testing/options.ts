/**
 * Checking {@linkcode EmulatorOptions} up front: each bad field throws a `TypeError` or
 * `RangeError` that names it and its current value. Hand-made attachments are copied and frozen.
 */

import { delay } from "../abort.ts";
import { describeValue } from "../describe_value.ts";
import { isPlainObject } from "../plain_object.ts";
import { parseCreated } from "./created.ts";
import { type Dataset, deepFreeze, generateDataset } from "./dataset.ts";
import type { EmulatorOptions, WireAttachment } from "./types.ts";

/** Pool sizes when none are given: pool "1" large enough for the fixtures, then smaller ones. */
export const DEFAULT_POOLS: readonly number[] = [600, 250, 100, 40, 10, 3, 1, 0];
/** Tokens accepted when none are given. */
export const DEFAULT_TOKENS: readonly string[] = ["test-token"];
/** Default upper bound of generated non-image file sizes. */
export const DEFAULT_MAX_FILE_SIZE = 16 * 1024;
/** Default number of request log entries kept. */
export const DEFAULT_REQUEST_LOG_LIMIT = 100_000;

/** A non-negative finite number, or a `RangeError` naming the field. */
export function checkMilliseconds(value: number, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${field} must be a finite number >= 0: current value is ${value}`);
  }
  return value;
}

/** A non-negative safe integer, or a `RangeError` naming the field. */
export function checkCount(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${field} must be an integer >= 0: current value is ${value}`);
  }
  return value;
}

/** The emulator's wait: the injected `sleep`, else the core's abortable delay. */
export function checkSleep(
  sleep: EmulatorOptions["sleep"],
): (ms: number, signal: AbortSignal) => Promise<void> {
  if (sleep === undefined) return delay;
  if (typeof sleep !== "function") {
    throw new TypeError(`sleep must be a function: current value is ${describeValue(sleep)}`);
  }
  return sleep;
}

/** The accepted tokens. */
export function checkTokens(tokens: readonly string[] = DEFAULT_TOKENS): Set<string> {
  tokens.forEach((token, i) => {
    if (typeof token !== "string" || token === "") {
      throw new TypeError(
        `tokens[${i}] must be a non-empty string: current value is ${JSON.stringify(token)}`,
      );
    }
  });
  return new Set(tokens);
}

/** The data set: the given attachments, else generated from the seed and pool sizes. */
export function buildDataset(options: EmulatorOptions, seed: number): Dataset {
  if (options.attachments !== undefined) return customDataset(options.attachments);
  const pools = options.pools ?? DEFAULT_POOLS;
  pools.forEach((size, i) => checkCount(size, `pools[${i}]`));
  return generateDataset(seed, pools);
}

function fail(field: string, expected: string, value: unknown): never {
  throw new TypeError(`${field} must be ${expected}: current value is ${JSON.stringify(value)}`);
}

function checkString(value: unknown, field: string): void {
  if (typeof value !== "string") fail(field, "a string", value);
}

function customDataset(attachments: readonly WireAttachment[]): Dataset {
  const sec = new Float64Array(attachments.length);
  const micro = new Int32Array(attachments.length);
  const copies = attachments.map((original, i) => {
    const field = `attachments[${i}]`;
    if (!isPlainObject(original)) fail(field, "an object", original);
    const item = structuredClone(original);
    for (const key of ["id", "attachment_type", "name", "media_type"] as const) {
      checkString(item[key], `${field}.${key}`);
    }
    if (!isPlainObject(item.details)) fail(`${field}.details`, "an object", item.details);
    for (const key of ["user_id", "assignment_id", "pool_id"] as const) {
      checkString(item.details[key], `${field}.details.${key}`);
    }
    if (item.owner !== undefined) {
      if (!isPlainObject(item.owner)) fail(`${field}.owner`, "an object", item.owner);
      checkString(item.owner.id, `${field}.owner.id`);
      if (typeof item.owner.myself !== "boolean") {
        fail(`${field}.owner.myself`, "a boolean", item.owner.myself);
      }
      if (item.owner.company_id !== undefined) {
        checkString(item.owner.company_id, `${field}.owner.company_id`);
      }
    }
    const instant = parseCreated(item.created);
    if (instant === undefined) {
      fail(`${field}.created`, "YYYY-MM-DDTHH:mm:ss with 0 to 6 fraction digits", item.created);
    }
    sec[i] = instant.sec;
    micro[i] = instant.micro;
    return deepFreeze(item);
  });
  return { attachments: copies, sec, micro, sizes: new Map() };
}
