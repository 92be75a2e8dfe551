/**
 * The parallel scan behind the `concurrency` option: which of the scans reads a listing.
 *
 * - A `created` order with no bound on ids: ranges of ids, merged (`merge_scan.ts`).
 * - An order by id with no bound on ids: even parts of the UUID space first, then chunks or
 *   ranges of `created`, merged, by the listing's size (`id_order_scan.ts`).
 * - Else (the caller bounds ids): consecutive chunks of the key space (`parallel_scan.ts`).
 *
 * Each gives the pages in the requested order, every item exactly once, with at most
 * `concurrency` requests in flight and `concurrency` × {@linkcode PAGES_PER_LANE} pages held.
 *
 * Internal to this repository (not exported from `mod.ts`).
 *
 * @module
 */

import { idOrderPages } from "./id_order_scan.ts";
import { evenUuidBoundaries } from "./key_space.ts";
import { mergedPages } from "./merge_scan.ts";
import { ordersById } from "./order.ts";
import {
  chunkedPages,
  hasIdBound,
  PAGES_PER_LANE,
  type ParallelScanOptions,
} from "./parallel_scan.ts";
import type { AttachmentPage } from "./types.ts";

/**
 * The pages of a listing read by `concurrency` lanes, in order. Nothing is sent before the first
 * `next()`.
 */
export function parallelPages(
  options: ParallelScanOptions,
): AsyncGenerator<AttachmentPage, undefined, undefined> {
  if (hasIdBound(options.plan)) return chunkedPages(options);
  const pagesPerLane = PAGES_PER_LANE;
  if (ordersById(options.plan.order)) return idOrderPages({ ...options, pagesPerLane });
  const cuts = evenUuidBoundaries("id", options.concurrency);
  return mergedPages({ ...options, pagesPerLane, field: "id", cuts });
}
