/**
 * Progress of a download: counters, their rendering (pure), and a reporter that draws a bar on a
 * terminal at most ten times a second, or prints a plain line every few seconds otherwise.
 *
 * @module
 */

import { formatBytes } from "../src/files/mod.ts";
import { formatDuration } from "./display.ts";
import type { Output } from "./context.ts";

/** The counters of a download run. */
export interface ProgressCounts {
  /** Attachments listed so far. */
  listed: number;
  /** Whether the listing is complete (`listed` is then the total). */
  listingDone: boolean;
  /** Files downloaded in this run. */
  downloaded: number;
  /** Files found complete on disk (skipped). */
  present: number;
  /** Files that failed for good. */
  failed: number;
  /** Bytes received in this run (those of failed attempts taken back out). */
  bytes: number;
}

/** A fresh set of counters. */
export function emptyCounts(): ProgressCounts {
  return { listed: 0, listingDone: false, downloaded: 0, present: 0, failed: 0, bytes: 0 };
}

/** Rates and estimates from the counters and the time spent. */
export interface ProgressFigures {
  /** Files handled so far (downloaded, present or failed). */
  handled: number;
  /** `"1234"`, or `"1234+"` while the listing goes on. */
  total: string;
  /** Bytes per second in this run. */
  bytesPerSecond: number;
  /** Seconds left, or `undefined` when unknown. */
  etaSeconds: number | undefined;
  /** The share done, 0 to 1, or `undefined` while the total is unknown. */
  fraction: number | undefined;
}

/** Works out totals, rate and ETA (from this run's file rate). */
export function progressFigures(counts: ProgressCounts, elapsedMs: number): ProgressFigures {
  const handled = counts.downloaded + counts.present + counts.failed;
  const seconds = Math.max(elapsedMs, 1) / 1000;
  const remaining = Math.max(counts.listed - handled, 0);
  const filesPerSecond = counts.downloaded / seconds;
  const etaSeconds = !counts.listingDone
    ? undefined
    : remaining === 0
    ? 0
    : filesPerSecond > 0
    ? remaining / filesPerSecond
    : undefined;
  return {
    handled,
    total: counts.listingDone ? String(counts.listed) : `${counts.listed}+`,
    bytesPerSecond: counts.bytes / seconds,
    etaSeconds,
    fraction: counts.listingDone
      ? (counts.listed === 0 ? 1 : Math.min(handled / counts.listed, 1))
      : undefined,
  };
}

function extras(counts: ProgressCounts): string {
  const parts: string[] = [];
  if (counts.present > 0) parts.push(`${counts.present} present`);
  if (counts.failed > 0) parts.push(`${counts.failed} failed`);
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}

/** A wait for a rate limit, as shown on the progress bar: seconds left and who limited. */
export interface ProgressWait {
  /** Seconds left, rounded up. */
  seconds: number;
  /** Who limited the run, such as "the Toloka API". */
  who: string;
}

/**
 * The progress bar line (no newline), at most `columns - 1` characters. During a wait for a rate
 * limit, the countdown takes the place of the ETA.
 */
