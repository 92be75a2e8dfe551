/**
 * The Worker's own JavaScript per request: its routes (`worker/app.ts`) called directly in this
 * process, in Deno's V8 (the engine workerd runs), with no HTTP and no workerd around them. What
 * Cloudflare bills as CPU time is the JavaScript an invocation runs; the figures of
 * `export_cpu.ts` and `worker_overhead.ts` also hold workerd's own HTTP, streams and, under
 * Miniflare, its entry and asset-router Workers, so they bound it from above. These bound it
 * from below (no rate-limiter binding, KV in memory).
 *
 * The key store is the real one (`MemoryKv` from `./keys`, a key issued and sealed as the CLI
 * does), read through the Worker's key cache as in a warm isolate. The upstream is the emulator
 * in process: every request the Worker sends it is recorded, and the same requests are timed
 * against the emulator alone and subtracted, so what is left is the Worker's.
 *
 * - `GET /health`, and `GET /api/v1/attachments` (a page of 100): microseconds per request.
 * - Exports of 1 and of 100 pages (NDJSON and CSV by id, NDJSON by `created`): the fixed part and
 *   the part of each further page, and how many pages fit 10 ms (the Free plan's CPU per
 *   invocation) on this machine.
 *
 * Standalone: `deno run -A bench/worker_js.ts` (about 20 s); `deno task bench` runs it as figure
 * 12. `--profile` instead samples a V8 CPU profile of listings (through `--inspect`) and prints
 * the share of each module and function, for where the time goes.
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { router } from "../worker/app.ts";
import { generateSealingKey, issueKey, MemoryKv } from "../src/keys/mod.ts";
import { TolokaEmulator } from "../src/testing/mod.ts";
import { type CpuProfile, freePort, inspect } from "./worker_profile.ts";

/** One export's figures, microseconds of JavaScript. */
export interface WorkerJsExport {
  label: string;
  onePageUs: number;
  perPageUs: number;
  /** Pages one invocation writes within 10 ms of JavaScript. */
  pagesIn10Ms: number;
}

/** What {@linkcode measureWorkerJs} reports, microseconds per request. */
export interface WorkerJsResult {
  healthUs: number;
  /** The listing's time, the emulator's part taken out. */
  listingUs: number;
  /** The emulator's part of a listing (its time alone, not counted above). */
  upstreamUs: number;
  exports: WorkerJsExport[];
}

const UPSTREAM = "https://upstream.invalid/api/v1";
/** The console's own `log`: the Worker's log lines are silenced while it runs. */
const print = console.log.bind(console);
const EDGE = "https://edge.invalid";

/** The Worker's routes over the emulator in process, and a way to time them. */
async function setUp(): Promise<{
  call(path: string): Promise<string>;
  /** Every upstream request since the last call of `take`. */
  take(): Request[];
  emulator: TolokaEmulator;
  restore(): void;
}> {
  // Pool 1: one page of 100; pool 2: 100 pages.
  const emulator = new TolokaEmulator({ pools: [100, 10_000], tokens: ["upstream-token"] });
  const kv = new MemoryKv();
  const sealingKey = generateSealingKey();
  const { key } = await issueKey(kv, sealingKey, {
    name: "bench",
    upstreamToken: "upstream-token",
    pools: null,
  });
  const env = {
    TOKENS: kv,
    TOLOKA_API_URL: UPSTREAM,
    SUBREQUEST_BUDGET: "10000",
    TOKEN_SEALING_KEY: sealingKey,
    CORS_ORIGINS: "",
    KEY_CACHE_TTL_MS: "600000",
  };
  const ctx = { waitUntil: (): void => {}, passThroughOnException: (): void => {} };
  let sent: Request[] = [];
  // The Worker sends its subrequests with the global `fetch`.
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((request: Request) => {
    sent.push(request.clone());
    return emulator.fetch(request);
  }) as typeof fetch;
  // The log line is the Worker's work too, but printing it is the terminal's.
  const realLog = console.log;
  console.log = (): void => {};
  return {
    async call(path: string): Promise<string> {
      const request = new Request(EDGE + path, { headers: { Authorization: `OAuth ${key}` } });
      const response = await router.fetch(request as never, env as never, ctx as never);
      const text = await response.text();
      if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
      return text;
    },
    take(): Request[] {
      const taken = sent;
      sent = [];
      return taken;
    },
    emulator,
    restore(): void {
      globalThis.fetch = realFetch;
      console.log = realLog;
    },
  };
}

/** Microseconds per call of `work`, after a warm-up, over at least `minMs`. */
async function perCall(work: () => Promise<unknown>, minMs: number): Promise<number> {
  for (let i = 0; i < 50; i++) await work();
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < minMs || calls < 20) {
    await work();
    calls++;
  }
  return ((performance.now() - start) * 1000) / calls;
}

