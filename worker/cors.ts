/**
 * CORS for the configured origins only. Hand-written rather than itty's `cors()` because the
 * allowed origins come from `env` at request time, and because responses from the edge cache have
 * immutable headers (itty-router#242): every response here is rebuilt before headers are added.
 *
 * @module
 */

/**
 * Parses `CORS_ORIGINS` into a set; empty means CORS is off. Each entry must be an origin exactly
 * as browsers send it: `https://app.example` or `http://host:port`, no path, no trailing slash.
 * `*` would let every site on the web read answers with any key pasted into it, and `null` is the
 * origin of sandboxed frames, `file:` pages and redirects, which anyone can produce: both are
 * refused, as is anything a browser would never send (it could only be a typo).
 *
 * @throws {Error} Naming every bad entry. The Worker then answers every request 500
 * `INTERNAL_ERROR` (`/health` included: a health check must not say ok while every API call
 * fails) and writes this message in each request's log line.
 */
export function allowedOrigins(setting: string | undefined): Set<string> {
  const entries = (setting ?? "").split(",").map((o) => o.trim()).filter(Boolean);
  const bad = entries.filter((entry) => !isOrigin(entry));
  if (bad.length > 0) {
    throw new Error(
      `CORS_ORIGINS must list origins such as https://app.example (scheme, host and port only; never * or null): current value has ${
        bad.map((entry) => JSON.stringify(entry)).join(", ")
      }`,
    );
  }
  return new Set(entries);
}

/** {@link allowedOrigins}, or none when the setting is refused (its error is answered elsewhere). */
export function allowedOriginsOrNone(setting: string | undefined): Set<string> {
  try {
    return allowedOrigins(setting);
  } catch {
    return new Set();
  }
}

function isOrigin(entry: string): boolean {
  // Host names, IPv4 and bracketed IPv6 only: URL() would take `https://*.example` as a host.
  if (!/^https?:\/\/[a-z0-9.\-[\]:]+$/.test(entry)) return false;
  try {
    return new URL(entry).origin === entry;
  } catch {
    return false;
  }
}

/**
 * The answer to a preflight (`OPTIONS`), or `null`. With CORS off there are no preflights:
 * `OPTIONS` is then a method like any other the Worker does not allow.
 */
export function preflight(request: Request, origins: Set<string>): Response | null {
  if (request.method !== "OPTIONS" || origins.size === 0) return null;
  const origin = request.headers.get("Origin");
  const headers = new Headers({ Vary: "Origin" });
  if (origin !== null && origins.has(origin)) {
    headers.set("Access-Control-Allow-Origin", origin);
    headers.set("Access-Control-Allow-Methods", "GET, OPTIONS");
    headers.set("Access-Control-Allow-Headers", "Authorization");
    headers.set("Access-Control-Max-Age", "600");
  }
  return new Response(null, { status: 204, headers });
}

/** Adds CORS headers to an actual response when the request's origin is allowed. */
export function corsHeaders(request: Request, origins: Set<string>, headers: Headers): void {
  const origin = request.headers.get("Origin");
  if (origins.size === 0) return;
  // A preflight answer has it already.
  if (!/(^|,)\s*origin\s*(,|$)/i.test(headers.get("Vary") ?? "")) headers.append("Vary", "Origin");
  if (origin === null || !origins.has(origin)) return;
  headers.set("Access-Control-Allow-Origin", origin);
  headers.set(
    "Access-Control-Expose-Headers",
    "X-Request-Id, Content-Disposition, Content-Length, Retry-After",
  );
}
