import { startEdge } from "../tests/edge_harness.ts";
const edge = await startEdge({ emulator: { pools: [10] } });
for (const m of ["PROPFIND", "PURGE", "patch", "PATCH", "X-TOLOKA", "TRACE", "SEARCH", "COPY", "FOO", "Get"]) {
  try {
    const r = await fetch(edge.url + "/health", { method: m });
    console.log(m, r.status, r.headers.get("x-request-id") ? "worker" : "runtime", (await r.text()).slice(0, 60));
  } catch (e) { console.log(m, "client error", String(e).slice(0, 80)); }
}
const r = await fetch(edge.url + "/nowhere", { headers: { "Accept-Encoding": "gzip", Range: "bytes=0-10" } });
console.log(r.status, [...r.headers]);
await r.body?.cancel();
await edge.close();
