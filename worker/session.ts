/**
 * The start of every keyed route, as route middleware ({@link withSession}): authenticate the key,
 * apply its rate limit, and give the route's handler a client of the upstream API that speaks
 * with the key's own Toloka token.
 *
 * @module
 */

import { AttachmentsClient, ENVIRONMENTS, RequestBudget } from "../mod.ts";
import { authenticate, type Caller } from "./auth.ts";
import type { EdgeRequest, Env } from "./env_context.ts";
import { EdgeError } from "./errors.ts";

/**
 * Safe under the Free plan's 50 subrequests per invocation, and lowered from 45 to fit its 10 ms
 * of CPU: an exported page of 100 costs workerd 0.9 to 2.0 ms of CPU here (`bench/export_cpu.ts`,
 * an upper bound), so 4 pages fit 10 ms in all but the slowest run, where 45 would need 40 to
 * 90 ms.
 */
export const DEFAULT_SUBREQUEST_BUDGET = 4;
/** The most a deployed Worker may make (the Paid plan's limit). */
const MAX_SUBREQUEST_BUDGET = 10_000;
/** Cloudflare's limit of simultaneous outgoing connections per invocation. */
const MAX_CONNECTIONS = 6;

/** An authenticated caller and the upstream client made for its request. */
export interface Session {
  caller: Caller;
  client: AttachmentsClient;
  /** Every upstream request of this invocation draws from it, retries included. */
  budget: RequestBudget;
}

/** A keyed route's request, once {@link withSession} has run. */
export type KeyedRequest = EdgeRequest & { session: Session };

/**
 * The invocation's subrequest budget, from `SUBREQUEST_BUDGET`.
 *
 * @throws {Error} When the var is not an integer from 2 to 10000: a misconfigured Worker answers
 * 500 and says why in its log, rather than breaking on Cloudflare's own limit later.
 */
export function subrequestBudget(env: Env): number {
  const text = env.SUBREQUEST_BUDGET?.trim() ?? "";
  if (text === "") return DEFAULT_SUBREQUEST_BUDGET;
  const value = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  // Two at least: an assignment's scope probe and one page.
  if (!(value >= 2 && value <= MAX_SUBREQUEST_BUDGET)) {
    throw new Error(
      `SUBREQUEST_BUDGET must be an integer from 2 to ${MAX_SUBREQUEST_BUDGET}: current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return value;
}

/**
 * Route middleware of every keyed route: authenticates the request, applies the key's rate limit
 * and puts the invocation's upstream session on `request.session`. Returns nothing, so the
 * route's next handler runs.
 *
 * @throws {EdgeError} 401 for a missing, unknown or expired key; 429 over the key's rate limit.
 * @throws {Error} For a `SUBREQUEST_BUDGET` out of range, checked before the key is.
 */
export async function withSession(request: KeyedRequest, env: Env): Promise<void> {
  const limit = subrequestBudget(env);
  const caller = await authenticate(request, env);
  request.edge.key = caller.name;
  request.edge.key_lookup = caller.lookup;
  await rateLimit(caller, env);
  const { client, budget } = upstreamClient({
    token: caller.upstreamToken,
    baseUrl: upstreamUrl(env),
    limit,
    requestId: request.edge.id,
  });
  request.edge.budget = budget;
  request.session = { caller, client, budget };
}

/**
 * Applies the key's rate limit (`[[ratelimits]]`, per key and per Cloudflare location).
 *
 * @throws {EdgeError} 429 with `Retry-After: 60` over the limit.
 */
async function rateLimit(caller: Caller, env: Env): Promise<void> {
  if (!env.RATE_LIMITER) return;
  const { success } = await env.RATE_LIMITER.limit({ key: caller.id });
  if (!success) {
    throw new EdgeError(
      429,
      "TOO_MANY_REQUESTS",
      "Too many requests for this API key; retry later",
      {
        headers: { "Retry-After": "60" },
      },
    );
  }
}

/** The upstream API root this Worker talks to (`TOLOKA_API_URL`, production by default). */
export function upstreamUrl(env: Env): string {
  return env.TOLOKA_API_URL || ENVIRONMENTS.production;
}

/**
 * A client of the upstream API for one invocation (a request, or a Workflow step), with its own
 * budget of `limit` requests, at most 6 open at once. Every request carries `requestId` as
 * `X-Request-Id`, so one invocation's subrequests can be traced upstream.
 */
export function upstreamClient(options: {
  token: string;
  baseUrl: string;
  limit: number;
  requestId: string;
  /** Sends a request; the runtime's `fetch` by default. */
  fetch?: (request: Request) => Promise<Response>;
}): { client: AttachmentsClient; budget: RequestBudget } {
  const budget = new RequestBudget({ limit: options.limit, concurrency: MAX_CONNECTIONS });
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const client = new AttachmentsClient({
    token: options.token,
    baseUrl: options.baseUrl,
    fetch: (upstream: Request) => {
      upstream.headers.set("X-Request-Id", options.requestId);
      return send(upstream);
    },
    retries: 2,
    budget,
  });
  return { client, budget };
}
