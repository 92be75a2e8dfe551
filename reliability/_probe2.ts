import { soakWorker } from "./worker_soak.ts";
import { formatReports } from "./report.ts";
const r = await soakWorker({ items: Number(Deno.args[0] ?? 3000), delayMs: Number(Deno.args[1] ?? 300) });
console.log(formatReports([r]));
