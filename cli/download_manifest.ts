/**
 * The manifest as one download run keeps it: the entries found in the folder, a line appended as
 * each file completes, and a rewrite at the end when the file holds lines it should not (torn,
 * invalid or duplicate ones, or files that are gone or changed).
 *
 * @module
 */

import { join } from "node:path";
import { localSync } from "./local_files.ts";
import {
  loadManifest,
  MANIFEST_NAME,
  type ManifestEntry,
  ManifestWriter,
  rewriteManifest,
} from "./manifest.ts";

/** The manifest of one run's folder. */
export class DownloadManifest {
  readonly #folder: string;
  readonly #entries: Map<string, ManifestEntry>;
  readonly #writer: ManifestWriter | undefined;
  #rewrite: boolean;

  private constructor(
    folder: string,
    entries: Map<string, ManifestEntry>,
    writer: ManifestWriter | undefined,
    rewrite: boolean,
  ) {
    this.#folder = folder;
    this.#entries = entries;
    this.#writer = writer;
    this.#rewrite = rewrite;
  }

  /**
   * Reads the manifest of `folder` and, unless `dryRun`, opens it for appending (a dry run never
   * writes it).
   */
  static async open(folder: string, dryRun: boolean): Promise<DownloadManifest> {
    const loaded = await loadManifest(folder);
    const writer = dryRun ? undefined : await ManifestWriter.open(folder);
    const rewrite = loaded.invalidLines > 0 || loaded.duplicateLines > 0;
    return new DownloadManifest(folder, loaded.entries, writer, rewrite);
  }

  /** The entry of attachment `id`, if the manifest has one. */
  get(id: string): ManifestEntry | undefined {
    return this.#entries.get(id);
  }

  /** Files the manifest lists. */
  get size(): number {
    return this.#entries.size;
  }

  /** Drops a stale entry (its file is gone or differs); its line goes when the file is rewritten. */
  forget(id: string): void {
    this.#entries.delete(id);
    this.#rewrite = true;
  }

  /**
   * Appends the line of a complete file.
   *
   * @throws {LocalFileError} When the line cannot be written.
   */
  record(entry: ManifestEntry): void {
    localSync(join(this.#folder, MANIFEST_NAME), "write", () => this.#writer?.append(entry));
    this.#entries.set(entry.id, entry);
  }

  /** Closes the file, and rewrites it with exactly the entries kept if it needs that. */
  async close(): Promise<void> {
    if (this.#writer === undefined) return;
    this.#writer.close();
    if (this.#rewrite) await rewriteManifest(this.#folder, this.#entries.values());
  }
}
