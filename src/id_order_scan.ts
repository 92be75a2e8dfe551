/**
 * The parallel scan of the orders by id when the caller bounds no ids. The first round reads one
 * even part of the UUID space per lane (ids are random UUIDs as a rule), which sizes the listing.
 * Then:
 *
 * - **Up to {@linkcode MERGE_FROM_PAGES} pages a lane: the chunk scan** (`parallel_scan.ts`) goes
 *   on from those parts, their requests handed over to it (none is sent twice). 30 pages on 8
 *   lanes take 4 rounds (random UUIDs) or 5 (5% prefixed ids past them, which one part finds
 *   late).
 * - **Beyond: ranges of `created`, merged** (`merge_scan.ts`, the mirror of the `created` orders'
 *   scan). The first part's page is the listing's first page and goes out; the rest of the
 *   listing is cut at the quantiles of the first round's `created` values (ids are random, so
 *   those pages are a random sample of the listing in time) into one range per lane, each read in
 *   the order by id and merged. All ranges then move through the ids together, close to the
 *   consumer, so every lane stays busy within the page budget: the chunk scan's consecutive parts
 *   run into it (a part far ahead may hold only a few pages), which cost 300 pages 43 to 47
 *   rounds and 13 to 17% more requests than one lane. The other parts' first pages are
 *   not used (a page each: 2% of 300), and what those ranges bring is read again.
 *
 * Internal to this repository (not exported from `mod.ts`).
 *
 * @module
 */

import { follow, type Follower, raceAbort, yieldToEventLoop } from "./abort.ts";
import {
  byKey,
  evenUuidBoundaries,
  HIGHEST_UUID,
  isUuid,
  LOWEST_UUID,
  uuidKeySpace,
} from "./key_space.ts";
import { checkAnswer, type CheckedAnswer, completeAnswer, readListing } from "./listing_step.ts";
import { mergedPages, monotone } from "./merge_scan.ts";
import { isDescending } from "./order.ts";
import {
  type Cursor,
  nextPageQuery,
  type PagingPlan,
  pastIdPlan,
  type RangeEnd,
  rangePlan,
  START,
} from "./pagination.ts";
import { chunkedPages, type FetchListing, type ParallelScanOptions } from "./parallel_scan.ts";
import { createdOf } from "./raw_created.ts";
import { type Listing, readCreated } from "./schema.ts";
import type { AttachmentPage } from "./types.ts";

/**
 * Pages a lane, as the first round estimates the listing, from which the rest is merged by
 * `created` rather than read by the chunk scan.
 */
export const MERGE_FROM_PAGES = 10;

/**
 * The pages of a listing in an order by id with no bound on ids, read by `concurrency` lanes; see
 * the module documentation. Nothing is sent before the first `next()`.
 */
export async function* idOrderPages(
  options: ParallelScanOptions & { readonly pagesPerLane: number },
): AsyncGenerator<AttachmentPage, undefined, undefined> {
  const controller = new AbortController();
  try {
    const next = await firstRound(options, AbortSignal.any([options.signal, controller.signal]));
    if (next.fetchListing !== undefined) {
      yield* chunkedPages({ ...options, fetchListing: next.fetchListing });
      return undefined;
    }
    const { first, rest, cuts } = next;
    const head = completeAnswer(first);
    yield* mergedPages({ ...options, plan: rest, field: "created", cuts, head });
    return undefined;
  } finally {
    controller.abort(new Error("The iteration is over"));
  }
}

/** How the scan goes on after the first round. */
type AfterFirstRound =
  /** The chunk scan, through a transport that replays the first round. */
  | { readonly fetchListing: FetchListing }
  /** The first page, then the rest of the listing merged from ranges of `created`. */
  | {
    readonly fetchListing?: undefined;
    readonly first: CheckedAnswer;
    readonly rest: PagingPlan;
    readonly cuts: RangeEnd[];
  };

/**
 * Reads the first round: one even part of the UUID space per lane, all at once. The scan goes on
 * once the first part and a quarter of them have answered (and whatever else came in the same
 * turn): a slow request holds up neither the chunk scan, which takes it over, nor the merge,
 * which aborts it.
 */
async function firstRound(
  options: ParallelScanOptions,
  signal: AbortSignal,
): Promise<AfterFirstRound> {
  const { plan, concurrency } = options;
  const boundaries = evenUuidBoundaries(plan.order, concurrency);
  const ends = [undefined, ...boundaries, undefined];
  const parts = ends.slice(1).map((to, index) => rangePlan(plan, ends[index]?.value, to?.value));
  const lanes = parts.map(() => follow(signal));
  const requests = parts.map((part, index) =>
    options.fetchListing(part, START, (lanes[index] as Follower).controller.signal)
  );
  const answers = await firstAnswers(requests);
  await yieldToEventLoop();
  const cuts = mergeCuts(plan, boundaries, answers, concurrency);
  if (cuts === undefined) return { fetchListing: replaying(options.fetchListing, parts, requests) };
  answers.forEach((answer, index) => {
    if (answer === undefined) lanes[index]?.controller.abort(new Error("Not needed"));
  });
  // The first part's first page is the listing's first page; the rest lies past its last id.
  const first = checkAnswer(parts[0] as PagingPlan, START, answers[0]?.body);
  const last = (first.step.next as Cursor & { phase: "id" }).id;
  return { first, rest: pastIdPlan(plan, last), cuts };
}

