/**
 * `keys create|list|revoke|migrate`: API keys of the edge Worker, in the local KV that
 * `deno task start` uses (`--local`, through Miniflare) or in the deployed Worker's KV
 * (`--remote`, through wrangler). A new key is printed once, alone on stdout; nothing ever prints
 * a stored secret: `list` shows a short prefix of the key's hash as its id. `migrate` reseals
 * records of the old format (v1, whose seal does not cover the key's scope) as v2, after showing
 * the operator each one's scope.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  CURRENT_RECORD_VERSION,
  importSealingKey,
  isKeyShaped,
  issueKey,
  type KeyRecord,
  kvKeyFor,
  type KvNamespace,
  migrateKeyRecord,
  openToken,
  parseKeyRecord,
  revokeKey,
} from "../src/keys/mod.ts";
import type { Context } from "./context.ts";
import { displayText, displayWidth, padDisplay } from "./display.ts";
import { EXIT } from "./errors.ts";
import {
  booleanFlag,
  choiceFlag,
  type FlagSpec,
  type FlagValues,
  noMorePositionals,
  parseFlags,
  quote,
  stringFlag,
  UsageError,
} from "./flags.ts";
import { parseExpiry, parsePools } from "./key_flags.ts";
import { START_EMULATOR_TOKEN, withLocalKv } from "./local_kv.ts";
import { WranglerKv } from "./wrangler_kv.ts";

const WHERE_FLAGS: FlagSpec = {
  local: "boolean",
  remote: "boolean",
  config: "string",
  "persist-to": "string",
  help: "boolean",
};

/** The flags of each `keys` subcommand. */
export const KEYS_FLAGS: Readonly<Record<"create" | "list" | "revoke" | "migrate", FlagSpec>> = {
  create: { ...WHERE_FLAGS, name: "string", pools: "string", expires: "string" },
  list: { ...WHERE_FLAGS, format: "string" },
  revoke: WHERE_FLAGS,
  migrate: { ...WHERE_FLAGS, yes: "boolean" },
};

/** The subcommands of `keys`. */
export const KEYS_SUBCOMMANDS = ["create", "list", "revoke", "migrate"] as const;

/** Hex digits of the KV key's hash shown as a key's id. */
const ID_LENGTH = 12;
/** The shortest id prefix `revoke` accepts. */
const MIN_ID_PREFIX = 8;
const KV_PREFIX = "key:";

/** A key's id: the first hex digits of the SHA-256 in its KV key. */
function idOf(kvKey: string): string {
  return kvKey.slice(KV_PREFIX.length, KV_PREFIX.length + ID_LENGTH);
}

/** Which KV and where its files are. */
interface Where {
  remote: boolean;
  /** The project folder: where `wrangler.toml` and `.dev.vars` are. */
  root: string;
  config: string | undefined;
  persistTo: string | undefined;
}

function whereFrom(context: Context, flags: FlagValues, command: string): Where {
  const local = booleanFlag(flags, "local");
  const remote = booleanFlag(flags, "remote");
  if (local === remote) {
    throw new UsageError(
      local
        ? `${command}: give --local or --remote, not both`
        : `${command} needs --local (the KV of deno task start) or --remote (the deployed Worker's KV)`,
    );
  }
  const configFlag = stringFlag(flags, "config");
  const persistFlag = stringFlag(flags, "persist-to");
  if (remote && persistFlag !== undefined) {
    throw new UsageError("--persist-to is for --local only");
  }
  const config = configFlag === undefined ? undefined : resolve(context.cwd, configFlag);
  return {
    remote,
    root: config === undefined ? context.cwd : dirname(config),
    config,
    persistTo: persistFlag === undefined ? undefined : resolve(context.cwd, persistFlag),
  };
}

