/**
 * A small seeded random source for the reliability engines: the same seed gives the same
 * sequence on every machine, so a fuzz case or a soak that failed can be replayed exactly.
 *
 * `sfc32` (Chris Doty-Humphrey's Small Fast Counter), seeded through `splitmix32`, in plain
 * 32-bit integer arithmetic.
 *
 * @module
 */

/** Mixes a 32-bit integer into a well-spread 32-bit integer (the splitmix32 finaliser). */
export function mix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * The seed of case number `index` of a run seeded with `seed`: each case has its own seed, so one
 * case can be replayed without generating the ones before it.
 */
export function caseSeed(seed: number, index: number): number {
  return mix32(mix32(seed >>> 0) ^ mix32(index + 0x632be5ab));
}

/** A seeded pseudo-random source. Not for secrets: for reproducible test data only. */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** @param seed Any integer; only its low 32 bits matter. */
  constructor(seed: number) {
    this.#a = mix32(seed);
    this.#b = mix32(this.#a ^ 0x1b873593);
    this.#c = mix32(this.#b ^ 0xcc9e2d51);
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** The next 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A number in `[0, 1)`. */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** An integer in `[min, max]`. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** `true` with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick() needs a non-empty array");
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** A string of `length` characters drawn from `alphabet`. */
  string(alphabet: string, length: number): string {
    const chars = [...alphabet];
    let out = "";
    for (let i = 0; i < length; i++) out += this.pick(chars);
    return out;
  }
}
