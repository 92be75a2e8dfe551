/**
 * Composing a job's parts into its one result object, in steps.
 *
 * Why compose instead of writing each step's bytes straight into an R2 multipart upload: every
 * part of a multipart upload but the last must be at least 5 MiB, and a step's bytes are often
 * fewer (a page of NDJSON is ~60 KB; a ZIP step's files are what they are). So each step writes
 * its own small objects, and the compose steps read them in order and upload them as parts of
 * exactly {@link PART_BYTES} (equal sizes, as R2 wants) plus a last one. A compose step reads at
 * most {@link MAX_READS} objects (an invocation's operations on Cloudflare's services are
 * limited), and what it read but could not upload yet (less than one part) it leaves in a
 * `carry` object that the next compose step reads first. A result smaller than one part is
 * written with one `put`.
 *
 * The alternative, concatenating the parts at download time, would cost one R2 read per part on
 * every download (thousands for a big job, more than an invocation may make) and make `Range`
 * requests a search; composing once keeps the download a plain R2 object: `Content-Length` and
 * `Range` for free, and the parts are deleted after.
 *
 * For a ZIP the order is: every step's entries, the manifest's local header, every step's
 * manifest lines, every step's central directory headers, then the manifest's central header
 * and the end records (all computed from the last part's counters).
 *
 * Idempotent like the parts: the objects it reads are immutable, parts are uploaded under fixed
 * numbers (a retry overwrites them), and the carry of compose step `n` is a fixed key.
 *
 * @module
 */

import { type ExportFormat, jobKeys, resultMediaType } from "./job.ts";
import type { PartState } from "./part.ts";
import type { R2Bucket, R2UploadedPart } from "./runtime.ts";
import { centralHeader, endRecords, localHeader } from "./zip.ts";

/** The size of every uploaded part but the last (R2's minimum is 5 MiB). */
export const PART_BYTES = 5 * 1024 * 1024;
/** Objects one compose step reads at most. */
export const MAX_READS = 400;
/** The manifest's name in a ZIP. */
export const MANIFEST_NAME = "manifest.ndjson";

/** A compose step's checkpoint. */
export interface ComposeState {
  /** Compose steps run so far. */
  step: number;
  /** The next piece to read. */
  piece: number;
  uploadId: string | null;
  parts: R2UploadedPart[];
  /** The carry object left by the last compose step, if any. */
  carry: string | null;
  done: boolean;
  /** The result's size once done. */
  size: number;
}

/** The state before the first compose step. */
export function firstCompose(): ComposeState {
  return { step: 0, piece: 0, uploadId: null, parts: [], carry: null, done: false, size: 0 };
}

type Piece = { key: string } | { bytes: Uint8Array };

/** The ZIP's tail records for the manifest, from the last part's counters. */
function manifestRecords(final: PartState, completedAt: Date): {
  header: Uint8Array;
  tail: Uint8Array;
} {
  const entry = {
    name: MANIFEST_NAME,
    crc: final.manifestCrc,
    size: final.manifestBytes,
    offset: final.bytes,
    modified: completedAt,
  };
  const header = localHeader(entry);
  const central = centralHeader(entry);
  const end = endRecords({
    entries: final.files + 1,
    offset: final.bytes + header.length + final.manifestBytes,
    size: final.centralBytes + central.length,
  });
  const tail = new Uint8Array(central.length + end.length);
  tail.set(central);
  tail.set(end, central.length);
  return { header, tail };
}

/** The pieces of a result, in order, as a function of their index (`null` past the end). */
function pieces(
  job: string,
  format: ExportFormat,
  final: PartState,
  completedAt: Date,
): { at(index: number): Piece | null; size: number } {
  const n = final.seq;
  if (format !== "zip") {
    return {
      at: (index) => index < n ? { key: jobKeys.part(job, "data", index) } : null,
      size: final.bytes,
    };
  }
  const { header, tail } = manifestRecords(final, completedAt);
  return {
    at(index): Piece | null {
      if (index < n) return { key: jobKeys.part(job, "data", index) };
      if (index === n) return { bytes: header };
      if (index <= 2 * n) return { key: jobKeys.part(job, "manifest", index - n - 1) };
      if (index <= 3 * n) return { key: jobKeys.part(job, "central", index - 2 * n - 1) };
      if (index === 3 * n + 1) return { bytes: tail };
      return null;
    },
    size: final.bytes + header.length + final.manifestBytes + final.centralBytes + tail.length,
  };
}

/** The result's size, known from the last part's counters. */
export function resultSize(
  job: string,
  format: ExportFormat,
  final: PartState,
  completedAt: Date,
): number {
  return pieces(job, format, final, completedAt).size;
}

