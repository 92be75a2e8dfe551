/**
 * Runs the reliability and security engines and prints their figures as Markdown tables; exits 1
 * on any violation.
 *
 *     deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-env --allow-run \
 *       reliability/main.ts [--large] [--only soak,worker-soak,fuzz,matrix,load,cli]
 *       [--seed N] [--case I] [--json FILE]
 *
 * - the small setting (default) is CI's: a few seconds each; `load` is left out unless named in
 *   `--only` (it starts `wrangler dev`);
 * - `--large`: 100,000 items per order, 50,000 fuzz cases, delays past the Worker's upstream
 *   timeout, the load test (50 connections x 30 s per target), a larger CLI run;
 * - `--seed N` reseeds everything; `--case I` (with `--only fuzz`) replays one fuzz case.
 *
 * Everything targets 127.0.0.1 only, is bounded in count and time, and stops by itself.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { cliFaults } from "./cli_faults.ts";
import { fuzzWorker } from "./fuzz.ts";
import { loadEdge } from "./load.ts";
import { keyMatrix } from "./matrix.ts";
import { type EngineReport, formatReports } from "./report.ts";
import { soakCore } from "./soak.ts";
import { soakWorker } from "./worker_soak.ts";

const ENGINES = ["soak", "worker-soak", "fuzz", "matrix", "load", "cli"] as const;
type Engine = typeof ENGINES[number];

const { values } = parseArgs({
  args: Deno.args,
  options: {
    large: { type: "boolean", default: false },
    only: { type: "string" },
    seed: { type: "string", default: "1" },
    case: { type: "string" },
    json: { type: "string" },
  },
});
const large = values.large;
const seed = Number(values.seed);
if (!Number.isSafeInteger(seed)) throw new TypeError(`--seed must be an integer: ${values.seed}`);
const only = values.only?.split(",").map((name) => name.trim()) as Engine[] | undefined;
for (const name of only ?? []) {
  if (!ENGINES.includes(name)) throw new TypeError(`--only: unknown engine ${name}`);
}
const selected = only ?? ENGINES.filter((name) => name !== "load" || large);

const runs: Record<Engine, () => Promise<EngineReport>> = {
  soak: () => soakCore({ items: large ? 100_000 : 5_000, seed }),
  "worker-soak": () =>
    soakWorker(
      large
        ? { items: 100_000, seed, delayMs: 10_500, deadlineMs: 3_600_000 }
        : { items: 3_000, seed },
    ),
  fuzz: () =>
    fuzzWorker({
      cases: large ? 50_000 : 10_000,
      seed,
      ...(values.case === undefined ? {} : { only: [Number(values.case)] }),
    }),
  matrix: () => keyMatrix(),
  load: () => loadEdge(large ? { connections: 50, seconds: 30 } : { connections: 20, seconds: 5 }),
  cli: () => cliFaults(large ? { items: 2_000, seed, rounds: 6 } : { seed }),
};

const started = performance.now();
const reports: EngineReport[] = [];
const write = (text: string): void => void Deno.stdout.writeSync(new TextEncoder().encode(text));
write(`# Reliability run (${large ? "large" : "small"} setting, seed ${seed})\n\n`);
for (const name of selected) {
  const report = await runs[name]();
  reports.push(report);
  write(formatReports([report]) + "\n");
}
const failed = reports.filter((r) => r.violations.length > 0);
write(
  `${reports.length} engines in ${((performance.now() - started) / 1000).toFixed(1)} s: ${
    failed.length === 0
      ? "all passed"
      : `${failed.length} failed (${failed.map((r) => r.name).join(", ")})`
  }\n`,
);
if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(reports, null, 2));
Deno.exit(failed.length === 0 ? 0 : 1);
