/**
 * The public shapes of this library: attachments as the API sends them, filters, pages and the
 * options of {@linkcode AttachmentsClient}.
 *
 * Filters and results use the API's own field names (snake_case); options of this library are
 * camelCase.
 *
 * @module
 */

import type { RequestBudget } from "./budget.ts";
import type { Order } from "./wire.ts";

// Defined with `ORDERS` in `wire.ts`; here too, beside the other shapes.
export type { Order };

/**
 * A Toloka installation to talk to; see {@linkcode ENVIRONMENTS} for the API roots.
 *
 * @example
 * ```ts
 * import type { Environment } from "@toloka-edge/attachments";
 *
 * const environment: Environment = "sandbox";
 * ```
 */
export type Environment = "production" | "sandbox" | "yandex-tasks";

/**
 * A sort key of `GET /attachments`: `id` or `created`, with a `-` prefix for descending order.
 * The same keys as the iteration orders ({@linkcode ORDERS}).
 *
 * @example
 * ```ts
 * import type { SortKey } from "@toloka-edge/attachments";
 *
 * const sort: SortKey[] = ["-created", "-id"];
 * ```
 */
export type SortKey = Order;

/**
 * Where an attachment comes from: the Toloker, assignment and pool.
 *
 * Every field is optional because the API marks none required; unknown fields are kept.
 *
 * @example
 * ```ts
 * import type { AttachmentDetails } from "@toloka-edge/attachments";
 *
 * const details: AttachmentDetails = { pool_id: "154", assignment_id: "a1", user_id: "u1" };
 * ```
 */
export interface AttachmentDetails {
  /** The Toloker who uploaded the file. */
  user_id?: string;
  /** The assignment the file belongs to. */
  assignment_id?: string;
  /** The pool of that assignment. */
  pool_id?: string;
  /** Fields this library does not know yet, kept as sent. */
  [field: string]: unknown;
}

/**
 * The requester who owns an attachment. Older attachments have no owner at all, and
 * `company_id` is often absent.
 *
 * @example
 * ```ts
 * import type { AttachmentOwner } from "@toloka-edge/attachments";
 *
 * const owner: AttachmentOwner = { id: "6c6e20dc86cca2ae787afcb2629de162", myself: true };
 * ```
 */
export interface AttachmentOwner {
  /** The requester's id. */
  id?: string;
  /** Whether the requester is the one whose token made the request. */
  myself?: boolean;
  /** The requester's company. */
  company_id?: string;
  /** Fields this library does not know yet, kept as sent. */
  [field: string]: unknown;
}

/**
 * A file a Toloker uploaded: the API's object with `created` parsed to a `Date`.
 *
 * `created` is read as UTC (the API writes it without an offset, with 0 to 6 fractional
 * digits). A `Date` holds milliseconds only; the exact string the API sent is kept by this
 * library internally, which is what its pagination uses. Fields unknown to this library are
 * kept as sent.
 *
 * @example
 * ```ts
 * import type { Attachment } from "@toloka-edge/attachments";
 *
 * const attachment: Attachment = {
 *   id: "0983459b-e26f-42f3-a5fd-6e3feee913e7",
 *   attachment_type: "ASSIGNMENT_ATTACHMENT",
 *   name: "37540601.jpg",
 *   details: { pool_id: "154" },
 *   created: new Date("2016-05-25T16:14:27.748Z"),
 *   media_type: "image/jpeg",
 * };
 * ```
 */
export interface Attachment {
  /** The attachment's id: an opaque string, usually a UUID. */
  id: string;
  /** The upload time. */
  created: Date;
  /** The attachment type; today `ASSIGNMENT_ATTACHMENT`, new values may appear. */
  attachment_type?: string;
  /** The file name the Toloker uploaded. Untrusted: sanitise it before using it as a path. */
  name?: string;
  /** Where the file comes from. */
  details?: AttachmentDetails;
  /** The requester who owns the file; absent on older attachments. */
  owner?: AttachmentOwner;
  /** The file's media type, such as `image/jpeg`. */
  media_type?: string;
  /** Fields this library does not know yet, kept as sent. */
  [field: string]: unknown;
}

