/**
 * Emulator cost per request on a one-million-attachment pool (`pools: [1_000_000]`).
 *
 * Run: deno bench --allow-net=127.0.0.1 bench/emulator_bench.ts
 *
 * Generation and the lazily built, cached indexes are measured once each; the page benchmarks
 * then time `handle()` alone (routing, auth, validation, the indexed query, JSON encoding).
 */

import { TolokaEmulator } from "@toloka-edge/attachments/testing";

const SIZE = 1_000_000;
const AUTH = { Authorization: "OAuth test-token" };

let emulator: TolokaEmulator | undefined;
function big(): TolokaEmulator {
  emulator ??= new TolokaEmulator({ pools: [SIZE] });
  return emulator;
}

function request(query: string): Request {
  return new Request(`http://emulator/api/v1/attachments?${query}`, { headers: AUTH });
}

async function page(request: Request): Promise<void> {
  const response = await big().handle(request);
  if (response.status !== 200) throw new Error(`unexpected status ${response.status}`);
  await response.arrayBuffer();
}

Deno.bench({
  name: "generate a 1,000,000-attachment pool",
  group: "setup",
  n: 1,
  warmup: 0,
  fn(): void {
    emulator = new TolokaEmulator({ pools: [SIZE] });
  },
});

Deno.bench({
  name: "first sort=id page (builds the id index)",
  group: "setup",
  n: 1,
  warmup: 0,
  async fn(): Promise<void> {
    await page(request("pool_id=1&sort=id&limit=100"));
  },
});

Deno.bench({
  name: "first sort=created,id page (builds the (created, id) index)",
  group: "setup",
  n: 1,
  warmup: 0,
  async fn(): Promise<void> {
    await page(request("pool_id=1&sort=created,id&limit=100"));
  },
});

const middle = (): WireIds => {
  const items = big().attachments;
  const item = items[items.length >> 1];
  if (item === undefined) throw new Error("empty data set");
  return { id: item.id, created: item.created };
};
interface WireIds {
  id: string;
  created: string;
}

Deno.bench({
  name: "sort=id&id_gt=X&limit=100",
  group: "page",
  baseline: true,
  async fn(b): Promise<void> {
    const req = request(`pool_id=1&sort=id&id_gt=${middle().id}&limit=100`);
    b.start();
    await page(req);
    b.end();
  },
});

Deno.bench({
  name: "sort=-id&id_lt=X&limit=100",
  group: "page",
  async fn(b): Promise<void> {
    const req = request(`pool_id=1&sort=-id&id_lt=${middle().id}&limit=100`);
    b.start();
    await page(req);
    b.end();
  },
});

Deno.bench({
  name: "sort=created,id&created_gte=X&limit=100",
  group: "page",
  async fn(b): Promise<void> {
    const req = request(`pool_id=1&sort=created,id&created_gte=${middle().created}&limit=100`);
    b.start();
    await page(req);
    b.end();
  },
});

Deno.bench({
  name: "sort=-created,id&created_lte=X&limit=100 (mixed directions)",
  group: "page",
  async fn(b): Promise<void> {
    const req = request(`pool_id=1&sort=-created,id&created_lte=${middle().created}&limit=100`);
    b.start();
    await page(req);
    b.end();
  },
});

Deno.bench({
  name: "sort=id&id_gt=X&limit=20",
  group: "page",
  async fn(b): Promise<void> {
    const req = request(`pool_id=1&sort=id&id_gt=${middle().id}`);
    b.start();
    await page(req);
    b.end();
  },
});

Deno.bench({
  name: "no sort, limit=100",
  group: "page",
  async fn(b): Promise<void> {
    const req = request("pool_id=1&limit=100");
    b.start();
    await page(req);
    b.end();
  },
});
