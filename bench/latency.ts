/**
 * Goal 2, latency hiding: every request to the emulator takes 20 ms more, and the consumer spends
 * 20 ms on each page. Without prefetch the two add up; with it the next page is on its way while
 * the consumer works. Two consumers: one that waits (I/O, say a database write) and one that
 * keeps the thread busy (CPU work), which leaves the event loop no turn to send the prefetched
 * request unless the client makes one.
 *
 * @module
 */

import { AttachmentsClient } from "../mod.ts";
import type { EmulatorThread } from "./emulator_thread.ts";
import { median, sleep, spin, timed } from "./stats.ts";

/** One consumer's figures. */
export interface LatencyRun {
  /** Median milliseconds for the whole listing without prefetch. */
  withoutPrefetchMs: number;
  /** Median milliseconds with prefetch. */
  withPrefetchMs: number;
  /** `withPrefetchMs / withoutPrefetchMs` (0.5 is ideal). */
  ratio: number;
}

/** What {@linkcode measureLatency} reports. */
export interface LatencyResult {
  items: number;
  pages: number;
  latencyMs: number;
  consumerMs: number;
  /** A consumer that awaits (I/O). */
  waiting: LatencyRun;
  /** A consumer that keeps the thread busy (CPU). */
  busy: LatencyRun;
}

/** Lists pool `poolId` page by page with `prefetch` on or off; the consumer works `consumerMs`. */
async function listing(
  client: AttachmentsClient,
  poolId: string,
  prefetch: boolean,
  work: () => Promise<void> | void,
): Promise<number> {
  let count = 0;
  for await (const page of client.getAttachmentPages({ pool_id: poolId }, { prefetch })) {
    count += page.items.length;
    await work();
  }
  return count;
}

/** Alternates prefetch off and on, `rounds` times, for both consumers. */
export async function measureLatency(
  emulator: EmulatorThread,
  options: {
    token: string;
    poolId: string;
    size: number;
    latencyMs: number;
    consumerMs: number;
    rounds: number;
  },
): Promise<LatencyResult> {
  const client = new AttachmentsClient({ token: options.token, baseUrl: emulator.baseUrl });
  await emulator.setLatency(options.latencyMs);
  try {
    const consumers = {
      waiting: () => sleep(options.consumerMs),
      busy: () => spin(options.consumerMs),
    };
    const runs: Record<string, LatencyRun> = {};
    for (const [name, work] of Object.entries(consumers)) {
      const off: number[] = [];
      const on: number[] = [];
      for (let round = 0; round < options.rounds; round++) {
        for (const prefetch of [false, true]) {
          const run = await timed(() => listing(client, options.poolId, prefetch, work));
          if (run.value !== options.size) throw new Error(`listed ${run.value} items`);
          (prefetch ? on : off).push(run.ms);
        }
      }
      runs[name] = {
        withoutPrefetchMs: median(off),
        withPrefetchMs: median(on),
        ratio: median(on) / median(off),
      };
    }
    return {
      items: options.size,
      pages: Math.ceil(options.size / 100),
      latencyMs: options.latencyMs,
      consumerMs: options.consumerMs,
      waiting: runs.waiting as LatencyRun,
      busy: runs.busy as LatencyRun,
    };
  } finally {
    await emulator.setLatency(0);
  }
}
