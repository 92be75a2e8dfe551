import { loadEdge } from "./load.ts";
import { formatReports } from "./report.ts";
console.log(formatReports([await loadEdge({ seconds: Number(Deno.args[0] ?? 5), connections: 50 })]));
