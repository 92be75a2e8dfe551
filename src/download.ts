/**
 * Reading a download's headers: the file name from `Content-Disposition` (RFC 6266, with the
 * RFC 8187 `filename*` form preferred), the media type and the size.
 *
 * @module
 */

import type { AttachmentDownload } from "./types.ts";

const PARAMETER = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\[\s\S])*"|[^;]*)/g;
const EXT_VALUE = /^([A-Za-z0-9!#$%&+^_`{}~-]+)'[^']*'(.*)$/;

function unquote(value: string): string {
  const trimmed = value.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return trimmed.slice(1, -1).replace(/\\([\s\S])/g, "$1");
  }
  return trimmed;
}

/** Percent-decodes to bytes; `undefined` for a malformed escape. */
function percentBytes(text: string): Uint8Array | undefined {
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (char === 0x25 /* % */) {
      const hex = text.slice(index + 1, index + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      index += 2;
    } else if (char > 0xff) {
      return undefined;
    } else {
      bytes.push(char);
    }
  }
  return Uint8Array.from(bytes);
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

/** Decodes an RFC 8187 ext-value (`UTF-8''na%C3%AFve.txt`); `undefined` when unreadable. */
function decodeExtValue(value: string): string | undefined {
  const match = EXT_VALUE.exec(unquote(value));
  if (match === null) return undefined;
  const [, charset = "", encoded = ""] = match;
  const bytes = percentBytes(encoded);
  if (bytes === undefined) return undefined;
  switch (charset.toLowerCase()) {
    case "utf-8":
      return decodeUtf8(bytes);
    case "iso-8859-1":
    case "latin1":
      return latin1(bytes);
    default:
      return undefined;
  }
}

/**
 * Header values reach JavaScript as one character per byte. A plain `filename` holding raw UTF-8
 * (common, though not standard) is decoded as such; anything else is kept as Latin-1.
 */
function decodeRawHeaderText(value: string): string {
  let high = false;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code > 0xff) return value;
    if (code > 0x7f) high = true;
  }
  if (!high) return value;
  const bytes = Uint8Array.from(value, (char) => char.charCodeAt(0));
  return decodeUtf8(bytes) ?? value;
}

/**
 * The file name a `Content-Disposition` header gives: `filename*` when present and readable
 * (UTF-8 or ISO-8859-1), else `filename`; `undefined` when it gives none. The name is returned
 * as sent: sanitise it before using it as a path.
 */
export function fileNameFromContentDisposition(header: string | null): string | undefined {
  if (header === null) return undefined;
  let plain: string | undefined;
  let extended: string | undefined;
  for (const [, rawName = "", value = ""] of header.matchAll(PARAMETER)) {
    const name = rawName.toLowerCase();
    if (name === "filename*" && extended === undefined) {
      extended = decodeExtValue(value);
    } else if (name === "filename" && plain === undefined) {
      plain = decodeRawHeaderText(unquote(value));
    }
  }
  return extended ?? plain;
}

/** The download's details from its response; the body is passed on, not read. */
export function toAttachmentDownload(
  response: Response,
  signal: AbortSignal | undefined,
): AttachmentDownload {
  let body: ReadableStream<Uint8Array> = response.body ?? new Blob([]).stream();
  // `fetch` ends the body itself when the request's signal aborts; an in-process handler may
  // not, so the caller's signal also cuts the stream here.
  if (signal !== undefined) body = body.pipeThrough(new TransformStream(), { signal });
  const download: AttachmentDownload = {
    body,
    mediaType: response.headers.get("content-type")?.trim() || "application/octet-stream",
  };
  const length = response.headers.get("content-length")?.trim();
  if (length !== undefined && /^\d+$/.test(length)) download.size = Number(length);
  const fileName = fileNameFromContentDisposition(response.headers.get("content-disposition"));
  if (fileName !== undefined) download.fileName = fileName;
  return download;
}
