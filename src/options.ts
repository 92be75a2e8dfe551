/**
 * Checking the options of this library: those of {@linkcode AttachmentsClient}, of its methods
 * and of {@linkcode RequestBudget}, and attachment ids. Each check returns the value (or its
 * default) or throws an {@linkcode ArgumentTypeError} / {@linkcode ArgumentRangeError} whose
 * message names the option and its current value, so a call with bad arguments fails before any
 * request is sent. Filters are checked in `query.ts`.
 *
 * @module
 */

import { ArgumentRangeError, ArgumentTypeError } from "./argument_errors.ts";
import { RequestBudget } from "./budget.ts";
import { decodeCursor } from "./cursor_token.ts";
import { mustBe } from "./describe_value.ts";
import { ENVIRONMENTS } from "./environments.ts";
import { type Cursor, START } from "./pagination.ts";
import { isPlainObject } from "./plain_object.ts";
import type { Environment } from "./types.ts";
import { type Order, ORDERS } from "./wire.ts";

/** The page size limit of the API. */
const MAX_LIMIT = 100;

/** The most lanes a parallel scan may use. */
const MAX_CONCURRENCY = 16;

/** The longest `setTimeout` there is (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function option(name: string): string {
  return `Option "${name}"`;
}

/** Checks an options argument: `undefined` or an object (returned as an object). */
function validateOptions(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    throw new ArgumentTypeError("options", mustBe("The options", "an object", value));
  }
  return value;
}

/** Checks the `signal` option. */
function validateSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw new ArgumentTypeError("signal", mustBe(option("signal"), "an AbortSignal", value));
}

/** Checks a boolean option. */
function validateBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new ArgumentTypeError(name, mustBe(option(name), "a boolean", value));
  }
  return value;
}

/** Checks `limit`/`batchSize`: an integer from 1 to {@linkcode MAX_LIMIT}. */
export function validatePageSize(name: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new ArgumentTypeError(name, mustBe(option(name), "a number", value));
  }
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw new ArgumentRangeError(
      name,
      mustBe(option(name), `an integer from 1 to ${MAX_LIMIT}`, value),
    );
  }
  return value;
}

/** Checks one key of `sort` (`label` is how the message names it, such as `sort[1]`). */
function validateSortKey(field: string, label: string, value: unknown): Order {
  if (typeof value !== "string") {
    throw new ArgumentTypeError(field, mustBe(option(label), "a string", value));
  }
  if (!(ORDERS as readonly string[]).includes(value)) {
    throw new ArgumentRangeError(
      field,
      mustBe(option(label), `one of ${ORDERS.map((k) => `"${k}"`).join(", ")}`, value),
    );
  }
  return value as Order;
}

/** Checks `sort` (a key or a non-empty array of keys, each field once); returns it comma-joined. */
export function validateSort(value: unknown): string {
  if (!Array.isArray(value)) return validateSortKey("sort", "sort", value);
  if (value.length === 0) {
    throw new ArgumentRangeError(
      "sort",
      mustBe(option("sort"), "a sort key or a non-empty array of them", value),
    );
  }
  const keys = value.map((key, index) => validateSortKey("sort", `sort[${index}]`, key));
  const fields = keys.map((key) => key.replace(/^-/, ""));
  if (new Set(fields).size !== fields.length) {
    throw new ArgumentRangeError(
      "sort",
      mustBe(option("sort"), "an array naming each field once", value),
    );
  }
  return keys.join(",");
}

/** Checks the iteration `order`. */
export function validateOrder(value: unknown): Order {
  return validateSortKey("order", "order", value);
}

/** Checks `concurrency`: an integer from 1 to {@linkcode MAX_CONCURRENCY}. */
function validateConcurrency(value: unknown): number {
  if (typeof value !== "number") {
    throw new ArgumentTypeError("concurrency", mustBe(option("concurrency"), "a number", value));
  }
  if (!Number.isInteger(value) || value < 1 || value > MAX_CONCURRENCY) {
    throw new ArgumentRangeError(
      "concurrency",
      mustBe(option("concurrency"), `an integer from 1 to ${MAX_CONCURRENCY}`, value),
    );
  }
  return value;
}

