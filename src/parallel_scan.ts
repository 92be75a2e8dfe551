/**
 * The chunk scan, one of the parallel scans behind the `concurrency` option (`parallel_pages.ts`
 * picks): several lanes read consecutive parts of the key space at once, and the pages still come
 * out in the requested order, every item exactly once, with a bounded number of pages held. The
 * `created` orders with no bound on ids are read another way: by ranges of ids, each in `created`
 * order, merged (`merge_scan.ts`); so are the orders by id with no bound on ids past 10 pages a
 * lane, by ranges of `created` (`id_order_scan.ts`, which reads the first round of step 0 below
 * and hands it over here otherwise). Everything below is about the orders by id, and the
 * `created` orders within a range of ids.
 *
 * ## Parts ("chunks") cut at real values
 *
 * The key space (ids, or `created` values) is cut into consecutive chunks, each read by the
 * single-lane keyset logic of `pagination.ts` within its own range: `[from, to)` in the order's
 * direction, sent as filters merged with the caller's. Chunks cut at the same values never
 * overlap and leave nothing out, and ties on `created` always fall into one chunk, so exactly-once
 * holds whatever the cuts are; the cuts only decide how fast the scan goes and how many requests
 * it makes.
 *
 * ## Requests: the serial scan's, plus about half of one per chunk
 *
 * 0. **By id with no bounds on ids: even parts at once.** Ids are random UUIDs (usually), so
 *    before anything is read the UUID space is cut into one even part per lane
 *    ({@linkcode evenUuidBoundaries}), the first and last parts open, and every lane reads one:
 *    30 pages on 8 lanes take 4 or 5 rounds. A listing of one page then costs `concurrency`
 *    requests in one round. The parts' own pages check the split: a part found denser is cut by
 *    its own density before its next request, idle lanes take over part of a long one, and a
 *    part whose ids are not UUIDs (a cluster of prefixed ids is a single point of the UUID space)
 *    is projected by its own ids from then on. Within a caller's id range, the steps below.
 * 1. **The first round: both ends.** The last page is read in reverse (the order reversed): a
 *    real page, yielded at the very end, that also tells where the listing ends.
 *    - In the `created` orders it goes out with the first page, so both ends are known after one
 *      round: a listing of one page costs two requests (one serially), of two pages two.
 *    - By id, the first page goes out alone (a listing of one page costs one request), and the
 *      last page (strictly past the first page's last id) in the second round. Ids that pass
 *      the check of `key_space.ts` ({@linkcode uniformIds}, random UUIDs) tell from the first
 *      page alone how many items there are (within about a tenth); then about as many requests
 *      as there are pages between the first and the last go out with it (a listing of two
 *      pages costs two requests). For ids that fail the check, the size is unknown until the
 *      last page is back, and only {@linkcode SPECULATIVE_PAGES} goes out with it, lost only
 *      when the listing has two pages.
 * 2. **Even parts while they fit.** Once what is left fits the free lanes at up to
 *    {@linkcode EVEN_PAGES} pages each, it is cut into one part per free lane: 30 pages on 8
 *    lanes are both ends, then 8 parts of about 3.5 pages, read in 4 or 5 more rounds.
 * 3. **Else chunks of up to {@linkcode CHUNK_PAGES} pages**, cut just ahead of the consumer.
 *    Each chunk's last page is partial, so chunks are as large as the page budget below lets
 *    eight lanes run without stalling. Chunks cut while few lanes are busy are smaller, so that
 *    lanes come free in turn rather than all at once; what is left near the end is shared among
 *    the free lanes. A lane with nothing to read takes over the far half of the earliest chunk
 *    with more than a page and a half left past its request.
 *
 * Every page measures density: `n` items over the span of positions it covers. A chunk is cut
 * by its own last page's density (the most local estimate: ties and bursts on `created`, a
 * cluster of prefixed ids) or, before it has one, by the recent pages'. A chunk found denser
 * than expected is cut again before its next request. A run of ties on `created` is one point
 * of the key space: its chunk reads it by id.
 *
 * ## Lanes and memory
 *
 * At most `concurrency` requests are in flight. Requests go to the earliest chunk that needs one
 * (the one the consumer reads first). A chunk's next request goes out as soon as its page has
 * passed the checks paging needs, before the rest of the page is checked (`listing_step.ts`).
 * Requests in flight plus pages fetched and not yet taken (the last page included) never exceed
 * `concurrency` × {@linkcode PAGES_PER_LANE} (48 pages for 8 lanes: 4,800 items of the default
 * batch), except for one request of the chunk the consumer is waiting on. Lanes ahead of a slow
 * consumer stall once that budget is used up.
 *
 * A failure in any lane (after the transport's retries) ends the iteration: it aborts every other
 * request and is thrown to the consumer. Leaving the iteration aborts every request in flight.
 *
 * @module
 */

