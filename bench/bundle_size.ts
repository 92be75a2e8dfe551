/**
 * Figure 10: the size of the core as a browser loads it, `mod.ts` bundled for the browser and
 * minified (`deno bundle --platform=browser --minify`, as the gallery's script is), in bytes and
 * gzipped.
 *
 * Standalone: `deno run --allow-read --allow-write --allow-run --allow-env bench/bundle_size.ts`
 *
 * @module
 */

import { bundle } from "../scripts/build_node.ts";

/** What {@linkcode measureBundleSize} reports. */
export interface BundleSizeResult {
  /** The command that made the bundle. */
  command: string;
  /** Bytes of the minified bundle. */
  bytes: number;
  /** Bytes of it gzipped (`CompressionStream("gzip")`). */
  gzipBytes: number;
}

/** Bundles `mod.ts` for the browser, minified, into a temporary file and measures it. */
export async function measureBundleSize(): Promise<BundleSizeResult> {
  const out = await Deno.makeTempFile({ suffix: ".js" });
  try {
    await bundle("mod.ts", out, { minify: true });
    const bytes = await Deno.readFile(out);
    const gzipped = await new Response(
      new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer();
    return {
      command: "deno bundle --platform=browser --minify -o core.js mod.ts",
      bytes: bytes.length,
      gzipBytes: gzipped.byteLength,
    };
  } finally {
    await Deno.remove(out);
  }
}

/** KiB with two decimals: `31.42 KiB`. */
export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(2)} KiB`;
}

if (import.meta.main) {
  const size = await measureBundleSize();
  // deno-lint-ignore no-console
  console.log(`${size.command}: ${kib(size.bytes)}, ${kib(size.gzipBytes)} gzip`);
}
