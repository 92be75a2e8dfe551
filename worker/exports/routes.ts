/**
 * The export job routes:
 *
 * - `POST /api/v1/exports` → `202`, `Location`, the job;
 * - `GET /api/v1/exports/{id}` → the job (its `download_url` signed afresh);
 * - `GET /api/v1/exports/{id}/download` → the result from R2 (`Range` supported), with the owner's
 *   key or a signed link and no key at all;
 * - `DELETE /api/v1/exports/{id}` → `204`: cancels the job and deletes its result.
 *
 * A job belongs to the key that created it: any other key gets `404`, whatever its scope.
 *
 * @module
 */

import type { EdgeRequest, Env, ExecutionContext } from "../env_context.ts";
import { EdgeError } from "../errors.ts";
import { scopeFilter } from "../scope.ts";
import { assertNoQuery } from "../no_query.ts";
import type { KeyedRequest } from "../session.ts";
import { deleteJobObjects } from "./compose.ts";
import {
  exportTtlDays,
  isJobId,
  jobKeys,
  type JobParams,
  type JobRecord,
  newJobId,
  readJob,
  reconcile,
  resultFileName,
  resultMediaType,
  writeJob,
} from "./job.ts";
import { ownerActive } from "./owner.ts";
import { readJobRequest } from "./request.ts";
import type { R2Bucket, Workflow, WorkflowInstanceStatus } from "./runtime.ts";
import { checkLink, signLink } from "./signing.ts";

/** The bindings export jobs need. */
interface ExportBindings {
  bucket: R2Bucket;
  jobs: Workflow<JobParams>;
  secret: string;
}

function bindings(env: Env): ExportBindings {
  if (!env.EXPORTS || !env.EXPORT_JOBS || !env.TOKEN_SEALING_KEY) {
    throw new EdgeError(
      503,
      "REMOTE_SERVICE_UNAVAILABLE",
      "Export jobs are not configured on this Worker (EXPORT_JOBS, EXPORTS)",
    );
  }
  // Fails loudly (a 500 with a log line) on a bad var before a job is made.
  exportTtlDays(env.EXPORT_TTL_DAYS);
  return { bucket: env.EXPORTS, jobs: env.EXPORT_JOBS, secret: env.TOKEN_SEALING_KEY };
}

/** What the request's log line says about the job (its id; whether a signed link was used). */
function logJob(request: EdgeRequest, id: string, link = false): void {
  const edge = request.edge as EdgeRequest["edge"] & { export_job?: string; link?: boolean };
  edge.export_job = id;
  if (link) edge.link = true;
}

function notFound(): EdgeError {
  return new EdgeError(404, "DOES_NOT_EXIST", "Export job not found");
}

function jobId(request: EdgeRequest): string {
  const id = request.params.id ?? "";
  if (!isJobId(id)) throw notFound();
  return id;
}

/** The job as the API shows it. */
async function view(
  record: JobRecord,
  secret: string,
  origin: string,
  now: number,
): Promise<Record<string, unknown>> {
  const downloadable = record.status === "complete" && record.expires_at !== null &&
    Date.parse(record.expires_at) > now;
  const download_url = downloadable
    ? `${origin}/api/v1/exports/${record.id}/download?${await signLink(
      secret,
      record.id,
      record.owner,
      now,
    )}`
    : null;
  return {
    id: record.id,
    status: record.status,
    format: record.format,
    filter: record.filter,
    order: record.order,
    items: record.items,
    files: record.files,
    bytes: record.bytes,
    created_at: record.created_at,
    updated_at: record.updated_at,
    expires_at: record.expires_at,
    download_url,
    error: record.error,
  };
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Cache-Control": "no-store",
      ...headers,
    },
  });
}