export function renderBar(
  counts: ProgressCounts,
  elapsedMs: number,
  columns: number,
  wait?: ProgressWait,
): string {
  const f = progressFigures(counts, elapsedMs);
  const width = 20;
  const filled = f.fraction === undefined ? 0 : Math.round(f.fraction * width);
  const bar = f.fraction === undefined
    ? "[" + "-".repeat(width) + "]"
    : `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
  const percent = f.fraction === undefined
    ? "  ?%"
    : `${Math.floor(f.fraction * 100)}%`.padStart(4);
  const line = `${percent} ${bar} ${f.handled}/${f.total} files${extras(counts)}  ` +
    `${formatBytes(counts.bytes)}  ${formatBytes(Math.round(f.bytesPerSecond))}/s  ` +
    (wait === undefined
      ? `ETA ${f.etaSeconds === undefined ? "?" : formatDuration(f.etaSeconds)}`
      : `waiting ${wait.seconds} s: rate limited by ${wait.who}`);
  return line.length < columns ? line : line.slice(0, Math.max(columns - 1, 0));
}

/** The line a log gets when a wait for a rate limit starts (no newline). */
export function renderWaitLine(wait: ProgressWait): string {
  return `waiting ${wait.seconds} s: rate limited by ${wait.who}; the download goes on after that`;
}

/** A plain progress line for logs (no newline). */
export function renderLine(counts: ProgressCounts, elapsedMs: number): string {
  const f = progressFigures(counts, elapsedMs);
  return `progress: ${f.handled} of ${f.total} files${extras(counts)}, ` +
    `${formatBytes(counts.bytes)} at ${formatBytes(Math.round(f.bytesPerSecond))}/s, ` +
    `ETA ${f.etaSeconds === undefined ? "?" : formatDuration(f.etaSeconds)}`;
}

/** How progress is shown. */
export type ProgressMode = "bar" | "lines" | "none";

/** Minimum time between two bar redraws, and between two plain lines. */
export const BAR_INTERVAL_MS = 100;
/** Minimum time between two plain progress lines. */
export const LINE_INTERVAL_MS = 5_000;

/** Draws progress to stderr, throttled by the clock. */
export class ProgressReporter {
  readonly #out: Output;
  readonly #mode: ProgressMode;
  readonly #now: () => number;
  readonly #columns: number;
  readonly #started: number;
  #last = -Infinity;
  #drawn = false;
  #counts: ProgressCounts | undefined;
  #waitUntil = -Infinity;
  #waitWho = "";

  /** Starts the clock of the run. */
  constructor(out: Output, mode: ProgressMode, now: () => number, columns: number) {
    this.#out = out;
    this.#mode = mode;
    this.#now = now;
    this.#columns = columns;
    this.#started = now();
    // A log gets its first line after one interval; a bar shows at once.
    if (mode === "lines") this.#last = this.#started;
  }

  /** Milliseconds since the start. */
  elapsed(): number {
    return this.#now() - this.#started;
  }

  /** Shows `counts` if enough time has passed since the last time. */
  update(counts: ProgressCounts): void {
    this.#counts = counts;
    if (this.#mode === "none") return;
    const now = this.#now();
    const interval = this.#mode === "bar" ? BAR_INTERVAL_MS : LINE_INTERVAL_MS;
    if (now - this.#last < interval) return;
    this.#last = now;
    this.#draw(counts, now);
  }

  /**
   * Shows a wait for a rate limit of `ms` from now: a countdown on the bar (redrawn by each
   * {@linkcode ProgressReporter.update}), one line in a log.
   */
  waitFor(ms: number, who: string): void {
    if (this.#mode === "none") return;
    const now = this.#now();
    const fresh = this.#waitUntil <= now;
    this.#waitUntil = now + ms;
    this.#waitWho = who;
    if (this.#mode === "lines") {
      if (fresh) this.#out.post(`${renderWaitLine(this.#wait(now)!)}\n`);
    } else if (this.#counts !== undefined) {
      this.#last = now;
      this.#draw(this.#counts, now);
    }
  }

  #wait(now: number): ProgressWait | undefined {
    if (this.#waitUntil <= now) return undefined;
    return { seconds: Math.ceil((this.#waitUntil - now) / 1000), who: this.#waitWho };
  }

  /** Shows the final state (bar mode) and ends the bar's line. */
  finish(counts: ProgressCounts): void {
    if (this.#mode !== "bar") return;
    this.#draw(counts, this.#now());
    if (this.#drawn) this.#out.post("\n");
  }

  #draw(counts: ProgressCounts, now: number): void {
    const elapsed = now - this.#started;
    if (this.#mode === "bar") {
      this.#out.post(`\r${renderBar(counts, elapsed, this.#columns, this.#wait(now))}\x1b[K`);
      this.#drawn = true;
    } else {
      this.#out.post(`${renderLine(counts, elapsed)}\n`);
    }
  }
}
