/**
 * Figure 9, the anchors: toloka-kit 1.2.3, the Python client, against `getAttachments()` in the
 * same run, on the same loopback emulator and the same pool, 100 a page:
 * `TolokaClient.get_attachments` (sync), `AsyncTolokaClient.get_attachments` (the call Toloka
 * documents for this job) and `getAttachments()`, alternated round by round, median items/s.
 *
 * toloka-kit is installed into a virtual environment the benchmark creates (`.bench-venv/`,
 * git-ignored, reused by later runs) with `pip install toloka-kit==1.2.3`. When that fails (no
 * `python3`, or no package index that has it), the figure is skipped with one line saying why and
 * the benchmark goes on. `TOLOKA_KIT_PIP_SPEC` replaces the pip requirement (a path to a source
 * tree or a wheel of toloka-kit, say), and `TOLOKA_KIT_VENV` the environment's folder. The
 * Python side is `bench/anchors_driver.py`, which times each toloka-kit call on command.
 *
 * Each run is capped: at most `items` items and `maxSeconds` seconds.
 *
 * Standalone: `deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-env --allow-run
 * bench/anchors.ts [items] [rounds]`
 *
 * @module
 */

import { AttachmentsClient } from "../mod.ts";
import { type EmulatorThread, startEmulatorThread } from "./emulator_thread.ts";
import { int, median, timed } from "./stats.ts";

/** What {@linkcode measureAnchors} reports. */
export type AnchorsResult =
  | { skipped: string }
  | {
    skipped?: undefined;
    /** toloka-kit's version and the Python running it. */
    tolokaKit: string;
    python: string;
    /** Items read per run (the first `items` of the pool, by id). */
    items: number;
    /** Measured rounds of each client (after one warm-up round). */
    rounds: number;
    /** Median items/s of each client. */
    syncPerSecond: number;
    asyncPerSecond: number;
    clientPerSecond: number;
    /** `clientPerSecond` over the sync and the async client's. */
    vsSync: number;
    vsAsync: number;
    /** Items/s of every measured run. */
    sync: number[];
    async: number[];
    client: number[];
  };

/** The measurement's settings. */
export interface AnchorsOptions {
  token: string;
  poolId: string;
  /** Items read per run. */
  items: number;
  /** Measured rounds. */
  rounds: number;
  /** The most seconds one run may take. */
  maxSeconds: number;
}

const root = new URL("../", import.meta.url);

/** The last non-empty line of a process's output: pip and Python put the reason there. */
function lastLine(output: Uint8Array | string): string {
  const text = typeof output === "string" ? output : new TextDecoder().decode(output);
  const lines = text.split("\n").map((line) => line.trim());
  return lines.filter((line) => line !== "").at(-1) ?? "no output";
}

/** Creates the virtual environment and installs toloka-kit; the reason when it cannot. */
async function prepareVenv(
  venv: string,
  spec: string,
  log: (line: string) => void,
): Promise<{ python: string } | { skipped: string }> {
  const python = `${venv}/bin/python`;
  // Async, so that a missing program rejects instead of throwing.
  const run = async (command: string, args: string[], seconds: number) =>
    await new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(seconds * 1000),
    }).output();
  const installed = await run(python, ["-c", "import toloka"], 60).catch(() => undefined);
  if (installed?.success === true) return { python };
  try {
    const created = await run("python3", ["-m", "venv", venv], 120);
    if (!created.success) return { skipped: `python3 -m venv failed: ${lastLine(created.stderr)}` };
  } catch (error) {
    return { skipped: `no python3 (${(error as Error).message})` };
  }
  log(`pip install ${spec} into ${venv}`);
  const pip = await run(python, [
    "-m",
    "pip",
    "install",
    "--quiet",
    "--disable-pip-version-check",
    spec,
  ], 600).catch((error: Error) => ({
    success: false,
    stderr: new TextEncoder().encode(error.message),
  }));
  if (!pip.success) {
    return { skipped: `toloka-kit 1.2.3 could not be installed: ${lastLine(pip.stderr)}` };
  }
  return { python };
}

/** The driver process: one command a line in, one JSON line out. */
class Driver {
  readonly #process: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncIterator<string>;
  /** The end of its stderr, read all along so that warnings never fill the pipe and stall it. */
  readonly #stderrTail: Promise<string>;
  #buffered = "";

