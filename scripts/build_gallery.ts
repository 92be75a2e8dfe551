/**
 * Builds the gallery into `dist/gallery/` (git-ignored), the folder `wrangler.toml`'s `[assets]`
 * serves: `index.html`, `gallery.css`, `gallery.js` (our core client + `gallery/app.ts`, bundled
 * and minified for browsers) and `_headers` (the files' security headers). `wrangler deploy`,
 * `deno task start` and the Worker tests need it built first; the Worker's bundle holds none of
 * it.
 *
 * `deno run -A scripts/build_gallery.ts` builds it and prints the sizes.
 *
 * @module
 */

const root = new URL("../", import.meta.url);
/** The built gallery: `[assets] directory` in `wrangler.toml`. */
const target = new URL("dist/gallery/", root);
/** The files copied as they are. */
const COPIED = ["index.html", "gallery.css", "_headers"] as const;
let built: Promise<string> | undefined;

/**
 * Builds the gallery once per process and returns the folder's absolute path. Each file is
 * written beside its final name and renamed into place, so a process that reads the folder
 * meanwhile (another test file's Worker) never sees half a file.
 */
export function buildGallery(): Promise<string> {
  built ??= (async () => {
    await Deno.mkdir(target, { recursive: true });
    const suffix = `.${Deno.pid}.tmp`;
    const script = new URL(`gallery.js${suffix}`, target).pathname;
    const { success, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform=browser",
        "--minify",
        "-o",
        script,
        new URL("gallery/app.ts", root).pathname,
      ],
      cwd: root.pathname,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!success) {
      await Deno.remove(script).catch(() => {});
      throw new Error(`Bundling the gallery failed:\n${new TextDecoder().decode(stderr)}`);
    }
    await Deno.rename(script, new URL("gallery.js", target));
    for (const name of COPIED) {
      const temporary = new URL(`${name}${suffix}`, target);
      await Deno.copyFile(new URL(`gallery/${name}`, root), temporary);
      await Deno.rename(temporary, new URL(name, target));
    }
    return target.pathname.replace(/\/$/, "");
  })();
  return built;
}

if (import.meta.main) {
  const dir = await buildGallery();
  const gzip = async (blob: Blob): Promise<number> =>
    (await new Response(blob.stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer())
      .byteLength;
  const kib = (n: number): string => `${(n / 1024).toFixed(2)} KiB`;
  const write = (line: string): void =>
    void Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
  write(`${dir}/`);
  const files: Blob[] = [];
  const names = [["script", "gallery.js"], ["html", "index.html"], ["css", "gallery.css"]];
  for (const [label, name] of names) {
    const file = new Blob([await Deno.readFile(`${dir}/${name}`)]);
    files.push(file);
    write(`${label}: ${kib(file.size)}, ${kib(await gzip(file))} gzip`);
  }
  const page = new Blob(files);
  write(`page total: ${kib(page.size)}, ${kib(await gzip(page))} gzip`);
}
