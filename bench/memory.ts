/**
 * Goal 4, memory: iterating 100,000 and then 1,000,000 attachments (in-process emulator) with a
 * consumer that drops them. Growth is measured over a baseline taken after the emulator is built,
 * indexed and its cache of served JSON filled, and a full garbage collection
 * (`--v8-flags=--expose-gc`).
 *
 * Two passes per size. The first forces a full collection every 50,000 items and keeps the most
 * the live heap grew: what the iteration holds, the goal's figure. The second leaves collection
 * to V8 and records the peaks of the heap used (live plus garbage) and of the resident set: how
 * much garbage piles up depends on V8's schedule, which scales with the half a gigabyte of
 * emulator data sharing the heap, not on the listing.
 *
 * It runs in a worker thread: a heap of its own (`heapUsed` is that isolate's), freed when it
 * ends, so the emulator's half a gigabyte weighs on no other benchmark. RSS is the process's.
 *
 * @module
 */

import { AttachmentsClient } from "../mod.ts";
import { TolokaEmulator } from "../src/testing/mod.ts";

/** One listing's figures. */
export interface MemoryRun {
  items: number;
  /**
   * The goal's figure: growth of the live heap (used, after a full collection, plus external
   * buffers), the most of the samples taken every {@linkcode COLLECT_EVERY} items (negative when
   * the live heap only shrank: V8 let go of more than the iteration holds).
   */
  retainedGrowth: number;
  /**
   * In a second pass without forced collections, the peak growth of the heap used (live and
   * garbage not yet collected) and of the process's resident set, sampled every 1,000 items:
   * what V8's collection timing makes of it.
   */
  peakHeapGrowth: number;
  peakRssGrowth: number;
  /** Items/s of that second pass, for context. */
  perSecond: number;
}

/** What {@linkcode measureMemory} reports. */
export interface MemoryResult {
  /** Milliseconds to generate and index the emulator's attachments. */
  setupMs: number;
  /** The isolate's heap used at the baseline: mostly the emulator's data. */
  baselineHeap: number;
  runs: MemoryRun[];
  /** Whether `gc()` was available (`--v8-flags=--expose-gc`); without it no live figure. */
  exposedGc: boolean;
}

/** Items between forced collections in the first pass. */
export const COLLECT_EVERY = 50_000;

const gc = (globalThis as { gc?: () => void }).gc;

function used(): { heap: number; rss: number } {
  const usage = Deno.memoryUsage();
  return { heap: usage.heapUsed + usage.external, rss: usage.rss };
}

async function list(
  client: AttachmentsClient,
  poolId: string,
  expected: number,
  every: number,
  sample: () => void,
): Promise<number> {
  let count = 0;
  const started = performance.now();
  for await (const _attachment of client.getAttachments({ pool_id: poolId })) {
    if (++count % every === 0) sample();
  }
  if (count !== expected) throw new Error(`listed ${count} of ${expected} items`);
  return count / ((performance.now() - started) / 1000);
}

async function run(
  client: AttachmentsClient,
  poolId: string,
  expected: number,
): Promise<MemoryRun> {
  // Pass 1: what stays reachable, sampled after full collections.
  gc?.();
  const base = used().heap;
  let retained = -Infinity;
  await list(client, poolId, expected, COLLECT_EVERY, () => {
    gc?.();
    retained = Math.max(retained, used().heap - base);
  });
  // Pass 2: left to V8, peaks of heap used (with garbage) and of RSS.
  gc?.();
  const start = used();
  let peakHeap = 0;
  let peakRss = 0;
  const perSecond = await list(client, poolId, expected, 1_000, () => {
    const now = used();
    peakHeap = Math.max(peakHeap, now.heap - start.heap);
    peakRss = Math.max(peakRss, now.rss - start.rss);
  });
  return {
    items: expected,
    retainedGrowth: gc === undefined ? NaN : retained,
    peakHeapGrowth: peakHeap,
    peakRssGrowth: peakRss,
    perSecond,
  };
}

/** Builds the emulator, then lists each size in turn (in this thread). */
async function measureHere(sizes: number[]): Promise<MemoryResult> {
  const started = performance.now();
  // A short request log: the emulator's own log must not grow with the listing.
  const emulator = new TolokaEmulator({ pools: sizes, requestLogLimit: 0 });
  const client = new AttachmentsClient({ token: "test-token", fetch: emulator.fetch });
  for (const [index] of sizes.entries()) {
    // The first page of each pool builds the emulator's index (not the client's memory).
    await client.findAttachments({ pool_id: String(index + 1) }, { sort: "id", limit: 1 });
  }
  // The emulator keeps the JSON of each attachment it has served, up to a cap (about 85,000
  // typical attachments): filled here, so that it is in the baseline, not in the growth.
  for await (const _ of client.getAttachments({ pool_id: "1" })) { /* dropped */ }
  const setupMs = performance.now() - started;
  gc?.();
  const baselineHeap = used().heap;
  const runs: MemoryRun[] = [];
  for (const [index, size] of sizes.entries()) {
    runs.push(await run(client, String(index + 1), size));
  }
  return { setupMs, baselineHeap, runs, exposedGc: gc !== undefined };
}

/** Runs the measurement in a worker thread and returns its figures. */
export function measureMemory(sizes: number[]): Promise<MemoryResult> {
  const worker = new Worker(import.meta.url, { type: "module" });
  return new Promise<MemoryResult>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<{ result?: MemoryResult; error?: string }>): void => {
      worker.terminate();
      if (event.data.result !== undefined) resolve(event.data.result);
      else reject(new Error(event.data.error));
    };
    worker.onerror = (event): void => {
      worker.terminate();
      reject(new Error(event.message));
    };
    worker.postMessage(sizes);
  });
}

// The worker's side.
declare const self: {
  onmessage: ((event: MessageEvent<number[]>) => void) | null;
  postMessage(message: unknown): void;
};

const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !==
  "undefined";

if (inWorker) {
  self.onmessage = async (event): Promise<void> => {
    try {
      self.postMessage({ result: await measureHere(event.data) });
    } catch (error) {
      self.postMessage({ error: error instanceof Error ? error.stack : String(error) });
    }
  };
}

// (A worker's own module is `import.meta.main` too.)
if (import.meta.main && !inWorker) {
  // deno-lint-ignore no-console
  console.log(await measureMemory([100_000, 1_000_000]));
}
