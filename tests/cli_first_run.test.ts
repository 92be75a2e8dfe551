/**
 * First-run polish of the command line: a borrowed flag gets a "did you mean", an empty answer
 * says so (and which pools a local emulator holds), a failed download leaves no empty folder
 * behind, and the help names only commands the README's install gives.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { suggestFlag } from "../cli/flags.ts";
import { DOWNLOAD_FLAGS } from "../cli/download.ts";
import { MAIN_HELP } from "../cli/help.ts";
import { LIST_FLAGS } from "../cli/list.ts";
import { TolokaEmulator } from "../src/testing/mod.ts";
import { envWith, run } from "./cli_helpers.ts";

const emulator = new TolokaEmulator({ pools: [5, 3] });

Deno.test("download --limit suggests --max", async () => {
  const result = await run(["download", "--pool-id", "1", "--out", "x", "--limit", "5"]);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    'error: unknown flag "--limit" for download: did you mean --max? (see --help)\n',
  );
});

Deno.test("suggestFlag() knows borrowed names and near typos, and stays quiet otherwise", () => {
  assert.equal(suggestFlag("limit", LIST_FLAGS), "max");
  assert.equal(suggestFlag("output", DOWNLOAD_FLAGS), "out");
  assert.equal(suggestFlag("output", LIST_FLAGS), undefined, "list has no --out");
  assert.equal(suggestFlag("sort", LIST_FLAGS), "order");
  assert.equal(suggestFlag("jobs", DOWNLOAD_FLAGS), "concurrency");
  assert.equal(suggestFlag("pool_id", LIST_FLAGS), "pool-id");
  assert.equal(suggestFlag("concurency", DOWNLOAD_FLAGS), "concurrency");
  assert.equal(suggestFlag("fromat", LIST_FLAGS), "format");
  assert.equal(suggestFlag("bogus", LIST_FLAGS), undefined);
  assert.equal(suggestFlag("x", LIST_FLAGS), undefined);
});

Deno.test("list with no match says so on stderr, naming the filter; output stays valid", async () => {
  const result = await run(["list", "--pool-id", "154", "--format", "json"], {
    fetch: emulator.fetch,
  });
  assert.equal(result.code, 0);
  assert.equal(result.stdout, "[]\n");
  assert.equal(
    result.stderr,
    'no attachments match --pool-id "154": check the pool or assignment id, and that TOLOKA_TOKEN\'s account can see it\n',
  );
});

Deno.test("an empty answer from a server on this machine names the pools of deno task start's emulator", async () => {
  const result = await run(
    ["list", "--pool-id", "154", "--base-url", "http://127.0.0.1:8787/api/v1"],
    { fetch: emulator.fetch },
  );
  assert.equal(result.code, 0);
  assert.equal(
    result.stderr,
    'no attachments match --pool-id "154": the emulator of `deno task start` holds pools 1 to 7, and its demo key sees pools 1, 2 and 3\n',
  );
});

Deno.test("download with no match says so and leaves no folder behind", async () => {
  const parent = await Deno.makeTempDir({ prefix: "cli-first-run-" });
  try {
    const out = join(parent, "pool-154");
    const result = await run(["download", "--pool-id", "154", "--out", out], {
      fetch: emulator.fetch,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^no attachments match --pool-id "154": /m);
    assert.deepEqual([...Deno.readDirSync(parent)], [], "the new folder is gone");
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("a failed download into a new folder removes the folder it created", async () => {
  const parent = await Deno.makeTempDir({ prefix: "cli-first-run-" });
  try {
    const out = join(parent, "new");
    const result = await run(["download", "--pool-id", "1", "--out", out], {
      fetch: emulator.fetch,
      env: envWith("wrong-token"),
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: the Toloka API answered 401 /m);
    assert.deepEqual([...Deno.readDirSync(parent)], [], "no empty folder left");
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("a failed download keeps a folder that existed before, and one that got files", async () => {
  const existing = await Deno.makeTempDir({ prefix: "cli-first-run-" });
  try {
    const failed = await run(["download", "--pool-id", "1", "--out", existing], {
      fetch: emulator.fetch,
      env: envWith("wrong-token"),
    });
    assert.equal(failed.code, 1);
    assert.ok(Deno.statSync(existing).isDirectory, "a folder the user had stays");

    const out = join(existing, "partly");
    const faulty = new TolokaEmulator({ pools: [5], faults: { script: [null, "500", "500"] } });
    const partly = await run(
      ["download", "--pool-id", "1", "--out", out, "--retries", "0", "--concurrency", "1"],
      { fetch: faulty.fetch },
    );
    assert.equal(partly.code, 1);
    assert.ok([...Deno.readDirSync(out)].length > 1, "files and manifest stay");
  } finally {
    await Deno.remove(existing, { recursive: true });
  }
});

Deno.test("the main help names no command that no install step creates", () => {
  assert.doesNotMatch(MAIN_HELP, /toloka-attachments/);
  assert.match(MAIN_HELP, /deno run -A jsr:@toloka-edge\/attachments\/cli <command>/);
  assert.match(MAIN_HELP, /deno task cli <command>/);
});
