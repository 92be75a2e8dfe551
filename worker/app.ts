/**
 * The edge Worker's routes: Toloka-compatible attachment listings behind scoped API keys kept in
 * KV. An itty-router `AutoRouter` whose stages do the cross-cutting work in one place each:
 * `before` starts the request's state and answers CORS preflights, `catch` maps every error to
 * Toloka's body, `finally` adds `X-Request-Id` and CORS headers and writes the log line. Keyed
 * routes chain route middleware before their handler: `withSession` authenticates the key,
 * applies its rate limit and opens the upstream session the handler uses.
 *
 * Apart from the entry (`index.ts`), which adds the export jobs' Workflow class (from the runtime
 * module `cloudflare:workers`), so the routes also run outside workerd: `bench/worker_js.ts` times
 * them in Deno.
 *
 * @module
 */

import { AutoRouter, type RequestHandler } from "itty-router";
import type { EdgeArgs, EdgeRequest, Env, ExecutionContext } from "./env_context.ts";
import { allowedOrigins, allowedOriginsOrNone, corsHeaders, preflight } from "./cors.ts";
import { EdgeError, errorResponse, toEdgeError } from "./errors.ts";
import { GALLERY_PATHS, galleryFile } from "./gallery.ts";
import { exportAttachments } from "./export_route.ts";
import {
  createExport,
  deleteExport,
  downloadBySignedLink,
  downloadExport,
  getExport,
} from "./exports/routes.ts";
import {
  downloadAttachment,
  downloadCacheConfigured,
  getAttachment,
  health,
  listAttachments,
} from "./routes.ts";
import { type KeyedRequest, withSession } from "./session.ts";

/** The `before` stage: the request's state (id, start), and CORS preflights answered. */
function startRequest(request: EdgeRequest, env: Env): Response | undefined {
  request.edge = { id: crypto.randomUUID(), start: Date.now() };
  // A refused CORS_ORIGINS throws here, before any route: every request is a 500 whose log line
  // says why (a silent hole, or a health check saying ok while every call fails, would be worse).
  return preflight(request, allowedOrigins(env.CORS_ORIGINS)) ?? undefined;
}

function fail(error: unknown, request: EdgeRequest): Response {
  const { error: edge, reason } = toEdgeError(error);
  request.edge.failure = reason;
  return errorResponse(edge, request.edge.id);
}

function finish(
  response: Response,
  request: EdgeRequest,
  env: Env,
  ctx: ExecutionContext,
): Response {
  // Rebuilt so headers are mutable (a response from the edge cache has immutable headers).
  const out = new Response(response.body, response);
  out.headers.set("X-Request-Id", request.edge.id);
  out.headers.set("X-Content-Type-Options", "nosniff");
  corsHeaders(request, allowedOriginsOrNone(env.CORS_ORIGINS), out.headers);
  const log = (): void => {
    const { id, start, streamed: _, budget, ...rest } = request.edge;
    // deno-lint-ignore no-console -- the one structured log line of the request
    console.log(JSON.stringify({
      request_id: id,
      method: request.method,
      route: request.route ?? null,
      status: out.status,
      duration_ms: Date.now() - start,
      ...rest,
      ...(budget ? { subrequests: budget.used, peak_connections: budget.peakOpen } : {}),
    }));
  };
  // An export's line waits for its stream to end, so it can say how many items went out; a
  // download's waits for its cache write.
  if (request.edge.streamed) ctx.waitUntil(request.edge.streamed.then(log));
  else log();
  return out;
}

function notFound(request: EdgeRequest): Response {
  // A HEAD of an API route is refused like any method but GET (a HEAD of an export or a download
  // would start upstream work for nothing); only a path that no route serves is 404.
  const missing = request.method === "GET" ||
    (request.method === "HEAD" && !servesGet(new URL(request.url).pathname));
  const error = missing
    ? new EdgeError(404, "DOES_NOT_EXIST", "No such route")
    : new EdgeError(405, "METHOD_NOT_ALLOWED", `Method ${request.method} is not allowed`, {
      headers: { Allow: "GET" },
    });
  request.edge.failure = error.code;
  return errorResponse(error, request.edge.id);
}

function favicon(): Response {
  return new Response(null, { status: 204 });
}

/** The routes that need no key. */
const STATIC_ROUTES: [string, RequestHandler<EdgeRequest, EdgeArgs>][] = [
  ...GALLERY_PATHS.map((path): [string, RequestHandler<EdgeRequest, EdgeArgs>] => [
    path,
    galleryFile(path),
  ]),
  ["/favicon.ico", favicon],
  ["/health", health],
];

/**
 * The Worker's router: `router.fetch(request, env, ctx)` answers any request (the entry point in
 * `index.ts` exports it as the Worker's `fetch`).
 *
 * @example
 * ```ts ignore
 * const response = await router.fetch(new Request("https://edge.example/health"), env, ctx);
 * ```
 */
export const router = AutoRouter<EdgeRequest, EdgeArgs>({
  before: [startRequest],
  catch: fail,
  finally: [finish],
  missing: notFound,
});

/** Whether a GET route serves this path. */
function servesGet(path: string): boolean {
  return router.routes.some(([method, pattern]) => method === "GET" && pattern.test(path));
}

// The routes that need no key also answer HEAD (uptime checks use it): their GET answer, whose
// body the runtime drops.
for (const [path, handler] of STATIC_ROUTES) router.get(path, handler).head(path, handler);
// Keyed routes: `withSession` first, so each handler receives a ready session.
router
  .get<KeyedRequest, EdgeArgs>("/api/v1/attachments", withSession, listAttachments)
  .get<KeyedRequest, EdgeArgs>(
    "/api/v1/attachments.ndjson",
    withSession,
    exportAttachments("ndjson"),
  )
  .get<KeyedRequest, EdgeArgs>("/api/v1/attachments.csv", withSession, exportAttachments("csv"))
  .get<KeyedRequest, EdgeArgs>("/api/v1/attachments/:id", withSession, getAttachment)
  .get<KeyedRequest, EdgeArgs>(
    "/api/v1/attachments/:id/download",
    downloadCacheConfigured,
    withSession,
    downloadAttachment,
  )
  .post<KeyedRequest, EdgeArgs>("/api/v1/exports", withSession, createExport)
  .get<KeyedRequest, EdgeArgs>("/api/v1/exports/:id", withSession, getExport)
  // A signed link needs no key: that middleware answers it, and passes any other request on.
  .get<KeyedRequest, EdgeArgs>(
    "/api/v1/exports/:id/download",
    downloadBySignedLink,
    withSession,
    downloadExport,
  )
  .delete<KeyedRequest, EdgeArgs>("/api/v1/exports/:id", withSession, deleteExport);
