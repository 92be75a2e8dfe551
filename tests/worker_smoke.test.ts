import assert from "node:assert/strict";
import { startEdge } from "./edge_harness.ts";

Deno.test("Worker serves a scoped listing from the emulator through workerd", async () => {
  const edge = await startEdge();
  try {
    const { key } = await edge.issue({ pools: ["1"] });
    const { response, text } = await edge.request("/api/v1/attachments?pool_id=1&sort=id&limit=5", {
      key,
    });
    assert.equal(response.status, 200);
    const body = JSON.parse(text);
    const expected = edge.emulator.attachments.filter((a) => a.details.pool_id === "1")
      .map((a) => a.id).sort().slice(0, 5);
    assert.deepEqual(body.items.map((i: { id: string }) => i.id), expected);
  } finally {
    await edge.close();
  }
});
