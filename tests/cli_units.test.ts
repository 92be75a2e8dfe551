/**
 * The pure parts of the command line: flag parsing, display escaping, output encoders, progress
 * rendering, the bounded queue, manifest lines, `--expires`/`--pools`, wrangler arguments.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { formatBytes } from "../src/files/mod.ts";
import { displayText, formatDuration } from "../cli/display.ts";
import {
  choiceFlag,
  integerFlag,
  parseFlags,
  stringFlag,
  UsageError,
  wantsHelp,
} from "../cli/flags.ts";
import { encoderFor } from "../cli/format.ts";
import { parseExpiry, parsePools } from "../cli/key_flags.ts";
import { parseTokensNamespaceId } from "../cli/local_kv.ts";
import {
  loadManifest,
  type ManifestEntry,
  manifestLine,
  parseManifestLine,
} from "../cli/manifest.ts";
import { progressFigures, renderBar, renderLine } from "../cli/progress.ts";
import { BoundedQueue } from "../cli/queue.ts";
import { wranglerKvArgs } from "../cli/wrangler_kv.ts";
import { parseCsv } from "./csv_parse.ts";

const SPEC = { "pool-id": "string", max: "string", "dry-run": "boolean", help: "boolean" } as const;

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${error}`);
    return error.message;
  }
  assert.fail("expected a UsageError");
}

Deno.test("parseFlags() reads --flag value, --flag=value, booleans, -h and --", () => {
  const parsed = parseFlags(
    ["--pool-id", "154", "--max=3", "--dry-run", "-h", "rest", "--", "--not-a-flag"],
    SPEC,
    "list",
  );
  assert.deepEqual([...parsed.flags], [["pool-id", "154"], ["max", "3"], ["dry-run", true], [
    "help",
    true,
  ]]);
  assert.deepEqual(parsed.positionals, ["rest", "--not-a-flag"]);
  // A value may start with a single dash (a hostile name, a descending order).
  assert.equal(parseFlags(["--pool-id", "-2+3"], SPEC, "list").flags.get("pool-id"), "-2+3");
  assert.equal(parseFlags(["--pool-id=--x"], SPEC, "list").flags.get("pool-id"), "--x");
});

Deno.test("parseFlags() names the flag of each mistake", () => {
  assert.equal(
    usageMessage(() => parseFlags(["--bogus"], SPEC, "list")),
    'unknown flag "--bogus" for list (see --help)',
  );
  assert.equal(
    usageMessage(() => parseFlags(["-x"], SPEC, "list")),
    'unknown flag "-x" for list (see --help)',
  );
  assert.equal(
    usageMessage(() => parseFlags(["--pool-id"], SPEC, "list")),
    "--pool-id needs a value",
  );
  assert.equal(
    usageMessage(() => parseFlags(["--pool-id", "--max", "3"], SPEC, "list")),
    "--pool-id needs a value",
  );
  assert.equal(
    usageMessage(() => parseFlags(["--dry-run=yes"], SPEC, "list")),
    "--dry-run takes no value",
  );
  assert.equal(
    usageMessage(() => parseFlags(["--max", "1", "--max=2"], SPEC, "list")),
    "--max is given twice",
  );
  assert.equal(
    usageMessage(() => parseFlags(["--bo\u001b[2Jgus"], SPEC, "list")),
    'unknown flag "--bo\\x1b[2Jgus" for list (see --help)',
  );
});

Deno.test("integerFlag(), choiceFlag() and stringFlag() check values and quote them", () => {
  const flags = (args: string[]) => parseFlags(args, SPEC, "list").flags;
  const range = { min: 1, max: 64 };
  assert.equal(integerFlag(flags(["--max", "8"]), "max", range, 3), 8);
  assert.equal(integerFlag(flags([]), "max", range, 3), 3);
  for (const bad of ["ten", "0", "65", "1.5", "-1", "1e3", "", " "]) {
    assert.match(
      usageMessage(() => integerFlag(flags([`--max=${bad}`]), "max", range, 3)),
      bad === ""
        ? /^--max must not be empty$/
        : /^--max must be an integer from 1 to 64, got ".*"$/,
    );
  }
  assert.equal(
    usageMessage(() => choiceFlag(flags(["--max", "x"]), "max", ["a", "b"])),
    '--max must be one of a, b, got "x"',
  );
  assert.equal(stringFlag(flags(["--pool-id", "1"]), "pool-id"), "1");
  assert.equal(
    usageMessage(() => stringFlag(flags(["--pool-id="]), "pool-id")),
    "--pool-id must not be empty",
  );
  assert.equal(wantsHelp(["list", "--help"]), true);
  assert.equal(wantsHelp(["list", "--", "--help"]), false);
});

Deno.test("displayText() escapes what could rewrite a terminal, and keeps other text", () => {
  assert.equal(displayText("line1\r\nline2\t\\"), "line1\\r\\nline2\\t\\\\");
  assert.equal(displayText("a\u0000b\u001b[31m\u007f\u0085"), "a\\x00b\\x1b[31m\\x7f\\x85");
  assert.equal(displayText("evil\u202Egnp.exe\u200B"), "evil\\u{202E}gnp.exe\\u{200B}");
  assert.equal(displayText("\ud800x"), "\\u{D800}x");
  assert.equal(displayText("фото 1.png 照片 😀 café"), "фото 1.png 照片 😀 café");
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(1536), "1.50 KiB");
  assert.equal(formatBytes(5 * 1024 * 1024), "5.00 MiB");
  assert.equal(formatDuration(42.1), "43s");
  assert.equal(formatDuration(185), "3:05");
  assert.equal(formatDuration(3723), "1:02:03");
});

const ITEMS: Record<string, unknown>[] = [
  {
    id: "b",
    attachment_type: "ASSIGNMENT_ATTACHMENT",
    name: '=HYPERLINK("http://x")',
    details: { user_id: "u", assignment_id: "as", pool_id: "7" },
    created: "2024-01-01T00:00:00.000001",
    media_type: "text/plain",
  },
  {
    id: "a",
    name: "line1\r\nline2\u001b[2J.txt",
    details: { pool_id: "7" },
    created: "2024-01-01T00:00:00",
    media_type: "image/png",
    extra: { nested: true },
  },
];

function encodeAll(format: "table" | "json" | "ndjson" | "csv", batches: unknown[][]): string {
  const encoder = encoderFor(format);
  return encoder.head() +
    batches.map((batch) => encoder.items(batch as Record<string, unknown>[])).join("") +
    encoder.tail();
}

Deno.test("the json and ndjson encoders write exactly the wire objects, in batches or not", () => {
  assert.deepEqual(JSON.parse(encodeAll("json", [ITEMS.slice(0, 1), ITEMS.slice(1)])), ITEMS);
  assert.deepEqual(JSON.parse(encodeAll("json", [])), []);
  assert.deepEqual(JSON.parse(encodeAll("json", [[]])), []);
  const lines = encodeAll("ndjson", [ITEMS]).split("\n");
  assert.equal(lines.pop(), "");
  assert.deepEqual(lines.map((line) => JSON.parse(line)), ITEMS);
  assert.equal(encodeAll("ndjson", []), "");
});

Deno.test("the csv encoder writes a header and neutralised cells", () => {
  const rows = parseCsv(encodeAll("csv", [ITEMS]));
  assert.deepEqual(rows[0], [
    "id",
    "name",
    "attachment_type",
    "media_type",
    "created",
    "pool_id",
    "assignment_id",
    "user_id",
    "owner_id",
    "owner_company_id",
  ]);
  assert.equal(rows[1]?.[1], `'=HYPERLINK("http://x")`);
  assert.equal(rows[1]?.[4], "2024-01-01T00:00:00.000001");
  assert.equal(rows[2]?.[1], "line1\r\nline2\u001b[2J.txt");
  assert.deepEqual(parseCsv(encodeAll("csv", [])), [rows[0]]);
});

Deno.test("the table encoder aligns columns and escapes every cell", () => {
  const text = encodeAll("table", [ITEMS]);
  const lines = text.split("\n");
  assert.equal(lines.pop(), "");
  assert.equal(lines.length, 3);
  assert.ok(
    // deno-lint-ignore no-control-regex
    !/[\u0000-\u0009\u000b-\u001f]/.test(text),
    "no control character reaches the terminal",
  );
  const nameAt = lines[0]?.indexOf("NAME");
  assert.equal(lines[1]?.slice(nameAt), '=HYPERLINK("http://x")');
  assert.equal(lines[2]?.slice(nameAt), "line1\\r\\nline2\\x1b[2J.txt");
  assert.equal(lines[1]?.indexOf("text/plain"), lines[0]?.indexOf("MEDIA TYPE"));
  assert.equal(encodeAll("table", []), "ID  CREATED  MEDIA TYPE  POOL  NAME\n");
});

Deno.test("progress figures: totals, rate and ETA from this run's pace", () => {
  const counts = {
    listed: 100,
    listingDone: true,
    downloaded: 20,
    present: 30,
    failed: 0,
    bytes: 2 * 1024 * 1024,
  };
  const figures = progressFigures(counts, 2000);
  assert.equal(figures.handled, 50);
  assert.equal(figures.total, "100");
  assert.equal(figures.bytesPerSecond, 1024 * 1024);
  assert.equal(figures.etaSeconds, 5); // 50 left at 10 files/s
  assert.equal(figures.fraction, 0.5);
  assert.equal(
    renderBar(counts, 2000, 200),
    " 50% [##########----------] 50/100 files (30 present)  2.00 MiB  1.00 MiB/s  ETA 5s",
  );
  assert.equal(renderBar(counts, 2000, 30).length, 29);
  const listing = { ...counts, listingDone: false, failed: 2 };
  assert.equal(progressFigures(listing, 2000).etaSeconds, undefined);
  assert.equal(
    renderLine(listing, 2000),
    "progress: 52 of 100+ files (30 present, 2 failed), 2.00 MiB at 1.00 MiB/s, ETA ?",
  );
});

Deno.test("BoundedQueue holds the producer back at capacity and drains after close", async () => {
  const queue = new BoundedQueue<number>(2);
  assert.equal(await queue.push(1), true);
  assert.equal(await queue.push(2), true);
  let third = false;
  const pushing = queue.push(3).then((ok) => (third = ok));
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(third, false, "the producer waits while the queue is full");
  assert.equal(await queue.shift(), 1);
  await pushing;
  assert.equal(third, true);
  const waiting = new BoundedQueue<number>(1);
  const taker = waiting.shift();
  waiting.close();
  assert.equal(await taker, undefined);
  assert.equal(await waiting.push(1), false);
  queue.close();
  assert.equal(await queue.shift(), 2);
  assert.equal(await queue.shift(), 3);
  assert.equal(await queue.shift(), undefined);
});

const ENTRY: ManifestEntry = {
  id: "a1",
  path: "a1_photo.png",
  size: 3,
  sha256: "a".repeat(64),
  attachment: { id: "a1", name: "photo.png", created: "2024-01-01T00:00:00.00000" },
};

Deno.test("manifest lines round-trip; anything else is refused", () => {
  const line = manifestLine(ENTRY);
  assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"));
  assert.deepEqual(parseManifestLine(line), ENTRY);
  for (
    const bad of [
      "",
      "{",
      "[]",
      "null",
      JSON.stringify({ ...ENTRY, size: -1 }),
      JSON.stringify({ ...ENTRY, size: 1.5 }),
      JSON.stringify({ ...ENTRY, sha256: "xyz" }),
      JSON.stringify({ ...ENTRY, id: "" }),
      JSON.stringify({ ...ENTRY, attachment: null }),
      line.slice(0, 40),
    ]
  ) {
    assert.equal(parseManifestLine(bad), undefined, bad);
  }
});

Deno.test("loadManifest() keeps the last line of an id and cuts a torn last line off the file", async () => {
  const folder = await Deno.makeTempDir();
  try {
    assert.equal((await loadManifest(folder)).entries.size, 0, "no manifest: nothing");
    const second = { ...ENTRY, size: 4 };
    const other = { ...ENTRY, id: "b2", path: "b2" };
    const whole = manifestLine(ENTRY) + manifestLine(other) + manifestLine(second);
    const torn = manifestLine({ ...ENTRY, id: "c3" }).slice(0, 30);
    await Deno.writeTextFile(join(folder, "manifest.ndjson"), whole + torn);
    const loaded = await loadManifest(folder);
    assert.deepEqual([...loaded.entries.keys()], ["b2", "a1"]);
    assert.equal(loaded.entries.get("a1")?.size, 4);
    assert.equal(loaded.duplicateLines, 1);
    assert.equal(loaded.invalidLines, 1);
    assert.equal(await Deno.readTextFile(join(folder, "manifest.ndjson")), whole);

    // A last line that is whole but lacks its newline is kept, and gets one.
    await Deno.writeTextFile(join(folder, "manifest.ndjson"), manifestLine(ENTRY).trimEnd());
    assert.equal((await loadManifest(folder)).entries.size, 1);
    assert.equal(await Deno.readTextFile(join(folder, "manifest.ndjson")), manifestLine(ENTRY));
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("parseExpiry() reads dates and durations, in the future only", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseExpiry("30d", now).toISOString(), "2026-01-31T00:00:00.000Z");
  assert.equal(parseExpiry("12h", now).toISOString(), "2026-01-01T12:00:00.000Z");
  assert.equal(parseExpiry("90m", now).toISOString(), "2026-01-01T01:30:00.000Z");
  assert.equal(parseExpiry("2w", now).toISOString(), "2026-01-15T00:00:00.000Z");
  assert.equal(parseExpiry("2026-12-31", now).toISOString(), "2026-12-31T00:00:00.000Z");
  assert.equal(
    parseExpiry("2026-06-01T12:00:00+02:00", now).toISOString(),
    "2026-06-01T10:00:00.000Z",
  );
  assert.match(usageMessage(() => parseExpiry("soon", now)), /^--expires must be a date such as/);
  assert.match(usageMessage(() => parseExpiry("2026-02-30", now)), /^--expires must be a date/);
  assert.equal(
    usageMessage(() => parseExpiry("2025-12-31", now)),
    '--expires must be in the future, got "2025-12-31"',
  );
  assert.match(usageMessage(() => parseExpiry("0d", now)), /in the future/);
});

Deno.test("parsePools() splits, trims and dedupes; refuses empty and odd ids", () => {
  assert.deepEqual(parsePools("1, 2,1"), ["1", "2"]);
  assert.match(usageMessage(() => parsePools("1,,2")), /^--pools must list pool ids/);
  assert.match(usageMessage(() => parsePools("1,a/b")), /bad pool id "a\/b"/);
});

Deno.test("wranglerKvArgs() builds the wrangler kv key calls, values by file only", () => {
  const base = ["run", "-A", "npm:wrangler@4.86.0", "kv", "key"];
  const tail = ["--binding", "TOKENS", "--remote"];
  assert.deepEqual(
    wranglerKvArgs({ action: "put", key: "key:ab", path: "/tmp/v.json", expiration: 1700000000 }),
    [...base, "put", "key:ab", "--path", "/tmp/v.json", ...tail, "--expiration", "1700000000"],
  );
  assert.deepEqual(wranglerKvArgs({ action: "get", key: "key:ab" }), [
    ...base,
    "get",
    "key:ab",
    "--text",
    ...tail,
  ]);
  assert.deepEqual(wranglerKvArgs({ action: "delete", key: "key:ab" }, "/p/wrangler.toml"), [
    ...base,
    "delete",
    "key:ab",
    ...tail,
    "--config",
    "/p/wrangler.toml",
  ]);
  assert.deepEqual(wranglerKvArgs({ action: "list", prefix: "key:" }), [
    ...base,
    "list",
    "--prefix",
    "key:",
    ...tail,
  ]);
});

Deno.test("parseTokensNamespaceId() finds the TOKENS binding among several namespaces", () => {
  const toml =
    `[[kv_namespaces]]\nbinding = "OTHER"\nid = "x"\n\n[[kv_namespaces]]\nbinding = "TOKENS"\nid = "abc123"\n`;
  assert.equal(parseTokensNamespaceId(toml), "abc123");
  assert.throws(() => parseTokensNamespaceId("name = 'x'"), /binds no TOKENS namespace/);
});
