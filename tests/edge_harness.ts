/**
 * Test harness for the Worker: the real bundled Worker in workerd (Miniflare), real KV, and the
 * Toloka emulator served on loopback as the upstream. One harness per test file.
 *
 * @module
 */

import { Miniflare } from "miniflare";
import { type EmulatorOptions, type EmulatorServer, TolokaEmulator } from "../src/testing/mod.ts";
import type { KvNamespace } from "../worker/kv.ts";
import { issueKey, type KeyRecord } from "../worker/keys.ts";
import { buildWorker } from "../scripts/build_worker.ts";

/** The upstream token the emulator accepts; keys seal it. */
export const UPSTREAM_TOKEN = "upstream-secret-token-1c6f0e";

/** Options of {@link startEdge}. */
export interface EdgeOptions {
  emulator?: EmulatorOptions;
  /** `CORS_ORIGINS`. */
  corsOrigins?: string;
  /** Requests per 60 s per key. */
  rateLimit?: number;
  /** `KEY_CACHE_TTL_MS`. */
  keyCacheTtlMs?: number;
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
  /** Every response body and header block seen through {@link Edge.request}. */
  seen: string[];
  /** Issues a key for the emulator's token (or another upstream token). */
  issue(options?: {
    name?: string;
    pools?: string[] | null;
    expiresAt?: Date;
    now?: Date;
    upstreamToken?: string;
  }): Promise<{ key: string; record: KeyRecord }>;
  /** Sends a request to the Worker; records the answer's headers and body for secret scans. */
  request(
    path: string,
    init?: RequestInit & { key?: string },
  ): Promise<{ response: Response; text: string }>;
  close(): Promise<void>;
}

/** Starts the Worker in workerd with the emulator as its upstream on loopback. */
export async function startEdge(options: EdgeOptions = {}): Promise<Edge> {
  const script = await buildWorker();
  const emulator = new TolokaEmulator({
    tokens: [UPSTREAM_TOKEN, "other-account-token"],
    ...options.emulator,
  });
  const upstream = await emulator.serve();
  const sealingKey = randomSealingKey();
  const logs: string[] = [];
  const mf = new Miniflare({
    modules: true,
    scriptPath: script,
    modulesRoot: script.replace(/\/[^/]+$/, ""),
    compatibilityDate: "2026-04-26",
    compatibilityFlags: ["enable_request_signal"],
    kvNamespaces: ["TOKENS"],
    ratelimits: { RATE_LIMITER: { simple: { limit: options.rateLimit ?? 100_000, period: 60 } } },
    bindings: {
      TOLOKA_API_URL: upstream.baseUrl,
      TOKEN_SEALING_KEY: sealingKey,
      CORS_ORIGINS: options.corsOrigins ?? "",
      KEY_CACHE_TTL_MS: String(options.keyCacheTtlMs ?? 10_000),
    },
    structuredWorkerdLogs: true,
    handleStructuredLogs: ({ message }: { message: string }) => void logs.push(message),
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  // Miniflare's .d.ts pulls types it does not ship; the KV it returns has the Workers KV API.
  const kv = await mf.getKVNamespace("TOKENS") as unknown as KvNamespace;
  const seen: string[] = [];
  return {
    mf,
    url,
    emulator,
    upstream,
    kv,
    sealingKey,
    logs,
    seen,
    issue: (o = {}) =>
      issueKey(kv, sealingKey, {
        name: o.name ?? "test key",
        upstreamToken: o.upstreamToken ?? UPSTREAM_TOKEN,
        pools: o.pools === undefined ? ["1"] : o.pools,
        ...(o.expiresAt ? { expiresAt: o.expiresAt } : {}),
        ...(o.now ? { now: o.now } : {}),
      }),
    async request(path, init = {}) {
      const { key, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key !== undefined) headers.set("Authorization", `OAuth ${key}`);
      const response = await fetch(url + path, { ...rest, headers });
      const text = await response.text();
      seen.push([...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n"), text);
      return { response, text };
    },
    async close() {
      await mf.dispose();
      await upstream.close();
    },
  };
}

/** A fresh `TOKEN_SEALING_KEY`: base64url of 32 random bytes. */
export function randomSealingKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}