async function withKv<T>(
  context: Context,
  where: Where,
  use: (kv: KvNamespace) => Promise<T>,
): Promise<T> {
  if (where.remote) {
    const kv = new WranglerKv({
      deno: Deno.execPath(),
      cwd: where.root,
      config: where.config,
      run: context.runCommand,
    });
    return await use(kv);
  }
  const root = pathToFileURL(where.root.endsWith("/") ? where.root : `${where.root}/`);
  return await withLocalKv(root, use, {
    ...(where.config === undefined ? {} : { configPath: pathToFileURL(where.config).href }),
    ...(where.persistTo === undefined ? {} : { persistTo: pathToFileURL(where.persistTo).href }),
  });
}

/** `TOKEN_SEALING_KEY`: from `.dev.vars` for the local KV (what `wrangler dev` uses), else env. */
async function sealingKeyFor(context: Context, where: Where): Promise<string> {
  if (!where.remote) {
    let text = "";
    try {
      text = await Deno.readTextFile(resolve(where.root, ".dev.vars"));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const match = /^\s*TOKEN_SEALING_KEY\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S*))\s*$/m.exec(text);
    const fromFile = match?.[1] ?? match?.[2] ?? match?.[3];
    if (fromFile) return fromFile;
  }
  const fromEnv = context.env("TOKEN_SEALING_KEY")?.trim();
  if (fromEnv) return fromEnv;
  throw new UsageError(
    where.remote
      ? "TOKEN_SEALING_KEY is not set: export the secret the deployed Worker uses"
      : "TOKEN_SEALING_KEY is not in .dev.vars (run deno task start once) nor in the environment",
  );
}

/** Runs `keys <subcommand>`; resolves to the exit code. */
export async function keysCommand(context: Context, args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub.startsWith("-")) {
    throw new UsageError(
      "keys needs a subcommand: create, list, revoke or migrate (see keys --help)",
    );
  }
  if (!(KEYS_SUBCOMMANDS as readonly string[]).includes(sub)) {
    throw new UsageError(
      `unknown keys subcommand ${
        quote(sub)
      }: use create, list, revoke or migrate (see keys --help)`,
    );
  }
  const command = sub as typeof KEYS_SUBCOMMANDS[number];
  const { flags, positionals } = parseFlags(rest, KEYS_FLAGS[command], `keys ${command}`);
  switch (command) {
    case "create":
      noMorePositionals(positionals, 0, "keys create");
      return await createKey(context, flags);
    case "list":
      noMorePositionals(positionals, 0, "keys list");
      return await listKeys(context, flags);
    case "revoke":
      noMorePositionals(positionals, 1, "keys revoke");
      return await revoke(context, flags, positionals[0]);
    case "migrate":
      return await migrate(context, flags, positionals);
  }
}

async function createKey(context: Context, flags: FlagValues): Promise<number> {
  const where = whereFrom(context, flags, "keys create");
  const name = stringFlag(flags, "name");
  if (name === undefined) throw new UsageError("--name is required: who or what the key is for");
  const poolsText = stringFlag(flags, "pools");
  const pools = poolsText === undefined ? null : parsePools(poolsText);
  const expiresText = stringFlag(flags, "expires");
  const now = context.now();
  const expiresAt = expiresText === undefined ? null : parseExpiry(expiresText, now);
  const fromEnv = context.env("TOLOKA_TOKEN")?.trim();
  if (!fromEnv && where.remote) {
    throw new UsageError(
      "TOLOKA_TOKEN is not set: export the Toloka token the key will act with",
    );
  }
  // The local Worker of `deno task start` talks to the emulator, which accepts its own token only.
  const upstreamToken = fromEnv || START_EMULATOR_TOKEN;
  const note = where.remote || upstreamToken === START_EMULATOR_TOKEN
    ? ""
    : fromEnv
    ? `note: the key acts with TOLOKA_TOKEN; deno task start's emulator accepts only ${START_EMULATOR_TOKEN} (unset TOLOKA_TOKEN to use it)\n`
    : "";
  const defaulted = !where.remote && !fromEnv
    ? `note: TOLOKA_TOKEN is not set: the key acts with ${START_EMULATOR_TOKEN}, the token of deno task start's emulator\n`
    : "";
  const sealingKey = await sealingKeyFor(context, where);
  const issued = await withKv(context, where, async (kv) => {
    try {
      return await issueKey(kv, sealingKey, {
        name,
        upstreamToken,
        pools,
        expiresAt,
        now: new Date(now),
      });
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) {
        throw new UsageError(error.message);
      }
      throw error;
    }
  });
  const id = idOf(await kvKeyFor(issued.key));
  await context.stderr.write(
    `${note}${defaulted}Created key ${id} ${quote(issued.record.name)} for ${
      pools === null ? "every pool of the token" : `pools ${pools.join(", ")}`
    }, ${expiresAt === null ? "never expiring" : `expiring ${expiresAt.toISOString()}`}, in the ${
      where.remote ? "remote" : "local"
    } KV. It is shown once, on stdout:\n`,
  );
  await context.stdout.write(`${issued.key}\n`);
  return EXIT.ok;
}

