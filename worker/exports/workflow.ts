/**
 * The export job as a Cloudflare Workflow (`EXPORT_JOBS`, class {@linkcode ExportJobs}):
 *
 * 1. `part 0`, `part 1`, ...: each step pages from the checkpointed cursor within
 *    `SUBREQUEST_BUDGET` upstream requests and writes its own objects (`part.ts`); its result,
 *    the next checkpoint, is what the Workflow persists;
 * 2. `completed at`: the instant stamped into the result (checkpointed, so retries agree);
 * 3. `compose 0`, ...: the parts become one R2 object (`compose.ts`);
 * 4. `complete`: the record says so, with `expires_at`;
 * 5. `clean 0`, ...: the part objects are deleted.
 *
 * A failing step is retried by Workflows from its last checkpoint (with exponential backoff);
 * when its retries run out the job is `failed` with the error. Every step first reads the job's
 * record (a `DELETE` marks it `cancelled`) and the owning key's record (revoked or expired: the
 * job fails), and writes one JSON log line: job, step, attempt, items, files, bytes, duration,
 * upstream requests. Never a key, a token or a signature.
 *
 * @module
 */

// @ts-types="./cloudflare_workers.d.ts"
import { WorkflowEntrypoint } from "cloudflare:workers";
import type { Env } from "../env_context.ts";
import { toEdgeError } from "../errors.ts";
import { subrequestBudget, upstreamUrl } from "../session.ts";
import {
  type ComposeState,
  composeStep,
  deleteJobObjects,
  deleteParts,
  firstCompose,
  resultSize,
} from "./compose.ts";
import {
  expiryOf,
  exportTtlDays,
  type JobError,
  type JobParams,
  type JobRecord,
  readJob,
  resultFileName,
  updateJob,
} from "./job.ts";
import { loadOwner } from "./owner.ts";
import { firstPart, type PartState, runPart } from "./part.ts";
import type { WorkflowEvent, WorkflowStep, WorkflowStepConfig } from "./runtime.ts";

/** How often a step may rewrite the job's record with progress (R2: ~1 write/s per object). */
const PROGRESS_INTERVAL_MS = 1000;

function stepConfig(env: Env): WorkflowStepConfig {
  const delay = Number(env.EXPORT_RETRY_DELAY_MS ?? "");
  return {
    retries: {
      limit: 5,
      delay: Number.isFinite(delay) && delay >= 0 && env.EXPORT_RETRY_DELAY_MS
        ? delay
        : "5 seconds",
      backoff: "exponential",
    },
    timeout: "10 minutes",
  };
}

/**
 * Test-only fault injection, `EXPORT_FAULTS`: a comma list of `<step>@<point>` (`part 2@after-write`,
 * `compose 0@before`, `part 1@before`): the step's first attempt throws there. Empty in
 * production.
 */
function injected(env: Env, step: string, point: string, attempt: number): void {
  if (attempt !== 1 || !env.EXPORT_FAULTS) return;
  if (env.EXPORT_FAULTS.split(",").map((s) => s.trim()).includes(`${step}@${point}`)) {
    throw new Error(`Injected failure: ${step} at ${point}`);
  }
}

function log(line: Record<string, unknown>): void {
  // deno-lint-ignore no-console -- the one structured log line of a step
  console.log(JSON.stringify({ export_job: line.job, ...line, job: undefined }));
}

/** The log line of a step attempt that failed (the Workflow retries it from its checkpoint). */
function logFailure(
  step: { job: string; name: string; attempt: number; started: number; subrequests: number },
  error: unknown,
): void {
  log({
    job: step.job,
    step: step.name,
    attempt: step.attempt,
    status: "error",
    items: 0,
    files: 0,
    bytes: 0,
    duration_ms: Date.now() - step.started,
    subrequests: step.subrequests,
    failure: toEdgeError(error).reason,
  });
}

