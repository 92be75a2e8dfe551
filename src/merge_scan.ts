/**
 * A parallel scan by merging: the listing cut into ranges of one field, each range read in the
 * listing's order by a lane of its own, and the ranges merged.
 *
 * - **The `created` orders: ranges of ids.** Ids are random UUIDs as a rule, so each range is a
 *   random sample of the listing and all of them move through time together: every round reads a
 *   page of every range, from the first round on. Cutting by `created` instead
 *   (`parallel_scan.ts`) needs both ends of the listing first and then guesses how time is
 *   filled, which costs rounds: 30 pages in 6 to 8 rounds there, 4 or 5 here.
 * - **The orders by id: ranges of `created`** (`id_order_scan.ts` cuts them at the quantiles of
 *   a first round's `created` values). The same holds the other way round: ids are random
 *   whatever the time, so each range of time moves through the ids with the others, close to the
 *   consumer, where consecutive parts of the ids would run far ahead of it and into the page
 *   budget.
 *
 * Below, "ids" stands for the field the ranges are cut by, and `created` for the order's.
 *
 * ## Exactly once, in order
 *
 * A part is the caller's filter narrowed to ids from one boundary (inclusive) to the next
 * (exclusive), read by the single-lane keyset logic of `pagination.ts` (ties on `created` are
 * drained by id within the part; a range of `created` read by id has no ties to drain). Parts
 * cut at real values never overlap and leave nothing out, whatever the ids are. The API sorts `created` ties by id in the order's direction, and so does
 * the merge, so the merged order is the API's.
 *
 * An item is given to the consumer only when no part can still bring an earlier one: every part
 * not yet done either has items waiting (its next is its first waiting one) or has read up to a
 * position (its last item) that comes after it.
 *
 * ## Uneven parts
 *
 * Ids that are not random UUIDs (a cluster of prefixed ids, numbers) fill some parts more than
 * others, and a part that is fuller needs more pages for the same stretch of time: the merge waits
 * on it. When a lane is free (every part left is being read), the part furthest behind is split
 * at its next answer, at the quantiles of that page's ids, into as many parts as lanes are free
 * plus one; the new parts go on from where it stands. A split costs no request. A run of ties
 * (read by id) and ids that follow `created` are not split: their page's ids say nothing of what
 * is left. A run of ties is still spread over the ranges cut at the start, when its ids are.
 *
 * ## Lanes and memory
 *
 * At most `concurrency` requests are in flight, one per part. Pages read and not wholly merged
 * count against `concurrency` × `pagesPerLane` with the requests in flight. A page of it is kept
 * for every part with nothing waiting (the merge needs a page of each to go on), and `concurrency`
 * pages for the parts a split makes, so parts that ran ahead stop first. A split makes only as
 * many parts as the budget has pages for.
 *
 * Internal to this repository (not exported from `mod.ts`).
 *
 * @module
 */

import { yieldToEventLoop } from "./abort.ts";
import { byKey, isSendable, keyComparer } from "./key_space.ts";
import { checkAnswer, completeAnswer } from "./listing_step.ts";
import { ordersById } from "./order.ts";
import {
  type Cursor,
  type Field,
  fieldRangePlan,
  type PagingPlan,
  type RangeEnd,
  START,
} from "./pagination.ts";
import type { FetchListing, ParallelScanOptions } from "./parallel_scan.ts";
import { createdOf } from "./raw_created.ts";
import { type ListedItem, readCreated } from "./schema.ts";
import type { Attachment, AttachmentPage } from "./types.ts";

/**
 * What {@linkcode mergedPages} needs: the chunk scan's options, the field the listing is cut by
 * and where, and the page budget.
 */
export interface MergeScanOptions extends ParallelScanOptions {
  /** Pages each lane may hold ahead of the consumer. */
  readonly pagesPerLane: number;
  /** The field the parts are ranges of: `id` in a `created` order, `created` in one by id. */
  readonly field: Field;
  /** Where the parts start cut, in rising key order (`concurrency - 1` values at most). */
  readonly cuts: readonly RangeEnd[];
  /**
   * A page given out first, once the parts' first requests are out: items that come before
   * everything the parts hold (the first page of the orders by id, read before the cuts).
   */
  readonly head?: Attachment[];
}

/**
 * Parts a lane at most, splits included: a listing whose ids defeat the split (clusters of equal
 * prefixes) cannot multiply requests without end.
 */
const MAX_PARTS_PER_LANE = 4;

