/**
 * One part of an export job: what one Workflow step does. It pages from the checkpointed cursor
 * as far as the invocation's subrequest budget allows (`SUBREQUEST_BUDGET`, retries included),
 * writes what it read to R2 as the part's own objects, and returns the next checkpoint.
 *
 * Exactly once, whatever fails: a part's objects are named by its sequence number, so an attempt
 * that is retried (a thrown error, an instance that died after writing) overwrites the same
 * objects with the same bytes, and only the returned checkpoint moves the job on. Items are only
 * ever written whole: the checkpoint is "the cursor before the current page, and how many of
 * that page's items are written" (a ZIP step may stop inside a page, as each file is a request).
 *
 * A part that read something and then hits a failure (an upstream that keeps failing, the budget
 * spent by retries) keeps what it read and ends early; one that read nothing throws, and the
 * Workflow retries it with backoff.
 *
 * @module
 */

import {
  type Attachment,
  type AttachmentsClient,
  csvAttachment,
  csvHeader,
  ndjsonLine,
  TolokaApiError,
  toWireAttachment,
} from "../../mod.ts";
import { localFileName } from "../../src/files/mod.ts";
import { toEdgeError } from "../errors.ts";
import { upstreamClient } from "../session.ts";
import type { JobError, JobParams } from "./job.ts";
import { jobKeys } from "./job.ts";
import type { Owner } from "./owner.ts";
import type { R2Bucket } from "./runtime.ts";
import { centralHeader, crc32, localHeader } from "./zip.ts";

/** A part stops taking items once it holds this much (the step holds its part in memory). */
export const MAX_PART_BYTES = 32 * 1024 * 1024;
/**
 * The largest file a ZIP part holds: a step keeps a file's bytes in memory (with its CRC-32 and
 * SHA-256) in an isolate of 128 MB, so a larger one would kill every retry of the step.
 */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** A file too large for a step: the job fails at once, saying which file and why. */
class FileTooLarge extends Error {
  override name = "FileTooLarge";
  constructor(readonly id: string, readonly size: number) {
    super(
      `Attachment ${id} is ${size} bytes, more than the ${MAX_FILE_BYTES} a ZIP export can hold per file`,
    );
  }
}

/** The checkpoint between parts: a step's result. Small, and never secret. */
export interface PartState {
  /** Parts written so far (the next part's sequence number). */
  seq: number;
  /** The core's resume token before the current page; `null` before the first. */
  from: string | null;
  /** How many items of the page at `from` are written (a ZIP part can stop inside a page). */
  skip: number;
  /**
   * The page size, fixed by the first part: `skip` counts items of a page of this size, so a
   * redeploy with another `SUBREQUEST_BUDGET` must not change it mid-job. `null` before the first.
   */
  batchSize: number | null;
  /** Every match is written. */
  done: boolean;
  items: number;
  files: number;
  /** Bytes of the result's data parts so far (for a ZIP: the entries, the offset of the next). */
  bytes: number;
  /** ZIP: the manifest's size and CRC-32 so far. */
  manifestBytes: number;
  manifestCrc: number;
  /** ZIP: the central directory's size so far. */
  centralBytes: number;
  /** Why the job ended early, if it did. */
  end: { status: "failed" | "cancelled"; error: JobError | null } | null;
}

/** The state before the first part. */
export function firstPart(): PartState {
  return {
    seq: 0,
    from: null,
    skip: 0,
    batchSize: null,
    done: false,
    items: 0,
    files: 0,
    bytes: 0,
    manifestBytes: 0,
    manifestCrc: 0,
    centralBytes: 0,
    end: null,
  };
}

/** What a part needs from the outside world. */
export interface PartContext {
  bucket: R2Bucket;
  /** The owning key, as KV says now. */
  owner: Owner;
  /** The upstream API root. */
  baseUrl: string;
  /** Upstream requests this part may make. */
  budget: number;
  /** The id the part's upstream requests carry (`X-Request-Id`). */
  requestId: string;
  fetch: (request: Request) => Promise<Response>;
  /** Called between writing the part's objects and returning (tests inject failures there). */
  afterWrite?: () => void;
}

/** What a part did, for its log line. */
export interface PartReport {
  state: PartState;
  subrequests: number;
  /** A failure that ended the part early (its items are kept), log-safe. */
  stopped: string | null;
  /** Files deleted upstream between their listing and their download, left out. */
  skipped: number;
}

