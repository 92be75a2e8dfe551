/**
 * The route handlers. Each is thin: authenticate, validate, scope, call the core, shape the answer.
 *
 * @module
 */

import { type Attachment, AttachmentsClient } from "../mod.ts";
import { authenticate, type Caller } from "./auth.ts";
import { csvAttachment, csvErrorLine, csvHeader } from "./csv.ts";
import type { Env } from "./env.ts";
import { EdgeError, toEdgeError } from "./errors.ts";
import { downloadCache, downloadCacheKey, storeDownload, withLength } from "./download_cache.ts";
import { type ExportFormat, exportStream } from "./export_stream.ts";
import type { ExecutionContext } from "./kv.ts";
import { parseExportQuery, parseListQuery } from "./params.ts";
import { inScope, scopeFilter } from "./scope.ts";
import { toWireAttachment as toWire } from "../src/raw_created.ts";
import type { EdgeRequest } from "./context.ts";

const DEFAULT_UPSTREAM = "https://toloka.dev/api/v1";
// `no-transform`: Cloudflare (and Miniflare) would gzip text types on the way out and drop
// Content-Length, which download tools use for progress and completeness checks.
const IMMUTABLE = "max-age=31536000, immutable, no-transform";

/** `GET /health`: no auth, no upstream. */
export function health(): Response {
  return json({ status: "ok" });
}

/** `GET /api/v1/attachments`: one page, the same parameters and body as upstream. */
export async function listAttachments(request: EdgeRequest, env: Env): Promise<Response> {
  const { caller, client } = await begin(request, env);
  const query = parseListQuery(new URL(request.url).searchParams);
  const filter = await scopeFilter(caller, query.filter, client, request.signal);
  if (filter === null) return json({ items: [], has_more: false });
  const page = await client.findAttachments(filter, { ...query.options, signal: request.signal });
  const items = page.items.filter((item) => inScope(caller, item)).map(toWire);
  return json({ items, has_more: page.has_more });
}

/** `GET /api/v1/attachments/{id}`: one attachment, `404` when out of scope. */
export async function getAttachment(request: EdgeRequest, env: Env): Promise<Response> {
  const { caller, client } = await begin(request, env);
  const item = await visibleAttachment(caller, client, pathId(request), request.signal);
  return json(toWire(item));
}

/** `GET /api/v1/attachments.ndjson` and `.csv`: every match, streamed as it pages. */
export function exportAttachments(
  format: "ndjson" | "csv",
): (request: EdgeRequest, env: Env) => Promise<Response> {
  return async (request: EdgeRequest, env: Env): Promise<Response> => {
    const { caller, client } = await begin(request, env);
    const query = parseExportQuery(new URL(request.url).searchParams);
    const filter = await scopeFilter(caller, query.filter, client, request.signal);
    const pages = filter === null
      ? emptyPages()
      : client.getAttachmentPages(filter, { order: query.order, signal: request.signal })
        [Symbol.asyncIterator]();
    const scoped = mapPages(
      pages,
      (items) => items.filter((i) => inScope(caller, i)),
    );
    let ended!: () => void;
    const streamed = new Promise<void>((resolve) => ended = resolve);
    const body = await exportStream(
      scoped,
      format === "csv" ? csvFormat(request) : ndjsonFormat(request),
      (end) => {
        request.edge.exported = end.items;
        if (end.error !== null) request.edge.failure = toEdgeError(end.error).reason;
        ended();
      },
      request.signal,
    );
    // Only now: a first page that fails is answered (and logged) as an error, not a stream.
    request.edge.streamed = streamed;
    return new Response(body, {
      headers: {
        "Content-Type": format === "csv"
          ? "text/csv; charset=utf-8"
          : "application/x-ndjson; charset=utf-8",
        "Content-Disposition": `attachment; filename="attachments.${format}"`,
        "Cache-Control": "no-store",
      },
    });
  };
}

/**
 * `GET /api/v1/attachments/{id}/download`: the bytes, streamed. The key is authorised first (its
 * scope checked against the attachment's pool); only then is the edge cache consulted, whose
 * entries are partitioned by upstream account (see `download_cache.ts`).
 */