/** Where an item stands in the merged order: its `created` key, then its id. */
interface Position {
  readonly key: string;
  readonly id: string;
}

/** A page of a part: its items once checked through (`undefined` while being checked). */
interface Page {
  items: Attachment[] | undefined;
}

/** One range of ids, read in the listing's order. */
class Part {
  plan: PagingPlan;
  readonly low: RangeEnd | undefined;
  high: RangeEnd | undefined;
  cursor: Cursor | null = START;
  busy = false;
  /** Its pages not yet merged, in order; the first from {@linkcode Part.offset} on. */
  readonly pages: Page[] = [];
  offset = 0;
  /** Its last item read: everything it brings later comes after it. */
  reached: Position | undefined;
  /** Split into this many parts when its next answer is in. */
  splitInto = 0;

  constructor(plan: PagingPlan, low: RangeEnd | undefined, high: RangeEnd | undefined) {
    this.plan = plan;
    this.low = low;
    this.high = high;
  }

  /** Whether everything of it has been read. */
  get done(): boolean {
    return this.cursor === null && !this.busy;
  }

  /** Its next item to merge, if checked and waiting. */
  get head(): Attachment | undefined {
    return this.pages[0]?.items?.[this.offset];
  }
}

/**
 * The pages of a listing in a `created` order read by several lanes and merged; see the module
 * documentation. Nothing is sent before the first `next()`.
 */
export function mergedPages(
  options: MergeScanOptions,
): AsyncGenerator<AttachmentPage, undefined, undefined> {
  return new MergeScan(options).pages();
}