/** Measures the Worker's own JavaScript per request; each figure is timed over `minMs`. */
export async function measureWorkerJs(
  options: { minMs?: number; log?: (line: string) => void } = {},
): Promise<WorkerJsResult> {
  const minMs = options.minMs ?? 1_500;
  const log = options.log ?? ((line: string) => print(`  ${line}`));
  const edge = await setUp();
  try {
    /** The Worker's time for `path`, less the emulator's for the same upstream requests. */
    const own = async (path: string): Promise<{ us: number; upstreamUs: number }> => {
      edge.take();
      await edge.call(path);
      const upstream = edge.take();
      const us = await perCall(() => edge.call(path), minMs);
      edge.take();
      const upstreamUs = await perCall(async () => {
        for (const request of upstream) await (await edge.emulator.fetch(request.clone())).text();
      }, minMs / 2);
      return { us: us - upstreamUs, upstreamUs };
    };
    const healthUs = (await own("/health")).us;
    const listing = await own("/api/v1/attachments?pool_id=1&limit=100");
    log(
      `GET /health ${healthUs.toFixed(0)} µs; a listing page of 100 ${
        listing.us.toFixed(0)
      } µs (the emulator's ${listing.upstreamUs.toFixed(0)} µs taken out)`,
    );
    const exports: WorkerJsExport[] = [];
    for (const [format, order] of [["ndjson", "id"], ["csv", "id"], ["ndjson", "created"]]) {
      const one = (await own(`/api/v1/attachments.${format}?pool_id=1&sort=${order}`)).us;
      const hundred = (await own(`/api/v1/attachments.${format}?pool_id=2&sort=${order}`)).us;
      const perPageUs = (hundred - one) / 99;
      const pagesIn10Ms = Math.max(0, 1 + Math.floor((10_000 - one) / perPageUs));
      const label = `${format} ${order}`;
      exports.push({ label, onePageUs: one, perPageUs, pagesIn10Ms });
      log(
        `export ${label}: 1 page ${one.toFixed(0)} µs, each further page ${
          perPageUs.toFixed(0)
        } µs: ${pagesIn10Ms} pages fit 10 ms`,
      );
    }
    return { healthUs, listingUs: listing.us, upstreamUs: listing.upstreamUs, exports };
  } finally {
    edge.restore();
  }
}

/** Listings for `seconds`, for the profiler (`--profile`). */
async function listFor(seconds: number): Promise<void> {
  const edge = await setUp();
  const stop = performance.now() + seconds * 1000;
  while (performance.now() < stop) await edge.call("/api/v1/attachments?pool_id=1&limit=100");
  edge.restore();
}

/**
 * Runs {@linkcode listFor} in a child Deno under the inspector and prints the share of CPU
 * samples by module and by function (self time; idle left out).
 */
async function profileListings(): Promise<void> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `--inspect-wait=127.0.0.1:${port}`, new URL(import.meta.url).pathname],
    env: { WORKER_JS_LIST_SECONDS: "14" },
    stdout: "inherit",
    stderr: "null",
  }).spawn();
  let targets: { webSocketDebuggerUrl: string }[] = [];
  for (let attempt = 0; attempt < 50 && targets.length === 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    targets = await fetch(`http://127.0.0.1:${port}/json/list`).then((r) => r.json(), () => []);
  }
  const session = await inspect(
    (targets[0] as { webSocketDebuggerUrl: string }).webSocketDebuggerUrl,
  );
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: 100 });
  await session.send("Runtime.runIfWaitingForDebugger");
  await new Promise((resolve) => setTimeout(resolve, 4_000)); // set-up and JIT warm-up
  await session.send("Profiler.start");
  await new Promise((resolve) => setTimeout(resolve, 8_000));
  const { profile } = await session.send("Profiler.stop") as unknown as { profile: CpuProfile };
  session.close();
  child.kill();
  await child.status;
  const self = new Map<number, number>();
  profile.samples.forEach((node, index) =>
    self.set(node, (self.get(node) ?? 0) + (profile.timeDeltas[index + 1] ?? 0))
  );
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  const root = new URL("..", import.meta.url).href;
  for (const { id, callFrame } of profile.nodes) {
    const { functionName, url, lineNumber } = callFrame;
    if (["(idle)", "(program)", "(root)"].includes(functionName)) continue;
    const us = self.get(id) ?? 0;
    total += us;
    const module = url === ""
      ? `(V8) ${functionName}`
      : url.replace(root, "").replace(/.*node_modules\/\.deno\/([^/]+)\/.*/, "npm:$1");
    byModule.set(module, (byModule.get(module) ?? 0) + us);
    const name = `${functionName || "(anonymous)"} ${module}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  }
  const top = (shares: Map<string, number>, count: number): void => {
    for (const [name, us] of [...shares].sort((a, b) => b[1] - a[1]).slice(0, count)) {
      print(`  ${(100 * us / total).toFixed(1).padStart(5)}%  ${name}`);
    }
  };
  print(`Listings, ${(total / 1000).toFixed(0)} ms of samples. By module:`);
  top(byModule, 16);
  print("By function:");
  top(byFunction, 20);
}

if (import.meta.main) {
  const listSeconds = Deno.env.get("WORKER_JS_LIST_SECONDS");
  if (listSeconds !== undefined) await listFor(Number(listSeconds));
  else if (Deno.args.includes("--profile")) await profileListings();
  else await measureWorkerJs();
}
