/**
 * Test harness for the Worker: the real bundled Worker in workerd (Miniflare), real KV, and the
 * Toloka emulator served on loopback as the upstream. One harness per test file:
 * {@link edgeSuite} starts it, runs the file's steps, scans everything the file saw for secrets,
 * and closes it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Miniflare } from "miniflare";
import { type EmulatorOptions, type EmulatorServer, TolokaEmulator } from "../src/testing/mod.ts";
import { issueKey, type KeyRecord, type KvNamespace } from "../src/keys/mod.ts";
import { buildWorker } from "../scripts/build_worker.ts";
import { buildGallery } from "../scripts/build_gallery.ts";
import { randomSealingKey } from "./keys_fixtures.ts";
import { resetResponse } from "../src/testing/reply.ts";
import { releaseWithBody } from "../src/budget.ts";

export { randomSealingKey };

/** The upstream token the emulator accepts; keys seal it. */
export const UPSTREAM_TOKEN = "upstream-secret-token-1c6f0e";
/** A second upstream account's token, also accepted by the emulator. */
export const OTHER_ACCOUNT_TOKEN = "other-account-token";

/** Options of {@link startEdge}. */
export interface EdgeOptions {
  emulator?: EmulatorOptions;
  /** `CORS_ORIGINS`. */
  corsOrigins?: string;
  /** Requests per 60 s per key. */
  rateLimit?: number;
  /** `KEY_CACHE_TTL_MS`. */
  keyCacheTtlMs?: number;
  /**
   * Export jobs on: the `EXPORT_JOBS` Workflow (class `ExportJobs`) and the `EXPORTS` R2 bucket,
   * both local; `EXPORT_TTL_DAYS` (default 7) and `EXPORT_FAULTS` (`<step>@<point>` failures of a
   * step's first attempt). Without it the Worker has neither binding.
   */
  exports?: { ttlDays?: number; faults?: readonly string[] };
  /** More vars, set last (a test's own setting of any var). */
  bindings?: Readonly<Record<string, string>>;
  /**
   * Put the counting proxy between the Worker and the emulator (default `true`). Benchmarks of
   * the Worker's own latency turn it off: the proxy is one more loopback hop.
   */
  countSubrequests?: boolean;
  /**
   * `SUBREQUEST_BUDGET`. Default 45 (the Free plan's subrequest cap less retries' headroom, and
   * wrangler.toml's value before the CPU figure lowered it to 4), so most suites read an export
   * of a few thousand items in one response; the continuation suites run at 3 and 45.
   */
  subrequestBudget?: number;
  /** Open workerd's V8 inspector on this loopback port (the Worker's profile benchmark). */
  inspectorPort?: number;
}

/** Cloudflare's limit of simultaneous outgoing connections per invocation. */
export const MAX_CONNECTIONS = 6;

/** The upstream requests one Worker request made, counted by the upstream's side. */
export interface SubrequestCount {
  /** Requests in all. */
  total: number;
  /** Open now (from arrival until the answer's body was sent or dropped). */
  open: number;
  /** The most open at once. */
  peak: number;
}

/** What {@link Edge.issue} takes. */
export interface IssueOptions {
  name?: string;
  pools?: string[] | null;
  expiresAt?: Date;
  now?: Date;
  upstreamToken?: string;
  /** Seal under another `TOKEN_SEALING_KEY` than the Worker's. */
  sealingKey?: string;
}

/** One answer of the Worker, read to the end. */
export interface EdgeAnswer {
  /** The response (its body already read). */
  response: Response;
  status: number;
  headers: Headers;
  bytes: Uint8Array;
  /** The body decoded as UTF-8. */
  text: string;
}