/**
 * Which attachments to list. The names are the API's query parameters.
 *
 * Either `pool_id` or `assignment_id` is required. Ids are compared as strings by the API.
 * Dates may be a `Date` or a string such as `2016-05-25T16:14:27.748` (read as UTC when it has
 * no offset); they are sent as UTC without an offset.
 *
 * @example
 * ```ts
 * import type { AttachmentFilter } from "@toloka-edge/attachments";
 *
 * const filter: AttachmentFilter = {
 *   pool_id: "154",
 *   created_gte: new Date("2024-01-01T00:00:00Z"),
 *   created_lt: "2024-02-01T00:00:00",
 * };
 * ```
 */
export interface AttachmentFilter {
  /** The pool. Either this or `assignment_id` is required. */
  pool_id?: string;
  /** The assignment. Either this or `pool_id` is required. */
  assignment_id?: string;
  /** The Toloker who uploaded. */
  user_id?: string;
  /** The exact file name. */
  name?: string;
  /** The attachment type, such as `ASSIGNMENT_ATTACHMENT`. */
  type?: string;
  /** The requester owning the file. */
  owner_id?: string;
  /** The company of the requester owning the file. */
  owner_company_id?: string;
  /** Only ids greater than this one. */
  id_gt?: string;
  /** Only ids greater than or equal to this one. */
  id_gte?: string;
  /** Only ids less than this one. */
  id_lt?: string;
  /** Only ids less than or equal to this one. */
  id_lte?: string;
  /** Only files uploaded after this time. */
  created_gt?: Date | string;
  /** Only files uploaded at or after this time. */
  created_gte?: Date | string;
  /** Only files uploaded before this time. */
  created_lt?: Date | string;
  /** Only files uploaded at or before this time. */
  created_lte?: Date | string;
}

/**
 * One page of a listing, as the API answers `GET /attachments`.
 *
 * @example
 * ```ts
 * import type { AttachmentPage } from "@toloka-edge/attachments";
 *
 * const page: AttachmentPage = { items: [], has_more: false };
 * ```
 */
export interface AttachmentPage {
  /** The attachments of this page. */
  items: Attachment[];
  /**
   * From the API: whether the page was cut by `limit`. From
   * {@linkcode AttachmentsClient.getAttachmentPages}: whether another request will be made.
   */
  has_more: boolean;
}

/**
 * A page of {@linkcode AttachmentsClient.getAttachmentPages}: an {@linkcode AttachmentPage} that
 * also says where the iteration stands after it.
 *
 * @example
 * ```ts
 * import type { ListingPage } from "@toloka-edge/attachments";
 *
 * const page: ListingPage = { items: [], has_more: false, cursor: null };
 * ```
 */
export interface ListingPage extends AttachmentPage {
  /**
   * An opaque token that resumes the same iteration right after this page: pass it as
   * {@linkcode IterateOptions.cursor} with the same filter and order. `null` when nothing can
   * follow; the last page may still carry one when the end was found by one more request, and
   * resuming from it then yields nothing.
   */
  cursor: string | null;
}

/**
 * A file being downloaded: its bytes as a stream, and what the response headers say about it.
 *
 * @example
 * ```ts
 * import type { AttachmentDownload } from "@toloka-edge/attachments";
 *
 * const download: AttachmentDownload = {
 *   body: new Blob(["hello"]).stream(),
 *   mediaType: "text/plain",
 *   size: 5,
 *   fileName: "hello.txt",
 * };
 * ```
 */
export interface AttachmentDownload {
  /** The file's bytes, streamed from the server as they arrive. Read it or cancel it. */
  body: ReadableStream<Uint8Array>;
  /** The `Content-Type` of the response; `application/octet-stream` when absent. */
  mediaType: string;
  /** The file's size in bytes, from `Content-Length`, when the server sent it. */
  size?: number;
  /**
   * The file name from `Content-Disposition` (`filename*` preferred over `filename`), decoded.
   * Untrusted: it may hold path separators, `..` or control characters; sanitise it before
   * using it as a path.
   */
  fileName?: string;
}

/**
 * Options of {@linkcode AttachmentsClient}.
 *
 * @example
 * ```ts
 * import type { ClientOptions } from "@toloka-edge/attachments";
 *
 * const options: ClientOptions = { token: "my-oauth-token", environment: "sandbox", retries: 5 };
 * ```
 */
