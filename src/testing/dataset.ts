/**
 * Seeded generation of the emulator's data: pools of assignments of 1..10 files each, every
 * assignment done by one user, `created` values with many ties written in mixed precisions, and
 * the fixtures of `fixtures.ts` in pool "1".
 */

import { formatCreated, type Instant, parseCreated, writableDigits } from "./created.ts";
import {
  FIXTURE_POOL_MIN_SIZE,
  type FixtureFile,
  fixtureFiles,
  MICRO_FRACTIONS,
  TIE_RUN_SIZE,
} from "./fixtures.ts";
import { hex32, uuidV4 } from "./ids.ts";
import { Prng, seedOf } from "./prng.ts";
import type { WireAttachment } from "./types.ts";

/** Generated attachments with their parsed `created` instants and forced file sizes. */
export interface Dataset {
  attachments: WireAttachment[];
  sec: Float64Array;
  micro: Int32Array;
  /** File sizes that are not derived from the id (fixtures such as empty files). */
  sizes: Map<string, number>;
}

type Owner = NonNullable<WireAttachment["owner"]>;
type Details = WireAttachment["details"];

const ATTACHMENT_TYPE = "ASSIGNMENT_ATTACHMENT";
/** 2023-01-02T00:00:00Z; pool i starts i weeks later. */
const BASE_SEC = 1672617600;
const WEEK_SEC = 7 * 86400;

const MEDIA: readonly { type: string; weight: number; name: (prng: Prng) => string }[] = [
  { type: "image/png", weight: 0.6, name: (p) => `${String(p.int(1e8)).padStart(8, "0")}.png` },
  { type: "audio/mpeg", weight: 0.08, name: (p) => `recording_${p.int(1e5)}.mp3` },
  { type: "application/pdf", weight: 0.08, name: (p) => `document_${p.int(1e5)}.pdf` },
  { type: "text/plain", weight: 0.1, name: (p) => `notes_${p.int(1e5)}.txt` },
  { type: "video/mp4", weight: 0.06, name: (p) => `clip_${p.int(1e5)}.mp4` },
  { type: "application/octet-stream", weight: 0.08, name: (p) => `data_${p.int(1e5)}.bin` },
];

/** Requesters: the caller's own account first; the last has no company (~20% of owners). */
const REQUESTERS: readonly { company?: string; weight: number }[] = [
  { company: "1", weight: 0.3 },
  { company: "1", weight: 0.2 },
  { company: "2", weight: 0.15 },
  { company: "3", weight: 0.15 },
  { weight: 0.2 },
];

const REQUESTER_INDEX: readonly { index: number; weight: number }[] = REQUESTERS.map(
  (requester, index) => ({ index, weight: requester.weight }),
);

function pickWeighted<T extends { weight: number }>(prng: Prng, list: readonly T[]): T {
  let r = prng.next();
  for (const entry of list) {
    r -= entry.weight;
    if (r < 0) return entry;
  }
  return list[list.length - 1] as T;
}

/** One assignment to generate: random files, or a fixed list of fixture files. */
type Plan =
  | { kind: "random"; size: number }
  | { kind: "files"; files: FixtureFile[] }
  | { kind: "tie"; size: number; offset: number }
  | { kind: "micro" };

/** Generates the data set for the given seed and pool sizes. */
export function generateDataset(seed: number, pools: readonly number[]): Dataset {
  return new DatasetGenerator(seedOf(seed), pools).run();
}

class DatasetGenerator {
  readonly #prng: Prng;
  readonly #pools: readonly number[];
  readonly #users: string[];
  readonly #owners: Owner[];
  readonly #attachments: WireAttachment[] = [];
  readonly #sec: Float64Array;
  readonly #micro: Int32Array;
  readonly #sizes = new Map<string, number>();
  #createdCacheSec = Number.NaN;
  #createdCacheText = "";

