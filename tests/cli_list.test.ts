/**
 * `list` against the emulator served on loopback: each format parsed back and compared with the
 * emulator's data; filters, order and `--max`; bad flags, a missing token and API errors, each a
 * one-line error with its exit code.
 */

import assert from "node:assert/strict";
import { displayText } from "../cli/display.ts";
import { TolokaEmulator, type WireAttachment } from "../src/testing/mod.ts";
import { parseCsv } from "./csv_parse.ts";
import { envWith, poolItems, run } from "./cli_helpers.ts";

// Pool "1" (600) holds the hostile names and the created ties; pool "2" is plain.
const emulator = new TolokaEmulator({ pools: [600, 120] });

async function withServer<T>(use: (baseUrl: string) => Promise<T>): Promise<T> {
  const server = await emulator.serve();
  try {
    return await use(server.baseUrl);
  } finally {
    await server.close();
  }
}

function ndjson(text: string): Record<string, unknown>[] {
  assert.ok(text.endsWith("\n"));
  return text.slice(0, -1).split("\n").map((line) => JSON.parse(line));
}

Deno.test("list --format ndjson streams every attachment of a pool exactly as the API sent it", async () => {
  await withServer(async (baseUrl) => {
    const result = await run([
      "list",
      "--pool-id",
      "1",
      "--format",
      "ndjson",
      "--base-url",
      baseUrl,
    ]);
    assert.equal(result.stderr, "");
    assert.equal(result.code, 0);
    assert.deepEqual(ndjson(result.stdout), poolItems(emulator, "1"));
  });
});

Deno.test("list writes ndjson by default when stdout is not a terminal", async () => {
  const result = await run(["list", "--pool-id", "2"], { fetch: emulator.fetch });
  assert.equal(result.code, 0);
  assert.deepEqual(ndjson(result.stdout), poolItems(emulator, "2"));
});

Deno.test("list --format json writes one array equal to the emulator's data", async () => {
  await withServer(async (baseUrl) => {
    const result = await run(["--base-url", baseUrl, "list", "--pool-id", "1", "--format=json"]);
    assert.equal(result.code, 0);
    assert.deepEqual(JSON.parse(result.stdout), poolItems(emulator, "1"));
  });
  const empty = await run(["list", "--pool-id", "99", "--format", "json"], {
    fetch: emulator.fetch,
  });
  assert.equal(empty.stdout, "[]\n");
});

Deno.test("list --format csv reads back to the emulator's data, formulas neutralised", async () => {
  const result = await run(["list", "--pool-id", "1", "--format", "csv"], {
    fetch: emulator.fetch,
  });
  assert.equal(result.code, 0);
  const [header, ...rows] = parseCsv(result.stdout);
  assert.deepEqual(header, [
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
  const expected = poolItems(emulator, "1");
  assert.equal(rows.length, expected.length);
  const formulas = new Set<string>();
  rows.forEach((row, i) => {
    const item = expected[i]!;
    const cell = (value: unknown): string => {
      const text = typeof value === "string" ? value : "";
      return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
    };
    assert.deepEqual(row, [
      item.id,
      cell(item.name),
      item.attachment_type,
      item.media_type,
      item.created,
      item.details.pool_id,
      item.details.assignment_id,
      item.details.user_id,
      item.owner?.id ?? "",
      item.owner?.company_id ?? "",
    ]);
    if (/^[=+\-@]/.test(item.name)) formulas.add(row[1] as string);
  });
  assert.deepEqual(
    [...formulas].sort(),
    [`'+SUM(1)`, `'-2+3`, `'=HYPERLINK("http://x")`, `'@cmd`],
  );
});

Deno.test("list --format table aligns columns and shows hostile names escaped", async () => {
  const result = await run(["list", "--pool-id", "1"], {
    fetch: emulator.fetch,
    stdoutIsTerminal: true,
  });
  assert.equal(result.code, 0);
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f]/.test(result.stdout), "no raw control character");
  const lines = result.stdout.split("\n");
  assert.equal(lines.pop(), "");
  const [header, ...rows] = lines;
  assert.match(header ?? "", /^ID +CREATED +MEDIA TYPE +POOL +NAME$/);
  const expected = poolItems(emulator, "1");
  assert.equal(rows.length, expected.length);
  rows.forEach((row, i) => {
    const item = expected[i]!;
    const match = /^(\S+) +(\S+) +(\S+) +(\S+) {2}(.*)$/.exec(row);
    assert.ok(match, row);
    assert.deepEqual(match.slice(1, 5), [
      item.id,
      item.created,
      item.media_type,
      item.details.pool_id,
    ]);
    assert.equal(match[5]?.trimStart(), displayText(item.name).trimStart());
  });
  const shown = rows.map((row) => row.slice(header!.indexOf("NAME")));
  assert.ok(shown.includes("line1\\r\\nline2.txt"));
  assert.ok(shown.includes("a\\x00b.txt"));
  assert.ok(shown.includes("C:\\\\Windows\\\\system32\\\\evil.dll"));
});

