/**
 * `deno task start`: the full local edge, offline.
 *
 * 1. the Toloka API emulator on a loopback port (the upstream);
 * 2. a local sealing key in `.dev.vars` (created if missing; git-ignored);
 * 3. a demo API key issued into the local KV that `wrangler dev` reads, expiring in a day, so a
 *    run that is killed leaves nothing usable for long;
 * 4. the gallery built into `dist/gallery/` (`[assets]` in `wrangler.toml`), then
 *    `wrangler dev` on 127.0.0.1 with `TOLOKA_API_URL` pointed at the emulator, on `PORT` or the
 *    first free port from 8787 on; the URLs printed are the one wrangler reports it bound;
 * 5. a `curl` line that works as is, and a sample listing fetched through the Worker.
 *
 * Ctrl-C stops everything and revokes the demo key, once, however many signals arrive, and says
 * whether the revoke worked.
 *
 * @module
 */

import { TolokaEmulator } from "../src/testing/mod.ts";
import { generateSealingKey, issueKey, revokeKey } from "../src/keys/mod.ts";
import { START_EMULATOR_TOKEN, withLocalKv } from "../cli/local_kv.ts";
import { buildGallery } from "./build_gallery.ts";
import { spawnWranglerDev, waitForHealth } from "./wrangler_dev.ts";
import { choosePort, isPortFree, parsePortVariable, readyUrl } from "./start_port.ts";
import { onceStopper } from "./shutdown.ts";

const root = new URL("../", import.meta.url);
const UPSTREAM_TOKEN = START_EMULATOR_TOKEN;
const DEMO_POOLS = ["1", "2", "3"];
const DEMO_KEY_LIFETIME_MS = 24 * 60 * 60 * 1000;
const READY_TIMEOUT_MS = 90_000;
const encoder = new TextEncoder();
const out = (line = ""): void => void Deno.stdout.writeSync(encoder.encode(line + "\n"));

let requested: number | undefined;
try {
  requested = parsePortVariable(Deno.env.get("PORT"));
} catch (error) {
  out(`error: ${(error as Error).message}`);
  Deno.exit(2);
}
const choice = await choosePort(requested, isPortFree);
if ("error" in choice) {
  out(`error: ${choice.error}`);
  Deno.exit(1);
}
if (choice.note) out(choice.note);

const sealingKey = await ensureDevVars();
const emulator = new TolokaEmulator({ tokens: [UPSTREAM_TOKEN] });
const upstream = await emulator.serve();
const expiresAt = new Date(Date.now() + DEMO_KEY_LIFETIME_MS);
const { key } = await withLocalKv(root, (kv) =>
  issueKey(kv, sealingKey, {
    name: "demo",
    upstreamToken: UPSTREAM_TOKEN,
    pools: DEMO_POOLS,
    expiresAt,
  }));
const shortKey = `${key.slice(0, 10)}…`;

await buildGallery();
const wrangler = spawnWranglerDev({ cwd: root, port: choice.port, upstreamUrl: upstream.baseUrl });
let announceReady: (url: string) => void = () => {};
const ready = new Promise<string>((resolve) => announceReady = resolve);
const onLine = (line: string): void => {
  const url = readyUrl(line);
  if (url !== undefined) announceReady(url);
};
forward(wrangler.stdout, onLine);
forward(wrangler.stderr, onLine);

const stopped = new AbortController();
const stopper = onceStopper(async () => {
  out();
  out("Stopping wrangler dev and the emulator, then revoking the demo key...");
  stopped.abort();
  try {
    wrangler.kill("SIGTERM");
  } catch { /* already gone */ }
  // wrangler normally exits within a second or two; never let a hung one keep the key alive.
  const killer = setTimeout(() => {
    try {
      wrangler.kill("SIGKILL");
    } catch { /* already gone */ }
  }, 10_000);
  await wrangler.status;
  clearTimeout(killer);
  await upstream.close();
  try {
    const existed = await revokeDemoKey();
    out(
      existed
        ? `Revoked the demo key ${shortKey} (pools ${DEMO_POOLS.join(", ")}).`
        : `The demo key ${shortKey} was already gone from the local KV.`,
    );
    return true;
  } catch (error) {
    out(`error: could not revoke the demo key: ${(error as Error).message}`);
    out(`It stops working at ${expiresAt.toISOString()}; to revoke it now:`);
    out(`  deno task cli keys revoke --local ${key}`);
    return false;
  }
});
/**
 * Revokes the demo key in the local KV. Our own signal handling stays in charge (a second Ctrl-C
 * must not cut the revoke short), but a Ctrl-C reaches the whole process group, the workerd that
 * Miniflare starts for the KV included: one killed that way is started again, twice at most.
 */