export interface ClientOptions {
  /**
   * The Toloka token. `"OAuth x"`, `"ApiKey x"` and `"Bearer x"` are sent as given; a bare
   * token is sent as `ApiKey` when it looks like an API key (exactly two dots, the first at
   * index 22 to 24), else as `OAuth`.
   */
  token: string;
  /**
   * The Toloka installation to use.
   *
   * @default {"production"}
   */
  environment?: Environment;
  /**
   * The API root, ending in `/api/v1`; overrides `environment`. A trailing slash is ignored.
   *
   * @default {undefined}
   */
  baseUrl?: string;
  /**
   * The function that sends requests. It is always called with one `Request` object, so
   * `globalThis.fetch` and in-process handlers of type `(Request) => Promise<Response>` both fit.
   *
   * @default {globalThis.fetch}
   */
  fetch?: (request: Request) => Promise<Response>;
  /**
   * How long one attempt may take, in milliseconds: until the whole body of a JSON answer has
   * arrived, or until the headers of a download have. `Infinity` disables it.
   *
   * @default {10000}
   */
  timeoutMs?: number;
  /**
   * How many times a failed request is retried after the first attempt; `0` disables retries.
   *
   * @default {3}
   */
  retries?: number;
  /**
   * The base of the exponential backoff between retries, in milliseconds: retry `n` (from 0)
   * waits between half and all of `retryDelayMs * 2 ** n`, capped by `maxRetryDelayMs`.
   *
   * @default {500}
   */
  retryDelayMs?: number;
  /**
   * The longest wait between two attempts, in milliseconds. A `Retry-After` asking for longer
   * is not waited for: the error is thrown instead.
   *
   * @default {30000}
   */
  maxRetryDelayMs?: number;
  /**
   * The source of jitter for the backoff: a function returning numbers in `[0, 1)`.
   *
   * @default {Math.random}
   */
  random?: () => number;
  /**
   * Waits between attempts: resolves after `ms` milliseconds, or rejects with `signal.reason` when
   * the signal aborts. Every wait the retries ask for (the backoff, or a `Retry-After`) goes
   * through it, so a test can record the delays instead of waiting them out. The caller's signal
   * ends a wait at once even if this function does not listen to it.
   *
   * @default {delay}
   *
   * @example Record the waits instead of waiting
   * ```ts
   * import assert from "node:assert/strict";
   * import { AttachmentsClient } from "@toloka-edge/attachments";
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({ pools: [3] });
   * let calls = 0;
   * const flaky = (request: Request): Promise<Response> =>
   *   ++calls === 1 ? Promise.resolve(new Response(null, { status: 503 })) : emulator.fetch(request);
   * const waits: number[] = [];
   * const client = new AttachmentsClient({
   *   token: "test-token",
   *   fetch: flaky,
   *   random: () => 0,
   *   sleep: (ms) => {
   *     waits.push(ms);
   *     return Promise.resolve();
   *   },
   * });
   * await client.findAttachments({ pool_id: "1" });
   * assert.deepEqual(waits, [250]); // half of retryDelayMs (500) with random() = 0
   * ```
   */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * A cap on the requests this client sends (every retry counted) and on how many are open at
   * once, shared with any other client given the same budget: what a Cloudflare Worker needs to
   * stay inside its subrequest limit. A call that finds it spent rejects with
   * `TolokaBudgetError`.
   *
   * @default {undefined}
   */
  budget?: RequestBudget;
}

/**
 * Options of a single request.
 *
 * @example
 * ```ts
 * import type { RequestOptions } from "@toloka-edge/attachments";
 *
 * const options: RequestOptions = { signal: AbortSignal.timeout(30_000) };
 * ```
 */