/** Checks an integer option of at least `min` (the options of a `RequestBudget`). */
export function validateInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== "number") {
    throw new ArgumentTypeError(name, mustBe(option(name), "a number", value));
  }
  if (!Number.isInteger(value) || value < min) {
    throw new ArgumentRangeError(
      name,
      mustBe(option(name), `an integer of at least ${min}`, value),
    );
  }
  return value;
}

/**
 * Checks an attachment id for a path segment: a non-empty string other than `.` and `..`
 * (which URLs would resolve as "this folder" and "the parent folder", even percent-encoded).
 */
export function validateId(id: unknown): string {
  const subject = 'The attachment "id"';
  if (typeof id !== "string") throw new ArgumentTypeError("id", mustBe(subject, "a string", id));
  if (id === "" || id === "." || id === "..") {
    throw new ArgumentRangeError(
      "id",
      mustBe(subject, 'a non-empty string other than "." and ".."', id),
    );
  }
  return id;
}

// Printable ASCII only: anything else could not travel in a header, and the header's own error
// message would quote the token.
const HEADER_SAFE = /^[\x21-\x7e]+(?: +[\x21-\x7e]+)*$/;

/**
 * Checks the client's `token` option; returns it trimmed. The message never shows the value of a
 * non-empty token.
 */
function validateToken(token: unknown): string {
  if (typeof token !== "string") {
    throw new ArgumentTypeError(
      "token",
      `Option "token" must be a string: current value is of type ${
        token === null ? "null" : typeof token
      }`,
    );
  }
  const trimmed = token.trim();
  if (trimmed === "") {
    throw new ArgumentTypeError(
      "token",
      `Option "token" must be a non-empty string: current value is ""`,
    );
  }
  if (!HEADER_SAFE.test(trimmed)) {
    throw new ArgumentTypeError(
      "token",
      `Option "token" must hold printable ASCII characters only: current value has ${trimmed.length} characters (not shown)`,
    );
  }
  return trimmed;
}

/** The API root for the client's `environment` and `baseUrl` options, validated. */
function resolveBaseUrl(environment: unknown, baseUrl: unknown): string {
  if (baseUrl !== undefined) {
    const bad = (expectation: string): ArgumentTypeError =>
      new ArgumentTypeError("baseUrl", mustBe(option("baseUrl"), expectation, baseUrl));
    if (typeof baseUrl !== "string") throw bad("a string");
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw bad("an absolute http(s) URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw bad("an absolute http(s) URL");
    }
    if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
      throw bad("a URL without query, fragment or credentials");
    }
    return url.href.replace(/\/+$/, "");
  }
  if (environment === undefined) return ENVIRONMENTS.production;
  if (typeof environment === "string" && Object.hasOwn(ENVIRONMENTS, environment)) {
    return ENVIRONMENTS[environment as Environment];
  }
  throw new ArgumentTypeError(
    "environment",
    mustBe(option("environment"), '"production", "sandbox" or "yandex-tasks"', environment),
  );
}

function nonNegative(name: string, value: unknown, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new ArgumentTypeError(name, mustBe(option(name), "a number", value));
  }
  if (Number.isNaN(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new ArgumentRangeError(
      name,
      mustBe(option(name), integer ? "a non-negative integer" : "a non-negative number", value),
    );
  }
  return value;
}

function validateFunction<T>(name: string, value: unknown, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== "function") {
    throw new ArgumentTypeError(name, mustBe(option(name), "a function", value));
  }
  return value as T;
}

/** The options of a client, checked, with their defaults. */
export interface CheckedClientOptions {
  /** Trimmed. */
  readonly token: string;
  /** Without a trailing slash. */
  readonly baseUrl: string;
  readonly fetch: (request: Request) => Promise<Response>;
  readonly timeoutMs: number;
  readonly retries: number;
  /** At most the longest timer. */
  readonly retryDelayMs: number;
  /** At most the longest timer. */
  readonly maxRetryDelayMs: number;
  readonly random: () => number;
  readonly sleep: ((ms: number, signal: AbortSignal) => Promise<void>) | undefined;
  readonly budget: RequestBudget | undefined;
}

