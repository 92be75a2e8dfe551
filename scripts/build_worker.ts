/**
 * Bundles the Worker into one ES module for workerd (`dist/worker.js`): Miniflare runs no
 * TypeScript and resolves no `npm:` specifiers. `wrangler deploy` builds from `worker/index.ts`
 * itself; this bundle is for tests and benchmarks.
 *
 * Run directly: `deno run -A scripts/build_worker.ts` prints the path and size.
 *
 * @module
 */

const root = new URL("../", import.meta.url);
let built: Promise<string> | undefined;

/** Builds the bundle once per process and returns its absolute path. */
export function buildWorker(): Promise<string> {
  built ??= (async () => {
    const out = new URL("dist/worker.js", root).pathname;
    const { success, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform=browser",
        // Runtime modules (`cloudflare:workers`, for the export jobs' Workflow) stay imports.
        "--external",
        "cloudflare:*",
        "-o",
        out,
        new URL("worker/index.ts", root).pathname,
      ],
      cwd: root.pathname,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!success) {
      throw new Error(`Bundling the Worker failed:\n${new TextDecoder().decode(stderr)}`);
    }
    return out;
  })();
  return built;
}

if (import.meta.main) {
  const path = await buildWorker();
  const { size } = await Deno.stat(path);
  // deno-lint-ignore no-console -- a script's output
  console.log(`${path} ${(size / 1024).toFixed(1)} KiB`);
}
