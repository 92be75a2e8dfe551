/**
 * `deno task start`: the full local edge, offline.
 *
 * 1. the Toloka API emulator on a loopback port (the upstream);
 * 2. a local sealing key in `.dev.vars` (created if missing; git-ignored);
 * 3. a demo API key issued into the local KV that `wrangler dev` reads;
 * 4. `wrangler dev` on 127.0.0.1 with `TOLOKA_API_URL` pointed at the emulator;
 * 5. a `curl` line that works as is, and a sample listing fetched through the Worker.
 *
 * Ctrl-C stops everything and revokes the demo key.
 *
 * @module
 */

import { TolokaEmulator } from "../src/testing/mod.ts";
import { generateSealingKey, issueKey, revokeKey } from "../worker/keys.ts";
import { withLocalKv } from "../cli/local_kv.ts";
import { spawnWranglerDev, waitForHealth } from "./wrangler_dev.ts";

const root = new URL("../", import.meta.url);
const UPSTREAM_TOKEN = "demo-upstream-token";
const DEMO_POOLS = ["1", "2", "3"];
const port = Number(Deno.env.get("PORT") ?? 8787);
const encoder = new TextEncoder();
const out = (line = ""): void => void Deno.stdout.writeSync(encoder.encode(line + "\n"));

const sealingKey = await ensureDevVars();
const emulator = new TolokaEmulator({ tokens: [UPSTREAM_TOKEN] });
const upstream = await emulator.serve();
const { key } = await withLocalKv(
  root,
  (kv) =>
    issueKey(kv, sealingKey, { name: "demo", upstreamToken: UPSTREAM_TOKEN, pools: DEMO_POOLS }),
);

const wrangler = spawnWranglerDev({ cwd: root, port, upstreamUrl: upstream.baseUrl });
forward(wrangler.stdout);
forward(wrangler.stderr);

let stopping = false;
const stopped = new AbortController();
const stop = async (code: number): Promise<never> => {
  if (!stopping) {
    stopping = true;
    stopped.abort();
    try {
      wrangler.kill("SIGTERM");
    } catch { /* already gone */ }
    await wrangler.status;
    await upstream.close();
    await withLocalKv(root, (kv) => revokeKey(kv, key)).catch(() => {});
  }
  Deno.exit(code);
};
Deno.addSignalListener("SIGINT", () => void stop(0));
Deno.addSignalListener("SIGTERM", () => void stop(0));
wrangler.status.then((status) => {
  if (!stopping) {
    out(`wrangler dev exited (code ${status.code})`);
    void stop(1);
  }
});

const edge = `http://127.0.0.1:${port}`;
if (!await waitForHealth(`${edge}/health`, 90_000, stopped.signal)) {
  out("The Worker did not become ready within 90 s.");
  await stop(1);
}

const listing = `${edge}/api/v1/attachments?pool_id=1&sort=id&limit=3`;
const response = await fetch(listing, { headers: { Authorization: `OAuth ${key}` } });
const page = await response.json() as {
  items?: { id: string; name: string; created: string }[];
  has_more?: boolean;
};

out();
out(
  `Toloka API emulator (upstream): ${upstream.baseUrl}  (${emulator.attachments.length} attachments)`,
);
out(`Edge Worker (wrangler dev):      ${edge}`);
out(`Demo API key (pools ${DEMO_POOLS.join(", ")}; revoked when this stops): ${key}`);
out();
out(`Gallery: open ${edge}/ in a browser and paste the demo key (pool 1, 2 or 3).`);
out();
out("Try:");
out(`  curl -s -H 'Authorization: OAuth ${key}' '${listing}'`);
out(`  curl -s -H 'Authorization: OAuth ${key}' '${edge}/api/v1/attachments.csv?pool_id=2'`);
out(
  `  curl -s -H 'Authorization: OAuth ${key}' '${edge}/api/v1/attachments?pool_id=4'   # 403: out of scope`,
);
out();
out(`Sample listing through the Worker (HTTP ${response.status}, has_more: ${page.has_more}):`);
for (const item of page.items ?? []) {
  out(`  ${item.id}  ${item.created}  ${JSON.stringify(item.name)}`);
}
out();
out("Ctrl-C stops everything.");

/** Reads `.dev.vars`' TOKEN_SEALING_KEY, creating the file with a fresh key if it has none. */
async function ensureDevVars(): Promise<string> {
  const path = new URL(".dev.vars", root);
  let text = "";
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const existing = /^TOKEN_SEALING_KEY=(\S+)$/m.exec(text)?.[1];
  if (existing) return existing;
  const fresh = generateSealingKey();
  const line = `TOKEN_SEALING_KEY=${fresh}\n`;
  await Deno.writeTextFile(path, text && !text.endsWith("\n") ? `${text}\n${line}` : text + line, {
    mode: 0o600,
  });
  out("Created .dev.vars with a local TOKEN_SEALING_KEY.");
  return fresh;
}

/** Copies wrangler's output line by line, prefixed, minus the offline `Request.cf` noise. */
async function forward(stream: ReadableStream<Uint8Array>): Promise<void> {
  let skipping = false;
  const lines = stream.pipeThrough(new TextDecoderStream() as TransformStream<Uint8Array, string>)
    .pipeThrough(splitLines());
  for await (const line of lines) {
    if (/Request\.cf|ENOTFOUND workers\.cloudflare\.com/.test(line)) {
      skipping = true;
      continue;
    }
    if (skipping && /^\s+at /.test(line)) continue;
    skipping = false;
    if (line.trim()) out(`[edge] ${line}`);
  }
}

function splitLines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller): void {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const part of parts) controller.enqueue(part);
    },
    flush(controller): void {
      if (rest) controller.enqueue(rest);
    },
  });
}