/** A growing buffer that hands out chunks of exactly `PART_BYTES`. */
class Buffer {
  #chunks: Uint8Array[] = [];
  size = 0;
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.size += bytes.length;
  }
  /** Takes the first `length` bytes out. */
  take(length: number): Uint8Array {
    const out = new Uint8Array(length);
    let at = 0;
    while (at < length) {
      const chunk = this.#chunks[0]!;
      const used = Math.min(chunk.length, length - at);
      out.set(chunk.subarray(0, used), at);
      at += used;
      if (used === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(used);
    }
    this.size -= length;
    return out;
  }
}

/**
 * Runs one compose step from `state`. `completedAt` must be the same in every step of a job (it
 * is the manifest's time in the ZIP, so the bytes are the same on every retry).
 */
export async function composeStep(
  bucket: R2Bucket,
  job: { id: string; format: ExportFormat; fileName: string },
  final: PartState,
  state: ComposeState,
  completedAt: Date,
): Promise<ComposeState> {
  const resultKey = jobKeys.result(job.id, job.format);
  const plan = pieces(job.id, job.format, final, completedAt);
  // A retry of a step that completed the upload but died before returning.
  const existing = await bucket.head(resultKey);
  if (existing !== null && existing.size === plan.size) {
    return { ...state, step: state.step + 1, done: true, size: existing.size };
  }
  const httpMetadata = {
    contentType: resultMediaType(job.format),
    contentDisposition: `attachment; filename="${job.fileName}"`,
  };
  const buffer = new Buffer();
  let reads = 0;
  if (state.carry !== null) {
    buffer.push(await read(bucket, state.carry));
    reads++;
  }
  let piece = state.piece;
  let uploadId = state.uploadId;
  const parts = [...state.parts];
  let finished = false;
  const upload = async (bytes: Uint8Array): Promise<void> => {
    if (uploadId === null) {
      uploadId = (await bucket.createMultipartUpload(resultKey, { httpMetadata })).uploadId;
    }
    const multipart = bucket.resumeMultipartUpload(resultKey, uploadId);
    parts.push(await multipart.uploadPart(parts.length + 1, bytes));
  };
  while (reads < MAX_READS) {
    const next = plan.at(piece);
    if (next === null) {
      finished = true;
      break;
    }
    if ("bytes" in next) {
      buffer.push(next.bytes);
    } else {
      buffer.push(await read(bucket, next.key));
      reads++;
    }
    piece++;
    while (buffer.size >= PART_BYTES) await upload(buffer.take(PART_BYTES));
  }
  if (!finished) {
    let carry: string | null = null;
    if (buffer.size > 0) {
      carry = jobKeys.carry(job.id, state.step);
      await bucket.put(carry, buffer.take(buffer.size));
    }
    return { step: state.step + 1, piece, uploadId, parts, carry, done: false, size: 0 };
  }
  const rest = buffer.take(buffer.size);
  if (uploadId === null) {
    // Smaller than one part: one put.
    await bucket.put(resultKey, rest, { httpMetadata });
  } else {
    if (rest.length > 0) await upload(rest);
    await bucket.resumeMultipartUpload(resultKey, uploadId).complete(parts);
  }
  const written = await bucket.head(resultKey);
  if (written === null || written.size !== plan.size) {
    throw new Error(
      `The composed result has ${written?.size ?? "no"} bytes where ${plan.size} were expected`,
    );
  }
  return { step: state.step + 1, piece, uploadId, parts, carry: null, done: true, size: plan.size };
}

async function read(bucket: R2Bucket, key: string): Promise<Uint8Array> {
  const object = await bucket.get(key);
  if (object === null) throw new Error(`The export part ${key} is missing`);
  return new Uint8Array(await object.arrayBuffer());
}

/** Deletes up to 1,000 of a job's part objects; returns whether any were left to delete. */
export async function deleteParts(bucket: R2Bucket, job: string): Promise<boolean> {
  const listed = await bucket.list({ prefix: jobKeys.partsPrefix(job), limit: 1000 });
  if (listed.objects.length > 0) await bucket.delete(listed.objects.map((object) => object.key));
  return listed.truncated;
}

/** Deletes every object of a job but its record, in batches of 1,000. */
export async function deleteJobObjects(bucket: R2Bucket, job: string): Promise<void> {
  let cursor: string | undefined;
  do {
    const listed = await bucket.list({
      prefix: jobKeys.prefix(job),
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    const keys = listed.objects.map((object) => object.key).filter((key) =>
      key !== jobKeys.record(job)
    );
    if (keys.length > 0) await bucket.delete(keys);
    cursor = listed.truncated ? listed.cursor : undefined;
  } while (cursor !== undefined);
}