/** A key as `keys list` shows it: never the key, its hash or the sealed token. */
interface KeyRow {
  id: string;
  name: string;
  pools: string[] | null;
  expires_at: string | null;
  created_at: string;
  expired: boolean;
  /** The record's format: 1 is refused by the Worker until `keys migrate` reseals it. */
  v: 1 | 2;
}

async function allKeyNames(kv: KvNamespace, prefix: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await kv.list({ prefix, ...(cursor === undefined ? {} : { cursor }) });
    names.push(...page.keys.map((key) => key.name));
    if (page.list_complete || page.cursor === undefined || page.cursor === "") return names;
    cursor = page.cursor;
  }
}

async function listKeys(context: Context, flags: FlagValues): Promise<number> {
  const where = whereFrom(context, flags, "keys list");
  const format = choiceFlag(flags, "format", ["table", "json"] as const) ?? "table";
  const now = context.now();
  const rows = await withKv(context, where, async (kv) => {
    const found: KeyRow[] = [];
    for (const name of await allKeyNames(kv, KV_PREFIX)) {
      const record = parseKeyRecord(await kv.get(name, { type: "json" }));
      if (record === null) continue;
      const expires = record.expires_at === null ? NaN : Date.parse(record.expires_at);
      found.push({
        id: idOf(name),
        name: record.name,
        pools: record.pools,
        expires_at: record.expires_at,
        created_at: record.created_at,
        expired: expires <= now,
        v: record.v,
      });
    }
    return found;
  });
  rows.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  if (format === "json") {
    await context.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    await noteOutdated(context, where, rows);
    return EXIT.ok;
  }
  const table = [
    ["ID", "NAME", "POOLS", "EXPIRES", "CREATED"],
    ...rows.map((row) => [
      row.id,
      displayText(row.name),
      row.pools === null ? "all" : displayText(row.pools.join(",")),
      row.expires_at === null ? "never" : `${row.expires_at}${row.expired ? " (expired)" : ""}`,
      row.created_at,
    ]),
  ];
  const widths = [0, 1, 2, 3].map((column) =>
    Math.max(...table.map((cells) => displayWidth(cells[column] ?? "")))
  );
  let text = "";
  for (const cells of table) {
    text += cells.map((cell, i) => (i === 4 ? cell : padDisplay(cell, widths[i] ?? 0))).join(
      "  ",
    ) + "\n";
  }
  await context.stdout.write(text);
  if (rows.length === 0) {
    await context.stderr.write(`no keys in the ${where.remote ? "remote" : "local"} KV\n`);
  }
  await noteOutdated(context, where, rows);
  return EXIT.ok;
}