/** Checks the options of `new AttachmentsClient(...)`. */
export function checkClientOptions(options: unknown): CheckedClientOptions {
  const checked = validateOptions(options);
  const token = validateToken(checked.token);
  const baseUrl = resolveBaseUrl(checked.environment, checked.baseUrl);
  const fetch = validateFunction<(request: Request) => Promise<Response>>(
    "fetch",
    checked.fetch,
    (request) => globalThis.fetch(request),
  );
  const timeoutMs = nonNegative("timeoutMs", checked.timeoutMs, 10_000);
  if (timeoutMs === 0) {
    throw new ArgumentRangeError(
      "timeoutMs",
      mustBe(option("timeoutMs"), "a positive number", timeoutMs),
    );
  }
  const maxRetryDelayMs = nonNegative("maxRetryDelayMs", checked.maxRetryDelayMs, 30_000);
  const retries = nonNegative("retries", checked.retries, 3, true);
  const retryDelayMs = nonNegative("retryDelayMs", checked.retryDelayMs, 500);
  const random = validateFunction("random", checked.random, Math.random);
  const sleep = validateFunction<CheckedClientOptions["sleep"]>("sleep", checked.sleep, undefined);
  const budget = checked.budget;
  if (budget !== undefined && !(budget instanceof RequestBudget)) {
    throw new ArgumentTypeError("budget", mustBe(option("budget"), "a RequestBudget", budget));
  }
  return {
    token,
    baseUrl,
    fetch,
    timeoutMs,
    retries,
    retryDelayMs: Math.min(retryDelayMs, MAX_TIMER_MS),
    maxRetryDelayMs: Math.min(maxRetryDelayMs, MAX_TIMER_MS),
    random,
    sleep,
    budget,
  };
}

/** Checks the options of a single request: `signal`. */
export function checkRequestOptions(options: unknown): AbortSignal | undefined {
  return validateSignal(validateOptions(options).signal);
}

/** The options of `findAttachments`, checked: `sort` comma-joined. */
export interface CheckedFindOptions {
  readonly sort: string | undefined;
  readonly limit: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/** Checks the options of `findAttachments`. */
export function checkFindOptions(options: unknown): CheckedFindOptions {
  const checked = validateOptions(options);
  const sort = checked.sort === undefined ? undefined : validateSort(checked.sort);
  const limit = checked.limit === undefined ? undefined : validatePageSize("limit", checked.limit);
  return { sort, limit, signal: validateSignal(checked.signal) };
}

/** The options of an iteration, checked, with their defaults; `start` from `cursor`. */
export interface CheckedIterateOptions {
  readonly order: Order;
  readonly batchSize: number;
  readonly prefetch: boolean;
  readonly concurrency: number;
  readonly start: Cursor;
  readonly signal: AbortSignal | undefined;
}

/** Checks the options of `getAttachments` and `getAttachmentPages`. */
export function checkIterateOptions(options: unknown): CheckedIterateOptions {
  const checked = validateOptions(options);
  const order = checked.order === undefined ? "id" : validateOrder(checked.order);
  const batchSize = checked.batchSize === undefined
    ? 100
    : validatePageSize("batchSize", checked.batchSize);
  const prefetch = checked.prefetch === undefined
    ? true
    : validateBoolean("prefetch", checked.prefetch);
  const concurrency = checked.concurrency === undefined
    ? 1
    : validateConcurrency(checked.concurrency);
  if (concurrency > 1 && !prefetch) {
    throw new ArgumentRangeError(
      "prefetch",
      'Option "prefetch" cannot be false when "concurrency" is above 1 (lanes always read ahead): current value is false',
    );
  }
  const start = checked.cursor === undefined
    ? START
    : decodeCursor("cursor", order, checked.cursor);
  if (checked.cursor !== undefined && concurrency > 1) {
    throw new ArgumentRangeError(
      "cursor",
      `Option "cursor" cannot be combined with "concurrency" above 1: current value of "concurrency" is ${concurrency}`,
    );
  }
  return { order, batchSize, prefetch, concurrency, start, signal: validateSignal(checked.signal) };
}
