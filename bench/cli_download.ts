/**
 * Measures `download` of a whole pool: the emulator served on loopback in this process, the
 * command line as a real program (`deno run -A cli/mod.ts download ...`) into a temporary folder.
 * Prints files/s and MB/s, then checks the folder. Not a test: run it directly. Creating files
 * is often what bounds it: compare a disk folder with a tmpfs one (`--dir /dev/shm`).
 *
 * ```sh
 * deno run -A bench/cli_download.ts [--files 5000] [--concurrency 8] [--max-file-size 61440] [--dir /dev/shm]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { TolokaEmulator } from "../src/testing/mod.ts";
import { assertCompleteFolder, readManifest } from "../tests/cli_helpers.ts";

function print(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
}

async function bench(
  files: number,
  concurrency: number,
  maxFileSize: number,
  parent: string | undefined,
): Promise<void> {
  const emulator = new TolokaEmulator({ pools: [files], maxFileSize });
  await using server = await emulator.serve();
  const out = await Deno.makeTempDir({ prefix: "cli-bench-", ...(parent ? { dir: parent } : {}) });
  try {
    const args = [
      "run",
      "-A",
      new URL("../cli/mod.ts", import.meta.url).pathname,
      "download",
      "--pool-id",
      "1",
      "--out",
      out,
      "--base-url",
      server.baseUrl,
      "--concurrency",
      String(concurrency),
      "--quiet",
    ];
    const started = performance.now();
    const result = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: new URL("../", import.meta.url).pathname,
      env: { TOLOKA_TOKEN: "test-token", NO_COLOR: "1" },
      stdout: "inherit",
      stderr: "piped",
    }).output();
    const seconds = (performance.now() - started) / 1000;
    const stderr = new TextDecoder().decode(result.stderr);
    if (result.code !== 0) throw new Error(`exit code ${result.code}: ${stderr}`);
    const lines = await readManifest(out);
    const bytes = lines.reduce((sum, line) => sum + line.size, 0);
    const mb = bytes / 1e6;
    const report = {
      files: lines.length,
      concurrency,
      averageFileKiB: Number((bytes / lines.length / 1024).toFixed(1)),
      totalMB: Number(mb.toFixed(1)),
      seconds: Number(seconds.toFixed(2)),
      filesPerSecond: Math.round(lines.length / seconds),
      megabytesPerSecond: Number((mb / seconds).toFixed(1)),
      cliSummary: stderr.trim(),
    };
    print(JSON.stringify(report, null, 2));
    await assertCompleteFolder(out, emulator, emulator.attachments.map((item) => item.id));
    print("checked: every file's bytes, size and SHA-256 match the emulator");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      files: { type: "string", default: "5000" },
      concurrency: { type: "string", default: "8" },
      // Non-image files are 0..max bytes, images 7 KiB: 61440 makes the average about 16 KiB.
      "max-file-size": { type: "string", default: "61440" },
      // The parent of the temporary folder (default: the system's temporary folder).
      dir: { type: "string" },
    },
  });
  await bench(
    Number(values.files),
    Number(values.concurrency),
    Number(values["max-file-size"]),
    values.dir,
  );
}
