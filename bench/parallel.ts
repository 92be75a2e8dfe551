/**
 * Goal 3, the parallel scan: every request to the emulator takes 20 ms more; one lane (with
 * prefetch) against `concurrency: 8`, in items/s and requests per item, in all four orders, over
 * loopback, on pools of 300, 3,000 and 30,000 attachments (3, 30 and 300 pages of 100).
 *
 * The emulator runs in a worker thread of its own (its CPU time is not billed to the client),
 * with the generated data (ties in every pool, a run of 150 at one instant and neighbours a
 * microsecond apart) made harder for `created`: every 10,000 attachments or so, a
 * run of 150 to 250 consecutive ones (in `created` order) share one instant, longer than a page. Ids are
 * the generator's: UUIDs, 5% of them prefixed (`fr.<uuid>`), so order `-id` starts with a dense
 * cluster that fails the uniform-id check and is measured as it goes.
 *
 * One lane runs once (the latency alone paces it); 8 lanes run `repeats` times, the median
 * counts. Requests are counted at the transport, retries included (there are none here).
 *
 * Standalone: `deno run -A bench/parallel.ts` prints the table (about a minute);
 * `deno run -A bench/parallel.ts --rounds` counts rounds instead, free of the machine's noise
 * ({@linkcode countRounds}, about 30 s).
 *
 * @module
 */

import { AttachmentsClient, type Order } from "../mod.ts";
import { TolokaEmulator, type WireAttachment } from "../src/testing/mod.ts";
import { fixed, int, timed } from "./stats.ts";

/** One pool and order's figures. */
export interface ParallelRun {
  items: number;
  order: Order;
  /** Items/s and requests, per concurrency (8: the median of the repeats). */
  lanes: { concurrency: number; perSecond: number; requests: number }[];
  /** Items/s with 8 lanes over items/s with one. */
  speedup8: number;
  /** Requests per item with one lane and with 8. */
  requestsPerItem: { one: number; eight: number };
  /** Requests per item with 8 lanes over requests per item with one. */
  requestRatio8: number;
}

/** What {@linkcode measureParallel} reports. */
export interface ParallelResult {
  latencyMs: number;
  runs: ParallelRun[];
}

const TOKEN = "test-token";
const WARM_UP = { concurrency: 8 };
const ORDERS: Order[] = ["id", "-id", "created", "-created"];

/** Options of {@linkcode measureParallel}. */
export interface ParallelOptions {
  /** Pool sizes. */
  sizes: number[];
  latencyMs: number;
  /** Runs of 8 lanes per pool and order (the median counts). */
  repeats: number;
}

/** Lists each pool in each order with one lane and with eight, on an emulator thread of its own. */
export async function measureParallel(options: ParallelOptions): Promise<ParallelResult> {
  const thread = await startThread(options.sizes, options.latencyMs);
  let requests = 0;
  const client = new AttachmentsClient({
    token: TOKEN,
    baseUrl: thread.baseUrl,
    fetch: (request) => (requests++, fetch(request)),
  });
  try {
    const runs: ParallelRun[] = [];
    for (const [index, size] of options.sizes.entries()) {
      // The emulator builds each attachment's JSON on first serving it: a pass first, so the
      // first order's single lane is not the one that pays for it.
      for await (const _ of client.getAttachments({ pool_id: String(index + 1) }, WARM_UP)) {
        // nothing: warming up
      }
      for (const order of ORDERS) {
        const lanes: ParallelRun["lanes"] = [];
        for (const concurrency of [1, 8]) {
          const results: { perSecond: number; requests: number }[] = [];
          for (let repeat = 0; repeat < (concurrency === 1 ? 1 : options.repeats); repeat++) {
            requests = 0;
            const run = await timed(async () => {
              let count = 0;
              for await (
                const _ of client.getAttachments(
                  { pool_id: String(index + 1) },
                  { order, concurrency },
                )
              ) count++;
              return count;
            });
            if (run.value !== size) throw new Error(`listed ${run.value} of ${size} items`);
            results.push({ perSecond: run.value / (run.ms / 1000), requests });
          }
          const middle = results.toSorted((a, b) => a.perSecond - b.perSecond)[results.length >> 1];
          lanes.push({ concurrency, ...middle as { perSecond: number; requests: number } });
        }
        const [one, eight] = lanes as [ParallelRun["lanes"][0], ParallelRun["lanes"][0]];
        runs.push({
          items: size,
          order,
          lanes,
          speedup8: eight.perSecond / one.perSecond,
          requestsPerItem: { one: one.requests / size, eight: eight.requests / size },
          requestRatio8: eight.requests / one.requests,
        });
      }
    }
    return { latencyMs: options.latencyMs, runs };
  } finally {
    thread.close();
  }
}

/** One line per pool and order, for a table or a log. */
export function describeRun(run: ParallelRun): string {
  const [one, eight] = run.lanes;
  return `${int(run.items)} ${run.order}: ${int(one?.perSecond ?? NaN)} → ${
    int(eight?.perSecond ?? NaN)
  }/s, ${fixed(run.speedup8, 1)}x; requests ${one?.requests} → ${eight?.requests}, per item ${
    fixed(run.requestsPerItem.one, 4)
  } → ${fixed(run.requestsPerItem.eight, 4)} (${fixed(100 * (run.requestRatio8 - 1), 0)}% more)`;
}

/**
 * The generated pools with runs of ties on `created`: every 10,000 attachments (in `created`
 * order) or so, the next 150 to 250 take the `created` of the first of them, so the order of the
 * rest is kept.
 */
