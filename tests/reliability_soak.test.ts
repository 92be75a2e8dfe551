/**
 * The fault soaks in their CI setting (see `reliability/soak.ts` and `reliability/worker_soak.ts`;
 * `deno run ... reliability/main.ts --large` runs them at 100,000 items per order).
 */

import assert from "node:assert/strict";
import { soakCore } from "../reliability/soak.ts";
import { soakWorker } from "../reliability/worker_soak.ts";
import { formatReports } from "../reliability/report.ts";

Deno.test("core soak: 5,000 items in each of four orders under 20% faults of every kind, none lost", async () => {
  const report = await soakCore({ items: 5_000 });
  assert.deepEqual(report.violations, [], formatReports([report]));
  const total = report.rows.find((row) => row.label === "all orders")!.values;
  assert.equal(total.items, 20_000);
  assert.equal(total.lost, 0);
  assert.equal(total["dup/out of order"], 0);
  assert.ok(Number(total["faults injected"]) >= 28, "every kind, in every order");
  assert.ok(Number(total.retries) >= Number(total["faults injected"]), "every fault was retried");
});

Deno.test(
  "Worker soak: attachments.ndjson in four orders under 20% upstream faults, resumed, none lost",
  async () => {
    const report = await soakWorker({ items: 3_000 });
    assert.deepEqual(report.violations, [], formatReports([report]));
    const total = report.rows.find((row) => row.label === "all orders")!.values;
    assert.equal(total.items, 12_000);
    assert.equal(total.lost, 0);
    assert.ok(Number(total["faults injected"]) >= 7);
  },
);
