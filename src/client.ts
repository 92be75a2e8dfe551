/**
 * {@linkcode AttachmentsClient}: lists, reads and downloads Toloka attachments over `fetch`.
 *
 * @module
 */

import { abortableIterator } from "./abortable_iterator.ts";
import { delay, yieldToEventLoop } from "./abort.ts";
import { authorizationHeader, credentialOf } from "./auth.ts";
import { toAttachmentDownload } from "./download.ts";
import { itemIterator } from "./item_iterator.ts";
import { parallelPages } from "./parallel_pages.ts";
import { encodeCursor } from "./cursor_token.ts";
import {
  checkClientOptions,
  checkFindOptions,
  checkIterateOptions,
  checkRequestOptions,
  validateId,
} from "./options.ts";
import { checkAnswer, completeAnswer } from "./listing_step.ts";
import { ordersById } from "./order.ts";
import { type Cursor, nextPageQuery, type PagingPlan, positionOf } from "./pagination.ts";
import { buildListQuery, validateFilter } from "./query.ts";
import { parseAttachment, parseAttachmentPage, peekNextId } from "./schema.ts";
import { getJson, getStream, type TransportConfig } from "./transport.ts";
import type {
  Attachment,
  AttachmentDownload,
  AttachmentFilter,
  AttachmentPage,
  ClientOptions,
  FindOptions,
  IterateOptions,
  ListingPage,
  RequestOptions,
} from "./types.ts";

/**
 * A client of the Toloka attachments API: lists, reads and downloads the files Tolokers
 * uploaded. It runs wherever `fetch` does (Deno, Node, Bun, browsers, Workers).
 *
 * Filters and results use the API's field names (`pool_id`, `created_gte`, `has_more`);
 * options of this library are camelCase. Each request is retried on 408, 429, 5xx gateway and
 * server errors, network errors and truncated bodies, honouring `Retry-After`; every method takes
 * an `AbortSignal`. Arguments are checked before anything is sent: a bad one throws a
 * `TypeError` or `RangeError` naming it.
 *
 * @example Iterate over every attachment of a pool
 * ```ts
 * import assert from "node:assert/strict";
 * import { AttachmentsClient } from "@toloka-edge/attachments";
 * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * // In production: new AttachmentsClient({ token: Deno.env.get("TOLOKA_TOKEN")! })
 * const emulator = new TolokaEmulator({ pools: [250] });
 * const client = new AttachmentsClient({ token: "test-token", fetch: emulator.fetch });
 *
 * let count = 0;
 * for await (const attachment of client.getAttachments({ pool_id: "1" }, { order: "created" })) {
 *   assert.ok(attachment.created instanceof Date);
 *   count++;
 * }
 * assert.equal(count, 250);
 * ```
 */
export class AttachmentsClient {
  /** The API root this client talks to, such as `https://toloka.dev/api/v1`. */
  readonly baseUrl: string;
  // Private fields: the token must not show in `console.log(client)` or `JSON.stringify`.
  readonly #transport: TransportConfig;

