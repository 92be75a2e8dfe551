/**
 * The types of what each invocation of the Worker receives: its environment (`env`, the bindings
 * and vars `wrangler.toml` declares), its context (`ctx`), and the request with the state the
 * router's stages share. The slice of the Workers runtime used here is typed by hand, so the
 * Worker type-checks in the same TypeScript world as the core (the generated
 * `worker-configuration.d.ts` is 500 KB and needs sloppy imports; we use a few methods of it).
 *
 * @module
 */

import type { IRequestStrict } from "itty-router";
import type { RequestBudget } from "../mod.ts";
import type { KvNamespace } from "../src/keys/mod.ts";
import type { JobParams } from "./exports/job.ts";
import type { R2Bucket, Workflow } from "./exports/runtime.ts";

/** Bindings and vars of the Worker. */
export interface Env {
  /** API key records: `key:<sha256 hex>` → JSON. */
  TOKENS: KvNamespace;
  /** The gallery's files (`[assets]`, built into `dist/gallery/` by `scripts/build_gallery.ts`). */
  ASSETS?: Fetcher;
  /** The upstream API root, ending in `/api/v1`. */
  TOLOKA_API_URL?: string;
  /** Comma-separated origins allowed by CORS; empty means no CORS. */
  CORS_ORIGINS?: string;
  /** Per-key rate limit (`[[ratelimits]]`). */
  RATE_LIMITER?: RateLimiter;
  /** Secret: base64url of 32 random bytes, the AES-GCM key sealing upstream tokens. */
  TOKEN_SEALING_KEY?: string;
  /**
   * Upstream requests one invocation may make, retries included (default 4, which fits the Free
   * plan's 50 subrequests and its 10 ms of CPU; an integer from 2 to 10000).
   */
  SUBREQUEST_BUDGET?: string;
  /**
   * Seconds an edge-cached download is served without asking the upstream again (default 86400,
   * a day; 0 turns the cache off; at most 31536000).
   */
  DOWNLOAD_CACHE_TTL_SECONDS?: string;
  /** How long a key lookup is reused in one isolate, in ms (tests shorten it). Default 10000. */
  KEY_CACHE_TTL_MS?: string;
  /** Export jobs (`[[workflows]]`): the Workflow class `ExportJobs`. */
  EXPORT_JOBS?: Workflow<JobParams>;
  /** Export jobs' records, parts and results (`[[r2_buckets]]`). */
  EXPORTS?: R2Bucket;
  /** Days a completed export's result is kept (default 7). */
  EXPORT_TTL_DAYS?: string;
  /** First retry delay of a failed export step, in ms (default 5000; tests shorten it). */
  EXPORT_RETRY_DELAY_MS?: string;
  /** Tests only: `<step>@<point>` faults an export step's first attempt throws at. */
  EXPORT_FAULTS?: string;
}

/** The `[[ratelimits]]` binding. */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** A service binding such as `[assets]`'s: requests answered by another Worker. */
export interface Fetcher {
  fetch(request: Request): Promise<Response>;
}

/** The `ctx` a Worker's `fetch` receives. */
export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** What one request's log line says. Never holds a key or a token. */
export interface EdgeState {
  id: string;
  start: number;
  /** The key's name once authenticated. */
  key?: string;
  /** Whether the key was looked up in KV or found in the isolate's cache. */
  key_lookup?: "kv" | "cache";
  /** `hit` or `miss` for downloads. */
  cache?: "hit" | "miss";
  /** Items written by an export. */
  exported?: number;
  /** The invocation's upstream budget, once a keyed route opened its session. */
  budget?: RequestBudget;
  /** Whether an export ended with a continuation (`next`). */
  continued?: boolean;
  /** A log-safe reason when the answer is an error (or an export failed mid-way). */
  failure?: string;
  /**
   * Settles when the work behind a streamed answer ends (an export's stream, a download's cache
   * write), so the log line can wait for it and report how it went.
   */
  streamed?: Promise<void>;
}

/** The request as handlers see it: itty's params plus {@link EdgeState}. */
export type EdgeRequest = IRequestStrict & { edge: EdgeState };

/** The arguments after the request that every stage and handler receives. */
export type EdgeArgs = [Env, ExecutionContext];
