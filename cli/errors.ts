/**
 * Errors as one line for stderr, and the exit codes.
 *
 * @module
 */

import { TolokaApiError, TolokaNetworkError } from "../mod.ts";
import { displayText } from "./display.ts";
import { UsageError } from "./flags.ts";
import { rateLimiterName, serviceName } from "./rate_limit.ts";

/** The exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted (Ctrl-C). */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/**
 * One line that says what went wrong (no trailing newline), without the `error: ` prefix.
 *
 * @param error What was thrown.
 * @param baseUrl The API root the command talked to, so an answer is put down to the service
 * that gave it (the Toloka API, or an edge Worker given with `--base-url`).
 */
export function errorText(error: unknown, baseUrl?: string): string {
  if (error instanceof TolokaApiError) {
    const id = error.requestId ? ` (request id ${error.requestId})` : "";
    if (error.status === 429) {
      return displayText(
        `rate limited by ${
          rateLimiterName(baseUrl, error.message)
        }: 429 ${error.code}: ${error.message}${id}`,
      );
    }
    return displayText(
      `${serviceName(baseUrl)} answered ${error.status} ${error.code}: ${error.message}${id}`,
    );
  }
  if (error instanceof TolokaNetworkError && baseUrl !== undefined) {
    const service = serviceName(baseUrl);
    // The core says "The Toloka API" whatever the root; name the server actually tried.
    return displayText(
      error.message.replace(/^The Toloka API\b/, service[0]!.toUpperCase() + service.slice(1)),
    );
  }
  if (error instanceof Error) return displayText(error.message || error.name);
  return displayText(String(error));
}

/** The exit code for an error that ended a command. */
export function exitCodeOf(error: unknown): number {
  return error instanceof UsageError ? EXIT.usage : EXIT.failure;
}
