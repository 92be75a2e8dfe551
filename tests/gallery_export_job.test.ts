/** The gallery's export-job helpers: when a job is over, and its progress as a sentence. */

import assert from "node:assert/strict";
import { type ExportJob, jobEnded, jobProgress } from "../gallery/export_job.ts";

const job = (status: ExportJob["status"], extra: Partial<ExportJob> = {}): ExportJob => ({
  id: "j1",
  status,
  format: "zip",
  items: 1234,
  files: 1200,
  bytes: 5 * 1024 * 1024,
  download_url: null,
  error: null,
  ...extra,
});

Deno.test("jobEnded() is true for complete, failed and cancelled only", () => {
  assert.deepEqual(
    (["queued", "running", "complete", "failed", "cancelled"] as const).map((s) =>
      jobEnded(job(s))
    ),
    [false, false, true, true, true],
  );
});

Deno.test("jobProgress() says what the job has written, files only for a ZIP", () => {
  assert.equal(jobProgress(job("queued")), "Export (ZIP) queued…");
  assert.equal(
    jobProgress(job("running")),
    "Exporting (ZIP) at the edge: 1,234 attachments, 1,200 files, 5.00 MiB so far…",
  );
  assert.equal(
    jobProgress(job("complete", { format: "csv", items: 1, bytes: 300 })),
    "Export complete: 1 attachment, 300 B. Downloading…",
  );
  assert.equal(
    jobProgress(job("failed", { error: { code: "ACCESS_DENIED", message: "No access" } })),
    "The export failed: No access.",
  );
  assert.equal(jobProgress(job("cancelled")), "The export was cancelled.");
});