/** Upstream answers that a retry cannot change: the job fails. */
function permanent(error: unknown): boolean {
  return error instanceof TolokaApiError && [400, 401, 403, 404].includes(error.status);
}

function failed(state: PartState, error: JobError): PartState {
  return { ...state, done: true, end: { status: "failed", error } };
}

function jobError(error: unknown): JobError {
  const { error: edge } = toEdgeError(error);
  return { code: edge.code, message: edge.message, payload: null };
}

/** Runs one part from `state`. */
export async function runPart(
  params: JobParams,
  state: PartState,
  context: PartContext,
): Promise<PartReport> {
  const owner = context.owner;
  if (owner.status !== "valid") {
    const message = owner.status === "unsealable"
      ? "The API key's upstream token no longer opens"
      : `The API key that created this job was ${owner.status}`;
    return {
      state: failed(state, { code: "AUTHENTICATION_ERROR", message, payload: null }),
      subrequests: 0,
      stopped: null,
      skipped: 0,
    };
  }
  const { client, budget } = upstreamClient({
    token: owner.upstreamToken,
    baseUrl: context.baseUrl,
    limit: context.budget,
    requestId: context.requestId,
    fetch: context.fetch,
  });
  const visible = (item: Attachment): boolean =>
    owner.pools === null || owner.pools.has(item.details?.pool_id ?? "");
  const writer = params.format === "zip" ? new ZipPart(state) : new TextPart(params, state);
  // A ZIP part lists a page no longer than what its budget can download in one go; the first
  // part fixes the size for the whole job.
  const batchSize = state.batchSize ??
    (params.format === "zip" ? Math.max(1, Math.min(100, context.budget - 1)) : 100);
  const pages = client.getAttachmentPages(params.filter, {
    order: params.order,
    batchSize,
    prefetch: false,
    ...(state.from === null ? {} : { cursor: state.from }),
  })[Symbol.asyncIterator]();
  let from = state.from;
  let skip = state.skip;
  let done = false;
  let stopped: unknown = null;
  try {
    pages: for (;;) {
      const next = await pages.next();
      if (next.done) {
        done = true;
        break;
      }
      const page = next.value;
      for (let index = skip; index < page.items.length; index++) {
        const item = page.items[index]!;
        if (visible(item)) await writer.add(item, client);
        skip = index + 1;
        if (writer.size >= MAX_PART_BYTES) break pages;
      }
      from = page.cursor;
      skip = 0;
      if (page.cursor === null) {
        done = true;
        break;
      }
      if (writer.size >= MAX_PART_BYTES) break;
    }
  } catch (error) {
    if (error instanceof FileTooLarge) {
      const tooLarge: JobError = {
        code: "VALIDATION_ERROR",
        message: error.message,
        payload: null,
      };
      return {
        state: failed(state, tooLarge),
        subrequests: budget.used,
        stopped: null,
        skipped: 0,
      };
    }
    if (permanent(error)) {
      await pages.return?.().catch(() => {});
      return {
        state: failed(state, jobError(error)),
        subrequests: budget.used,
        stopped: null,
        skipped: 0,
      };
    }
    stopped = error;
  } finally {
    await pages.return?.().catch(() => {});
  }
  const progressed = done || from !== state.from || skip !== state.skip;
  // Nothing read: let the Workflow retry the step (with backoff) rather than spin.
  if (!progressed) throw stopped ?? new Error("An export part made no progress");
  await writer.write(context.bucket, params.id, state.seq);
  context.afterWrite?.();
  return {
    state: {
      ...writer.state(),
      seq: state.seq + 1,
      from,
      skip,
      batchSize,
      done,
    },
    subrequests: budget.used,
    stopped: stopped === null ? null : toEdgeError(stopped).reason,
    skipped: writer.skipped,
  };
}

interface PartWriter {
  /** Bytes held so far. */
  readonly size: number;
  /** Items left out because their file was gone. */
  readonly skipped: number;
  add(item: Attachment, client: AttachmentsClient): Promise<void>;
  write(bucket: R2Bucket, job: string, seq: number): Promise<void>;
  /** The counters after this part. */
  state(): PartState;
}

