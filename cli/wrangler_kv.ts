/**
 * The Worker's production KV through wrangler (`keys --remote`): each KV call is a
 * `deno run -A npm:wrangler@4.86.0 kv key ... --binding TOKENS --remote` subprocess. Building
 * the arguments is pure ({@linkcode wranglerKvArgs}); values are handed over in a temporary file
 * (mode 0600, removed at once), never on the command line.
 *
 * @module
 */

import { join } from "node:path";
import type { KvNamespace } from "../src/keys/mod.ts";

/** The wrangler this project pins (the last that runs on Node 20). */
export const WRANGLER = "npm:wrangler@4.86.0";

/** A subprocess runner: exit code and collected output. */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  options: { cwd: string },
) => Promise<{ code: number; stdout: string; stderr: string }>;

/** One `wrangler kv key` call. */
export type WranglerKvCall =
  | { action: "put"; key: string; path: string; expiration?: number }
  | { action: "get"; key: string }
  | { action: "delete"; key: string }
  | { action: "list"; prefix: string };

/**
 * ANSI escape sequences (CSI such as colours, OSC such as hyperlinks, and lone two-character
 * escapes): wrangler colours its messages even when its output is piped.
 */
const ANSI =
  // deno-lint-ignore no-control-regex -- escape sequences are exactly what is removed
  /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])|\u009b[0-?]*[ -/]*[@-~]/g;

/** wrangler's output without its colours and other escape sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/** The arguments of `deno` for one call (`run -A npm:wrangler@... kv key <action> ...`). */
export function wranglerKvArgs(call: WranglerKvCall, config?: string): string[] {
  const args = ["run", "-A", WRANGLER, "kv", "key", call.action];
  switch (call.action) {
    case "put":
      args.push(call.key, "--path", call.path);
      break;
    case "get":
      args.push(call.key, "--text");
      break;
    case "delete":
      args.push(call.key);
      break;
    case "list":
      args.push("--prefix", call.prefix);
      break;
  }
  args.push("--binding", "TOKENS", "--remote");
  if (call.action === "put" && call.expiration !== undefined) {
    args.push("--expiration", String(call.expiration));
  }
  if (config !== undefined) args.push("--config", config);
  return args;
}

/** What {@linkcode WranglerKv} needs. */
export interface WranglerKvOptions {
  /** The `deno` executable. */
  deno: string;
  /** The folder wrangler runs in (where `wrangler.toml` is). */
  cwd: string;
  /** A wrangler config other than `cwd`'s `wrangler.toml`. */
  config?: string | undefined;
  /** Runs the subprocess. */
  run: CommandRunner;
}

/** A {@linkcode KvNamespace} on wrangler subprocesses. */
export class WranglerKv implements KvNamespace {
  readonly #options: WranglerKvOptions;

  /** Calls nothing until a method is used. */
  constructor(options: WranglerKvOptions) {
    this.#options = options;
  }

  async #call(call: WranglerKvCall): Promise<{ code: number; stdout: string; stderr: string }> {
    const { deno, cwd, config, run } = this.#options;
    const result = await run(deno, wranglerKvArgs(call, config), { cwd });
    return {
      code: result.code,
      stdout: stripAnsi(result.stdout),
      stderr: stripAnsi(result.stderr),
    };
  }

  #fail(action: string, result: { code: number; stdout: string; stderr: string }): never {
    const detail = (result.stderr + "\n" + result.stdout).split("\n").map((line) => line.trim())
      .find((line) => /error|fail|✘/i.test(line)) ?? `exit code ${result.code}`;
    // Colours are gone already; the command line's error printer escapes any other control.
    throw new Error(`wrangler kv key ${action} failed: ${detail}`);
  }

  /** Reads a value as JSON; `null` when there is none. */
  async get(key: string, _options: { type: "json"; cacheTtl?: number }): Promise<unknown> {
    const result = await this.#call({ action: "get", key });
    if (result.code !== 0) {
      if (/\b404\b|not found/i.test(result.stderr + result.stdout)) return null;
      this.#fail("get", result);
    }
    const text = result.stdout.trim();
    if (text === "" || text === "Value not found") return null;
    return jsonAfterNoise(text, "{", "}") ?? null;
  }

  /** Writes a value, through a private temporary file. */
  async put(key: string, value: string, options?: { expiration?: number }): Promise<void> {
    const folder = await Deno.makeTempDir({ prefix: "toloka-keys-" });
    const path = join(folder, "value.json");
    try {
      await Deno.writeTextFile(path, value, { mode: 0o600 });
      const call: WranglerKvCall = options?.expiration === undefined
        ? { action: "put", key, path }
        : { action: "put", key, path, expiration: options.expiration };
      const result = await this.#call(call);
      if (result.code !== 0) this.#fail("put", result);
    } finally {
      await Deno.remove(folder, { recursive: true }).catch(() => {});
    }
  }

  /** Deletes a value. */
  async delete(key: string): Promise<void> {
    const result = await this.#call({ action: "delete", key });
    if (result.code !== 0) this.#fail("delete", result);
  }

  /** Lists every key with the prefix, in one call (wrangler pages by itself). */
  async list(
    options: { prefix?: string; cursor?: string; limit?: number } = {},
  ): ReturnType<KvNamespace["list"]> {
    const result = await this.#call({ action: "list", prefix: options.prefix ?? "" });
    if (result.code !== 0) this.#fail("list", result);
    const parsed = jsonAfterNoise(result.stdout, "[", "]");
    const keys = Array.isArray(parsed)
      ? parsed.filter((item): item is { name: string; expiration?: number } =>
        typeof item === "object" && item !== null && typeof item.name === "string"
      )
      : [];
    return { keys, list_complete: true };
  }
}

/**
 * The JSON value wrangler printed after any lines of its own (warnings such as `[WARNING] ...`
 * start with a bracket too): the first line starting with `open` from which the text up to the
 * last `close` parses; `undefined` when none does.
 */
function jsonAfterNoise(text: string, open: "{" | "[", close: "}" | "]"): unknown {
  const end = text.lastIndexOf(close);
  for (let start = 0; start !== -1 && start < end; start = text.indexOf("\n", start)) {
    if (text[start] === "\n") start++;
    if (text[start] !== open) continue;
    try {
      return JSON.parse(text.slice(start, end + 1));
    } catch {
      // Not the value yet: a line of wrangler's own.
    }
  }
  return undefined;
}
