/**
 * Export jobs on this machine: the bundled Worker in workerd with its local Workflow and R2
 * (Miniflare), the emulator upstream on loopback. Runs an NDJSON job over 10,000 attachments and
 * a ZIP job over 2,000 files at `SUBREQUEST_BUDGET` 45 (alone, also at 4 with 300 files) and
 * reports items/s and files/s from
 * `POST` to `complete`, and the Workflow steps and upstream requests it took, per 10,000
 * attachments.
 *
 * Run alone: `deno run -A bench/export_jobs.ts`; `deno task bench` runs it as figure 8.
 *
 * @module
 */

/** One job's figures. */
export interface ExportJobRun {
  format: "ndjson" | "zip";
  items: number;
  bytes: number;
  seconds: number;
  /** Items (ndjson) or files (zip) per second, from the POST to `complete`. */
  perSecond: number;
  /** Workflow steps (part, compose and the rest) per 10,000 attachments. */
  stepsPer10k: number;
  /** Upstream requests per 10,000 attachments. */
  requestsPer10k: number;
  /** The most upstream requests any step made. */
  maxRequestsPerStep: number;
}

/** What {@link measureExportJobs} reports. */
export interface ExportJobsResult {
  budget: number;
  runs: ExportJobRun[];
}

/**
 * Runs the two jobs at `budget` (45 by default; 4 is the Free plan's default): an NDJSON job over
 * `items` attachments and a ZIP job over `files` files.
 */
export async function measureExportJobs(
  options: { budget?: number; items?: number; files?: number } = {},
): Promise<ExportJobsResult> {
  const budget = options.budget ?? 45;
  // Imported here, not at the top: loading Miniflare (Node modules) changes how the event loop
  // schedules I/O, which would skew the figures `deno task bench` measures before this one.
  const { startExports } = await import("../tests/export_harness.ts");
  const edge = await startExports({
    emulator: { pools: [options.items ?? 10_000, options.files ?? 2_000] },
    subrequestBudget: budget,
  });
  try {
    const { key } = await edge.issue({ pools: null });
    const runs: ExportJobRun[] = [];
    for (const [format, pool] of [["ndjson", "1"], ["zip", "2"]] as const) {
      const started = performance.now();
      const created = await edge.create(key, { filter: { pool_id: pool }, format });
      const id = JSON.parse(created.text).id as string;
      const job = await edge.waitFor(key, id, 600_000);
      const seconds = (performance.now() - started) / 1000;
      if (job.status !== "complete") throw new Error(`job ${id} ended ${job.status}`);
      const steps = edge.stepLines(id).filter((line) =>
        typeof line.step === "string" && line.status !== "error"
      ).length;
      const counts = [...edge.subrequests].filter(([name]) =>
        name.startsWith(`export-${id}-`)
      );
      const requests = counts.reduce((sum, [, count]) => sum + count.total, 0);
      const scale = 10_000 / job.items;
      runs.push({
        format,
        items: job.items,
        bytes: job.bytes,
        seconds,
        perSecond: job.items / seconds,
        stepsPer10k: steps * scale,
        requestsPer10k: requests * scale,
        maxRequestsPerStep: Math.max(0, ...counts.map(([, count]) => count.total)),
      });
    }
    return { budget, runs };
  } finally {
    await edge.close();
  }
}

if (import.meta.main) {
  // At 45, and at the Free plan's default of 4 (a smaller ZIP: a step writes 3 files there).
  for (const options of [{ budget: 45 }, { budget: 4, files: 300 }]) {
    const result = await measureExportJobs(options);
    // deno-lint-ignore no-console -- a benchmark's output
    console.log(JSON.stringify(result));
  }
}