async function noteOutdated(
  context: Context,
  where: Where,
  rows: readonly KeyRow[],
): Promise<void> {
  const outdated = rows.filter((row) => row.v !== CURRENT_RECORD_VERSION);
  if (outdated.length === 0) return;
  await context.stderr.write(
    `note: ${outdated.length === 1 ? "key" : "keys"} ${outdated.map((row) => row.id).join(", ")} ${
      outdated.length === 1 ? "has a v1 record" : "have v1 records"
    }, which the Worker refuses: see keys migrate ${whereFlag(where)}\n`,
  );
}

function whereFlag(where: Where): string {
  return where.remote ? "--remote" : "--local";
}

async function revoke(
  context: Context,
  flags: FlagValues,
  target: string | undefined,
): Promise<number> {
  const where = whereFrom(context, flags, "keys revoke");
  if (target === undefined) {
    throw new UsageError("keys revoke needs a key (tae_...) or a key id from keys list");
  }
  const value = target.trim();
  const byKey = isKeyShaped(value);
  const prefix = value.toLowerCase();
  if (!byKey && !new RegExp(`^[0-9a-f]{${MIN_ID_PREFIX},64}$`).test(prefix)) {
    throw new UsageError(
      `keys revoke needs a key (tae_...) or a key id from keys list (at least ${MIN_ID_PREFIX} hex digits), got ${
        byKey ? "a key" : quote(value.startsWith("tae_") ? "tae_..." : value)
      }`,
    );
  }
  const outcome = await withKv(context, where, async (kv) => {
    if (byKey) {
      const kvKey = await kvKeyFor(value);
      const record = parseKeyRecord(await kv.get(kvKey, { type: "json" }));
      const existed = await revokeKey(kv, value);
      return { id: idOf(kvKey), name: record?.name, found: existed, matches: 1 };
    }
    const matches = await allKeyNames(kv, KV_PREFIX + prefix);
    const [only] = matches;
    if (matches.length !== 1 || only === undefined) {
      return { id: prefix, name: undefined, found: false, matches: matches.length };
    }
    const record = parseKeyRecord(await kv.get(only, { type: "json" }));
    await kv.delete(only);
    return { id: idOf(only), name: record?.name, found: true, matches: 1 };
  });
  if (outcome.matches > 1) {
    throw new UsageError(
      `key id ${outcome.id} matches ${outcome.matches} keys: give more digits`,
    );
  }
  if (!outcome.found) {
    await context.stderr.write(
      `error: no key ${outcome.id} in the ${where.remote ? "remote" : "local"} KV\n`,
    );
    return EXIT.failure;
  }
  await context.stderr.write(
    `Revoked key ${outcome.id}${
      outcome.name === undefined ? "" : ` ${quote(outcome.name)}`
    } (the edge may accept it for up to about a minute more)\n`,
  );
  return EXIT.ok;
}

/** A v1 record as `keys migrate` shows it, and what became of it. */
interface MigrationRow {
  id: string;
  kvKey: string;
  record: KeyRecord;
  status: "to migrate" | "migrated" | "does not open" | "changed since read";
}

/**
 * `keys migrate`: lists the v1 records (their scope is not covered by their seal, so whoever
 * could write to the KV may have widened it) and, with `--yes`, reseals each as v2 with exactly
 * the scope shown. Without `--yes` nothing changes. Ids (prefixes of 8 hex digits or more) limit
 * it to those keys.
 */
