/**
 * The transfers of one `download` run: a listing that runs ahead of the downloads by at most
 * {@linkcode LOOKAHEAD} attachments, and `concurrency` workers that take attachments off the
 * queue and fetch each one (or find it complete on disk). What they share is in the fields of a
 * {@linkcode DownloadRun}: the counters, the failures, the one error that stops the run, and the
 * signal that stops it.
 *
 * @module
 */

import {
  type Attachment,
  type AttachmentsClient,
  backoffDelay,
  isRetryableStatus,
  TolokaApiError,
  toWireAttachment,
} from "../mod.ts";
import type { Context } from "./context.ts";
import type { DownloadManifest } from "./download_manifest.ts";
import type { DownloadPlan } from "./download.ts";
import type { Failure } from "./download_summary.ts";
import { isComplete, LocalFileError } from "./local_files.ts";
import { emptyCounts, type ProgressCounts, type ProgressReporter } from "./progress.ts";
import { BoundedQueue } from "./queue.ts";
import type { RateLimitGate } from "./rate_limit.ts";
import { localFileName } from "../src/files/mod.ts";
import { type SavedFile, saveDownload } from "./save_file.ts";

/** How many listed attachments may wait for a download slot. */
export const LOOKAHEAD = 10_000;
/** The longest wait between two attempts at one file, in milliseconds. */
const MAX_FILE_RETRY_DELAY_MS = 10_000;

/**
 * Whether another attempt at a file may succeed after `error`: an answer whose status the client
 * retries too, or no answer at all (a connection lost, a body cut off).
 */
function isRetryable(error: unknown): boolean {
  return !(error instanceof TolokaApiError) || isRetryableStatus(error.status);
}

/** What a run needs from the world: where a dry run prints, the waits, the cancel signal. */
export type RunContext = Pick<Context, "stdout" | "signal" | "sleep" | "retryDelayMs" | "random">;

/** One download run's shared state, and the listing and workers that change it. */
export class DownloadRun {
  /** The counters the progress shows and the summary reports. */
  readonly counts: ProgressCounts = emptyCounts();
  /** Files that failed for good, in the order they failed. */
  readonly failures: Failure[] = [];
  /** Why the listing stopped early, if it did (and the run was not stopped). */
  listingError: unknown;
  /** The error that stopped the whole run (a local file could not be written), if any. */
  fatal: unknown;

  readonly #context: RunContext;
  readonly #plan: DownloadPlan;
  readonly #client: AttachmentsClient;
  readonly #manifest: DownloadManifest;
  readonly #progress: ProgressReporter;
  readonly #gate: RateLimitGate;
  readonly #queue = new BoundedQueue<Attachment>(LOOKAHEAD);
  /** Ids seen, so an attachment listed twice is fetched once. */
  readonly #handled = new Set<string>();
  /** Aborted by a fatal error; {@linkcode DownloadRun.signal} also follows the context's. */
  readonly #stop = new AbortController();
  readonly #signal: AbortSignal;

  /**
   * @param context Where a dry run prints, the waits and the cancel signal.
   * @param plan The checked flags.
   * @param manifest The folder's manifest, opened.
   * @param progress Shows the counters.
   * @param gate Holds the transfers during a rate limit.
   */
  constructor(
    context: RunContext,
    plan: DownloadPlan,
    manifest: DownloadManifest,
    progress: ProgressReporter,
    gate: RateLimitGate,
  ) {
    this.#context = context;
    this.#plan = plan;
    this.#client = plan.client;
    this.#manifest = manifest;
    this.#progress = progress;
    this.#gate = gate;
    this.#signal = AbortSignal.any([context.signal, this.#stop.signal]);
  }

