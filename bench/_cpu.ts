import { AttachmentsClient } from "../mod.ts";
const worker = new Worker(new URL("./throughput_server.ts", import.meta.url), { type: "module" });
const ready = new Promise<{ baseUrl: string }>((r) => worker.onmessage = (e) => r(e.data));
worker.postMessage({ size: 100000, token: "test-token", latencyMs: 0 });
const { baseUrl } = await ready;
const client = new AttachmentsClient({ token: "test-token", baseUrl });
function cpu(): number[] { 
  const stat = Deno.readTextFileSync("/proc/self/stat").split(") ")[1]!.split(" ");
  return [Number(stat[11]) , Number(stat[12])]; // utime, stime in ticks (1/100 s)
}
function threads(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of Deno.readDirSync("/proc/self/task")) {
    const s = Deno.readTextFileSync(`/proc/self/task/${t.name}/stat`);
    const name = s.slice(s.indexOf("(") + 1, s.lastIndexOf(")"));
    const f = s.split(") ")[1]!.split(" ");
    out[name] = (out[name] ?? 0) + Number(f[11]) + Number(f[12]);
  }
  return out;
}
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
async function lib(): Promise<number> { let n = 0; for await (const _ of client.getAttachments({ pool_id: "1" })) n++; return n; }
for (let i = 0; i < 3; i++) for (const [name, f] of [["raw", raw], ["lib", lib]] as const) {
  const t0 = performance.now(); const c0 = cpu(); const th0 = threads();
  await f();
  const wall = performance.now() - t0; const c1 = cpu(); const th1 = threads();
  const per = Object.entries(th1).map(([k, v]) => `${k}:${((v - (th0[k] ?? 0)) * 10 / wall * 100).toFixed(0)}%`).filter((s) => !s.endsWith(":0%")).join(" ");
  console.log(name, `wall ${wall.toFixed(0)}ms`, `cpu ${(((c1[0]! - c0[0]!) + (c1[1]! - c0[1]!)) * 10 / wall * 100).toFixed(0)}%`, per);
}
worker.terminate();