export interface RequestOptions {
  /**
   * Aborts the request, and any wait before a retry, at once; the call rejects with the
   * signal's reason.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * Options of {@linkcode AttachmentsClient.findAttachments}.
 *
 * @example
 * ```ts
 * import type { FindOptions } from "@toloka-edge/attachments";
 *
 * const options: FindOptions = { sort: ["-created", "-id"], limit: 50 };
 * ```
 */
export interface FindOptions extends RequestOptions {
  /**
   * The sort key, or several keys in order of precedence (sent comma-joined). Without it the
   * API's order is unspecified.
   *
   * @default {undefined}
   */
  sort?: SortKey | readonly SortKey[];
  /**
   * The page size, an integer from 1 to 100. Without it the API uses its default (20).
   *
   * @default {undefined}
   */
  limit?: number;
}

/**
 * Options of {@linkcode AttachmentsClient.getAttachments} and
 * {@linkcode AttachmentsClient.getAttachmentPages}.
 *
 * @example
 * ```ts
 * import type { IterateOptions } from "@toloka-edge/attachments";
 *
 * const options: IterateOptions = { order: "created", batchSize: 50, prefetch: false };
 * const parallel: IterateOptions = { order: "-created", concurrency: 8 };
 * ```
 */
export interface IterateOptions extends RequestOptions {
  /**
   * The order of the attachments.
   *
   * @default {"id"}
   */
  order?: Order;
  /**
   * How many attachments to ask for per request, an integer from 1 to 100.
   *
   * @default {100}
   */
  batchSize?: number;
  /**
   * Whether to request the next page as soon as the current one arrives, while the caller works
   * on it. At most one page is held ahead. With `concurrency` above 1 the lanes always read
   * ahead, so `prefetch: false` is then a `RangeError`.
   *
   * @default {true}
   */
  prefetch?: boolean;
  /**
   * How many requests to have in flight at once, an integer from 1 to 16: a parallel scan for
   * listings where each page takes a while (a distant server, a slow network).
   *
   * With `1`, pages are requested one after another, each from the cursor of the last. Above
   * `1`, with no bound on ids, the first round reads one even part of the UUID space per lane
   * (ids are random UUIDs as a rule; a one-page listing then costs `concurrency` requests, in one
   * round). In the `created` orders each part is read in `created` order and the parts are
   * merged, a part the merge waits on split by its own ids. By id, a listing of more than 10
   * pages a lane (as the first round estimates it) is then cut at the quantiles of that round's
   * `created` values, each range read by id and the ranges merged; a smaller one, one whose ids
   * follow time or leave parts of the UUID space empty, or one whose `created` values come in
   * long runs of ties, goes on from the consecutive parts.
   * Within a range of ids the scan starts from both ends: in the `created` orders the first page
   * and the last (read in reverse) go out together (a listing of one page then costs two
   * requests); by id the first page goes out alone (one request for a one-page listing), and
   * when its ids are random UUIDs it sizes the listing, else the last page follows with the next.
   * What lies between is then cut into consecutive parts of the key space (`id` or `created`, as
   * `order` says), even parts of up to about four pages when they fit the free lanes, else cut
   * where measured densities say, read at once just ahead of the consumer. Items still come in
   * `order`, each exactly once (ties on `created` included); at most `6 × concurrency` pages are
   * fetched or in flight ahead of the consumer, plus the one it waits for. Leaving the loop aborts
   * every request in flight, and a failure in any part ends the iteration with that error.
   *
   * Each lane sends its own requests: mind the API's rate limits (a `429` is retried, honouring
   * `Retry-After`). Each part's last page is partly empty, so a listing takes more requests than
   * with one lane (by id a tenth to a sixth more at 30 pages, 4% at 300; by `created` up to a
   * tenth, 1% at 300: measured by `bench/parallel.ts`).
   *
   * @default {1}
   *
   * @example Eight lanes over a slow link
   * ```ts
   * import assert from "node:assert/strict";
   * import { AttachmentsClient } from "@toloka-edge/attachments";
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({ pools: [2_000], latencyMs: 5 });
   * const client = new AttachmentsClient({ token: "test-token", fetch: emulator.fetch });
   *
   * const ids: string[] = [];
   * for await (const item of client.getAttachments({ pool_id: "1" }, { concurrency: 8 })) {
   *   ids.push(item.id);
   * }
   * assert.deepEqual(ids, emulator.attachments.map((a) => a.id).sort());
   * ```
   */
  concurrency?: number;
  /**
   * Resume an iteration: a {@linkcode ListingPage.cursor} from an earlier iteration with the same
   * filter and order. The items up to and including that page are not yielded again; every later
   * match is, exactly once (ties on `created` included). Not with `concurrency` above 1.
   *
   * @default {undefined}
   */
  cursor?: string;
}
