import { fuzzWorker } from "./fuzz.ts";
import { formatReports } from "./report.ts";
const r = await fuzzWorker({ cases: Number(Deno.args[0] ?? 2000), seed: Number(Deno.args[1] ?? 1) });
console.log(formatReports([r]));
