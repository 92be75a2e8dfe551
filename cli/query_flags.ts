/**
 * The flags `list` and `download` share: the filters (one flag per filter field), `--order`,
 * `--max`, and where the API is (`--environment`, `--base-url`, `TOLOKA_TOKEN`). Turning them
 * into a filter is pure; {@linkcode clientFrom} builds the client.
 *
 * @module
 */

import {
  ArgumentRangeError,
  ArgumentTypeError,
  type AttachmentFilter,
  AttachmentsClient,
  type Environment,
  ENVIRONMENTS,
  FILTER_FIELDS,
  type FilterField,
  type Order,
  ORDERS,
  parseListQuery,
  type QueryIssue,
} from "../mod.ts";
import type { Context } from "./context.ts";
import {
  choiceFlag,
  type FlagSpec,
  type FlagValues,
  integerFlag,
  quote,
  stringFlag,
  UsageError,
} from "./flags.ts";

/**
 * Filter flags and the filter fields they set, in the order `--help` lists them: one flag per
 * field of the core's `FILTER_FIELDS`, spelt with dashes (`pool_id` is `--pool-id`).
 */
export const FILTER_FLAGS: Readonly<Record<string, FilterField>> = Object.fromEntries(
  FILTER_FIELDS.map((field) => [flagOf(field), field]),
);

/** The flag of a filter field, without `--`: `pool_id` is `pool-id`. */
function flagOf(field: string): string {
  return field.replaceAll("_", "-");
}

/** The environments `--environment` accepts. */
export const ENVIRONMENT_NAMES = Object.keys(ENVIRONMENTS) as Environment[];

/** Flags every API command takes. */
export const CONNECTION_FLAGS: FlagSpec = {
  environment: "string",
  "base-url": "string",
  help: "boolean",
};

/** Flags of the listing: the filters, `--order` and `--max`. */
export const QUERY_FLAGS: FlagSpec = {
  ...Object.fromEntries(Object.keys(FILTER_FLAGS).map((name) => [name, "string"])),
  order: "string",
  max: "string",
};

/**
 * The filter the flags describe, checked by the core's query parser (the same rules as the
 * Worker's query string: dates, and `--pool-id` or `--assignment-id`); an issue names its flag.
 *
 * @throws {UsageError} When neither `--pool-id` nor `--assignment-id` is given, a value is empty
 * or too long, or a date is not one.
 */
export function filterFrom(flags: FlagValues): AttachmentFilter {
  const params = new URLSearchParams();
  for (const [flag, field] of Object.entries(FILTER_FLAGS)) {
    const value = flags.get(flag);
    if (typeof value === "string") params.set(field, value);
  }
  const query = parseListQuery(params);
  if (query.ok) return query.filter;
  throw new UsageError(issueText(firstIssue(query.issues, params), params));
}

/** Whether `issue` is the pool-or-assignment rule, rather than a problem of a value given. */
function isEitherRule(issue: QueryIssue, params: URLSearchParams): boolean {
  return issue.code === "VALUE_REQUIRED" && !params.has(issue.field);
}

/**
 * The issue to report: that of the first flag in `--help`'s order, and the pool-or-assignment
 * rule only when every value given is fine.
 */
function firstIssue(issues: readonly QueryIssue[], params: URLSearchParams): QueryIssue {
  const rank = (issue: QueryIssue): number =>
    isEitherRule(issue, params)
      ? FILTER_FIELDS.length
      : (FILTER_FIELDS as readonly string[]).indexOf(issue.field);
  return issues.reduce((first, issue) => rank(issue) < rank(first) ? issue : first);
}

/** An issue of the query parser as the user reads it: about a flag, in the CLI's words. */
function issueText(issue: QueryIssue, params: URLSearchParams): string {
  if (isEitherRule(issue, params)) return "--pool-id or --assignment-id is required";
  const value = params.get(issue.field);
  if (value === null) return issue.message; // not a filter flag's field: the parser's words
  const flag = `--${flagOf(issue.field)}`;
  if (issue.code === "VALUE_REQUIRED") return `${flag} must not be empty`;
  if (issue.field.startsWith("created_")) {
    return `${flag} must be a date such as 2024-05-25 or 2024-05-25T16:14:27.748 (UTC unless an offset such as +03:00 is given), got ${
      quote(value)
    }`;
  }
  return `${flag} ${quote(value)}: ${issue.message}`;
}

