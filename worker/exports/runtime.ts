/**
 * The slice of the Workers runtime that export jobs touch (R2, Workflows), typed by hand as
 * `worker/env_context.ts` types the rest, so the Worker type-checks in the same TypeScript world as
 * the core.
 *
 * @module
 */

/** An object's metadata, as `head`, `put` and `list` return it. */
export interface R2Object {
  key: string;
  size: number;
  etag: string;
  httpEtag: string;
  uploaded: Date;
}

/** An object with its body. */
export interface R2ObjectBody extends R2Object {
  body: ReadableStream<Uint8Array>;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}

/** A byte range of a `get`. */
export type R2Range = { offset: number; length?: number } | { suffix: number };

/** How an object is served. */
export interface R2HttpMetadata {
  contentType?: string;
  contentDisposition?: string;
}

/** One uploaded part of a multipart upload. */
export interface R2UploadedPart {
  partNumber: number;
  etag: string;
}

/** A multipart upload in progress. */
export interface R2MultipartUpload {
  readonly key: string;
  readonly uploadId: string;
  uploadPart(partNumber: number, value: Uint8Array | string): Promise<R2UploadedPart>;
  abort(): Promise<void>;
  complete(parts: R2UploadedPart[]): Promise<R2Object>;
}

/** The `[[r2_buckets]]` binding's methods used here. */
export interface R2Bucket {
  head(key: string): Promise<R2Object | null>;
  get(key: string, options?: { range?: R2Range }): Promise<R2ObjectBody | null>;
  /** With `onlyIf`, `null` when the condition fails (nothing is written). */
  put(
    key: string,
    value: Uint8Array | string,
    options?: { httpMetadata?: R2HttpMetadata; onlyIf?: { etagMatches?: string } },
  ): Promise<R2Object | null>;
  delete(keys: string | string[]): Promise<void>;
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<{
    objects: R2Object[];
    truncated: boolean;
    cursor?: string;
  }>;
  createMultipartUpload(
    key: string,
    options?: { httpMetadata?: R2HttpMetadata },
  ): Promise<R2MultipartUpload>;
  resumeMultipartUpload(key: string, uploadId: string): R2MultipartUpload;
}

/** What `instance.status()` answers. */
export interface WorkflowInstanceStatus {
  status:
    | "queued"
    | "running"
    | "paused"
    | "errored"
    | "terminated"
    | "complete"
    | "waiting"
    | "waitingForPause"
    | "unknown";
  error?: { name?: string; message?: string } | null;
  output?: unknown;
}

/** One Workflow instance. */
export interface WorkflowInstance {
  id: string;
  status(): Promise<WorkflowInstanceStatus>;
  terminate(): Promise<void>;
}

/** The `[[workflows]]` binding. */
export interface Workflow<Params> {
  create(options: { id: string; params: Params }): Promise<WorkflowInstance>;
  get(id: string): Promise<WorkflowInstance>;
}

/** What a step's callback receives. */
export interface WorkflowStepContext {
  /** 1 on the first attempt. */
  attempt: number;
}

/** A step's retries and timeout. */
export interface WorkflowStepConfig {
  retries?: {
    limit: number;
    delay: number | string;
    backoff?: "constant" | "linear" | "exponential";
  };
  timeout?: number | string;
}

/** The `step` a Workflow's `run` receives. */
export interface WorkflowStep {
  do<T>(
    name: string,
    config: WorkflowStepConfig,
    callback: (context: WorkflowStepContext) => Promise<T>,
  ): Promise<T>;
}

/** The event a Workflow's `run` receives. */
export interface WorkflowEvent<Params> {
  payload: Readonly<Params>;
  timestamp: Date;
  instanceId: string;
}
