/**
 * One step of every page loop (the single lane's in `client.ts`, each chunk's in
 * `parallel_scan.ts`): an answer to `nextPageQuery(plan, cursor)` read in two stages. The first
 * checks what paging needs and moves the cursor, so the caller can send the next request at once;
 * the second checks the rest and makes the new items attachments, while that request is on its
 * way.
 *
 * @module
 */

import { ordersById } from "./order.ts";
import { applyPage, type Cursor, type PageStep, type PagingPlan } from "./pagination.ts";
import {
  completeListingPage,
  type ListedItem,
  type Listing,
  readCreated,
  readListingPage,
} from "./schema.ts";
import type { Attachment } from "./types.ts";
import type { Order } from "./wire.ts";

/** An answer after the first stage. */
export interface CheckedAnswer {
  /** The page, checked as far as paging needs. */
  readonly listing: Listing;
  /** The new items and the cursor after them. */
  readonly step: PageStep<ListedItem>;
}

/**
 * A listing page checked as far as paging in `order` needs: its shape and each item's `id` and
 * `created` strings, and in an order of `created` every item's timestamp.
 *
 * @throws {TolokaResponseError} When the body breaks this part of the schema.
 */
export function readListing(order: Order, body: unknown): Listing {
  const listing = readListingPage(body);
  if (!ordersById(order)) readCreated(listing.items);
  return listing;
}

/**
 * Stage 1: the answer checked for paging ({@linkcode readListing}, then `applyPage`): the cursor
 * after it is known.
 *
 * @throws {TolokaResponseError} When the page breaks the schema's paging part or the paging
 * contract.
 */
export function checkAnswer(plan: PagingPlan, cursor: Cursor, body: unknown): CheckedAnswer {
  const listing = readListing(plan.order, body);
  return { listing, step: applyPage(plan, cursor, listing) };
}

/**
 * Stage 2: every item of the page checked, the new ones returned as attachments, in order.
 *
 * @throws {TolokaResponseError} When an item breaks the schema.
 */
export function completeAnswer(answer: CheckedAnswer): Attachment[] {
  return completeListingPage(answer.listing.items).slice(answer.step.skipped);
}
