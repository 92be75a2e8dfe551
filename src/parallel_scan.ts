/**
 * The parallel ordered scan behind the `concurrency` option: several lanes read consecutive
 * parts of the key space at once, and the pages still come out in the requested order, every
 * item exactly once, with a bounded number of pages held.
 *
 * ## Parts ("chunks") cut by measurement
 *
 * The key space (ids, or `created` values) is cut into consecutive chunks, each read by the
 * single-lane keyset logic of `pagination.ts` within its own range: `[from, to)` in the order's
 * direction, sent as filters merged with the caller's. Chunks cut at the same values never
 * overlap and leave nothing out, and ties on `created` always fall into one chunk, so exactly-once
 * holds whatever the cuts are; the cuts only decide how fast the scan goes.
 *
 * 1. The first page and a probe (the same filter, reversed, `limit=1`: the last item) go out at
 *    once. The first page's ids and the last id set up the projection of `key_space.ts`.
 * 2. Every page measures density: `n` items over the span of positions it covers (a full page: up
 *    to its last item; a chunk's last page: up to the chunk's end). The last few measurements
 *    give the current estimate.
 * 3. Before a chunk's next request, the chunk is cut where it should hold 1.8 pages (two
 *    requests), and the rest becomes a new chunk right after it. So chunks are created just ahead
 *    of the consumer, from densities measured just behind, and a chunk found denser than expected
 *    is cut again as soon as its first page comes back.
 *
 * ## Lanes and memory
 *
 * At most `concurrency` requests are in flight. Requests go to the earliest chunk that needs one
 * (the one the consumer reads first), and a new chunk is only cut when all earlier ones are busy.
 * Requests in flight plus pages fetched and not yet taken never exceed
 * `concurrency` × {@linkcode PAGES_PER_LANE}, except for one request of the chunk the consumer is
 * waiting on. Lanes ahead of a slow consumer stall once that budget is used up.
 *
 * A failure in any lane (after the transport's retries) ends the iteration: it aborts every other
 * request and is thrown to the consumer. Leaving the iteration aborts every request in flight.
 *
 * @module
 */

import {
  type Boundary,
  createdKeySpace,
  idKeySpace,
  keyComparer,
  type KeySpace,
} from "./key_space.ts";
import { checkAnswer, completeAnswer, readListing } from "./listing_step.ts";
import { ordersById, reversed } from "./order.ts";
import { type Cursor, cursorKey, type PagingPlan, rangePlan, START } from "./pagination.ts";
import { yieldToEventLoop } from "./abort.ts";
import { createdOf } from "./raw_created.ts";
import { completeListingPage, type ListedItem } from "./schema.ts";
import type { Attachment, AttachmentPage } from "./types.ts";

/** Pages each lane may hold ahead of the consumer (fetched or in flight). */
export const PAGES_PER_LANE = 3;

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

/** One part of the key space and the state of its reading. */
class Chunk {
  plan: PagingPlan;
  readonly from: Boundary | undefined;
  to: Boundary | undefined;
  cursor: Cursor | null = START;
  readonly pages: Attachment[][] = [];
  busy = false;

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

/**
 * The pages of a listing read by several lanes, in order; see the module documentation. Nothing
 * is sent before the first `next()`.
 */
export function parallelPages(
  options: ParallelScanOptions,
): AsyncGenerator<AttachmentPage, undefined, undefined> {
  return new ParallelScan(options).pages();
}

/** A page's count of items between two keys (the span is projected when the density is asked). */
interface Measurement {
  readonly items: number;
  readonly from: string;
  readonly to: string;
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
  readonly #measurements: Measurement[] = [];
  #inFlight = 0;
  #buffered = 0;
  /** Answers arrived and being checked: not in flight any more, not yet filed. */
  #processing = 0;
  /** `starting` until the first page and the probe are back; `single` when no cut is possible. */
  #mode: "starting" | "cutting" | "single" = "starting";
  #space: KeySpace | undefined;
  /** The key of the last item, from the probe (`null`: the probe found nothing). */
  #end: string | null | undefined;
  #first: ListedItem[] | undefined;
  #failure: { error: unknown } | undefined;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(options: ParallelScanOptions) {
    this.#plan = options.plan;
    this.#concurrency = options.concurrency;
    this.#limit = options.concurrency * PAGES_PER_LANE;
    this.#target = Math.max(1, Math.floor(options.plan.batchSize * 9 / 5));
    this.#fetchListing = options.fetchListing;
    this.#signal = AbortSignal.any([options.signal, this.#controller.signal]);
    this.#byId = ordersById(options.plan.order);
    this.#compare = keyComparer(options.plan.order);
  }

