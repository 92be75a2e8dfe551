/**
 * `keys create|list|revoke`: `--local` against a Miniflare KV persisted in a temporary folder
 * (what `deno task start` uses, pointed elsewhere), and `--remote` through a fake wrangler runner
 * (no network here: the calls and their arguments are checked). `list` never shows a key, a hash,
 * a token or a sealed token.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { START_EMULATOR_TOKEN, withLocalKv } from "../cli/local_kv.ts";
import {
  importSealingKey,
  isKeyShaped,
  kvKeyFor,
  openToken,
  parseKeyRecord,
} from "../src/keys/mod.ts";
import { envWith, run } from "./cli_helpers.ts";
import { randomSealingKey } from "./keys_fixtures.ts";
import { putV1Record } from "./keys_v1.ts";

const UPSTREAM = "AQAAAAupstream-secret-token-Zx81";
const NOW = Date.parse("2026-03-01T12:00:00Z");

/** A project folder with a wrangler.toml and a .dev.vars, and a KV persisted in it. */
async function project(): Promise<{ dir: string; sealingKey: string; flags: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "cli-keys-" });
  const sealingKey = randomSealingKey();
  await Deno.writeTextFile(
    join(dir, "wrangler.toml"),
    'name = "t"\n\n[[kv_namespaces]]\nbinding = "TOKENS"\nid = "0123456789abcdef0123456789abcdef"\n',
  );
  await Deno.writeTextFile(join(dir, ".dev.vars"), `OTHER=1\nTOKEN_SEALING_KEY=${sealingKey}\n`);
  return {
    dir,
    sealingKey,
    flags: ["--local", "--config", join(dir, "wrangler.toml"), "--persist-to", join(dir, "kv")],
  };
}

async function storedValues(dir: string): Promise<Map<string, string>> {
  return await withLocalKv(pathToFileURL(`${dir}/`), async (kv) => {
    const values = new Map<string, string>();
    const { keys } = await kv.list({ prefix: "key:" });
    for (const { name } of keys) {
      values.set(name, JSON.stringify(await kv.get(name, { type: "json" })));
    }
    return values;
  }, { persistTo: "kv" });
}