/** `--order` (default `id`). */
export function orderFrom(flags: FlagValues): Order {
  return choiceFlag(flags, "order", ORDERS) ?? "id";
}

/** `--max`, or `Infinity`. */
export function maxFrom(flags: FlagValues): number {
  return integerFlag(flags, "max", { min: 1, max: Number.MAX_SAFE_INTEGER }) ?? Infinity;
}

/**
 * A client for `TOLOKA_TOKEN` and the `--environment` / `--base-url` flags (`--base-url` wins).
 *
 * @throws {UsageError} When the token is missing or the flags are bad.
 */
export function clientFrom(
  context: Context,
  flags: FlagValues,
  retries: number,
  transport: {
    fetch?: (request: Request) => Promise<Response>;
    maxRetryDelayMs?: number;
  } = {},
): AttachmentsClient {
  const environment = choiceFlag(flags, "environment", ENVIRONMENT_NAMES);
  const baseUrl = stringFlag(flags, "base-url");
  if (baseUrl !== undefined && !/^https?:\/\/[^/?#]+/i.test(baseUrl)) {
    throw new UsageError(
      `--base-url must be an http(s) URL such as https://toloka.dev/api/v1, got ${quote(baseUrl)}`,
    );
  }
  const token = context.env("TOLOKA_TOKEN")?.trim();
  if (!token) {
    throw new UsageError("TOLOKA_TOKEN is not set: export your Toloka OAuth token or API key");
  }
  try {
    const client = new AttachmentsClient({
      token,
      ...(environment === undefined ? {} : { environment }),
      ...(baseUrl === undefined ? {} : { baseUrl }),
      fetch: transport.fetch ?? context.fetch,
      retries,
      retryDelayMs: context.retryDelayMs,
      random: context.random,
      sleep: context.sleep,
      ...(transport.maxRetryDelayMs === undefined
        ? {}
        : { maxRetryDelayMs: transport.maxRetryDelayMs }),
    });
    context.apiBaseUrl = client.baseUrl;
    return client;
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
    throw new UsageError(optionErrorText(error));
  }
}

/** The client's options the user sets as a variable or a flag, by their option name. */
const OPTION_SOURCES: Readonly<Record<string, string>> = {
  token: "TOLOKA_TOKEN",
  baseUrl: "--base-url",
};

/**
 * A client's refusal of an option, about the variable or flag the user set: the core's message
 * says `Option "token" must ...`, and the CLI says `TOLOKA_TOKEN must ...`.
 */
function optionErrorText(error: TypeError | RangeError): string {
  const field = error instanceof ArgumentTypeError || error instanceof ArgumentRangeError
    ? error.field
    : undefined;
  const source = field !== undefined && Object.hasOwn(OPTION_SOURCES, field)
    ? OPTION_SOURCES[field]
    : undefined;
  const subject = `Option "${field}"`;
  if (source === undefined || !error.message.startsWith(subject)) return error.message;
  return `${source}${error.message.slice(subject.length)}`;
}

/**
 * The note for an empty answer, naming what was asked for; against a server on this machine, a
 * hint of which pools `deno task start`'s emulator holds.
 *
 * @param filter The filter sent.
 * @param baseUrl The API root asked.
 * @returns One line, without a newline.
 */
export function emptyAnswerNote(filter: AttachmentFilter, baseUrl: string): string {
  const asked = Object.entries(FILTER_FLAGS)
    .filter(([, field]) => filter[field] !== undefined)
    .map(([flag, field]) => `--${flag} ${quote(String(filter[field]))}`)
    .join(" ");
  let host = "";
  try {
    host = new URL(baseUrl).hostname;
  } catch { /* checked when the client was built */ }
  const local = host === "127.0.0.1" || host === "localhost" || host === "[::1]";
  return `no attachments match ${asked}` +
    (local
      ? ": the emulator of `deno task start` holds pools 1 to 7, and its demo key sees pools 1, 2 and 3"
      : ": check the pool or assignment id, and that TOLOKA_TOKEN's account can see it");
}
