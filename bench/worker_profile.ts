/**
 * Where the Worker's time goes on `GET /api/v1/attachments` (a page of 100, warm): a V8 CPU
 * profile of the Worker's isolate in workerd, taken through workerd's inspector (the Chrome
 * DevTools protocol), with every sample's self time charged to the module it ran in (the bundle
 * of `scripts/build_worker.ts` keeps a `// path` line before each module) or to the built-in it
 * called (`JSON.stringify`, `fetch`, crypto, ...). Beside it, the CPU of the whole `workerd`
 * process per request from `/proc`, which adds workerd's own HTTP work on both sides.
 *
 * Run alone: `deno run -A bench/worker_profile.ts`; `deno task bench` runs it as figure 11.
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { workerdCpuSeconds } from "./export_cpu.ts";

/** One part of the Worker's time. */
export interface ProfilePart {
  /** What ran: a group of modules, or a built-in. */
  part: string;
  /** Self time per request, ms. */
  msPerRequest: number;
}

/** What {@linkcode profileWorker} reports. */
export interface WorkerProfileResult {
  requests: number;
  /** V8's sampling interval, µs. */
  intervalUs: number;
  /**
   * Time the isolate was not idle (JavaScript, built-ins, GC), per request, ms, less the log
   * line's `console.log` (see {@linkcode WorkerProfileResult.logMsPerRequest}).
   */
  isolateMsPerRequest: number;
  /**
   * Time inside the log line's `console.log`, per request, ms. Apart because the attached
   * inspector inflates it: workerd hands every console call to the inspector session. Without a
   * session, dropping the log line changed the process's CPU per request by less than the noise
   * between runs (1.9 to 2.9 ms either way, alternated runs, on 2026-12-03).
   */
  logMsPerRequest: number;
  /** CPU (user + system) of the `workerd` process per request, ms: an upper bound. */
  processMsPerRequest: number;
  /** The isolate's time by part, largest first. */
  parts: ProfilePart[];
  /** The functions with the most self time, largest first. */
  functions: ProfilePart[];
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
/** A V8 CPU profile as `Profiler.stop` returns it. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The groups of modules a sample is charged to, first match wins. */
const GROUPS: readonly [RegExp, string][] = [
  [/valibot/, "valibot (response schemas)"],
  [/itty-router/, "itty-router (routing, stages)"],
  [/src\/(schema|timestamps|raw_created)\.ts$/, "core: page parsing (schema, created)"],
  [/src\/wire\.ts$/, "core: wire form (re-serialising)"],
  [/src\//, "core: client (query, transport, budget, paging)"],
  [/worker\/(auth|key_cache|keys|derived_keys|base64url)\.ts$/, "worker: key lookup and unseal"],
  [/worker\//, "worker: routes, session, log line"],
];

/** Where each module starts in the bundle: `[first line (0-based), path]`, by line. */
async function moduleLines(bundle: string): Promise<[number, string][]> {
  const lines = (await Deno.readTextFile(bundle)).split("\n");
  const starts: [number, string][] = [];
  lines.forEach((line, index) => {
    const match = /^\/\/ ((?:node_modules|src|worker)\/\S+)$/.exec(line);
    if (match) starts.push([index, match[1] as string]);
  });
  return starts;
}

function moduleAt(starts: readonly [number, string][], line: number): string {
  let found = "(bundle prelude)";
  for (const [start, path] of starts) {
    if (start > line) break;
    found = path;
  }
  return found;
}

/** A minimal DevTools protocol session over the inspector's WebSocket. */
export async function inspect(url: string): Promise<{
  send(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): void;
}> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`Cannot open the inspector at ${url}`));
  });
  const pending = new Map<number, (result: Record<string, unknown>) => void>();
  let next = 0;
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data as string);
    // workerd answers a command without a result by echoing it (with `method`, without `result`).
    if (typeof message.id === "number") {
      pending.get(message.id)?.(message.result ?? {});
      pending.delete(message.id);
    }
  };
  return {
    send(method, params = {}): Promise<Record<string, unknown>> {
      const id = ++next;
      const answer = new Promise<Record<string, unknown>>((resolve) => pending.set(id, resolve));
      socket.send(JSON.stringify({ id, method, params }));
      return answer;
    },
    close: () => socket.close(),
  };
}

