/**
 * Listing throughput over loopback: a raw keyset loop (fetch + JSON.parse + `id_gt` cursor,
 * `limit=100`, `sort=id`) against `client.getAttachments({ pool_id: "1" })` (schema checks,
 * `created` parsing, cursor checks, prefetch), alternately for a few rounds, on one emulated
 * pool of 100,000 attachments.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-read bench/throughput.ts [attachments] [rounds] \
 *   [--inline] [--latency=MS]
 * ```
 *
 * The emulator runs in a worker thread, as a real API runs elsewhere: with `--inline` it shares
 * this thread, so its CPU time is billed to both loops and the client's prefetch cannot overlap
 * anything but the consumer. `--latency=MS` makes the emulator wait that long before each answer,
 * like a real network: then the client's prefetch overlaps the wait with its own work.
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { AttachmentsClient } from "../mod.ts";
import { TolokaEmulator } from "../src/testing/mod.ts";

const args = Deno.args.filter((arg) => !arg.startsWith("--"));
const inline = Deno.args.includes("--inline");
const latencyMs = Number(
  Deno.args.find((arg) => arg.startsWith("--latency="))?.slice("--latency=".length) ?? 0,
);
const size = Number(args[0] ?? 100_000);
const rounds = Number(args[1] ?? 3);
const token = "test-token";

function ms(value: number): string {
  return `${value.toFixed(0)} ms`;
}

/** Serves the emulator in a worker thread, or with `--inline` in this thread. */
async function startServer(): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  if (inline) {
    const started = performance.now();
    const emulator = new TolokaEmulator({
      pools: [size],
      tokens: [token],
      latencyMs,
      requestLogLimit: 1000,
    });
    console.log(`emulator in this thread, built in ${ms(performance.now() - started)}`);
    return await emulator.serve();
  }
  const worker = new Worker(new URL("./throughput_server.ts", import.meta.url), {
    type: "module",
  });
  const ready = new Promise<{ baseUrl: string; built: number }>((resolve, reject) => {
    worker.onmessage = (event) => resolve(event.data);
    worker.onerror = (event) => reject(new Error(event.message));
  });
  worker.postMessage({ size, token, latencyMs });
  const { baseUrl, built } = await ready;
  console.log(`emulator in a worker thread, built in ${ms(built)}`);
  return { baseUrl, close: () => Promise.resolve(worker.terminate()) };
}

const server = await startServer();
console.log(
  `${size} attachments in pool "1", served at ${server.baseUrl}, ${latencyMs} ms added latency`,
);

/** The baseline: what a hand-written loop over `fetch` does, and nothing more. */
async function rawLoop(): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ pool_id: "1", sort: "id", limit: "100" });
    if (cursor !== undefined) query.set("id_gt", cursor);
    const response = await fetch(`${server.baseUrl}/attachments?${query}`, {
      headers: { authorization: `OAuth ${token}` },
    });
    const page = JSON.parse(await response.text()) as {
      items: { id: string }[];
      has_more: boolean;
    };
    count += page.items.length;
    if (!page.has_more) return count;
    cursor = page.items[page.items.length - 1]?.id;
  }
}

const client = new AttachmentsClient({ token, baseUrl: server.baseUrl });

async function clientLoop(): Promise<number> {
  let count = 0;
  for await (const _attachment of client.getAttachments({ pool_id: "1" })) count++;
  return count;
}

async function measure(name: string, run: () => Promise<number>): Promise<number> {
  const started = performance.now();
  const count = await run();
  const elapsed = performance.now() - started;
  if (count !== size) throw new Error(`${name} listed ${count} of ${size} attachments`);
  const rate = count / (elapsed / 1000);
  console.log(
    `  ${name.padEnd(8)} ${count} items in ${ms(elapsed).padStart(8)}: ${
      rate.toFixed(0).padStart(7)
    } items/s`,
  );
  return rate;
}

const raw: number[] = [];
const lib: number[] = [];
for (let round = 1; round <= rounds; round++) {
  console.log(`round ${round}`);
  raw.push(await measure("raw", rawLoop));
  lib.push(await measure("client", clientLoop));
}

const median = (values: number[]): number =>
  values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
console.log(
  `median: raw ${median(raw).toFixed(0)} items/s, client ${median(lib).toFixed(0)} items/s, ` +
    `client/raw = ${(median(lib) / median(raw)).toFixed(2)}`,
);
await server.close();
