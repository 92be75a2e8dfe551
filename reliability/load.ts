/**
 * The load test: the Worker under `wrangler dev` on loopback (workerd, local KV, the rate
 * limiter, the emulator as its upstream), a bounded number of concurrent connections for a
 * bounded time, with `wrk` (Debian's `wrk`, preferred) or a built-in generator over `fetch`.
 * Two targets: `GET /health` (the Worker alone) and a listing with an API key (key lookup, scope,
 * the core client, the emulator on loopback and back). Figures: requests, requests/s, p50, p99,
 * errors (non-2xx and socket errors; zero is the bar).
 *
 * The rate limit is raised for the run (`wrangler.toml` allows one key 600 requests a minute;
 * `tests/worker_ratelimit.test.ts` covers the limiter itself). Everything wrangler prints (the
 * Worker's log lines included) and a sample of answers go through the secret scan.
 *
 * Heavy (a wrangler dev start, tens of seconds of load): part of the large run, not of CI.
 *
 * @module
 */

import { TolokaEmulator } from "../src/testing/mod.ts";
import { generateSealingKey, issueKey } from "../src/keys/mod.ts";
import { buildGallery } from "../scripts/build_gallery.ts";
import { spawnWranglerDev, waitForHealth } from "../scripts/wrangler_dev.ts";
import { withLocalKv } from "../cli/local_kv.ts";
import { startEdge } from "../tests/edge_harness.ts";
import { type EngineReport, num, type Row, Violations } from "./report.ts";
import { SecretScanner } from "./secrets.ts";

/** The figures of one load run against one URL. */
export interface LoadFigures {
  tool: "wrk" | "builtin";
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers other than 2xx. */
  non2xx: number;
  /** Connect, read, write errors and timeouts. */
  socketErrors: number;
}

/** Settings of one load run. */
export interface LoadRunOptions {
  /** Concurrent connections. @default 50 */
  connections?: number;
  /** Duration in seconds. @default 30 */
  seconds?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** `"auto"`: wrk when it is installed, else the built-in generator. @default "auto" */
  tool?: "auto" | "wrk" | "builtin";
}

