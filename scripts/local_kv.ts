/**
 * The Workers KV that `wrangler dev` (and so `deno task start`) uses on this machine, opened
 * through Miniflare on wrangler's own persistence folder (`.wrangler/state/v3/kv`), so local keys
 * can be issued, listed and revoked without a running Worker.
 *
 * @module
 */

import { Miniflare } from "miniflare";
import type { KvNamespace } from "../worker/kv.ts";

/** The KV namespace id `wrangler.toml` binds as `TOKENS`. */
export async function tokensNamespaceId(root: URL): Promise<string> {
  const toml = await Deno.readTextFile(new URL("wrangler.toml", root));
  const block = /\[\[kv_namespaces\]\]([^[]*)/.exec(toml)?.[1] ?? "";
  if (!/binding\s*=\s*"TOKENS"/.test(block)) {
    throw new Error("wrangler.toml binds no TOKENS namespace");
  }
  const id = /\bid\s*=\s*"([^"]+)"/.exec(block)?.[1];
  if (!id) throw new Error("wrangler.toml's TOKENS namespace has no id");
  return id;
}

/** Runs `use` with the local `TOKENS` namespace, then closes it. */
export async function withLocalKv<T>(root: URL, use: (kv: KvNamespace) => Promise<T>): Promise<T> {
  const id = await tokensNamespaceId(root);
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 404 }); } };",
    kvNamespaces: { TOKENS: id },
    kvPersist: new URL(".wrangler/state/v3/kv", root).pathname,
  });
  try {
    await mf.ready;
    const kv = await mf.getKVNamespace("TOKENS") as unknown as KvNamespace;
    return await use(kv);
  } finally {
    await mf.dispose();
  }
}