Deno.test("keys --local: create prints the key once, list shows no secret, revoke removes it", async () => {
  const { dir, sealingKey, flags } = await project();
  const options = { env: envWith(UPSTREAM), now: () => NOW };
  try {
    const created = await run(
      [
        "keys",
        "create",
        ...flags,
        "--name",
        "partner \u001b[31mA",
        "--pools",
        "1,2",
        "--expires",
        "30d",
      ],
      options,
    );
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.slice(0, -1);
    assert.ok(created.stdout.endsWith("\n") && isKeyShaped(key), "stdout is the key alone");
    const kvKey = await kvKeyFor(key);
    const id = kvKey.slice(4, 16);
    assert.equal(
      created.stderr,
      "note: the key acts with TOLOKA_TOKEN; deno task start's emulator accepts only demo-upstream-token (unset TOLOKA_TOKEN to use it)\n" +
        `Created key ${id} "partner \\x1b[31mA" for pools 1, 2, expiring 2026-03-31T12:00:00.000Z, in the local KV. It is shown once, on stdout:\n`,
    );

    const second = await run(["keys", "create", ...flags, "--name", "all pools"], options);
    assert.equal(second.code, 0, second.stderr);
    const otherKey = second.stdout.trim();

    // What KV holds: the record, the token sealed under .dev.vars' key.
    const values = await storedValues(dir);
    assert.equal(values.size, 2);
    const record = parseKeyRecord(JSON.parse(values.get(kvKey)!));
    assert.ok(record);
    assert.equal(record.name, "partner \u001b[31mA");
    assert.deepEqual(record.pools, ["1", "2"]);
    assert.equal(record.expires_at, "2026-03-31T12:00:00.000Z");
    assert.equal(record.created_at, "2026-03-01T12:00:00.000Z");
    assert.equal(
      await openToken(await importSealingKey(sealingKey), record, kvKey),
      UPSTREAM,
    );

    for (const format of [[], ["--format", "json"]]) {
      const listed = await run(["keys", "list", ...flags, ...format], options);
      assert.equal(listed.code, 0, listed.stderr);
      const everything = listed.stdout + listed.stderr;
      for (const secret of [key, otherKey, UPSTREAM, record.upstream_token, kvKey.slice(4)]) {
        assert.ok(
          !everything.includes(secret),
          "no key, token, sealed token or full hash is shown",
        );
      }
      assert.ok(!everything.includes("tae_"));
      assert.ok(!/[0-9a-f]{13,}/.test(everything), "no more of the hash than the 12-digit id");
      if (format.length === 0) {
        const lines = listed.stdout.trimEnd().split("\n");
        assert.match(lines[0]!, /^ID +NAME +POOLS +EXPIRES +CREATED$/);
        assert.equal(lines.length, 3);
        const row = lines.find((line) => line.startsWith(id))!;
        assert.match(
          row,
          /partner \\x1b\[31mA +1,2 +2026-03-31T12:00:00.000Z +2026-03-01T12:00:00.000Z$/,
        );
        assert.match(
          lines.find((line) => !line.startsWith(id) && line !== lines[0])!,
          / all +never +/,
        );
      } else {
        const rows = JSON.parse(listed.stdout);
        assert.deepEqual(rows.find((row: { id: string }) => row.id === id), {
          id,
          name: "partner \u001b[31mA",
          pools: ["1", "2"],
          expires_at: "2026-03-31T12:00:00.000Z",
          created_at: "2026-03-01T12:00:00.000Z",
          expired: false,
          v: 2,
        });
      }
    }

    // An expired key is marked so.
    const later = await run(["keys", "list", ...flags], {
      ...options,
      now: () => NOW + 40 * 86_400_000,
    });
    assert.match(later.stdout, /2026-03-31T12:00:00.000Z \(expired\)/);

    const revoked = await run(["keys", "revoke", ...flags, key], options);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stderr, new RegExp(`^Revoked key ${id} "partner \\\\x1b\\[31mA"`));
    const byId = await run(
      ["keys", "revoke", ...flags, (await kvKeyFor(otherKey)).slice(4, 14)],
      options,
    );
    assert.equal(byId.code, 0, byId.stderr);
    assert.equal((await storedValues(dir)).size, 0);

    const again = await run(["keys", "revoke", ...flags, key], options);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `error: no key ${id} in the local KV\n`);
    const empty = await run(["keys", "list", ...flags], options);
    assert.equal(empty.stdout, "ID  NAME  POOLS  EXPIRES  CREATED\n");
    assert.equal(empty.stderr, "no keys in the local KV\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keys create refuses a missing name, token or sealing key, and bad pools or expiry", async () => {
  const { dir, flags } = await project();
  try {
    const cases: [string[], Record<string, string> | null, string][] = [
      [["--pools", "1"], {}, "error: --name is required: who or what the key is for"],
      [["--name", "x", "--pools", ""], {}, "error: --pools must not be empty"],
      [
        ["--name", "x", "--pools", "1,,2"],
        {},
        'error: --pools must list pool ids separated by commas, got "1,,2"',
      ],
      [
        ["--name", "x", "--expires", "yesterday"],
        {},
        'error: --expires must be a date such as 2026-12-31 or a duration such as 30d, 12h or 90m, got "yesterday"',
      ],
      [
        ["--name", "x", "--expires", "2020-01-01"],
        {},
        'error: --expires must be in the future, got "2020-01-01"',
      ],
      [["--name", "   "], {}, 'error: Key name must not be empty, current value is "   "'],
    ];
    for (const [args, extra, message] of cases) {
      const result = await run(["keys", "create", ...flags, ...args], {
        env: extra === null ? envWith(null) : envWith(UPSTREAM, extra),
      });
      assert.equal(result.stderr, `${message}\n`, args.join(" "));
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
    }
    await Deno.remove(join(dir, ".dev.vars"));
    const noSealingKey = await run(["keys", "create", ...flags, "--name", "x"], {
      env: envWith(UPSTREAM),
    });
    assert.equal(noSealingKey.code, 2);
    assert.equal(
      noSealingKey.stderr,
      "error: TOKEN_SEALING_KEY is not in .dev.vars (run deno task start once) nor in the environment\n",
    );
    const both = await run(["keys", "list", ...flags, "--remote"]);
    assert.equal(both.stderr, "error: keys list: give --local or --remote, not both\n");
    const badId = await run(["keys", "revoke", ...flags, "xyz"]);
    assert.equal(badId.code, 2);
    assert.match(badId.stderr, /^error: keys revoke needs a key \(tae_\.\.\.\) or a key id/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A fake wrangler: a KV in a Map, and every call recorded. */
function fakeWrangler(): {
  calls: { command: string; args: string[]; cwd: string; value?: string }[];
  store: Map<string, string>;
  runCommand: (
    command: string,
    args: readonly string[],
    options: { cwd: string },
  ) => Promise<{ code: number; stdout: string; stderr: string }>;
} {
  const calls: { command: string; args: string[]; cwd: string; value?: string }[] = [];
  const store = new Map<string, string>();
  const runCommand = async (command: string, argv: readonly string[], options: { cwd: string }) => {
    const args = [...argv];
    const call: { command: string; args: string[]; cwd: string; value?: string } = {
      command,
      args,
      cwd: options.cwd,
    };
    calls.push(call);
    const [action, key] = [args[5], args[6]];
    const ok = (stdout: string) => ({ code: 0, stdout, stderr: "" });
    switch (action) {
      case "put": {
        call.value = await Deno.readTextFile(args[args.indexOf("--path") + 1]!);
        store.set(key!, call.value);
        return ok("");
      }
      case "get":
        return store.has(key!)
          ? ok(`${store.get(key!)}\n`)
          : { code: 1, stdout: "", stderr: "✘ [ERROR] Failed to fetch ... - 404: Not Found);" };
      case "delete":
        store.delete(key!);
        return ok(`Deleting the key "${key}" on namespace x.\n`);
      case "list": {
        const prefix = args[args.indexOf("--prefix") + 1]!;
        const keys = [...store.keys()].filter((name) => name.startsWith(prefix)).map((name) => ({
          name,
        }));
        return ok(JSON.stringify(keys, null, 2) + "\n");
      }
    }
    return { code: 1, stdout: "", stderr: "unknown" };
  };
  return { calls, store, runCommand };
}

Deno.test("keys --remote runs wrangler kv key put/list/get/delete --binding TOKENS --remote", async () => {
  const sealingKey = randomSealingKey();
  const wrangler = fakeWrangler();
  const cwd = await Deno.makeTempDir({ prefix: "cli-keys-remote-" });
  const options = {
    env: envWith(UPSTREAM, { TOKEN_SEALING_KEY: sealingKey }),
    runCommand: wrangler.runCommand,
    now: () => Date.now(),
    cwd,
  };
  const prefix = ["run", "-A", "npm:wrangler@4.86.0", "kv", "key"];
  const remote = ["--binding", "TOKENS", "--remote"];
  try {
    const created = await run(
      ["keys", "create", "--remote", "--name", "edge", "--expires", "2h"],
      options,
    );
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.trim();
    const kvKey = await kvKeyFor(key);
    const [put] = wrangler.calls;
    assert.equal(put?.command, Deno.execPath());
    assert.equal(put?.cwd, cwd);
    const path = put!.args[put!.args.indexOf("--path") + 1]!;
    const expiration = Number(put!.args.at(-1));
    assert.deepEqual(put?.args, [
      ...prefix,
      "put",
      kvKey,
      "--path",
      path,
      ...remote,
      "--expiration",
      String(expiration),
    ]);
    assert.ok(Math.abs(expiration - (Date.now() / 1000 + 7200)) < 60);
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound, "the value file is removed");
    const record = parseKeyRecord(JSON.parse(put!.value!))!;
    assert.ok(!put!.value!.includes(UPSTREAM), "the token is sealed");
    assert.equal(
      await openToken(await importSealingKey(sealingKey), record, kvKey),
      UPSTREAM,
    );
    assert.ok(
      !wrangler.calls.some((call) =>
        call.args.some((arg) => arg.includes(UPSTREAM) || arg === key)
      ),
    );

    wrangler.calls.length = 0;
    const listed = await run(["keys", "list", "--remote"], options);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(wrangler.calls.map((call) => call.args), [
      [...prefix, "list", "--prefix", "key:", ...remote],
      [...prefix, "get", kvKey, "--text", ...remote],
    ]);
    assert.match(listed.stdout, new RegExp(`^${kvKey.slice(4, 16)}  edge  all  `, "m"));
    assert.ok(!listed.stdout.includes(record.upstream_token));

    wrangler.calls.length = 0;
    const revoked = await run([
      "keys",
      "revoke",
      "--remote",
      "--config",
      "other.toml",
      kvKey.slice(4, 16),
    ], options);
    assert.equal(revoked.code, 0, revoked.stderr);
    const config = ["--config", join(cwd, "other.toml")];
    assert.deepEqual(wrangler.calls.map((call) => call.args), [
      [...prefix, "list", "--prefix", `key:${kvKey.slice(4, 16)}`, ...remote, ...config],
      [...prefix, "get", kvKey, "--text", ...remote, ...config],
      [...prefix, "delete", kvKey, ...remote, ...config],
    ]);
    assert.equal(wrangler.store.size, 0);

    const missing = await run(["keys", "revoke", "--remote", key], options);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `error: no key ${kvKey.slice(4, 16)} in the remote KV\n`);

    const noSecret = await run(["keys", "create", "--remote", "--name", "x"], {
      ...options,
      env: envWith(UPSTREAM),
    });
    assert.equal(noSecret.code, 2);
    assert.equal(
      noSecret.stderr,
      "error: TOKEN_SEALING_KEY is not set: export the secret the deployed Worker uses\n",
    );
    const failing = await run(["keys", "list", "--remote"], {
      ...options,
      runCommand: () =>
        Promise.resolve({ code: 1, stdout: "", stderr: "✘ [ERROR] You are not authenticated.\n" }),
    });
    assert.equal(failing.code, 1);
    assert.equal(
      failing.stderr,
      "error: wrangler kv key list failed: ✘ [ERROR] You are not authenticated.\n",
    );
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("keys create --local without TOLOKA_TOKEN seals the start emulator's token, with a note; --remote refuses", async () => {
  const { dir, sealingKey, flags } = await project();
  try {
    const created = await run(["keys", "create", ...flags, "--name", "local"], {
      env: envWith(null),
    });
    assert.equal(created.code, 0, created.stderr);
    assert.match(
      created.stderr,
      /^note: TOLOKA_TOKEN is not set: the key acts with demo-upstream-token, the token of deno task start's emulator\nCreated key /,
    );
    const kvKey = await kvKeyFor(created.stdout.trim());
    const record = parseKeyRecord(JSON.parse((await storedValues(dir)).get(kvKey)!))!;
    assert.equal(
      await openToken(await importSealingKey(sealingKey), record, kvKey),
      START_EMULATOR_TOKEN,
    );
    // Given the emulator's token explicitly: nothing to note.
    const explicit = await run(["keys", "create", ...flags, "--name", "explicit"], {
      env: envWith(START_EMULATOR_TOKEN),
    });
    assert.match(explicit.stderr, /^Created key /);

    const remote = await run(["keys", "create", "--remote", "--name", "x"], {
      env: envWith(null, { TOKEN_SEALING_KEY: sealingKey }),
      runCommand: () => Promise.reject(new Error("wrangler must not run")),
    });
    assert.equal(remote.code, 2);
    assert.equal(
      remote.stderr,
      "error: TOLOKA_TOKEN is not set: export the Toloka token the key will act with\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keys migrate --local shows v1 records' scopes, changes nothing without --yes, reseals them with it", async () => {
  const { dir, sealingKey, flags } = await project();
  const options = { env: envWith(UPSTREAM), now: () => NOW };
  try {
    const root = pathToFileURL(`${dir}/`);
    const [old, foreign] = await withLocalKv(root, async (kv) => [
      await putV1Record(kv, sealingKey, UPSTREAM, {
        name: "old partner",
        pools: ["1", "2"],
        created_at: "2026-01-01T00:00:00.000Z",
      }),
      await putV1Record(kv, randomSealingKey(), UPSTREAM, {
        name: "foreign",
        pools: null,
        created_at: "2026-01-02T00:00:00.000Z",
      }),
    ], { persistTo: "kv" });
    const current = await run(["keys", "create", ...flags, "--name", "new"], options);
    assert.equal(current.code, 0, current.stderr);
    const oldId = old!.kvKey.slice(4, 16);
    const foreignId = foreign!.kvKey.slice(4, 16);

    const listed = await run(["keys", "list", ...flags], options);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(
      listed.stderr,
      `note: keys ${oldId}, ${foreignId} have v1 records, which the Worker refuses: see keys migrate --local\n`,
    );

    const before = await storedValues(dir);
    const dry = await run(["keys", "migrate", ...flags], options);
    assert.equal(dry.code, 0, dry.stderr);
    const lines = dry.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^ID +NAME +POOLS +EXPIRES +CREATED +STATUS$/);
    assert.match(
      lines[1]!,
      new RegExp(`^${oldId}  old partner  1,2 +never +2026-01-01T00:00:00.000Z  to migrate$`),
    );
    assert.match(
      lines[2]!,
      new RegExp(`^${foreignId}  foreign +all +never +2026-01-02T00:00:00.000Z  does not open$`),
    );
    assert.equal(lines.length, 3, "v2 records are not listed");
    assert.match(dry.stderr, /^2 v1 records in the local KV; the Worker refuses them/);
    assert.ok(dry.stderr.includes("\n  keys migrate --local --yes\n"), dry.stderr);
    assert.match(dry.stderr, /1 of them does not open under this TOKEN_SEALING_KEY/);
    assert.deepEqual(await storedValues(dir), before, "nothing changed without --yes");

    const applied = await run(["keys", "migrate", ...flags, "--yes"], options);
    assert.equal(applied.code, 1, "one record could not be migrated");
    assert.match(applied.stdout, new RegExp(`^${oldId} .* migrated$`, "m"));
    assert.match(applied.stdout, new RegExp(`^${foreignId} .* does not open$`, "m"));
    assert.match(applied.stderr, /^Migrated 1 of 2 v1 records in the local KV to v2/);
    const after = await storedValues(dir);
    const migrated = parseKeyRecord(JSON.parse(after.get(old!.kvKey)!))!;
    assert.equal(migrated.v, 2);
    assert.deepEqual(migrated.pools, ["1", "2"]);
    assert.equal(migrated.name, "old partner");
    assert.equal(
      await openToken(await importSealingKey(sealingKey), migrated, old!.kvKey),
      UPSTREAM,
    );
    assert.equal(after.get(foreign!.kvKey), before.get(foreign!.kvKey));
    for (const text of [dry.stdout, dry.stderr, applied.stdout, applied.stderr]) {
      assert.ok(!text.includes(UPSTREAM) && !text.includes(migrated.upstream_token));
    }

    // Only the ids given; nothing left to do for the migrated one.
    const again = await run(["keys", "migrate", ...flags, "--yes", oldId], options);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, "no v1 records in the local KV: nothing to migrate\n");
    const bad = await run(["keys", "migrate", ...flags, "xyz"], options);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: keys migrate takes key ids from keys list/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keys --remote never prints wrangler's colour escapes or other control characters", async () => {
  const sealingKey = randomSealingKey();
  const wrangler = fakeWrangler();
  const cwd = await Deno.makeTempDir({ prefix: "cli-keys-ansi-" });
  const red = "\u001b[31m✘ \u001b[41;31m[\u001b[41;97mERROR\u001b[41;31m]\u001b[0m";
  try {
    const options = {
      env: envWith(UPSTREAM, { TOKEN_SEALING_KEY: sealingKey }),
      runCommand: wrangler.runCommand,
      now: () => Date.now(),
      cwd,
    };
    const created = await run(["keys", "create", "--remote", "--name", "edge"], options);
    assert.equal(created.code, 0, created.stderr);
    // wrangler's coloured warning before the JSON it prints.
    const coloured = async (command: string, args: readonly string[], o: { cwd: string }) => {
      const result = await wrangler.runCommand(command, args, o);
      return {
        ...result,
        stdout:
          `\u001b[33m▲ \u001b[43;33m[\u001b[43;30mWARNING\u001b[43;33m]\u001b[0m \u001b[1mProcessing wrangler.toml\u001b[0m\n${result.stdout}`,
      };
    };
    const listed = await run(["keys", "list", "--remote"], { ...options, runCommand: coloured });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, / edge +all +never /);
    const failing = await run(["keys", "list", "--remote"], {
      ...options,
      runCommand: () =>
        Promise.resolve({
          code: 1,
          stdout: "",
          stderr: `${red} \u001b[1mYou are not authenticated.\u0007\u001b[0m\n`,
        }),
    });
    assert.equal(failing.code, 1);
    assert.equal(
      failing.stderr,
      "error: wrangler kv key list failed: ✘ [ERROR] You are not authenticated.\\x07\n",
    );
    for (const text of [listed.stdout, listed.stderr, failing.stdout, failing.stderr]) {
      // deno-lint-ignore no-control-regex -- control characters are what must not appear
      assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    }
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
