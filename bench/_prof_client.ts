import { AttachmentsClient } from "../mod.ts";
const worker = new Worker(new URL("file:///work/main/bench/throughput_server.ts"), { type: "module" });
const ready = new Promise<{ baseUrl: string }>((r) => worker.onmessage = (e) => r(e.data));
worker.postMessage({ size: 100000, token: "test-token", latencyMs: 0 });
const { baseUrl } = await ready;
const client = new AttachmentsClient({ token: "test-token", baseUrl });
const mode = Deno.args[0] ?? "client";
for (let round = 0; round < 4; round++) {
  const t = performance.now();
  let n = 0;
  if (mode === "client") {
    for await (const _ of client.getAttachments({ pool_id: "1" })) n++;
  } else {
    let cursor: string | undefined;
    for (;;) {
      const q = new URLSearchParams({ pool_id: "1", sort: "id", limit: "100" });
      if (cursor) q.set("id_gt", cursor);
      const r = await fetch(`${baseUrl}/attachments?${q}`, { headers: { authorization: "OAuth test-token" } });
      const p = JSON.parse(await r.text());
      n += p.items.length;
      if (!p.has_more) break;
      cursor = p.items[p.items.length - 1].id;
    }
  }
  console.log(mode, n, (n / ((performance.now() - t) / 1000)).toFixed(0));
}
worker.terminate();
