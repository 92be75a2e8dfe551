/**
 * `download`: every attachment that matches the filters into one folder.
 *
 * - The listing runs ahead of the downloads by at most {@linkcode LOOKAHEAD} attachments; up to
 *   `--concurrency` files are fetched at once, each streamed to disk and hashed on the way (no
 *   file is ever held in memory).
 * - A file is written as `.<name>.part` and renamed to `<name>` once complete (and not shorter
 *   than its `Content-Length`), so a final name never holds half a file. Its manifest line is appended
 *   after the rename.
 * - A second run skips files whose manifest line matches their name, size and SHA-256, and fetches
 *   the rest. Files whose check fails are fetched again.
 * - The client retries each request; a file whose body breaks off is retried as a whole, with
 *   backoff, up to `--retries` times. 400, 401, 403, 404 and 409 are not retried.
 * - A 429 (the Toloka API's rate limit, or an edge Worker's for its API key) holds every transfer
 *   and the listing until its `Retry-After` has passed, with a countdown on the progress line,
 *   then the run goes on; a wait does not use up a file's retries.
 * - Aborting (Ctrl-C) cuts the transfers, removes their temporary files, flushes the manifest and
 *   ends with exit code 130.
 *
 * File operations are synchronous, in bounded chunks: an async open, rename or write costs a trip
 * to a thread pool (about 0.2 ms each, measured), which for thousands of small files is most of
 * the run, while the synchronous calls on a local disk take tens of microseconds.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import {
  type Attachment,
  type AttachmentFilter,
  type AttachmentsClient,
  type Order,
  TolokaApiError,
  toWireAttachment,
} from "../mod.ts";
import type { Context } from "./context.ts";
import { displayText, formatBytes } from "./display.ts";
import { errorText, EXIT } from "./errors.ts";
import {
  booleanFlag,
  type FlagSpec,
  integerFlag,
  noMorePositionals,
  parseFlags,
  quote,
  stringFlag,
  UsageError,
} from "./flags.ts";
import {
  loadManifest,
  MANIFEST_NAME,
  type ManifestEntry,
  ManifestWriter,
  rewriteManifest,
} from "./manifest.ts";
import { emptyCounts, type ProgressCounts, ProgressReporter } from "./progress.ts";
import {
  CLI_MAX_RETRY_DELAY_MS,
  MAX_RATE_LIMIT_WAIT_MS,
  MAX_RATE_LIMIT_WAITS,
  rateLimiterName,
  RateLimitGate,
  rateLimitWaitOf,
} from "./rate_limit.ts";
import {
  clientFrom,
  CONNECTION_FLAGS,
  emptyAnswerNote,
  filterFrom,
  maxFrom,
  orderFrom,
  QUERY_FLAGS,
} from "./query_flags.ts";
import { BoundedQueue } from "./queue.ts";
import { localFileName } from "./sanitize.ts";

/** The flags of `download`. */
export const DOWNLOAD_FLAGS: FlagSpec = {
  ...CONNECTION_FLAGS,
  ...QUERY_FLAGS,
  out: "string",
  concurrency: "string",
  retries: "string",
  "dry-run": "boolean",
  quiet: "boolean",
};

/** How many listed attachments may wait for a download slot. */
export const LOOKAHEAD = 10_000;
/** The longest wait between two attempts at one file, in milliseconds. */
const MAX_FILE_RETRY_DELAY_MS = 10_000;
/** Failures listed one by one in the summary; the rest are counted. */
const FAILURES_SHOWN = 20;
/** Statuses a new attempt cannot fix. */
const FINAL_STATUSES = new Set([400, 401, 403, 404, 409]);

/** Everything a download run needs, checked. */
export interface DownloadPlan {
  /** The API client. */
  client: AttachmentsClient;
  /** Which attachments. */
  filter: AttachmentFilter;
  /** In which order they are listed (and so, roughly, fetched). */
  order: Order;
  /** At most this many attachments (`Infinity`: all). */
  max: number;
  /** The absolute path of the folder. */
  folder: string;
  /** Files fetched at once. */
  concurrency: number;
  /** New attempts at a file after the first. */
  retries: number;
  /** Only print what would be fetched. */
  dryRun: boolean;
  /** No progress output. */
  quiet: boolean;
  /**
   * The gate rate limits close; give the one whose {@linkcode RateLimitGate.watch} wraps the
   * client's `fetch`, so a 429 the client retries by itself shows too.
   */
  rateLimits?: RateLimitGate;
}

