/**
 * Errors as one line for stderr, and the exit codes.
 *
 * @module
 */

import { TolokaApiError } from "../src/errors.ts";
import { displayText } from "./display.ts";
import { UsageError } from "./flags.ts";

/** The exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted (Ctrl-C). */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** One line that says what went wrong (no trailing newline), without the `error: ` prefix. */
export function errorText(error: unknown): string {
  if (error instanceof TolokaApiError) {
    const id = error.requestId ? ` (request id ${error.requestId})` : "";
    return displayText(
      `the Toloka API answered ${error.status} ${error.code}: ${error.message}${id}`,
    );
  }
  if (error instanceof Error) return displayText(error.message || error.name);
  return displayText(String(error));
}

/** The exit code for an error that ended a command. */
export function exitCodeOf(error: unknown): number {
  return error instanceof UsageError ? EXIT.usage : EXIT.failure;
}
