/**
 * Virtual time for the timing tests (the idea of denoland/std's `FakeTime`, injected instead of
 * patching globals): pass {@linkcode FakeTime.sleep} as the emulator's or the client's `sleep`,
 * then assert the waits that were asked for and move the clock by hand. Nothing sleeps, so the
 * tests give the same answer on an idle machine and on two busy cores.
 *
 * @module
 */

interface Timer {
  at: number;
  resolve: () => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/** One turn of the event loop (a macrotask), so that pending reactions and ready I/O run. */
function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A few turns: enough for a handler's response to reach an in-process client. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await turn();
}

/** A virtual clock whose sleeps end only when the test moves it. */
export class FakeTime {
  /** Every wait asked for through {@linkcode FakeTime.sleep}, in milliseconds, in order. */
  readonly waits: number[] = [];
  #now = 0;
  #timers: Timer[] = [];

  /** Virtual milliseconds since the clock was made. */
  get now(): number {
    return this.#now;
  }

  /** Waits that have neither ended nor been aborted. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Ends when the clock has moved `ms` on; rejects with `signal.reason` once `signal` aborts. */
  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    this.waits.push(ms);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const timer: Timer = {
        at: this.#now + ms,
        resolve,
        signal,
        onAbort: () => {
          this.#timers = this.#timers.filter((t) => t !== timer);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener("abort", timer.onAbort, { once: true });
      this.#timers.push(timer);
    });
  };

  /**
   * Resolves once `count` waits have been asked for in all, letting the event loop run (loopback
   * I/O included) meanwhile. The real-time limit only turns a missing wait into a failure.
   */
  async asked(count: number, limitMs = 10_000): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (this.waits.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`expected ${count} waits, ${this.waits.length} were asked for`);
      }
      await turn();
    }
  }

  /** Moves the clock `ms` on, ending due waits one by one, earliest (then oldest) first. */
  async tick(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (let next = this.#next(); next !== undefined && next.at <= target; next = this.#next()) {
      this.#fire(next);
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /**
   * Settles `work` (in process: no real I/O in flight), moving the clock to the next wait's end
   * whenever the event loop has nothing else to run. The real-time limit only turns work that
   * waits for no wait of this clock into a failure.
   */
  async run<T>(work: Promise<T>, limitMs = 10_000): Promise<T> {
    let done = false;
    const watched = work.finally(() => (done = true));
    watched.catch(() => {});
    const deadline = Date.now() + limitMs;
    for (;;) {
      await settle();
      if (done) return await watched;
      const next = this.#next();
      if (next !== undefined) this.#fire(next);
      else if (Date.now() > deadline) throw new Error("the work is pending, and no wait is left");
    }
  }

  #next(): Timer | undefined {
    let earliest: Timer | undefined;
    for (const timer of this.#timers) {
      if (earliest === undefined || timer.at < earliest.at) earliest = timer;
    }
    return earliest;
  }

  #fire(timer: Timer): void {
    this.#timers = this.#timers.filter((t) => t !== timer);
    timer.signal?.removeEventListener("abort", timer.onAbort);
    this.#now = Math.max(this.#now, timer.at);
    timer.resolve();
  }
}
