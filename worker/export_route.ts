/**
 * `GET /api/v1/attachments.ndjson` and `.csv`: every match, streamed as it pages, as far as the
 * invocation's subrequest budget goes; then a continuation record whose `next` path resumes the
 * export right after the last page written (see `export_stream.ts` and `export_cursor.ts`).
 *
 * @module
 */

import {
  type Attachment,
  csvAttachment,
  csvErrorLine,
  csvHeader,
  csvNextLine,
  type ListingPage,
  ndjsonLine,
  toWireAttachment,
} from "../mod.ts";
import type { EdgeRequest, Env } from "./env_context.ts";
import { toEdgeError } from "./errors.ts";
import { type CursorScope, openCursor, signCursor } from "./export_cursor.ts";
import { type ExportFormat, type ExportPage, exportStream } from "./export_stream.ts";
import { parseExportQuery } from "./params.ts";
import { inScope, scopeFilter } from "./scope.ts";
import type { KeyedRequest } from "./session.ts";

/** `GET /api/v1/attachments.ndjson` and `.csv`: every match, streamed as it pages. */
export function exportAttachments(
  format: "ndjson" | "csv",
): (request: KeyedRequest, env: Env) => Promise<Response> {
  return async (request: KeyedRequest, env: Env): Promise<Response> => {
    const { caller, client } = request.session;
    const url = new URL(request.url);
    const query = parseExportQuery(url.searchParams);
    const secret = env.TOKEN_SEALING_KEY ?? "";
    const scope: CursorScope = { order: query.order, filter: query.filter };
    // Checked before any upstream request, the scope probe included.
    const from = query.cursor === undefined
      ? undefined
      : await openCursor(secret, scope, query.cursor, Date.now());
    const filter = await scopeFilter(caller, query.filter, client, request.signal);
    const pages = scoped(
      client.getAttachmentPages(filter, {
        order: query.order,
        signal: request.signal,
        ...(from === undefined ? {} : { cursor: from }),
      }),
      (item) => inScope(caller, item),
    );
    const continuation = async (cursor: string | undefined): Promise<string> => {
      const params = new URLSearchParams(url.searchParams);
      params.delete("cursor");
      if (cursor !== undefined) {
        params.set("cursor", await signCursor(secret, scope, cursor, Date.now()));
      }
      return `${url.pathname}?${params}`;
    };
    let ended!: () => void;
    const streamed = new Promise<void>((resolve) => ended = resolve);
    const body = await exportStream(
      pages,
      format === "csv" ? csvFormat(request) : ndjsonFormat(request),
      {
        from,
        continuation,
        onEnd: (end) => {
          request.edge.exported = end.items;
          if (end.continued) request.edge.continued = true;
          if (end.error !== null) request.edge.failure = toEdgeError(end.error).reason;
          ended();
        },
        signal: request.signal,
      },
    );
    // Only now: a first page that fails is answered (and logged) as an error, not a stream.
    request.edge.streamed = streamed;
    return new Response(body, {
      headers: {
        "Content-Type": format === "csv"
          ? "text/csv; charset=utf-8"
          : "application/x-ndjson; charset=utf-8",
        "Content-Disposition": `attachment; filename="attachments.${format}"`,
        "Cache-Control": "no-store",
      },
    });
  };
}

/** The pages with only the items the caller may see (each page keeps its cursor). */
function scoped(
  pages: AsyncIterable<ListingPage>,
  visible: (item: Attachment) => boolean,
): AsyncIterator<ExportPage<Attachment>> {
  const source = pages[Symbol.asyncIterator]();
  return {
    async next(): Promise<IteratorResult<ExportPage<Attachment>>> {
      const next = await source.next();
      if (next.done) return { done: true, value: undefined };
      return {
        done: false,
        value: { items: next.value.items.filter(visible), cursor: next.value.cursor },
      };
    },
    async return(): Promise<IteratorResult<ExportPage<Attachment>>> {
      await source.return?.();
      return { done: true, value: undefined };
    },
  };
}

function ndjsonFormat(request: EdgeRequest): ExportFormat<Attachment> {
  return {
    header: "",
    page: (items: readonly Attachment[]): string => items.map(ndjsonLine).join(""),
    next: (next: string): string => JSON.stringify({ next }) + "\n",
    failure: (error: unknown, next: string): string => {
      const { error: edge } = toEdgeError(error);
      return JSON.stringify({
        request_id: request.edge.id,
        code: edge.code,
        message: edge.message,
        payload: null,
        next,
      }) + "\n";
    },
  };
}

function csvFormat(request: EdgeRequest): ExportFormat<Attachment> {
  return {
    header: csvHeader(),
    page: (items: readonly Attachment[]): string =>
      items.map((i) => csvAttachment(toWireAttachment(i))).join(""),
    next: csvNextLine,
    failure: (error: unknown, next: string): string => {
      const { error: edge } = toEdgeError(error);
      return csvErrorLine(edge.code, edge.message, request.edge.id, next);
    },
  };
}