import {
  type Boundary,
  createdKeySpace,
  evenUuidBoundaries,
  HIGHEST_UUID,
  idKeySpace,
  isUuid,
  keyComparer,
  type KeySpace,
  LOWEST_UUID,
  uniformIds,
  uuidKeySpace,
} from "./key_space.ts";
import { checkAnswer, completeAnswer, readListing } from "./listing_step.ts";
import { isDescending, ordersById, reversed } from "./order.ts";
import {
  applyPage,
  type Cursor,
  cursorKey,
  type PagedItem,
  type PagingPlan,
  pastIdPlan,
  positionOf,
  rangePlan,
  START,
} from "./pagination.ts";
import { yieldToEventLoop } from "./abort.ts";
import { createdOf } from "./raw_created.ts";
import { completeListingPage } from "./schema.ts";
import type { Attachment, AttachmentPage } from "./types.ts";

/** What the scan reads of an item: its id, and its parsed `created` (through `createdOf`). */
type Item = PagedItem;

/**
 * Pages each lane may hold ahead of the consumer (fetched or in flight). Six: eight lanes on
 * chunks of {@linkcode CHUNK_PAGES}, started in turn, hold about half of their chunks ahead of
 * the one the consumer reads (3.5 chunks, 14 pages) plus 8 in flight, and room for a chunk that
 * runs long; with 3, lanes stalled on the budget (measured round by round, 30 to 300 pages).
 */
export const PAGES_PER_LANE = 6;

/**
 * The size of a chunk, in pages of `batchSize`: four or five requests, the last partly empty.
 * Larger chunks lose fewer requests but stall lanes on the budget, smaller ones lose more
 * (measured in the emulator round by round, 30 to 300 pages: 2.7, 3.5, 3.75 and 4 tried).
 */
export const CHUNK_PAGES = 4;

/**
 * Ids that fail the uniform check: requests past the first page sent with the last page, while
 * the listing's size is unknown. One, lost only when the listing holds two pages. More would make
 * the middle-sized listings faster and the small ones dearer.
 */
export const SPECULATIVE_PAGES = 1;

/**
 * Pages per free lane up to which what is left of a listing is cut into even parts, one per free
 * lane, rather than parts of {@linkcode CHUNK_PAGES}: 30 pages and 8 lanes take parts of about 4
 * pages from the second round on.
 */
export const EVEN_PAGES = 4;

/**
 * Pages per lane up to which what is left of a listing is shared among the free lanes instead of
 * cut into chunks of {@linkcode CHUNK_PAGES}.
 */
const NEAR_END_PAGES = CHUNK_PAGES;

/** How many recent measurements the density estimate averages. */
const MEASUREMENTS = 8;

/** Sends one listing request; resolves with the body parsed as JSON, not yet checked. */
export type FetchListing = (
  plan: PagingPlan,
  cursor: Cursor,
  signal: AbortSignal,
) => Promise<unknown>;

/** What {@linkcode parallelPages} needs. */
export interface ParallelScanOptions {
  /** The caller's plan. */
  readonly plan: PagingPlan;
  /** Requests in flight at most: 2 or more. */
  readonly concurrency: number;
  /** The transport. */
  readonly fetchListing: FetchListing;
  /** Aborts every request. */
  readonly signal: AbortSignal;
}

/** A page's count of items between two keys (the span is projected when the density is asked). */
interface Measurement {
  readonly items: number;
  readonly from: string;
  readonly to: string;
}

/** A page of a chunk: its items once checked through. */
interface Page {
  items: Attachment[] | undefined;
}

/** One part of the key space and the state of its reading. */
class Chunk {
  plan: PagingPlan;
  readonly from: Boundary | undefined;
  to: Boundary | undefined;
  cursor: Cursor | null = START;
  /** Its pages in order; a page still being checked has no items yet. */
  readonly pages: Page[] = [];
  busy = false;
  /** Covered by the last page: answers still on their way are dropped. */
  ended = false;
  /** The density its last page measured. */
  measured: Measurement | undefined;
  /**
   * Its own projection, when its ids are not UUIDs in a scan cut into even parts of the UUID
   * space (a cluster of prefixed ids is one point of that space): from its last such page.
   */
  space: KeySpace | undefined;
  /** Where its own projection ends when it has no end: past every id with its ids' prefix. */
  spaceEnd: string | undefined;

  constructor(plan: PagingPlan, from: Boundary | undefined, to: Boundary | undefined) {
    this.plan = plan;
    this.from = from;
    this.to = to;
  }

  /** Whether everything of it has been fetched. */
  get fetched(): boolean {
    return this.cursor === null && !this.busy;
  }
}

/** Whether the caller bounds ids: the UUID space is then not cut before the first request. */
export function hasIdBound({ filter }: PagingPlan): boolean {
  return filter.id_gt !== undefined || filter.id_gte !== undefined ||
    filter.id_lt !== undefined || filter.id_lte !== undefined;
}