  /**
   * Creates a client. Nothing is sent until a method is called.
   *
   * @param options The token, the environment or API root, and transport settings.
   * @throws {TypeError} When `token` is missing or empty, or an option has the wrong type.
   * @throws {RangeError} When a numeric option is out of range.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { AttachmentsClient } from "@toloka-edge/attachments";
   *
   * const client = new AttachmentsClient({ token: "my-oauth-token", environment: "sandbox" });
   * assert.equal(client.baseUrl, "https://sandbox.toloka.dev/api/v1");
   * ```
   */
  constructor(options: ClientOptions) {
    const checked = checkClientOptions(options);
    this.baseUrl = checked.baseUrl;
    this.#transport = {
      baseUrl: checked.baseUrl,
      authorization: authorizationHeader(checked.token),
      secret: credentialOf(checked.token),
      fetch: checked.fetch,
      timeoutMs: checked.timeoutMs,
      retries: checked.retries,
      backoff: {
        retryDelayMs: checked.retryDelayMs,
        maxRetryDelayMs: checked.maxRetryDelayMs,
        random: checked.random,
      },
      now: Date.now,
      sleep: checked.sleep ?? delay,
      budget: checked.budget,
    };
  }

  /**
   * Lists one page of attachments: a single `GET /attachments` request.
   *
   * @param filter Which attachments; `pool_id` or `assignment_id` is required.
   * @param options `sort` (a key or several), `limit` (1..100; the API's default is 20) and
   * `signal`.
   * @returns The page: `items` and `has_more` (whether the page was cut by `limit`).
   * @throws {TypeError} When the filter or an option has a wrong type, an unknown field, or
   * neither `pool_id` nor `assignment_id`.
   * @throws {RangeError} When a value is not allowed (an invalid date, `limit` 0 or 101, an
   * unknown sort key, an empty string).
   * @throws {TolokaError} When the request fails: {@linkcode TolokaApiError},
   * {@linkcode TolokaTimeoutError}, {@linkcode TolokaNetworkError}, {@linkcode TolokaResponseError}.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { AttachmentsClient } from "@toloka-edge/attachments";
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({ pools: [30] });
   * const client = new AttachmentsClient({ token: "test-token", fetch: emulator.fetch });
   *
   * const page = await client.findAttachments(
   *   { pool_id: "1", created_gte: new Date("2000-01-01T00:00:00Z") },
   *   { sort: ["-created", "-id"], limit: 10 },
   * );
   * assert.equal(page.items.length, 10);
   * assert.equal(page.has_more, true);
   * ```
   */
  async findAttachments(
    filter: AttachmentFilter,
    options?: FindOptions,
  ): Promise<AttachmentPage> {
    const normalized = validateFilter(filter);
    const { sort, limit, signal } = checkFindOptions(options);
    const body = await getJson(
      this.#transport,
      "/attachments",
      buildListQuery(normalized, { sort, limit }),
      signal,
    );
    return parseAttachmentPage(body);
  }

  /**
   * Iterates over every matching attachment, exactly once each, in the given order, fetching
   * pages lazily. Built on {@linkcode AttachmentsClient.getAttachmentPages}.
   *
   * Nothing is fetched before the first `next()`. Leaving the loop early (`break`, `return`,
   * an exception) aborts the requests in flight and sends no more. With `prefetch` (the default)
   * the next page is requested as soon as the current one arrives, so a slow consumer and a slow
   * server overlap; at most one page is held ahead, so memory does not grow with the number of
   * attachments. With `concurrency` above 1, several parts of the listing are read at once (a
   * parallel scan for slow links; see {@linkcode IterateOptions.concurrency}), still in order.
   *
   * @param filter Which attachments; `pool_id` or `assignment_id` is required. Its `id_*` and
   * `created_*` ranges hold on every page.
   * @param options `order` (`"id"` by default, `"-id"`, `"created"`, `"-created"`: ties on
   * `created` are ordered by id), `batchSize` (the `limit` of each request, 1..100, default 100),
   * `prefetch` (default `true`), `concurrency` (requests in flight, 1..16, default 1) and
   * `signal`.
   * @returns An async iterable of attachments.
   * @throws {TypeError} At once, when the filter or an option is invalid (see
   * {@linkcode AttachmentsClient.findAttachments}).
   * @throws {RangeError} At once, when a value is not allowed.
   * @throws {TolokaError} From the iteration, when a request fails or a page breaks the paging
   * contract ({@linkcode TolokaResponseError}).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { AttachmentsClient } from "@toloka-edge/attachments";
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({ pools: [120] });
   * const client = new AttachmentsClient({ token: "test-token", fetch: emulator.fetch });
   *
   * const newestFirst: Date[] = [];
   * for await (const attachment of client.getAttachments({ pool_id: "1" }, { order: "-created" })) {
   *   newestFirst.push(attachment.created);
   *   if (newestFirst.length === 5) break; // aborts the prefetch in flight
   * }
   * assert.deepEqual(newestFirst, newestFirst.toSorted((a, b) => b.getTime() - a.getTime()));
   * ```
   */
  getAttachments(
    filter: AttachmentFilter,
    options?: IterateOptions,
  ): AsyncIterableIterator<Attachment, undefined> {
    const { plan, start, prefetch, concurrency, signal } = this.#iterationPlan(filter, options);
    return itemIterator(
      abortableIterator(
        (merged) => this.#pages(plan, start, prefetch, concurrency, merged),
        signal,
      ),
    );
  }

  /**
   * Iterates over every matching attachment page by page: the same listing as
   * {@linkcode AttachmentsClient.getAttachments}, one `AttachmentPage` per request that brought
   * something new. Items already yielded are left out of later pages, so the pages together
   * hold every match exactly once; a page's `has_more` tells whether another request follows
   * (with `concurrency` above 1: whether more of the listing is left to read).
   *
   * @param filter Which attachments; `pool_id` or `assignment_id` is required.
   * @param options `order`, `batchSize`, `prefetch`, `concurrency` and `signal`, as for
   * `getAttachments`.
   * @returns An async iterable of pages.
   * @throws {TypeError} At once, when the filter or an option is invalid.
   * @throws {RangeError} At once, when a value is not allowed.
   * @throws {TolokaError} From the iteration, when a request fails or a page breaks the paging
   * contract.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { AttachmentsClient } from "@toloka-edge/attachments";
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({ pools: [45] });
   * const client = new AttachmentsClient({ token: "test-token", fetch: emulator.fetch });
   *
   * const sizes = [];
   * for await (const page of client.getAttachmentPages({ pool_id: "1" }, { batchSize: 20 })) {
   *   sizes.push(page.items.length);
   * }
   * assert.deepEqual(sizes, [20, 20, 5]);
   * ```
   */
  getAttachmentPages(
    filter: AttachmentFilter,
    options?: IterateOptions,
  ): AsyncIterableIterator<ListingPage, undefined> {
    const { plan, start, prefetch, concurrency, signal } = this.#iterationPlan(filter, options);
    return abortableIterator(
      (merged) => this.#pages(plan, start, prefetch, concurrency, merged),
      signal,
    );
  }

  /**
   * Reads the metadata of one attachment: `GET /attachments/{id}`.
   *
   * @param id The attachment's id.
   * @param options `signal`.
   * @returns The attachment.
   * @throws {TypeError} When `id` is not a string.
   * @throws {RangeError} When `id` is empty, `.` or `..`.
   * @throws {TolokaApiError} With status 404 and code `DOES_NOT_EXIST` for an unknown id; and the
   * other {@linkcode TolokaError}s when the request fails.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { AttachmentsClient } from "@toloka-edge/attachments";
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({ pools: [3] });
   * const client = new AttachmentsClient({ token: "test-token", fetch: emulator.fetch });
   *
   * const id = emulator.attachments[0]!.id;
   * const attachment = await client.getAttachment(id);
   * assert.equal(attachment.id, id);
   * ```
   */
  async getAttachment(id: string, options?: RequestOptions): Promise<Attachment> {
    const checkedId = validateId(id);
    const signal = checkRequestOptions(options);
    const body = await getJson(
      this.#transport,
      `/attachments/${encodeURIComponent(checkedId)}`,
      undefined,
      signal,
    );
    return parseAttachment(body);
  }

  /**
   * Downloads one attachment: `GET /attachments/{id}/download`, streamed. Resolves as soon as the
   * response headers arrive; the bytes are read from `body` as they come, never buffered. A failed
   * request is retried only until the headers arrive; `timeoutMs` covers only that part too, and
   * the `signal` also cuts the body.
   *
   * @param id The attachment's id.
   * @param options `signal`.
   * @returns The body stream, `mediaType`, `size` (from `Content-Length`) and `fileName` (from
   * `Content-Disposition`; untrusted, sanitise before using it as a path).
   * @throws {TypeError} When `id` is not a string.
   * @throws {RangeError} When `id` is empty, `.` or `..`.
   * @throws {TolokaError} When the request fails before the headers arrive.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { AttachmentsClient } from "@toloka-edge/attachments";
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({ pools: [3] });
   * const client = new AttachmentsClient({ token: "test-token", fetch: emulator.fetch });
   *
   * const id = emulator.attachments[0]!.id;
   * const download = await client.downloadAttachment(id);
   * const bytes = new Uint8Array(await new Response(download.body).arrayBuffer());
   * assert.deepEqual(bytes, emulator.bytesOf(id));
   * ```
   */
  async downloadAttachment(id: string, options?: RequestOptions): Promise<AttachmentDownload> {
    const checkedId = validateId(id);
    const signal = checkRequestOptions(options);
    const response = await getStream(
      this.#transport,
      `/attachments/${encodeURIComponent(checkedId)}/download`,
      signal,
    );
    return toAttachmentDownload(response, signal);
  }

  #iterationPlan(
    filter: unknown,
    options: unknown,
  ): {
    plan: PagingPlan;
    start: Cursor;
    prefetch: boolean;
    concurrency: number;
    signal: AbortSignal | undefined;
  } {
    const normalized = validateFilter(filter);
    const { order, batchSize, prefetch, concurrency, start, signal } = checkIterateOptions(
      options,
    );
    return { plan: { filter: normalized, order, batchSize }, start, prefetch, concurrency, signal };
  }

  /**
   * GETs one listing page: the body, parsed as JSON, not yet checked. Asynchronous throughout:
   * a query that cannot be built rejects, as a failed request does.
   */
  async #fetchListing(plan: PagingPlan, cursor: Cursor, signal: AbortSignal): Promise<unknown> {
    return await getJson(this.#transport, "/attachments", nextPageQuery(plan, cursor), signal);
  }

  /** The pages of an iteration: one lane, or a parallel scan. */
  #pages(
    plan: PagingPlan,
    start: Cursor,
    prefetch: boolean,
    concurrency: number,
    signal: AbortSignal,
  ): AsyncGenerator<ListingPage, undefined, undefined> {
    if (concurrency === 1) return this.#lane(plan, start, prefetch, signal);
    return withCursors(
      plan,
      parallelPages({
        plan,
        concurrency,
        signal,
        fetchListing: (chunk, cursor, merged) => this.#fetchListing(chunk, cursor, merged),
      }),
    );
  }

  /**
   * The page loop of one lane: one request per step. With `prefetch` the next request goes out
   * as soon as its cursor is known, and the event loop gets a turn to send it before the page is
   * checked through and converted, so that work overlaps the server's. In order `id` the cursor
   * is the last item's `id`, read (with valibot) before anything else; in order `created` it
   * takes step 1 and the paging checks. If the page then fails a check, the iteration ends and
   * its abort stops that request.
   */
  async *#lane(
    plan: PagingPlan,
    start: Cursor,
    prefetch: boolean,
    signal: AbortSignal,
  ): AsyncGenerator<ListingPage, undefined, undefined> {
    const byId = ordersById(plan.order);
    let cursor: Cursor | null = start;
    let ahead: Promise<unknown> | undefined;
    while (cursor !== null) {
      const body: unknown = await (ahead ?? this.#fetchListing(plan, cursor, signal));
      ahead = undefined;
      const early = prefetch && byId ? peekNextId(body) : undefined;
      if (early !== undefined) {
        ahead = this.#prefetch(plan, { phase: "id", id: early }, signal);
        await yieldToEventLoop();
      }
      const answer = checkAnswer(plan, cursor, body);
      cursor = answer.step.next;
      if (
        early !== undefined && (cursor === null || cursor.phase !== "id" || cursor.id !== early)
      ) {
        // Cannot happen: order id's cursor is the last id whenever there is more.
        throw new Error("The cursor read ahead differs from the checked one");
      }
      if (prefetch && cursor !== null && ahead === undefined) {
        ahead = this.#prefetch(plan, cursor, signal);
        await yieldToEventLoop();
      }
      const items = completeAnswer(answer);
      if (items.length > 0) {
        const token = cursor === null ? null : encodeCursor(plan.order, cursor) ?? null;
        yield { items, has_more: cursor !== null, cursor: token };
      }
    }
  }

  /**
   * Requests a page ahead. Its failure is reported when the page is awaited; if the loop stops
   * first, the iterator's abort ends it and nobody needs to hear about it.
   */
  #prefetch(plan: PagingPlan, cursor: Cursor, signal: AbortSignal): Promise<unknown> {
    const ahead = this.#fetchListing(plan, cursor, signal);
    ahead.catch(() => {});
    return ahead;
  }
}

/**
 * The pages of a parallel scan with their cursors. The scan's own cursors are per part, so the
 * cursor after a page is made from its last item: past its id (orders by id), or past its
 * `(created, id)`, which resumes just as exactly (a resumed scan re-reads at most a page of ties
 * to find its place).
 */
async function* withCursors(
  plan: PagingPlan,
  pages: AsyncGenerator<AttachmentPage, undefined, undefined>,
): AsyncGenerator<ListingPage, undefined, undefined> {
  for await (const page of pages) {
    const last = page.items.at(-1);
    let cursor: string | null = null;
    if (page.has_more && last !== undefined) {
      const after: Cursor = ordersById(plan.order)
        ? { phase: "id", id: last.id }
        : { phase: "after", ...positionOf(last), seen: 1 };
      cursor = encodeCursor(plan.order, after) ?? null;
    }
    yield { ...page, cursor };
  }
}