  async *pages(): AsyncGenerator<AttachmentPage, undefined, undefined> {
    const head = new Chunk(this.#plan, undefined, undefined);
    this.#chunks.push(head);
    void this.#read(head);
    void this.#probe();
    try {
      for (;;) {
        if (this.#failure !== undefined) throw this.#failure.error;
        const chunk = this.#chunks[0];
        if (chunk === undefined) return undefined;
        const items = chunk.pages.shift();
        if (items !== undefined) {
          this.#buffered--;
          const more = this.#chunks.length > 1 || !chunk.fetched || chunk.pages.length > 0;
          this.#pump();
          yield { items, has_more: more };
          continue;
        }
        if (chunk.fetched) {
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

  /** Sends requests while lanes and the page budget allow, earliest chunk first. */
  #pump(): void {
    if (this.#closed || this.#failure !== undefined || this.#mode === "starting") return;
    while (this.#inFlight < this.#concurrency) {
      const chunk = this.#chunks.find((c) => !c.busy && c.cursor !== null);
      if (chunk === undefined) return;
      const waitedOn = chunk === this.#chunks[0] && chunk.pages.length === 0;
      const held = this.#inFlight + this.#processing + this.#buffered;
      if (held >= this.#limit && !waitedOn) return;
      if (this.#mode === "cutting") this.#cut(chunk);
      void this.#read(chunk);
    }
  }

  #keyOf(item: ListedItem): string {
    return this.#byId ? item.id : (createdOf(item) as { key: string }).key;
  }

  /**
   * Sends a chunk's next request and files its page. Never rejects: failures end the scan.
   *
   * The lane is given back as soon as the answer arrives, before the page is checked: other
   * chunks' requests go out (with a turn of the event loop to send them) while this page is
   * processed, so answers that arrive together do not keep lanes idle while the thread works
   * through them one by one. The page still counts against the budget meanwhile.
   */
  async #read(chunk: Chunk): Promise<void> {
    const cursor = chunk.cursor as Cursor;
    const plan = chunk.plan;
    const start = cursorKey(cursor) ?? chunk.from?.key;
    chunk.busy = true;
    this.#inFlight++;
    let arrived = false;
    try {
      const body = await this.#fetchListing(plan, cursor, this.#signal);
      if (this.#closed) return;
      arrived = true;
      this.#inFlight--;
      this.#processing++;
      if (this.#mode === "cutting") {
        this.#pump();
        await yieldToEventLoop();
        if (this.#closed) return;
      }
      const answer = checkAnswer(plan, cursor, body);
      const items = completeAnswer(answer);
      const { listing } = answer;
      if (this.#mode === "starting") this.#first ??= listing.items;
      else this.#measure(start, listing.items, listing.has_more, chunk);
      chunk.cursor = answer.step.next;
      if (items.length > 0) {
        chunk.pages.push(items);
        this.#buffered++;
      }
    } catch (error) {
      this.#fail(error);
      return;
    } finally {
      chunk.busy = false;
      if (arrived) this.#processing--;
      else this.#inFlight--;
    }
    this.#start();
    this.#pump();
    this.#notify();
  }

  /** Reads the last item in the order: the same filter, reversed, one item. */
  async #probe(): Promise<void> {
    const plan: PagingPlan = { ...this.#plan, order: reversed(this.#plan.order), batchSize: 1 };
    this.#inFlight++;
    try {
      const body = await this.#fetchListing(plan, START, this.#signal);
      if (this.#closed) return;
      const listing = readListing(plan.order, body);
      completeListingPage(listing.items);
      const last = listing.items[0];
      this.#end = last === undefined ? null : this.#keyOf(last);
    } catch (error) {
      this.#fail(error);
      return;
    } finally {
      this.#inFlight--;
    }
    this.#start();
    this.#pump();
    this.#notify();
  }

  /** Once the first page and the probe are back: sets up the key space, or gives up cutting. */
  #start(): void {
    if (this.#mode !== "starting" || this.#first === undefined || this.#end === undefined) return;
    const first = this.#first;
    this.#first = undefined;
    const head = this.#chunks[0] as Chunk;
    if (this.#end === null || head.cursor === null) {
      this.#mode = "single";
      return;
    }
    this.#mode = "cutting";
    if (!this.#byId) this.#space = createdKeySpace(this.#plan.order);
    this.#measure(undefined, first, true, head);
  }

  /**
   * Records how many items a page found between the key it started from and its last item (a
   * full page) or its chunk's end (the chunk's last page). For ids, a full page also renews the
   * projection: its ids show the characters the keys just ahead use.
   */
  #measure(
    start: string | undefined,
    items: readonly ListedItem[],
    hasMore: boolean,
    chunk: Chunk,
  ): void {
    const first = items[0];
    const last = items.at(-1);
    if (first === undefined || last === undefined) {
      if (start !== undefined && chunk.to !== undefined) {
        this.#record({ items: 0, from: start, to: chunk.to.key });
      }
      return;
    }
    const from = start ?? this.#keyOf(first);
    const count = start === undefined ? items.length - 1 : items.length;
    if (hasMore) {
      this.#record({ items: count, from, to: this.#keyOf(last) });
      if (this.#byId && items.length > 1 && typeof this.#end === "string") {
        this.#space = idKeySpace(this.#plan.order, items.map((item) => item.id), this.#end);
      }
    } else if (chunk.to !== undefined) {
      this.#record({ items: count, from, to: chunk.to.key });
    }
  }

  #record(measurement: Measurement): void {
    this.#measurements.push(measurement);
    if (this.#measurements.length > MEASUREMENTS) this.#measurements.shift();
  }

  /**
   * Items per unit of position, from the recent measurements this projection covers
   * (`Infinity`: all on one point).
   */
  #density(space: KeySpace): number {
    let items = 1;
    let span = 0;
    for (const measurement of this.#measurements) {
      if (!space.covers(measurement.from) || !space.covers(measurement.to)) continue;
      items += measurement.items;
      span += Math.max(0, space.positionOf(measurement.to) - space.positionOf(measurement.from));
    }
    return items / span;
  }

  /**
   * Cuts a chunk about to be read where it should hold 1.8 pages; the rest becomes the next
   * chunk. Only when the rest should hold more than half as much again.
   *
   * Why 1.8 pages: a chunk's last page is partly empty, and estimates miss by a third or more on
   * clustered data (ties on `created` come in bursts), so single-page chunks average about two
   * thirds of a page per request; two-page chunks bring that to about four fifths. The last
   * chunk is shared among the free lanes instead, so the end of a listing comes in together.
   */
  #cut(chunk: Chunk): void {
    const space = this.#space;
    const start = chunk.cursor === null ? undefined : cursorKey(chunk.cursor) ?? chunk.from?.key;
    const end = chunk.to?.key ?? this.#end;
    if (space === undefined || start === undefined || typeof end !== "string") return;
    const from = space.positionOf(start);
    const density = this.#density(space);
    const remaining = density * (space.positionOf(end) - from);
    let target = this.#target;
    if (chunk.to === undefined) {
      // The tail: share what is left among the free lanes, so the last pages come in together
      // rather than one lane reading the end page after page.
      const free = Math.max(1, this.#concurrency - this.#inFlight);
      target = Math.max(Math.ceil(target / 4), Math.min(target, remaining / free));
    }
    if (!(remaining > 1.5 * target)) return;
    const boundary = space.boundaryNear(from + target / density, start, chunk.to?.key);
    if (boundary === undefined) return;
    // The last chunk ends with the probe's item: no cut beyond it.
    if (chunk.to === undefined && this.#compare(boundary.key, end) > 0) return;
    const rest = new Chunk(
      rangePlan(this.#plan, boundary.value, chunk.to?.value),
      boundary,
      chunk.to,
    );
    chunk.to = boundary;
    chunk.plan = rangePlan(this.#plan, chunk.from?.value, boundary.value);
    this.#chunks.splice(this.#chunks.indexOf(chunk) + 1, 0, rest);
  }
}
