/**
 * The flags `list` and `download` share: the filters (one flag per filter field), `--order`,
 * `--max`, and where the API is (`--environment`, `--base-url`, `TOLOKA_TOKEN`). Turning them
 * into a filter is pure; {@linkcode clientFrom} builds the client.
 *
 * @module
 */

import {
  type AttachmentFilter,
  AttachmentsClient,
  type Environment,
  ENVIRONMENTS,
  FILTER_FIELDS,
  type Order,
  ORDERS,
} from "../mod.ts";
import { normalizeDateBound } from "../src/query.ts";
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
export const FILTER_FLAGS: Readonly<Record<string, typeof FILTER_FIELDS[number]>> = Object
  .fromEntries(
    FILTER_FIELDS.map((field) => [field.replaceAll("_", "-"), field]),
  );

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
 * The filter the flags describe. Dates are checked here, so a bad one names its flag.
 *
 * @throws {UsageError} When neither `--pool-id` nor `--assignment-id` is given, or a date is
 * not one.
 */
export function filterFrom(flags: FlagValues): AttachmentFilter {
  const filter: Record<string, string> = {};
  for (const [flag, field] of Object.entries(FILTER_FLAGS)) {
    const value = stringFlag(flags, flag);
    if (value === undefined) continue;
    if (field.startsWith("created_")) {
      try {
        filter[field] = normalizeDateBound(field, value);
      } catch {
        throw new UsageError(
          `--${flag} must be a date such as 2024-05-25 or 2024-05-25T16:14:27.748 (UTC unless an offset such as +03:00 is given), got ${
            quote(value)
          }`,
        );
      }
    } else {
      filter[field] = value;
    }
  }
  if (filter.pool_id === undefined && filter.assignment_id === undefined) {
    throw new UsageError("--pool-id or --assignment-id is required");
  }
  return filter as AttachmentFilter;
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
      ...(transport.maxRetryDelayMs === undefined
        ? {}
        : { maxRetryDelayMs: transport.maxRetryDelayMs }),
    });
    context.apiBaseUrl = client.baseUrl;
    return client;
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
    // The client names its options; the user knows them as a flag and a variable.
    throw new UsageError(
      error.message.replace('Option "token"', "TOLOKA_TOKEN").replace(
        'Option "baseUrl"',
        "--base-url",
      ),
    );
  }
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
