/**
 * The command line under faults: `cli/mod.ts download` as a real process against the emulator
 * on loopback (which injects faults into its requests, downloads included), interrupted mid-way
 * with SIGINT and with SIGKILL, then run again until it completes.
 *
 * Invariants, checked after every round from the folder alone (independently of the CLI's own
 * manifest reader):
 * - no partial file under a final name: every file that is not `manifest.ndjson` or a
 *   `.<name>.part` temporary holds exactly the bytes of its attachment;
 * - the manifest is consistent: every line (a torn last line excepted after SIGKILL) names an
 *   attachment, a file that exists, its size and SHA-256, which match the file and the
 *   attachment's real bytes;
 * - after SIGINT the CLI exits 130 and leaves no temporary file; after SIGKILL temporary files
 *   may remain, but never under a final name;
 * - the last run exits 0 and leaves exactly one file per attachment, every hash right, no
 *   temporary file, a manifest line per file.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { TolokaEmulator } from "../src/testing/mod.ts";
import { localFileName } from "../src/files/mod.ts";
import { type EngineReport, num, type Row, Violations } from "./report.ts";
import { SecretScanner } from "./secrets.ts";

/** Settings of {@link cliFaults}. */
export interface CliFaultOptions {
  /** Attachments to download. @default 400 */
  items?: number;
  /** Interrupted runs before the last one; they alternate SIGINT and SIGKILL. @default 2 */
  rounds?: number;
  /** Share of the emulator's requests that get a fault. @default 0.1 */
  faultRate?: number;
  /** Seed of the data and the faults. @default 1 */
  seed?: number;
  /** Latency of every emulator request, so a run lasts long enough to be cut. @default 15 */
  latencyMs?: number;
  /** Upper bound of a generated file's size (images are smaller PNGs). @default 256 KiB */
  maxFileSize?: number;
  /**
   * Each download's body is trickled through a loopback proxy at this rate, so transfers are in
   * flight long enough for a cut to land in the middle of one. @default 2048 (KiB/s)
   */
  throttleKiBps?: number;
  /** A run that lasts longer is killed and fails. @default 120_000 */
  runTimeoutMs?: number;
}

const TOKEN = "cli-upstream-token-9b3f61c2";
const MANIFEST = "manifest.ndjson";

interface Check {
  finals: number;
  temporaries: number;
  manifestLines: number;
  tornLines: number;
}

