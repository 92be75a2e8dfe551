/**
 * The command line of `@toloka-edge/attachments`: list and download the files Tolokers uploaded,
 * and manage the API keys of the edge Worker.
 *
 * ```sh
 * export TOLOKA_TOKEN=...   # your Toloka OAuth token or API key
 * deno run -A jsr:@toloka-edge/attachments/cli list --pool-id 154 --format csv > pool-154.csv
 * deno run -A jsr:@toloka-edge/attachments/cli download --pool-id 154 --out ./pool-154
 * deno run -A jsr:@toloka-edge/attachments/cli keys create --remote --name partner --pools 154
 * ```
 *
 * - `list`: every filter of the API as a flag, four orders, `--format table|json|ndjson|csv`,
 *   streamed page by page.
 * - `download`: every match into a folder, several files at once, each streamed to disk and
 *   hashed on the way; written under a temporary name and renamed when complete; a
 *   `manifest.ndjson` of what is done; run it again to fetch only what is missing; Ctrl-C stops
 *   cleanly. File names are `<id>_<name>`, made safe: nothing a Toloker names a file can make it
 *   land outside the folder or on top of another one.
 * - `keys create|list|revoke`: the edge Worker's keys, in the local KV of `deno task start`
 *   (`--local`) or the deployed one (`--remote`, through wrangler).
 *
 * `--help` on any command tells more. Exit codes: 0 done, 1 failed, 2 bad usage,
 * 130 interrupted. Run as a program, Ctrl-C stops the command cleanly; a second Ctrl-C exits at
 * once. Called from code, {@linkcode main} runs a command in process, with the world injected.
 *
 * @example Download a pool from the emulator, in process
 * ```ts
 * import { main } from "@toloka-edge/attachments/cli";
 * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const emulator = new TolokaEmulator({ pools: [20] });
 * const out = await Deno.makeTempDir();
 * const code = await main(["download", "--pool-id", "1", "--out", out, "--quiet"], {
 *   fetch: emulator.fetch,
 *   env: (name) => (name === "TOLOKA_TOKEN" ? "test-token" : undefined),
 *   stderr: new WritableStream(),
 * });
 * if (code !== 0) throw new Error(`exit code ${code}`);
 * await Deno.remove(out, { recursive: true });
 * ```
 *
 * @module
 */

import { type CliOptions, type Context, resolveContext } from "./context.ts";
import { downloadCommand } from "./download.ts";
import { exportCommand } from "./export.ts";
import { errorText, EXIT, exitCodeOf } from "./errors.ts";
import { parseFlags, quote, suggestFlag, UsageError, wantsHelp } from "./flags.ts";
import { DOWNLOAD_HELP, EXPORT_HELP, KEYS_HELP, LIST_HELP, MAIN_HELP } from "./help.ts";
import { keysCommand } from "./keys.ts";
import { listCommand } from "./list.ts";
import { VERSION } from "./version.ts";

export type { CliOptions } from "./context.ts";

const COMMANDS: Readonly<
  Record<string, { help: string; run: (context: Context, args: string[]) => Promise<number> }>
> = {
  list: { help: LIST_HELP, run: listCommand },
  download: { help: DOWNLOAD_HELP, run: downloadCommand },
  export: { help: EXPORT_HELP, run: exportCommand },
  keys: { help: KEYS_HELP, run: keysCommand },
};

/** Flags accepted before the command name. */
const LEADING_FLAGS = {
  environment: "string",
  "base-url": "string",
  help: "boolean",
  version: "boolean",
} as const;

function hasVersionFlag(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === "--") return false;
    if (arg === "--version") return true;
  }
  return false;
}

