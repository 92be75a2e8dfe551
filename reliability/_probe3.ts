import { startEdge } from "../tests/edge_harness.ts";
const edge = await startEdge({ emulator: { pools: [300, 50] } });
const { key } = await edge.issue({ pools: ["1"] });
for (const [label, path, k] of [["401", "/api/v1/attachments?pool_id=1", undefined], ["400", "/api/v1/attachments?pool_id=1&x=1", key], ["200", "/api/v1/attachments?pool_id=1&limit=5", key], ["200 id", "/api/v1/attachments/" + edge.emulator.attachments[0]!.id, key]] as const) {
  let t = performance.now();
  for (let i = 0; i < 300; i++) {
    const r = await fetch(edge.url + path, { headers: k ? { Authorization: "OAuth " + k } : {} });
    await r.arrayBuffer();
  }
  console.log(label, "seq", ((performance.now() - t) / 300).toFixed(2), "ms/req");
  t = performance.now();
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let i = 0; i < 100; i++) {
      const r = await fetch(edge.url + path, { headers: k ? { Authorization: "OAuth " + k } : {} });
      await r.arrayBuffer();
    }
  }));
  console.log(label, "x8", ((performance.now() - t) / 800).toFixed(2), "ms/req");
}
for (const [m, p] of [["HEAD", "/health"], ["HEAD", "/api/v1/attachments"], ["GET", "/api/v1/attachments/"], ["GET", "/health//"]]) {
  const r = await fetch(edge.url + p, { method: m });
  console.log(m, p, r.status, await r.text());
}
const big = "x".repeat(100_000);
for (const n of [8_000, 16_000, 32_000, 64_000, 100_000]) {
  const r = await fetch(edge.url + "/api/v1/attachments?pool_id=1", { headers: { Authorization: "OAuth " + big.slice(0, n) } });
  console.log("auth len", n, r.status, (await r.text()).slice(0, 100));
  const r2 = await fetch(edge.url + "/api/v1/attachments?pool_id=1&name=" + big.slice(0, n), { headers: { Authorization: "OAuth " + key } });
  console.log("url len", n, r2.status, (await r2.text()).slice(0, 100));
}
await edge.close();