/**
 * The pages of a listing read by several lanes in consecutive chunks, in order; see the module
 * documentation. Nothing is sent before the first `next()`.
 */
export function chunkedPages(
  options: ParallelScanOptions,
): AsyncGenerator<AttachmentPage, undefined, undefined> {
  return new ParallelScan(options).pages();
}

class ParallelScan {
  readonly #plan: PagingPlan;
  readonly #concurrency: number;
  readonly #limit: number;
  readonly #target: number;
  readonly #fetchListing: FetchListing;
  readonly #controller = new AbortController();
  readonly #signal: AbortSignal;
  readonly #byId: boolean;
  readonly #compare: (a: string, b: string) => number;
  readonly #chunks: Chunk[] = [];
  #measurements: Measurement[] = [];
  #inFlight = 0;
  #buffered = 0;
  /** Answers arrived and being checked: not in flight any more, not yet filed. */
  #processing = 0;
  /**
   * `first` until the first page is back; `single` when it was the whole listing or no cut is
   * possible; else `cutting`.
   */
  #mode: "first" | "cutting" | "single" = "first";
  #space: KeySpace | undefined;
  /** The chunk of the last page, read in reverse; `undefined` once it is known to hold nothing. */
  #tail: Chunk | undefined;
  /** Whether the last page is back. */
  #endKnown = false;
  /** The key the listing ends at, once known (or estimated from uniform ids). */
  #end: string | undefined;
  /** Where uniform ids put the start of the last page, before it is back. */
  #estimatedEnd: number | undefined;
  /** Requests that may still go out, past the first page, before the last page is back. */
  #speculation = 0;
  /**
   * Cut into even parts of the UUID space before the first request: the projection stays that of
   * random UUIDs (a page's own ids would narrow it to that page's prefix, and the parts' pages
   * come from all over the space).
   */
  #evenStart = false;
  /** The first page's ids, for the projection of ids that are not uniform. */
  #firstIds: string[] | undefined;
  /** The last page's answer, when it was sent with the first page (both ends in one round). */
  #earlyTail: Promise<unknown> | undefined;
  /** The last item given to the consumer. */
  #lastYielded: Item | undefined;
  #failure: { error: unknown } | undefined;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(options: ParallelScanOptions) {
    this.#plan = options.plan;
    this.#concurrency = options.concurrency;
    this.#limit = options.concurrency * PAGES_PER_LANE;
    this.#target = Math.max(1, Math.floor(options.plan.batchSize * CHUNK_PAGES));
    this.#fetchListing = options.fetchListing;
    this.#signal = AbortSignal.any([options.signal, this.#controller.signal]);
    this.#byId = ordersById(options.plan.order);
    this.#compare = keyComparer(options.plan.order);
  }

  async *pages(): AsyncGenerator<AttachmentPage, undefined, undefined> {
    if (this.#byId && this.#startEven()) {
      this.#pump();
    } else {
      const head = new Chunk(this.#plan, undefined, undefined);
      this.#chunks.push(head);
      // `created` orders: both ends in the first round (the last page, read in reverse, goes out
      // with the first). By id within the caller's id range: the first page alone (uniform ids
      // size the listing from it).
      if (!this.#byId) this.#earlyTail = this.#sendTail();
      void this.#read(head);
    }
    try {
      for (;;) {
        if (this.#failure !== undefined) throw this.#failure.error;
        const chunk = this.#chunks[0];
        if (chunk === undefined) return undefined;
        const items = chunk.pages[0]?.items;
        const more = items === undefined ? undefined : this.#moreAfter(chunk);
        if (items !== undefined && more !== undefined) {
          chunk.pages.shift();
          this.#buffered--;
          this.#lastYielded = items.at(-1);
          this.#pump();
          yield { items, has_more: more };
          continue;
        }
        if (chunk.fetched && chunk.pages.length === 0) {
          this.#chunks.shift();
          this.#pump();
          continue;
        }
        await new Promise<void>((resolve) => this.#wake = resolve);
      }
    } finally {
      this.#closed = true;
      this.#controller.abort(new Error("The iteration is over"));
    }
  }

  /**
   * By id, with no bounds on ids from the caller: one even part of the UUID space per lane, all
   * sent at once (see the module documentation). Whether it applies.
   */
  #startEven(): boolean {
    if (hasIdBound(this.#plan)) return false;
    const order = this.#plan.order;
    const boundaries = evenUuidBoundaries(order, this.#concurrency);
    const ends = [undefined, ...boundaries, undefined];
    for (let part = 0; part + 1 < ends.length; part++) {
      const from = ends[part];
      const to = ends[part + 1];
      this.#chunks.push(new Chunk(rangePlan(this.#plan, from?.value, to?.value), from, to));
    }
    this.#mode = "cutting";
    this.#evenStart = true;
    this.#space = uuidKeySpace(order);
    // The last part is open (ids past every UUID, like `fr.…`, fall in it), and is never cut
    // past the last UUID.
    this.#endKnown = true;
    this.#end = isDescending(order) ? LOWEST_UUID : HIGHEST_UUID;
    return true;
  }

  /**
   * Whether anything follows the first page of `head` (the one the consumer takes next): `true`
   * once a page with items is here after it, or a part's last answer said there is more in its
   * range; `false` once every part is read and nothing else is held; `undefined` while a part
   * still being read may come back empty (the page then waits, so that `has_more` is exact).
   */
  #moreAfter(head: Chunk): boolean | undefined {
    let settled = true;
    for (const chunk of this.#chunks) {
      for (const [at, page] of chunk.pages.entries()) {
        if (chunk === head && at === 0) continue;
        if (page.items === undefined) settled = false;
        else if (page.items.length > 0) return true;
      }
      const cursor = chunk.cursor;
      // A cursor past a page that said `has_more` (not the start, not past a drained tie run).
      if (cursor !== null && cursor.phase !== "start" && cursor.phase !== "past" && !chunk.ended) {
        return true;
      }
      if (!chunk.fetched) settled = false;
    }
    return settled ? false : undefined;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #fail(error: unknown): void {
    this.#failure ??= { error };
    this.#controller.abort(error);
    this.#notify();
  }

  /** Sends requests while lanes and the page budget allow, earliest chunk first; whether any. */
  #pump(): boolean {
    if (this.#closed || this.#failure !== undefined || this.#mode === "first") return false;
    let sent = false;
    // A request that fails at once (a bound no URL can carry) ends the scan before the next.
    while (this.#inFlight < this.#concurrency && this.#failure === undefined) {
      if (!this.#endKnown && this.#speculation <= 0) return sent;
      const chunk = this.#chunks.find((c) => !c.busy && c.cursor !== null && c !== this.#tail);
      const held = this.#inFlight + this.#processing + this.#buffered;
      // No chunk waits for a lane: this one takes over the far half of the earliest busy chunk
      // with more than a page and a half left past its request, rather than stay idle.
      if (chunk === undefined && this.#endKnown && held < this.#limit && this.#steal()) continue;
      if (chunk === undefined) return sent;
      const waitedOn = chunk === this.#chunks[0] && chunk.pages.length === 0;
      if (held >= this.#limit && !waitedOn) return sent;
      if (this.#mode === "cutting") this.#cut(chunk);
      if (!this.#endKnown) this.#speculation--;
      void this.#read(chunk);
      sent = true;
    }
    return sent;
  }

  #keyOf(item: Item): string {
    return this.#byId ? item.id : (createdOf(item) as { key: string }).key;
  }

  /** Whether `a` comes after `b` in the order, `created` ties broken by id. */
  #after(a: Item, b: Item): boolean {
    const byKey = this.#compare(this.#keyOf(a), this.#keyOf(b));
    return byKey > 0 || (byKey === 0 && this.#compare(a.id, b.id) > 0);
  }

  /**
   * Sends a chunk's next request and files its page. Never rejects: failures end the scan.
   *
   * In the two stages of `listing_step.ts`: once what paging needs is checked, the cursor moves,
   * the page takes its place (empty until checked through) and the lane is given back, so this
   * chunk's next request and others go out (with a turn of the event loop to send them) while
   * the rest of the page is checked. Answers that arrive together then do not wait for the
   * thread to work through them all. The page counts against the budget meanwhile.
   */
  async #read(chunk: Chunk): Promise<void> {
    const cursor = chunk.cursor as Cursor;
    const plan = chunk.plan;
    const start = cursorKey(cursor) ?? chunk.from?.key;
    chunk.busy = true;
    this.#inFlight++;
    let arrived = false;
    let released = false;
    let page: Page | undefined;
    try {
      const body = await this.#fetchListing(plan, cursor, this.#signal);
      if (this.#closed) return;
      arrived = true;
      this.#inFlight--;
      this.#processing++;
      // Both ends in one round: the first page is taken once the last page is back too.
      const tailBody = this.#mode === "first" && this.#earlyTail !== undefined
        ? await this.#earlyTail
        : undefined;
      if (this.#closed) return;
      // Stage 1: what paging needs. The chunk's next request can go out then.
      const answer = checkAnswer(plan, cursor, body);
      // Ended: covered by the last page meanwhile, nothing of it is filed.
      if (!chunk.ended) {
        const first = this.#mode === "first";
        const { listing, step } = answer;
        let next = step.next;
        const to = chunk.to;
        if (
          to !== undefined &&
          step.items.some((item) => this.#compare(this.#keyOf(item), to.key) >= 0)
        ) {
          // Bounded by the last page after this request went out: the rest is in that page.
          next = null;
        }
        if (first) this.#begin(chunk, listing.items, next);
        else this.#measure(start, listing.items, listing.has_more, chunk);
        chunk.cursor = next;
        if (step.items.length > 0) {
          page = { items: undefined };
          chunk.pages.push(page);
        }
        if (!first) {
          chunk.busy = false;
          released = true;
          if (this.#pump()) {
            await yieldToEventLoop();
            if (this.#closed) return;
          }
        }
      }
      // Stage 2: the rest of the page checked and made attachments, while those requests travel.
      const items = completeAnswer(answer);
      if (page !== undefined) this.#fill(chunk, page, items);
      page = undefined;
      const firstLast = answer.listing.items.at(-1);
      if (tailBody !== undefined && this.#mode === "cutting" && firstLast !== undefined) {
        const tail = new Chunk(this.#reversedPlan(), undefined, undefined);
        this.#tail = tail;
        this.#chunks.push(tail);
        this.#takeTail(tail, chunk, firstLast, tailBody);
      }
    } catch (error) {
      this.#fail(error);
      return;
    } finally {
      if (!released) chunk.busy = false;
      if (page !== undefined) chunk.pages.splice(chunk.pages.indexOf(page), 1);
      if (arrived) this.#processing--;
      else this.#inFlight--;
    }
    this.#pump();
    this.#notify();
  }

  /**
   * Puts a checked page's items in its place, less any the last page has (it may have bounded or
   * ended the chunk meanwhile).
   */
  #fill(chunk: Chunk, page: Page, attachments: Attachment[]): void {
    const to = chunk.to;
    const items = chunk.ended
      ? []
      : to === undefined
      ? attachments
      : attachments.filter((item) => this.#compare(this.#keyOf(item), to.key) < 0);
    if (items.length === 0) {
      chunk.pages.splice(chunk.pages.indexOf(page), 1);
      return;
    }
    page.items = items;
    this.#buffered++;
  }

  /**
   * Once the first page is back: sends the last page and decides how many chunks may go out
   * with it.
   */
  #begin(head: Chunk, first: readonly Item[], next: Cursor | null): void {
    const last = first.at(-1);
    if (next === null || last === undefined) {
      this.#mode = "single";
      return;
    }
    this.#mode = "cutting";
    this.#record({
      items: first.length - 1,
      from: this.#keyOf(first[0] as Item),
      to: this.#keyOf(last),
    });
    if (this.#byId) {
      const filter = this.#plan.filter;
      const descending = isDescending(this.#plan.order);
      const uniform = uniformIds(this.#plan.order, first.map((item) => item.id), {
        from: descending ? filter.id_lt ?? filter.id_lte : filter.id_gt ?? filter.id_gte,
        to: descending ? filter.id_gt ?? filter.id_gte : filter.id_lt ?? filter.id_lte,
      });
      if (uniform !== undefined) {
        this.#space = uniform.space;
        this.#end = uniform.endKey;
        // The last page covers about a page's worth of positions before the end.
        this.#estimatedEnd = uniform.end - this.#plan.batchSize / uniform.density;
        const middle = uniform.density * (this.#estimatedEnd - this.#space.positionOf(last.id));
        // As many requests as the pages between the first and the last (known within a tenth).
        this.#speculation = Math.min(
          this.#concurrency - 1,
          Math.max(0, Math.round(middle / this.#plan.batchSize)),
        );
      } else {
        // No projection before the last id is known: the only request is the head's next page.
        this.#firstIds = first.map((item) => item.id);
        this.#speculation = SPECULATIVE_PAGES;
      }
    } else {
      // The last page went out with the first: it is taken once the first page is filed.
      this.#space = createdKeySpace(this.#plan.order);
      return;
    }
    // The ids past the first page's last, strictly (a listing of two pages then costs two
    // requests), in reverse.
    const tail = new Chunk(
      { ...pastIdPlan(this.#plan, last.id), order: reversed(this.#plan.order) },
      undefined,
      undefined,
    );
    this.#tail = tail;
    this.#chunks.push(tail);
    void this.#readTail(tail, head, last);
  }

  /**
   * Reads the last page (in reverse), files it as the last chunk and bounds the chunk before it.
   * Never rejects: failures end the scan.
   */
  async #readTail(tail: Chunk, head: Chunk, firstLast: Item): Promise<void> {
    tail.busy = true;
    this.#inFlight++;
    try {
      const body = await this.#fetchListing(tail.plan, START, this.#signal);
      if (this.#closed) return;
      this.#takeTail(tail, head, firstLast, body);
    } catch (error) {
      this.#fail(error);
      return;
    } finally {
      tail.busy = false;
      this.#inFlight--;
    }
    this.#pump();
    this.#notify();
  }

  /** The whole listing in reverse, sent with the first page; counted in flight until back. */
  #sendTail(): Promise<unknown> {
    this.#inFlight++;
    const sent = this.#fetchListing(this.#reversedPlan(), START, this.#signal).finally(() =>
      this.#inFlight--
    );
    // Not awaited when the first page fails first: its failure is the first page's.
    sent.catch(() => undefined);
    return sent;
  }

  #reversedPlan(): PagingPlan {
    return { ...this.#plan, order: reversed(this.#plan.order) };
  }

  /** Files the last page (see {@linkcode ParallelScan.#readTail}); throws what the page fails. */
  #takeTail(tail: Chunk, head: Chunk, firstLast: Item, body: unknown): void {
    const listing = readListing(tail.plan.order, body);
    applyPage(tail.plan, START, listing);
    const items = completeListingPage(listing.items).toReversed();
    const lowest = items[0];
    if (!listing.has_more || lowest === undefined || !this.#after(lowest, firstLast)) {
      // It holds everything past the first page: nothing is left to cut or read.
      this.#cover(tail, head, firstLast, items.filter((item) => this.#after(item, firstLast)));
    } else {
      // Ties on `created` at its lowest value may go on before it: those stay with the middle.
      const lowestKey = this.#keyOf(lowest);
      const kept = this.#byId
        ? items
        : items.filter((item) => this.#compare(this.#keyOf(item), lowestKey) > 0);
      this.#bound(tail, kept, lowestKey, items.at(-1) as Item);
    }
    this.#endKnown = true;
    tail.cursor = null;
  }

  /**
   * The last page covered the whole rest: every chunk past the first page ends, and what they
   * fetched is dropped (the last page has it).
   */
  #cover(tail: Chunk, head: Chunk, firstLast: Item, items: Attachment[]): void {
    const beyond = (item: Item): boolean => this.#after(item, firstLast);
    for (const chunk of this.#chunks.slice()) {
      if (chunk === tail) continue;
      this.#trim(chunk, beyond);
      chunk.ended = true;
      chunk.cursor = null;
      if (chunk !== head) this.#chunks.splice(this.#chunks.indexOf(chunk), 1);
    }
    this.#file(tail, items);
  }

  /**
   * Files the last page and bounds the chunks before it at its lowest kept key: chunks wholly
   * past it are dropped, the one it falls into ends there.
   */
  #bound(tail: Chunk, kept: Attachment[], lowestKey: string, highest: Item): void {
    const first = kept[0];
    if (first !== undefined && kept.length > 1) {
      this.#record({ items: kept.length - 1, from: this.#keyOf(first), to: this.#keyOf(highest) });
    }
    if (this.#byId && this.#estimatedEnd === undefined && this.#firstIds !== undefined) {
      // Ids that failed the uniform check: the projection of the first page's ids and the last,
      // or, when the last page's ids pass it from their end (a cluster of prefixed ids at the
      // start, random UUIDs after it), of random UUIDs; then only pages of UUIDs measure.
      const ids = kept.map((item) => item.id);
      const fromEnd = uniformIds(reversed(this.#plan.order), ids.toReversed(), {});
      this.#space = fromEnd === undefined
        ? idKeySpace(this.#plan.order, this.#firstIds, highest.id)
        : uuidKeySpace(this.#plan.order);
      if (fromEnd !== undefined) {
        const uuids = (m: Measurement): boolean => isUuid(m.from) && isUuid(m.to);
        this.#measurements = this.#measurements.filter(uuids);
        for (const chunk of this.#chunks) {
          if (chunk.measured !== undefined && !uuids(chunk.measured)) chunk.measured = undefined;
        }
      }
    }
    this.#estimatedEnd = undefined;
    this.#end = this.#byId ? highest.id : lowestKey;
    if (first === undefined) {
      // All of it at one `created` value: it only tells where the listing ends.
      this.#chunks.splice(this.#chunks.indexOf(tail), 1);
      this.#tail = undefined;
      return;
    }
    const boundary: Boundary = this.#byId
      ? { value: first.id, key: first.id }
      : { value: positionOf(first).created, key: this.#keyOf(first) };
    this.#end = boundary.key;
    const beyond = (item: Item): boolean => this.#compare(this.#keyOf(item), boundary.key) >= 0;
    for (const chunk of this.#chunks.slice()) {
      if (chunk === tail) continue;
      this.#trim(chunk, beyond);
      if (chunk.from !== undefined && this.#compare(chunk.from.key, boundary.key) >= 0) {
        // Wholly inside the last page.
        chunk.ended = true;
        chunk.cursor = null;
        this.#chunks.splice(this.#chunks.indexOf(chunk), 1);
      } else if (
        chunk.to === undefined || this.#compare(chunk.to.key, boundary.key) > 0
      ) {
        chunk.to = boundary;
        chunk.plan = rangePlan(this.#plan, chunk.from?.value, boundary.value);
        const at = chunk.cursor === null ? undefined : cursorKey(chunk.cursor);
        if (at !== undefined && this.#compare(at, boundary.key) >= 0) chunk.cursor = null;
      }
    }
    this.#file(tail, kept);
  }

  /** Drops the items of a chunk's fetched pages that the last page holds. */
  #trim(chunk: Chunk, beyond: (item: Item) => boolean): void {
    for (let index = chunk.pages.length - 1; index >= 0; index--) {
      const page = chunk.pages[index] as Page;
      // A page still being checked is trimmed when it is filled.
      if (page.items === undefined) continue;
      page.items = page.items.filter((item) => !beyond(item));
      if (page.items.length === 0) {
        chunk.pages.splice(index, 1);
        this.#buffered--;
      }
    }
  }

  /** Files the last page's items, less any the consumer already has. */
  #file(tail: Chunk, items: Attachment[]): void {
    const yielded = this.#lastYielded;
    const left = yielded === undefined ? items : items.filter((item) => this.#after(item, yielded));
    if (left.length === 0) return;
    tail.pages.push({ items: left });
    this.#buffered++;
  }

  /**
   * Records how many items a page found between the key it started from and its last item (a
   * full page) or its chunk's end (the chunk's last page). For ids, a full page also renews the
   * projection: its ids show the characters the keys just ahead use.
   */
  #measure(
    start: string | undefined,
    items: readonly Item[],
    hasMore: boolean,
    chunk: Chunk,
  ): void {
    const first = items[0];
    const last = items.at(-1);
    if (first === undefined || last === undefined) {
      if (start !== undefined && chunk.to !== undefined) {
        this.#record({ items: 0, from: start, to: chunk.to.key }, chunk);
      }
      return;
    }
    let from = start ?? this.#keyOf(first);
    let count = start === undefined ? items.length - 1 : items.length;
    if (this.#evenStart && items.length > 1 && !items.every((item) => isUuid(item.id))) {
      // Ids of two kinds (UUIDs, and a cluster of prefixed ids past them): what lies ahead is of
      // the kind the page ends with, measured over the run of that kind it ends with.
      const uuids = isUuid(last.id);
      let run = items.length - 1;
      while (run > 0 && isUuid((items[run - 1] as Item).id) === uuids) run--;
      if (run > 0 && items.length - run > 1) {
        from = (items[run] as Item).id;
        count = items.length - run - 1;
      }
      if (uuids) {
        // Back among UUIDs: their projection.
        chunk.space = undefined;
        chunk.spaceEnd = undefined;
      } else {
        // Not UUIDs: the chunk is projected by its own ids from here on, up to its end.
        const ids = items.slice(run).map((item) => item.id);
        chunk.space = idKeySpace(this.#plan.order, ids, chunk.to?.key ?? last.id);
        if (chunk.to === undefined) {
          // The open end: no further than the ids that share this page's prefix.
          const prefix = sharedPrefix(ids);
          chunk.spaceEnd = isDescending(this.#plan.order) ? prefix : `${prefix}\uffff`;
        }
      }
    }
    if (hasMore) {
      this.#record({ items: count, from, to: this.#keyOf(last) }, chunk);
      if (
        this.#byId && this.#endKnown && !this.#evenStart && items.length > 1 &&
        typeof this.#end === "string"
      ) {
        this.#space = idKeySpace(this.#plan.order, items.map((item) => item.id), this.#end);
      }
    } else if (chunk.to !== undefined) {
      this.#record({ items: count, from, to: chunk.to.key }, chunk);
    }
  }

  #record(measurement: Measurement, chunk?: Chunk): void {
    this.#measurements.push(measurement);
    if (this.#measurements.length > MEASUREMENTS) this.#measurements.shift();
    if (chunk !== undefined) chunk.measured = measurement;
  }

  /**
   * Items per unit of position: the chunk's own last page if it has one (the most local
   * estimate), else the recent pages this projection covers. A page all at one point (a run of
   * ties on `created`) is a point, not a density: it says nothing of what comes after it.
   */
  #density(space: KeySpace, chunk: Chunk): number {
    const spanOf = (measurement: Measurement): number =>
      space.covers(measurement.from) && space.covers(measurement.to)
        ? space.positionOf(measurement.to) - space.positionOf(measurement.from)
        : 0;
    const own = chunk.measured;
    const ownSpan = own === undefined ? 0 : spanOf(own);
    const local = own !== undefined && ownSpan > 0 ? (own.items + 1) / ownSpan : 0;
    let items = 1;
    let span = 0;
    for (const measurement of this.#measurements) {
      const covered = spanOf(measurement);
      if (!(covered > 0)) continue;
      items += measurement.items;
      span += covered;
    }
    return local > 0 ? local : items / span;
  }

  /**
   * Splits the earliest busy chunk that has more than a page and a half left past the page it is
   * reading: it keeps its share of what is left (a half with one free lane, an eighth with seven:
   * the last page back before the next in a listing by id that fails the uniform check), the
   * rest becomes a new chunk, which the free lanes read (cut in turn). Whether any was split.
   */
  #steal(): boolean {
    for (const chunk of this.#chunks) {
      const space = chunk.space ?? this.#space;
      if (space === undefined) return false;
      if (
        !chunk.busy || chunk === this.#tail || chunk.cursor === null ||
        chunk.to === undefined
      ) {
        continue;
      }
      const start = cursorKey(chunk.cursor) ?? chunk.from?.key;
      if (start === undefined) continue;
      const density = this.#density(space, chunk);
      if (!(density > 0 && density < Infinity)) continue;
      // Past the page in flight, as far as the density says it reaches, and a little more.
      const from = space.positionOf(start) + 1.1 * this.#plan.batchSize / density;
      const left = density * (space.positionOf(chunk.to.key) - from);
      if (!(left > 1.5 * this.#plan.batchSize)) continue;
      // It keeps its share of what is left, the free lanes the rest (cut for them in turn).
      const free = Math.max(1, this.#concurrency - this.#inFlight);
      const keep = left / (free + 1);
      const boundary = space.boundaryNear(from + keep / density, start, chunk.to.key);
      if (boundary === undefined) continue;
      this.#split(chunk, boundary);
      return true;
    }
    return false;
  }

  /** Cuts a chunk at `boundary`: the part past it becomes the next chunk. */
  #split(chunk: Chunk, boundary: Boundary): void {
    const rest = new Chunk(
      rangePlan(this.#plan, boundary.value, chunk.to?.value),
      boundary,
      chunk.to,
    );
    rest.space = chunk.space;
    rest.spaceEnd = chunk.spaceEnd;
    chunk.to = boundary;
    chunk.plan = rangePlan(this.#plan, chunk.from?.value, boundary.value);
    this.#chunks.splice(this.#chunks.indexOf(chunk) + 1, 0, rest);
  }

  /**
   * Cuts a chunk about to be read where it should hold {@linkcode CHUNK_PAGES} pages; the rest
   * becomes the next chunk. Only when the rest should hold more than half as much again.
   */
  #cut(chunk: Chunk): void {
    const space = chunk.space ?? this.#space;
    const start = chunk.cursor === null ? undefined : cursorKey(chunk.cursor) ?? chunk.from?.key;
    if (space === undefined || start === undefined) return;
    // A chunk with its own projection past the last UUID ends where its ids end.
    const end = chunk.to?.key ?? (chunk.space === undefined ? this.#end : chunk.spaceEnd);
    const from = space.positionOf(start);
    const density = this.#density(space, chunk);
    // Nothing measured yet (the even parts' first requests): cut once a page has measured.
    if (!(density > 0 && density < Infinity)) return;
    const endAt = chunk.to === undefined && this.#estimatedEnd !== undefined
      ? this.#estimatedEnd
      : end === undefined
      ? Infinity
      : space.positionOf(end);
    const remaining = density * (endAt - from);
    let target = this.#target;
    if (chunk.to === undefined || chunk.to.key === this.#end) {
      // The last chunk. Once what is left fits the free lanes at up to EVEN_PAGES each, it is
      // cut into even parts, one per free lane: they all end about together, in the fewest
      // rounds (a listing of 30 pages: both ends, then 8 parts of about 3.5 pages each).
      let free = Math.max(1, this.#concurrency - this.#inFlight);
      if (!this.#endKnown) free = Math.max(1, Math.min(free, this.#speculation));
      const even = remaining / free;
      if (even <= EVEN_PAGES * this.#plan.batchSize) {
        target = Math.max(0.75 * this.#plan.batchSize, even);
      } else {
        // Up to NEAR_END_PAGES each, it is shared among them and one more (the next to come
        // free), so that the last pages come in together rather than one lane reading the end
        // page after page.
        const share = remaining / (free + 1);
        let size = share <= NEAR_END_PAGES * this.#plan.batchSize ? share : target;
        // Lanes that start together would finish together and fill the page budget with pages
        // the consumer cannot take yet: the first ones cut get less, so they come free in turn.
        size *= Math.min(1, (this.#inFlight + 1) / this.#concurrency);
        target = Math.max(0.75 * this.#plan.batchSize, size);
      }
    }
    // What is left of the last chunk goes to two lanes or more once it is more than a page and
    // lanes are free: a request more, a round less.
    const last = chunk.to === undefined && this.#concurrency - this.#inFlight > 1;
    if (!(remaining > (last ? 1 : 1.5) * target)) return;
    const boundary = space.boundaryNear(from + target / density, start, chunk.to?.key);
    if (boundary === undefined) return;
    // The last chunk ends before the last page: no cut beyond it.
    if (chunk.to === undefined && end !== undefined && this.#compare(boundary.key, end) >= 0) {
      return;
    }
    this.#split(chunk, boundary);
  }
}

/** The prefix every id shares. */
function sharedPrefix(ids: readonly string[]): string {
  let prefix = ids[0] ?? "";
  for (const id of ids) {
    let shared = 0;
    while (shared < prefix.length && shared < id.length && prefix[shared] === id[shared]) shared++;
    prefix = prefix.slice(0, shared);
  }
  return prefix;
}
