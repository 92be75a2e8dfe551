/**
 * The end of a `download` run, pure: the lines it prints on stderr (an empty answer, the counts,
 * the failed files, the error that stopped it) and its exit code.
 *
 * @module
 */

import type { AttachmentFilter } from "../mod.ts";
import { formatBytes } from "../src/files/mod.ts";
import { displayText } from "./display.ts";
import { errorText, EXIT } from "./errors.ts";
import { quote } from "./flags.ts";
import type { ProgressCounts } from "./progress.ts";
import { emptyAnswerNote } from "./query_flags.ts";

/** Failures listed one by one in the summary; the rest are counted. */
export const FAILURES_SHOWN = 20;

/** A failed file, for the summary. */
export interface Failure {
  /** The attachment's id. */
  id: string;
  /** Its name as Toloka has it (`""` when it has none). */
  name: string;
  /** Why its last attempt failed. */
  error: unknown;
}

/** How a run ended. */
export interface DownloadOutcome {
  /** The final counters. */
  counts: ProgressCounts;
  /** Files that failed for good. */
  failures: readonly Failure[];
  /** The error that stopped the run, if any. */
  fatal: unknown;
  /** Why the listing stopped early, if it did. */
  listingError: unknown;
  /** Whether the user stopped the run (Ctrl-C). */
  interrupted: boolean;
  /** Whether it was a dry run. */
  dryRun: boolean;
  /** How long the run took, in seconds. */
  seconds: number;
  /** The filter asked for, named by the note of an empty answer. */
  filter: AttachmentFilter;
  /** The API root, so errors name the service that answered. */
  baseUrl: string;
}

/** The lines (each with its newline) and the exit code a run ends with. */
export function downloadSummary(outcome: DownloadOutcome): { lines: string[]; code: number } {
  const { counts, failures, fatal, listingError, baseUrl } = outcome;
  const lines: string[] = [];
  if (listingError === undefined && counts.listed === 0 && !outcome.interrupted) {
    lines.push(`${emptyAnswerNote(outcome.filter, baseUrl)}\n`);
  }
  if (listingError !== undefined && counts.listed === 0) {
    // Nothing happened: the error alone says it all.
  } else if (outcome.dryRun) {
    lines.push(`dry run: ${counts.downloaded} to download, ${counts.present} already present\n`);
  } else {
    const seconds = outcome.seconds;
    const rate = seconds > 0 ? `, ${formatBytes(Math.round(counts.bytes / seconds))}/s` : "";
    lines.push(
      `${counts.downloaded} downloaded (${formatBytes(counts.bytes)} in ${
        seconds.toFixed(1)
      } s${rate}), ${counts.present} already present, ${failures.length} failed\n`,
    );
  }
  for (const failure of failures.slice(0, FAILURES_SHOWN)) {
    lines.push(
      `failed: ${displayText(failure.id)} ${quote(failure.name)}: ${
        errorText(failure.error, baseUrl)
      }\n`,
    );
  }
  if (failures.length > FAILURES_SHOWN) {
    lines.push(`... and ${failures.length - FAILURES_SHOWN} more failed\n`);
  }
  if (fatal !== undefined) {
    lines.push(`error: ${errorText(fatal, baseUrl)}\n`);
    return { lines, code: EXIT.failure };
  }
  if (outcome.interrupted) {
    lines.push("interrupted: run the same command again to fetch the rest\n");
    return { lines, code: EXIT.interrupted };
  }
  if (listingError !== undefined) {
    const prefix = counts.listed === 0 ? "" : "listing stopped: ";
    lines.push(`error: ${prefix}${errorText(listingError, baseUrl)}\n`);
    return { lines, code: EXIT.failure };
  }
  if (failures.length > 0) {
    lines.push(
      `error: ${failures.length} file(s) missing: run the same command again to retry them\n`,
    );
    return { lines, code: EXIT.failure };
  }
  return { lines, code: EXIT.ok };
}