/** An answer of the first round, once in. */
type Answer = { readonly body: unknown } | undefined;

/**
 * The first round's answers so far, once the first part and a quarter of the parts have answered
 * (the array fills in as the others do). Rejects with the first failure before then.
 */
function firstAnswers(requests: readonly Promise<unknown>[]): Promise<Answer[]> {
  const answers: Answer[] = requests.map(() => undefined);
  let count = 0;
  return new Promise((resolve, reject) => {
    requests.forEach((request, index) => {
      request.then((body) => {
        answers[index] = { body };
        count++;
        if (answers[0] !== undefined && count * 4 >= requests.length) resolve(answers);
      }, reject);
    });
  });
}

/**
 * Where the rest of the listing is cut by `created`, from the first round's pages; `undefined`
 * when the chunk scan goes on instead: the listing is estimated at most
 * {@linkcode MERGE_FROM_PAGES} pages a lane, a part (the first among them) ends on its first page,
 * `created` follows the ids within a page, `created` values come in runs of ties too long to share
 * out, or a page breaks the schema (the chunk scan then reports it).
 */
function mergeCuts(
  plan: PagingPlan,
  boundaries: readonly RangeEnd[],
  answers: readonly Answer[],
  concurrency: number,
): RangeEnd[] | undefined {
  let listings: (Listing | undefined)[];
  try {
    listings = answers.map((answer) => {
      if (answer === undefined) return undefined;
      const listing = readListing(plan.order, answer.body);
      readCreated(listing.items);
      return listing;
    });
  } catch {
    return undefined;
  }
  // Every part has more than a page: the ids fill the UUID space, so each part's page is a random
  // sample of the listing. Ids that follow time (UUIDv7, ULIDs, numbers) fill few parts, and the
  // pages of those would place every cut in their own stretch of time.
  if (!listings.every((listing) => listing === undefined || listing.has_more)) return undefined;
  // Nor may `created` follow the ids within a page (ids spread over the space but in time order):
  // each range would then hold a stretch of the ids, and be read alone, as the merge waits on it.
  const byPage = listings.map((listing) =>
    (listing?.items ?? []).map((item): RangeEnd => {
      const created = createdOf(item) as { utc: string; key: string };
      return { value: created.utc, key: created.key };
    })
  );
  if (byPage.some((page) => page.length > 1 && monotone(page))) return undefined;
  const estimate = estimateSize(plan, boundaries, listings);
  if (estimate === undefined || estimate <= MERGE_FROM_PAGES * concurrency * plan.batchSize) {
    return undefined;
  }
  const sample = byPage.flat().sort(byKey);
  // A run of ties is never cut: one that holds half a range's share of the sample or more would
  // leave its range to one lane (ties on `created` do not slow the chunk scan).
  let run = 0;
  for (const [index, at] of sample.entries()) {
    run = at.key === sample[index - 1]?.key ? run + 1 : 1;
    if (run * 2 * concurrency >= sample.length) return undefined;
  }
  const cuts: RangeEnd[] = [];
  for (let index = 1; index < concurrency; index++) {
    cuts.push(sample[Math.floor((index * sample.length) / concurrency)] as RangeEnd);
  }
  return cuts;
}

/**
 * The listing's size as the first round's even parts tell it (each with more than its page): a
 * part's page, over the share of the part's span of UUIDs it covers; the median part, times the
 * parts. `undefined` when no part can be estimated (ids not UUIDs).
 */
function estimateSize(
  plan: PagingPlan,
  boundaries: readonly RangeEnd[],
  listings: readonly (Listing | undefined)[],
): number | undefined {
  const space = uuidKeySpace(plan.order);
  const descending = isDescending(plan.order);
  const ends = [
    descending ? HIGHEST_UUID : LOWEST_UUID,
    ...boundaries.map((boundary) => boundary.key),
    descending ? LOWEST_UUID : HIGHEST_UUID,
  ];
  const sizes: number[] = [];
  listings.forEach((listing, index) => {
    if (listing === undefined) return;
    const { items } = listing;
    const last = items.at(-1);
    if (last === undefined || !items.every((item) => isUuid(item.id))) return;
    const start = space.positionOf(ends[index] as string);
    const covered = space.positionOf(last.id) - start;
    const span = space.positionOf(ends[index + 1] as string) - start;
    if (covered > 0 && span > 0) sizes.push((items.length * span) / covered);
  });
  if (sizes.length === 0) return undefined;
  sizes.sort((a, b) => a - b);
  return (sizes[sizes.length >> 1] as number) * listings.length;
}

/**
 * The transport with the first round's requests kept: each is given, answered or still on its
 * way, to the first request of the same query, so the chunk scan starts where the first round
 * stands and sends nothing twice.
 */
function replaying(
  fetchListing: FetchListing,
  parts: readonly PagingPlan[],
  requests: readonly Promise<unknown>[],
): FetchListing {
  const kept = new Map<string, Promise<unknown>>();
  parts.forEach((part, index) => {
    kept.set(nextPageQuery(part, START).toString(), requests[index] as Promise<unknown>);
  });
  return async (plan, cursor, signal) => {
    const key = nextPageQuery(plan, cursor).toString();
    const request = kept.get(key);
    if (request === undefined) return await fetchListing(plan, cursor, signal);
    kept.delete(key);
    return await raceAbort(request, signal);
  };
}
