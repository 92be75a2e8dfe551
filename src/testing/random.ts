/** Seeded randomness: a small fast PRNG (sfc32), string hashing and id shapes built on them. */

/** Mixes a 32-bit value (the murmur3 finaliser). */
export function mix32(value: number): number {
  let h = value | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hashes a string (FNV-1a over UTF-16 code units, then mixed) under a seed. */
export function hashString(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ mix32(seed)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return mix32(h);
}

/** Turns any finite number into a 32-bit seed (fractions and large values count too). */
export function seedOf(seed: number): number {
  const low = seed | 0;
  const high = Math.floor(seed / 4294967296) | 0;
  const fraction = Math.floor((seed - Math.floor(seed)) * 4294967296) | 0;
  return mix32(low ^ mix32(high ^ mix32(fraction)));
}

/** A seeded pseudo-random generator (sfc32): fast, deterministic, not cryptographic. */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** Starts a generator from one or two 32-bit seeds. */
  constructor(seed: number, stream = 0) {
    this.#a = mix32(seed ^ 0x9e3779b9);
    this.#b = mix32(stream ^ 0x243f6a88);
    this.#c = mix32(seed + stream + 0x85a308d3);
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Next unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Next float in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Next integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)] as T;
  }
}

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
  const b = prng.u32();
  const c = prng.u32();
  let k = putHex(prng.u32(), 8, 0);
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
  putHex(prng.u32(), 8, k);
  return String.fromCharCode(...codes);
}

/** 32 lowercase hex digits (the shape of Toloka user and requester ids). */
export function hex32(prng: Prng): string {
  let k = 0;
  for (let i = 0; i < 4; i++) k = putHex(prng.u32(), 8, k);
  return String.fromCharCode(...codes.slice(0, 32));
}
