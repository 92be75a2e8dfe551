/**
 * The command line as a real program (`deno run -A cli/mod.ts ...`): output, exit codes, and
 * Ctrl-C (SIGINT) in the middle of a download, resumed afterwards to completion.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { TolokaEmulator } from "../src/testing/mod.ts";
import { assertCompleteFolder, listFolder, poolItems, readManifest, run } from "./cli_helpers.ts";

const ROOT = new URL("../", import.meta.url);
const CLI = new URL("../cli/mod.ts", import.meta.url).pathname;

function cli(args: string[], env: Record<string, string> = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd: ROOT.pathname,
    env: { NO_COLOR: "1", TOLOKA_TOKEN: "test-token", ...env },
    clearEnv: false,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

Deno.test("deno run -A cli/mod.ts: list writes NDJSON, bad flags exit 2 with one line", async () => {
  const emulator = new TolokaEmulator({ pools: [30, 12] });
  await using server = await emulator.serve();
  const listed = await cli(["list", "--pool-id", "2", "--base-url", server.baseUrl]).output();
  assert.equal(listed.code, 0, decode(listed.stderr));
  const items = decode(listed.stdout).trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(items, poolItems(emulator, "2"));

  const bad = await cli(["list", "--pool-id", "2", "--order", "size"]).output();
  assert.equal(bad.code, 2);
  assert.equal(decode(bad.stdout), "");
  assert.equal(
    decode(bad.stderr),
    'error: --order must be one of id, -id, created, -created, got "size"\n',
  );

  const denied = await cli(["list", "--pool-id", "2", "--base-url", server.baseUrl], {
    TOLOKA_TOKEN: "nope",
  }).output();
  assert.equal(denied.code, 1);
  assert.match(
    decode(denied.stderr),
    /^error: the server at 127\.0\.0\.1:\d+ answered 401 AUTHENTICATION_ERROR/,
  );
});

Deno.test("SIGINT stops a download cleanly (exit 130, no partial file); the next run completes it", async () => {
  const emulator = new TolokaEmulator({ pools: [600], latencyMs: 15, maxFileSize: 4096 });
  await using server = await emulator.serve();
  const out = await Deno.makeTempDir({ prefix: "cli-sigint-" });
  try {
    const child = cli([
      "download",
      "--pool-id",
      "1",
      "--out",
      out,
      "--base-url",
      server.baseUrl,
      "--concurrency",
      "4",
    ]).spawn();
    // Wait until some files are done, then press Ctrl-C.
    const manifest = join(out, "manifest.ndjson");
    const deadline = Date.now() + 20_000;
    for (;;) {
      const text = await Deno.readTextFile(manifest).catch(() => "");
      if (text.split("\n").length > 40) break;
      assert.ok(Date.now() < deadline, "the download did not start");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill("SIGINT");
    const status = await child.output();
    const stderr = decode(status.stderr);
    assert.equal(status.code, 130, stderr);
    assert.match(stderr, /interrupted: run the same command again to fetch the rest\n$/);

    const names = await listFolder(out);
    assert.deepEqual(names.filter((name) => name.endsWith(".part")), []);
    const done = await readManifest(out);
    assert.ok(done.length < 600, `${done.length} of 600 done before the interrupt`);
    assert.equal(names.length, done.length + 1, "only complete files and the manifest");

    const resumed = await run([
      "download",
      "--pool-id",
      "1",
      "--out",
      out,
      "--base-url",
      server.baseUrl,
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`, ${done.length} already present, 0 failed`));
    await assertCompleteFolder(
      out,
      emulator,
      poolItems(emulator, "1").map((item) => item.id as string),
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
