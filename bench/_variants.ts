import { AttachmentsClient } from "../mod.ts";
import { getJson } from "../src/transport.ts";
const worker = new Worker(new URL("./throughput_server.ts", import.meta.url), { type: "module" });
const ready = new Promise<{ baseUrl: string }>((r) => worker.onmessage = (e) => r(e.data));
worker.postMessage({ size: 100000, token: "test-token", latencyMs: 0 });
const { baseUrl } = await ready;
const client = new AttachmentsClient({ token: "test-token", baseUrl });
const config = { baseUrl, authorization: "OAuth test-token", secret: "test-token", fetch: (r: Request) => fetch(r), timeoutMs: 10000, retries: 3, backoff: { retryDelayMs: 500, maxRetryDelayMs: 30000, random: Math.random }, now: Date.now };
async function raw(): Promise<number> {
  let n = 0; let cursor: string | undefined;
  for (;;) {
    const q = new URLSearchParams({ pool_id: "1", sort: "id", limit: "100" });
    if (cursor) q.set("id_gt", cursor);
    const r = await fetch(`${baseUrl}/attachments?${q}`, { headers: { authorization: "OAuth test-token" } });
    const p = JSON.parse(await r.text());
    n += p.items.length; if (!p.has_more) return n;
    cursor = p.items[p.items.length - 1].id;
  }
}
async function rawRequest(): Promise<number> {
  let n = 0; let cursor: string | undefined;
  const c = new AbortController();
  for (;;) {
    const q = new URLSearchParams({ pool_id: "1", sort: "id", limit: "100" });
    if (cursor) q.set("id_gt", cursor);
    const r = await fetch(new Request(`${baseUrl}/attachments?${q}`, { headers: { authorization: "OAuth test-token", accept: "application/json" }, signal: AbortSignal.any([c.signal, new AbortController().signal]) }));
    const p = JSON.parse(await r.text());
    n += p.items.length; if (!p.has_more) return n;
    cursor = p.items[p.items.length - 1].id;
  }
}
async function transport(): Promise<number> {
  let n = 0; let cursor: string | undefined;
  const c = new AbortController();
  for (;;) {
    const q = new URLSearchParams({ pool_id: "1", sort: "id", limit: "100" });
    if (cursor) q.set("id_gt", cursor);
    const p = await getJson(config, "/attachments", q, c.signal) as any;
    n += p.items.length; if (!p.has_more) return n;
    cursor = p.items[p.items.length - 1].id;
  }
}
async function lib(): Promise<number> { let n = 0; for await (const _ of client.getAttachments({ pool_id: "1" })) n++; return n; }
async function libNoPrefetch(): Promise<number> { let n = 0; for await (const _ of client.getAttachments({ pool_id: "1" }, { prefetch: false })) n++; return n; }
const variants: Record<string, () => Promise<number>> = { raw, rawRequest, transport, lib, libNoPrefetch };
const results: Record<string, number[]> = {};
for (let round = 0; round < 5; round++) {
  for (const [name, fn] of Object.entries(variants)) {
    const t = performance.now(); const n = await fn();
    (results[name] ??= []).push(n / ((performance.now() - t) / 1000));
  }
}
for (const [name, r] of Object.entries(results)) console.log(name.padEnd(14), r.sort((a, b) => a - b)[2]!.toFixed(0));
worker.terminate();
