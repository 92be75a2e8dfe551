/**
 * Authenticates a request by its API key and returns who is calling.
 *
 * @module
 */

import type { Env } from "./env_context.ts";
import { EdgeError } from "./errors.ts";
import { KeyCache } from "./key_cache.ts";

/** An authenticated caller. */
export interface Caller {
  /** The key's name, for logs. */
  name: string;
  /** The pools this key may see, or `null` for every pool of the upstream token. */
  pools: ReadonlySet<string> | null;
  /** The opened upstream token; never logged or returned. */
  upstreamToken: string;
  /** The KV key of the record (a hash): the rate limiter's key and the cache partition. */
  id: string;
  /** Whether this lookup read KV or was answered by the isolate's cache (for the log line). */
  lookup: "kv" | "cache";
}

const SCHEMES = new Set(["oauth", "apikey", "bearer"]);
let cache: KeyCache | undefined;

function keyCache(env: Env): KeyCache {
  if (!cache) {
    const ttl = Number(env.KEY_CACHE_TTL_MS ?? "10000");
    cache = new KeyCache({ ttlMs: Number.isFinite(ttl) && ttl >= 0 ? ttl : 10_000 });
  }
  return cache;
}

/** KV reads made by this isolate's key lookups (for the overhead benchmark). */
export function keyLookupReads(): number {
  return cache?.kvReads ?? 0;
}

/**
 * Reads `Authorization: OAuth|ApiKey|Bearer <key>` and resolves the key.
 *
 * @throws {EdgeError} 401 AUTHENTICATION_ERROR for a missing header, another scheme, an unknown,
 * revoked or expired key, a record that does not open (changed after it was sealed, or sealed
 * under another sealing key: fails closed) and a v1 record (until `keys migrate` reseals it);
 * 500 when the Worker has no sealing key.
 */
export async function authenticate(request: Request, env: Env): Promise<Caller> {
  const header = request.headers.get("Authorization");
  if (header === null) throw unauthenticated("Missing Authorization header");
  const match = /^(\S+) +(\S+)\s*$/.exec(header);
  if (!match || !SCHEMES.has(match[1]!.toLowerCase())) {
    throw unauthenticated("Authorization must be 'OAuth <key>', 'ApiKey <key>' or 'Bearer <key>'");
  }
  if (!env.TOKEN_SEALING_KEY) throw new Error("TOKEN_SEALING_KEY is not configured");
  const keys = keyCache(env);
  const readsBefore = keys.kvReads;
  const lookup = await keys.lookup(env.TOKENS, env.TOKEN_SEALING_KEY, match[2]!);
  if (lookup.status === "unknown") throw unauthenticated("Unknown or revoked API key");
  if (lookup.status === "expired") throw unauthenticated("This API key has expired");
  if (lookup.status === "unsealable") {
    // Indistinguishable here: a record changed after it was sealed (a widened scope, say), or one
    // sealed under another TOKEN_SEALING_KEY. Either way the key is not usable as it stands.
    throw unauthenticated("This API key's record failed its integrity check; ask for a new key", {
      reason:
        "key record does not open under TOKEN_SEALING_KEY (changed after sealing, or sealed under another key)",
    });
  }
  if (lookup.status === "outdated") {
    throw unauthenticated(
      "This API key's record is of an old format (v1) that this Worker refuses until its operator migrates it (keys migrate)",
      { reason: "key record v1: run keys migrate" },
    );
  }
  const { record } = lookup;
  return {
    name: record.name,
    pools: record.pools === null ? null : new Set(record.pools),
    upstreamToken: lookup.upstreamToken,
    id: lookup.kvKey,
    lookup: keys.kvReads > readsBefore ? "kv" : "cache",
  };
}

function unauthenticated(message: string, options: { reason?: string } = {}): EdgeError {
  return new EdgeError(401, "AUTHENTICATION_ERROR", message, options);
}