/** NDJSON or CSV: the exact lines of the synchronous export routes. */
class TextPart implements PartWriter {
  readonly #state: PartState;
  readonly #csv: boolean;
  #text: string;
  #items = 0;
  size = 0;
  readonly skipped = 0;

  constructor(params: JobParams, state: PartState) {
    this.#state = state;
    this.#csv = params.format === "csv";
    this.#text = this.#csv && state.seq === 0 ? csvHeader() : "";
  }

  add(item: Attachment): Promise<void> {
    this.#text += this.#csv ? csvAttachment(toWireAttachment(item)) : ndjsonLine(item);
    this.#items++;
    // UTF-16 length: an estimate of the bytes, good enough for a cap.
    this.size = this.#text.length;
    return Promise.resolve();
  }

  #bytes: Uint8Array | undefined;
  #encoded(): Uint8Array {
    return this.#bytes ??= new TextEncoder().encode(this.#text);
  }

  async write(bucket: R2Bucket, job: string, seq: number): Promise<void> {
    await bucket.put(jobKeys.part(job, "data", seq), this.#encoded());
  }

  state(): PartState {
    return {
      ...this.#state,
      items: this.#state.items + this.#items,
      bytes: this.#state.bytes + this.#encoded().length,
    };
  }
}

/**
 * A ZIP part: complete local entries (header + stored bytes) at known offsets, their central
 * directory headers, and their manifest lines, as three objects the compose steps put in place.
 */
class ZipPart implements PartWriter {
  readonly #state: PartState;
  readonly #data: Uint8Array[] = [];
  readonly #central: Uint8Array[] = [];
  #manifest = "";
  #files = 0;
  #centralBytes = 0;
  size = 0;
  /** Files deleted upstream since they were listed, left out. */
  skipped = 0;

  constructor(state: PartState) {
    this.#state = state;
  }

  async add(item: Attachment, client: AttachmentsClient): Promise<void> {
    let download;
    try {
      download = await client.downloadAttachment(item.id);
    } catch (error) {
      // Deleted (or hidden) upstream since it was listed: it no longer matches. Skipping it keeps
      // the rest of a long job, where failing would throw every part away.
      if (error instanceof TolokaApiError && (error.status === 404 || error.status === 403)) {
        this.skipped++;
        return;
      }
      throw error;
    }
    if (download.size !== undefined && download.size > MAX_FILE_BYTES) {
      await download.body.cancel();
      throw new FileTooLarge(item.id, download.size);
    }
    const bytes = new Uint8Array(await new Response(download.body).arrayBuffer());
    if (download.size !== undefined && download.size !== bytes.length) {
      throw new Error(`The file of ${item.id} was cut short`);
    }
    const path = localFileName(item.id, item.name ?? "");
    const crc = crc32(bytes);
    const offset = this.#state.bytes + this.size;
    const entry = { name: path, crc, size: bytes.length, offset, modified: item.created };
    const header = localHeader(entry);
    const central = centralHeader(entry);
    const sha256 = hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
    this.#data.push(header, bytes);
    this.#central.push(central);
    this.#centralBytes += central.length;
    this.#manifest += JSON.stringify({
      ...toWireAttachment(item),
      path,
      size: bytes.length,
      sha256,
    }) + "\n";
    this.#files++;
    this.size += header.length + bytes.length;
  }

  #manifestBytes: Uint8Array | undefined;
  #encodedManifest(): Uint8Array {
    return this.#manifestBytes ??= new TextEncoder().encode(this.#manifest);
  }

  async write(bucket: R2Bucket, job: string, seq: number): Promise<void> {
    await Promise.all([
      bucket.put(jobKeys.part(job, "data", seq), concat(this.#data, this.size)),
      bucket.put(jobKeys.part(job, "central", seq), concat(this.#central, this.#centralBytes)),
      bucket.put(jobKeys.part(job, "manifest", seq), this.#encodedManifest()),
    ]);
  }

  state(): PartState {
    const manifest = this.#encodedManifest();
    return {
      ...this.#state,
      items: this.#state.items + this.#files,
      files: this.#state.files + this.#files,
      bytes: this.#state.bytes + this.size,
      manifestBytes: this.#state.manifestBytes + manifest.length,
      manifestCrc: crc32(manifest, this.#state.manifestCrc),
      centralBytes: this.#state.centralBytes + this.#centralBytes,
    };
  }
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function hex(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += byte.toString(16).padStart(2, "0");
  return text;
}
