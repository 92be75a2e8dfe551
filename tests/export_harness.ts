/**
 * Test harness for export jobs: the real bundled Worker in workerd (Miniflare) with its real
 * local Workflow (`EXPORT_JOBS`, class `ExportJobs`), a real local R2 bucket (`EXPORTS`), real KV,
 * and the Toloka emulator on loopback behind a proxy that counts upstream requests per
 * `X-Request-Id` (one id per Workflow step attempt), so a test can prove no step went over
 * `SUBREQUEST_BUDGET`. (The edge harness, `edge_harness.ts`, starts no Workflow.)
 *
 * @module
 */

import assert from "node:assert/strict";
import { Miniflare } from "miniflare";
import { type EmulatorOptions, type EmulatorServer, TolokaEmulator } from "../src/testing/mod.ts";
import type { KvNamespace } from "../worker/kv.ts";
import { issueKey, type KeyRecord } from "../worker/keys.ts";
import type { R2Bucket } from "../worker/exports/runtime.ts";
import { buildWorker } from "../scripts/build_worker.ts";
import { randomSealingKey } from "./keys_fixtures.ts";
import { countingProxy, type SubrequestCount } from "./edge_harness.ts";

/** The upstream token the emulator accepts; keys seal it. */
export const UPSTREAM_TOKEN = "export-upstream-token-93be71";

/** Options of {@link startExports}. */
export interface ExportEdgeOptions {
  emulator?: EmulatorOptions;
  /** `SUBREQUEST_BUDGET` (default 45). */
  subrequestBudget?: number;
  /** `EXPORT_FAULTS`: `<step>@<point>` failures of a step's first attempt. */
  faults?: string[];
  /** `EXPORT_TTL_DAYS`. */
  ttlDays?: number;
}

/** An answer read whole. */
export interface Answer {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
  text: string;
}

/** A job as the API shows it. */
export interface JobView {
  id: string;
  status: "queued" | "running" | "complete" | "failed" | "cancelled";
  format: string;
  filter: Record<string, string>;
  order: string;
  items: number;
  files: number;
  bytes: number;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  download_url: string | null;
  error: { code: string; message: string } | null;
}

/** A running Worker with its Workflow and bucket. */
export interface ExportEdge {
  mf: Miniflare;
  url: string;
  emulator: TolokaEmulator;
  upstream: EmulatorServer;
  kv: KvNamespace;
  bucket: R2Bucket;
  sealingKey: string;
  budget: number;
  /** Every log line of the Worker (requests and Workflow steps). */
  logs: string[];
  /** Upstream requests per `X-Request-Id`. */
  subrequests: Map<string, SubrequestCount>;
  /** Every answer's headers and body, and every secret issued, for the leak scan. */
  seen: string[];
  secrets: Set<string>;
  issue(options?: { pools?: string[] | null; expiresAt?: Date }): Promise<{
    key: string;
    record: KeyRecord;
  }>;
  request(path: string, init?: RequestInit & { key?: string }): Promise<Answer>;
  /** `POST /api/v1/exports` with `body`; returns the answer. */
  create(key: string, body: unknown): Promise<Answer>;
  /** Polls the job until it is no longer queued or running. */
  waitFor(key: string, id: string, timeoutMs?: number): Promise<JobView>;
  /** The parsed JSON log lines of a job's steps. */
  stepLines(id: string): Record<string, unknown>[];
  assertWithinLimits(): void;
  assertNoSecrets(): void;
  close(): Promise<void>;
}

