/**
 * The package's layering, checked: code outside `src/` (the Worker, the command line, the
 * gallery, scripts, benchmarks and the reliability runs) reaches the core only through the
 * package's public entry points, the `exports` of `deno.json`, as a user's program would. Tests
 * are exempt: they test the core's pure internals (pagination, schemas, key spaces) directly.
 *
 * `deno run --allow-read=. scripts/check_imports.ts` prints each import that reaches inside
 * `src/` and exits with 1 when there is one; `deno task check` runs it.
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { dirname, join, normalize, relative } from "node:path";

const CHECKED = ["worker", "cli", "gallery", "scripts", "bench", "reliability"];
// Static imports and re-exports (`from "…"`), side-effect imports and dynamic `import("…")`.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g;

/** The `src/` files the package exports, relative to the root. */
async function entryPoints(root: string): Promise<Set<string>> {
  const config = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
  return new Set(
    Object.values(config.exports as Record<string, string>).map((path) => normalize(path)),
  );
}

async function* typeScriptFiles(folder: string): AsyncGenerator<string> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(folder));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory) yield* typeScriptFiles(path);
    else if (/\.tsx?$/.test(entry.name)) yield path;
  }
}

/**
 * The imports under `root` that reach a `src/` file other than an entry point.
 *
 * @param root The project's root folder.
 * @returns `file: specifier` lines, empty when the layering holds.
 */
export async function importsIntoSrc(root: string): Promise<string[]> {
  const allowed = await entryPoints(root);
  const found: string[] = [];
  for (const folder of CHECKED) {
    for await (const file of typeScriptFiles(join(root, folder))) {
      const text = await Deno.readTextFile(file);
      for (const [, specifier] of text.matchAll(SPECIFIER)) {
        if (!specifier?.startsWith(".")) continue;
        const target = relative(root, join(dirname(file), specifier));
        if (target.startsWith("src/") && !allowed.has(target)) {
          found.push(`${relative(root, file)}: ${specifier}`);
        }
      }
    }
  }
  return found;
}

if (import.meta.main) {
  const root = normalize(join(dirname(new URL(import.meta.url).pathname), ".."));
  const found = await importsIntoSrc(root);
  if (found.length > 0) {
    console.error(
      `These imports reach inside src/; use the package's entry points (deno.json "exports"):\n${
        found.map((line) => `  ${line}`).join("\n")
      }`,
    );
    Deno.exit(1);
  }
}
