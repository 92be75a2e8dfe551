/**
 * The download folder on disk: creating a temporary file, checking a file already there against
 * its manifest line, and tidying a folder a run created for nothing. A failure to write is a
 * {@linkcode LocalFileError}, which stops the whole run: the next file would fail the same way.
 *
 * File operations are synchronous, in bounded chunks: an async open, rename or write costs a trip
 * to a thread pool (about 0.2 ms each, measured), which for thousands of small files is most of
 * the run, while the synchronous calls on a local disk take tens of microseconds.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { MANIFEST_NAME, type ManifestEntry } from "./manifest.ts";

/** A local file could not be written: no point going on. */
export class LocalFileError extends Error {
  /** The error's name, `"LocalFileError"`. */
  override name = "LocalFileError";
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs a synchronous file operation; a failure becomes a {@linkcode LocalFileError}. */
export function localSync<T>(path: string, action: string, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    throw new LocalFileError(`cannot ${action} ${path}: ${describe(error)}`, { cause: error });
  }
}

/** Runs an async file operation; a failure becomes a {@linkcode LocalFileError}. */
export async function localAsync<T>(
  path: string,
  action: string,
  operation: () => Promise<T>,
): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw new LocalFileError(`cannot ${action} ${path}: ${describe(error)}`, { cause: error });
  }
}

/** Writes every byte (a single `writeSync` may write fewer). */
export function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += file.writeSync(bytes.subarray(at));
}

/**
 * Creates the temporary file, replacing one a killed run left behind. `createNew` never writes
 * through whatever sits at that name (a symlink, say): it is removed and created afresh.
 */
export function createTemporary(path: string): Deno.FsFile {
  return localSync(path, "create", () => {
    try {
      return Deno.openSync(path, { write: true, createNew: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      Deno.removeSync(path);
      return Deno.openSync(path, { write: true, createNew: true });
    }
  });
}

/** Whether anything is at `path`. */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Removes `folder` if it holds nothing, or only an empty manifest; never anything else. */
export function removeIfEmpty(folder: string): void {
  try {
    const names = [...Deno.readDirSync(folder)].map((entry) => entry.name);
    if (names.some((name) => name !== MANIFEST_NAME)) return;
    if (names.length > 0) {
      const manifest = join(folder, MANIFEST_NAME);
      if (Deno.lstatSync(manifest).size !== 0) return;
      Deno.removeSync(manifest);
    }
    Deno.removeSync(folder);
  } catch { /* leave it: the summary says what happened */ }
}

/** Bytes read at a time when a present file is checked. */
const READ_CHUNK = 256 * 1024;

/** Chunks read between two yields to the event loop (16 MiB), so Ctrl-C is seen in time. */
const CHUNKS_PER_YIELD = 64;

/** The SHA-256 and size of a file, read in chunks, or `undefined` when it cannot be read. */
export async function hashFile(
  path: string,
  signal: AbortSignal,
): Promise<{ size: number; sha256: string } | undefined> {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch {
    return undefined;
  }
  try {
    const hash = createHash("sha256");
    const buffer = new Uint8Array(READ_CHUNK);
    let size = 0;
    for (let chunk = 1;; chunk++) {
      if (chunk % CHUNKS_PER_YIELD === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      if (signal.aborted) throw signal.reason;
      const read = file.readSync(buffer);
      if (read === null) break;
      hash.update(buffer.subarray(0, read));
      size += read;
    }
    return { size, sha256: hash.digest("hex") };
  } finally {
    file.close();
  }
}

/**
 * Whether `folder` holds the complete file `entry` describes, under `name` (the name this run
 * would give it): a regular file of the entry's size and SHA-256.
 */
export async function isComplete(
  folder: string,
  entry: ManifestEntry,
  name: string,
  signal: AbortSignal,
): Promise<boolean> {
  if (entry.path !== name) return false;
  const path = join(folder, name);
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch {
    return false;
  }
  if (!info.isFile || info.size !== entry.size) return false;
  const actual = await hashFile(path, signal);
  return actual !== undefined && actual.size === entry.size && actual.sha256 === entry.sha256;
}
