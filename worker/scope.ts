/**
 * What a key may see. A key with `pools` sees attachments of those pools only, whatever route or
 * parameter it uses: naming another pool (directly, or through an assignment that belongs to one)
 * is `403 ACCESS_DENIED`; an attachment of another pool reached by id is `404`, exactly as an id
 * that does not exist, so ids cannot be probed.
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
 * Narrows a listing filter to the caller's scope. Returns `null` when nothing can match (an
 * assignment with no attachments at all), so the caller answers an empty result without listing.
 *
 * @throws {EdgeError} 403 ACCESS_DENIED when the filter names a pool outside the key's scope.
 */
export async function scopeFilter(
  caller: Caller,
  filter: AttachmentFilter,
  client: AttachmentsClient,
  signal: AbortSignal,
): Promise<AttachmentFilter | null> {
  const pools = caller.pools;
  if (pools === null) return filter;
  if (filter.pool_id !== undefined) {
    if (!pools.has(filter.pool_id)) throw accessDenied(`pool ${filter.pool_id}`);
    return filter;
  }
  const assignment = filter.assignment_id!;
  const remembered = `${caller.id}|${assignment}`;
  let pool = assignmentPools.get(remembered);
  if (pool === undefined) {
    const probe = await client.findAttachments({ assignment_id: assignment }, { limit: 1, signal });
    pool = probe.items[0]?.details?.pool_id;
    if (pool === undefined) return null;
    if (assignmentPools.size >= MAX_REMEMBERED) assignmentPools.clear();
    assignmentPools.set(remembered, pool);
  }
  if (!pools.has(pool)) throw accessDenied(`the pool of assignment ${assignment}`);
  // Upstream ANDs the two, so even a wrong answer above could not widen the result.
  return { ...filter, pool_id: pool };
}

/** Whether an attachment is visible to the caller (one without a pool id is not, to a scoped key). */
export function inScope(caller: Caller, item: Attachment): boolean {
  return caller.pools === null || caller.pools.has(item.details?.pool_id ?? "");
}

function accessDenied(what: string): EdgeError {
  return new EdgeError(403, "ACCESS_DENIED", `This API key has no access to ${what}`);
}
