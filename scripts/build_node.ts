/**
 * Bundles the core for Node into `dist/node/` (git-ignored): `mod.mjs` from `mod.ts` and
 * `testing.mjs` from `src/testing/mod.ts`, each one ES module with valibot and @noble/hashes
 * inlined, which `tests/node/` imports under `node --test`.
 *
 * `deno bundle` targets `browser` or `deno`; the browser build is plain ESM over web APIs
 * (`fetch`, streams, `AbortSignal.any`, `CompressionStream`) that Node 20 has, so Node runs it
 * as it is. The `.mjs` extension makes Node load it as ESM with no `package.json`.
 *
 * `deno run --allow-read --allow-write --allow-run --allow-env scripts/build_node.ts`
 *
 * @module
 */

const root = new URL("../", import.meta.url);

/** The bundles this script writes: output file under `dist/node/` → entry point. */
export const NODE_BUNDLES: Readonly<Record<string, string>> = {
  "mod.mjs": "mod.ts",
  "testing.mjs": "src/testing/mod.ts",
};

/** Bundles `entry` (a path from the repository root) for the browser into `output`. */
export async function bundle(
  entry: string,
  output: string,
  options: { minify?: boolean } = {},
): Promise<void> {
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform=browser",
      ...(options.minify === true ? ["--minify"] : []),
      "-o",
      output,
      new URL(entry, root).pathname,
    ],
    cwd: root.pathname,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(`Bundling ${entry} failed:\n${new TextDecoder().decode(stderr)}`);
  }
}

if (import.meta.main) {
  const out = new URL("dist/node/", root);
  await Deno.mkdir(out, { recursive: true });
  for (const [file, entry] of Object.entries(NODE_BUNDLES)) {
    const target = new URL(file, out);
    await bundle(entry, target.pathname);
    const { size } = await Deno.stat(target);
    Deno.stdout.writeSync(
      new TextEncoder().encode(
        `dist/node/${file}: ${(size / 1024).toFixed(2)} KiB from ${entry}\n`,
      ),
    );
  }
}
