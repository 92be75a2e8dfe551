/**
 * `GET /api/v1/attachments.ndjson` and `.csv`: every match, streamed as it pages.
 *
 * @module
 */

import {
  type Attachment,
  csvAttachment,
  csvErrorLine,
  csvHeader,
  toWireAttachment as toWire,
} from "../mod.ts";
import type { EdgeRequest } from "./context.ts";
import type { Env } from "./env.ts";
import { toEdgeError } from "./errors.ts";
import { type ExportFormat, exportStream } from "./export_stream.ts";
import { parseExportQuery } from "./params.ts";
import { inScope, scopeFilter } from "./scope.ts";
import { openSession } from "./session.ts";

/** `GET /api/v1/attachments.ndjson` and `.csv`: every match, streamed as it pages. */
export function exportAttachments(
  format: "ndjson" | "csv",
): (request: EdgeRequest, env: Env) => Promise<Response> {
  return async (request: EdgeRequest, env: Env): Promise<Response> => {
    const { caller, client } = await openSession(request, env);
    const query = parseExportQuery(new URL(request.url).searchParams);
    const filter = await scopeFilter(caller, query.filter, client, request.signal);
    const pages = filter === null
      ? emptyPages()
      : client.getAttachmentPages(filter, { order: query.order, signal: request.signal })
        [Symbol.asyncIterator]();
    const scoped = mapPages(
      pages,
      (items) => items.filter((i) => inScope(caller, i)),
    );
    let ended!: () => void;
    const streamed = new Promise<void>((resolve) => ended = resolve);
    const body = await exportStream(
      scoped,
      format === "csv" ? csvFormat(request) : ndjsonFormat(request),
      (end) => {
        request.edge.exported = end.items;
        if (end.error !== null) request.edge.failure = toEdgeError(end.error).reason;
        ended();
      },
      request.signal,
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

async function* emptyPagesGen(): AsyncGenerator<Attachment[]> {}
function emptyPages(): AsyncIterator<Attachment[]> {
  return emptyPagesGen();
}

function mapPages(
  pages: AsyncIterator<{ items: Attachment[] } | Attachment[]>,
  pick: (items: Attachment[]) => Attachment[],
): AsyncIterator<Attachment[]> {
  return {
    async next(): Promise<IteratorResult<Attachment[]>> {
      const next = await pages.next();
      if (next.done) return { done: true, value: undefined };
      return {
        done: false,
        value: pick(Array.isArray(next.value) ? next.value : next.value.items),
      };
    },
    async return(): Promise<IteratorResult<Attachment[]>> {
      await pages.return?.();
      return { done: true, value: undefined };
    },
  };
}

function ndjsonFormat(request: EdgeRequest): ExportFormat<Attachment> {
  return {
    header: "",
    page: (items: readonly Attachment[]): string =>
      items.map((i) => JSON.stringify(toWire(i)) + "\n").join(""),
    failure: (error: unknown): string => {
      const { error: edge } = toEdgeError(error);
      return JSON.stringify({
        request_id: request.edge.id,
        code: edge.code,
        message: edge.message,
        payload: null,
      }) + "\n";
    },
  };
}

function csvFormat(request: EdgeRequest): ExportFormat<Attachment> {
  return {
    header: csvHeader(),
    page: (items: readonly Attachment[]): string =>
      items.map((i) => csvAttachment(toWire(i))).join(""),
    failure: (error: unknown): string => {
      const { error: edge } = toEdgeError(error);
      return csvErrorLine(edge.code, edge.message, request.edge.id);
    },
  };
}
