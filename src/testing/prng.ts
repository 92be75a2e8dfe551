/**
 * The one seeded random source of the emulator, the reliability engines and the tests: `sfc32`
 * (Chris Doty-Humphrey's Small Fast Counter) in plain 32-bit integer arithmetic, with the seed
 * mixing and string hashing built on the same finaliser.
 */

/**
 * Mixes a 32-bit integer into a well-spread unsigned 32-bit integer (the murmur3 finaliser).
 *
 * @param value Any number; only its low 32 bits matter.
 * @returns An integer in `[0, 2^32)`.
 *
 * @example
 * ```ts
 * import { mix32 } from "@toloka-edge/attachments/testing";
 *
 * if (mix32(1) === mix32(2)) throw new Error("expected different mixes");
 * if (mix32(1) !== mix32(1 + 2 ** 32)) throw new Error("only the low 32 bits count");
 * ```
 */
export function mix32(value: number): number {
  let h = value | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The splitmix32 finaliser: murmur3's after adding the golden-ratio increment. */
function splitmix32(value: number): number {
  return mix32(value + 0x9e3779b9);
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

/**
 * A seeded pseudo-random generator (sfc32): the same seed gives the same sequence on every
 * machine, so generated data is reproducible and a failing run can be replayed. Fast, not
 * cryptographic: for test data only, never for secrets.
 *
 * @example Two generators from one seed agree; another stream differs
 * ```ts
 * import { Prng } from "@toloka-edge/attachments/testing";
 *
 * const a = new Prng(42);
 * const b = new Prng(42);
 * if (a.uint32() !== b.uint32()) throw new Error("same seed, same sequence");
 * const dice = Array.from({ length: 100 }, () => a.between(1, 6));
 * if (dice.some((n) => n < 1 || n > 6)) throw new Error("between() is inclusive");
 * if (new Prng(42, 1).next() === new Prng(42).next()) throw new Error("expected another stream");
 * ```
 */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d = 1;

  /**
   * Starts a generator from a seed and a stream number: each stream of one seed is a separate
   * sequence.
   *
   * @param seed Any integer; only its low 32 bits matter.
   * @param stream Any integer; only its low 32 bits matter.
   */
  constructor(seed: number, stream = 0) {
    this.#a = mix32(seed ^ 0x9e3779b9);
    this.#b = mix32(stream ^ 0x243f6a88);
    this.#c = mix32(seed + stream + 0x85a308d3);
    this.#warmUp();
  }

  /**
   * A generator seeded through a chain of splitmix32 finalisers: the seeding of the reliability
   * runs (`deno task reliability --seed N`), kept so that a seed a report names replays the same
   * cases.
   *
   * @param seed Any integer; only its low 32 bits matter.
   * @returns A new generator.
   *
   * @example
   * ```ts
   * import { Prng } from "@toloka-edge/attachments/testing";
   *
   * if (Prng.splitmix(9).uint32() !== Prng.splitmix(9).uint32()) throw new Error("not replayable");
   * ```
   */
  static splitmix(seed: number): Prng {
    const prng = new Prng(0);
    prng.#a = splitmix32(seed);
    prng.#b = splitmix32(prng.#a ^ 0x1b873593);
    prng.#c = splitmix32(prng.#b ^ 0xcc9e2d51);
    prng.#d = 1;
    prng.#warmUp();
    return prng;
  }

  #warmUp(): void {
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /**
   * The next unsigned 32-bit integer.
   *
   * @returns An integer in `[0, 2^32)`.
   *
   * @example
   * ```ts
   * import { Prng } from "@toloka-edge/attachments/testing";
   *
   * const word = new Prng(1).uint32();
   * if (!Number.isInteger(word) || word < 0 || word >= 2 ** 32) throw new Error("not a uint32");
   * ```
   */
  uint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /**
   * The next number in `[0, 1)`; a drop-in for `Math.random` (for instance as a client's `random`).
   *
   * @returns A number in `[0, 1)`.
   *
   * @example
   * ```ts
   * import { Prng } from "@toloka-edge/attachments/testing";
   *
   * const prng = new Prng(3);
   * const random = (): number => prng.next();
   * const x = random();
   * if (x < 0 || x >= 1) throw new Error("out of range");
   * ```
   */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /**
   * An integer in `[0, n)`.
   *
   * @param n The number of possible values.
   * @returns An integer from 0 to `n - 1`.
   *
   * @example
   * ```ts
   * import { Prng } from "@toloka-edge/attachments/testing";
   *
   * const index = new Prng(5).int(10);
   * if (!Number.isInteger(index) || index < 0 || index > 9) throw new Error("out of range");
   * ```
   */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /**
   * An integer in `[min, max]`, both ends included.
   *
   * @param min The smallest possible value.
   * @param max The largest possible value.
   * @returns An integer from `min` to `max`.
   *
   * @example
   * ```ts
   * import { Prng } from "@toloka-edge/attachments/testing";
   *
   * const n = new Prng(5).between(3, 9);
   * if (!Number.isInteger(n) || n < 3 || n > 9) throw new Error("out of range");
   * ```
   */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /**
   * `true` with probability `p`.
   *
   * @param p A probability from 0 to 1.
   * @returns Whether the draw fell below `p`.
   *
   * @example
   * ```ts
   * import { Prng } from "@toloka-edge/attachments/testing";
   *
   * const prng = new Prng(8);
   * if (prng.chance(0) || !prng.chance(1)) throw new Error("0 never, 1 always");
   * ```
   */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /**
   * One element of a non-empty list, each equally likely.
   *
   * @param list The candidates.
   * @returns One of them.
   * @throws {RangeError} The list is empty.
   *
   * @example
   * ```ts
   * import { Prng } from "@toloka-edge/attachments/testing";
   *
   * const kind = new Prng(2).pick(["429", "500", "reset"] as const);
   * if (!["429", "500", "reset"].includes(kind)) throw new Error("not a candidate");
   * ```
   */
  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new RangeError("pick() needs a non-empty list");
    return list[this.int(list.length)] as T;
  }

  /**
   * A string of `length` characters (code points) drawn from `alphabet`.
   *
   * @param alphabet The characters to draw from; must not be empty.
   * @param length How many to draw.
   * @returns The string.
   * @throws {RangeError} `alphabet` is empty and `length` is above 0.
   *
   * @example
   * ```ts
   * import { Prng } from "@toloka-edge/attachments/testing";
   *
   * const word = new Prng(4).string("ab", 8);
   * if (!/^[ab]{8}$/.test(word)) throw new Error("unexpected characters");
   * ```
   */
  string(alphabet: string, length: number): string {
    const chars = [...alphabet];
    let out = "";
    for (let i = 0; i < length; i++) out += this.pick(chars);
    return out;
  }
}
