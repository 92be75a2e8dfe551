/**
 * `deno task bench`: the performance figures in one process and one go, a table on stdout
 * and everything measured in `bench/results.json`.
 *
 * 1. Throughput: a raw `fetch` keyset loop against `getAttachments()`, alternated, median items/s.
 * 2. Latency hiding: 20 ms per request and 20 ms of consumer work per page, prefetch off and on.
 * 3. Parallel scan: 20 ms per request, one lane against `concurrency: 8`, 3 to 300 pages, all
 *    four orders, requests counted (`parallel.ts`, on an emulator thread of its own).
 * 4. Memory: iterating 100,000 and 1,000,000 attachments, growth over the baseline.
 * 5. Validation: what `getAttachments()` adds per page of 100 to a plain fetch + `JSON.parse`
 *    loop, in process over recorded answers.
 * 6. Worker: `GET /api/v1/attachments` through workerd against the emulator directly, and
 *    `GET /health` (no key, no upstream) as the floor of any request; CPU per request; KV reads.
 * 7. Worker CPU per exported page of 100 (NDJSON, CSV), read from the workerd process, and how
 *    many pages fit the Free plan's 10 ms (`export_cpu.ts`).
 * 8. Export jobs on the local Workflow and R2 (`export_jobs.ts`).
 * 9. The anchors: toloka-kit 1.2.3's sync and async `get_attachments` against `getAttachments()`
 *    on the same emulator and pool, 100 a page (`anchors.ts`; skipped, with the reason, when
 *    toloka-kit cannot be installed into the virtual environment it creates).
 * 10. The size of the core bundled for the browser, minified, and gzipped (`bundle_size.ts`).
 * 11. Where the Worker's time goes on a listing: a V8 CPU profile of its isolate in workerd,
 *     by part (`worker_profile.ts`).
 * 12. The Worker's own JavaScript per request: its routes called in this process, no HTTP and no
 *     workerd, the emulator's part taken out; per listing, and per exported page with how many
 *     pages fit 10 ms (`worker_js.ts`: the lower bound to figures 6 and 7's upper one).
 *
 * Goals are ratios measured side by side in this run (these machines are shared and noisy);
 * absolute figures are context. Permissions: `--allow-net=127.0.0.1 --allow-read --allow-write
 * --allow-env --allow-run` (workerd), and `--v8-flags=--expose-gc` for clean memory baselines.
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { startEmulatorThread } from "./emulator_thread.ts";
import { measureLatency } from "./latency.ts";
import { measureMemory } from "./memory.ts";
import { describeRun, measureParallel, type ParallelRun } from "./parallel.ts";
import { fixed, int, signedMb } from "./stats.ts";
import { measureThroughput } from "./throughput.ts";
import { measureValidation } from "./validation.ts";
import { measureWorkerOverhead } from "./worker_overhead.ts";
import { measureExportCpu } from "./export_cpu.ts";
import { measureExportJobs } from "./export_jobs.ts";
import { measureAnchors } from "./anchors.ts";
import { kib, measureBundleSize } from "./bundle_size.ts";
import { profileWorker } from "./worker_profile.ts";
import { measureWorkerJs } from "./worker_js.ts";

const TOKEN = "test-token";
/**
 * Pool sizes of the loopback emulator: "1" throughput and anchors, "3" latency. Pool "2" is empty:
 * the parallel scan (figure 3) runs its own emulator thread with pools of its own.
 */
const POOLS = [100_000, 0, 2_000];

const started = performance.now();
const log = (line: string): void => console.log(`  ${line}`);
const section = (title: string): void => {
  console.log(`\n${title} (${((performance.now() - started) / 1000).toFixed(0)} s in)`);
};

console.log(
  `deno ${Deno.version.deno} (V8 ${Deno.version.v8}), ${navigator.hardwareConcurrency} cores, ${Deno.build.os}/${Deno.build.arch}`,
);

