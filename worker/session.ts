/**
 * The start of every keyed route: authenticate the key, apply its rate limit, and give the route
 * a client of the upstream API that speaks with the key's own Toloka token.
 *
 * @module
 */

import { AttachmentsClient } from "../mod.ts";
import { authenticate, type Caller } from "./auth.ts";
import type { EdgeRequest } from "./context.ts";
import type { Env } from "./env.ts";
import { EdgeError } from "./errors.ts";

const DEFAULT_UPSTREAM = "https://toloka.dev/api/v1";

/** An authenticated caller and the upstream client made for its request. */
export interface Session {
  caller: Caller;
  client: AttachmentsClient;
}

/**
 * Authenticates the request, applies the key's rate limit and makes its upstream client.
 *
 * @throws {EdgeError} 401 for a missing, unknown or expired key; 429 over the key's rate limit.
 */
export async function openSession(
  request: EdgeRequest,
  env: Env,
): Promise<Session> {
  const caller = await authenticate(request, env);
  request.edge.key = caller.name;
  request.edge.key_lookup = caller.lookup;
  if (env.RATE_LIMITER) {
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
  const client = new AttachmentsClient({
    token: caller.upstreamToken,
    baseUrl: env.TOLOKA_API_URL || DEFAULT_UPSTREAM,
    fetch: (upstream: Request) => fetch(upstream),
    retries: 2,
  });
  return { caller, client };
}