/** The Workflow that builds an export job's result in R2. */
export class ExportJobs extends WorkflowEntrypoint<Env, JobParams> {
  /** Runs the job (workerd calls it; every `step.do` is checkpointed). */
  override async run(event: WorkflowEvent<JobParams>, rawStep: unknown): Promise<unknown> {
    const step = rawStep as WorkflowStep;
    const params = event.payload;
    const config = stepConfig(this.env);
    let state = firstPart();
    try {
      for (let n = 0; !state.done; n++) {
        const from = state;
        state = await step.do(
          `part ${n}`,
          config,
          ({ attempt }) => this.#part(params, from, n, attempt),
        );
      }
      if (state.end !== null) {
        const end = state.end;
        await step.do("end", config, () => this.#end(params, state, end.status, end.error));
        return { status: end.status };
      }
      const final = state;
      const completedAt = await step.do("completed at", config, () => {
        return Promise.resolve(new Date().toISOString());
      });
      let compose: ComposeState & { cancelled?: boolean } = firstCompose();
      while (!compose.done) {
        const from = compose;
        compose = await step.do(
          `compose ${from.step}`,
          config,
          ({ attempt }) => this.#compose(params, final, from, new Date(completedAt), attempt),
        );
      }
      if (compose.cancelled) {
        await step.do("end", config, () => this.#end(params, state, "cancelled", null));
        return { status: "cancelled" };
      }
      const size = compose.size;
      await step.do("complete", config, () => this.#complete(params, final, completedAt, size));
    } catch (error) {
      // A step's retries ran out.
      const { error: edge } = toEdgeError(error);
      const jobError: JobError = { code: edge.code, message: edge.message, payload: null };
      await step.do("end", config, () => this.#end(params, state, "failed", jobError));
      return { status: "failed" };
    }
    for (let n = 0;; n++) {
      const more = await step.do(
        `clean ${n}`,
        config,
        () => deleteParts(this.env.EXPORTS!, params.id),
      );
      if (!more) break;
    }
    return { status: "complete" };
  }

  /** The job's record, or `null` when a `DELETE` cancelled the job (or removed it). */
  async #live(id: string): Promise<JobRecord | null> {
    const record = await readJob(this.env.EXPORTS!, id);
    return record === null || record.status === "cancelled" ? null : record;
  }

  async #part(
    params: JobParams,
    state: PartState,
    n: number,
    attempt: number,
  ): Promise<PartState> {
    const started = Date.now();
    const name = `part ${n}`;
    const env = this.env;
    const bucket = env.EXPORTS!;
    let subrequests = 0;
    try {
      const record = await this.#live(params.id);
      if (record === null) {
        log({ job: params.id, step: name, attempt, status: "cancelled", duration_ms: 0 });
        return { ...state, done: true, end: { status: "cancelled", error: null } };
      }
      injected(env, name, "before", attempt);
      const owner = await loadOwner(env.TOKENS, env.TOKEN_SEALING_KEY ?? "", params.owner, started);
      const report = await runPart(params, state, {
        bucket,
        owner,
        baseUrl: upstreamUrl(env),
        budget: subrequestBudget(env),
        requestId: `export-${params.id}-${n}-${attempt}`,
        fetch: (request) => fetch(request),
        afterWrite: () => injected(env, name, "after-write", attempt),
      });
      subrequests = report.subrequests;
      const next = report.state;
      if (
        next.end === null &&
        (n === 0 || next.done || started - Date.parse(record.updated_at) >= PROGRESS_INTERVAL_MS)
      ) {
        await updateJob(bucket, params.id, (current) => ({
          ...current,
          status: "running",
          items: next.items,
          files: next.files,
          bytes: next.bytes,
          updated_at: new Date().toISOString(),
        }));
      }
      log({
        job: params.id,
        step: name,
        attempt,
        status: next.end?.status ?? "ok",
        items: next.items - state.items,
        files: next.files - state.files,
        bytes: next.bytes - state.bytes,
        total_items: next.items,
        duration_ms: Date.now() - started,
        subrequests,
        ...(report.stopped === null ? {} : { stopped: report.stopped }),
        ...(report.skipped === 0 ? {} : { skipped_gone: report.skipped }),
        ...(next.done ? { last: true } : {}),
      });
      return next;
    } catch (error) {
      logFailure({ job: params.id, name, attempt, started, subrequests }, error);
      throw error;
    }
  }

  async #compose(
    params: JobParams,
    final: PartState,
    state: ComposeState,
    completedAt: Date,
    attempt: number,
  ): Promise<ComposeState & { cancelled?: boolean }> {
    const started = Date.now();
    const name = `compose ${state.step}`;
    try {
      const record = await this.#live(params.id);
      if (record === null) return { ...state, done: true, cancelled: true };
      injected(this.env, name, "before", attempt);
      const next = await composeStep(
        this.env.EXPORTS!,
        { id: params.id, format: params.format, fileName: resultFileName(record) },
        final,
        state,
        completedAt,
      );
      log({
        job: params.id,
        step: name,
        attempt,
        status: "ok",
        items: 0,
        files: 0,
        bytes: next.done ? next.size : 0,
        parts: next.parts.length - state.parts.length,
        duration_ms: Date.now() - started,
        subrequests: 0,
      });
      return next;
    } catch (error) {
      logFailure({ job: params.id, name, attempt, started, subrequests: 0 }, error);
      throw error;
    }
  }

  async #complete(
    params: JobParams,
    final: PartState,
    completedAt: string,
    size: number,
  ): Promise<void> {
    const ttl = exportTtlDays(this.env.EXPORT_TTL_DAYS);
    const expected = resultSize(params.id, params.format, final, new Date(completedAt));
    const written = await updateJob(this.env.EXPORTS!, params.id, (record) => ({
      ...record,
      status: "complete",
      items: final.items,
      files: final.files,
      bytes: size,
      size: expected,
      updated_at: completedAt,
      completed_at: completedAt,
      expires_at: expiryOf(new Date(completedAt), ttl).toISOString(),
      error: null,
    }));
    if (written === null) {
      // Cancelled while the result was composed: the result the DELETE could not see yet goes too.
      await deleteJobObjects(this.env.EXPORTS!, params.id);
      return;
    }
    log({
      job: params.id,
      step: "complete",
      attempt: 1,
      status: "complete",
      items: final.items,
      files: final.files,
      bytes: size,
      duration_ms: 0,
      subrequests: 0,
    });
  }

  async #end(
    params: JobParams,
    state: PartState,
    status: "failed" | "cancelled",
    error: JobError | null,
  ): Promise<void> {
    const bucket = this.env.EXPORTS!;
    await updateJob(bucket, params.id, (record) => ({
      ...record,
      status,
      items: state.items,
      files: state.files,
      bytes: state.bytes,
      updated_at: new Date().toISOString(),
      error,
    }));
    while (await deleteParts(bucket, params.id));
    log({
      job: params.id,
      step: "end",
      attempt: 1,
      status,
      items: state.items,
      files: state.files,
      bytes: state.bytes,
      duration_ms: 0,
      subrequests: 0,
      ...(error === null ? {} : { failure: error.code }),
    });
  }
}
