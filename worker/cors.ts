/**
 * CORS for the configured origins only. Hand-written rather than itty's `cors()` because the
 * allowed origins come from `env` at request time, and because responses from the edge cache have
 * immutable headers (itty-router#242): every response here is rebuilt before headers are added.
 *
 * @module
 */

/** Parses `CORS_ORIGINS` into a set; empty means CORS is off. */
export function allowedOrigins(setting: string | undefined): Set<string> {
  return new Set((setting ?? "").split(",").map((o) => o.trim()).filter(Boolean));
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
