/**
 * `deno task start`: serves the Toloka API emulator on a loopback port, prints a `curl` line that
 * works as is and a sample listing fetched through it, then serves until Ctrl-C.
 *
 * @module
 */

import { TolokaEmulator } from "../src/testing/mod.ts";

const TOKEN = "demo-token";
const emulator = new TolokaEmulator({ tokens: [TOKEN] });
const controller = new AbortController();
const server = await emulator.serve({ port: Number(Deno.env.get("PORT") ?? 0) });

const listing = `${server.baseUrl}/attachments?pool_id=1&sort=id&limit=3`;
const response = await fetch(listing, { headers: { Authorization: `OAuth ${TOKEN}` } });
const page = await response.json() as {
  items: { id: string; name: string; created: string }[];
  has_more: boolean;
};

const out = (line = ""): void => void Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
out(`Toloka API emulator listening on ${server.url}`);
out(`${emulator.attachments.length} attachments; token "${TOKEN}".`);
out();
out("Try:");
out(`  curl -s -H 'Authorization: OAuth ${TOKEN}' '${listing}'`);
out();
out(`Sample listing (HTTP ${response.status}, has_more: ${page.has_more}):`);
for (const item of page.items) out(`  ${item.id}  ${item.created}  ${JSON.stringify(item.name)}`);
out();
out("Ctrl-C stops it.");

Deno.addSignalListener("SIGINT", () => controller.abort());
await new Promise<void>((resolve) => controller.signal.addEventListener("abort", () => resolve()));
await server.close();