/** `POST /api/v1/exports`. */
export async function createExport(request: KeyedRequest, env: Env): Promise<Response> {
  const { caller, client } = request.session;
  const { bucket, jobs, secret } = bindings(env);
  refuseOtherParameters(request);
  const spec = await readJobRequest(request);
  // The same scope rules as the listing: another pool is 403 before anything is made.
  const filter = await scopeFilter(caller, spec.filter, client, request.signal);
  const now = new Date();
  const id = newJobId();
  const record: JobRecord = {
    v: 1,
    id,
    owner: caller.id,
    status: "queued",
    format: spec.format,
    filter: spec.filter,
    order: spec.order,
    items: 0,
    files: 0,
    bytes: 0,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    completed_at: null,
    expires_at: null,
    size: null,
    error: null,
  };
  await writeJob(bucket, record);
  try {
    dispose(
      await jobs.create({
        id,
        params: { id, owner: caller.id, format: spec.format, order: spec.order, filter },
      }),
    );
  } catch (error) {
    await writeJob(bucket, {
      ...record,
      status: "failed",
      error: { code: "INTERNAL_ERROR", message: "The export job could not start", payload: null },
    });
    throw error;
  }
  logJob(request, id);
  const origin = new URL(request.url).origin;
  return json(await view(record, secret, origin, now.getTime()), 202, {
    Location: `/api/v1/exports/${id}`,
  });
}

/** Releases an RPC stub of the Workflow binding (workerd warns about stubs left to the GC). */
function dispose(stub: unknown): void {
  (stub as { [Symbol.dispose]?: () => void })[Symbol.dispose]?.();
}

async function instanceStatus(
  jobs: Workflow<JobParams>,
  id: string,
): Promise<WorkflowInstanceStatus | null> {
  try {
    const instance = await jobs.get(id);
    try {
      const status = await instance.status();
      dispose(status);
      return status;
    } finally {
      dispose(instance);
    }
  } catch {
    return null;
  }
}

/** The query of a job route with the parameters it takes left out: any other is a 400. */
function refuseOtherParameters(request: EdgeRequest, takes: readonly string[] = []): void {
  const params = new URLSearchParams(new URL(request.url).search);
  for (const name of takes) params.delete(name);
  assertNoQuery(params);
}

/** The parameters of a signed download link. */
const LINK_PARAMETERS = ["expires", "signature"] as const;

/** The caller's own job, or 404. */
async function ownJob(
  request: KeyedRequest,
  env: Env,
  takes: readonly string[] = [],
): Promise<{ record: JobRecord; exports: ExportBindings }> {
  const { caller } = request.session;
  const exports = bindings(env);
  const id = jobId(request);
  refuseOtherParameters(request, takes);
  logJob(request, id);
  const record = await readJob(exports.bucket, id);
  if (record === null || record.owner !== caller.id) throw notFound();
  return { record, exports };
}

/** `GET /api/v1/exports/{id}`. */
export async function getExport(request: KeyedRequest, env: Env): Promise<Response> {
  const { record, exports } = await ownJob(request, env);
  const current = reconcile(record, await instanceStatus(exports.jobs, record.id));
  return json(await view(current, exports.secret, new URL(request.url).origin, Date.now()));
}