/** Runs `download` with the arguments after the command name; resolves to the exit code. */
export async function downloadCommand(context: Context, args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(args, DOWNLOAD_FLAGS, "download");
  noMorePositionals(positionals, 0, "download");
  const out = stringFlag(flags, "out");
  const filter = filterFrom(flags);
  const order = orderFrom(flags);
  const max = maxFrom(flags);
  const concurrency = integerFlag(flags, "concurrency", { min: 1, max: 64 }, 8);
  const retries = integerFlag(flags, "retries", { min: 0, max: 100 }, 5);
  if (out === undefined) throw new UsageError("--out is required: the folder to download into");
  const rateLimits = new RateLimitGate(context.now, context.sleep);
  const client = clientFrom(context, flags, retries, {
    fetch: rateLimits.watch(context.fetch),
    maxRetryDelayMs: CLI_MAX_RETRY_DELAY_MS,
  });
  return await runDownload(context, {
    rateLimits,
    client,
    filter,
    order,
    max,
    folder: resolve(context.cwd, out),
    concurrency,
    retries,
    dryRun: booleanFlag(flags, "dry-run"),
    quiet: booleanFlag(flags, "quiet"),
  });
}

/** A local file could not be written: no point going on. */
class LocalFileError extends Error {
  override name = "LocalFileError";
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function local<T>(path: string, action: string): (error: unknown) => T {
  return (error: unknown): T => {
    throw new LocalFileError(`cannot ${action} ${path}: ${describe(error)}`, { cause: error });
  };
}

/** Runs a synchronous file operation; a failure becomes a {@linkcode LocalFileError}. */
function localSync<T>(path: string, action: string, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    throw new LocalFileError(`cannot ${action} ${path}: ${describe(error)}`, { cause: error });
  }
}

function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += file.writeSync(bytes.subarray(at));
}

/**
 * Creates the temporary file, replacing one a killed run left behind. `createNew` never writes
 * through whatever sits at that name (a symlink, say): it is removed and created afresh.
 */