section("5. validation cost (in process)");
const validation = await measureValidation({ iterations: 500, rounds: 7, warmup: 2 });
log(
  `JSON.parse ${fixed(validation.jsonParse, 1)} µs, plain loop ${
    fixed(validation.plainLoop, 1)
  } µs, client ${fixed(validation.client, 1)} µs (order created ${
    fixed(validation.clientByCreated, 1)
  } µs) per page of 100`,
);

section("starting the loopback emulator in a worker thread");
const emulator = await startEmulatorThread(POOLS, TOKEN);
log(`${POOLS.join(" + ")} attachments built and indexed in ${int(emulator.builtMs)} ms`);

let throughput, latency, parallel, anchors;
try {
  section("1. throughput (loopback, 100,000 attachments)");
  throughput = await measureThroughput(
    emulator,
    { token: TOKEN, poolId: "1", size: POOLS[0] as number, warmup: 3, rounds: 9 },
    log,
  );

  section("2. latency hiding (20 ms per request, 20 ms of work per page)");
  latency = await measureLatency(emulator, {
    token: TOKEN,
    poolId: "3",
    size: POOLS[2] as number,
    latencyMs: 20,
    consumerMs: 20,
    rounds: 2,
  });

  section("3. parallel scan (20 ms per request, 300 / 3,000 / 30,000 attachments, own emulator)");
  parallel = await measureParallel({ sizes: [300, 3_000, 30_000], latencyMs: 20, repeats: 3 });
  for (const run of parallel.runs) log(describeRun(run));

  section(
    "9. anchors: toloka-kit 1.2.3 against getAttachments() (same server and pool, 100 a page)",
  );
  anchors = await measureAnchors(emulator, {
    token: TOKEN,
    poolId: "1",
    items: 20_000,
    rounds: 3,
    maxSeconds: 30,
  }, log);
  if (anchors.skipped !== undefined) log(`anchors: skipped — ${anchors.skipped}`);
} finally {
  emulator.close();
}

section("4. memory (in-process emulator, 100,000 and 1,000,000 attachments)");
const memory = await measureMemory([100_000, 1_000_000]);

section("12. the Worker's own JavaScript per request (its routes in process, Deno's V8)");
const workerJs = await measureWorkerJs({ log });
const jsPages = Math.min(...workerJs.exports.map((run) => run.pagesIn10Ms));

// Last: it loads Miniflare, whose Node modules change how the event loop schedules I/O.
section("6. Worker overhead (workerd via Miniflare, loopback)");
const worker = await measureWorkerOverhead({ warmup: 300, requests: 1_000 });

section("7. Worker CPU per exported page (workerd's own CPU time, /proc)");
const exportCpu = await measureExportCpu({ repeats: 20, log });
const fewestPages = Math.min(...exportCpu.runs.map((run) => run.pagesIn10Ms));
const exportJobs = await measureExportJobs();

section("10. browser bundle of the core (mod.ts, minified)");
const bundleSize = await measureBundleSize();
log(`${bundleSize.command}: ${kib(bundleSize.bytes)}, ${kib(bundleSize.gzipBytes)} gzip`);

section("11. where the Worker's time goes (V8 profile of its isolate, listings of 100)");
const profile = await profileWorker({ warmup: 300, requests: 1_000 });
const topParts = profile.parts.slice(0, 6);
for (const { part, msPerRequest } of profile.parts) log(`${fixed(msPerRequest, 3)} ms  ${part}`);

const totalSeconds = (performance.now() - started) / 1000;

// ---- verdicts ----

const [memory100k, memory1m] = memory.runs;
const retained = memory.runs.map((run) => run.retainedGrowth);
const memoryFlat = memory1m !== undefined && memory100k !== undefined &&
  memory1m.retainedGrowth - memory100k.retainedGrowth < 16e6;
const rawPageMicros = 100 / throughput.rawPerSecond * 1e6;
const parallelAt = (items: number): ParallelRun[] =>
  parallel.runs.filter((run) => run.items === items);
