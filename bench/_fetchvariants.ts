const worker = new Worker(new URL("./throughput_server.ts", import.meta.url), { type: "module" });
const ready = new Promise<{ baseUrl: string }>((r) => worker.onmessage = (e) => r(e.data));
worker.postMessage({ size: 50000, token: "test-token", latencyMs: 0 });
const { baseUrl } = await ready;
const outer = new AbortController();
type Send = (url: string) => Promise<Response>;
const headers = { authorization: "OAuth test-token", accept: "application/json" };
const variants: Record<string, Send> = {
  plain: (url) => fetch(url, { headers }),
  request: (url) => fetch(new Request(url, { headers })),
  requestSignal: (url) => { const c = new AbortController(); return fetch(new Request(url, { headers, signal: c.signal })); },
  requestAny: (url) => { const c = new AbortController(); return fetch(new Request(url, { headers, signal: AbortSignal.any([outer.signal, c.signal]) })); },
  requestAnyTimer: async (url) => { const c = new AbortController(); const t = setTimeout(() => c.abort(), 10000); try { return await fetch(new Request(url, { headers, signal: AbortSignal.any([outer.signal, c.signal]) })); } finally { clearTimeout(t); } },
  initSignal: (url) => { const c = new AbortController(); return fetch(url, { headers, signal: c.signal }); },
};
async function loop(send: Send): Promise<number> {
  let n = 0; let cursor: string | undefined;
  for (;;) {
    const q = new URLSearchParams({ pool_id: "1", sort: "id", limit: "100" });
    if (cursor) q.set("id_gt", cursor);
    const r = await send(`${baseUrl}/attachments?${q}`);
    const p = JSON.parse(await r.text());
    n += p.items.length; if (!p.has_more) return n;
    cursor = p.items[p.items.length - 1].id;
  }
}
const res: Record<string, number[]> = {};
for (let i = 0; i < 7; i++) for (const [k, f] of Object.entries(variants)) { const t = performance.now(); const n = await loop(f); (res[k] ??= []).push(n / ((performance.now() - t) / 1000)); }
for (const [k, r] of Object.entries(res)) console.log(k.padEnd(16), r.sort((a, b) => a - b)[3]!.toFixed(0));
worker.terminate();
