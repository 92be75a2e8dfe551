/** The Worker's assignment-to-pool cache is kept per key, so it tells one key nothing about another's lookups. */

import assert from "node:assert/strict";
import { edgeSuite } from "./edge_harness.ts";

edgeSuite("Worker: assignment pools remembered per key", {}, async (t, edge) => {
  const inPool2 = edge.emulator.attachments.find((a) => a.details.pool_id === "2")!;
  const assignment = encodeURIComponent(inPool2.details.assignment_id);
  const path = `/api/v1/attachments?assignment_id=${assignment}`;

  await t.step("a probe made for one key is not reused for another key", async () => {
    const first = await edge.issue({ name: "first", pools: ["1"] });
    assert.equal((await edge.request(path, { key: first.key })).status, 403);
    edge.emulator.clearRequests();
    const second = await edge.issue({ name: "second", pools: ["1"] });
    assert.equal((await edge.request(path, { key: second.key })).status, 403);
    // The second key's answer came from its own probe upstream, not from the first key's.
    const probes = edge.emulator.requests.filter((r) =>
      r.params.some(([k, v]) => k === "assignment_id" && v === inPool2.details.assignment_id)
    );
    assert.equal(probes.length, 1);
  });
});