/** A running edge: Worker + KV + emulator. */
export interface Edge {
  mf: Miniflare;
  /** The Worker's loopback URL (for clients using the real `fetch`). */
  url: string;
  emulator: TolokaEmulator;
  upstream: EmulatorServer;
  kv: KvNamespace;
  sealingKey: string;
  /** Every log line the Worker printed. */
  logs: string[];
  /** The Worker's `SUBREQUEST_BUDGET`. */
  budget: number;
  /**
   * Upstream requests per Worker request id (the `X-Request-Id` the Worker sends upstream),
   * counted by a proxy in front of the emulator; `""` collects requests that carried no id.
   */
  subrequests: Map<string, SubrequestCount>;
  /** Asserts that no Worker request exceeded its budget or {@link MAX_CONNECTIONS} at once. */
  assertWithinLimits(): void;
  /** Every response body and header block seen through {@link Edge.request} and {@link Edge.fetch}. */
  seen: string[];
  /** Everything that must never appear in {@link Edge.seen} or {@link Edge.logs}. */
  secrets: Set<string>;
  /** Issues a key (for the emulator's token unless told otherwise) and remembers its secrets. */
  issue(options?: IssueOptions): Promise<{ key: string; record: KeyRecord }>;
  /**
   * Sends a request to the Worker (a path, or a whole URL such as a signed link) and reads the
   * whole answer, recording it for the secret scan. `key` is sent as
   * `Authorization: <scheme> <key>` (scheme `OAuth` unless told).
   */
  request(
    path: string,
    init?: RequestInit & { key?: string; scheme?: string },
  ): Promise<EdgeAnswer>;
  /** A `fetch` to hand a client: sends to the Worker, records what comes back. */
  fetch(request: Request): Promise<Response>;
  /** The parsed log line of a request id, waiting for it (export lines come when the stream ends). */
  logLine(requestId: string): Promise<Record<string, unknown>>;
  /** Asserts that no secret appears in any answer seen or any log line. */
  assertNoSecrets(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the Worker in workerd with the emulator as its upstream on loopback. */
export async function startEdge(options: EdgeOptions = {}): Promise<Edge> {
  const [script, gallery] = await Promise.all([buildWorker(), buildGallery()]);
  const emulator = new TolokaEmulator({
    tokens: [UPSTREAM_TOKEN, OTHER_ACCOUNT_TOKEN],
    ...options.emulator,
  });
  const upstream = await emulator.serve();
  const subrequests = new Map<string, SubrequestCount>();
  let counter: Deno.HttpServer<Deno.NetAddr> | undefined;
  try {
    if (options.countSubrequests !== false) counter = countingProxy(upstream.url, subrequests);
  } catch (error) {
    await upstream.close();
    throw error;
  }
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
      // wrangler.toml's [assets]: the built gallery (its _headers read by Miniflare), the Worker
      // first for every request.
      assets: {
        directory: gallery,
        binding: "ASSETS",
        routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
      },
      ratelimits: {
        RATE_LIMITER: { simple: { limit: options.rateLimit ?? 100_000, period: 60 } },
      },
      bindings: {
        TOLOKA_API_URL: counter === undefined
          ? upstream.baseUrl
          : `http://127.0.0.1:${counter.addr.port}/api/v1`,
        SUBREQUEST_BUDGET: String(budget),
        TOKEN_SEALING_KEY: sealingKey,
        CORS_ORIGINS: options.corsOrigins ?? "",
        KEY_CACHE_TTL_MS: String(options.keyCacheTtlMs ?? 10_000),
        ...(options.exports
          ? {
            EXPORT_TTL_DAYS: String(options.exports.ttlDays ?? 7),
            // Steps retry at once in tests, not after the deployed backoff.
            EXPORT_RETRY_DELAY_MS: "20",
            EXPORT_FAULTS: (options.exports.faults ?? []).join(","),
          }
          : {}),
        ...options.bindings,
      },
      ...(options.exports
        ? {
          r2Buckets: ["EXPORTS"],
          workflows: { EXPORT_JOBS: { name: "toloka-export-jobs", className: "ExportJobs" } },
        }
        : {}),
      ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort }),
      structuredWorkerdLogs: true,
      handleStructuredLogs: ({ message }: { message: string }) => void logs.push(message),
    });
    url = (await mf.ready).toString().replace(/\/$/, "");
  } catch (error) {
    await counter?.shutdown();
    await upstream.close();
    throw error;
  }
  // Miniflare's .d.ts pulls types it does not ship; the KV it returns has the Workers KV API.
  const kv = await mf.getKVNamespace("TOKENS") as unknown as KvNamespace;
  const seen: string[] = [];
  const secrets = new Set([UPSTREAM_TOKEN, OTHER_ACCOUNT_TOKEN, sealingKey]);

  const record = (response: Response, bytes: Uint8Array): string => {
    const text = new TextDecoder().decode(bytes);
    seen.push([...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n"), text);
    return text;
  };

  const logLine = async (requestId: string): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const lines = logs.filter((line) => line.includes(requestId));
      if (lines.length > 0) {
        assert.equal(lines.length, 1, `one log line per request, got ${lines.join("\n")}`);
        return JSON.parse(lines[0]!);
      }
      if (Date.now() > deadline) throw new Error(`No log line for request ${requestId}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  return {
    mf,
    url,
    emulator,
    upstream,
    kv,
    sealingKey,
    logs,
    budget,
    subrequests,
    assertWithinLimits(): void {
      assert.equal(
        subrequests.get("")?.total ?? 0,
        0,
        "every upstream request names its edge request",
      );
      for (const [id, count] of subrequests) {
        assert.ok(count.total <= budget, `request ${id} made ${count.total} upstream requests`);
        assert.ok(count.peak <= MAX_CONNECTIONS, `request ${id} had ${count.peak} open at once`);
      }
    },
    seen,
    secrets,
    async issue(o = {}): Promise<{ key: string; record: KeyRecord }> {
      const upstreamToken = o.upstreamToken ?? UPSTREAM_TOKEN;
      const sealing = o.sealingKey ?? sealingKey;
      const issued = await issueKey(kv, sealing, {
        name: o.name ?? "test key",
        upstreamToken,
        pools: o.pools === undefined ? ["1"] : o.pools,
        ...(o.expiresAt ? { expiresAt: o.expiresAt } : {}),
        ...(o.now ? { now: o.now } : {}),
      });
      for (const secret of [issued.key, issued.record.upstream_token, upstreamToken, sealing]) {
        secrets.add(secret);
      }
      return issued;
    },
    async request(path, init = {}): Promise<EdgeAnswer> {
      const { key, scheme = "OAuth", ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key !== undefined) headers.set("Authorization", `${scheme} ${key}`);
      const response = await fetch(path.startsWith("http") ? path : url + path, {
        ...rest,
        headers,
      });
      const bytes = new Uint8Array(await response.arrayBuffer());
      const text = record(response, bytes);
      return { response, status: response.status, headers: response.headers, bytes, text };
    },
    async fetch(request): Promise<Response> {
      const response = await fetch(request);
      const copy = response.clone();
      // Recorded as it streams, without holding the caller up.
      copy.arrayBuffer().then((body) => record(copy, new Uint8Array(body)), () => {});
      return response;
    },
    logLine,
    async assertNoSecrets(): Promise<void> {
      // Export and download lines are written when their streams end: let them arrive.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const haystacks = [...seen, ...logs];
      assert.ok(haystacks.length > 0, "nothing was seen");
      for (const secret of secrets) {
        assert.ok(secret.length >= 8, "secrets worth scanning for are long");
        const leaks = haystacks.filter((text) => text.includes(secret));
        assert.deepEqual(leaks, [], `a secret (${secret.slice(0, 4)}...) leaked`);
      }
    },
    async close(): Promise<void> {
      await mf.dispose();
      await counter?.shutdown();
      await upstream.close();
    },
  };
}

/**
 * One test file's suite: a fresh edge, the file's steps, then a last step that scans every
 * answer and log line of the file for secrets, then the edge closes (even when a step failed).
 */
export function edgeSuite(
  name: string,
  options: EdgeOptions,
  body: (t: Deno.TestContext, edge: Edge) => Promise<void>,
): void {
  Deno.test(name, async (t) => {
    const edge = await startEdge(options);
    try {
      await body(t, edge);
      await t.step(
        "no Worker request made more upstream requests than SUBREQUEST_BUDGET, or more than 6 at once",
        () => edge.assertWithinLimits(),
      );
      await t.step(
        "no response header, body or log line holds a token, a raw key or a sealed token",
        () => edge.assertNoSecrets(),
      );
    } finally {
      await edge.close();
    }
  });
}

/** Toloka's error body, checked for shape: `{request_id, code, message, payload}`. */
export interface ErrorBody {
  request_id: string;
  code: string;
  message: string;
  payload: Record<string, { code: string; message: string }> | null;
}

/**
 * Asserts an answer is Toloka's error body with `status` and `code`, that its `request_id` is the
 * `X-Request-Id` header, and returns the body.
 */
export function assertError(answer: EdgeAnswer, status: number, code: string): ErrorBody {
  assert.equal(answer.status, status, `status of ${answer.text}`);
  assert.match(answer.headers.get("Content-Type") ?? "", /^application\/json/);
  const body = JSON.parse(answer.text) as ErrorBody;
  assert.deepEqual(Object.keys(body), ["request_id", "code", "message", "payload"]);
  assert.equal(body.code, code);
  assert.equal(typeof body.message, "string");
  assert.ok(body.message.length > 0);
  assert.equal(body.request_id, answer.headers.get("X-Request-Id"));
  return body;
}

/**
 * A loopback proxy in front of the emulator that counts, per Worker request (the `X-Request-Id`
 * the Worker sends upstream), how many upstream requests it made and how many were open at once.
 * A request stays open until its answer's body has been sent (or the connection dropped); an
 * upstream reset is passed on as a reset.
 */
export function countingProxy(
  target: string,
  counts: Map<string, SubrequestCount>,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen(): void {},
    onError(): Response {
      return new Response(null, { status: 500 });
    },
  }, async (request) => {
    const id = request.headers.get("x-request-id") ?? "";
    let count = counts.get(id);
    if (count === undefined) counts.set(id, count = { total: 0, open: 0, peak: 0 });
    const entry = count;
    entry.total++;
    entry.open++;
    entry.peak = Math.max(entry.peak, entry.open);
    let closed = false;
    const close = (): void => {
      if (!closed) {
        closed = true;
        entry.open--;
      }
    };
    const url = new URL(request.url);
    let response: Response;
    try {
      response = await fetch(`${target}${url.pathname}${url.search}`, {
        headers: request.headers,
      });
    } catch {
      close();
      return resetResponse();
    }
    return releaseWithBody(response, close);
  });
}
