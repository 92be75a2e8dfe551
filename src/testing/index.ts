/**
 * The in-memory store and its indexes. Attachments live in one array in generation order; a pool
 * or an assignment is a set of positions into it, with orderings (by id, by (created, id)) built
 * on first use and cached, so a page costs O(page size) plus a binary search.
 */

import type { WireAttachment } from "./types.ts";

/** Positions of one pool's or assignment's attachments, with cached sorted orderings. */
export class PositionSet {
  /** Positions in generation order (the order of a listing without `sort`). */
  readonly natural: Int32Array;
  readonly #store: AttachmentStore;
  #byId: Int32Array | undefined;
  #byCreatedIdAsc: Int32Array | undefined;
  #byCreatedIdDesc: Int32Array | undefined;

  constructor(store: AttachmentStore, natural: Int32Array) {
    this.#store = store;
    this.natural = natural;
  }

  /** Positions sorted by id ascending (UTF-16 code units, as JavaScript's `<`). */
  byId(): Int32Array {
    if (this.#byId === undefined) {
      const ids = this.#store.ids;
      this.#byId = this.natural.slice().sort((a, b) =>
        (ids[a] as string) < (ids[b] as string) ? -1 : 1
      );
    }
    return this.#byId;
  }

  /** Positions sorted by created ascending, ties by id ascending or, with `idDescending`, descending. */
  byCreated(idDescending: boolean): Int32Array {
    if (idDescending) {
      this.#byCreatedIdDesc ??= this.#sortByCreated(-1);
      return this.#byCreatedIdDesc;
    }
    this.#byCreatedIdAsc ??= this.#sortByCreated(1);
    return this.#byCreatedIdAsc;
  }

  #sortByCreated(idDirection: 1 | -1): Int32Array {
    const { sec, micro, ids } = this.#store;
    return this.natural.slice().sort((a, b) =>
      (sec[a] as number) - (sec[b] as number) ||
      (micro[a] as number) - (micro[b] as number) ||
      ((ids[a] as string) < (ids[b] as string) ? -idDirection : idDirection)
    );
  }
}

/** All attachments with their ids and `created` instants in parallel arrays. */
export class AttachmentStore {
  /** The wire objects, frozen, in generation order. */
  readonly items: readonly WireAttachment[];
  /** `items[i].id`. */
  readonly ids: readonly string[];
  /** Whole seconds of `items[i].created`. */
  readonly sec: Float64Array;
  /** Microseconds of `items[i].created`. */
  readonly micro: Int32Array;
  #positions: Map<string, number> | undefined;
  #pools: Map<string, PositionSet> | undefined;
  #assignments: Map<string, PositionSet> | undefined;

  /**
   * Indexes the items. With `checkUnique` (hand-made data) a repeated id throws a `TypeError` at
   * once; generated ids are random UUIDs, so their id map is built on first use instead.
   */
  constructor(
    items: readonly WireAttachment[],
    sec: Float64Array,
    micro: Int32Array,
    checkUnique: boolean,
  ) {
    this.items = items;
    this.sec = sec;
    this.micro = micro;
    this.ids = items.map((item) => item.id);
    if (checkUnique) this.#positionMap();
  }

  /** The position of an id, if known. */
  position(id: string): number | undefined {
    return this.#positionMap().get(id);
  }

  #positionMap(): Map<string, number> {
    if (this.#positions !== undefined) return this.#positions;
    const positions = new Map<string, number>();
    this.ids.forEach((id, i) => {
      if (positions.has(id)) {
        throw new TypeError(`Attachment ids must be unique: current value "${id}" is repeated`);
      }
      positions.set(id, i);
    });
    this.#positions = positions;
    return positions;
  }

  /** The attachments of a pool, if it has any. */
  pool(poolId: string): PositionSet | undefined {
    this.#pools ??= this.#group((item) => item.details.pool_id);
    return this.#pools.get(poolId);
  }

  /** The attachments of an assignment, if it has any. */
  assignment(assignmentId: string): PositionSet | undefined {
    this.#assignments ??= this.#group((item) => item.details.assignment_id);
    return this.#assignments.get(assignmentId);
  }

  /** Groups every position by a key in one pass (counting first, so arrays are exact-size). */
  #group(keyOf: (item: WireAttachment) => string): Map<string, PositionSet> {
    const keys = new Array<string>(this.items.length);
    const counts = new Map<string, number>();
    this.items.forEach((item, i) => {
      const key = keyOf(item);
      keys[i] = key;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    });
    const arrays = new Map<string, { positions: Int32Array; filled: number }>();
    for (const [key, count] of counts) {
      arrays.set(key, { positions: new Int32Array(count), filled: 0 });
    }
    keys.forEach((key, i) => {
      const slot = arrays.get(key) as { positions: Int32Array; filled: number };
      slot.positions[slot.filled++] = i;
    });
    const sets = new Map<string, PositionSet>();
    for (const [key, slot] of arrays) sets.set(key, new PositionSet(this, slot.positions));
    return sets;
  }
}
