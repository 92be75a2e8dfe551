/**
 * Command-line flag parsing, pure: `--flag value`, `--flag=value`, boolean `--flag`, `-h`, and
 * `--` to end flags. Every mistake is a {@linkcode UsageError} whose message names the flag and,
 * where there is one, the value given.
 *
 * `node:util`'s `parseArgs` splits the arguments into tokens; the checks of those tokens are ours,
 * for two reasons. Its strict mode refuses a value that starts with a dash, and `--order -created`
 * is how a descending order is asked for. And its errors carry only a message, while a user who
 * types `--pol-id` should read which flag is unknown and which one was meant.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { displayText } from "./display.ts";

/** A mistake on the command line or in its environment: printed as one line, exit code 2. */
export class UsageError extends Error {
  /** The error's name, `"UsageError"`. */
  override name = "UsageError";
}

/** How a flag takes its value. */
export type FlagKind = "string" | "boolean";

/** The flags a command accepts, by name without the leading `--`. */
export type FlagSpec = Readonly<Record<string, FlagKind>>;

/** Flag values by name; strings for `"string"` flags, `true` for booleans that were given. */
export type FlagValues = Map<string, string | true>;

/** What {@linkcode parseFlags} found. */
export interface ParsedArgs {
  /** Flag values by name. */
  flags: FlagValues;
  /** Arguments that are not flags, in order. */
  positionals: string[];
}

/** Quotes a value for an error message: JSON-like, control characters escaped, shortened. */
export function quote(value: string): string {
  const shown = value.length > 60 ? `${value.slice(0, 60)}...` : value;
  return `"${displayText(shown).replaceAll('"', '\\"')}"`;
}

/** Whether `--help` or `-h` appears before a `--`. */
export function wantsHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === "--") return false;
    if (arg === "--help" || arg === "-h") return true;
  }
  return false;
}

/** The `options` of `parseArgs` for `spec`: each flag with its kind, and `-h` for `--help`. */
function parseArgsOptions(spec: FlagSpec): Record<string, { type: FlagKind; short?: string }> {
  const options: Record<string, { type: FlagKind; short?: string }> = {};
  for (const [name, type] of Object.entries(spec)) {
    options[name] = name === "help" ? { type, short: "h" } : { type };
  }
  return options;
}

/**
 * Parses `args` against `spec`. A string flag takes the next argument as its value unless that
 * one starts with `--` (then the value is missing; write `--name=--odd` to pass such a value).
 *
 * @throws {UsageError} For an unknown flag, a missing value, a value given to a boolean flag, or
 * a flag given twice.
 */
export function parseFlags(args: readonly string[], spec: FlagSpec, command: string): ParsedArgs {
  const { tokens } = parseArgs({
    args: [...args],
    options: parseArgsOptions(spec),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const flags: FlagValues = new Map();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === "option-terminator") continue;
    const arg = args[token.index] as string;
    if (!token.rawName.startsWith("--")) {
      // `-h` alone; any other single-dash argument (`-x`, `-hx`, `-2+3`) is named whole.
      if (arg !== "-h") {
        throw new UsageError(`unknown flag ${quote(arg)} for ${command} (see --help)`);
      }
      flags.set("help", true);
      continue;
    }
    // parseArgs reads `--=x` as a flag named "=x"; the name ends at the first `=`.
    const name = token.name.split("=", 1)[0] as string;
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) {
      const near = suggestFlag(name, spec);
      throw new UsageError(
        `unknown flag ${quote(`--${name}`)} for ${command}${
          near === undefined ? "" : `: did you mean --${near}?`
        } (see --help)`,
      );
    }
    if (flags.has(name)) throw new UsageError(`--${name} is given twice`);
    if (kind === "boolean") {
      if (token.value !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    // A value taken from the next argument may start with one dash (`-created`), not two.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith("--"))) {
      throw new UsageError(`--${name} needs a value`);
    }
    flags.set(name, token.value);
  }
  return { flags, positionals };
}

/** A string flag's value, or `undefined` when absent. An empty value is refused. */
export function stringFlag(flags: FlagValues, name: string): string | undefined {
  const value = flags.get(name);
  if (value === undefined) return undefined;
  if (value === true) throw new UsageError(`--${name} needs a value`);
  if (value === "") throw new UsageError(`--${name} must not be empty`);
  return value;
}

/** Whether a boolean flag was given. */
export function booleanFlag(flags: FlagValues, name: string): boolean {
  return flags.get(name) === true;
}

/**
 * An integer flag from `min` to `max`, or `fallback` when absent.
 *
 * @throws {UsageError} When the value is not a decimal integer in range.
 */
export function integerFlag(
  flags: FlagValues,
  name: string,
  range: { min: number; max: number },
  fallback: number,
): number;
export function integerFlag(
  flags: FlagValues,
  name: string,
  range: { min: number; max: number },
): number | undefined;
export function integerFlag(
  flags: FlagValues,
  name: string,
  range: { min: number; max: number },
  fallback?: number,
): number | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return fallback;
  const value = /^\+?\d{1,16}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < range.min || value > range.max) {
    const span = range.max === Number.MAX_SAFE_INTEGER
      ? `an integer >= ${range.min}`
      : `an integer from ${range.min} to ${range.max}`;
    throw new UsageError(`--${name} must be ${span}, got ${quote(text)}`);
  }
  return value;
}

/**
 * A flag whose value is one of `choices`, or `undefined` when absent.
 *
 * @throws {UsageError} For any other value.
 */
export function choiceFlag<T extends string>(
  flags: FlagValues,
  name: string,
  choices: readonly T[],
): T | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got ${quote(text)}`);
  }
  return text as T;
}

/**
 * Refuses positional arguments beyond `max`.
 *
 * @throws {UsageError} Naming the first unexpected one.
 */
export function noMorePositionals(
  positionals: readonly string[],
  max: number,
  command: string,
): void {
  const extra = positionals[max];
  if (extra !== undefined) {
    throw new UsageError(`unexpected argument ${quote(extra)} for ${command} (see --help)`);
  }
}

/** Flags people reach for from other tools, and the flag of ours that does that. */
const FLAG_ALIASES: Readonly<Record<string, readonly string[]>> = {
  max: ["limit", "count", "first", "head", "max-items", "n"],
  out: ["output", "dir", "directory", "dest", "destination", "output-dir", "folder", "o"],
  concurrency: ["parallel", "jobs", "j", "threads", "workers"],
  order: ["sort", "sort-by", "order-by"],
  "pool-id": ["pool", "pool_id", "pools"],
  "assignment-id": ["assignment", "assignment_id"],
  format: ["output-format", "fmt"],
  "base-url": ["url", "base_url", "endpoint", "api-url", "host"],
};

/**
 * The flag of `spec` a mistyped or borrowed flag name most likely meant: a known alias (`limit`
 * for `max`), else the closest name within two edits; undefined when nothing is close.
 *
 * @param name The unknown flag's name, without `--`.
 * @param spec The command's flags.
 */
export function suggestFlag(name: string, spec: FlagSpec): string | undefined {
  const lower = name.toLowerCase();
  for (const [flag, aliases] of Object.entries(FLAG_ALIASES)) {
    if (Object.hasOwn(spec, flag) && aliases.includes(lower)) return flag;
  }
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(lower.length / 3) + 1);
  for (const flag of Object.keys(spec)) {
    const distance = editDistance(lower.replaceAll("_", "-"), flag);
    if (distance <= bestDistance && (best === undefined || distance < bestDistance)) {
      best = flag;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}