export function withTieRuns(items: readonly WireAttachment[], seed = 1): WireAttachment[] {
  let state = seed;
  const random = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const byPool = Map.groupBy(items, (item) => item.details.pool_id);
  const out: WireAttachment[] = [];
  // Comparable text: 6 fraction digits.
  const instant = (created: string): string =>
    created.length === 19 ? `${created}.000000` : created.padEnd(26, "0");
  for (const pool of byPool.values()) {
    const sorted = pool.toSorted((a, b) =>
      instant(a.created) < instant(b.created) ? -1 : instant(a.created) > instant(b.created) ? 1 : 0
    );
    let index = Math.floor(random() * 3_000);
    while (index < sorted.length) {
      const run = 150 + Math.floor(random() * 101);
      const created = (sorted[index] as WireAttachment).created;
      for (let i = index; i < Math.min(sorted.length, index + run); i++) {
        sorted[i] = { ...sorted[i] as WireAttachment, created };
      }
      index += run + 7_500 + Math.floor(random() * 5_000);
    }
    out.push(...sorted);
  }
  return out;
}

/** One pool and order counted in rounds: see {@linkcode countRounds}. */
export interface RoundsRun {
  items: number;
  order: Order;
  /** Rounds and requests with one lane and with 8. */
  one: { rounds: number; requests: number };
  eight: { rounds: number; requests: number };
}

/**
 * The same pools and orders, the emulator in process and answering round by round: every request
 * sent while a round is answered is answered in the next, in the order sent. The serial scan takes
 * one round per page; the ratio of rounds is the speedup latency alone would allow, without this
 * machine's CPU time and noise.
 */
export async function countRounds(sizes: number[]): Promise<RoundsRun[]> {
  const runs: RoundsRun[] = [];
  const settle = async (): Promise<void> => {
    for (let turn = 0; turn < 4; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
  };
  for (const [index, size] of sizes.entries()) {
    const emulator = new TolokaEmulator({
      attachments: withTieRuns(new TolokaEmulator({ pools: [size], seed: index + 1 }).attachments),
      tokens: [TOKEN],
    });
    for (const order of ORDERS) {
      const counted: { rounds: number; requests: number }[] = [];
      for (const concurrency of [1, 8]) {
        let pending: { request: Request; answer: (response: Response) => void }[] = [];
        let requests = 0;
        const client = new AttachmentsClient({
          token: TOKEN,
          fetch: (request) =>
            new Promise((answer) => {
              requests++;
              pending.push({ request, answer });
            }),
        });
        let done = false;
        let count = 0;
        const listing = (async () => {
          for await (const _ of client.getAttachments({ pool_id: "1" }, { order, concurrency })) {
            count++;
          }
          done = true;
        })();
        let rounds = 0;
        for (;;) {
          await settle();
          if (done) break;
          const round = pending;
          pending = [];
          if (round.length === 0) continue;
          rounds++;
          for (const { request, answer } of round) answer(await emulator.fetch(request));
        }
        await listing;
        if (count !== size) throw new Error(`listed ${count} of ${size} items`);
        counted.push({ rounds, requests });
      }
      const [one, eight] = counted as [RoundsRun["one"], RoundsRun["eight"]];
      runs.push({ items: size, order, one, eight });
    }
  }
  return runs;
}

// ---- the emulator thread ----

interface Thread {
  baseUrl: string;
  close(): void;
}

async function startThread(sizes: number[], latencyMs: number): Promise<Thread> {
  const worker = new Worker(import.meta.url, { type: "module" });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<string>): void => resolve(event.data);
    worker.onerror = (event): void => reject(new Error(event.message));
    worker.postMessage({ sizes, latencyMs });
  });
  return { baseUrl, close: () => worker.terminate() };
}

declare const self: {
  onmessage: ((event: MessageEvent<{ sizes: number[]; latencyMs: number }>) => void) | null;
  postMessage(message: unknown): void;
};

if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  self.onmessage = async (event): Promise<void> => {
    const { sizes, latencyMs } = event.data;
    // Each pool generated as a pool "1" (which gets the fixtures), seeded apart, then renamed.
    const generated = sizes.flatMap((size, index) =>
      new TolokaEmulator({ pools: [size], seed: index + 1 }).attachments.map((item) => ({
        ...item,
        details: { ...item.details, pool_id: String(index + 1) },
      }))
    );
    const emulator = new TolokaEmulator({
      attachments: withTieRuns(generated),
      tokens: [TOKEN],
      requestLogLimit: 1000,
    });
    // Build the orderings before timing (the first request of each builds its index).
    for (const [index] of sizes.entries()) {
      for (const sort of ["id", "-id", "created,id", "-created,-id"]) {
        await emulator.fetch(
          `http://emulator/api/v1/attachments?pool_id=${index + 1}&sort=${sort}&limit=1`,
          { headers: { authorization: `OAuth ${TOKEN}` } },
        ).then((response) => response.arrayBuffer());
      }
    }
    emulator.latencyMs = latencyMs;
    const server = await emulator.serve();
    self.postMessage(server.baseUrl);
  };
} else if (import.meta.main) {
  const numbers = Deno.args.filter((arg) => arg !== "--rounds").map(Number);
  const sizes = numbers.length > 0 ? numbers : [300, 3_000, 30_000];
  if (Deno.args.includes("--rounds")) {
    for (const run of await countRounds(sizes)) {
      // deno-lint-ignore no-console
      console.log(
        `${int(run.items)} ${run.order}: ${run.one.rounds} → ${run.eight.rounds} rounds, ${
          fixed(run.one.rounds / run.eight.rounds, 2)
        }x; requests ${run.one.requests} → ${run.eight.requests}`,
      );
    }
  } else {
    const result = await measureParallel({ sizes, latencyMs: 20, repeats: 3 });
    // deno-lint-ignore no-console
    for (const run of result.runs) console.log(describeRun(run));
  }
}
