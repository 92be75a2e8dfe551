/**
 * What the commands touch in the world, injected: `fetch`, the output streams and whether they
 * are terminals, the environment, the clock, the random source, the working directory, a cancel
 * signal and the runner of subprocesses. {@linkcode resolveContext} fills in Deno's own for whatever a caller
 * leaves out, so tests run every command in process.
 *
 * @module
 */

import { delay } from "../mod.ts";

/**
 * Options of {@linkcode main}: the pieces of the world the commands use. Every field defaults to
 * the real one (Deno's streams, environment, clock, `fetch`, working directory).
 *
 * @example Run `list` in process and read its output
 * ```ts
 * import { main } from "@toloka-edge/attachments/cli";
 * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const emulator = new TolokaEmulator({ pools: [3] });
 * let text = "";
 * const code = await main(["list", "--pool-id", "1", "--format", "ndjson"], {
 *   fetch: emulator.fetch,
 *   env: (name) => (name === "TOLOKA_TOKEN" ? "test-token" : undefined),
 *   stdout: new WritableStream({ write(chunk) { text += new TextDecoder().decode(chunk); } }),
 * });
 * if (code !== 0 || text.trim().split("\n").length !== 3) throw new Error("unexpected output");
 * ```
 */
export interface CliOptions {
  /**
   * Sends HTTP requests, called with one `Request`.
   *
   * @default {globalThis.fetch}
   */
  fetch?: (request: Request) => Promise<Response>;
  /**
   * Where results go (listings, a new key).
   *
   * @default {Deno.stdout.writable}
   */
  stdout?: WritableStream<Uint8Array>;
  /**
   * Where progress, details and errors go.
   *
   * @default {Deno.stderr.writable}
   */
  stderr?: WritableStream<Uint8Array>;
  /**
   * Whether `stdout` is a terminal: `list` then prints a table by default.
   *
   * @default {Deno.stdout.isTerminal() when stdout is not given, else false}
   */
  stdoutIsTerminal?: boolean;
  /**
   * Whether `stderr` is a terminal: `download` then draws a progress bar.
   *
   * @default {Deno.stderr.isTerminal() when stderr is not given, else false}
   */
  stderrIsTerminal?: boolean;
  /**
   * Reads an environment variable (`TOLOKA_TOKEN`, `TOKEN_SEALING_KEY`).
   *
   * @default {Deno.env.get}
   */
  env?: (name: string) => string | undefined;
  /**
   * The clock, in milliseconds since the epoch (progress rates, key expiry).
   *
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * Stops the command as Ctrl-C does: downloads are cut, their temporary files removed, the
   * manifest flushed, and the exit code is 130.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * The directory relative paths (`--out`, `--config`) are resolved against.
   *
   * @default {Deno.cwd()}
   */
  cwd?: string;
  /**
   * The base delay, in milliseconds, of the exponential backoff between retries (of requests
   * and of files).
   *
   * @default {500}
   */
  retryDelayMs?: number;
  /**
   * The random source of the backoff's jitter, returning numbers in `[0, 1)`; a fixed one makes
   * the waits between attempts at a file repeatable.
   *
   * @default {Math.random}
   */
  random?: () => number;
  /**
   * Waits `ms` milliseconds, or rejects with the signal's reason when it aborts first (the waits
   * between attempts, and for a rate limit's `Retry-After`).
   *
   * @default {an abortable setTimeout}
   */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * The terminal's width in columns, for the progress bar.
   *
   * @default {Deno.consoleSize().columns, or 80}
   */
  columns?: number;
  /**
   * Runs a program (`deno run -A npm:wrangler@4.86.0 ...` for `keys --remote`) and returns its
   * exit code and output.
   *
   * @default {a Deno.Command runner}
   */
  runCommand?: (
    command: string,
    args: readonly string[],
    options: { cwd: string },
  ) => Promise<{ code: number; stdout: string; stderr: string }>;
}

const encoder = new TextEncoder();

/** Text output over a byte stream: writes are queued in order; a failed write fails the next. */
export class Output {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #pending: Promise<void> = Promise.resolve();
  #error: unknown;
  #failed = false;

  /** Takes the stream's writer until {@linkcode Output.release}. */
  constructor(stream: WritableStream<Uint8Array>) {
    this.#writer = stream.getWriter();
  }

  /** Writes `text` after whatever is queued; resolves when it is written. */
  write(text: string): Promise<void> {
    if (this.#failed) return Promise.reject(this.#error);
    const written = this.#pending.then(() => this.#writer.write(encoder.encode(text)));
    this.#pending = written.catch((error) => {
      this.#failed = true;
      this.#error = error;
    });
    return written;
  }

  /** Writes `text` without waiting (progress); a failure shows up at the next `write`. */
  post(text: string): void {
    this.write(text).catch(() => {});
  }

  /** Waits for queued writes, then lets go of the stream (it stays open). */
  async release(): Promise<void> {
    await this.#pending;
    this.#writer.releaseLock();
  }
}

/** A subprocess runner on `Deno.Command`, output collected as text. */
async function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd: string },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(command, {
    args: [...args],
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** {@linkcode CliOptions} with every default filled in, and the outputs opened. */
export interface Context {
  fetch: (request: Request) => Promise<Response>;
  stdout: Output;
  stderr: Output;
  stdoutIsTerminal: boolean;
  stderrIsTerminal: boolean;
  env: (name: string) => string | undefined;
  now: () => number;
  signal: AbortSignal;
  cwd: string;
  retryDelayMs: number;
  random: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  columns: number;
  runCommand: NonNullable<CliOptions["runCommand"]>;
  /** The API root of the client the command built, once built: errors then name that service. */
  apiBaseUrl?: string;
}

function consoleColumns(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}

/** Fills in the defaults; call {@linkcode Output.release} on both outputs when done. */
export function resolveContext(options: CliOptions = {}): Context {
  return {
    fetch: options.fetch ?? ((request) => globalThis.fetch(request)),
    stdout: new Output(options.stdout ?? Deno.stdout.writable),
    stderr: new Output(options.stderr ?? Deno.stderr.writable),
    stdoutIsTerminal: options.stdoutIsTerminal ??
      (options.stdout === undefined && Deno.stdout.isTerminal()),
    stderrIsTerminal: options.stderrIsTerminal ??
      (options.stderr === undefined && Deno.stderr.isTerminal()),
    env: options.env ?? ((name) => Deno.env.get(name)),
    now: options.now ?? Date.now,
    signal: options.signal ?? new AbortController().signal,
    cwd: options.cwd ?? Deno.cwd(),
    retryDelayMs: options.retryDelayMs ?? 500,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? delay,
    columns: options.columns ?? consoleColumns(),
    runCommand: options.runCommand ?? runCommand,
  };
}