/** Whether `wrk` can be run. */
export async function hasWrk(): Promise<boolean> {
  try {
    // wrk prints its usage and exits 1 for --version: that it ran at all is the answer.
    await new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

/** Parses wrk's `--latency` report. */
export function parseWrk(output: string, connections: number, seconds: number): LoadFigures {
  const unit = (value: string, suffix: string): number =>
    suffix === "us"
      ? Number(value) / 1000
      : Number(value) * ({ ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[suffix]!;
  const latency = (percent: string): number => {
    const match = new RegExp(`^\\s*${percent}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(output);
    if (!match) throw new Error(`wrk printed no ${percent}% latency:\n${output}`);
    return unit(match[1]!, match[2]!);
  };
  const requests = /(\d+) requests in/.exec(output);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output);
  if (!requests || !rate) throw new Error(`Unreadable wrk output:\n${output}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    output,
  );
  return {
    tool: "wrk",
    connections,
    seconds,
    requests: Number(requests[1]),
    requestsPerSecond: Number(rate[1]),
    p50Ms: latency("50"),
    p99Ms: latency("99"),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

/** Runs a bounded load against `url`; stops by itself after `seconds`. */
export async function loadRun(url: string, options: LoadRunOptions = {}): Promise<LoadFigures> {
  const connections = options.connections ?? 50;
  const seconds = options.seconds ?? 30;
  if (!/^http:\/\/127\.0\.0\.1[:/]/.test(url)) throw new RangeError(`Load only loopback: ${url}`);
  if (connections > 500 || seconds > 300) {
    throw new RangeError(`Bounded load only: ${connections} connections, ${seconds} s`);
  }
  const tool = options.tool === "auto" || options.tool === undefined
    ? (await hasWrk() ? "wrk" : "builtin")
    : options.tool;
  if (tool === "wrk") {
    const args = ["-t2", `-c${connections}`, `-d${seconds}s`, "--latency", "--timeout", "10s"];
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      args.push("-H", `${name}: ${value}`);
    }
    const { stdout, success } = await new Deno.Command("wrk", {
      args: [...args, url],
      stdout: "piped",
      stderr: "inherit",
      signal: AbortSignal.timeout((seconds + 30) * 1000),
    }).output();
    if (!success) throw new Error("wrk failed");
    return parseWrk(new TextDecoder().decode(stdout), connections, seconds);
  }
  return builtinLoad(url, connections, seconds, options.headers ?? {});
}

/** The built-in generator: `connections` loops of `fetch`, each waiting for its answer. */
async function builtinLoad(
  url: string,
  connections: number,
  seconds: number,
  headers: Record<string, string>,
): Promise<LoadFigures> {
  const latencies: number[] = [];
  let non2xx = 0;
  let socketErrors = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer();
        if (response.status < 200 || response.status > 299) non2xx++;
      } catch {
        socketErrors++;
      }
      latencies.push(performance.now() - t0);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    tool: "builtin",
    connections,
    seconds,
    requests: latencies.length,
    requestsPerSecond: latencies.length / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    non2xx,
    socketErrors,
  };
}

/** Settings of {@link loadEdge}. */
export interface LoadEdgeOptions extends Omit<LoadRunOptions, "headers"> {
  /** Also load the same Worker through Miniflare, without wrangler's proxy. @default true */
  direct?: boolean;
  /** How long to wait for `wrangler dev` to answer. @default 120_000 */
  startTimeoutMs?: number;
}

/** A row of a load report. */
export function loadRow(label: string, figures: LoadFigures): Row {
  return {
    label,
    values: {
      tool: figures.tool,
      connections: figures.connections,
      seconds: figures.seconds,
      requests: figures.requests,
      "requests/s": num(figures.requestsPerSecond),
      "p50 ms": figures.p50Ms.toFixed(2),
      "p99 ms": figures.p99Ms.toFixed(2),
      "non-2xx": figures.non2xx,
      "socket errors": figures.socketErrors,
    },
  };
}

const UPSTREAM_TOKEN = "load-upstream-token-7d21c04e";

/**
 * Starts the emulator and `wrangler dev` on loopback, issues a key into the local KV, loads
 * `/health` and a listing, scans everything, and stops both.
 */
export async function loadEdge(options: LoadEdgeOptions = {}): Promise<EngineReport> {
  const started = performance.now();
  const violations = new Violations();
  const secrets = new SecretScanner();
  const root = new URL("../", import.meta.url);
  const dir = new URL(".wrangler/reliability-load/", root);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  const sealingKey = generateSealingKey();
  secrets.add("upstream token", UPSTREAM_TOKEN);
  secrets.add("sealing key", sealingKey);

  // The repo's config with the rate limit raised; secrets in a .dev.vars beside it, so wrangler
  // shows them as hidden.
  const config = (await Deno.readTextFile(new URL("wrangler.toml", root)))
    .replace(/^main = .*$/m, 'main = "../../worker/index.ts"')
    .replace(/^directory = "([^"]*)"$/m, 'directory = "../../$1"')
    .replace(/simple = \{[^}]*\}/, "simple = { limit = 100000000, period = 60 }");
  await Deno.writeTextFile(new URL("wrangler.toml", dir), config);
  await Deno.writeTextFile(new URL(".dev.vars", dir), `TOKEN_SEALING_KEY=${sealingKey}\n`);

  const emulator = new TolokaEmulator({ tokens: [UPSTREAM_TOKEN], pools: [600, 100] });
  const upstream = await emulator.serve();
  const { key, record } = await withLocalKv(
    root,
    (kv) => issueKey(kv, sealingKey, { name: "load", upstreamToken: UPSTREAM_TOKEN, pools: ["1"] }),
    {
      configPath: ".wrangler/reliability-load/wrangler.toml",
      persistTo: ".wrangler/reliability-load/state/v3/kv",
    },
  );
  secrets.add("raw key", key);
  secrets.add("sealed token", record.upstream_token);

  const port = freePort();
  // wrangler.toml's [assets] folder must exist before wrangler dev starts.
  await buildGallery();
  const wrangler = spawnWranglerDev({
    cwd: root,
    port,
    upstreamUrl: upstream.baseUrl,
    args: [
      "--config",
      ".wrangler/reliability-load/wrangler.toml",
      "--persist-to",
      ".wrangler/reliability-load/state",
    ],
    env: { CI: "1" },
  });
  const output: string[] = [];
  const reading = Promise.all([collect(wrangler.stdout, output), collect(wrangler.stderr, output)]);
  const edge = `http://127.0.0.1:${port}`;
  const rows: Row[] = [];
  try {
    if (!await waitForHealth(`${edge}/health`, options.startTimeoutMs ?? 120_000)) {
      throw new Error(`wrangler dev did not answer within the time limit:\n${output.join("\n")}`);
    }
    const auth = { Authorization: `OAuth ${key}` };
    const listing = `${edge}/api/v1/attachments?pool_id=1&limit=20`;
    // Warm up: the first requests build the isolate and fill the key cache.
    for (const [url, headers] of [[`${edge}/health`, {}], [listing, auth]] as const) {
      for (let i = 0; i < 20; i++) await (await fetch(url, { headers })).arrayBuffer();
    }
    const run = {
      connections: options.connections ?? 50,
      seconds: options.seconds ?? 30,
      tool: options.tool ?? "auto",
    } as const;
    const health = await loadRun(`${edge}/health`, run);
    rows.push(loadRow("GET /health (Worker only)", health));
    const before = emulator.requests.length;
    const list = await loadRun(listing, { ...run, headers: auth });
    rows.push(loadRow("GET /api/v1/attachments?pool_id=1&limit=20 (key, emulator)", list));
    rows.push({
      label: "upstream requests during the listing load",
      values: { requests: emulator.requests.length - before },
    });
    for (const [label, figures] of [["health", health], ["listing", list]] as const) {
      if (figures.non2xx > 0) violations.add(`${label}: ${figures.non2xx} answers were not 2xx`);
      if (figures.socketErrors > 0) {
        violations.add(`${label}: ${figures.socketErrors} socket errors`);
      }
      if (figures.requests === 0) violations.add(`${label}: no request completed`);
    }
    // A sample of whole answers for the scan (the load tools do not keep bodies).
    for (let i = 0; i < 50; i++) {
      for (
        const [url, headers] of [[`${edge}/health`, {}], [listing, auth], [
          `${edge}/api/v1/attachments?pool_id=2`,
          auth,
        ], [listing, {}]] as const
      ) {
        const response = await fetch(url, { headers });
        secrets.scanHeaders(response, url);
        secrets.scan(await response.text(), `body of ${url}`);
      }
    }
  } catch (error) {
    violations.add(String(error instanceof Error ? error.message : error).slice(0, 2_000));
  } finally {
    try {
      wrangler.kill("SIGTERM");
    } catch { /* already gone */ }
    const killer = setTimeout(() => {
      try {
        wrangler.kill("SIGKILL");
      } catch { /* gone */ }
    }, 15_000);
    await wrangler.status;
    clearTimeout(killer);
    await reading.catch(() => {});
    await upstream.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  // The same Worker bundle in workerd through Miniflare, without wrangler dev's proxy and its
  // per-request console output: what the Worker itself sustains on this machine.
  if (options.direct !== false) {
    const direct = await startEdge({ emulator: { pools: [600, 100] } });
    try {
      const issued = await direct.issue({ name: "load direct", pools: ["1"] });
      for (const secret of direct.secrets) secrets.add("a secret of the Miniflare run", secret);
      const run = {
        connections: options.connections ?? 50,
        seconds: options.seconds ?? 30,
        tool: options.tool ?? "auto",
      } as const;
      const health = await loadRun(`${direct.url}/health`, run);
      rows.push(loadRow("GET /health, Miniflare (no wrangler proxy)", health));
      const list = await loadRun(`${direct.url}/api/v1/attachments?pool_id=1&limit=20`, {
        ...run,
        headers: { Authorization: `OAuth ${issued.key}` },
      });
      rows.push(loadRow("listing, Miniflare (no wrangler proxy)", list));
      for (
        const [label, figures] of [["Miniflare health", health], [
          "Miniflare listing",
          list,
        ]] as const
      ) {
        if (figures.non2xx > 0) violations.add(`${label}: ${figures.non2xx} answers were not 2xx`);
        if (figures.socketErrors > 0) {
          violations.add(`${label}: ${figures.socketErrors} socket errors`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const line of direct.logs) secrets.scan(line, "Worker log line (Miniflare)");
    } finally {
      await direct.close();
    }
  }
  for (const line of output) secrets.scan(line, "wrangler dev output");
  const logLines = output.filter((line) => line.includes('"request_id"')).length;
  if (logLines === 0) violations.add("no log line of the Worker was seen in wrangler's output");
  const scan = secrets.figures();
  for (const leak of scan.leaks) violations.add(`the ${leak.secret} appeared in the ${leak.where}`);
  rows.push({
    label: "secret scan",
    values: {
      requests: `${num(scan.texts)} texts (${num(output.length)} lines of wrangler output, ${
        num(logLines)
      } of them the Worker's log lines; sampled answers), ${scan.leaks.length} leaks`,
    },
  });
  return {
    name: "Load (wrangler dev on loopback)",
    settings: `${options.connections ?? 50} connections x ${
      options.seconds ?? 30
    } s per target, wrangler dev (workerd) on 127.0.0.1, emulator upstream on loopback, rate limit raised for the run; 2-core machine shared by the load tool, workerd and the emulator`,
    rows,
    violations: violations.list(),
    ms: performance.now() - started,
  };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function collect(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    into.push(...lines);
  }
  if (rest) into.push(rest);
}