// `met` is null where there is nothing to meet (a size) or nothing was measured (a skip).
const rows: [string, string, string, boolean | null][] = [
  [
    "1. Throughput, `getAttachments()` / raw `fetch` loop",
    `raw ${int(throughput.rawPerSecond)}/s, client ${int(throughput.clientPerSecond)}/s: **${
      fixed(throughput.ratio)
    }**`,
    "≥ 0.85",
    throughput.ratio >= 0.85,
  ],
  [
    "2. Latency hiding, prefetch / no prefetch",
    `waiting consumer ${int(latency.waiting.withoutPrefetchMs)} → ${
      int(latency.waiting.withPrefetchMs)
    } ms: **${fixed(latency.waiting.ratio)}**; busy (CPU) consumer ${
      int(latency.busy.withoutPrefetchMs)
    } → ${int(latency.busy.withPrefetchMs)} ms: **${fixed(latency.busy.ratio)}**`,
    "≤ 0.6",
    latency.waiting.ratio <= 0.6 && latency.busy.ratio <= 0.6,
  ],
  [
    "3. Parallel scan, 8 lanes / 1 lane: items/s (requests, against one lane's)",
    [3_000, 30_000].map((items) =>
      `${int(items)}: ${
        parallelAt(items).map((run) =>
          `${run.order} **${fixed(run.speedup8, 1)}x** (${
            fixed(100 * (run.requestRatio8 - 1), 0)
          }% more)`
        ).join(", ")
      }`
    ).join("; "),
    "≥ 5x from 30 pages, ≥ 6.5x from 300",
    parallelAt(3_000).every((run) => run.speedup8 >= 5) &&
    parallelAt(30_000).every((run) => run.speedup8 >= 6.5),
  ],
  [
    "4. Memory, retained heap growth at 100,000 / 1,000,000 items",
    `**${retained.map((bytes) => signedMb(bytes)).join(" / ")}** (peaks left to V8: heap ${
      memory.runs.map((run) => signedMb(run.peakHeapGrowth)).join(" / ")
    }, RSS ${memory.runs.map((run) => signedMb(run.peakRssGrowth)).join(" / ")})`,
    "< 64 MB, flat",
    retained.every((bytes) => bytes < 64e6) && memoryFlat,
  ],
  [
    "5. Validation, µs per page of 100 that the client adds to a plain fetch + `JSON.parse` loop",
    `JSON.parse ${fixed(validation.jsonParse, 0)} µs; the client adds **${
      fixed(validation.clientCost, 0)
    } µs** (order created ${fixed(validation.clientCostByCreated, 0)} µs), ${
      fixed(100 * validation.clientCost / rawPageMicros, 0)
    }% of a raw page round trip, overlapped by prefetch`,
    "less than a raw page round trip",
    validation.clientCost < rawPageMicros,
  ],
  [
    "6. Worker, added latency p50 (p99); the floor of any request (`/health`); workerd CPU per request; KV reads per 1,000",
    `direct ${fixed(worker.direct.p50)} ms, Worker ${fixed(worker.worker.p50)} ms: **+${
      fixed(worker.addedP50)
    } ms** (p99 +${fixed(worker.addedP99)} ms); \`/health\` ${
      fixed(worker.floor.p50)
    } ms, so the listing's own part is +${fixed(worker.ownP50)} ms; CPU ${
      fixed(worker.cpuPerListingMs)
    } ms per listing, ${fixed(worker.cpuPerHealthMs)} ms per \`/health\`; KV reads **${
      worker.kvReadsPer1000 === null ? "n/a" : fixed(worker.kvReadsPer1000, 1)
    }**/1,000`,
    "≤ 1 ms; ~0",
    worker.addedP50 <= 1 && (worker.kvReadsPer1000 ?? Infinity) <= 1,
  ],
  [
    "7. Worker CPU per exported page of 100 (workerd process, upper bound); pages in 10 ms",
    exportCpu.runs.map((run) =>
      `${run.label} ${fixed(run.perPageMs)} ms/page (1-page export ${fixed(run.onePageMs)} ms)`
    ).join("; ") + `: **${fewestPages} pages** fit 10 ms`,
    "≥ 4 (the default SUBREQUEST_BUDGET)",
    fewestPages >= 4,
  ],
  [
    `8. Export jobs (local Workflow + R2, SUBREQUEST_BUDGET ${exportJobs.budget}): rate; steps and upstream requests per 10,000`,
    exportJobs.runs.map((run) =>
      `${run.format} **${int(run.perSecond)} ${run.format === "zip" ? "files" : "items"}/s**, ${
        int(run.stepsPer10k)
      } steps, ${int(run.requestsPer10k)} requests (≤ ${run.maxRequestsPerStep} a step)`
    ).join("; "),
    "no step over the budget",
    exportJobs.runs.every((run) => run.maxRequestsPerStep <= exportJobs.budget),
  ],
  anchors.skipped !== undefined
    ? [
      "9. Anchors, `getAttachments()` / toloka-kit 1.2.3 `get_attachments` (sync; async)",
      `skipped: ${anchors.skipped}`,
      "≥ 10x sync, ≥ 15x async",
      null,
    ]
    : [
      `9. Anchors, \`getAttachments()\` / toloka-kit ${anchors.tolokaKit} \`get_attachments\` (sync; async), first ${
        int(anchors.items)
      } of 100,000 by id, 100 a page`,
      `sync ${int(anchors.syncPerSecond)}/s, async ${int(anchors.asyncPerSecond)}/s, client ${
        int(anchors.clientPerSecond)
      }/s: **${fixed(anchors.vsSync, 1)}x** sync, **${fixed(anchors.vsAsync, 1)}x** async`,
      "≥ 10x sync, ≥ 15x async",
      anchors.vsSync >= 10 && anchors.vsAsync >= 15,
    ],
  [
    "10. Browser bundle of the core (`mod.ts`, minified)",
    `${kib(bundleSize.bytes)}, **${kib(bundleSize.gzipBytes)} gzip** (\`${bundleSize.command}\`)`,
    "measured",
    null,
  ],
  [
    "11. Worker isolate time per listing of 100 (V8 profile, ms; the log line's `console.log` apart)",
    `busy **${fixed(profile.isolateMsPerRequest)} ms**: ${
      topParts.map(({ part, msPerRequest }) => `${part} ${fixed(msPerRequest)}`).join("; ")
    }`,
    "measured",
    null,
  ],
  [
    "12. Worker's own JavaScript (routes in process, no HTTP or workerd): µs per request; per exported page; pages in 10 ms",
    `\`/health\` ${fixed(workerJs.healthUs, 0)} µs, listing of 100 **${
      fixed(workerJs.listingUs, 0)
    } µs**; exports ${
      workerJs.exports.map((run) =>
        `${run.label} ${fixed(run.onePageUs, 0)} µs + ${fixed(run.perPageUs, 0)} µs/page`
      ).join(", ")
    }: **${jsPages} pages** fit 10 ms`,
    "≥ 4 pages (the default SUBREQUEST_BUDGET)",
    jsPages >= 4,
  ],
];

console.log(`\n| goal | figure | target | met |\n| --- | --- | --- | --- |`);
for (const [goal, figure, target, met] of rows) {
  console.log(
    `| ${goal} | ${figure} | ${target} | ${met === null ? "n/a" : met ? "yes" : "**no**"} |`,
  );
}
console.log(
  `\n${navigator.hardwareConcurrency} cores, deno ${Deno.version.deno}; whole run ${
    totalSeconds.toFixed(0)
  } s. Details in bench/results.json.`,
);

const results = {
  date: new Date().toISOString(),
  deno: Deno.version,
  cores: navigator.hardwareConcurrency,
  seconds: totalSeconds,
  goals: rows.map(([goal, figure, target, met]) => ({ goal, figure, target, met })),
  throughput,
  latency,
  parallel,
  memory,
  validation,
  worker,
  exportCpu,
  exportJobs,
  anchors,
  bundleSize,
  profile,
  workerJs,
};
await Deno.writeTextFile(
  new URL("./results.json", import.meta.url),
  `${JSON.stringify(results, null, 2)}\n`,
);
