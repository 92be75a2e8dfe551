/**
 * CPU time of the Worker per exported page of 100 attachments, measured on workerd itself: the
 * CPU the `workerd` process (started by Miniflare, `tests/edge_harness.ts`) spends while it
 * serves exports, read from `/proc/<pid>/stat` (user + system, all threads) before and after.
 * The upstream (the emulator and the harness's counting proxy) runs in this Deno process, so its
 * CPU is not counted. Workerd's own HTTP and stream handling is, which Cloudflare does not bill as
 * CPU time: the figure is an upper bound.
 *
 * Each export is measured at two sizes, 1 page and 100 pages, so the fixed cost of a request
 * (auth, routing, the first response) and the cost of each further page come apart:
 * `cpu = fixed + pages × perPage`. How many pages fit Cloudflare's 10 ms (Free plan) follows.
 *
 * Run alone: `deno run -A bench/export_cpu.ts`; `deno task bench` runs it as figure 7.
 *
 * @module
 */
// deno-lint-ignore-file no-console

/** One export format's figures. */
export interface ExportCpuRun {
  /** Format and order, e.g. `ndjson id`. */
  label: string;
  /** CPU of one single-page export, ms (the fixed cost plus one page). */
  onePageMs: number;
  /** CPU of each page after the first, ms. */
  perPageMs: number;
  /** Pages one invocation can write within 10 ms of CPU. */
  pagesIn10Ms: number;
}

/** The figures of {@linkcode measureExportCpu}. */
export interface ExportCpuResult {
  /** Clock ticks per second of `/proc` (the resolution of the readings). */
  ticksPerSecond: number;
  runs: ExportCpuRun[];
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * CPU seconds (user + system) of the workerd processes this process started. Read through `sh`
 * (Deno lets a program read `/proc` only with every permission; the bench runs with
 * `--allow-run`).
 */
export async function workerdCpuSeconds(): Promise<number> {
  const { stdout } = await new Deno.Command("sh", {
    args: ["-c", `for p in $(pgrep -P ${Deno.pid} -x workerd); do cat /proc/$p/stat; done`],
    stdout: "piped",
    stderr: "null",
  }).output();
  let ticks = 0;
  for (const stat of new TextDecoder().decode(stdout).split("\n")) {
    if (stat === "") continue;
    // pid (comm) state ppid ... utime(14) stime(15); comm may hold spaces, so split after ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** Measures the Worker's CPU per exported page; `repeats` exports of each size per format. */
export async function measureExportCpu(
  options: { repeats?: number; log?: (line: string) => void } = {},
): Promise<ExportCpuResult> {
  const repeats = options.repeats ?? 20;
  const log = options.log ?? ((line: string) => console.log(`  ${line}`));
  const { startEdge } = await import("../tests/edge_harness.ts");
  // Pool 1: one page of 100; pool 2: 100 pages. A budget that never stops an export.
  const edge = await startEdge({ emulator: { pools: [100, 10_000] }, subrequestBudget: 10_000 });
  if (await workerdCpuSeconds() === 0) {
    await edge.close();
    throw new Error("No workerd child process found under /proc: cannot read its CPU time");
  }
  try {
    const { key } = await edge.issue({ pools: null });
    const exportOnce = async (path: string): Promise<void> => {
      const response = await fetch(edge.url + path, { headers: { Authorization: `OAuth ${key}` } });
      const text = await response.text();
      if (response.status !== 200 || /"next"|^#next/m.test(text)) {
        throw new Error(`${path}: ${response.status} ${text.slice(0, 200)}`);
      }
    };
    const cpuOf = async (path: string): Promise<number> => {
      for (let i = 0; i < 3; i++) await exportOnce(path); // warm up the isolate
      const before = await workerdCpuSeconds();
      for (let i = 0; i < repeats; i++) await exportOnce(path);
      return (await workerdCpuSeconds() - before) * 1000 / repeats;
    };
    const runs: ExportCpuRun[] = [];
    for (const [format, order] of [["ndjson", "id"], ["csv", "id"], ["ndjson", "created"]]) {
      const one = await cpuOf(`/api/v1/attachments.${format}?pool_id=1&sort=${order}`);
      const hundred = await cpuOf(`/api/v1/attachments.${format}?pool_id=2&sort=${order}`);
      const perPageMs = (hundred - one) / 99;
      const fixedMs = one - perPageMs;
      const pagesIn10Ms = Math.max(0, Math.floor((10 - fixedMs) / perPageMs));
      const label = `${format} ${order}`;
      runs.push({ label, onePageMs: one, perPageMs, pagesIn10Ms });
      log(
        `${label}: 1 page ${one.toFixed(2)} ms, 100 pages ${
          hundred.toFixed(1)
        } ms of workerd CPU: ${
          perPageMs.toFixed(3)
        } ms per further page; ${pagesIn10Ms} pages fit 10 ms`,
      );
    }
    return { ticksPerSecond: TICKS_PER_SECOND, runs };
  } finally {
    await edge.close();
  }
}

if (import.meta.main) await measureExportCpu();
