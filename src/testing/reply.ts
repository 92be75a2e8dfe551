/**
 * Replies: what a route answers, turned into a `Response` at the end so faults can cut bodies
 * (a `"truncated"` fault) and downloads stream lazily, erroring when the request is aborted.
 */

import { fileChunks, type FileSpec } from "./download.ts";

/** A reply with its body in memory (bytes, or text of a known UTF-8 size) or a file to stream. */
export type Reply =
  | {
    kind: "bytes";
    status: number;
    headers: Record<string, string>;
    body: Uint8Array<ArrayBuffer>;
  }
  | {
    kind: "text";
    status: number;
    headers: Record<string, string>;
    text: string;
    /** The text's length in UTF-8 bytes. */
    byteLength: number;
  }
  | { kind: "file"; status: number; headers: Record<string, string>; file: FileSpec };

const encoder = new TextEncoder();

/** A JSON reply. */
export function jsonReply(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): Reply {
  return {
    kind: "bytes",
    status,
    headers: { "content-type": "application/json", ...headers },
    body: encoder.encode(JSON.stringify(value)),
  };
}

/** An HTML reply (gateway pages). */
export function htmlReply(status: number, html: string): Reply {
  return {
    kind: "bytes",
    status,
    headers: { "content-type": "text/html; charset=utf-8" },
    body: encoder.encode(html),
  };
}

/** The error a broken connection gives a reader of the body, as `fetch` reports it. */
export function connectionError(what: string): TypeError {
  return new TypeError(`error reading a body from connection: ${what} (emulated fault)`);
}

/** How to turn a reply into a response. */
export interface ResponseOptions {
  /** Send half the body (JSON: a valid prefix with its own length; files: then a stream error). */
  truncated: boolean;
  /** Aborting it errors a file stream still being read. */
  signal: AbortSignal;
}

/** Builds the `Response` of a reply. */
export function toResponse(reply: Reply, options: ResponseOptions): Response {
  if (reply.kind === "text") {
    const { status, headers } = reply;
    if (options.truncated) {
      return toResponse(
        { kind: "bytes", status, headers, body: encoder.encode(reply.text) },
        options,
      );
    }
    // A string body is neither encoded nor copied here (Deno encodes it as it sends or reads it);
    // `content-length` is set afterwards for the reason given below.
    const response = new Response(reply.text, { status, headers });
    response.headers.set("content-length", String(reply.byteLength));
    return response;
  }
  if (reply.kind === "bytes") {
    const body = options.truncated
      ? reply.body.slice(0, Math.floor(reply.body.length / 2))
      : reply.body;
    const response = new Response(body, { status: reply.status, headers: reply.headers });
    // Set after construction: in Deno 2.9 a `Response` built from bytes with a `content-length`
    // in its init keeps native memory the size of the body until the process ends (measured:
    // 32 KB per listing page, 300 MB over a million attachments); set afterwards it does not.
    response.headers.set("content-length", String(body.length));
    return response;
  }
  const limit = options.truncated ? Math.floor(reply.file.size / 2) : reply.file.size;
  return new Response(fileStream(reply.file, limit, options.signal), {
    status: reply.status,
    headers: { ...reply.headers, "content-length": String(reply.file.size) },
  });
}

/** Streams a file's first `limit` bytes; when that is short of the size, then errors. */
function fileStream(
  file: FileSpec,
  limit: number,
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
  const chunks = fileChunks(file);
  let sent = 0;
  let onAbort: (() => void) | undefined;
  const cleanUp = (): void => {
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
    onAbort = undefined;
  };
  return new ReadableStream<Uint8Array>({
    start(controller): void {
      if (signal.aborted) {
        controller.error(signal.reason);
        return;
      }
      onAbort = (): void => {
        cleanUp();
        controller.error(signal.reason);
      };
      signal.addEventListener("abort", onAbort);
    },
    pull(controller): void {
      if (sent >= limit) {
        cleanUp();
        if (limit < file.size) {
          controller.error(connectionError("connection closed before message completed"));
        } else controller.close();
        return;
      }
      const next = chunks.next();
      const chunk = next.done ? new Uint8Array(0) : next.value.subarray(0, limit - sent);
      sent += chunk.length;
      if (chunk.length > 0) controller.enqueue(chunk);
      else sent = limit;
    },
    cancel(): void {
      cleanUp();
    },
  }, { highWaterMark: 0 });
}

/** A response whose body errors at once: over a real connection it makes the server drop it. */
export function resetResponse(): Response {
  const body = new ReadableStream<Uint8Array>({
    pull(controller): void {
      controller.error(connectionError("connection reset"));
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
}