/** Runs the CLI fault test; returns its figures and violations. */
export async function cliFaults(options: CliFaultOptions = {}): Promise<EngineReport> {
  const started = performance.now();
  const items = options.items ?? 400;
  const rounds = options.rounds ?? 2;
  const violations = new Violations();
  const secrets = new SecretScanner();
  secrets.add("upstream token", TOKEN);
  const root = new URL("../", import.meta.url);
  const cli = new URL("cli/mod.ts", root).pathname;
  try {
    await Deno.stat(cli);
  } catch {
    return pending("cli/mod.ts does not exist yet", started);
  }

  const emulator = new TolokaEmulator({
    pools: [items],
    tokens: [TOKEN],
    seed: options.seed ?? 1,
    latencyMs: options.latencyMs ?? 15,
    maxFileSize: options.maxFileSize ?? 256 * 1024,
    faults: {
      rate: options.faultRate ?? 0.1,
      kinds: ["429", "500", "502", "503", "reset", "truncated", "delay"],
      retryAfterSeconds: 0,
      delayMs: 200,
      seed: (options.seed ?? 1) * 13,
    },
    requestLogLimit: 1_000_000,
  });
  await using upstream = await emulator.serve();
  await using proxy = throttle(upstream.url, options.throttleKiBps ?? 2048);
  const folder = await Deno.makeTempDir({ prefix: "toloka-cli-faults-" });
  // What each final name must hold.
  const byName = new Map<string, { id: string; sha256: string; size: number }>();
  for (const item of emulator.attachments) {
    const bytes = emulator.bytesOf(item.id);
    byName.set(localFileName(item.id, item.name), {
      id: item.id,
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
  }
  const rows: Row[] = [];
  try {
    for (let round = 0; round <= rounds; round++) {
      const last = round === rounds;
      const signal: Deno.Signal | null = last ? null : round % 2 === 0 ? "SIGINT" : "SIGKILL";
      const roundStart = performance.now();
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          cli,
          "download",
          "--pool-id",
          "1",
          "--out",
          folder,
          "--base-url",
          `${proxy.url}/api/v1`,
          "--quiet",
        ],
        cwd: root.pathname,
        env: { TOLOKA_TOKEN: TOKEN, NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const outputs = Promise.all([
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
      ]);
      const timeout = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, options.runTimeoutMs ?? 120_000);
      let killedAt: number | null = null;
      let inFlight = 0;
      if (signal !== null) {
        // Cut the run once it has done its share of the files for this round, mid-way.
        const target = Math.ceil((items * (round + 1)) / (rounds + 2));
        let exited = false;
        child.status.then(() => exited = true);
        while (!exited && manifestLines(folder) < target) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        // Then wait (briefly) for a file in flight, so the cut lands in the middle of a transfer.
        const waitUntil = Date.now() + 1_000;
        while (!exited && temporaryFiles(folder) === 0 && Date.now() < waitUntil) {
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        if (!exited) {
          inFlight = temporaryFiles(folder);
          killedAt = manifestLines(folder);
          child.kill(signal);
        }
      }
      const status = await child.status;
      clearTimeout(timeout);
      const [stdout, stderr] = await outputs;
      secrets.scan(stdout, `stdout of round ${round}`);
      secrets.scan(stderr, `stderr of round ${round}`);
      const where = `round ${round} (${signal ?? "to the end"})`;
      if (signal === "SIGINT" && killedAt !== null && status.code !== 130) {
        violations.add(`${where}: exit code ${status.code}, expected 130: ${stderr.slice(-300)}`);
      }
      if (signal === "SIGKILL" && killedAt !== null && status.signal !== "SIGKILL") {
        violations.add(`${where}: ended with ${status.code}/${status.signal}, not by SIGKILL`);
      }
      if (signal !== null && killedAt === null) {
        violations.add(`${where}: the run ended before it could be interrupted (too fast?)`);
      }
      if (last && status.code !== 0) {
        violations.add(`${where}: exit code ${status.code}: ${stderr.slice(-500)}`);
      }
      try {
        secrets.scan(
          Deno.readTextFileSync(`${folder}/${MANIFEST}`),
          `manifest after round ${round}`,
        );
      } catch { /* no manifest yet */ }
      const check = checkFolder(folder, byName, {
        where,
        temporariesAllowed: signal === "SIGKILL",
        tornAllowed: signal === "SIGKILL",
        complete: last,
      }, violations);
      rows.push({
        label: where,
        values: {
          "exit": status.signal ?? status.code,
          "files when cut": killedAt ?? "",
          "in flight when cut": signal === null ? "" : inFlight,
          "final files": check.finals,
          "manifest lines": check.manifestLines,
          "torn lines": check.tornLines,
          ".part left": check.temporaries,
          time: `${((performance.now() - roundStart) / 1000).toFixed(1)} s`,
        },
      });
    }
  } finally {
    await Deno.remove(folder, { recursive: true }).catch(() => {});
  }
  const log = emulator.requests;
  const faults = log.filter((entry) => entry.fault !== null).length;
  const scan = secrets.figures();
  for (const leak of scan.leaks) violations.add(`the ${leak.secret} appeared in the ${leak.where}`);
  rows.push({
    label: "upstream",
    values: {
      "exit": `${num(log.length)} requests, ${num(faults)} faults injected`,
      "final files": items,
    },
  });
  return {
    name: "CLI download under faults, killed and resumed",
    settings: `${num(items)} attachments (up to ${
      num((options.maxFileSize ?? 256 * 1024) / 1024)
    } KiB), ${
      (options.faultRate ?? 0.1) * 100
    }% faults (429, 500, 502, 503, reset, truncated bodies, delays), latency ${
      options.latencyMs ?? 15
    } ms; ${rounds} interrupted runs (SIGINT, SIGKILL alternating) then one to the end; \`deno run -A cli/mod.ts download\` as a process`,
    rows,
    violations: violations.list(),
    ms: performance.now() - started,
  };
}

/**
 * A loopback proxy in front of the emulator that passes answers on as they are, except download
 * bodies, which it trickles at `kibps` KiB/s in 16 KiB chunks (a slow network). A fault of the
 * emulator (a reset, a body cut short) reaches the client as such.
 */
function throttle(
  target: string,
  kibps: number,
): { url: string; [Symbol.asyncDispose](): Promise<void> } {
  const closing = new AbortController();
  const chunk = 16 * 1024;
  const pause = (chunk / 1024 / kibps) * 1000;
  const broken = (): Response =>
    new Response(
      new ReadableStream({
        pull(controller): void {
          controller.error(new Error("connection reset"));
        },
      }),
    );
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: closing.signal,
    onListen(): void {},
    onError: broken,
  }, async (request) => {
    const url = new URL(request.url);
    let answer: Response;
    try {
      answer = await fetch(`${target}${url.pathname}${url.search}`, { headers: request.headers });
    } catch {
      return broken();
    }
    if (!url.pathname.endsWith("/download") || answer.body === null || !answer.ok) return answer;
    const reader = answer.body.getReader();
    let pending = new Uint8Array(0);
    const body = new ReadableStream<Uint8Array>({
      async pull(controller): Promise<void> {
        if (pending.length === 0) {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          pending = value;
        }
        controller.enqueue(pending.slice(0, chunk));
        pending = pending.slice(chunk);
        await new Promise((resolve) => setTimeout(resolve, pause));
      },
      cancel(reason): Promise<void> {
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
    return new Response(body, { status: answer.status, headers: answer.headers });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    async [Symbol.asyncDispose](): Promise<void> {
      closing.abort();
      await server.finished;
    },
  };
}

function pending(reason: string, started: number): EngineReport {
  return {
    name: "CLI download under faults, killed and resumed",
    settings: `PENDING: ${reason}`,
    rows: [],
    violations: [],
    ms: performance.now() - started,
  };
}

function manifestLines(folder: string): number {
  try {
    const text = Deno.readTextFileSync(`${folder}/${MANIFEST}`);
    return text.split("\n").filter((line) => line.endsWith("}")).length;
  } catch {
    return 0;
  }
}

function temporaryFiles(folder: string): number {
  let count = 0;
  try {
    for (const entry of Deno.readDirSync(folder)) if (entry.name.endsWith(".part")) count++;
  } catch { /* not created yet */ }
  return count;
}

function sha256Of(path: string): { size: number; sha256: string } {
  const bytes = Deno.readFileSync(path);
  return { size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/** Checks the folder after a run; returns what it holds. */
export function checkFolder(
  folder: string,
  byName: ReadonlyMap<string, { id: string; sha256: string; size: number }>,
  rules: { where: string; temporariesAllowed: boolean; tornAllowed: boolean; complete: boolean },
  violations: Violations,
): Check {
  const { where } = rules;
  const check: Check = { finals: 0, temporaries: 0, manifestLines: 0, tornLines: 0 };
  const finals = new Set<string>();
  for (const entry of Deno.readDirSync(folder)) {
    if (entry.name === MANIFEST) continue;
    const part = /^\.(.+)\.part$/.exec(entry.name);
    if (part) {
      check.temporaries++;
      if (!byName.has(part[1]!)) {
        violations.add(`${where}: a temporary file of no attachment: ${entry.name}`);
      }
      if (!rules.temporariesAllowed) {
        violations.add(`${where}: temporary file ${entry.name} left behind`);
      }
      continue;
    }
    const want = byName.get(entry.name);
    if (!entry.isFile || want === undefined) {
      violations.add(`${where}: unexpected entry ${JSON.stringify(entry.name)}`);
      continue;
    }
    check.finals++;
    finals.add(entry.name);
    const got = sha256Of(`${folder}/${entry.name}`);
    if (got.size !== want.size || got.sha256 !== want.sha256) {
      violations.add(
        `${where}: ${entry.name} holds ${got.size} of ${want.size} bytes or other bytes: a partial file under a final name`,
      );
    }
  }

  let text = "";
  try {
    text = Deno.readTextFileSync(`${folder}/${MANIFEST}`);
  } catch {
    if (rules.complete) violations.add(`${where}: no manifest`);
  }
  const lines = text.split("\n");
  const lastIndex = text.endsWith("\n") ? lines.length - 2 : lines.length - 1;
  const listed = new Set<string>();
  lines.forEach((line, index) => {
    if (line === "") return;
    let entry: { id?: unknown; path?: unknown; size?: unknown; sha256?: unknown };
    try {
      entry = JSON.parse(line);
    } catch {
      check.tornLines++;
      if (!(rules.tornAllowed && index === lastIndex)) {
        violations.add(`${where}: manifest line ${index + 1} is not JSON: ${line.slice(0, 120)}`);
      }
      return;
    }
    check.manifestLines++;
    const want = typeof entry.path === "string" ? byName.get(entry.path) : undefined;
    if (want === undefined || want.id !== entry.id) {
      violations.add(
        `${where}: manifest line ${index + 1} names no attachment: ${line.slice(0, 120)}`,
      );
      return;
    }
    if (entry.size !== want.size || entry.sha256 !== want.sha256) {
      violations.add(
        `${where}: manifest line ${index + 1} has a wrong size or hash for ${entry.path}`,
      );
    }
    if (!finals.has(entry.path as string)) {
      violations.add(`${where}: manifest line ${index + 1} names a missing file ${entry.path}`);
    }
    if (rules.complete && listed.has(entry.path as string)) {
      violations.add(`${where}: ${entry.path} is listed twice in the manifest`);
    }
    listed.add(entry.path as string);
  });
  if (rules.complete) {
    const missing = [...byName.keys()].filter((name) => !finals.has(name));
    if (missing.length > 0) {
      violations.add(`${where}: ${missing.length} files missing after the last run`);
    }
    const unlisted = [...finals].filter((name) => !listed.has(name));
    if (unlisted.length > 0) {
      violations.add(`${where}: ${unlisted.length} files without a manifest line`);
    }
    if (check.temporaries > 0) {
      violations.add(`${where}: ${check.temporaries} temporary files left`);
    }
  }
  return check;
}
