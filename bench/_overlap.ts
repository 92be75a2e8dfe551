import { getJson } from "../src/transport.ts";
const worker = new Worker(new URL("./throughput_server.ts", import.meta.url), { type: "module" });
const ready = new Promise<{ baseUrl: string }>((r) => worker.onmessage = (e) => r(e.data));
worker.postMessage({ size: 100000, token: "test-token", latencyMs: 0 });
const { baseUrl } = await ready;
const config = { baseUrl, authorization: "OAuth test-token", secret: "test-token", fetch: (r: Request) => fetch(r), timeoutMs: 10000, retries: 3, backoff: { retryDelayMs: 500, maxRetryDelayMs: 30000, random: Math.random }, now: Date.now };
function spin(us: number) { const end = performance.now() + us / 1000; while (performance.now() < end); }
function get(cursor?: string) {
  const q = new URLSearchParams({ pool_id: "1", sort: "id", limit: "100" });
  if (cursor) q.set("id_gt", cursor);
  return getJson(config, "/attachments", q, undefined) as Promise<any>;
}
async function loop(work: number, pipelined: boolean): Promise<number> {
  let n = 0; let ahead: Promise<any> | undefined; let cursor: string | undefined;
  for (;;) {
    const p = await (ahead ?? get(cursor)); ahead = undefined;
    n += p.items.length;
    cursor = p.has_more ? p.items[p.items.length - 1].id : undefined;
    if (pipelined && cursor) ahead = get(cursor);
    spin(work);
    await Promise.resolve();
    if (!cursor) return n;
  }
}
for (const work of [0, 100, 200, 300]) {
  const r: Record<string, number[]> = {};
  for (let i = 0; i < 3; i++) for (const pipe of [false, true]) {
    const t = performance.now(); const n = await loop(work, pipe);
    (r[String(pipe)] ??= []).push(n / ((performance.now() - t) / 1000));
  }
  console.log(`work ${work}us: seq ${r.false!.sort()[1]!.toFixed(0)} pipelined ${r.true!.sort()[1]!.toFixed(0)}`);
}
worker.terminate();
