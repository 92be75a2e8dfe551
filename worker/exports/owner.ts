/**
 * The key that owns a job, read afresh from KV by every step and every signed download: a
 * revoked or expired key stops its jobs and ends its links. Jobs keep only the key record's
 * hash; the raw key was never stored anywhere.
 *
 * @module
 */

import {
  CURRENT_RECORD_VERSION,
  importSealingKey,
  type KvNamespace,
  openToken,
  parseKeyRecord,
} from "../../src/keys/mod.ts";

/** The owner's current standing. */
export type Owner =
  | { status: "valid"; pools: ReadonlySet<string> | null; upstreamToken: string }
  | { status: "revoked" | "expired" | "unsealable" };

/** Looks the owner up by its KV key (no cache: a step runs once). */
export async function loadOwner(
  kv: KvNamespace,
  sealingKey: string,
  owner: string,
  now: number,
): Promise<Owner> {
  const record = parseKeyRecord(await kv.get(owner, { type: "json" }));
  if (record === null) return { status: "revoked" };
  if (record.expires_at !== null && !(Date.parse(record.expires_at) > now)) {
    return { status: "expired" };
  }
  // Exactly as the key lookup: a record of an older version is refused whatever its seal says.
  const token = record.v !== CURRENT_RECORD_VERSION
    ? null
    : await openToken(await importSealingKey(sealingKey), record, owner);
  if (token === null) return { status: "unsealable" };
  return {
    status: "valid",
    pools: record.pools === null ? null : new Set(record.pools),
    upstreamToken: token,
  };
}

/**
 * Whether the owner still exists, has not expired and its record is intact (for signed
 * downloads): the same check as a step's, so a record rewritten in KV (an expiry pushed out) ends
 * its links as it ends its jobs.
 */
export async function ownerActive(
  kv: KvNamespace,
  sealingKey: string,
  owner: string,
  now: number,
): Promise<boolean> {
  return (await loadOwner(kv, sealingKey, owner, now)).status === "valid";
}
