/**
 * An export job's record and where its objects live in R2.
 *
 * The record is a JSON object in the same bucket as the result, `exports/<id>/job.json`:
 *
 * - R2 reads are strongly consistent right after a write, so a job is visible at once to the
 *   `GET` that follows the `POST` (KV could answer 404 for up to a minute), and a cancel is seen
 *   by the next step;
 * - the record, the parts and the result share one prefix, so one R2 lifecycle rule expires them
 *   all, and one `list` finds everything a job wrote;
 * - the Workflow instance's own status cannot carry progress (a step's result is visible only
 *   to the instance) nor the owner, so it is read only to notice an instance that died without
 *   writing its end (see {@linkcode reconcile}).
 *
 * Steps write progress at most about once a second (R2 limits writes to one object), and the
 * final state always.
 *
 * @module
 */

import type { AttachmentFilter, Order } from "../../mod.ts";
import type { R2Bucket, WorkflowInstanceStatus } from "./runtime.ts";

/** The three formats of a job. */
export const EXPORT_FORMATS = ["ndjson", "csv", "zip"] as const;
/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = typeof EXPORT_FORMATS[number];

/** A job's lifecycle. */
export type JobStatus = "queued" | "running" | "complete" | "failed" | "cancelled";

/** Toloka's error object, as a job reports why it failed. */
export interface JobError {
  code: string;
  message: string;
  payload: null;
}

/** The record stored in R2. Holds no key, token or signature: `owner` is the key record's hash. */
export interface JobRecord {
  v: 1;
  id: string;
  /** The KV key (`key:<sha256 hex>`) of the API key that created the job. */
  owner: string;
  status: JobStatus;
  format: ExportFormat;
  /** The filter as the caller gave it, validated and normalised. */
  filter: AttachmentFilter;
  order: Order;
  items: number;
  files: number;
  bytes: number;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  expires_at: string | null;
  /** Size of the result object once complete. */
  size: number | null;
  error: JobError | null;
}

/** What the Workflow instance is created with (persisted by Workflows: nothing secret). */
export interface JobParams {
  id: string;
  owner: string;
  format: ExportFormat;
  order: Order;
  /** The filter to list with (the caller's, narrowed to its scope). */
  filter: AttachmentFilter;
}

/** A job id: 32 hex digits, also the Workflow instance id. */
export function newJobId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

/** Whether a path segment can be a job id (checked before any R2 read). */
export function isJobId(text: string): boolean {
  return /^[0-9a-f]{32}$/.test(text);
}

/** Where a job's objects live. */
export const jobKeys = {
  prefix: (id: string): string => `exports/${id}/`,
  record: (id: string): string => `exports/${id}/job.json`,
  result: (id: string, format: ExportFormat): string => `exports/${id}/result.${format}`,
  /** What step `seq` wrote: the archive's bytes (or the text), and for a ZIP its records. */
  part: (id: string, kind: "data" | "central" | "manifest", seq: number): string =>
    `exports/${id}/parts/${kind}-${String(seq).padStart(6, "0")}`,
  partsPrefix: (id: string): string => `exports/${id}/parts/`,
  /** Bytes a compose step read but could not yet upload (a part must be 5 MiB but the last). */
  carry: (id: string, step: number): string =>
    `exports/${id}/parts/carry-${String(step).padStart(6, "0")}`,
};

/** Reads a job's record; `null` when there is none. */
export async function readJob(bucket: R2Bucket, id: string): Promise<JobRecord | null> {
  return (await readJobWithEtag(bucket, id))?.record ?? null;
}

async function readJobWithEtag(
  bucket: R2Bucket,
  id: string,
): Promise<{ record: JobRecord; etag: string } | null> {
  const object = await bucket.get(jobKeys.record(id));
  if (object === null) return null;
  const record = JSON.parse(await object.text()) as JobRecord;
  return record.v === 1 && record.id === id ? { record, etag: object.etag } : null;
}

/**
 * Changes a job's record unless it is gone or cancelled: read it, change it, and write only if it
 * is still the record read (R2's etag condition), else read again. The `DELETE` route writes
 * `cancelled` unconditionally, so a step that read `running` just before can never write over it.
 *
 * @returns The record written, or `null` when the job is gone or was cancelled.
 * @throws {Error} When the record changed under every one of a few tries.
 */
export async function updateJob(
  bucket: R2Bucket,
  id: string,
  change: (record: JobRecord) => JobRecord,
): Promise<JobRecord | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const read = await readJobWithEtag(bucket, id);
    if (read === null || read.record.status === "cancelled") return null;
    const next = change(read.record);
    const written = await bucket.put(jobKeys.record(id), JSON.stringify(next), {
      httpMetadata: { contentType: "application/json" },
      onlyIf: { etagMatches: read.etag },
    });
    if (written !== null) return next;
  }
  throw new Error(`The record of job ${id} kept changing under its update`);
}

/** Writes a job's record. */
export async function writeJob(bucket: R2Bucket, record: JobRecord): Promise<void> {
  await bucket.put(jobKeys.record(record.id), JSON.stringify(record), {
    httpMetadata: { contentType: "application/json" },
  });
}

/**
 * The record as the caller should see it, given the Workflow instance's status: an instance that
 * errored or was terminated without writing its end is `failed` or `cancelled`.
 */
export function reconcile(record: JobRecord, instance: WorkflowInstanceStatus | null): JobRecord {
  if (record.status !== "queued" && record.status !== "running") return record;
  if (instance === null) return record;
  if (instance.status === "terminated") return { ...record, status: "cancelled" };
  if (instance.status === "errored") {
    return {
      ...record,
      status: "failed",
      error: { code: "INTERNAL_ERROR", message: "The export job stopped", payload: null },
    };
  }
  return record;
}

/** The file name a download is offered under. */
export function resultFileName(record: JobRecord): string {
  const scope = record.filter.pool_id !== undefined
    ? `pool-${record.filter.pool_id}`
    : `assignment-${record.filter.assignment_id}`;
  return `attachments-${scope}-${record.id.slice(0, 8)}.${record.format}`.replace(
    /[^A-Za-z0-9._-]/g,
    "_",
  );
}

/** The media type of a result. */
export function resultMediaType(format: ExportFormat): string {
  return format === "zip"
    ? "application/zip"
    : format === "csv"
    ? "text/csv; charset=utf-8"
    : "application/x-ndjson; charset=utf-8";
}

/** When a completed job's result expires. */
export function expiryOf(completedAt: Date, ttlDays: number): Date {
  return new Date(completedAt.getTime() + ttlDays * 24 * 60 * 60 * 1000);
}

/**
 * `EXPORT_TTL_DAYS` (default 7, 1 to 365).
 *
 * @throws {Error} When the var is set to anything else.
 */
export function exportTtlDays(value: string | undefined): number {
  const text = value?.trim() ?? "";
  if (text === "") return 7;
  const days = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  if (!(days >= 1 && days <= 365)) {
    throw new Error(
      `EXPORT_TTL_DAYS must be an integer from 1 to 365: current value is ${JSON.stringify(text)}`,
    );
  }
  return days;
}