async function dispatch(context: Context, args: readonly string[]): Promise<number> {
  // Flags may come before the command: `--base-url X list ...`.
  let at = 0;
  while (at < args.length && (args[at] as string).startsWith("-") && args[at] !== "--") {
    const arg = args[at] as string;
    at += (arg === "--environment" || arg === "--base-url") ? 2 : 1;
  }
  const leading = args.slice(0, Math.min(at, args.length));
  const name = args[at];
  const rest = args.slice(at + 1);
  if (hasVersionFlag(leading) || (name !== undefined && hasVersionFlag(rest))) {
    await context.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  if (wantsHelp(leading) && name === undefined) {
    await context.stdout.write(MAIN_HELP);
    return EXIT.ok;
  }
  const { flags } = parseFlags(leading, LEADING_FLAGS, "the command line");
  if (name === undefined || name === "--") {
    throw new UsageError("a command is needed: list, download, export or keys (see --help)");
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    const near = suggestFlag(
      name,
      Object.fromEntries(Object.keys(COMMANDS).map((c) => [c, "boolean"])),
    );
    throw new UsageError(
      `unknown command ${quote(name)}: ${
        near === undefined ? "" : `did you mean ${near}? `
      }use list, download, export or keys (see --help)`,
    );
  }
  if (flags.has("help") || wantsHelp(rest)) {
    await context.stdout.write(command.help);
    return EXIT.ok;
  }
  // Leading connection flags go to the command, which checks them like its own.
  const passed = [...flags].filter(([flag]) => flag !== "help").map(([flag, value]) =>
    `--${flag}=${value}`
  );
  if (name === "keys" && passed.length > 0) {
    throw new UsageError(`${passed[0]?.split("=")[0]} is not a flag of keys (see keys --help)`);
  }
  return await command.run(context, [...passed, ...rest]);
}

/**
 * Runs the command line: `list`, `download` or `keys`, with the given arguments (as in
 * `Deno.args`), and resolves to the exit code: 0 done, 1 failed, 2 bad usage, 130 interrupted
 * (`options.signal` aborted). Never throws and never exits the process: every error is printed
 * as one `error: ...` line on stderr.
 *
 * @param args The arguments after the program name, such as
 * `["list", "--pool-id", "154", "--format", "csv"]`.
 * @param options What the commands touch in the world; everything defaults to Deno's own.
 * @returns The exit code.
 *
 * @example List a pool as CSV from the emulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@toloka-edge/attachments/cli";
 * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const emulator = new TolokaEmulator({ pools: [5] });
 * const decoder = new TextDecoder();
 * let csv = "";
 * const code = await main(["list", "--pool-id", "1", "--format", "csv"], {
 *   fetch: emulator.fetch,
 *   env: (name) => (name === "TOLOKA_TOKEN" ? "test-token" : undefined),
 *   stdout: new WritableStream({ write(chunk) { csv += decoder.decode(chunk, { stream: true }); } }),
 * });
 * assert.equal(code, 0);
 * const lines = csv.split("\r\n");
 * assert.equal(lines[0], "id,name,attachment_type,media_type,created,pool_id,assignment_id,user_id,owner_id,owner_company_id");
 * assert.equal(lines.length, 1 + 5 + 1); // header, 5 rows, and the empty string after the last CRLF
 * ```
 */
export async function main(args: readonly string[], options: CliOptions = {}): Promise<number> {
  const context = resolveContext(options);
  try {
    return await dispatch(context, args);
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) return EXIT.ok; // `... | head`: nothing to say
    if (context.signal.aborted && !(error instanceof UsageError)) {
      await context.stderr.write("interrupted\n").catch(() => {});
      return EXIT.interrupted;
    }
    await context.stderr.write(`error: ${errorText(error, context.apiBaseUrl)}\n`).catch(() => {});
    return exitCodeOf(error);
  } finally {
    await context.stdout.release().catch(() => {});
    await context.stderr.release().catch(() => {});
  }
}

if (import.meta.main) {
  const controller = new AbortController();
  const onInterrupt = (): void => {
    if (controller.signal.aborted) Deno.exit(EXIT.interrupted); // a second Ctrl-C: now
    controller.abort(new DOMException("Interrupted", "AbortError"));
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  const code = await main(Deno.args, { signal: controller.signal });
  Deno.removeSignalListener("SIGINT", onInterrupt);
  Deno.exit(code);
}
