/**
 * What a key may see. A key with `pools` sees attachments of those pools only, whatever route or
 * parameter it uses: naming another pool (directly, or through an assignment that belongs to one)
 * is `403 ACCESS_DENIED`, exactly as an assignment that does not exist; an attachment of another
 * pool reached by id is `404`, exactly as an id that does not exist, so neither can be probed.
 *
 * @module
 */

import type { Attachment, AttachmentFilter, AttachmentsClient } from "../mod.ts";
import type { Caller } from "./auth.ts";
import { EdgeError } from "./errors.ts";

// An assignment belongs to one pool forever, so what we learn is kept (bounded) per isolate, per
// key: another upstream account must not learn from this cache that an assignment exists.
const assignmentPools = new Map<string, string>();
const MAX_REMEMBERED = 50_000;

/**
 * Narrows a listing filter to the caller's scope. A key with `pools` must be able to see every
 * pool the filter names: `pool_id` directly, and `assignment_id` through the pool its attachments
 * belong to (one probe upstream, remembered per key). An assignment with no attachments at all,
 * unknown or not, answers exactly as one of another pool: `403`, so a key cannot tell foreign
 * assignments from ones that do not exist. A key with `pools: null` is the upstream token's own
 * view: the filter goes upstream as it is, where the filters are ANDed, so an assignment that
 * matches nothing (foreign, unknown or of another pool than `pool_id`) lists nothing, `200`.
 *
 * @throws {EdgeError} 403 ACCESS_DENIED when the filter names a pool outside the key's scope.
 */
export async function scopeFilter(
  caller: Caller,
  filter: AttachmentFilter,
  client: AttachmentsClient,
  signal: AbortSignal,
): Promise<AttachmentFilter> {
  const pools = caller.pools;
  if (pools === null) return filter;
  if (filter.pool_id !== undefined && !pools.has(filter.pool_id)) {
    throw accessDenied(`pool ${filter.pool_id}`);
  }
  const assignment = filter.assignment_id;
  if (assignment === undefined) return filter;
  const remembered = `${caller.id}|${assignment}`;
  let pool = assignmentPools.get(remembered);
  if (pool === undefined) {
    const probe = await client.findAttachments({ assignment_id: assignment }, { limit: 1, signal });
    pool = probe.items[0]?.details?.pool_id;
    // Not remembered: an assignment may get its first attachment later.
    if (pool === undefined) throw accessDenied(`the pool of assignment ${assignment}`);
    if (assignmentPools.size >= MAX_REMEMBERED) assignmentPools.clear();
    assignmentPools.set(remembered, pool);
  }
  if (!pools.has(pool)) throw accessDenied(`the pool of assignment ${assignment}`);
  // Upstream ANDs the two, so even a wrong answer above could not widen the result; with both
  // given and in scope but different, the honest answer is the upstream's: nothing.
  return filter.pool_id === undefined ? { ...filter, pool_id: pool } : filter;
}

/** Whether an attachment is visible to the caller (one without a pool id is not, to a scoped key). */
export function inScope(caller: Caller, item: Attachment): boolean {
  return caller.pools === null || caller.pools.has(item.details?.pool_id ?? "");
}

function accessDenied(what: string): EdgeError {
  return new EdgeError(403, "ACCESS_DENIED", `This API key has no access to ${what}`);
}