/** `DELETE /api/v1/exports/{id}`: cancels the job and deletes its result. */
export async function deleteExport(
  request: KeyedRequest,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response> {
  const { record, exports } = await ownJob(request, env);
  const now = new Date().toISOString();
  // The record first: every step reads it and stops; then the instance, if it still runs.
  await writeJob(exports.bucket, {
    ...record,
    status: "cancelled",
    updated_at: now,
    expires_at: null,
  });
  try {
    const instance = await exports.jobs.get(record.id);
    try {
      await instance.terminate();
    } finally {
      dispose(instance);
    }
  } catch {
    // Already finished (or never started): nothing to stop.
  }
  ctx.waitUntil(deleteJobObjects(exports.bucket, record.id));
  return new Response(null, { status: 204 });
}

/**
 * `GET /api/v1/exports/{id}/download` with a signed link (`expires` + `signature`) and no key:
 * route middleware before `withSession`, which answers such a request itself and passes any
 * other on (returns nothing) to {@link downloadExport}.
 */
export async function downloadBySignedLink(
  request: EdgeRequest,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response | undefined> {
  const url = new URL(request.url);
  const signed = url.searchParams.has("signature") || url.searchParams.has("expires");
  if (!signed || request.headers.has("Authorization")) return undefined;
  const exports = bindings(env);
  const id = jobId(request);
  refuseOtherParameters(request, LINK_PARAMETERS);
  logJob(request, id, true);
  const found = await readJob(exports.bucket, id);
  if (found === null) throw notFound();
  const now = Date.now();
  const check = await checkLink(exports.secret, id, found.owner, url.searchParams, now);
  if (check === "invalid") {
    throw new EdgeError(403, "ACCESS_DENIED", "This download link is not valid");
  }
  if (check === "expired") {
    throw new EdgeError(
      403,
      "ACCESS_DENIED",
      "This download link has expired; get the job again for a fresh one",
    );
  }
  if (!(await ownerActive(env.TOKENS, exports.secret, found.owner, now))) {
    throw new EdgeError(403, "ACCESS_DENIED", "The API key of this export is no longer valid");
  }
  return await result(request, found, exports, ctx);
}

/** `GET /api/v1/exports/{id}/download` with the owner's key. */
export async function downloadExport(
  request: KeyedRequest,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response> {
  const { record, exports } = await ownJob(request, env, LINK_PARAMETERS);
  return await result(request, record, exports, ctx);
}

/** A job's result from R2 (`Range` supported), once the caller may have it. */
async function result(
  request: EdgeRequest,
  record: JobRecord,
  exports: ExportBindings,
  ctx: ExecutionContext,
): Promise<Response> {
  if (record.status === "cancelled") {
    throw new EdgeError(410, "GONE", "This export was cancelled and its result deleted");
  }
  if (record.status !== "complete" || record.size === null) {
    throw new EdgeError(409, "CONFLICT", `This export is ${record.status}, not complete`);
  }
  if (record.expires_at === null || Date.parse(record.expires_at) <= Date.now()) {
    ctx.waitUntil(deleteJobObjects(exports.bucket, record.id));
    throw new EdgeError(410, "GONE", "This export's result has expired");
  }
  const size = record.size;
  const range = parseRange(request.headers.get("Range"), size);
  if (range === "unsatisfiable") {
    return new Response(null, {
      status: 416,
      headers: { "Content-Range": `bytes */${size}`, "Accept-Ranges": "bytes" },
    });
  }
  const object = await exports.bucket.get(
    jobKeys.result(record.id, record.format),
    range === null ? {} : { range: { offset: range.start, length: range.end - range.start + 1 } },
  );
  if (object === null) throw new EdgeError(410, "GONE", "This export's result has expired");
  const headers = new Headers({
    "Content-Type": resultMediaType(record.format),
    "Content-Disposition": `attachment; filename="${resultFileName(record)}"`,
    "Accept-Ranges": "bytes",
    ETag: object.httpEtag,
    // `no-transform`: compressing on the way out would drop Content-Length (and break Range).
    "Cache-Control": "private, no-store, no-transform",
  });
  if (range === null) {
    headers.set("Content-Length", String(size));
    return new Response(object.body, { status: 200, headers });
  }
  headers.set("Content-Length", String(range.end - range.start + 1));
  headers.set("Content-Range", `bytes ${range.start}-${range.end}/${size}`);
  return new Response(object.body, { status: 206, headers });
}

/**
 * One byte range of a `Range` header (`bytes=a-b`, `bytes=a-`, `bytes=-n`), clamped to the size;
 * `null` for none (or several, or a malformed one: the whole result is sent, as RFC 9110 allows).
 */
export function parseRange(
  header: string | null,
  size: number,
): { start: number; end: number } | null | "unsatisfiable" {
  if (header === null) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return null;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return "unsatisfiable";
  if (end < start) return null;
  return { start, end };
}
