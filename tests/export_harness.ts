/**
 * Test harness for export jobs: the edge harness (`edge_harness.ts`: the real bundled Worker in
 * workerd, real KV, the emulator behind a proxy that counts upstream requests per `X-Request-Id`)
 * with export jobs on (the local Workflow `EXPORT_JOBS` and R2 bucket `EXPORTS`), and what job
 * tests need on top: create, wait for, read a job's step log lines. Each Workflow step attempt
 * has its own request id, so a test can prove no step went over `SUBREQUEST_BUDGET`.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { R2Bucket } from "../worker/exports/runtime.ts";
import type { KeyRecord } from "../src/keys/mod.ts";
import { type Edge, startEdge } from "./edge_harness.ts";
import type { EmulatorOptions } from "../src/testing/mod.ts";

export { UPSTREAM_TOKEN } from "./edge_harness.ts";

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
export interface ExportEdge extends
  Pick<
    Edge,
    | "mf"
    | "url"
    | "emulator"
    | "upstream"
    | "kv"
    | "sealingKey"
    | "budget"
    | "logs"
    | "subrequests"
    | "seen"
    | "secrets"
    | "assertWithinLimits"
    | "assertNoSecrets"
    | "close"
  > {
  bucket: R2Bucket;
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
}

/** Starts the Worker with export jobs on (keys are looked up afresh on every request). */
export async function startExports(options: ExportEdgeOptions = {}): Promise<ExportEdge> {
  const edge = await startEdge({
    ...(options.emulator ? { emulator: options.emulator } : {}),
    subrequestBudget: options.subrequestBudget ?? 45,
    keyCacheTtlMs: 0,
    exports: { ttlDays: options.ttlDays ?? 7, faults: options.faults ?? [] },
  });
  // Miniflare's .d.ts pulls types it does not ship; the bucket it returns has the R2 API.
  const bucket = await edge.mf.getR2Bucket("EXPORTS") as unknown as R2Bucket;
  const request = async (
    path: string,
    init: RequestInit & { key?: string } = {},
  ): Promise<Answer> => {
    const { status, headers, bytes, text } = await edge.request(path, init);
    return { status, headers, bytes, text };
  };
  return {
    mf: edge.mf,
    url: edge.url,
    emulator: edge.emulator,
    upstream: edge.upstream,
    kv: edge.kv,
    bucket,
    sealingKey: edge.sealingKey,
    budget: edge.budget,
    logs: edge.logs,
    subrequests: edge.subrequests,
    seen: edge.seen,
    secrets: edge.secrets,
    issue: (o = {}) => edge.issue({ name: "export test key", ...o }),
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
      return edge.logs.filter((line) => line.includes(`"export_job":"${id}"`)).map((line) =>
        JSON.parse(line)
      );
    },
    assertWithinLimits: () => edge.assertWithinLimits(),
    assertNoSecrets: () => edge.assertNoSecrets(),
    close: () => edge.close(),
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