export async function downloadAttachment(
  request: EdgeRequest,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response> {
  const { caller, client } = await begin(request, env);
  const id = pathId(request);
  const cache = downloadCache();
  const cacheKey = await downloadCacheKey(caller.upstreamToken, id);
  const hit = await cache?.match(cacheKey);
  if (hit && (caller.pools === null || caller.pools.has(hit.headers.get(POOL_HEADER) ?? ""))) {
    request.edge.cache = "hit";
    return clientDownload(hit);
  }
  await hit?.body?.cancel();
  const item = await visibleAttachment(caller, client, id, request.signal);
  const download = await client.downloadAttachment(id, { signal: request.signal });
  const headers = new Headers({
    "Content-Type": download.mediaType,
    "Content-Disposition": contentDisposition(download.fileName ?? item.name ?? id),
    "Cache-Control": `public, ${IMMUTABLE}`,
    [POOL_HEADER]: item.details?.pool_id ?? "",
  });
  if (download.size !== undefined) headers.set("Content-Length", String(download.size));
  request.edge.cache = "miss";
  // Only a file of known length can be checked whole, so only such a file is cached.
  if (!cache || download.size === undefined) {
    return clientDownload(new Response(download.body, { headers }));
  }
  const [forCaller, forCache] = download.body.tee();
  const stored = storeDownload(cache, cacheKey, forCache, headers, download.size).catch(() => {
    request.edge.failure = "edge cache write failed";
  });
  ctx.waitUntil(stored);
  // The log line waits for the cache write, so it tells whether later downloads can hit.
  request.edge.streamed = stored;
  return clientDownload(new Response(forCaller, { headers }));
}

// --- helpers ---------------------------------------------------------------------------------

const POOL_HEADER = "X-Edge-Pool-Id";

async function begin(
  request: EdgeRequest,
  env: Env,
): Promise<{ caller: Caller; client: AttachmentsClient }> {
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
 * The caller's copy: without the internal pool header, privately cacheable, and with its length
 * declared, so a body cut short fails for the caller instead of looking complete.
 */
function clientDownload(response: Response): Response {
  const headers = new Headers(response.headers);
  headers.delete(POOL_HEADER);
  // The file never changes, but it was authorised for one caller: browsers may keep it, shared
  // caches may not.
  headers.set("Cache-Control", `private, ${IMMUTABLE}`);
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

async function* emptyPagesGen(): AsyncGenerator<Attachment[]> {}
function emptyPages(): AsyncIterator<Attachment[]> {
  return emptyPagesGen();
}

function mapPages(
  pages: AsyncIterator<{ items: Attachment[] } | Attachment[]>,
  pick: (items: Attachment[]) => Attachment[],
): AsyncIterator<Attachment[]> {
  return {
    async next(): Promise<IteratorResult<Attachment[]>> {
      const next = await pages.next();
      if (next.done) return { done: true, value: undefined };
      return {
        done: false,
        value: pick(Array.isArray(next.value) ? next.value : next.value.items),
      };
    },
    async return(): Promise<IteratorResult<Attachment[]>> {
      await pages.return?.();
      return { done: true, value: undefined };
    },
  };
}

function ndjsonFormat(request: EdgeRequest): ExportFormat<Attachment> {
  return {
    header: "",
    page: (items: readonly Attachment[]): string =>
      items.map((i) => JSON.stringify(toWire(i)) + "\n").join(""),
    failure: (error: unknown): string => {
      const { error: edge } = toEdgeError(error);
      return JSON.stringify({
        request_id: request.edge.id,
        code: edge.code,
        message: edge.message,
        payload: null,
      }) + "\n";
    },
  };
}

function csvFormat(request: EdgeRequest): ExportFormat<Attachment> {
  return {
    header: csvHeader(),
    page: (items: readonly Attachment[]): string =>
      items.map((i) => csvAttachment(toWire(i))).join(""),
    failure: (error: unknown): string => {
      const { error: edge } = toEdgeError(error);
      return csvErrorLine(edge.code, edge.message, request.edge.id);
    },
  };
}
