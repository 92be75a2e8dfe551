/** Id shapes drawn from a seeded generator: UUID v4, and the 32 hex digits of user and requester ids. */

import type { Prng } from "./prng.ts";

const HEX_CODES: readonly number[] = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const DASH = 45;
const codes: number[] = new Array<number>(36).fill(0);

function putHex(word: number, digits: number, at: number): number {
  let w = word;
  for (let i = 0; i < digits; i++) {
    codes[at + i] = HEX_CODES[(w >>> 28) & 15] as number;
    w <<= 4;
  }
  return at + digits;
}

/** A lowercase UUID v4 from the generator (a flat string: comparing it stays fast). */
export function uuidV4(prng: Prng): string {
  const b = prng.uint32();
  const c = prng.uint32();
  let k = putHex(prng.uint32(), 8, 0);
  codes[k++] = DASH;
  k = putHex(b, 4, k);
  codes[k++] = DASH;
  codes[k++] = 52; // "4": the version
  k = putHex(b << 16, 3, k);
  codes[k++] = DASH;
  codes[k++] = HEX_CODES[8 + ((c >>> 28) & 3)] as number; // the variant: 8, 9, a or b
  k = putHex(c << 4, 3, k);
  codes[k++] = DASH;
  k = putHex(c << 16, 4, k);
  putHex(prng.uint32(), 8, k);
  return String.fromCharCode(...codes);
}

/** 32 lowercase hex digits (the shape of Toloka user and requester ids). */
export function hex32(prng: Prng): string {
  let k = 0;
  for (let i = 0; i < 4; i++) k = putHex(prng.uint32(), 8, k);
  return String.fromCharCode(...codes.slice(0, 32));
}
