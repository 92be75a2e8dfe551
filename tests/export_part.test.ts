/**
 * One export-job part in isolation (`worker/exports/part.ts` over the emulator, an in-memory
 * bucket): a ZIP part keeps the page size the job started with, leaves out a file deleted since
 * it was listed, and fails the job at once, naming the file, when one is too large to hold.
 */

import assert from "node:assert/strict";
import { firstPart, MAX_FILE_BYTES, type PartContext, runPart } from "../worker/exports/part.ts";
import { type JobParams, updateJob } from "../worker/exports/job.ts";
import type { R2Bucket } from "../worker/exports/runtime.ts";
import { TolokaEmulator } from "../src/testing/mod.ts";

const emulator = new TolokaEmulator({ pools: [60] });
const ids = emulator.attachments.map((a) => a.id).sort();
const params: JobParams = {
  id: "0123456789abcdef0123456789abcdef",
  owner: "key:x",
  format: "zip",
  order: "id",
  filter: { pool_id: "1" },
};

function context(
  budget: number,
  fetch: (request: Request) => Promise<Response> = emulator.fetch,
): { context: PartContext; manifestIds: () => string[] } {
  const objects = new Map<string, Uint8Array | string>();
  const bucket = {
    put(key: string, value: Uint8Array | string): Promise<object> {
      objects.set(key, value);
      return Promise.resolve({});
    },
  } as unknown as R2Bucket;
  return {
    context: {
      bucket,
      owner: { status: "valid", pools: null, upstreamToken: "test-token" },
      baseUrl: "http://emulator/api/v1",
      budget,
      requestId: "test",
      fetch,
    },
    manifestIds: () =>
      [...objects].filter(([key]) => key.includes("manifest")).flatMap(([, value]) =>
        (typeof value === "string" ? value : new TextDecoder().decode(value)).split("\n")
          .filter(Boolean).map((line) => JSON.parse(line).id)
      ),
  };
}

Deno.test("a ZIP part keeps the job's page size when SUBREQUEST_BUDGET changes mid-job", async () => {
  // The job started at 45 (pages of 44) and stopped 30 items into its first page; it resumes
  // after a redeploy at 4 (pages of 3 if it chose again).
  const { context: ctx, manifestIds } = context(4);
  const report = await runPart(params, { ...firstPart(), batchSize: 44, skip: 30 }, ctx);
  assert.deepEqual(manifestIds(), ids.slice(30, 33));
  assert.equal(report.state.batchSize, 44);
  assert.equal(report.state.skip, 33);
  assert.equal(report.state.from, null);
});

Deno.test("a ZIP part leaves out a file deleted since it was listed, and counts it", async () => {
  const gone = ids[1]!;
  const { context: ctx, manifestIds } = context(
    45,
    (request) =>
      new URL(request.url).pathname.includes(`${gone}/download`)
        ? Promise.resolve(
          Response.json({ code: "DOES_NOT_EXIST", message: "Not found" }, { status: 404 }),
        )
        : emulator.fetch(request),
  );
  const report = await runPart(params, firstPart(), ctx);
  assert.equal(report.skipped, 1);
  assert.equal(report.state.end, null);
  assert.deepEqual(manifestIds(), ids.slice(0, 44).filter((id) => id !== gone));
});

Deno.test("a file too large for a step fails the job at once, naming it", async () => {
  const big = ids[2]!;
  const { context: ctx } = context(
    45,
    (request) =>
      new URL(request.url).pathname.includes(`${big}/download`)
        ? Promise.resolve(
          new Response("x", { headers: { "Content-Length": String(MAX_FILE_BYTES + 1) } }),
        )
        : emulator.fetch(request),
  );
  const report = await runPart(params, firstPart(), ctx);
  assert.equal(report.state.end?.status, "failed");
  assert.equal(report.state.end?.error?.code, "VALIDATION_ERROR");
  assert.match(
    report.state.end?.error?.message ?? "",
    new RegExp(`Attachment ${big} is \\d+ bytes`),
  );
});

Deno.test("updateJob() never writes over a cancel that came between its read and its write", async () => {
  const key = `exports/${params.id}/job.json`;
  let stored = { text: JSON.stringify({ v: 1, id: params.id, status: "running" }), etag: "e1" };
  let cancelBeforeNextPut = true;
  const bucket = {
    get(name: string): Promise<{ etag: string; text: () => Promise<string> }> {
      assert.equal(name, key);
      const { text, etag } = stored;
      return Promise.resolve({ etag, text: () => Promise.resolve(text) });
    },
    put(
      name: string,
      value: string,
      options: { onlyIf?: { etagMatches?: string } },
    ): Promise<object | null> {
      assert.equal(name, key);
      if (cancelBeforeNextPut) {
        // The DELETE route's unconditional write lands first.
        cancelBeforeNextPut = false;
        stored = { text: JSON.stringify({ v: 1, id: params.id, status: "cancelled" }), etag: "e2" };
      }
      if (options.onlyIf?.etagMatches !== stored.etag) return Promise.resolve(null);
      stored = { text: value, etag: "e3" };
      return Promise.resolve({});
    },
  } as unknown as R2Bucket;
  const written = await updateJob(
    bucket,
    params.id,
    (record) => ({ ...record, status: "complete" }),
  );
  assert.equal(written, null);
  assert.equal(JSON.parse(stored.text).status, "cancelled");
});
