/**
 * Records as Workers before record version 2 wrote them (`"v":1`, the seal bound to the KV key
 * only), for the migration tests.
 *
 * @module
 */

import {
  generateKey,
  importSealingKey,
  type KeyRecord,
  kvKeyFor,
  type KvNamespace,
  type SealedFields,
  sealToken,
} from "../src/keys/mod.ts";

/** Stores a v1 record for a fresh raw key, sealed under `sealingKey`. */
export async function putV1Record(
  kv: KvNamespace,
  sealingKey: string,
  upstreamToken: string,
  fields: Partial<Omit<SealedFields, "v">> = {},
): Promise<{ key: string; kvKey: string; record: KeyRecord }> {
  const key = generateKey();
  const kvKey = await kvKeyFor(key);
  const sealed: SealedFields = {
    v: 1,
    name: fields.name ?? "v1 key",
    pools: fields.pools === undefined ? ["1"] : fields.pools,
    expires_at: fields.expires_at ?? null,
    created_at: fields.created_at ?? "2026-01-01T00:00:00.000Z",
  };
  const record: KeyRecord = {
    v: 1,
    name: sealed.name,
    pools: sealed.pools,
    expires_at: sealed.expires_at,
    upstream_token: await sealToken(
      await importSealingKey(sealingKey),
      upstreamToken,
      kvKey,
      sealed,
    ),
    created_at: sealed.created_at,
  };
  await kv.put(kvKey, JSON.stringify(record));
  return { key, kvKey, record };
}
