/**
 * A bounded first-in first-out queue between one producer and many consumers, so a listing can
 * run ahead of the downloads by a fixed number of items and no further.
 *
 * @module
 */

/** A bounded async queue; `close()` ends it for both sides. */
export class BoundedQueue<T> {
  readonly #capacity: number;
  readonly #items: T[] = [];
  #head = 0;
  #closed = false;
  readonly #takers: ((item: T | undefined) => void)[] = [];
  readonly #givers: (() => void)[] = [];

  /** A queue that holds at most `capacity` items. */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Items waiting. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Adds an item, waiting while the queue is full; `false` when the queue is closed. */
  async push(item: T): Promise<boolean> {
    while (!this.#closed && this.size >= this.#capacity) {
      await new Promise<void>((resolve) => this.#givers.push(resolve));
    }
    if (this.#closed) return false;
    const taker = this.#takers.shift();
    if (taker !== undefined) taker(item);
    else this.#items.push(item);
    return true;
  }

  /** The next item, waiting while the queue is empty; `undefined` once closed and drained. */
  shift(): Promise<T | undefined> {
    if (this.size > 0) {
      const item = this.#items[this.#head] as T;
      this.#items[this.#head] = undefined as T;
      this.#head++;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items.splice(0, this.#head);
        this.#head = 0;
      }
      this.#givers.shift()?.();
      return Promise.resolve(item);
    }
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#takers.push(resolve));
  }

  /** Ends the queue: waiting producers get `false`, consumers drain what is left. */
  close(): void {
    this.#closed = true;
    for (const giver of this.#givers.splice(0)) giver();
    for (const taker of this.#takers.splice(0)) taker(undefined);
  }
}
