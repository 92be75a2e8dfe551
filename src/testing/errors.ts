/**
 * Toloka's error replies: `{"request_id", "code", "message", "payload"}` as JSON, and the HTML
 * pages a gateway in front of the API sends for 502 and 503.
 */

import { htmlReply, jsonReply, type Reply } from "./reply.ts";

/** The error body of the API. */
export interface ErrorBody {
  request_id: string;
  code: string;
  message: string;
  payload: Record<string, unknown> | null;
}

/** An API error reply with a fresh unique `request_id`. */
export function errorReply(
  status: number,
  code: string,
  message: string,
  payload: Record<string, unknown> | null = null,
  headers: Record<string, string> = {},
): Reply {
  const body: ErrorBody = { request_id: crypto.randomUUID(), code, message, payload };
  return jsonReply(status, body, headers);
}

/** 404 `DOES_NOT_EXIST`. */
export function notFound(message: string): Reply {
  return errorReply(404, "DOES_NOT_EXIST", message);
}

/** A gateway's HTML page (nginx style) for 502 and 503. */
export function gatewayPage(status: 502 | 503): Reply {
  const title = status === 502 ? "502 Bad Gateway" : "503 Service Temporarily Unavailable";
  return htmlReply(
    status,
    `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n` +
      `<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
  );
}
