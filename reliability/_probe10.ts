import { cliFaults } from "./cli_faults.ts";
import { formatReports } from "./report.ts";
console.log(formatReports([await cliFaults({ items: Number(Deno.args[0] ?? 400), rounds: Number(Deno.args[1] ?? 2) })]));