function createTemporary(path: string): Deno.FsFile {
  return localSync(path, "create", () => {
    try {
      return Deno.openSync(path, { write: true, createNew: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      Deno.removeSync(path);
      return Deno.openSync(path, { write: true, createNew: true });
    }
  });
}

/** Whether another attempt at a file may succeed after `error`. */
function isRetryable(error: unknown): boolean {
  return !(error instanceof TolokaApiError && FINAL_STATUSES.has(error.status));
}

/** Whether anything is at `path`. */
function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Removes `folder` if it holds nothing, or only an empty manifest; never anything else. */
function removeIfEmpty(folder: string): void {
  try {
    const names = [...Deno.readDirSync(folder)].map((entry) => entry.name);
    if (names.some((name) => name !== MANIFEST_NAME)) return;
    if (names.length > 0) {
      const manifest = join(folder, MANIFEST_NAME);
      if (Deno.lstatSync(manifest).size !== 0) return;
      Deno.removeSync(manifest);
    }
    Deno.removeSync(folder);
  } catch { /* leave it: the summary says what happened */ }
}

/** Bytes read at a time when a present file is checked. */
const READ_CHUNK = 256 * 1024;

/** Chunks read between two yields to the event loop (16 MiB), so Ctrl-C is seen in time. */
const CHUNKS_PER_YIELD = 64;

/** The SHA-256 and size of a file, read in chunks, or `undefined` when it cannot be read. */
async function hashFile(
  path: string,
  signal: AbortSignal,
): Promise<{ size: number; sha256: string } | undefined> {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch {
    return undefined;
  }
  try {
    const hash = createHash("sha256");
    const buffer = new Uint8Array(READ_CHUNK);
    let size = 0;
    for (let chunk = 1;; chunk++) {
      if (chunk % CHUNKS_PER_YIELD === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      if (signal.aborted) throw signal.reason;
      const read = file.readSync(buffer);
      if (read === null) break;
      hash.update(buffer.subarray(0, read));
      size += read;
    }
    return { size, sha256: hash.digest("hex") };
  } finally {
    file.close();
  }
}

/** A failed file, for the summary. */
interface Failure {
  id: string;
  name: string;
  error: unknown;
}

/** Runs a checked plan; resolves to the exit code. Never throws for a failed file. */
export async function runDownload(context: Context, plan: DownloadPlan): Promise<number> {
  const { client, folder } = plan;
  const err = context.stderr;
  const folderExisted = exists(folder);
  if (!plan.dryRun) await Deno.mkdir(folder, { recursive: true }).catch(local(folder, "create"));
  const manifest = await loadManifest(folder);
  const entries = manifest.entries;
  let rewrite = manifest.invalidLines > 0 || manifest.duplicateLines > 0;
  const writer = plan.dryRun ? undefined : await ManifestWriter.open(folder);

  const stop = new AbortController();
  const signal = AbortSignal.any([context.signal, stop.signal]);
  const queue = new BoundedQueue<Attachment>(LOOKAHEAD);
  const closeQueue = (): void => queue.close();
  signal.addEventListener("abort", closeQueue, { once: true });

  const counts: ProgressCounts = emptyCounts();
  const progress = new ProgressReporter(
    err,
    plan.quiet ? "none" : context.stderrIsTerminal ? "bar" : "lines",
    context.now,
    context.columns,
  );
  const gate = plan.rateLimits ?? new RateLimitGate(context.now, context.sleep);
  gate.onWait = (ms, who): void => progress.waitFor(ms, who);
  /** Whether `error` is a rate limit worth waiting out; if so, closes the gate for it. */
  const rateLimited = (error: unknown, waits: number): boolean => {
    const wait = rateLimitWaitOf(error);
    if (wait === undefined || wait > MAX_RATE_LIMIT_WAIT_MS || waits >= MAX_RATE_LIMIT_WAITS) {
      return false;
    }
    const who = rateLimiterName(client.baseUrl, (error as Error).message);
    if (gate.note(wait, who)) progress.waitFor(gate.remainingMs(), who);
    return true;
  };
  const waitOutRateLimit = (): Promise<void> => gate.wait(signal, () => progress.update(counts));
  const failures: Failure[] = [];
  const handled = new Set<string>();
  let listingError: unknown;
  let fatal: unknown;

  const backoff = (attempt: number): number =>
    Math.min(context.retryDelayMs * 2 ** attempt, MAX_FILE_RETRY_DELAY_MS) *
    (0.5 + Math.random() / 2);

  /** One attempt: stream to `.name.part`, hash, check the length, rename. */
  const fetchOnce = async (
    attachment: Attachment,
    name: string,
  ): Promise<{ size: number; sha256: string }> => {
    const download = await client.downloadAttachment(attachment.id, { signal });
    const target = join(folder, name);
    const temporary = join(folder, `.${name}.part`);
    const reader = download.body.getReader();
    let file: Deno.FsFile | undefined;
    let written = 0;
    let complete = false;
    try {
      file = createTemporary(temporary);
      const hash = createHash("sha256");
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        hash.update(value);
        localSync(temporary, "write", () => writeAllSync(file as Deno.FsFile, value));
        written += value.length;
        counts.bytes += value.length;
        progress.update(counts);
      }
      // Fewer bytes than Content-Length: cut off. (More can be fine: a compressed transfer.)
      if (download.size !== undefined && written < download.size) {
        throw new Error(`the download ended after ${written} of ${download.size} bytes`);
      }
      file.close();
      file = undefined;
      localSync(target, "create", () => Deno.renameSync(temporary, target));
      complete = true;
      return { size: written, sha256: hash.digest("hex") };
    } finally {
      if (!complete) {
        await reader.cancel().catch(() => {});
        file?.close();
        try {
          Deno.removeSync(temporary);
        } catch { /* never created, or already gone */ }
        counts.bytes -= written;
      }
    }
  };

  const fetchWithRetries = async (
    attachment: Attachment,
    name: string,
  ): Promise<{ size: number; sha256: string }> => {
    let rateLimitWaits = 0;
    for (let attempt = 0;;) {
      await waitOutRateLimit();
      try {
        return await fetchOnce(attachment, name);
      } catch (error) {
        if (signal.aborted || error instanceof LocalFileError) throw error;
        if (rateLimited(error, rateLimitWaits++)) continue;
        if (attempt >= plan.retries || !isRetryable(error)) throw error;
        await context.sleep(backoff(attempt), signal);
        attempt++;
      }
    }
  };

  const isComplete = async (entry: ManifestEntry, name: string): Promise<boolean> => {
    if (entry.path !== name) return false;
    const path = join(folder, name);
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(path);
    } catch {
      return false;
    }
    if (!info.isFile || info.size !== entry.size) return false;
    const actual = await hashFile(path, signal);
    return actual !== undefined && actual.size === entry.size && actual.sha256 === entry.sha256;
  };

  const handle = async (attachment: Attachment): Promise<void> => {
    if (handled.has(attachment.id)) return;
    handled.add(attachment.id);
    const name = localFileName(attachment.id, attachment.name ?? "");
    const known = entries.get(attachment.id);
    if (known !== undefined) {
      if (await isComplete(known, name)) {
        counts.present++;
        return;
      }
      // Stale: the file is gone or differs. Its line goes when the manifest is rewritten.
      entries.delete(attachment.id);
      rewrite = true;
    }
    if (plan.dryRun) {
      await context.stdout.write(`${name}\n`);
      counts.downloaded++;
      return;
    }
    try {
      const { size, sha256 } = await fetchWithRetries(attachment, name);
      const entry: ManifestEntry = {
        id: attachment.id,
        path: name,
        size,
        sha256,
        attachment: toWireAttachment(attachment),
      };
      localSync(join(folder, MANIFEST_NAME), "write", () => writer?.append(entry));
      entries.set(attachment.id, entry);
      counts.downloaded++;
    } catch (error) {
      if (signal.aborted && !(error instanceof LocalFileError)) return;
      if (error instanceof LocalFileError) {
        fatal ??= error;
        stop.abort(error);
        return;
      }
      failures.push({ id: attachment.id, name: attachment.name ?? "", error });
      counts.failed++;
    } finally {
      progress.update(counts);
    }
  };

  const lister = (async (): Promise<void> => {
    try {
      let listed = 0;
      // The cursor after the last page handed on whole: a rate limit resumes the listing there.
      let cursor: string | undefined;
      let rateLimitWaits = 0;
      listing: for (;;) {
        try {
          const pages = client.getAttachmentPages(plan.filter, {
            order: plan.order,
            signal,
            ...(cursor === undefined ? {} : { cursor }),
          });
          for await (const page of pages) {
            for (const attachment of page.items) {
              if (!await queue.push(attachment)) break listing;
              counts.listed++;
              if (++listed >= plan.max) break listing;
            }
            if (page.cursor !== null) cursor = page.cursor;
            rateLimitWaits = 0;
          }
          break;
        } catch (error) {
          if (signal.aborted || !rateLimited(error, rateLimitWaits++)) throw error;
          await waitOutRateLimit();
        }
      }
      if (!signal.aborted) counts.listingDone = true;
    } catch (error) {
      if (!signal.aborted) listingError = error;
    } finally {
      queue.close();
    }
  })();

  const worker = async (): Promise<void> => {
    for (;;) {
      if (signal.aborted) return;
      const attachment = await queue.shift();
      if (attachment === undefined || signal.aborted) return;
      try {
        await handle(attachment);
      } catch (error) {
        // Checking a present file failed locally, or the run was stopped meanwhile.
        if (!signal.aborted) {
          fatal ??= error;
          stop.abort(error);
        }
        return;
      }
    }
  };

  await Promise.all([lister, ...Array.from({ length: plan.concurrency }, worker)]);
  signal.removeEventListener("abort", closeQueue);
  progress.finish(counts);
  writer?.close();
  if (rewrite && !plan.dryRun) await rewriteManifest(folder, entries.values());

  // A folder this run created and left with nothing in it goes again.
  if (!folderExisted && !plan.dryRun && entries.size === 0) removeIfEmpty(folder);

  const seconds = progress.elapsed() / 1000;
  if (listingError === undefined && counts.listed === 0 && !context.signal.aborted) {
    await err.write(`${emptyAnswerNote(plan.filter, client.baseUrl)}\n`);
  }
  if (listingError !== undefined && counts.listed === 0) {
    // Nothing happened: the error alone says it all.
  } else if (plan.dryRun) {
    await err.write(
      `dry run: ${counts.downloaded} to download, ${counts.present} already present\n`,
    );
  } else {
    const rate = seconds > 0 ? `, ${formatBytes(Math.round(counts.bytes / seconds))}/s` : "";
    await err.write(
      `${counts.downloaded} downloaded (${formatBytes(counts.bytes)} in ${
        seconds.toFixed(1)
      } s${rate}), ${counts.present} already present, ${failures.length} failed\n`,
    );
  }
  for (const failure of failures.slice(0, FAILURES_SHOWN)) {
    await err.write(
      `failed: ${displayText(failure.id)} ${quote(failure.name)}: ${
        errorText(failure.error, client.baseUrl)
      }\n`,
    );
  }
  if (failures.length > FAILURES_SHOWN) {
    await err.write(`... and ${failures.length - FAILURES_SHOWN} more failed\n`);
  }
  if (fatal !== undefined) {
    await err.write(`error: ${errorText(fatal, client.baseUrl)}\n`);
    return EXIT.failure;
  }
  if (context.signal.aborted) {
    await err.write("interrupted: run the same command again to fetch the rest\n");
    return EXIT.interrupted;
  }
  if (listingError !== undefined) {
    const prefix = counts.listed === 0 ? "" : "listing stopped: ";
    await err.write(`error: ${prefix}${errorText(listingError, client.baseUrl)}\n`);
    return EXIT.failure;
  }
  if (failures.length > 0) {
    await err.write(
      `error: ${failures.length} file(s) missing: run the same command again to retry them\n`,
    );
    return EXIT.failure;
  }
  return EXIT.ok;
}
