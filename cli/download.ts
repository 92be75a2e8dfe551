/**
 * `download`: every attachment that matches the filters into one folder.
 *
 * - The listing runs ahead of the downloads by at most `LOOKAHEAD` (10,000) attachments; up to
 *   `--concurrency` files are fetched at once, each streamed to disk and hashed on the way (no
 *   file is ever held in memory).
 * - A file is written as `.<name>.part` and renamed to `<name>` once complete (and not shorter
 *   than its `Content-Length`), so a final name never holds half a file. Its manifest line is appended
 *   after the rename.
 * - A second run skips files whose manifest line matches their name, size and SHA-256, and fetches
 *   the rest. Files whose check fails are fetched again.
 * - The client retries each request; a file whose body breaks off is retried as a whole, with
 *   the client's backoff, up to `--retries` times. So is a file whose answer has a status the
 *   client retries (408, 429, 500, 502, 503, 504); any other status (400, 401, 403, 404, 409...)
 *   fails the file at once.
 * - A 429 (the Toloka API's rate limit, or an edge Worker's for its API key) holds every transfer
 *   and the listing until its `Retry-After` has passed, with a countdown on the progress line,
 *   then the run goes on; a wait does not use up a file's retries.
 * - Aborting (Ctrl-C) cuts the transfers, removes their temporary files, flushes the manifest and
 *   ends with exit code 130.
 *
 * The pieces: {@linkcode DownloadRun} (the listing and the workers, `download_run.ts`),
 * `saveDownload` (one attempt at one file, `save_file.ts`), {@linkcode DownloadManifest}, the
 * folder on disk (`local_files.ts`) and the summary (`download_summary.ts`).
 *
 * @module
 */

import { resolve } from "node:path";
import type { AttachmentFilter, AttachmentsClient, Order } from "../mod.ts";
import type { Context } from "./context.ts";
import { DownloadManifest } from "./download_manifest.ts";
import { DownloadRun } from "./download_run.ts";
import { downloadSummary } from "./download_summary.ts";
import {
  booleanFlag,
  type FlagSpec,
  integerFlag,
  noMorePositionals,
  parseFlags,
  stringFlag,
  UsageError,
} from "./flags.ts";
import { exists, localAsync, removeIfEmpty } from "./local_files.ts";
import { ProgressReporter } from "./progress.ts";
import { CLI_MAX_RETRY_DELAY_MS, RateLimitGate } from "./rate_limit.ts";
import {
  clientFrom,
  CONNECTION_FLAGS,
  filterFrom,
  maxFrom,
  orderFrom,
  QUERY_FLAGS,
} from "./query_flags.ts";

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

/** Runs a checked plan; resolves to the exit code. Never throws for a failed file. */
export async function runDownload(context: Context, plan: DownloadPlan): Promise<number> {
  const { folder } = plan;
  const folderExisted = exists(folder);
  if (!plan.dryRun) {
    await localAsync(folder, "create", () => Deno.mkdir(folder, { recursive: true }));
  }
  const manifest = await DownloadManifest.open(folder, plan.dryRun);
  const progress = new ProgressReporter(
    context.stderr,
    plan.quiet ? "none" : context.stderrIsTerminal ? "bar" : "lines",
    context.now,
    context.columns,
  );
  const gate = plan.rateLimits ?? new RateLimitGate(context.now, context.sleep);
  gate.onWait = (ms, who): void => progress.waitFor(ms, who);
  const run = new DownloadRun(context, plan, manifest, progress, gate);
  await run.run();
  progress.finish(run.counts);
  await manifest.close();
  // A folder this run created and left with nothing in it goes again.
  if (!folderExisted && !plan.dryRun && manifest.size === 0) removeIfEmpty(folder);

  const { lines, code } = downloadSummary({
    counts: run.counts,
    failures: run.failures,
    fatal: run.fatal,
    listingError: run.listingError,
    interrupted: context.signal.aborted,
    dryRun: plan.dryRun,
    seconds: progress.elapsed() / 1000,
    filter: plan.filter,
    baseUrl: plan.client.baseUrl,
  });
  for (const line of lines) await context.stderr.write(line);
  return code;
}
