/**
 * The Worker fuzz in its CI setting (see `reliability/fuzz.ts`): 10,000 seeded requests.
 */

import assert from "node:assert/strict";
import { fuzzWorker } from "../reliability/fuzz.ts";
import { formatReports } from "../reliability/report.ts";

Deno.test("fuzz: 10,000 generated requests, never a 5xx, a secret or an upstream request for invalid input", async () => {
  const report = await fuzzWorker({ cases: 10_000, seed: 1 });
  assert.deepEqual(report.violations, [], formatReports([report]));
  const figures = report.rows[0]!.values;
  assert.equal(figures.sent, 10_000);
  assert.equal(figures["5xx from the Worker"], 0);
  assert.equal(figures["failing cases"], 0);
});
