/**
 * Local file names for downloaded attachments, pure. A Toloker chose the file name and the API
 * chose the id: neither may decide where a file lands. The result is a single path component
 * that is valid on Linux, macOS and Windows, can never be `.`/`..`, never holds a separator,
 * and is unique per id even on case-insensitive file systems.
 *
 * @module
 */

// A synchronous, pure-JS SHA-256, so these rules also run in the Worker (export jobs name ZIP
// entries with them), where `node:crypto` is not available without `nodejs_compat`.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

/**
 * The longest local file name, in bytes of UTF-8 (file systems allow 255; `.part` needs room).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localFileName, MAX_NAME_BYTES } from "@toloka-edge/attachments/files";
 *
 * const name = localFileName("a1", "x".repeat(1000) + ".png");
 * assert.ok(new TextEncoder().encode(name).length <= MAX_NAME_BYTES);
 * assert.ok(name.endsWith(".png"));
 * ```
 */
export const MAX_NAME_BYTES = 200;

// Device names Windows reserves in any directory, with or without an extension, in any case.
const RESERVED = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])\s*(\.|$)/i;
// Separators, controls (C0, DEL, C1), characters Windows forbids, bidi and zero-width formats.
const UNSAFE =
  // deno-lint-ignore no-control-regex -- matching controls is the point
  /[\/\\\u0000-\u001f\u007f-\u009f<>:"|?*\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu;
// An id that is safe as is: lowercase (so ids differing in case cannot collide), no `_` (which
// separates the id from the name), no leading or trailing dot.
const PLAIN_ID = /^[a-z0-9](?:[a-z0-9.-]{0,62}[a-z0-9-])?$/;
// Names the download command keeps for itself in the folder: an id may not take them.
const OWN_FILES = /^manifest\./;

const encoder = new TextEncoder();

function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, never splitting a code point. */
export function cutToBytes(text: string, maxBytes: number): string {
  let used = 0;
  let end = 0;
  for (const char of text) {
    const size = byteLength(char);
    if (used + size > maxBytes) break;
    used += size;
    end += char.length;
  }
  return text.slice(0, end);
}

function trimEnds(text: string): string {
  // Windows drops trailing dots and spaces, so `a.` and `a` would be one file there.
  return text.replace(/^\s+/u, "").replace(/[.\s]+$/u, "");
}

/**
 * A file name's characters made safe, with no length limit and no fallback: NFC-normalised,
 * lone surrogates replaced, separators, controls, format characters and `<>:"|?*` replaced by
 * `_`, leading spaces and trailing dots and spaces removed. May return `""` (for `""`, `.`, `..`).
 */
export function cleanName(name: string): string {
  return trimEnds(name.toWellFormed().normalize("NFC").replace(UNSAFE, "_"));
}

/**
 * Shortens a clean name to `maxBytes` of UTF-8, keeping a short extension when there is one.
 */
export function truncateName(name: string, maxBytes: number): string {
  if (byteLength(name) <= maxBytes) return name;
  const extension = /\.[^.\s]{1,15}$/u.exec(name)?.[0];
  if (extension !== undefined && byteLength(extension) < maxBytes) {
    const stem = name.slice(0, -extension.length);
    const cut = trimEnds(cutToBytes(stem, maxBytes - byteLength(extension)));
    return cut + extension;
  }
  return trimEnds(cutToBytes(name, maxBytes));
}

/**
 * A safe file name for any string: {@linkcode cleanName}, a `_` before a reserved Windows device
 * name (`CON`, `nul.txt`, `Com1.png`, ...), at most `maxBytes` of UTF-8, and `_` when nothing
 * is left.
 *
 * @param name Any string, such as a file name a Toloker chose.
 * @param maxBytes The longest result, in bytes of UTF-8.
 * @returns One path component, valid on Linux, macOS and Windows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sanitizeFileName } from "@toloka-edge/attachments/files";
 *
 * assert.equal(sanitizeFileName("a/b\\c.txt"), "a_b_c.txt");
 * assert.equal(sanitizeFileName("nul.txt"), "_nul.txt");
 * assert.equal(sanitizeFileName(".."), "_");
 * ```
 */
export function sanitizeFileName(name: string, maxBytes: number = MAX_NAME_BYTES): string {
  let clean = cleanName(name);
  if (RESERVED.test(clean)) clean = `_${clean}`;
  return truncateName(clean, maxBytes) || "_";
}

/** The first `length` hex digits of the SHA-256 of `text` (of its UTF-16 code units, via JSON). */
function shortHash(text: string, length: number): string {
  // JSON.stringify keeps lone surrogates apart (`"\ud800"`), which UTF-8 encoding would merge.
  return bytesToHex(sha256(utf8ToBytes(JSON.stringify(text)))).slice(0, length);
}

/**
 * The id as a name prefix: unchanged when it is plain (lowercase letters, digits, `.` and `-`,
 * as Toloka's UUIDs and `fr.` ids are); otherwise its letters and digits, lowercased, followed by
 * `~` and 16 hex digits of its hash, so two different ids never share a prefix, in any case: a
 * plain id never holds `~`, so a hashed prefix can never equal one. A hashed prefix holds no dot,
 * so it is never a reserved device name such as `nul.txt`, nor the folder's own
 * `manifest.ndjson` (an id such as `manifest.ndjson` is hashed for that reason). Never holds `_`,
 * so the prefix ends where the first `_` is.
 */
export function idPrefix(id: string): string {
  if (PLAIN_ID.test(id) && !RESERVED.test(id) && !OWN_FILES.test(id)) return id;
  const readable = id.toWellFormed().normalize("NFC").toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-").slice(0, 40).replace(/^-+|-+$/g, "");
  return `${readable || "id"}~${shortHash(id, 16)}`;
}

/**
 * The local file name of an attachment: `<id>_<name>`, each part made safe, at most `maxBytes`
 * of UTF-8 (the name is shortened, its extension kept; the id part never is). Just `<id>` when
 * nothing of the name is left. Different ids always give names that differ, even ignoring case.
 *
 * @param id The attachment's id.
 * @param name The attachment's file name, as the Toloker chose it.
 * @param maxBytes The longest result, in bytes of UTF-8.
 * @returns One path component that cannot leave the folder it is joined to.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localFileName } from "@toloka-edge/attachments/files";
 *
 * assert.equal(localFileName("fr.42", "../../etc/passwd"), "fr.42_.._.._etc_passwd");
 * assert.equal(localFileName("a1", ".."), "a1");
 * ```
 */
export function localFileName(id: string, name: string, maxBytes: number = MAX_NAME_BYTES): string {
  const prefix = idPrefix(id);
  const budget = maxBytes - byteLength(prefix) - 1;
  const rest = budget > 0 ? truncateName(cleanName(name), budget) : "";
  return rest === "" ? prefix : `${prefix}_${rest}`;
}
