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

/** A byte stream of `pages` in `format`; cancelling it (the caller hung up) stops the paging. */
export function exportStream<T>(
  pages: AsyncIterator<readonly T[]>,
  format: ExportFormat<T>,
  onEnd: (outcome: { items: number; error: unknown }) => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let items = 0;
  let ended = false;
  const end = (error: unknown): void => {
    if (!ended) {
      ended = true;
      onEnd({ items, error });
    }
  };
  return new ReadableStream<Uint8Array>({
    start(controller): void {
      if (format.header) controller.enqueue(encoder.encode(format.header));
    },
    async pull(controller): Promise<void> {
      try {
        const next = await pages.next();
        if (next.done) {
          end(null);
          controller.close();
          return;
        }
        items += next.value.length;
        if (next.value.length) controller.enqueue(encoder.encode(format.page(next.value)));
      } catch (error) {
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
