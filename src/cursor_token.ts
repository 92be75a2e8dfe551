/**
 * Paging cursors as opaque strings, so an iteration can stop and resume later (in another
 * process, or another Worker invocation): {@linkcode encodeCursor} writes where an iteration
 * stands, {@linkcode decodeCursor} reads it back and checks it.
 *
 * A token is base64url of a small JSON array: the order it belongs to, the phase, and the phase's
 * fields (see `pagination.ts`): `created` exactly as the API sent it (microseconds included),
 * the id, and how many items at that `created` were already yielded. It carries no secret and is
 * not signed: a program that hands tokens to others (the Worker) signs them itself.
 *
 * @module
 */

import { ArgumentRangeError, ArgumentTypeError } from "./argument_errors.ts";
import { ordersById } from "./order.ts";
import type { Cursor } from "./pagination.ts";
import { describeValue } from "./describe_value.ts";
import { parseTimestamp } from "./timestamps.ts";
import { type Order, ORDERS } from "./wire.ts";

const ORDER_SET: ReadonlySet<string> = new Set(ORDERS);
const MAX_ID_LENGTH = 512;

/** The token of a cursor of an iteration in `order`. The start cursor has none: `undefined`. */
export function encodeCursor(order: Order, cursor: Cursor): string | undefined {
  let fields: unknown[];
  switch (cursor.phase) {
    case "start":
      return undefined;
    case "id":
      fields = ["i", cursor.id];
      break;
    case "after":
      fields = ["a", cursor.created, cursor.id, cursor.seen];
      break;
    case "ties":
      fields = ["t", cursor.created, cursor.id];
      break;
    case "past":
      fields = ["p", cursor.created];
      break;
  }
  const bytes = new TextEncoder().encode(JSON.stringify([order, ...fields]));
  return toBase64Url(bytes);
}

/**
 * Reads a token written by {@linkcode encodeCursor} for an iteration in `order`.
 *
 * @throws {RangeError} Naming `option` when the token is malformed or belongs to another order.
 */
export function decodeCursor(option: string, order: Order, token: unknown): Cursor {
  if (typeof token !== "string") {
    throw new ArgumentTypeError(
      option,
      `Option "${option}" must be a cursor string: current value is ${describeValue(token)}`,
    );
  }
  const bad = (why: string): ArgumentRangeError =>
    new ArgumentRangeError(option, `Option "${option}" is not a valid cursor (${why})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(fromBase64Url(token)));
  } catch {
    throw bad("unreadable");
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== "string" || !ORDER_SET.has(parsed[0])) {
    throw bad("unreadable");
  }
  const [of, phase, ...rest] = parsed as [string, unknown, ...unknown[]];
  if (of !== order) throw bad(`it belongs to order ${of}, not ${order}`);
  const byId = ordersById(order);
  const id = (value: unknown): string => {
    if (typeof value !== "string" || value === "" || value.length > MAX_ID_LENGTH) {
      throw bad("bad id");
    }
    return value;
  };
  const created = (value: unknown): { created: string; key: string } => {
    const parsedTime = typeof value === "string" ? parseTimestamp(value) : undefined;
    if (parsedTime === undefined || parsedTime.utc !== value) throw bad("bad created");
    return { created: parsedTime.utc, key: parsedTime.key };
  };
  if (byId !== (phase === "i")) throw bad("its phase does not fit the order");
  switch (phase) {
    case "i":
      if (rest.length !== 1) throw bad("wrong length");
      return { phase: "id", id: id(rest[0]) };
    case "a": {
      const seen = rest[2];
      if (rest.length !== 3 || typeof seen !== "number" || !Number.isInteger(seen) || seen < 1) {
        throw bad("wrong shape");
      }
      return { phase: "after", ...created(rest[0]), id: id(rest[1]), seen };
    }
    case "t":
      if (rest.length !== 2) throw bad("wrong length");
      return { phase: "ties", ...created(rest[0]), id: id(rest[1]) };
    case "p":
      if (rest.length !== 1) throw bad("wrong length");
      return { phase: "past", ...created(rest[0]) };
    default:
      throw bad("unknown phase");
  }
}

/** Base64url without padding. */
function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Reads base64url without padding; throws on anything else. */
function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new RangeError("Not base64url");
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