async function migrate(
  context: Context,
  flags: FlagValues,
  targets: readonly string[],
): Promise<number> {
  const where = whereFrom(context, flags, "keys migrate");
  const apply = booleanFlag(flags, "yes");
  const prefixes = targets.map((target) => {
    const value = target.trim().toLowerCase();
    if (!new RegExp(`^[0-9a-f]{${MIN_ID_PREFIX},64}$`).test(value)) {
      throw new UsageError(
        `keys migrate takes key ids from keys list (at least ${MIN_ID_PREFIX} hex digits), got ${
          quote(value.startsWith("tae_") ? "tae_..." : value)
        }`,
      );
    }
    return value;
  });
  const sealingKey = await sealingKeyFor(context, where);
  const cryptoKey = await importSealingKey(sealingKey).catch((error: Error) => {
    throw new UsageError(error.message);
  });
  const rows = await withKv(context, where, async (kv) => {
    const found: MigrationRow[] = [];
    for (const kvKey of await allKeyNames(kv, KV_PREFIX)) {
      const hash = kvKey.slice(KV_PREFIX.length);
      if (prefixes.length > 0 && !prefixes.some((prefix) => hash.startsWith(prefix))) continue;
      const record = parseKeyRecord(await kv.get(kvKey, { type: "json" }));
      if (record === null || record.v === CURRENT_RECORD_VERSION) continue;
      const opens = (await openToken(cryptoKey, record, kvKey)) !== null;
      const row: MigrationRow = {
        id: idOf(kvKey),
        kvKey,
        record,
        status: opens ? "to migrate" : "does not open",
      };
      if (apply && opens) {
        // Resealed only with exactly the scope read (and shown) here.
        const outcome = await migrateKeyRecord(kv, sealingKey, kvKey, {
          name: record.name,
          pools: record.pools,
          expires_at: record.expires_at,
          created_at: record.created_at,
        });
        row.status = outcome.status === "migrated"
          ? "migrated"
          : outcome.status === "changed"
          ? "changed since read"
          : "does not open";
      }
      found.push(row);
    }
    return found;
  });
  rows.sort((a, b) =>
    a.record.created_at.localeCompare(b.record.created_at) || a.id.localeCompare(b.id)
  );
  const place = `the ${where.remote ? "remote" : "local"} KV`;
  if (rows.length === 0) {
    await context.stderr.write(`no v1 records in ${place}: nothing to migrate\n`);
    return EXIT.ok;
  }
  const table = [
    ["ID", "NAME", "POOLS", "EXPIRES", "CREATED", "STATUS"],
    ...rows.map(({ id, record, status }) => [
      id,
      displayText(record.name),
      record.pools === null ? "all" : displayText(record.pools.join(",")),
      displayText(record.expires_at ?? "never"),
      displayText(record.created_at),
      status,
    ]),
  ];
  const widths = [0, 1, 2, 3, 4].map((column) =>
    Math.max(...table.map((cells) => displayWidth(cells[column] ?? "")))
  );
  let text = "";
  for (const cells of table) {
    text += cells.map((cell, i) => (i === 5 ? cell : padDisplay(cell, widths[i] ?? 0))).join(
      "  ",
    ) + "\n";
  }
  await context.stdout.write(text);
  const unopened = rows.filter((row) => row.status === "does not open").length;
  const unopenedNote = unopened === 0
    ? ""
    : `${unopened} of them ${
      unopened === 1 ? "does" : "do"
    } not open under this TOKEN_SEALING_KEY (sealed under another one, or damaged): revoke ${
      unopened === 1 ? "it" : "them"
    }.\n`;
  if (!apply) {
    await context.stderr.write(
      `${rows.length} v1 ${
        rows.length === 1 ? "record" : "records"
      } in ${place}; the Worker refuses them until they are migrated.\n` +
        "A v1 record's pools and expiry are not covered by its seal: anyone who could write to the KV may have changed them.\n" +
        "Check each scope above against what you issued, revoke any you do not recognise, then reseal the rest with exactly these scopes:\n" +
        `  keys migrate ${whereFlag(where)} --yes${
          prefixes.length > 0 ? ` ${prefixes.join(" ")}` : ""
        }\n` +
        unopenedNote,
    );
    return EXIT.ok;
  }
  const migrated = rows.filter((row) => row.status === "migrated").length;
  await context.stderr.write(
    `Migrated ${migrated} of ${rows.length} v1 ${
      rows.length === 1 ? "record" : "records"
    } in ${place} to v2 (the edge accepts them within about a minute).\n` + unopenedNote,
  );
  return migrated === rows.length ? EXIT.ok : EXIT.failure;
}
