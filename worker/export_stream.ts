/**
 * Turns pages of attachments into a streamed export body, one chunk a page, pulled only as fast
 * as the caller reads (the stream's `pull` asks the page iterator for the next page, and the
 * client's prefetch keeps at most one more page in flight).
 *
 * An export cannot change its status after the first byte, and workerd ends an aborted stream as
 * if it were complete, so how it ended is written in-band as one last record:
 *
 * - nothing more when every match was written;
 * - a continuation (`next`) when the invocation's subrequest budget ran out: the path that
 *   resumes right after the last complete page;
 * - an error record, with the same `next`, when the upstream failed after the first byte.
 *
 * @module
 */

import { TolokaBudgetError } from "../mod.ts";

/** How an export writes itself. */
export interface ExportFormat<T> {
  /** Sent before the first page (the CSV header), or `""`. */
  header: string;
  /** Encodes one page's items. */
  page(items: readonly T[]): string;
  /** The last record when the budget ran out: `next` continues the export. */
  next(next: string): string;
  /** The last record when the export failed after it started; `next` resumes it. */
  failure(error: unknown, next: string): string;
}

/** A page to write, and the core's resume token after it (`null` after the last). */
export interface ExportPage<T> {
  items: readonly T[];
  cursor: string | null;
}

/** How an export ended, for the log line. */
export interface ExportOutcome {
  /** Items written. */
  items: number;
  /** `null` when it ended complete or with a continuation; `"cancelled"` on a hang-up. */
  error: unknown;
  /** Whether it ended with a continuation. */
  continued: boolean;
}

/**
 * A byte stream of `pages` in `format`; cancelling it (the caller hung up) stops the paging.
 *
 * The first page is awaited before the stream (and so the response) exists: a failure at once
 * (an upstream that is down, rejects the key's token, or a budget spent before the first page)
 * still gets its own status, and only what happens after the first byte is written in-band.
 *
 * `continuation(cursor)` makes the `next` path for a resume token (`undefined`: from the start).
 * `onEnd` hears once how it ended.
 *
 * @throws What the first `pages.next()` throws (the iterator is closed first).
 */
export async function exportStream<T>(
  pages: AsyncIterator<ExportPage<T>>,
  format: ExportFormat<T>,
  options: {
    /** The resume token the export started from, if any. */
    from: string | undefined;
    continuation: (cursor: string | undefined) => Promise<string>;
    onEnd: (outcome: ExportOutcome) => void;
    signal?: AbortSignal;
  },
): Promise<ReadableStream<Uint8Array>> {
  let first: IteratorResult<ExportPage<T>>;
  try {
    first = await pages.next();
  } catch (error) {
    await pages.return?.()?.catch(() => {});
    throw error;
  }
  const encoder = new TextEncoder();
  let items = 0;
  let last = options.from;
  let ended = false;
  const end = (error: unknown, continued = false): void => {
    if (!ended) {
      ended = true;
      options.onEnd({ items, error, continued });
    }
  };
  const write = (
    controller: ReadableStreamDefaultController<Uint8Array>,
    next: IteratorResult<ExportPage<T>>,
  ): void => {
    if (next.done) {
      end(null);
      controller.close();
      return;
    }
    items += next.value.items.length;
    if (next.value.cursor !== null) last = next.value.cursor;
    if (next.value.items.length) controller.enqueue(encoder.encode(format.page(next.value.items)));
  };
  return new ReadableStream<Uint8Array>({
    start(controller): void {
      if (format.header) controller.enqueue(encoder.encode(format.header));
      write(controller, first);
    },
    async pull(controller): Promise<void> {
      let next: IteratorResult<ExportPage<T>>;
      try {
        next = await pages.next();
      } catch (error) {
        // A hang-up aborts the page in flight before it cancels the stream: nobody is reading.
        if (options.signal?.aborted) {
          end("cancelled");
          return;
        }
        const path = await options.continuation(last);
        if (error instanceof TolokaBudgetError) {
          end(null, true);
          controller.enqueue(encoder.encode(format.next(path)));
        } else {
          end(error);
          controller.enqueue(encoder.encode(format.failure(error, path)));
        }
        controller.close();
        return;
      }
      write(controller, next);
    },
    async cancel(): Promise<void> {
      end("cancelled");
      await pages.return?.();
    },
  }, { highWaterMark: 0 });
}