Deno.test("list applies every filter flag, --order and --max", async () => {
  const all = poolItems(emulator, "1");
  const sample = all[10]!;
  const byUser = all.filter((item) => item.details.user_id === sample.details.user_id);
  const users = await run([
    "list",
    "--pool-id",
    "1",
    "--user-id",
    sample.details.user_id,
    "--assignment-id",
    sample.details.assignment_id,
    "--type",
    "ASSIGNMENT_ATTACHMENT",
  ], { fetch: emulator.fetch });
  assert.deepEqual(
    ndjson(users.stdout),
    byUser.filter((item) => item.details.assignment_id === sample.details.assignment_id),
  );

  const named = await run(["list", "--pool-id", "1", "--name", "photo.png"], {
    fetch: emulator.fetch,
  });
  assert.equal(ndjson(named.stdout).length, 5);

  const ids = all.map((item) => item.id as string);
  const range = await run([
    "list",
    "--pool-id=1",
    `--id-gte=${ids[5]}`,
    `--id-lt=${ids[15]}`,
    "--order",
    "-id",
  ], { fetch: emulator.fetch });
  assert.deepEqual(ndjson(range.stdout).map((item) => item.id), ids.slice(5, 15).reverse());

  const newest = await run(["list", "--pool-id", "1", "--order", "-created", "--max", "7"], {
    fetch: emulator.fetch,
  });
  const got = ndjson(newest.stdout);
  assert.equal(got.length, 7);
  const created = got.map((item) => Date.parse(`${item.created}Z`));
  assert.deepEqual(created, [...created].sort((a, b) => b - a));

  const since = await run(["list", "--pool-id", "2", "--created-gte", "2100-01-01"], {
    fetch: emulator.fetch,
  });
  assert.equal(since.stdout, "");
  const owner = all.find((item) => item.owner?.company_id !== undefined)!.owner!;
  const owned = await run([
    "list",
    "--pool-id",
    "1",
    "--owner-id",
    owner.id,
    "--owner-company-id",
    owner.company_id!,
  ], { fetch: emulator.fetch });
  const ownedItems = ndjson(owned.stdout) as unknown as WireAttachment[];
  assert.ok(ownedItems.length > 0);
  assert.ok(ownedItems.every((item) => item.owner?.id === owner.id));
});

Deno.test("list --max stops paging: no request beyond the page it needs", async () => {
  const local = new TolokaEmulator({ pools: [600] });
  const result = await run(["list", "--pool-id", "1", "--max", "3"], { fetch: local.fetch });
  assert.equal(ndjson(result.stdout).length, 3);
  assert.equal(local.requests.length, 1);
  assert.deepEqual(local.requests[0]?.params.find(([key]) => key === "limit"), ["limit", "3"]);
});

Deno.test("bad flags each give one 'error:' line, exit code 2 and no request", async () => {
  const local = new TolokaEmulator({ pools: [5] });
  const cases: [string[], string][] = [
    [["list", "--pool-id", "1", "--bogus"], 'error: unknown flag "--bogus" for list (see --help)'],
    [["list", "--pool-id"], "error: --pool-id needs a value"],
    [["list", "--pool-id", "1", "--max", "ten"], 'error: --max must be an integer >= 1, got "ten"'],
    [["list", "--pool-id", "1", "--max", "0"], 'error: --max must be an integer >= 1, got "0"'],
    [
      ["list", "--pool-id", "1", "--order", "name"],
      'error: --order must be one of id, -id, created, -created, got "name"',
    ],
    [
      ["list", "--pool-id", "1", "--format", "xml"],
      'error: --format must be one of table, json, ndjson, csv, got "xml"',
    ],
    [
      ["list", "--pool-id", "1", "--created-lt", "2024-13-01"],
      'error: --created-lt must be a date such as 2024-05-25 or 2024-05-25T16:14:27.748 (UTC unless an offset such as +03:00 is given), got "2024-13-01"',
    ],
    [["list"], "error: --pool-id or --assignment-id is required"],
    // The first flag at fault in --help's order, and the pool-or-assignment rule last.
    [["list", "--pool-id="], "error: --pool-id must not be empty"],
    [
      ["list", "--created-gt", "soon", "--user-id="],
      "error: --user-id must not be empty",
    ],
    [
      ["list", "--created-gte", "soon"],
      'error: --created-gte must be a date such as 2024-05-25 or 2024-05-25T16:14:27.748 (UTC unless an offset such as +03:00 is given), got "soon"',
    ],
    [
      ["list", "--pool-id", "1", "--name", "n".repeat(1025)],
      `error: --name "${"n".repeat(60)}...": The value is longer than 1024 characters`,
    ],
    [["list", "--pool-id", "1", "--pool-id", "2"], "error: --pool-id is given twice"],
    [
      ["list", "--pool-id", "1", "extra"],
      'error: unexpected argument "extra" for list (see --help)',
    ],
    [
      ["list", "--pool-id", "1", "--environment", "moon"],
      'error: --environment must be one of production, sandbox, yandex-tasks, got "moon"',
    ],
    [
      ["list", "--pool-id", "1", "--base-url", "ftp://x"],
      'error: --base-url must be an http(s) URL such as https://toloka.dev/api/v1, got "ftp://x"',
    ],
    [
      ["list", "--pool-id", "1", "--base-url", "http://x.test/api?y=1"],
      'error: --base-url must be a URL without query, fragment or credentials: current value is "http://x.test/api?y=1"',
    ],
    [
      ["download", "--pool-id", "1", "--out", "x", "--concurrency", "0"],
      'error: --concurrency must be an integer from 1 to 64, got "0"',
    ],
    [["download", "--pool-id", "1"], "error: --out is required: the folder to download into"],
    [
      ["dowload"],
      'error: unknown command "dowload": did you mean download? use list, download, export or keys (see --help)',
    ],
    [
      ["frobnicate"],
      'error: unknown command "frobnicate": use list, download, export or keys (see --help)',
    ],
    [[], "error: a command is needed: list, download, export or keys (see --help)"],
    [["keys"], "error: keys needs a subcommand: create, list, revoke or migrate (see keys --help)"],
    [
      ["keys", "list"],
      "error: keys list needs --local (the KV of deno task start) or --remote (the deployed Worker's KV)",
    ],
  ];
  for (const [args, message] of cases) {
    const result = await run(args, { fetch: local.fetch });
    assert.equal(result.stderr, `${message}\n`, args.join(" "));
    assert.equal(result.code, 2, args.join(" "));
    assert.equal(result.stdout, "", args.join(" "));
  }
  // The client's refusal of its token option, about the variable the user set.
  const token = await run(["list", "--pool-id", "1"], {
    fetch: local.fetch,
    env: envWith("tök en"),
  });
  assert.equal(
    token.stderr,
    "error: TOLOKA_TOKEN must hold printable ASCII characters only: current value has 6 characters (not shown)\n",
  );
  assert.equal(token.code, 2);
  assert.equal(local.requests.length, 0, "nothing is sent for a bad command line");
});

