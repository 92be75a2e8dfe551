/**
 * Goal 1, throughput: a raw keyset loop against `client.getAttachments()` over the same listing
 * of an emulated pool on loopback, alternated, after a warm-up.
 *
 * The raw loop is the ceiling: `fetch`, `JSON.parse`, an `id_gt` cursor and a visit of each item,
 * with no validation, no retries, no timeouts, nothing. The client does everything it skips:
 * schema checks of every field, `created` parsed to a `Date` with the exact string kept, order
 * and progress checks of every page, retries and timeouts armed, abortable, one item at a time
 * through an async iterator, with the next page prefetched.
 *
 * Standalone: `deno run --allow-net=127.0.0.1 --allow-read bench/throughput.ts [size] [rounds]`
 *
 * @module
 */

import { AttachmentsClient } from "../mod.ts";
import { type EmulatorThread, startEmulatorThread } from "./emulator_thread.ts";
import { int, median, timed } from "./stats.ts";

/** What {@linkcode measureThroughput} reports. */
export interface ThroughputResult {
  /** Attachments listed per run. */
  items: number;
  /** Measured runs of each loop (after the warm-up). */
  rounds: number;
  /** Median items/s of the raw loop. */
  rawPerSecond: number;
  /** Median items/s of the client. */
  clientPerSecond: number;
  /** `clientPerSecond / rawPerSecond`. */
  ratio: number;
  /** The client/raw ratio of each measured pair of runs. */
  pairRatios: number[];
  /** Items/s of every measured run. */
  raw: number[];
  client: number[];
}

/** The ceiling: a hand-written keyset loop over `fetch`. */
export async function rawLoop(baseUrl: string, token: string, poolId: string): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ pool_id: poolId, sort: "id", limit: "100" });
    if (cursor !== undefined) query.set("id_gt", cursor);
    const response = await fetch(`${baseUrl}/attachments?${query}`, {
      headers: { authorization: `OAuth ${token}` },
    });
    const page = JSON.parse(await response.text()) as {
      items: { id: string }[];
      has_more: boolean;
    };
    for (const _item of page.items) count++;
    if (!page.has_more) return count;
    cursor = page.items[page.items.length - 1]?.id;
  }
}

/** The client, consuming and dropping every item. */
export async function clientLoop(client: AttachmentsClient, poolId: string): Promise<number> {
  let count = 0;
  for await (const _attachment of client.getAttachments({ pool_id: poolId })) count++;
  return count;
}

/**
 * Alternates the raw loop and the client over pool `poolId` of `size` items: `warmup` pairs not
 * counted (the JIT compiles both loops' code), then `rounds` measured pairs.
 */
export async function measureThroughput(
  emulator: EmulatorThread,
  options: { token: string; poolId: string; size: number; warmup: number; rounds: number },
  log: (line: string) => void = () => {},
): Promise<ThroughputResult> {
  const { token, poolId, size } = options;
  await emulator.setLatency(0);
  const client = new AttachmentsClient({ token, baseUrl: emulator.baseUrl });
  const raw: number[] = [];
  const lib: number[] = [];
  for (let round = -options.warmup; round < options.rounds; round++) {
    const a = await timed(() => rawLoop(emulator.baseUrl, token, poolId));
    const b = await timed(() => clientLoop(client, poolId));
    for (const [name, run] of [["raw", a], ["client", b]] as const) {
      if (run.value !== size) throw new Error(`${name} listed ${run.value} of ${size} items`);
    }
    const [rawRate, clientRate] = [size / (a.ms / 1000), size / (b.ms / 1000)];
    log(
      `${round < 0 ? "warm-up" : `round ${round + 1}`}: raw ${int(rawRate)}/s, client ${
        int(clientRate)
      }/s`,
    );
    if (round < 0) continue;
    raw.push(rawRate);
    lib.push(clientRate);
  }
  const rawPerSecond = median(raw);
  const clientPerSecond = median(lib);
  return {
    items: size,
    rounds: options.rounds,
    rawPerSecond,
    clientPerSecond,
    ratio: clientPerSecond / rawPerSecond,
    pairRatios: lib.map((rate, index) => rate / (raw[index] as number)),
    raw,
    client: lib,
  };
}

if (import.meta.main) {
  const size = Number(Deno.args[0] ?? 100_000);
  const rounds = Number(Deno.args[1] ?? 7);
  const token = "test-token";
  const emulator = await startEmulatorThread([size], token);
  try {
    const result = await measureThroughput(
      emulator,
      { token, poolId: "1", size, warmup: 3, rounds },
      // deno-lint-ignore no-console
      console.log,
    );
    // deno-lint-ignore no-console
    console.log(
      `median: raw ${int(result.rawPerSecond)} items/s, client ${
        int(result.clientPerSecond)
      } items/s, client/raw = ${result.ratio.toFixed(2)}`,
    );
  } finally {
    emulator.close();
  }
}
