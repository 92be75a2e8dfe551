/**
 * List pages as JSON text joined from each attachment's own cached JSON. `JSON.stringify` of a
 * page of 100 deep-frozen attachments takes V8's slow path (about 1 µs an item, 100 µs a page:
 * most of a listing's CPU time), yet an attachment's text never changes, so it is written once.
 * The body goes out as a string: a `Response` of bytes copies them, one of a string does not.
 */

import type { Page } from "./query.ts";
import { jsonReply, type Reply } from "./reply.ts";
import type { WireAttachment } from "./types.ts";

/**
 * Most characters of cached JSON (32 MB or so: every attachment of a typical pool of 85,000).
 * Past it, pages with attachments left out are written as before, whole. Nothing is evicted:
 * nothing goes stale.
 */
const CACHE_CHARS = 32 * 1024 * 1024;

const encoder = new TextEncoder();

/** Writes the pages of one store's attachments, caching each attachment's JSON. */
export class PageJson {
  readonly #items: readonly WireAttachment[];
  readonly #capacity: number;
  /** JSON text by position, built on first use (a listing may never come). */
  #texts: (string | undefined)[] | undefined;
  /** UTF-8 bytes minus UTF-16 units of each text written so far (0 for ASCII). */
  #extraBytes: Int32Array | undefined;
  #chars = 0;
  /** Set once an attachment's text did not fit. */
  #full = false;
  /** Where `encodeInto` counts UTF-8 bytes (3 per UTF-16 unit at most). */
  #scratch = new Uint8Array(0);

  /** `capacity` bounds the characters cached. */
  constructor(items: readonly WireAttachment[], capacity: number = CACHE_CHARS) {
    this.#items = items;
    this.#capacity = capacity;
  }

  /**
   * The 200 reply of a page: byte for byte `JSON.stringify({ items, has_more })`, since
   * `JSON.stringify` writes an array's objects as it writes them alone, joined by commas.
   */
  reply(page: Page): Reply {
    const texts = this.#texts ??= new Array<string | undefined>(this.#items.length);
    const extraBytes = this.#extraBytes ??= new Int32Array(this.#items.length);
    const { positions, hasMore } = page;
    const parts = new Array<string>(positions.length);
    let extra = 0;
    for (let i = 0; i < positions.length; i++) {
      const position = positions[i] as number;
      let text = texts[position];
      if (text === undefined) {
        // Past the cap: one `JSON.stringify` of the whole page costs less than one per item.
        if (this.#full) return this.#whole(positions, hasMore);
        text = this.#write(position, texts, extraBytes);
      }
      parts[i] = text;
      extra += extraBytes[position] as number;
    }
    // Head and tail join in too: `join` makes one flat string, while a `+` around it would make a
    // rope that Deno flattens (copies) again to send it.
    const last = parts.length - 1;
    if (last >= 0) {
      parts[0] = `{"items":[${parts[0]}`;
      parts[last] = `${parts[last]}],"has_more":${hasMore}}`;
    }
    const text = last >= 0 ? parts.join(",") : `{"items":[],"has_more":${hasMore}}`;
    return {
      kind: "text",
      status: 200,
      headers: { "content-type": "application/json" },
      text,
      byteLength: text.length + extra,
    };
  }

  /** Writes one attachment's JSON and its byte count; caches the text while there is room. */
  #write(position: number, texts: (string | undefined)[], extraBytes: Int32Array): string {
    const item = this.#items[position] as WireAttachment;
    // A throw (a BigInt in a hand-made extra field) fails the request with a 500, as before.
    const text = JSON.stringify(item);
    if (this.#scratch.length < 3 * text.length) this.#scratch = new Uint8Array(3 * text.length);
    // No lone surrogates (`JSON.stringify` escapes them), so this is the exact UTF-8 size.
    extraBytes[position] = encoder.encodeInto(text, this.#scratch).written - text.length;
    if (this.#chars + text.length > this.#capacity) this.#full = true;
    else if (!holdsDate(item)) {
      texts[position] = text;
      this.#chars += text.length;
    }
    return text;
  }

  /** A page written whole, as before the cache. */
  #whole(positions: readonly number[], hasMore: boolean): Reply {
    const items = positions.map((position) => this.#items[position] as WireAttachment);
    return jsonReply(200, { items, has_more: hasMore });
  }
}

/**
 * Whether a value holds a `Date`, whose JSON can change: freezing it does not stop `setTime`.
 * Everything else an attachment can hold (plain data, copied by `structuredClone` and
 * deep-frozen when the emulator is built) writes the same JSON forever.
 */
function holdsDate(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (value instanceof Date) return true;
  for (const key in value) {
    if (holdsDate((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}