Deno.test("a missing or blank TOLOKA_TOKEN is a usage error, before any request", async () => {
  const local = new TolokaEmulator({ pools: [5] });
  for (const token of [null, "", "   "]) {
    const result = await run(["list", "--pool-id", "1"], {
      fetch: local.fetch,
      env: envWith(token),
    });
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      "error: TOLOKA_TOKEN is not set: export your Toloka OAuth token or API key\n",
    );
  }
  const download = await run(["download", "--pool-id", "1", "--out", "x"], {
    fetch: local.fetch,
    env: envWith(null),
  });
  assert.equal(download.code, 2);
  assert.equal(local.requests.length, 0);
});

Deno.test("an API error exits 1 with its status, code, message and request id, never the token", async () => {
  await withServer(async (baseUrl) => {
    const denied = await run(["list", "--pool-id", "1", "--base-url", baseUrl], {
      env: envWith("wrong-secret-token"),
    });
    assert.equal(denied.code, 1);
    assert.equal(denied.stdout, "");
    assert.match(
      denied.stderr,
      /^error: the server at 127\.0\.0\.1:\d+ answered 401 AUTHENTICATION_ERROR: .+ \(request id [^)]+\)\n$/,
    );
    assert.ok(!denied.stderr.includes("wrong-secret-token"));

    emulator.setFaults({ script: ["500", "500"] });
    try {
      const failed = await run(["list", "--pool-id", "2", "--base-url", baseUrl, "--retries", "1"]);
      assert.equal(failed.code, 1);
      assert.match(
        failed.stderr,
        /^error: the server at 127\.0\.0\.1:\d+ answered 500 INTERNAL_ERROR: .+\n$/,
      );
    } finally {
      emulator.setFaults(undefined);
    }
  });
});

Deno.test("--help on every command prints its help on stdout and exits 0; --version prints the version", async () => {
  for (
    const args of [["--help"], ["-h"], ["list", "--help"], ["download", "-h"], ["keys", "--help"], [
      "keys",
      "create",
      "--help",
    ], ["list", "--bogus", "--help"]]
  ) {
    const result = await run(args);
    assert.equal(result.code, 0, args.join(" "));
    assert.match(result.stdout, /Usage:/, args.join(" "));
    assert.equal(result.stderr, "");
  }
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  for (const args of [["--version"], ["list", "--version"]]) {
    const result = await run(args);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, `@toloka-edge/attachments ${config.version}\n`);
  }
});

Deno.test("list stops at once when the signal aborts, with exit code 130", async () => {
  const slow = new TolokaEmulator({ pools: [600], latencyMs: 50 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 80);
  const result = await run(["list", "--pool-id", "1", "--format", "ndjson"], {
    fetch: slow.fetch,
    signal: controller.signal,
  });
  assert.equal(result.code, 130);
  assert.equal(result.stderr, "interrupted\n");
});
