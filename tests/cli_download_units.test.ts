/**
 * The pieces of `download`, one at a time: the summary and exit code of a run, one attempt at one
 * file, the run's manifest, a rate limit closing the gate, and the waits between attempts at a
 * file drawn from the injected random source.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { DownloadManifest } from "../cli/download_manifest.ts";
import { type DownloadOutcome, downloadSummary } from "../cli/download_summary.ts";
import { MANIFEST_NAME, type ManifestEntry, manifestLine } from "../cli/manifest.ts";
import { emptyCounts } from "../cli/progress.ts";
import { MAX_RATE_LIMIT_WAIT_MS, MAX_RATE_LIMIT_WAITS, RateLimitGate } from "../cli/rate_limit.ts";
import { saveDownload } from "../cli/save_file.ts";
import { TolokaApiError } from "../mod.ts";
import { TolokaEmulator } from "../src/testing/mod.ts";
import { run } from "./cli_helpers.ts";

function outcome(overrides: Partial<DownloadOutcome> = {}): DownloadOutcome {
  return {
    counts: { ...emptyCounts(), listed: 4, listingDone: true, downloaded: 3, present: 1 },
    failures: [],
    fatal: undefined,
    listingError: undefined,
    interrupted: false,
    dryRun: false,
    seconds: 2,
    filter: { pool_id: "154" },
    baseUrl: "https://toloka.dev/api/v1",
    ...overrides,
  };
}

Deno.test("downloadSummary() counts a run that went well, and exits 0", () => {
  const counts = { ...emptyCounts(), listed: 4, downloaded: 3, present: 1, bytes: 3072 };
  assert.deepEqual(downloadSummary(outcome({ counts })), {
    lines: ["3 downloaded (3.00 KiB in 2.0 s, 1.50 KiB/s), 1 already present, 0 failed\n"],
    code: 0,
  });
  assert.deepEqual(downloadSummary(outcome({ dryRun: true })), {
    lines: ["dry run: 3 to download, 1 already present\n"],
    code: 0,
  });
});

Deno.test("downloadSummary() lists 20 failures, counts the rest, and exits 1", () => {
  const failures = Array.from({ length: 22 }, (_, i) => ({
    id: `id-${i}`,
    name: `file ${i}.png`,
    error: new Error("the download ended after 3 of 10 bytes"),
  }));
  const { lines, code } = downloadSummary(outcome({ failures }));
  assert.equal(code, 1);
  assert.equal(lines.length, 1 + 20 + 1 + 1);
  assert.equal(lines[1], 'failed: id-0 "file 0.png": the download ended after 3 of 10 bytes\n');
  assert.equal(lines[21], "... and 2 more failed\n");
  assert.equal(
    lines[22],
    "error: 22 file(s) missing: run the same command again to retry them\n",
  );
});

Deno.test("downloadSummary() ends on the error that stopped the run, then an interruption", () => {
  const fatal = new Error("cannot write /x/manifest.ndjson: No space left on device");
  assert.deepEqual(
    downloadSummary(outcome({ fatal, interrupted: true })).lines.at(-1),
    `error: ${fatal.message}\n`,
  );
  assert.equal(downloadSummary(outcome({ fatal, interrupted: true })).code, 1);
  const interrupted = downloadSummary(outcome({ interrupted: true }));
  assert.equal(interrupted.code, 130);
  assert.equal(
    interrupted.lines.at(-1),
    "interrupted: run the same command again to fetch the rest\n",
  );
});

Deno.test("downloadSummary() says only the listing's error when nothing was listed", () => {
  const listingError = new TolokaApiError({
    status: 403,
    code: "ACCESS_DENIED",
    message: "Access denied",
  });
  const nothing = { ...emptyCounts() };
  assert.deepEqual(downloadSummary(outcome({ counts: nothing, listingError })), {
    lines: ["error: the Toloka API answered 403 ACCESS_DENIED: Access denied\n"],
    code: 1,
  });
  const some = { ...emptyCounts(), listed: 2, downloaded: 2 };
  assert.equal(
    downloadSummary(outcome({ counts: some, listingError })).lines.at(-1),
    "error: listing stopped: the Toloka API answered 403 ACCESS_DENIED: Access denied\n",
  );
  const empty = downloadSummary(outcome({ counts: nothing }));
  assert.equal(empty.code, 0);
  assert.match(empty.lines[0]!, /^no attachments match --pool-id "154": check the pool/);
  assert.equal(downloadSummary(outcome({ counts: nothing, interrupted: true })).lines.length, 2);
});

function bodyOf(chunks: Uint8Array[], failAfter?: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller): void {
      if (sent === failAfter) return controller.error(new TypeError("connection reset"));
      const chunk = chunks[sent++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  });
}

Deno.test("saveDownload() writes the file under its name, hashed, and no temporary file", async () => {
  const folder = await Deno.makeTempDir();
  try {
    const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])];
    const reported: number[] = [];
    const saved = await saveDownload(
      { body: bodyOf(chunks), mediaType: "image/png", size: 5 },
      folder,
      "a_b.png",
      (bytes) => reported.push(bytes),
    );
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    assert.deepEqual(saved, { size: 5, sha256: createHash("sha256").update(bytes).digest("hex") });
    assert.deepEqual(reported, [3, 2]);
    assert.deepEqual(await Deno.readFile(join(folder, "a_b.png")), bytes);
    assert.deepEqual([...Deno.readDirSync(folder)].map((entry) => entry.name), ["a_b.png"]);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("saveDownload() leaves nothing behind and takes its bytes back when the body fails or ends short", async () => {
  const folder = await Deno.makeTempDir();
  try {
    const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])];
    let total = 0;
    await assert.rejects(
      saveDownload({ body: bodyOf(chunks, 1), mediaType: "image/png" }, folder, "a.png", (n) => {
        total += n;
      }),
      TypeError,
      "connection reset",
    );
    assert.equal(total, 0);
    await assert.rejects(
      saveDownload(
        { body: bodyOf(chunks), mediaType: "image/png", size: 9 },
        folder,
        "a.png",
        (n) => {
          total += n;
        },
      ),
      Error,
      "the download ended after 5 of 9 bytes",
    );
    assert.equal(total, 0);
    assert.deepEqual([...Deno.readDirSync(folder)], []);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

function entry(id: string): ManifestEntry {
  return { id, path: `${id}_x.png`, size: 1, sha256: "0".repeat(64), attachment: { id } };
}

Deno.test("DownloadManifest appends each file's line, and rewrites the file only when it must", async () => {
  const folder = await Deno.makeTempDir();
  const path = join(folder, MANIFEST_NAME);
  try {
    await Deno.writeTextFile(path, manifestLine(entry("a")) + manifestLine(entry("b")));
    const kept = await DownloadManifest.open(folder, false);
    kept.record(entry("c"));
    await kept.close();
    assert.equal(
      await Deno.readTextFile(path),
      manifestLine(entry("a")) + manifestLine(entry("b")) + manifestLine(entry("c")),
    );

    const stale = await DownloadManifest.open(folder, false);
    assert.deepEqual(stale.get("b"), entry("b"));
    stale.forget("b");
    assert.equal(stale.size, 2);
    await stale.close();
    assert.equal(
      await Deno.readTextFile(path),
      manifestLine(entry("a")) + manifestLine(entry("c")),
    );

    await Deno.writeTextFile(path, manifestLine(entry("a")), { append: true });
    await (await DownloadManifest.open(folder, false)).close();
    assert.equal(
      await Deno.readTextFile(path),
      manifestLine(entry("c")) + manifestLine(entry("a")),
      "a duplicate line goes; the last line of an id wins",
    );
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("DownloadManifest of a dry run never writes the folder", async () => {
  const folder = join(await Deno.makeTempDir(), "not-there");
  const manifest = await DownloadManifest.open(folder, true);
  assert.equal(manifest.size, 0);
  await manifest.close();
  assert.throws(() => Deno.lstatSync(folder), Deno.errors.NotFound);
  await Deno.remove(join(folder, ".."), { recursive: true });
});

Deno.test("RateLimitGate.closeFor() waits out a 429 with a sane Retry-After, a bounded number of times", () => {
  let now = 1_000;
  const gate = new RateLimitGate(() => now, () => Promise.resolve());
  const waits: [number, string][] = [];
  gate.onWait = (ms, who): void => {
    waits.push([ms, who]);
  };
  const limited = (retryAfterMs: number | undefined): TolokaApiError =>
    new TolokaApiError({
      status: 429,
      code: "TOO_MANY_REQUESTS",
      message: "Too many requests for this API key",
      retryAfterMs,
    });
  const edge = "https://edge.example/api/v1";
  assert.equal(gate.closeFor(limited(60_000), 0, edge), true);
  assert.deepEqual(waits, [[
    60_000,
    "the edge Worker at edge.example (its limit for this API key)",
  ]]);
  assert.equal(gate.closeFor(limited(30_000), 1, edge), true, "a shorter wait keeps the gate");
  assert.equal(waits.length, 1, "the gate was closed already: no second notice");
  assert.equal(gate.remainingMs(), 60_000);
  now += 60_000;
  assert.equal(gate.closeFor(limited(60_000), MAX_RATE_LIMIT_WAITS, edge), false);
  assert.equal(gate.closeFor(limited(MAX_RATE_LIMIT_WAIT_MS + 1), 0, edge), false);
  assert.equal(gate.closeFor(limited(undefined), 0, edge), false);
  assert.equal(gate.closeFor(new Error("connection reset"), 0, edge), false);
  assert.equal(gate.remainingMs(), 0);
});

Deno.test("the waits between attempts at a file come from the injected random source", async () => {
  const emulator = new TolokaEmulator({ pools: [1], maxFileSize: 100_000 });
  const out = await Deno.makeTempDir();
  try {
    // The file's first three attempts send one chunk and then fail.
    let attempts = 0;
    const flaky = async (request: Request): Promise<Response> => {
      const response = await emulator.fetch(request);
      if (!request.url.endsWith("/download") || ++attempts > 3) return response;
      const reader = response.body!.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller): Promise<void> {
          const { value } = await reader.read();
          controller.enqueue(value!);
          controller.error(new TypeError("connection reset"));
        },
      });
      return new Response(body, { headers: response.headers });
    };
    const slept: number[] = [];
    const result = await run(["download", "--pool-id", "1", "--out", out, "--quiet"], {
      fetch: flaky,
      retryDelayMs: 1_000,
      random: () => 0.5,
      sleep: (ms) => {
        slept.push(ms);
        return Promise.resolve();
      },
    });
    assert.equal(result.code, 0, result.stderr);
    // Half of the capped exponential delay, plus the random share of the other half.
    assert.deepEqual(slept, [750, 1_500, 3_000]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a file answered with a status the client would not retry fails at once; one it would retry is tried again", async () => {
  const emulator = new TolokaEmulator({ pools: [1] });
  const out = await Deno.makeTempDir();
  try {
    for (const [status, requests] of [[410, 1], [503, (1 + 2) * (1 + 2)]] as const) {
      let downloads = 0;
      const failing = (request: Request): Promise<Response> => {
        if (!request.url.endsWith("/download")) return emulator.fetch(request);
        downloads++;
        return Promise.resolve(Response.json({ code: "GONE", message: "No" }, { status }));
      };
      const result = await run(
        ["download", "--pool-id", "1", "--out", out, "--retries", "2", "--quiet"],
        { fetch: failing, sleep: () => Promise.resolve() },
      );
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /^0 downloaded .*, 1 failed$/m);
      // The client's own attempts, times the command's attempts at the file.
      assert.equal(downloads, requests, `status ${status}`);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