async function revokeDemoKey(): Promise<boolean> {
  for (let attempt = 1;; attempt++) {
    try {
      return await withLocalKv(root, (kv) => revokeKey(kv, key), { ownSignals: true });
    } catch (error) {
      if (attempt === 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}
const stop = async (code: number): Promise<never> => Deno.exit(await stopper.stop(code));
Deno.addSignalListener("SIGINT", () => void stop(0));
Deno.addSignalListener("SIGTERM", () => void stop(0));
wrangler.status.then((status) => {
  if (!stopper.stopping) {
    out(`wrangler dev exited (code ${status.code})`);
    void stop(1);
  }
});

let readyTimer: ReturnType<typeof setTimeout> | undefined;
const edge = await Promise.race([
  ready,
  new Promise<undefined>((resolve) =>
    readyTimer = setTimeout(() => resolve(undefined), READY_TIMEOUT_MS)
  ),
]);
clearTimeout(readyTimer);
if (edge === undefined || !await waitForHealth(`${edge}/health`, 30_000, stopped.signal)) {
  if (!stopper.stopping) {
    out(`The Worker did not become ready within ${READY_TIMEOUT_MS / 1000} s.`);
  }
  await stop(1);
}

const listing = `${edge}/api/v1/attachments?pool_id=1&sort=id&limit=3`;
const response = await fetch(listing, { headers: { Authorization: `OAuth ${key}` } });
const page = await response.json().catch(() => ({})) as {
  items?: { id: string; name: string; created: string }[];
  has_more?: boolean;
  code?: string;
  message?: string;
};

out();
out(
  `Toloka API emulator (upstream): ${upstream.baseUrl}  (${emulator.attachments.length} attachments in pools ${
    poolsOf(emulator).join(", ")
  })`,
);
out(
  `Upstream token (emulator):       ${UPSTREAM_TOKEN}  (keys create --local uses it when TOLOKA_TOKEN is unset)`,
);
out(`Edge Worker (wrangler dev):      ${edge}`);
out(
  `Demo API key (pools ${
    DEMO_POOLS.join(", ")
  }; revoked when this stops, expires ${expiresAt.toISOString()}): ${key}`,
);
out();
out(`Gallery: open ${edge}/ in a browser and paste the demo key (pool 1, 2 or 3).`);
out();
out("Try:");
out(`  curl -s -H 'Authorization: OAuth ${key}' '${listing}'`);
out(`  curl -s -H 'Authorization: OAuth ${key}' '${edge}/api/v1/attachments.csv?pool_id=2'`);
out(
  `  curl -s -H 'Authorization: OAuth ${key}' '${edge}/api/v1/attachments?pool_id=4'   # 403: out of scope`,
);
out(`  TOLOKA_TOKEN=${key} deno task cli list --base-url ${edge}/api/v1 --pool-id 1 --max 5`);
out();
if (response.ok) {
  out(`Sample listing through the Worker (has_more: ${page.has_more}):`);
  for (const item of page.items ?? []) {
    out(`  ${item.id}  ${item.created}  ${JSON.stringify(item.name)}`);
  }
} else {
  out(
    `The sample listing through the Worker failed: HTTP ${response.status}${
      page.code ? ` ${page.code}` : ""
    }${page.message ? `: ${page.message}` : ""}`,
  );
}
out();
out("Ctrl-C stops everything and revokes the demo key.");

/** The emulator's pool ids that hold attachments, in numeric order. */
function poolsOf(source: TolokaEmulator): string[] {
  const ids = new Set(source.attachments.map((a) => a.details.pool_id));
  return [...ids].sort((a, b) => Number(a) - Number(b));
}

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
async function forward(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let skipping = false;
  const lines = stream.pipeThrough(new TextDecoderStream() as TransformStream<Uint8Array, string>)
    .pipeThrough(splitLines());
  for await (const line of lines) {
    onLine(line);
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
