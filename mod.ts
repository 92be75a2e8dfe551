/**
 * A runtime-agnostic client of the Toloka attachments API: list, read and download the files
 * Tolokers uploaded, over the standard `fetch`.
 *
 * - {@linkcode AttachmentsClient.findAttachments}: one page, one request.
 * - {@linkcode AttachmentsClient.getAttachments} / {@linkcode AttachmentsClient.getAttachmentPages}:
 *   every match exactly once, lazily, in order of `id` or `created` (ties on `created` and
 *   microsecond differences included), with the next page prefetched.
 * - {@linkcode AttachmentsClient.getAttachment}: one attachment's metadata.
 * - {@linkcode AttachmentsClient.downloadAttachment}: the bytes, streamed.
 * - The wire form other programs share: {@linkcode ORDERS}, {@linkcode FILTER_FIELDS},
 *   {@linkcode toWireAttachment}, the CSV and NDJSON encoders, and {@linkcode parseListQuery} /
 *   {@linkcode parseExportQuery} for listing queries read from a query string.
 * - The retry pieces, for programs that retry requests of their own:
 *   {@linkcode isRetryableStatus}, {@linkcode retryDelay}, {@linkcode parseRetryAfter} and an
 *   abortable {@linkcode delay}.
 *
 * Filters and results use the API's own field names (`pool_id`, `created_gte`, `has_more`);
 * options of this library are camelCase. Requests are retried on 408, 429, 500, 502, 503, 504,
 * network errors and truncated bodies (honouring `Retry-After`), each method takes an
 * `AbortSignal`, and failures are a small error family under {@linkcode TolokaError}. Invalid
 * arguments throw an {@linkcode ArgumentTypeError} or {@linkcode ArgumentRangeError} (a
 * `TypeError` / `RangeError`) naming the `field`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AttachmentsClient, TolokaApiError } from "@toloka-edge/attachments";
 * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * // In production: new AttachmentsClient({ token: Deno.env.get("TOLOKA_TOKEN")! })
 * const emulator = new TolokaEmulator({ pools: [150] });
 * const client = new AttachmentsClient({ token: "test-token", fetch: emulator.fetch });
 *
 * let total = 0;
 * for await (const attachment of client.getAttachments({ pool_id: "1" }, { order: "created" })) {
 *   total++;
 *   if (total === 1) {
 *     const download = await client.downloadAttachment(attachment.id);
 *     await download.body.cancel(); // or stream it to a file
 *   }
 * }
 * assert.equal(total, 150);
 *
 * try {
 *   await client.getAttachment("no-such-id");
 *   assert.fail("expected an error");
 * } catch (error) {
 *   assert.ok(error instanceof TolokaApiError);
 *   assert.equal(error.code, "DOES_NOT_EXIST");
 * }
 * ```
 *
 * @module
 */

export { AttachmentsClient } from "./src/client.ts";
export { delay } from "./src/abort.ts";
export { ArgumentRangeError, ArgumentTypeError } from "./src/argument_errors.ts";
export {
  backoffDelay,
  type BackoffOptions,
  isRetryableStatus,
  parseRetryAfter,
  RETRYABLE_STATUSES,
  retryDelay,
} from "./src/backoff.ts";
export { RequestBudget, type RequestBudgetOptions } from "./src/budget.ts";
export {
  CSV_COLUMNS,
  csvAttachment,
  csvCell,
  csvErrorLine,
  csvHeader,
  csvLine,
  csvNextLine,
} from "./src/csv.ts";
export { ENVIRONMENTS } from "./src/environments.ts";
export {
  TolokaApiError,
  type TolokaApiErrorInit,
  TolokaBudgetError,
  TolokaError,
  TolokaNetworkError,
  TolokaResponseError,
  TolokaTimeoutError,
} from "./src/errors.ts";
export type {
  Attachment,
  AttachmentDetails,
  AttachmentDownload,
  AttachmentFilter,
  AttachmentOwner,
  AttachmentPage,
  ClientOptions,
  Environment,
  FindOptions,
  IterateOptions,
  ListingPage,
  RequestOptions,
  SortKey,
} from "./src/types.ts";
export {
  type ExportQuery,
  type ListQuery,
  parseExportQuery,
  parseListQuery,
  type QueryIssue,
  type QueryResult,
} from "./src/query_params.ts";
export { parseTimestamp, type Timestamp } from "./src/timestamps.ts";
export {
  FILTER_FIELDS,
  type FilterField,
  ndjsonLine,
  type Order,
  ORDERS,
  toWireAttachment,
} from "./src/wire.ts";
