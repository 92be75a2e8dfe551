/**
 * The command line under faults (see `reliability/cli_faults.ts`): `cli/mod.ts download` as a
 * process, cut by SIGINT and by SIGKILL, then run to the end: no partial file under a final
 * name, a consistent manifest, every hash right.
 */

import assert from "node:assert/strict";
import { cliFaults } from "../reliability/cli_faults.ts";
import { formatReports } from "../reliability/report.ts";

Deno.test("CLI download killed mid-way (SIGINT, SIGKILL) and resumed: every file whole, once", async () => {
  const report = await cliFaults({ items: 300, rounds: 2 });
  assert.doesNotMatch(report.settings, /^PENDING/, "cli/mod.ts download is missing");
  assert.deepEqual(report.violations, [], formatReports([report]));
  const last = report.rows.find((row) => row.label.includes("to the end"))!.values;
  assert.equal(last.exit, 0);
  assert.equal(last["final files"], 300);
  assert.equal(last["manifest lines"], 300);
  assert.equal(last[".part left"], 0);
});
