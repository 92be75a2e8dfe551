/**
 * "Export all" at the edge: an export job (`POST /api/v1/exports`) built by the Worker's Workflow
 * into R2, followed until it ends, then fetched through its signed `download_url` (a link the
 * browser opens with no `Authorization` header). This module holds what can be said without a
 * browser: the job's shape, whether it is over, and its progress as a sentence.
 *
 * @module
 */

import { formatBytes } from "../src/files/mod.ts";

/** An export job as `GET /api/v1/exports/{id}` shows it (the fields the page reads). */
export interface ExportJob {
  id: string;
  status: "queued" | "running" | "complete" | "failed" | "cancelled";
  format: string;
  items: number;
  files: number;
  bytes: number;
  download_url: string | null;
  error: { code: string; message: string } | null;
}

/** Whether a job has ended (complete, failed or cancelled). */
export function jobEnded(job: ExportJob): boolean {
  return job.status === "complete" || job.status === "failed" || job.status === "cancelled";
}

/** The job's state as one sentence for the status line. */
export function jobProgress(job: ExportJob): string {
  const counts = `${job.items.toLocaleString("en")} attachment${job.items === 1 ? "" : "s"}${
    job.format === "zip" ? `, ${job.files.toLocaleString("en")} files` : ""
  }, ${formatBytes(job.bytes)}`;
  switch (job.status) {
    case "queued":
      return `Export (${job.format.toUpperCase()}) queued…`;
    case "running":
      return `Exporting (${job.format.toUpperCase()}) at the edge: ${counts} so far…`;
    case "complete":
      return `Export complete: ${counts}. Downloading…`;
    case "failed":
      return `The export failed: ${job.error?.message ?? "no reason given"}.`;
    case "cancelled":
      return "The export was cancelled.";
  }
}
