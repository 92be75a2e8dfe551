/**
 * The Workers KV that `wrangler dev` (and so `deno task start`) uses on this machine, opened
 * through Miniflare on wrangler's own persistence folder (`.wrangler/state/v3/kv`), so local keys
 * can be issued, listed and revoked without a running Worker. Both the config file and the
 * persistence folder can be pointed elsewhere (tests use a temporary folder); give them as paths
 * or `file:` URLs relative to the root.
 *
 * Miniflare is imported only when a local KV is opened, so the rest of the command line never
 * loads it.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { KvNamespace } from "../src/keys/mod.ts";

/**
 * The upstream token that `deno task start`'s emulator accepts (and its demo key seals): what
 * `keys create --local` seals when `TOLOKA_TOKEN` is not set, so a local key works against the
 * local edge. Not a secret: the emulator is a test double on loopback.
 */
export const START_EMULATOR_TOKEN = "demo-upstream-token";

/** Where the local KV is. Relative paths are resolved against the root. */
export interface LocalKvOptions {
  /**
   * The wrangler config that binds `TOKENS`.
   *
   * @default {"wrangler.toml" in the root}
   */
  configPath?: string;
  /**
   * Miniflare's KV persistence folder.
   *
   * @default {".wrangler/state/v3/kv" in the root}
   */
  persistTo?: string;
  /**
   * Leave SIGINT and SIGTERM to the caller. Miniflare, while it runs, answers them by exiting the
   * process at once (its exit hook); a caller that is itself stopping on a signal (`deno task
   * start` revoking its demo key) must not be cut short by the next one, so Miniflare's handlers
   * are removed the moment it is created. Its exit handler stays, so workerd still stops with
   * the process.
   *
   * @default {false}
   */
  ownSignals?: boolean;
}

/** Reads the id of the KV namespace a wrangler config binds as `TOKENS` from its text. */
export function parseTokensNamespaceId(toml: string): string {
  for (const match of toml.matchAll(/\[\[kv_namespaces\]\]([^[]*)/g)) {
    const block = match[1] ?? "";
    if (!/binding\s*=\s*"TOKENS"/.test(block)) continue;
    const id = /\bid\s*=\s*"([^"]+)"/.exec(block)?.[1];
    if (!id) throw new Error("the wrangler config's TOKENS namespace has no id");
    return id;
  }
  throw new Error("the wrangler config binds no TOKENS namespace");
}

/** The KV namespace id `wrangler.toml` (in `root`, or at `configPath`) binds as `TOKENS`. */
export async function tokensNamespaceId(root: URL, configPath?: string): Promise<string> {
  const config = configPath === undefined
    ? new URL("wrangler.toml", root)
    : new URL(configPath, root);
  return parseTokensNamespaceId(await Deno.readTextFile(config));
}

/** Runs `use` with the local `TOKENS` namespace, then closes it. */
export async function withLocalKv<T>(
  root: URL,
  use: (kv: KvNamespace) => Promise<T>,
  options: LocalKvOptions = {},
): Promise<T> {
  const id = await tokensNamespaceId(root, options.configPath);
  const persist = new URL(options.persistTo ?? ".wrangler/state/v3/kv", root);
  const { Miniflare } = await import("miniflare");
  const { default: process } = await import("node:process");
  const signals = ["SIGINT", "SIGTERM"] as const;
  const before = new Map(signals.map((name) => [name, new Set(process.listeners(name))]));
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 404 }); } };",
    kvNamespaces: { TOKENS: id },
    kvPersist: fileURLToPath(persist),
  });
  if (options.ownSignals) {
    // Synchronously after the constructor, which registered them: no signal can come between.
    for (const name of signals) {
      for (const listener of process.listeners(name)) {
        if (!before.get(name)!.has(listener)) process.removeListener(name, listener);
      }
    }
  }
  try {
    await mf.ready;
    const kv = await mf.getKVNamespace("TOKENS") as unknown as KvNamespace;
    return await use(kv);
  } finally {
    await mf.dispose();
  }
}