  constructor(python: string, args: string[]) {
    this.#process = new Deno.Command(python, {
      args: [new URL("bench/anchors_driver.py", root).pathname, ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.#process.stdin.getWriter();
    this.#lines = this.#readLines()[Symbol.asyncIterator]();
    const stderr = this.#process.stderr;
    this.#stderrTail = (async (): Promise<string> => {
      let tail = "";
      for await (const chunk of stderr.pipeThrough(new TextDecoderStream())) {
        tail = (tail + chunk).slice(-4096);
      }
      return tail;
    })();
  }

  async *#readLines(): AsyncGenerator<string> {
    for await (const chunk of this.#process.stdout.pipeThrough(new TextDecoderStream())) {
      this.#buffered += chunk;
      let newline;
      while ((newline = this.#buffered.indexOf("\n")) >= 0) {
        yield this.#buffered.slice(0, newline);
        this.#buffered = this.#buffered.slice(newline + 1);
      }
    }
  }

  /** The next JSON line; rejects with the driver's last error line when it ended instead. */
  async next(): Promise<Record<string, unknown>> {
    const line = await this.#lines.next();
    if (line.done) {
      throw new Error(lastLine(await this.#stderrTail));
    }
    const message = JSON.parse(line.value) as Record<string, unknown>;
    if (typeof message.error === "string") throw new Error(message.error);
    return message;
  }

  /** Sends a command and returns its answer. */
  async ask(command: string): Promise<Record<string, unknown>> {
    await this.#writer.write(new TextEncoder().encode(`${command}\n`));
    return await this.next();
  }

  async close(): Promise<void> {
    await this.#writer.write(new TextEncoder().encode("quit\n")).catch(() => {});
    await this.#writer.close().catch(() => {});
    await this.#process.status;
    await this.#stderrTail;
  }
}

/** The client over the first `items` items of the pool, by id, 100 a page. */
async function clientRun(
  client: AttachmentsClient,
  poolId: string,
  items: number,
): Promise<number> {
  let count = 0;
  for await (const _attachment of client.getAttachments({ pool_id: poolId }, { batchSize: 100 })) {
    if (++count >= items) break;
  }
  return count;
}

/** The rounds: toloka-kit sync, toloka-kit async, then the client, the first round a warm-up. */
async function alternate(
  driver: Driver,
  client: AttachmentsClient,
  options: AnchorsOptions,
  rates: { sync: number[]; async: number[]; client: number[] },
  log: (line: string) => void,
): Promise<void> {
  for (let round = -1; round < options.rounds; round++) {
    const line: string[] = [];
    for (const name of ["sync", "async"] as const) {
      const run = await driver.ask(name);
      const rate = Number(run.items) / Number(run.seconds);
      if (round >= 0) rates[name].push(rate);
      line.push(`${name} ${int(rate)}/s (${int(Number(run.items))} items)`);
    }
    // A pass over the same items takes the client a fraction of a second, where the Python
    // clients take seconds: passes are repeated for at least a second, so that timer granularity,
    // the first pass's JIT and a collection left over from the previous run weigh no more on its
    // rate than on theirs.
    const run = await timed(async () => {
      let items = 0;
      const started = performance.now();
      do items += await clientRun(client, options.poolId, options.items); while (
        performance.now() - started < 1_000
      );
      return items;
    });
    const rate = run.value / (run.ms / 1000);
    if (round >= 0) rates.client.push(rate);
    line.push(`getAttachments ${int(rate)}/s`);
    log(`${round < 0 ? "warm-up" : `round ${round + 1}`}: ${line.join(", ")}`);
  }
}

/**
 * Alternates toloka-kit's sync and async `get_attachments` and `getAttachments()` over pool
 * `poolId` of the emulator: one warm-up round, then `rounds` measured ones.
 */
export async function measureAnchors(
  emulator: EmulatorThread,
  options: AnchorsOptions,
  log: (line: string) => void = () => {},
): Promise<AnchorsResult> {
  const venv = Deno.env.get("TOLOKA_KIT_VENV") ?? new URL(".bench-venv", root).pathname;
  const spec = Deno.env.get("TOLOKA_KIT_PIP_SPEC") ?? "toloka-kit==1.2.3";
  const prepared = await prepareVenv(venv, spec, log);
  if ("skipped" in prepared) return prepared;

  await emulator.setLatency(0);
  // toloka-kit's `url` is the origin: it requests `/api/v1/attachments` under it.
  const apiRoot = emulator.baseUrl.replace(/\/api\/v1$/, "");
  const driver = new Driver(prepared.python, [
    apiRoot,
    options.token,
    options.poolId,
    String(options.items),
    String(options.maxSeconds),
  ]);
  try {
    let ready;
    try {
      ready = await driver.next();
    } catch (error) {
      return { skipped: `toloka-kit does not start: ${(error as Error).message}` };
    }
    const client = new AttachmentsClient({ token: options.token, baseUrl: emulator.baseUrl });
    const rates = { sync: [] as number[], async: [] as number[], client: [] as number[] };
    try {
      await alternate(driver, client, options, rates, log);
    } catch (error) {
      return { skipped: `toloka-kit failed during the run: ${(error as Error).message}` };
    }
    const [syncPerSecond, asyncPerSecond, clientPerSecond] = [
      median(rates.sync),
      median(rates.async),
      median(rates.client),
    ];
    return {
      tolokaKit: String(ready.version),
      python: String(ready.python),
      items: options.items,
      rounds: options.rounds,
      syncPerSecond,
      asyncPerSecond,
      clientPerSecond,
      vsSync: clientPerSecond / syncPerSecond,
      vsAsync: clientPerSecond / asyncPerSecond,
      ...rates,
    };
  } finally {
    await driver.close();
  }
}

if (import.meta.main) {
  const items = Number(Deno.args[0] ?? 20_000);
  const rounds = Number(Deno.args[1] ?? 3);
  const token = "test-token";
  const emulator = await startEmulatorThread([100_000], token);
  try {
    // deno-lint-ignore no-console
    const log = (line: string): void => console.log(line);
    const result = await measureAnchors(
      emulator,
      { token, poolId: "1", items, rounds, maxSeconds: 30 },
      log,
    );
    log(JSON.stringify(result, null, 2));
  } finally {
    emulator.close();
  }
}
