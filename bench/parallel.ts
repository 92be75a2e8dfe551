/**
 * Goal 3, the parallel scan: every request to the emulator takes 20 ms more; one lane (with
 * prefetch) against `concurrency: 8` (and 16 for context), in items/s, in orders `id` and
 * `-created`, over loopback. Requests are counted: lanes fill their pages only partly. One lane
 * runs once (the latency alone paces it); each concurrency above 1 runs three times, the median
 * counts.
 *
 * @module
 */

import { AttachmentsClient, type Order } from "../mod.ts";
import type { EmulatorThread } from "./emulator_thread.ts";
import { timed } from "./stats.ts";

/** One order's figures. */
export interface ParallelRun {
  order: Order;
  /** Items/s and requests per concurrency (above 1: the median of the repeats). */
  lanes: { concurrency: number; perSecond: number; requests: number }[];
  /** Items/s with 8 lanes over items/s with one. */
  speedup8: number;
}

/** What {@linkcode measureParallel} reports. */
export interface ParallelResult {
  items: number;
  latencyMs: number;
  orders: ParallelRun[];
}

/** Lists pool `poolId` in each order with each concurrency. */
export async function measureParallel(
  emulator: EmulatorThread,
  options: {
    token: string;
    poolId: string;
    size: number;
    latencyMs: number;
    orders: Order[];
    concurrencies: number[];
    /** Runs of each concurrency above 1 (the median counts). */
    repeats: number;
  },
): Promise<ParallelResult> {
  let requests = 0;
  const client = new AttachmentsClient({
    token: options.token,
    baseUrl: emulator.baseUrl,
    fetch: (request) => (requests++, fetch(request)),
  });
  await emulator.setLatency(options.latencyMs);
  try {
    const orders: ParallelRun[] = [];
    for (const order of options.orders) {
      const lanes: ParallelRun["lanes"] = [];
      for (const concurrency of options.concurrencies) {
        // One lane is paced by the latency alone; lanes depend on timing: the median of a few.
        const runs: { perSecond: number; requests: number }[] = [];
        for (let repeat = 0; repeat < (concurrency === 1 ? 1 : options.repeats); repeat++) {
          requests = 0;
          const run = await timed(async () => {
            let count = 0;
            for await (
              const _ of client.getAttachments({ pool_id: options.poolId }, { order, concurrency })
            ) count++;
            return count;
          });
          if (run.value !== options.size) throw new Error(`listed ${run.value} items`);
          runs.push({ perSecond: run.value / (run.ms / 1000), requests });
        }
        const middle = runs.toSorted((a, b) => a.perSecond - b.perSecond)[runs.length >> 1];
        lanes.push({ concurrency, ...middle as { perSecond: number; requests: number } });
      }
      const rate = (n: number): number =>
        lanes.find((entry) => entry.concurrency === n)?.perSecond ?? NaN;
      orders.push({ order, lanes, speedup8: rate(8) / rate(1) });
    }
    return { items: options.size, latencyMs: options.latencyMs, orders };
  } finally {
    await emulator.setLatency(0);
  }
}
