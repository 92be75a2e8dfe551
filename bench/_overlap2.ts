import { getJson } from "../src/transport.ts";
import { setImmediate } from "node:timers";
const worker = new Worker(new URL("./throughput_server.ts", import.meta.url), { type: "module" });
const ready = new Promise<{ baseUrl: string }>((r) => worker.onmessage = (e) => r(e.data));
worker.postMessage({ size: 50000, token: "test-token", latencyMs: 0 });
const { baseUrl } = await ready;
const config = { baseUrl, authorization: "OAuth test-token", secret: "test-token", fetch: (r: Request) => fetch(r), timeoutMs: 10000, retries: 3, backoff: { retryDelayMs: 500, maxRetryDelayMs: 30000, random: Math.random }, now: Date.now };
function spin(us: number) { const end = performance.now() + us / 1000; while (performance.now() < end); }
function get(cursor?: string) {
  const q = new URLSearchParams({ pool_id: "1", sort: "id", limit: "100" });
  if (cursor) q.set("id_gt", cursor);
  return getJson(config, "/attachments", q, undefined) as Promise<any>;
}
const mc = new MessageChannel();
let pending: (() => void)[] = [];
mc.port1.onmessage = () => { const p = pending; pending = []; for (const r of p) r(); };
const yields: Record<string, () => Promise<void>> = {
  channel: () => new Promise((r) => { pending.push(r); mc.port2.postMessage(0); }),
  none: () => Promise.resolve(),
  timeout0: () => new Promise((r) => setTimeout(r, 0)),
  immediate: () => new Promise((r) => setImmediate(r)),
};
async function loop(work: number, y: () => Promise<void>): Promise<number> {
  let n = 0; let ahead: Promise<any> | undefined; let cursor: string | undefined;
  for (;;) {
    const p = await (ahead ?? get(cursor)); ahead = undefined;
    n += p.items.length;
    cursor = p.has_more ? p.items[p.items.length - 1].id : undefined;
    if (cursor) ahead = get(cursor);
    await y();
    spin(work);
    if (!cursor) return n;
  }
}
for (const work of [0, 150, 300]) {
  const r: Record<string, number[]> = {};
  for (let i = 0; i < 5; i++) for (const [k, y] of Object.entries(yields)) {
    const t = performance.now(); const n = await loop(work, y);
    (r[k] ??= []).push(n / ((performance.now() - t) / 1000));
  }
  console.log(`work ${work}us:`, Object.entries(r).map(([k, v]) => `${k} ${v.sort((a, b) => a - b)[2]!.toFixed(0)}`).join("  "));
}
worker.terminate();