/** Starts the Worker with export jobs on. */
export async function startExports(options: ExportEdgeOptions = {}): Promise<ExportEdge> {
  const script = await buildWorker();
  const emulator = new TolokaEmulator({ tokens: [UPSTREAM_TOKEN], ...options.emulator });
  const upstream = await emulator.serve();
  const subrequests = new Map<string, SubrequestCount>();
  const counter = countingProxy(upstream.url, subrequests);
  const budget = options.subrequestBudget ?? 45;
  const sealingKey = randomSealingKey();
  const logs: string[] = [];
  let mf: Miniflare;
  let url: string;
  try {
    mf = new Miniflare({
      modules: true,
      scriptPath: script,
      modulesRoot: script.replace(/\/[^/]+$/, ""),
      compatibilityDate: "2026-04-26",
      compatibilityFlags: ["enable_request_signal"],
      kvNamespaces: ["TOKENS"],
      r2Buckets: ["EXPORTS"],
      workflows: {
        EXPORT_JOBS: { name: "toloka-export-jobs", className: "ExportJobs" },
      },
      bindings: {
        TOLOKA_API_URL: `http://127.0.0.1:${counter.addr.port}/api/v1`,
        SUBREQUEST_BUDGET: String(budget),
        TOKEN_SEALING_KEY: sealingKey,
        CORS_ORIGINS: "",
        KEY_CACHE_TTL_MS: "0",
        EXPORT_TTL_DAYS: String(options.ttlDays ?? 7),
        EXPORT_RETRY_DELAY_MS: "20",
        EXPORT_FAULTS: (options.faults ?? []).join(","),
      },
      structuredWorkerdLogs: true,
      handleStructuredLogs: ({ message }: { message: string }) => void logs.push(message),
    });
    url = (await mf.ready).toString().replace(/\/$/, "");
  } catch (error) {
    await counter.shutdown();
    await upstream.close();
    throw error;
  }
  const kv = await mf.getKVNamespace("TOKENS") as unknown as KvNamespace;
  const bucket = await mf.getR2Bucket("EXPORTS") as unknown as R2Bucket;
  const seen: string[] = [];
  const secrets = new Set([UPSTREAM_TOKEN, sealingKey]);

  const request = async (
    path: string,
    init: RequestInit & { key?: string } = {},
  ): Promise<Answer> => {
    const { key, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (key !== undefined) headers.set("Authorization", `OAuth ${key}`);
    const response = await fetch(path.startsWith("http") ? path : url + path, {
      ...rest,
      headers,
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    seen.push([...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n"));
    if (!(response.headers.get("Content-Type") ?? "").includes("zip")) seen.push(text);
    return { status: response.status, headers: response.headers, bytes, text };
  };

  return {
    mf,
    url,
    emulator,
    upstream,
    kv,
    bucket,
    sealingKey,
    budget,
    logs,
    subrequests,
    seen,
    secrets,
    async issue(o = {}): Promise<{ key: string; record: KeyRecord }> {
      const issued = await issueKey(kv, sealingKey, {
        name: "export test key",
        upstreamToken: UPSTREAM_TOKEN,
        pools: o.pools === undefined ? ["1"] : o.pools,
        ...(o.expiresAt ? { expiresAt: o.expiresAt } : {}),
      });
      secrets.add(issued.key);
      secrets.add(issued.record.upstream_token);
      return issued;
    },
    request,
    create(key, body): Promise<Answer> {
      return request("/api/v1/exports", {
        method: "POST",
        key,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    },
    async waitFor(key, id, timeoutMs = 60_000): Promise<JobView> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const answer = await request(`/api/v1/exports/${id}`, { key });
        assert.equal(answer.status, 200, answer.text);
        const job = JSON.parse(answer.text) as JobView;
        if (job.status !== "queued" && job.status !== "running") return job;
        if (Date.now() > deadline) throw new Error(`Job ${id} still ${job.status}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stepLines(id): Record<string, unknown>[] {
      return logs.filter((line) => line.includes(`"export_job":"${id}"`)).map((line) =>
        JSON.parse(line)
      );
    },
    assertWithinLimits(): void {
      for (const [id, count] of subrequests) {
        assert.ok(
          count.total <= budget,
          `${id || "(no id)"} made ${count.total} upstream requests`,
        );
        assert.ok(count.peak <= 6, `${id || "(no id)"} had ${count.peak} open at once`);
      }
    },
    assertNoSecrets(): void {
      const haystacks = [...seen, ...logs];
      for (const secret of secrets) {
        const leaks = haystacks.filter((text) => text.includes(secret));
        assert.deepEqual(leaks, [], `a secret (${secret.slice(0, 4)}...) leaked`);
      }
    },
    async close(): Promise<void> {
      await mf.dispose();
      await counter.shutdown();
      await upstream.close();
    },
  };
}

/** Reads a ZIP with Python's `zipfile` (an independent reader): every entry's CRC is checked. */
export async function pythonZip(path: string): Promise<{
  names: string[];
  sizes: number[];
  zip64: boolean;
  testzip: string | null;
}> {
  const script = [
    "import json, sys, zipfile",
    "z = zipfile.ZipFile(sys.argv[1])",
    "bad = z.testzip()",
    "infos = z.infolist()",
    "data = open(sys.argv[1], 'rb').read()",
    "print(json.dumps({'names': [i.filename for i in infos], 'sizes': [i.file_size for i in infos],",
    "  'methods': sorted({i.compress_type for i in infos}), 'testzip': bad,",
    "  'zip64': data.find(b'PK\\x06\\x06') >= 0}))",
  ].join("\n");
  const { success, stdout, stderr } = await new Deno.Command("python3", {
    args: ["-c", script, path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`python3 zipfile failed: ${new TextDecoder().decode(stderr)}`);
  const result = JSON.parse(new TextDecoder().decode(stdout));
  assert.deepEqual(result.methods, [0], "every entry is stored");
  return result;
}

/** Runs `unzip -t` when it is installed; `null` when it is not. */
export async function unzipTest(path: string): Promise<string | null> {
  try {
    const { success, stdout, stderr } = await new Deno.Command("unzip", {
      args: ["-t", path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    if (!success) throw new Error(`unzip -t failed:\n${text.slice(-2000)}`);
    return text;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
