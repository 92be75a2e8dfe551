/**
 * One attempt at one file: its body streamed to `.<name>.part` and hashed on the way, checked
 * against its `Content-Length`, then renamed to `<name>`, so a final name never holds half a file.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import type { AttachmentDownload } from "../mod.ts";
import { createTemporary, localSync, writeAllSync } from "./local_files.ts";

/** A complete file, as its manifest line records it. */
export interface SavedFile {
  /** Bytes written. */
  size: number;
  /** The SHA-256 of those bytes, in lowercase hex. */
  sha256: string;
}

/**
 * Writes `download` into `folder` as `name`. On any failure the temporary file is removed, the
 * body cancelled, and the bytes reported so far are taken back.
 *
 * @param onBytes Called with the size of each chunk written, and with minus their sum when the
 * attempt fails.
 * @throws {LocalFileError} When the file cannot be created, written or renamed.
 * @throws {Error} When the body breaks off, or ends short of its `Content-Length`.
 */
export async function saveDownload(
  download: AttachmentDownload,
  folder: string,
  name: string,
  onBytes: (bytes: number) => void,
): Promise<SavedFile> {
  const target = join(folder, name);
  const temporary = join(folder, `.${name}.part`);
  const reader = download.body.getReader();
  let file: Deno.FsFile | undefined;
  let written = 0;
  let complete = false;
  try {
    file = createTemporary(temporary);
    const hash = createHash("sha256");
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      localSync(temporary, "write", () => writeAllSync(file as Deno.FsFile, value));
      written += value.length;
      onBytes(value.length);
    }
    // Fewer bytes than Content-Length: cut off. (More can be fine: a compressed transfer.)
    if (download.size !== undefined && written < download.size) {
      throw new Error(`the download ended after ${written} of ${download.size} bytes`);
    }
    file.close();
    file = undefined;
    localSync(target, "create", () => Deno.renameSync(temporary, target));
    complete = true;
    return { size: written, sha256: hash.digest("hex") };
  } finally {
    if (!complete) {
      await reader.cancel().catch(() => {});
      file?.close();
      try {
        Deno.removeSync(temporary);
      } catch { /* never created, or already gone */ }
      if (written > 0) onBytes(-written);
    }
  }
}
