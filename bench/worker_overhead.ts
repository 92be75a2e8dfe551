/**
 * Goal 6, the Worker's overhead: `GET /api/v1/attachments` (a page of 100) through the bundled
 * Worker in workerd (Miniflare, `tests/edge_harness.ts`) against the same request straight to the
 * emulator it proxies, both over loopback, warm, alternated request by request; p50 and p99 of
 * each. Alternated with them, `GET /health` through the same Worker: no key, no upstream, so it
 * is the floor any request pays in this local workerd (Miniflare's entry Worker and the asset
 * router in front of ours, HTTP in and out, the log line), and `listing - floor - direct` is what
 * the listing's own work adds. Then the `workerd` process's CPU per listing and per `/health`,
 * from `/proc`, in blocks. And how many key lookups read KV: the Worker's log line says
 * `key_lookup: "kv"` or `"cache"` for each request.
 *
 * The harness is imported when this runs, not before: loading Miniflare (Node modules) changes
 * how Deno's event loop schedules I/O for the whole process, which would skew every benchmark
 * that runs after the import (the bench runs this one last).
 *
 * @module
 */

import { workerdCpuSeconds } from "./export_cpu.ts";
import { percentile } from "./stats.ts";

/** What {@linkcode measureWorkerOverhead} reports (milliseconds). */
export interface WorkerOverheadResult {
  requests: number;
  direct: { p50: number; p99: number };
  worker: { p50: number; p99: number };
  /**
   * `GET /health` through the same Worker (no key, no upstream): what any request costs in this
   * local workerd (Miniflare's entry and asset-router Workers, HTTP, the log line) before the
   * Worker's own work.
   */
  floor: { p50: number; p99: number };
  /** `worker.p50 - direct.p50`. */
  addedP50: number;
  /**
   * What the listing itself adds over the floor and the upstream's own time:
   * `worker.p50 - floor.p50 - direct.p50` (auth, the upstream call from workerd, checking and
   * re-serialising the page).
   */
  ownP50: number;
  /** CPU (user + system) of the `workerd` process per listing and per `/health`, ms. */
  cpuPerListingMs: number;
  cpuPerHealthMs: number;
  addedP99: number;
  /** Measured requests whose log line says the key was read from KV, per 1,000 requests. */
  kvReadsPer1000: number | null;
  /** How many measured requests had a log line with `key_lookup` (null: the field is missing). */
  loggedLookups: number;
  /** Milliseconds to bundle the Worker and start workerd. */
  startMs: number;
}

async function timedGet(url: string, authorization?: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, authorization ? { headers: { authorization } } : {});
  const body = await response.arrayBuffer();
  const ms = performance.now() - started;
  if (response.status !== 200 || body.byteLength < (authorization ? 1_000 : 1)) {
    throw new Error(`${url} answered ${response.status}`);
  }
  return ms;
}

/** Warms both paths up with `warmup` requests each, then measures `requests` pairs. */
export async function measureWorkerOverhead(
  options: { warmup: number; requests: number },
): Promise<WorkerOverheadResult> {
  const { startEdge, UPSTREAM_TOKEN } = await import("../tests/edge_harness.ts");
  const started = performance.now();
  // Straight to the emulator: the tests' counting proxy would add a loopback hop to the figure.
  const edge = await startEdge({ countSubrequests: false });
  try {
    const startMs = performance.now() - started;
    const { key } = await edge.issue({ name: "bench", pools: ["1"] });
    const query = "/attachments?pool_id=1&limit=100";
    const viaWorker = (): Promise<number> => timedGet(`${edge.url}/api/v1${query}`, `OAuth ${key}`);
    const direct = (): Promise<number> =>
      timedGet(`${edge.upstream.baseUrl}${query}`, `OAuth ${UPSTREAM_TOKEN}`);
    const health = (): Promise<number> => timedGet(`${edge.url}/health`);
    for (let index = 0; index < options.warmup; index++) {
      await direct();
      await viaWorker();
      await health();
    }
    // Log lines of the warm-up may still be on their way.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const firstLine = edge.logs.length;
    const directMs: number[] = [];
    const workerMs: number[] = [];
    const floorMs: number[] = [];
    for (let index = 0; index < options.requests; index++) {
      directMs.push(await direct());
      workerMs.push(await viaWorker());
      floorMs.push(await health());
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    let lookups = 0;
    let kvReads = 0;
    for (const line of edge.logs.slice(firstLine)) {
      let entry: { route?: unknown; key_lookup?: unknown };
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      if (entry.key_lookup === undefined) continue;
      lookups++;
      if (entry.key_lookup === "kv") kvReads++;
    }
    // CPU apart, in blocks: reading /proc takes a process start, too slow between requests.
    const cpuOf = async (send: () => Promise<number>): Promise<number> => {
      const before = await workerdCpuSeconds();
      for (let index = 0; index < options.requests; index++) await send();
      return (await workerdCpuSeconds() - before) * 1000 / options.requests;
    };
    const cpuPerListingMs = await cpuOf(viaWorker);
    const cpuPerHealthMs = await cpuOf(health);
    const stats = (values: number[]): { p50: number; p99: number } => ({
      p50: percentile(values, 50),
      p99: percentile(values, 99),
    });
    const d = stats(directMs);
    const w = stats(workerMs);
    const f = stats(floorMs);
    return {
      requests: options.requests,
      direct: d,
      worker: w,
      floor: f,
      addedP50: w.p50 - d.p50,
      ownP50: w.p50 - f.p50 - d.p50,
      cpuPerListingMs,
      cpuPerHealthMs,
      addedP99: w.p99 - d.p99,
      kvReadsPer1000: lookups === 0 ? null : (kvReads / options.requests) * 1000,
      loggedLookups: lookups,
      startMs,
    };
  } finally {
    await edge.close();
  }
}

if (import.meta.main) {
  // deno-lint-ignore no-console
  console.log(await measureWorkerOverhead({ warmup: 200, requests: 1_000 }));
}
