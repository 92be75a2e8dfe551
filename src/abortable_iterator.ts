/**
 * An async iterator that owns an `AbortController`: stopping it early aborts whatever it has in
 * flight at once.
 *
 * An async generator alone cannot do that: its `return()` waits for a pending `next()` to
 * settle, so a request in flight would run to its end.
 *
 * @module
 */

/**
 * Wraps a generator factory. The factory runs on the first `next()` (nothing happens before),
 * with a signal that aborts when the caller's `signal` does, when the iterator is closed by
 * `return()` (such as a `break` out of `for await`), or when the generator throws. A `next()`
 * pending at a `return()` resolves as done.
 */
export function abortableIterator<T>(
  start: (signal: AbortSignal) => AsyncGenerator<T, undefined, undefined>,
  callerSignal: AbortSignal | undefined,
): AsyncIterableIterator<T, undefined> {
  const controller = new AbortController();
  const stopped = new Error("The iteration was stopped");
  let generator: AsyncGenerator<T, undefined, undefined> | undefined;
  let closed = false;
  const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

  const iterator: AsyncIterableIterator<T, undefined> = {
    async next(): Promise<IteratorResult<T, undefined>> {
      if (closed) return done;
      if (generator === undefined) {
        const signal = callerSignal === undefined
          ? controller.signal
          : AbortSignal.any([callerSignal, controller.signal]);
        generator = start(signal);
      }
      try {
        const result = await generator.next();
        if (result.done) closed = true;
        return result;
      } catch (error) {
        closed = true;
        // The iteration is over: whatever it still has in flight (a prefetch, other lanes) stops.
        controller.abort(stopped);
        if (error === stopped) return done;
        throw error;
      }
    },
    async return(): Promise<IteratorResult<T, undefined>> {
      if (!closed) {
        closed = true;
        controller.abort(stopped);
        // Runs the generator's `finally` blocks (after a pending `next()` has settled).
        await generator?.return(undefined).catch(() => {});
      }
      return done;
    },
    [Symbol.asyncIterator](): AsyncIterableIterator<T, undefined> {
      return iterator;
    },
  };
  return iterator;
}
