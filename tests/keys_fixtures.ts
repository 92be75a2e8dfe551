/**
 * Fixtures of the key tests, free of Miniflare: an in-memory Workers KV (with the stored values
 * and options, and a count of reads) and fresh sealing keys, both from the public keys entry
 * point.
 *
 * @module
 */

export { MemoryKv, type StoredValue } from "../src/keys/mod.ts";

/** A fresh `TOKEN_SEALING_KEY` (the Worker's own generator, under the name the tests use). */
export { generateSealingKey as randomSealingKey } from "../src/keys/mod.ts";
