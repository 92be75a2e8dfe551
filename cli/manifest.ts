/**
 * `manifest.ndjson`, the record of a download folder: one JSON object a line per complete file,
 * appended as each file completes, so a crash never corrupts an earlier line. A line torn by a
 * crash is dropped when the manifest is read again; duplicates (a file downloaded again) keep
 * the last line. The folder is rewritten atomically (temporary file, then rename) when it holds
 * torn, invalid or duplicate lines.
 *
 * @module
 */

import { join } from "node:path";

/** The manifest's file name inside the download folder. */
export const MANIFEST_NAME = "manifest.ndjson";

/** One line of the manifest: a complete local file. */
export interface ManifestEntry {
  /** The attachment's id. */
  id: string;
  /** The file's path relative to the download folder (a single file name). */
  path: string;
  /** The file's size in bytes. */
  size: number;
  /** The SHA-256 of the file's bytes, in lowercase hex. */
  sha256: string;
  /** The attachment's metadata exactly as Toloka sent it (`created` as written by the API). */
  attachment: Record<string, unknown>;
}

/** The manifest line of an entry, with its newline. */
export function manifestLine(entry: ManifestEntry): string {
  return `${
    JSON.stringify({
      id: entry.id,
      path: entry.path,
      size: entry.size,
      sha256: entry.sha256,
      attachment: entry.attachment,
    })
  }\n`;
}

/** Reads one line; `undefined` when it is not a well-formed entry (torn, edited, foreign). */
export function parseManifestLine(line: string): ManifestEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const entry = value as Record<string, unknown>;
  const { id, path, size, sha256, attachment } = entry;
  if (
    typeof id !== "string" || id === "" || typeof path !== "string" || path === "" ||
    typeof size !== "number" || !Number.isSafeInteger(size) || size < 0 ||
    typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256) ||
    typeof attachment !== "object" || attachment === null || Array.isArray(attachment)
  ) {
    return undefined;
  }
  return { id, path, size, sha256, attachment: attachment as Record<string, unknown> };
}

/** What {@linkcode loadManifest} found. */
export interface LoadedManifest {
  /** The entries by id (the last line of an id wins). */
  entries: Map<string, ManifestEntry>;
  /** Lines that were not entries (a torn last line included). */
  invalidLines: number;
  /** Lines for an id seen before. */
  duplicateLines: number;
}

const NEWLINE = 0x0a;

/**
 * Reads the manifest of `folder` (an empty one when there is none), streaming. A torn last line
 * (no newline at the end) is cut off the file, so the next append starts a fresh line; a last
 * line that parses but lacks its newline gets one.
 */
export async function loadManifest(folder: string): Promise<LoadedManifest> {
  const path = join(folder, MANIFEST_NAME);
  const loaded: LoadedManifest = { entries: new Map(), invalidLines: 0, duplicateLines: 0 };
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return loaded;
    throw error;
  }
  const decoder = new TextDecoder();
  const take = (bytes: Uint8Array): void => {
    if (bytes.length === 0) return;
    const entry = parseManifestLine(decoder.decode(bytes));
    if (entry === undefined) {
      loaded.invalidLines++;
      return;
    }
    if (loaded.entries.has(entry.id)) {
      loaded.duplicateLines++;
      loaded.entries.delete(entry.id); // keep the map in file order of the last lines
    }
    loaded.entries.set(entry.id, entry);
  };
  let carry: Uint8Array = new Uint8Array(0);
  let total = 0;
  for await (const chunk of file.readable) {
    total += chunk.length;
    let start = 0;
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, at);
      take(carry.length === 0 ? piece : concat(carry, piece));
      carry = new Uint8Array(0);
      start = at + 1;
    }
    if (start < chunk.length) carry = concat(carry, chunk.subarray(start));
  }
  if (carry.length > 0) {
    const entry = parseManifestLine(decoder.decode(carry));
    if (entry === undefined) {
      loaded.invalidLines++;
      await Deno.truncate(path, total - carry.length);
    } else {
      take(carry);
      await Deno.writeTextFile(path, "\n", { append: true });
    }
  }
  return loaded;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Appends entries to a manifest, one whole line per call. */
export class ManifestWriter {
  readonly #file: Deno.FsFile;
  readonly #encoder = new TextEncoder();

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Opens (creating it if needed) the manifest of `folder` for appending. */
  static async open(folder: string): Promise<ManifestWriter> {
    const file = await Deno.open(join(folder, MANIFEST_NAME), {
      append: true,
      create: true,
    });
    return new ManifestWriter(file);
  }

  /**
   * Appends one entry's line, synchronously: lines never interleave, and a line is on its way to
   * the disk before the next file is reported done.
   */
  append(entry: ManifestEntry): void {
    const bytes = this.#encoder.encode(manifestLine(entry));
    let at = 0;
    while (at < bytes.length) at += this.#file.writeSync(bytes.subarray(at));
  }

  /** Closes the file. */
  close(): void {
    this.#file.close();
  }
}

/** Writes every byte (a single `write` may write fewer). */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await file.write(bytes.subarray(at));
}

/** Replaces the manifest of `folder` with exactly `entries`, atomically. */
export async function rewriteManifest(
  folder: string,
  entries: Iterable<ManifestEntry>,
): Promise<void> {
  const path = join(folder, MANIFEST_NAME);
  const temporary = join(folder, `.${MANIFEST_NAME}.part`);
  const file = await Deno.open(temporary, { write: true, create: true, truncate: true });
  try {
    const encoder = new TextEncoder();
    let batch = "";
    for (const entry of entries) {
      batch += manifestLine(entry);
      if (batch.length > 1 << 16) {
        await writeAll(file, encoder.encode(batch));
        batch = "";
      }
    }
    await writeAll(file, encoder.encode(batch));
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.rename(temporary, path);
}