  constructor(seed: number, pools: readonly number[]) {
    this.#prng = new Prng(seed, 1);
    this.#pools = pools;
    const total = pools.reduce((sum, n) => sum + n, 0);
    this.#sec = new Float64Array(total);
    this.#micro = new Int32Array(total);
    const people = new Prng(seed, 2);
    this.#owners = REQUESTERS.map((requester, i) => {
      const id = hex32(people);
      const owner: Owner = requester.company === undefined
        ? { id, myself: i === 0 }
        : { id, myself: i === 0, company_id: requester.company };
      return Object.freeze(owner);
    });
    const userCount = Math.max(4, Math.ceil(total / 12));
    this.#users = Array.from({ length: userCount }, () => hex32(people));
  }

  run(): Dataset {
    this.#pools.forEach((size, index) => this.#pool(index, size));
    return {
      attachments: this.#attachments,
      sec: this.#sec,
      micro: this.#micro,
      sizes: this.#sizes,
    };
  }

  #pool(index: number, size: number): void {
    const prng = this.#prng;
    const plans: Plan[] = [];
    let remaining = size;
    if (index === 0 && size >= FIXTURE_POOL_MIN_SIZE) {
      for (let offset = 0; offset < TIE_RUN_SIZE; offset += 10) {
        plans.push({ kind: "tie", size: Math.min(10, TIE_RUN_SIZE - offset), offset });
      }
      plans.push({ kind: "micro" });
      const files = fixtureFiles();
      for (let i = 0; i < files.length; i += 8) {
        plans.push({ kind: "files", files: files.slice(i, i + 8) });
      }
      remaining -= TIE_RUN_SIZE + MICRO_FRACTIONS.length + files.length;
    }
    while (remaining > 0) {
      const n = Math.min(remaining, 1 + prng.int(10));
      plans.push({ kind: "random", size: n });
      remaining -= n;
    }
    if (index === 0) shuffle(prng, plans);
    const poolId = String(index + 1);
    const start = BASE_SEC + index * WEEK_SEC;
    // Few seconds per assignment: many assignments share a second, so `created` ties abound.
    const span = Math.max(60, plans.length * 3);
    for (const plan of plans) {
      const details: Details = Object.freeze({
        user_id: prng.pick(this.#users),
        assignment_id: uuidV4(prng),
        pool_id: poolId,
      });
      switch (plan.kind) {
        case "random":
          this.#randomAssignment(details, plan.size, start + prng.int(span));
          break;
        case "tie":
          for (let i = 0; i < plan.size; i++) {
            const digits = [0, 3, 5, 6][(plan.offset + i) % 4] as number;
            this.#add(
              this.#randomFile(details, { sec: start + Math.floor(span / 2), micro: 0 }, digits),
            );
          }
          break;
        case "micro": {
          const second = formatCreated({ sec: start + Math.floor(span / 3), micro: 0 }, 0);
          for (const fraction of MICRO_FRACTIONS) {
            const created = second + fraction;
            this.#add(this.#randomFile(details, parseCreated(created) as Instant, -1, created));
          }
          break;
        }
        case "files": {
          const sec = start + prng.int(span);
          for (const file of plan.files) this.#fixtureFile(details, file, sec);
          break;
        }
      }
    }
  }

  #randomAssignment(details: Details, size: number, startSec: number): void {
    const prng = this.#prng;
    let instant: Instant = { sec: startSec, micro: randomMicro(prng) };
    for (let i = 0; i < size; i++) {
      if (i > 0 && prng.next() >= 0.3) {
        // 30% share the previous file's instant (one upload batch); the rest come a bit later.
        const gap = prng.next() < 0.5 ? 0 : 1 + prng.int(5);
        instant = { sec: instant.sec + gap, micro: randomMicro(prng) };
      }
      this.#add(this.#randomFile(details, instant, prng.pick(writableDigits(instant.micro))));
    }
  }

  #randomFile(details: Details, instant: Instant, digits: number, written?: string): Built {
    const prng = this.#prng;
    const media = pickWeighted(prng, MEDIA);
    const id = prng.next() < 0.05 ? `fr.${uuidV4(prng)}` : uuidV4(prng);
    const name = media.name(prng);
    const owner = prng.next() < 0.05 ? undefined : pickWeighted(prng, REQUESTER_INDEX);
    const extraRoll = prng.next();
    const extra = extraRoll < 0.01
      ? { reviewed: true }
      : extraRoll < 0.02
      ? { review: { status: "ACCEPTED", score: prng.int(100) / 100 } }
      : undefined;
    const created = written ?? this.#formatCreated(instant, digits);
    return {
      item: makeAttachment(
        id,
        name,
        details,
        owner === undefined ? undefined : this.#owners[owner.index],
        created,
        media.type,
        extra,
      ),
      instant,
    };
  }

  #fixtureFile(details: Details, file: FixtureFile, sec: number): void {
    const prng = this.#prng;
    const instant = { sec, micro: randomMicro(prng) };
    const id = uuidV4(prng);
    const owner = file.noOwner
      ? undefined
      : file.noCompany
      ? this.#owners[REQUESTERS.length - 1]
      : this.#owners[prng.int(REQUESTERS.length - 1)];
    const created = this.#formatCreated(instant, prng.pick(writableDigits(instant.micro)));
    const item = makeAttachment(id, file.name, details, owner, created, file.mediaType, file.extra);
    if (file.size !== undefined) this.#sizes.set(id, file.size);
    this.#add({ item, instant });
  }

  #formatCreated(instant: Instant, digits: number): string {
    if (instant.sec !== this.#createdCacheSec) {
      this.#createdCacheSec = instant.sec;
      this.#createdCacheText = formatCreated({ sec: instant.sec, micro: 0 }, 0);
    }
    if (digits === 0) return this.#createdCacheText;
    return `${this.#createdCacheText}.${String(instant.micro).padStart(6, "0").slice(0, digits)}`;
  }

  #add(built: Built): void {
    const position = this.#attachments.length;
    this.#attachments.push(built.item);
    this.#sec[position] = built.instant.sec;
    this.#micro[position] = built.instant.micro;
  }
}

interface Built {
  item: WireAttachment;
  instant: Instant;
}

/** A fraction of a second: whole seconds (35%), milliseconds, tens of µs, or full µs. */
function randomMicro(prng: Prng): number {
  const r = prng.next();
  if (r < 0.35) return 0;
  if (r < 0.65) return prng.int(1000) * 1000;
  if (r < 0.75) return prng.int(100000) * 10;
  return prng.int(1000000);
}

function shuffle<T>(prng: Prng, list: T[]): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = prng.int(i + 1);
    const swap = list[i] as T;
    list[i] = list[j] as T;
    list[j] = swap;
  }
}

/** Builds a frozen wire object with the API's key order; `owner` and extras only when given. */
function makeAttachment(
  id: string,
  name: string,
  details: Details,
  owner: Owner | undefined,
  created: string,
  mediaType: string,
  extra: Record<string, unknown> | undefined,
): WireAttachment {
  const item: WireAttachment = owner === undefined
    ? { id, attachment_type: ATTACHMENT_TYPE, name, details, created, media_type: mediaType }
    : {
      id,
      attachment_type: ATTACHMENT_TYPE,
      name,
      details,
      owner,
      created,
      media_type: mediaType,
    };
  if (extra !== undefined) Object.assign(item, deepFreeze(structuredClone(extra)));
  return Object.freeze(item);
}

/** Freezes a value and everything it holds. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
