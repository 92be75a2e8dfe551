/**
 * The Worker's bindings, as `wrangler.toml` declares them.
 *
 * @module
 */

import type { JobParams } from "./exports/job.ts";
import type { R2Bucket, Workflow } from "./exports/runtime.ts";
import type { KvNamespace, RateLimiter } from "./kv.ts";

/** Bindings and vars of the Worker. */
export interface Env {
  /** API key records: `key:<sha256 hex>` → JSON. */
  TOKENS: KvNamespace;
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