  /** Lists and fetches until done, stopped or failed; never throws for a failed file. */
  async run(): Promise<void> {
    const closeQueue = (): void => this.#queue.close();
    this.#signal.addEventListener("abort", closeQueue, { once: true });
    try {
      const workers = Array.from({ length: this.#plan.concurrency }, () => this.#work());
      await Promise.all([this.#list(), ...workers]);
    } finally {
      this.#signal.removeEventListener("abort", closeQueue);
    }
  }

  /** Ends the run for `error`; the first such error is the one reported. */
  #fail(error: unknown): void {
    this.fatal ??= error;
    this.#stop.abort(error);
  }

  /** Waits while the gate is closed, keeping the countdown on the progress line current. */
  #waitOutRateLimit(): Promise<void> {
    return this.#gate.wait(this.#signal, () => this.#progress.update(this.counts));
  }

  /** Lists every match into the queue, at most `max`; a rate limit resumes from the cursor. */
  async #list(): Promise<void> {
    const signal = this.#signal;
    try {
      let listed = 0;
      // The cursor after the last page handed on whole: a rate limit resumes the listing there.
      let cursor: string | undefined;
      let rateLimitWaits = 0;
      listing: for (;;) {
        try {
          const pages = this.#client.getAttachmentPages(this.#plan.filter, {
            order: this.#plan.order,
            signal,
            ...(cursor === undefined ? {} : { cursor }),
          });
          for await (const page of pages) {
            for (const attachment of page.items) {
              if (!await this.#queue.push(attachment)) break listing;
              this.counts.listed++;
              if (++listed >= this.#plan.max) break listing;
            }
            if (page.cursor !== null) cursor = page.cursor;
            rateLimitWaits = 0;
          }
          break;
        } catch (error) {
          if (signal.aborted || !this.#closeGateFor(error, rateLimitWaits++)) throw error;
          await this.#waitOutRateLimit();
        }
      }
      if (!signal.aborted) this.counts.listingDone = true;
    } catch (error) {
      if (!signal.aborted) this.listingError = error;
    } finally {
      this.#queue.close();
    }
  }

  /** Whether `error` is a rate limit worth waiting out; if so, closes the gate for it. */
  #closeGateFor(error: unknown, waitsSoFar: number): boolean {
    return this.#gate.closeFor(error, waitsSoFar, this.#client.baseUrl);
  }

  /** One worker: takes attachments off the queue until it is drained or the run stops. */
  async #work(): Promise<void> {
    for (;;) {
      if (this.#signal.aborted) return;
      const attachment = await this.#queue.shift();
      if (attachment === undefined || this.#signal.aborted) return;
      try {
        await this.#handle(attachment);
      } catch (error) {
        // Checking a present file failed locally, or the run was stopped meanwhile.
        if (!this.#signal.aborted) this.#fail(error);
        return;
      }
    }
  }

  /** Skips a complete file, prints one in a dry run, or fetches it and records it. */
  async #handle(attachment: Attachment): Promise<void> {
    if (this.#handled.has(attachment.id)) return;
    this.#handled.add(attachment.id);
    const name = localFileName(attachment.id, attachment.name ?? "");
    const known = this.#manifest.get(attachment.id);
    if (known !== undefined) {
      if (await isComplete(this.#plan.folder, known, name, this.#signal)) {
        this.counts.present++;
        return;
      }
      this.#manifest.forget(attachment.id);
    }
    if (this.#plan.dryRun) {
      await this.#context.stdout.write(`${name}\n`);
      this.counts.downloaded++;
      return;
    }
    try {
      const { size, sha256 } = await this.#fetchWithRetries(attachment, name);
      this.#manifest.record({
        id: attachment.id,
        path: name,
        size,
        sha256,
        attachment: toWireAttachment(attachment),
      });
      this.counts.downloaded++;
    } catch (error) {
      if (error instanceof LocalFileError) {
        this.#fail(error);
        return;
      }
      if (this.#signal.aborted) return;
      this.failures.push({ id: attachment.id, name: attachment.name ?? "", error });
      this.counts.failed++;
    } finally {
      this.#progress.update(this.counts);
    }
  }

  /**
   * Fetches one file, waiting out rate limits (which use up no retry) and retrying other
   * failures a retry may fix, with backoff, up to `retries` times.
   */
  async #fetchWithRetries(attachment: Attachment, name: string): Promise<SavedFile> {
    const signal = this.#signal;
    let rateLimitWaits = 0;
    for (let attempt = 0;;) {
      await this.#waitOutRateLimit();
      try {
        const download = await this.#client.downloadAttachment(attachment.id, { signal });
        return await saveDownload(download, this.#plan.folder, name, (bytes) => {
          this.counts.bytes += bytes;
          this.#progress.update(this.counts);
        });
      } catch (error) {
        if (signal.aborted || error instanceof LocalFileError) throw error;
        if (this.#closeGateFor(error, rateLimitWaits++)) continue;
        if (attempt >= this.#plan.retries || !isRetryable(error)) throw error;
        const wait = backoffDelay(attempt, {
          retryDelayMs: this.#context.retryDelayMs,
          maxRetryDelayMs: MAX_FILE_RETRY_DELAY_MS,
          random: this.#context.random,
        });
        await this.#context.sleep(wait, signal);
        attempt++;
      }
    }
  }
}
