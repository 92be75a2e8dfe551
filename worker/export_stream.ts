/**
 * Turns pages of attachments into a streamed export body, one chunk a page, pulled only as fast
 * as the caller reads (the stream's `pull` asks the page iterator for the next page, and the
 * client's prefetch keeps at most one more page in flight).
 *
 * An export cannot change its status after the first byte, and workerd ends an aborted stream as
 * if it were complete, so a failure mid-way is written in-band as one last line.
 *
 * @module
 */

/** How an export writes itself. */
export interface ExportFormat<T> {
  /** Sent before the first page (the CSV header), or `""`. */
  header: string;
  /** Encodes one page's items. */
  page(items: readonly T[]): string;
  /** The last line written when the export fails after it started. */
  failure(error: unknown): string;
}

/**
 * A byte stream of `pages` in `format`; cancelling it (the caller hung up) stops the paging.
 *
 * The first page is awaited before the stream (and so the response) exists: a failure at once
 * (an upstream that is down, or rejects the key's token) still gets its own status, and only a
 * failure after the first byte is written in-band.
 *
 * `onEnd` hears once how it ended: `error` is `null` when complete, `"cancelled"` when the caller
 * hung up (`signal`, the request's, aborted or the stream was cancelled), else what was thrown.
 *
 * @throws What the first `pages.next()` throws (the iterator is closed first).
 */
export async function exportStream<T>(
  pages: AsyncIterator<readonly T[]>,
  format: ExportFormat<T>,
  onEnd: (outcome: { items: number; error: unknown }) => void,
  signal?: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  let first: IteratorResult<readonly T[]>;
  try {
    first = await pages.next();
  } catch (error) {
    await pages.return?.()?.catch(() => {});
    throw error;
  }
  const encoder = new TextEncoder();
  let items = 0;
  let ended = false;
  const end = (error: unknown): void => {
    if (!ended) {
      ended = true;
      onEnd({ items, error });
    }
  };
  const write = (
    controller: ReadableStreamDefaultController<Uint8Array>,
    next: IteratorResult<readonly T[]>,
  ): void => {
    if (next.done) {
      end(null);
      controller.close();
      return;
    }
    items += next.value.length;
    if (next.value.length) controller.enqueue(encoder.encode(format.page(next.value)));
  };
  return new ReadableStream<Uint8Array>({
    start(controller): void {
      if (format.header) controller.enqueue(encoder.encode(format.header));
      write(controller, first);
    },
    async pull(controller): Promise<void> {
      try {
        write(controller, await pages.next());
      } catch (error) {
        // A hang-up aborts the page in flight before it cancels the stream: nobody is reading.
        if (signal?.aborted) {
          end("cancelled");
          return;
        }
        end(error);
        controller.enqueue(encoder.encode(format.failure(error)));
        controller.close();
      }
    },
    async cancel(): Promise<void> {
      end("cancelled");
      await pages.return?.();
    },
  }, { highWaterMark: 0 });
}
