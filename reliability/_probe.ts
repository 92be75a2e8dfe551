import { soakCore } from "./soak.ts";
import { formatReports } from "./report.ts";
const r = await soakCore({ items: Number(Deno.args[0] ?? 5000) });
console.log(formatReports([r]));
