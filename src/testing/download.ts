/**
 * File contents, made on demand from the seed and the id (never stored): a 48x48 PNG for
 * `image/png`, printable text for `text/plain`, random bytes otherwise; plus the download headers.
 */

import { encodePng, pngSize } from "./png.ts";
import { hashString, Prng } from "./prng.ts";

/** Everything needed to produce one file's bytes and headers. */
export interface FileSpec {
  id: string;
  name: string;
  mediaType: string;
  size: number;
  /** Seed of the content generator, from the emulator's seed and the id. */
  contentSeed: number;
}

/** Bytes per chunk of a streamed body (a multiple of 4: one generator word is 4 bytes). */
export const CHUNK_SIZE = 16384;
const IMAGE_SIDE = 48;
const TEXT_ALPHABET = "abcdefghijklmnopqrstuvwxyz abcdefghijklmnopqrstuvwxyz ,.\n";

/** Describes a file; the size is forced (fixtures), 0 for ~3% of files, else 0..maxFileSize. */
export function fileSpec(
  seed: number,
  item: { id: string; name: string; media_type: string },
  forcedSize: number | undefined,
  maxFileSize: number,
): FileSpec {
  const contentSeed = hashString(item.id, seed);
  const mediaType = item.media_type;
  let size: number;
  if (mediaType === "image/png") {
    size = pngSize(IMAGE_SIDE, IMAGE_SIDE);
  } else if (forcedSize !== undefined) {
    size = forcedSize;
  } else {
    const sizing = new Prng(contentSeed, 3);
    size = sizing.int(32) === 0 ? 0 : sizing.int(maxFileSize + 1);
  }
  return { id: item.id, name: item.name, mediaType, size, contentSeed };
}

/** A colourful, deterministic 48x48 image: an XOR pattern with a disc in the middle. */
function pngOf(contentSeed: number): Uint8Array {
  const h1 = contentSeed & 0xff;
  const h2 = (contentSeed >>> 8) & 0xff;
  const h3 = (contentSeed >>> 16) & 0xff;
  const radius = 8 + ((contentSeed >>> 24) & 7);
  const rgb = new Uint8Array(IMAGE_SIDE * IMAGE_SIDE * 3);
  for (let y = 0; y < IMAGE_SIDE; y++) {
    for (let x = 0; x < IMAGE_SIDE; x++) {
      const at = (y * IMAGE_SIDE + x) * 3;
      const dx = x - IMAGE_SIDE / 2;
      const dy = y - IMAGE_SIDE / 2;
      const inside = dx * dx + dy * dy < radius * radius;
      const r = (x * 5 + h1) & 0xff;
      const g = (y * 5 + h2) & 0xff;
      const b = (((x ^ y) << 3) + h3) & 0xff;
      rgb[at] = inside ? 255 - r : r;
      rgb[at + 1] = inside ? 255 - g : g;
      rgb[at + 2] = inside ? 255 - b : b;
    }
  }
  return encodePng(IMAGE_SIDE, IMAGE_SIDE, rgb);
}

/** The file's bytes in chunks of at most {@linkcode CHUNK_SIZE}, generated lazily. */
export function* fileChunks(spec: FileSpec): Generator<Uint8Array> {
  if (spec.mediaType === "image/png") {
    const png = pngOf(spec.contentSeed);
    for (let at = 0; at < png.length; at += CHUNK_SIZE) yield png.slice(at, at + CHUNK_SIZE);
    return;
  }
  const prng = new Prng(spec.contentSeed, 4);
  const text = spec.mediaType === "text/plain";
  for (let at = 0; at < spec.size; at += CHUNK_SIZE) {
    const chunk = new Uint8Array(Math.min(CHUNK_SIZE, spec.size - at));
    for (let i = 0; i < chunk.length; i += 4) {
      const word = prng.uint32();
      for (let k = 0; k < 4 && i + k < chunk.length; k++) {
        const byte = (word >>> (k * 8)) & 0xff;
        chunk[i + k] = text ? TEXT_ALPHABET.charCodeAt(byte % TEXT_ALPHABET.length) : byte;
      }
    }
    yield chunk;
  }
}

/** The whole file at once. */
export function fileBytes(spec: FileSpec): Uint8Array {
  const out = new Uint8Array(spec.size);
  let at = 0;
  for (const chunk of fileChunks(spec)) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** RFC 5987 `attr-char`s: everything else is percent-encoded from UTF-8. */
const ATTR_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

/**
 * `Content-Disposition` per RFC 6266: an ASCII `filename` fallback (controls, non-ASCII and `\`
 * become `_`, `"` is escaped) and the exact name in `filename*` (lone surrogates become U+FFFD).
 */
export function contentDisposition(name: string): string {
  let fallback = "";
  for (const char of name) {
    const code = char.codePointAt(0) as number;
    if (code < 0x20 || code > 0x7e || char === "\\") fallback += "_";
    else if (char === '"') fallback += '\\"';
    else fallback += char;
  }
  let encoded = "";
  for (const byte of new TextEncoder().encode(name)) {
    const char = String.fromCharCode(byte);
    encoded += byte < 0x80 && ATTR_CHAR.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