/** Profiles `requests` listings through the Worker after `warmup` unprofiled ones. */
export async function profileWorker(
  options: { warmup?: number; requests?: number; intervalUs?: number } = {},
): Promise<WorkerProfileResult> {
  const warmup = options.warmup ?? 500;
  const requests = options.requests ?? 2_000;
  const intervalUs = options.intervalUs ?? 50;
  const { startEdge } = await import("../tests/edge_harness.ts");
  const { buildWorker } = await import("../scripts/build_worker.ts");
  const port = await freePort();
  const edge = await startEdge({ countSubrequests: false, inspectorPort: port });
  try {
    const starts = await moduleLines(await buildWorker());
    const { key } = await edge.issue({ name: "profile", pools: ["1"] });
    const list = async (): Promise<void> => {
      const response = await fetch(`${edge.url}/api/v1/attachments?pool_id=1&limit=100`, {
        headers: { Authorization: `OAuth ${key}` },
      });
      const body = await response.arrayBuffer();
      if (response.status !== 200 || body.byteLength < 1_000) {
        throw new Error(`The Worker answered ${response.status}`);
      }
    };
    for (let index = 0; index < warmup; index++) await list();

    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
      id: string;
      webSocketDebuggerUrl: string;
    }[];
    const target = targets.find((entry) => entry.id.startsWith("core:user:"));
    if (target === undefined) throw new Error("workerd's inspector lists no user worker");
    const session = await inspect(target.webSocketDebuggerUrl);
    let profile: CpuProfile;
    let processSeconds: number;
    try {
      await session.send("Profiler.enable");
      await session.send("Profiler.setSamplingInterval", { interval: intervalUs });
      const cpuBefore = await workerdCpuSeconds();
      await session.send("Profiler.start");
      for (let index = 0; index < requests; index++) await list();
      const stopped = await session.send("Profiler.stop");
      processSeconds = await workerdCpuSeconds() - cpuBefore;
      profile = stopped.profile as CpuProfile;
      if (Deno.env.get("PROFILE_OUT")) {
        await Deno.writeTextFile(Deno.env.get("PROFILE_OUT") as string, JSON.stringify(profile));
      }
    } finally {
      session.close();
    }

    // Self time per node: each sample is charged the time until the next one.
    const selfUs = new Map<number, number>();
    profile.samples.forEach((node, index) => {
      const delta = profile.timeDeltas[index + 1] ?? 0;
      selfUs.set(node, (selfUs.get(node) ?? 0) + delta);
    });
    // Nodes under the log line's `console.log`: the inspector's own cost, kept apart.
    const underLog = new Set<number>();
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const mark = (id: number): void => {
      underLog.add(id);
      for (const child of byId.get(id)?.children ?? []) mark(child);
    };
    for (const node of profile.nodes) {
      const { functionName, url, lineNumber } = node.callFrame;
      if (
        url.endsWith("worker.js") && /^log\d*$/.test(functionName) &&
        moduleAt(starts, lineNumber) === "worker/app.ts"
      ) {
        for (const child of node.children ?? []) mark(child);
      }
    }
    const parts = new Map<string, number>();
    const functions = new Map<string, number>();
    let busyUs = 0;
    let logUs = 0;
    for (const node of profile.nodes) {
      const us = selfUs.get(node.id) ?? 0;
      const { functionName, url, lineNumber } = node.callFrame;
      if (us === 0 || functionName === "(idle)" || functionName === "(root)") continue;
      if (underLog.has(node.id)) {
        logUs += us;
        continue;
      }
      busyUs += us;
      let part: string;
      let name: string;
      if (!url.endsWith("worker.js")) {
        // V8's own entries, built-ins (JSON, fetch, crypto, ...) and workerd's internal modules
        // (`node-internal:internal_inspect` formats what `console.log` prints).
        part = url !== ""
          ? `runtime ${url}`
          : functionName.startsWith("(")
          ? `V8 ${functionName}`
          : `built-in ${functionName || "(unnamed: a native call)"}`;
        name = url === "" ? part : `${functionName} ${url}`;
      } else {
        const module = moduleAt(starts, lineNumber);
        part = GROUPS.find(([pattern]) => pattern.test(module))?.[1] ?? `other: ${module}`;
        name = `${functionName || "(anonymous)"} ${module.replace(/.*node_modules\//, "")}`;
      }
      parts.set(part, (parts.get(part) ?? 0) + us);
      functions.set(name, (functions.get(name) ?? 0) + us);
    }
    const perRequest = (entries: Map<string, number>): ProfilePart[] =>
      [...entries]
        .map(([part, us]) => ({ part, msPerRequest: us / 1000 / requests }))
        .sort((a, b) => b.msPerRequest - a.msPerRequest);
    return {
      requests,
      intervalUs,
      isolateMsPerRequest: busyUs / 1000 / requests,
      logMsPerRequest: logUs / 1000 / requests,
      processMsPerRequest: processSeconds * 1000 / requests,
      parts: perRequest(parts),
      functions: perRequest(functions).slice(0, 15),
    };
  } finally {
    await edge.close();
  }
}

/** A loopback port nothing listens on (the inspector is started on it right after). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Prints a result. */
export function printWorkerProfile(result: WorkerProfileResult): void {
  const ms = (value: number): string => value.toFixed(3).padStart(7);
  console.log(
    `  ${result.requests} listings of 100, sampled every ${result.intervalUs} µs: isolate busy ` +
      `${result.isolateMsPerRequest.toFixed(3)} ms per request; workerd process CPU ` +
      `${result.processMsPerRequest.toFixed(3)} ms per request (while profiled)`,
  );
  console.log(
    `  the log line's console.log: ${result.logMsPerRequest.toFixed(3)} ms per request, apart ` +
      "(the attached inspector inflates it)",
  );
  console.log("  by part (ms per request):");
  for (const { part, msPerRequest } of result.parts) console.log(`  ${ms(msPerRequest)}  ${part}`);
  console.log("  top functions (self, ms per request):");
  for (const { part, msPerRequest } of result.functions) {
    console.log(`  ${ms(msPerRequest)}  ${part}`);
  }
}

if (import.meta.main) {
  printWorkerProfile(await profileWorker());
}
