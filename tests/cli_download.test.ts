/**
 * `download` against the emulator served on loopback: thousands of files byte for byte with their
 * manifest; hostile names kept inside the folder; an aborted run resumed to completion; faults
 * healed by retries; damaged files and a torn manifest line repaired by the next run; a file
 * that cannot be fetched reported, with exit code 1.
 */

import assert from "node:assert/strict";
import { join, relative, resolve, sep } from "node:path";
import { manifestLine } from "../cli/manifest.ts";
import { TolokaEmulator } from "../src/testing/mod.ts";
import {
  assertCompleteFolder,
  downloadRequests,
  envWith,
  listFolder,
  poolItems,
  readManifest,
  run,
} from "./cli_helpers.ts";

async function tempFolder(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "cli-download-" });
}

function idsOf(emulator: TolokaEmulator, pool: string): string[] {
  return poolItems(emulator, pool).map((item) => item.id as string);
}

Deno.test("download fetches a pool of 2,500 files byte for byte, with a manifest of their hashes", async () => {
  const emulator = new TolokaEmulator({ pools: [2500], maxFileSize: 2048 });
  await using server = await emulator.serve();
  const out = await tempFolder();
  try {
    const result = await run([
      "download",
      "--pool-id",
      "1",
      "--out",
      out,
      "--base-url",
      server.baseUrl,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^2500 downloaded \(.+\), 0 already present, 0 failed\n$/m);
    assert.equal(result.stdout, "");
    const lines = await assertCompleteFolder(out, emulator, idsOf(emulator, "1"));
    const wire = new Map(emulator.attachments.map((item) => [item.id, item]));
    for (const line of lines) {
      assert.deepEqual(line.attachment, wire.get(line.id), "the manifest holds Toloka's wire JSON");
    }
    assert.equal(downloadRequests(emulator), 2500);

    // A second run checks every file and fetches nothing.
    const again = await run([
      "download",
      "--pool-id",
      "1",
      "--out",
      out,
      "--base-url",
      server.baseUrl,
    ]);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /^0 downloaded \(0 B in .+\), 2500 already present, 0 failed\n$/m);
    assert.equal(downloadRequests(emulator), 2500);
    assert.equal((await readManifest(out)).length, 2500);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("download keeps every hostile name of pool 1 inside the folder, with no two names alike", async () => {
  const emulator = new TolokaEmulator({ pools: [300] });
  const parent = await tempFolder();
  const out = join(parent, "inside");
  try {
    const result = await run([
      "download",
      "--pool-id",
      "1",
      "--out",
      "inside",
      "--concurrency",
      "16",
    ], {
      fetch: emulator.fetch,
      cwd: parent,
    });
    assert.equal(result.code, 0, result.stderr);
    const lines = await assertCompleteFolder(out, emulator, idsOf(emulator, "1"));
    assert.deepEqual(await listFolder(parent), ["inside"], "nothing lands beside the folder");
    const root = await Deno.realPath(out);
    const byName = new Map(lines.map((line) => [line.attachment.name as string, line.path]));
    for (
      const hostile of [
        "../../etc/passwd",
        "/etc/shadow",
        "C:\\Windows\\system32\\evil.dll",
        "..\\..\\boot.ini",
        "",
        ".",
        "..",
        "a\u0000b.txt",
        "CON",
        "NUL.txt",
        "com1.png",
        "LPT9",
        "line1\r\nline2.txt",
        `long_${"x".repeat(300)}.png`,
        "name. ",
        "trailing dot.",
        "trailing space ",
        "<img src=x onerror=alert(1)>.png",
      ]
    ) {
      const path = byName.get(hostile);
      assert.ok(path !== undefined, `${JSON.stringify(hostile)} was downloaded`);
      // The manifest's path stays in the folder as written: no absolute, "." or ".." part.
      const target = resolve(root, path);
      assert.ok(target.startsWith(root + sep), `${JSON.stringify(path)} resolves inside`);
      assert.equal(relative(root, target), path);
      assert.ok((await Deno.realPath(join(out, path))).startsWith(root + sep));
      assert.ok(new TextEncoder().encode(path).length <= 200);
      // deno-lint-ignore no-control-regex
      assert.ok(!/[\u0000-\u001f\/\\<>:"|?*]|[. ]$/.test(path), JSON.stringify(path));
    }
    assert.ok(byName.get("e\u0301te\u0301.png")?.endsWith("_\u00e9t\u00e9.png"), "NFC");
    assert.ok(byName.get("фото 1.png")?.endsWith("_фото 1.png"), "non-ASCII kept");
    const photos = lines.filter((line) => line.attachment.name === "photo.png");
    assert.equal(photos.length, 5);
    assert.equal(new Set(photos.map((line) => line.path.toLowerCase())).size, 5);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("an aborted download leaves no partial file, and the next run fetches only what is missing", async () => {
  const emulator = new TolokaEmulator({ pools: [400], maxFileSize: 4096 });
  await using server = await emulator.serve();
  const out = await tempFolder();
  try {
    const controller = new AbortController();
    let started = 0;
    const fetch = (request: Request): Promise<Response> => {
      if (request.url.endsWith("/download") && ++started === 150) controller.abort();
      return globalThis.fetch(request);
    };
    const first = await run(
      ["download", "--pool-id", "1", "--out", out, "--base-url", server.baseUrl],
      { fetch, signal: controller.signal },
    );
    assert.equal(first.code, 130, first.stderr);
    assert.match(first.stderr, /interrupted: run the same command again/);
    const names = await listFolder(out);
    assert.deepEqual(names.filter((name) => name.endsWith(".part")), [], "no temporary file left");
    const done = await readManifest(out);
    assert.ok(done.length > 0 && done.length < 400, `${done.length} files done before the abort`);
    assert.equal(names.length, done.length + 1, "only complete files and the manifest");
    // Counted on the client side: the aborted run's last requests may reach the server late.
    let fetched = 0;
    const counting = (request: Request): Promise<Response> => {
      if (request.url.endsWith("/download")) fetched++;
      return globalThis.fetch(request);
    };
    const second = await run(
      ["download", "--pool-id", "1", "--out", out, "--base-url", server.baseUrl],
      { fetch: counting },
    );
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(`${400 - done.length} downloaded .*, ${done.length} already present`),
    );
    assert.equal(fetched, 400 - done.length, "only the missing files");
    await assertCompleteFolder(out, emulator, idsOf(emulator, "1"));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("faults of every kind at a rate of 0.2 are healed by retries", async () => {
  const emulator = new TolokaEmulator({
    pools: [400],
    maxFileSize: 40_000, // several chunks, so "truncated" cuts bodies mid-way
    faults: { rate: 0.2, retryAfterSeconds: 0, delayMs: 20, seed: 7 },
  });
  await using server = await emulator.serve();
  const out = await tempFolder();
  try {
    const result = await run([
      "download",
      "--pool-id",
      "1",
      "--out",
      out,
      "--base-url",
      server.baseUrl,
      "--retries",
      "8",
    ]);
    assert.equal(result.code, 0, result.stderr);
    await assertCompleteFolder(out, emulator, idsOf(emulator, "1"));
    const kinds = new Set(emulator.requests.map((entry) => entry.fault).filter((f) => f !== null));
    assert.deepEqual(
      [...kinds].sort(),
      ["429", "500", "502", "503", "delay", "reset", "truncated"],
      "every kind of fault was injected",
    );
    const faulted = emulator.requests.filter((entry) =>
      entry.fault !== null && entry.fault !== "delay" && entry.path.endsWith("/download")
    );
    assert.ok(faulted.length > 40, `${faulted.length} downloads failed on the way`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a file changed or deleted on disk is fetched again; the manifest keeps each id once", async () => {
  const emulator = new TolokaEmulator({ pools: [60] });
  const out = await tempFolder();
  try {
    const args = ["download", "--pool-id", "1", "--out", out];
    assert.equal((await run(args, { fetch: emulator.fetch })).code, 0);
    const lines = await readManifest(out);
    const changed = lines.find((line) => line.size > 10)!;
    const deleted = lines.find((line) => line !== changed)!;
    const bytes = await Deno.readFile(join(out, changed.path));
    bytes[3] = bytes[3]! ^ 0xff; // same size, different content: only the hash can tell
    await Deno.writeFile(join(out, changed.path), bytes);
    await Deno.remove(join(out, deleted.path));
    const before = downloadRequests(emulator);

    const again = await run(args, { fetch: emulator.fetch });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /^2 downloaded .*, 58 already present, 0 failed$/m);
    assert.equal(downloadRequests(emulator) - before, 2);
    await assertCompleteFolder(out, emulator, idsOf(emulator, "1"));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a torn last manifest line (a crash mid-write) is dropped and its file fetched again", async () => {
  const emulator = new TolokaEmulator({ pools: [30] });
  const out = await tempFolder();
  try {
    const args = ["download", "--pool-id", "1", "--out", out];
    assert.equal((await run(args, { fetch: emulator.fetch })).code, 0);
    const lines = await readManifest(out);
    const last = lines.pop()!;
    const text = lines.map((line) => manifestLine(line)).join("") +
      manifestLine(last).slice(0, 50);
    await Deno.writeTextFile(join(out, "manifest.ndjson"), text);
    // A temporary file left by a killed run is replaced, never taken for a complete one.
    await Deno.writeTextFile(join(out, `.${last.path}.part`), "half");

    const again = await run(args, { fetch: emulator.fetch });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /^1 downloaded .*, 29 already present/m);
    await assertCompleteFolder(out, emulator, idsOf(emulator, "1"));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a file the API refuses is reported, exit code 1; a later run fetches only that one", async () => {
  const emulator = new TolokaEmulator({ pools: [40] });
  const out = await tempFolder();
  const ids = idsOf(emulator, "1");
  const refused = ids[7]!;
  try {
    const args = ["download", "--pool-id", "1", "--out", out];
    const refusing = (request: Request): Promise<Response> =>
      request.url.includes(`/attachments/${refused}/download`)
        ? Promise.resolve(
          Response.json({ request_id: "req-42", code: "ACCESS_DENIED", message: "No access" }, {
            status: 403,
          }),
        )
        : emulator.fetch(request);
    const first = await run(args, { fetch: refusing });
    assert.equal(first.code, 1);
    assert.match(first.stderr, /^39 downloaded .*, 0 already present, 1 failed$/m);
    assert.ok(
      first.stderr.includes(
        `failed: ${refused} "${
          emulator.attachments.find((item) => item.id === refused)!.name
        }": the Toloka API answered 403 ACCESS_DENIED: No access (request id req-42)\n`,
      ),
      first.stderr,
    );
    assert.match(first.stderr, /error: 1 file\(s\) missing: run the same command again/);
    assert.equal((await readManifest(out)).length, 39);

    const before = downloadRequests(emulator);
    const second = await run(args, { fetch: emulator.fetch });
    assert.equal(second.code, 0);
    assert.equal(downloadRequests(emulator) - before, 1);
    await assertCompleteFolder(out, emulator, ids);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a body that breaks off mid-way is retried as a whole file", async () => {
  const emulator = new TolokaEmulator({ pools: [20], maxFileSize: 100_000 });
  const out = await tempFolder();
  const broken = new Set<string>();
  try {
    // Each file's first attempt sends its first chunk and then fails.
    const flaky = async (request: Request): Promise<Response> => {
      const response = await emulator.fetch(request);
      if (!request.url.endsWith("/download") || broken.has(request.url)) return response;
      broken.add(request.url);
      const reader = response.body!.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller): Promise<void> {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else {
            controller.enqueue(value);
            controller.error(new TypeError("connection reset"));
          }
        },
      });
      return new Response(body, { headers: response.headers });
    };
    const result = await run(["download", "--pool-id", "1", "--out", out], { fetch: flaky });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(downloadRequests(emulator), 40, "two attempts per file");
    await assertCompleteFolder(out, emulator, idsOf(emulator, "1"));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("download ends with one error line and exit code 1 for an API error or an unusable folder", async () => {
  const emulator = new TolokaEmulator({ pools: [5] });
  const parent = await tempFolder();
  try {
    const denied = await run(["download", "--pool-id", "1", "--out", join(parent, "x")], {
      fetch: emulator.fetch,
      env: envWith("wrong-token"),
    });
    assert.equal(denied.code, 1);
    assert.match(
      denied.stderr,
      /^error: the Toloka API answered 401 AUTHENTICATION_ERROR: .+ \(request id [^)]+\)\n$/,
    );
    await Deno.writeTextFile(join(parent, "file"), "");
    const notAFolder = await run(["download", "--pool-id", "1", "--out", join(parent, "file")], {
      fetch: emulator.fetch,
    });
    assert.equal(notAFolder.code, 1);
    assert.match(notAFolder.stderr, /^error: cannot create .+file: .+\n$/);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("download --dry-run lists the files it would fetch, and fetches none", async () => {
  const emulator = new TolokaEmulator({ pools: [25] });
  const out = await tempFolder();
  try {
    const args = ["download", "--pool-id", "1", "--out", out, "--max", "10"];
    assert.equal((await run(args, { fetch: emulator.fetch })).code, 0);
    const before = downloadRequests(emulator);
    const dry = await run(["download", "--pool-id", "1", "--out", out, "--dry-run"], {
      fetch: emulator.fetch,
    });
    assert.equal(dry.code, 0);
    assert.equal(downloadRequests(emulator), before);
    assert.equal(dry.stdout.trim().split("\n").length, 15);
    assert.match(dry.stderr, /^dry run: 15 to download, 10 already present$/m);
    assert.equal((await readManifest(out)).length, 10);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("download shows a progress bar on a terminal, and plain lines otherwise", async () => {
  const emulator = new TolokaEmulator({ pools: [50] });
  const out = await tempFolder();
  try {
    let clock = 0;
    const now = (): number => (clock += 40);
    const bar = await run(["download", "--pool-id", "1", "--out", out], {
      fetch: emulator.fetch,
      stderrIsTerminal: true,
      columns: 120,
      now,
    });
    assert.equal(bar.code, 0);
    const frames = bar.stderr.split("\r").filter((frame) => frame !== "");
    assert.ok(frames.length > 3, "several redraws");
    assert.ok(frames.every((frame) => frame.includes("files")));
    assert.ok(
      /100% \[#{20}\] 50\/50 files .*ETA 0s$/.test(bar.stderr.split("\u001b[K").at(-2) ?? ""),
      "the last frame shows everything done",
    );
    assert.match(
      bar.stderr,
      // deno-lint-ignore no-control-regex -- the terminal's erase-line sequence is the point
      /\u001b\[K\n50 downloaded .*\n$/,
      "the bar's line ends before the summary",
    );
    assert.ok(!bar.stderr.includes("progress:"), "no plain lines on a terminal");

    await Deno.remove(out, { recursive: true });
    clock = 0;
    const lines = await run(["download", "--pool-id", "1", "--out", out], {
      fetch: emulator.fetch,
      now: () => (clock += 1000),
    });
    assert.equal(lines.code, 0);
    assert.ok(!lines.stderr.includes("\r"));
    assert.match(lines.stderr, /^progress: \d+ of \d+\+? files, .+ at .+\/s, ETA .+$/m);

    const quiet = await run(["download", "--pool-id", "1", "--out", out, "--quiet"], {
      fetch: emulator.fetch,
      stderrIsTerminal: true,
    });
    assert.equal(quiet.stderr, quiet.stderr.replace(/\r|progress/g, ""));
  } finally {
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
});
