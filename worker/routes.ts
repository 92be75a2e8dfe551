/**
 * The route handlers. Each is thin: validate, scope, call the core, shape the answer. The keyed
 * ones run after `withSession` (`session.ts`), which authenticated the key and opened the upstream session.
 *
 * @module
 */

import { type Attachment, type AttachmentsClient, toWireAttachment as toWire } from "../mod.ts";
import type { Caller } from "./auth.ts";
import type { EdgeRequest, Env, ExecutionContext } from "./env_context.ts";
import { EdgeError } from "./errors.ts";
import {
  downloadCache,
  downloadCacheKey,
  downloadCacheTtl,
  isFresh,
  STORED_AT_HEADER,
  storeDownload,
  withLength,
} from "./download_cache.ts";
import { DOWNLOAD_CSP, downloadType } from "./download_type.ts";
import { assertNoQuery } from "./no_query.ts";
import { parseListQuery } from "./params.ts";
import { inScope, scopeFilter } from "./scope.ts";
import type { KeyedRequest } from "./session.ts";

/**
 * The file never changes, but the edge re-checks the upstream after `ttl` seconds, and browsers
 * should not keep it longer either. `no-transform`: Cloudflare (and Miniflare) would gzip text
 * types on the way out and drop Content-Length, which download tools use for progress and
 * completeness checks.
 */
function cacheControl(scope: "public" | "private", ttl: number): string {
  return ttl === 0
    ? `${scope}, no-store, no-transform`
    : `${scope}, max-age=${ttl}, immutable, no-transform`;
}

/** `GET /health`: no auth, no upstream. */
export function health(): Response {
  return json({ status: "ok" });
}

/** `GET /api/v1/attachments`: one page, the same parameters and body as upstream. */
export async function listAttachments(request: KeyedRequest): Promise<Response> {
  const { caller, client } = request.session;
  const query = parseListQuery(new URL(request.url).searchParams);
  const filter = await scopeFilter(caller, query.filter, client, request.signal);
  const page = await client.findAttachments(filter, { ...query.options, signal: request.signal });
  const items = page.items.filter((item) => inScope(caller, item)).map(toWire);
  return json({ items, has_more: page.has_more });
}

/** `GET /api/v1/attachments/{id}`: one attachment, `404` when out of scope. */
export async function getAttachment(request: KeyedRequest): Promise<Response> {
  const { caller, client } = request.session;
  const id = pathId(request);
  assertNoQuery(new URL(request.url).searchParams);
  const item = await visibleAttachment(caller, client, id, request.signal);
  return json(toWire(item));
}

/**
 * Route middleware of the download route, before `withSession`: a `DOWNLOAD_CACHE_TTL_SECONDS`
 * out of range is a configuration error (500, the reason in the log) whoever calls.
 */
export function downloadCacheConfigured(_request: EdgeRequest, env: Env): void {
  downloadCacheTtl(env.DOWNLOAD_CACHE_TTL_SECONDS);
}

/**
 * `GET /api/v1/attachments/{id}/download`: the bytes, streamed. The key is authorised first (its
 * scope checked against the attachment's pool); only then is the edge cache consulted, whose
 * entries are partitioned by upstream account and live `DOWNLOAD_CACHE_TTL_SECONDS` at most (see
 * `download_cache.ts`). Every answer is a sandboxed document, and a type a browser could run
 * script in is served as `application/octet-stream` (see `download_type.ts`).
 */
export async function downloadAttachment(
  request: KeyedRequest,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response> {
  const ttl = downloadCacheTtl(env.DOWNLOAD_CACHE_TTL_SECONDS);
  const { caller, client } = request.session;
  const id = pathId(request);
  assertNoQuery(new URL(request.url).searchParams);
  const cache = ttl === 0 ? undefined : downloadCache();
  const cacheKey = await downloadCacheKey(caller.upstreamToken, id);
  const hit = await cache?.match(cacheKey);
  if (
    hit && isFresh(hit, ttl, Date.now()) &&
    (caller.pools === null || caller.pools.has(hit.headers.get(POOL_HEADER) ?? ""))
  ) {
    request.edge.cache = "hit";
    return clientDownload(hit, ttl);
  }
  await hit?.body?.cancel();
  const item = await visibleAttachment(caller, client, id, request.signal);
  const download = await client.downloadAttachment(id, { signal: request.signal });
  const headers = new Headers({
    "Content-Type": download.mediaType,
    "Content-Disposition": contentDisposition(download.fileName ?? item.name ?? id),
    "Cache-Control": cacheControl("public", ttl),
    [POOL_HEADER]: item.details?.pool_id ?? "",
    [STORED_AT_HEADER]: String(Date.now()),
  });
  if (download.size !== undefined) headers.set("Content-Length", String(download.size));
  request.edge.cache = "miss";
  // Only a file of known length can be checked whole, so only such a file is cached.
  if (!cache || download.size === undefined) {
    return clientDownload(new Response(download.body, { headers }), ttl);
  }
  const [forCaller, forCache] = download.body.tee();
  const stored = storeDownload(cache, cacheKey, forCache, headers, download.size).catch(() => {
    request.edge.failure = "edge cache write failed";
  });
  ctx.waitUntil(stored);
  // The log line waits for the cache write, so it tells whether later downloads can hit.
  request.edge.streamed = stored;
  return clientDownload(new Response(forCaller, { headers }), ttl);
}

// --- helpers ---------------------------------------------------------------------------------

const POOL_HEADER = "X-Edge-Pool-Id";

async function visibleAttachment(
  caller: Caller,
  client: AttachmentsClient,
  id: string,
  signal: AbortSignal,
): Promise<Attachment> {
  const item = await client.getAttachment(id, { signal });
  if (!inScope(caller, item)) {
    throw new EdgeError(404, "DOES_NOT_EXIST", "Attachment not found");
  }
  return item;
}

function pathId(request: EdgeRequest): string {
  let id: string;
  try {
    id = decodeURIComponent(request.params.id ?? "");
  } catch {
    id = "";
  }
  // deno-lint-ignore no-control-regex -- control characters are exactly what is refused
  if (!id || id === "." || id === ".." || id.length > 200 || /[\u0000-\u001f\u007f/]/.test(id)) {
    throw new EdgeError(400, "VALIDATION_ERROR", "Invalid attachment id", {
      payload: { id: { code: "INVALID_FORMAT", message: "Attachment id is malformed" } },
    });
  }
  return id;
}

/**
 * The caller's copy: without the internal headers, privately cacheable, inert in a browser
 * (a sandboxed document of a passive type), and with its length declared, so a body cut short
 * fails for the caller instead of looking complete.
 */
function clientDownload(response: Response, ttl: number): Response {
  const headers = new Headers(response.headers);
  headers.delete(POOL_HEADER);
  headers.delete(STORED_AT_HEADER);
  // It was authorised for one caller: browsers may keep it, shared caches may not.
  headers.set("Cache-Control", cacheControl("private", ttl));
  headers.set("Content-Type", downloadType(headers.get("Content-Type") ?? ""));
  headers.set("Content-Security-Policy", DOWNLOAD_CSP);
  const length = headers.get("Content-Length");
  const body = response.body && length !== null && /^\d+$/.test(length)
    ? withLength(response.body, Number(length))
    : response.body;
  return new Response(body, { status: 200, headers });
}

function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, "_") || "download";
  // A lone surrogate (possible in JSON) would make encodeURIComponent throw.
  const encoded = encodeURIComponent(name.toWellFormed()).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8" },
  });
}