class MergeScan {
  readonly #plan: PagingPlan;
  readonly #field: Field;
  readonly #cuts: readonly RangeEnd[];
  readonly #head: Attachment[] | undefined;
  /** The order is by id: an item's place is its id alone. */
  readonly #byId: boolean;
  readonly #concurrency: number;
  /** Pages held at most: requests in flight, pages not wholly merged, the page being filled. */
  readonly #limit: number;
  readonly #fetchListing: FetchListing;
  readonly #controller = new AbortController();
  readonly #signal: AbortSignal;
  readonly #compare: (a: string, b: string) => number;
  readonly #parts: Part[] = [];
  /** Items merged and not yet given out (a page being filled). */
  #out: Attachment[] = [];
  #inFlight = 0;
  /** The consumer is waiting on the merge (not busy with a page it was given). */
  #waiting = false;
  #failure: { error: unknown } | undefined;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(options: MergeScanOptions) {
    this.#plan = options.plan;
    this.#field = options.field;
    this.#cuts = options.cuts;
    this.#head = options.head;
    this.#byId = ordersById(options.plan.order);
    this.#concurrency = options.concurrency;
    this.#limit = options.concurrency * options.pagesPerLane;
    this.#fetchListing = options.fetchListing;
    this.#signal = AbortSignal.any([options.signal, this.#controller.signal]);
    this.#compare = keyComparer(options.plan.order);
  }

  async *pages(): AsyncGenerator<AttachmentPage, undefined, undefined> {
    const ends = [undefined, ...this.#cuts, undefined];
    for (let index = 0; index + 1 < ends.length; index++) {
      this.#addPart(ends[index], ends[index + 1]);
    }
    try {
      this.#pump();
      if (this.#head !== undefined) yield { items: this.#head, has_more: true };
      for (;;) {
        if (this.#failure !== undefined) throw this.#failure.error;
        this.#merge();
        this.#pump();
        const finished = this.#parts.length === 0;
        // A page goes out once it is sure whether more follow: some part has items waiting, or
        // every part is done. (Else the part being read may end with nothing more.)
        const more = this.#parts.some((part) => part.head !== undefined);
        if (this.#out.length > 0 && (more || finished)) {
          const items = this.#out;
          this.#out = [];
          this.#pump();
          yield { items, has_more: !finished };
          continue;
        }
        if (finished) return undefined;
        this.#waiting = true;
        this.#pump();
        await new Promise<void>((resolve) => this.#wake = resolve);
        this.#waiting = false;
      }
    } finally {
      this.#closed = true;
      this.#controller.abort(new Error("The iteration is over"));
    }
  }

  #addPart(low: RangeEnd | undefined, high: RangeEnd | undefined, after?: Part): Part {
    const part = new Part(fieldRangePlan(this.#plan, this.#field, low, high), low, high);
    if (after === undefined) this.#parts.push(part);
    else this.#parts.splice(this.#parts.indexOf(after) + 1, 0, part);
    return part;
  }

  /**
   * Works on a listed item before it is checked through too (in a `created` order, `readCreated`
   * has read it).
   */
  #position(item: { readonly id: string }): Position {
    if (this.#byId) return { key: item.id, id: item.id };
    return { key: (createdOf(item) as { key: string }).key, id: item.id };
  }

  /** Whether `a` comes before `b` in the order (`created` ties by id). */
  #before(a: Position, b: Position): boolean {
    const byKey = this.#compare(a.key, b.key);
    return byKey < 0 || (byKey === 0 && this.#compare(a.id, b.id) < 0);
  }

  /** Moves items that no part can precede any more into the page being filled. */
  #merge(): void {
    const batch = this.#plan.batchSize;
    while (this.#out.length < batch) {
      let first: Part | undefined;
      let firstAt: Position | undefined;
      for (const part of this.#parts) {
        const head = part.head;
        if (head === undefined) continue;
        const at = this.#position(head);
        if (firstAt === undefined || this.#before(at, firstAt)) {
          first = part;
          firstAt = at;
        }
      }
      if (first === undefined || firstAt === undefined) return;
      // A part with nothing waiting may still bring an item before it, unless it has read past
      // it; a page still being checked may hold anything up to where the part has read.
      for (const part of this.#parts) {
        if (part.head !== undefined) continue;
        if (part.pages.length > 0) return;
        if (part.done) continue;
        if (part.reached === undefined || this.#before(part.reached, firstAt)) return;
      }
      this.#out.push(first.head as Attachment);
      if (++first.offset === first.pages[0]?.items?.length) {
        first.pages.shift();
        first.offset = 0;
      }
      if (first.done && first.pages.length === 0) {
        this.#parts.splice(this.#parts.indexOf(first), 1);
      }
    }
  }

  /**
   * Pages held: requests in flight, pages read and not wholly merged, and the page being filled.
   * Counted in pages, not items: a page that brings few items holds as much as a full one.
   */
  #held(): number {
    let pages = this.#inFlight + Math.ceil(this.#out.length / this.#plan.batchSize);
    for (const part of this.#parts) pages += part.pages.length;
    return pages;
  }

  /**
   * Sends requests while lanes allow: parts with nothing waiting first (the merge may wait on
   * them), then the part furthest behind, while the page budget allows. A free lane with no part
   * to read splits the part furthest behind.
   */
  #pump(): void {
    if (this.#closed || this.#failure !== undefined) return;
    // A request that fails at once (a bound no URL can carry) ends the scan before the next.
    while (this.#inFlight < this.#concurrency && this.#failure === undefined) {
      let next: Part | undefined;
      for (const part of this.#parts) {
        if (part.busy || part.cursor === null) continue;
        if (part.pages.length === 0) {
          next = part;
          break;
        }
        if (next === undefined || this.#behind(part, next)) next = part;
      }
      // The budget keeps a page for every part with nothing waiting (the merge needs a page of
      // each to go on), and a lane's worth for the parts a split makes: parts with items waiting
      // read only past both. Should it ever be spent, a part with nothing waiting still goes
      // when nothing is in flight and the consumer waits, since nothing else would free it.
      const spare = this.#limit - this.#held() - this.#reserve();
      const fits = next !== undefined &&
        (next.pages.length === 0
          ? spare >= 0 || (this.#waiting && this.#inFlight === 0)
          : spare >= 1 + this.#concurrency);
      if (next !== undefined && fits) {
        void this.#read(next);
        continue;
      }
      // Lanes free while the consumer waits: the part furthest behind is split, to catch up.
      if (this.#waiting) this.#planSplit();
      return;
    }
  }

  /** Parts with nothing waiting and nothing in flight, still to be read: a page each is kept. */
  #reserve(): number {
    let parts = 0;
    for (const part of this.#parts) {
      if (!part.busy && part.cursor !== null && part.pages.length === 0) parts++;
    }
    return parts;
  }

  /** Whether part `a` has read less far than part `b`. */
  #behind(a: Part, b: Part): boolean {
    if (a.reached === undefined) return b.reached !== undefined;
    return b.reached !== undefined && this.#before(a.reached, b.reached);
  }

  /**
   * The consumer waits, lanes are free and no part may be read: the part furthest behind, being
   * read with nothing of it waiting (the merge waits on it), is split at its next answer. At
   * most {@linkcode MAX_PARTS_PER_LANE} parts a lane.
   */
  #planSplit(): void {
    if (this.#parts.length >= MAX_PARTS_PER_LANE * this.#concurrency) return;
    const free = this.#concurrency - this.#inFlight;
    let slowest: Part | undefined;
    for (const part of this.#parts) {
      if (part.done || part.reached === undefined) continue;
      if (slowest === undefined || this.#behind(part, slowest)) slowest = part;
    }
    if (slowest?.busy && slowest.splitInto === 0 && slowest.pages.length === 0) {
      slowest.splitInto = free + 1;
    }
  }

  /**
   * Reads a part's next page and puts it in its place. Never rejects: failures end the scan.
   * As in `parallel_scan.ts`, the part's next request goes out once the page has passed the
   * checks paging needs, before the rest is checked.
   */
  async #read(part: Part): Promise<void> {
    const cursor = part.cursor as Cursor;
    const plan = part.plan;
    part.busy = true;
    this.#inFlight++;
    let sent = true;
    let released = false;
    try {
      const body = await this.#fetchListing(plan, cursor, this.#signal);
      this.#inFlight--;
      sent = false;
      if (this.#closed) return;
      const answer = checkAnswer(plan, cursor, body);
      const { items, next } = answer.step;
      part.cursor = next;
      const last = items.at(-1);
      if (last !== undefined) part.reached = this.#position(last);
      const page: Page = { items: undefined };
      part.pages.push(page);
      if (part.splitInto > 0 && next !== null) this.#split(part, answer.listing.items);
      part.splitInto = 0;
      part.busy = false;
      released = true;
      this.#pump();
      await yieldToEventLoop();
      if (this.#closed) return;
      page.items = completeAnswer(answer);
      if (page.items.length === 0) part.pages.splice(part.pages.indexOf(page), 1);
      if (part.done && part.pages.length === 0) this.#parts.splice(this.#parts.indexOf(part), 1);
    } catch (error) {
      this.#failure ??= { error };
      this.#controller.abort(error);
    } finally {
      if (sent) this.#inFlight--;
      if (!released) part.busy = false;
    }
    this.#pump();
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** An item's value of the field the parts are cut by. */
  #cutValue(item: ListedItem): RangeEnd {
    if (this.#field === "id") return { value: item.id, key: item.id };
    const created = createdOf(item) as { utc: string; key: string };
    return { value: created.utc, key: created.key };
  }

  /**
   * Cuts what is left of a part into `splitInto` parts at the quantiles of its last page's values
   * of the field: it keeps the lowest, the new parts go on from its cursor.
   */
  #split(part: Part, listed: readonly ListedItem[]): void {
    if (this.#field === "created") readCreated(listed);
    const values = listed.map((item) => this.#cutValue(item));
    // Values in the page's order rising or falling throughout: a run of ties (read by id), or ids
    // and `created` that follow each other (sequential ids). Everything left then lies past the
    // page's values, and cuts among them would leave nothing to the new parts.
    if (monotone(values)) return;
    // Each new part needs a page of the budget kept for it.
    const into = Math.min(part.splitInto, 1 + this.#limit - this.#held() - this.#reserve());
    values.sort(byKey);
    // A page all at one value (a run of ties on `created`, read by id) is one point: no cut.
    if (values[0]?.key === values.at(-1)?.key) return;
    const cuts: RangeEnd[] = [];
    for (let index = 1; index < into; index++) {
      const cut = values[Math.floor((index * values.length) / into)];
      if (cut === undefined || cut.key === cuts.at(-1)?.key || !isSendable(cut.value)) continue;
      if (
        (part.low !== undefined && cut.key <= part.low.key) ||
        (part.high !== undefined && cut.key >= part.high.key)
      ) {
        continue;
      }
      cuts.push(cut);
    }
    if (cuts.length === 0) return;
    let previous = part;
    for (const [index, low] of cuts.entries()) {
      const added = this.#addPart(low, cuts[index + 1] ?? part.high, previous);
      added.cursor = part.cursor;
      added.reached = part.reached;
      previous = added;
    }
    part.high = cuts[0];
    part.plan = fieldRangePlan(this.#plan, this.#field, part.low, part.high);
  }
}

/** Whether the keys rise, or fall, from each value to the next throughout. */
export function monotone(values: readonly { readonly key: string }[]): boolean {
  let rising = true;
  let falling = true;
  for (let index = 1; index < values.length && (rising || falling); index++) {
    const previous = (values[index - 1] as { key: string }).key;
    const key = (values[index] as { key: string }).key;
    if (!(previous < key)) rising = false;
    if (!(previous > key)) falling = false;
  }
  return rising || falling;
}
