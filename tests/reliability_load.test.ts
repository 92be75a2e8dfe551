/**
 * The load engine in its CI setting: the built-in generator against the Worker in workerd
 * (Miniflare), briefly. The real load test (wrangler dev, wrk, 50 connections x 30 s) runs with
 * `reliability/main.ts --large` (or `--only load`).
 */

import assert from "node:assert/strict";
import { loadRun } from "../reliability/load.ts";
import { edgeSuite } from "./edge_harness.ts";

edgeSuite(
  "load: the Worker in workerd under 10 connections for 1 s",
  { emulator: { pools: [50] } },
  async (t, edge) => {
    const { key } = await edge.issue({ pools: ["1"] });
    for (
      const [label, path, headers] of [
        ["/health", "/health", {}],
        ["a listing through the emulator", "/api/v1/attachments?pool_id=1&limit=20", {
          Authorization: `OAuth ${key}`,
        }],
      ] as const
    ) {
      await t.step(`${label}: zero errors`, async () => {
        const figures = await loadRun(`${edge.url}${path}`, {
          connections: 10,
          seconds: 1,
          tool: "builtin",
          headers,
        });
        assert.equal(figures.non2xx, 0);
        assert.equal(figures.socketErrors, 0);
        assert.ok(figures.requests > 50, `only ${figures.requests} requests`);
        assert.ok(figures.p50Ms > 0 && figures.p50Ms <= figures.p99Ms);
      });
    }
  },
);
