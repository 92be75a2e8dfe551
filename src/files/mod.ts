/**
 * Local file names for attachments, pure: a Toloker chose the file name and the API chose the id,
 * and neither may decide where a file lands. The command line's `download` and the Worker's ZIP
 * exports name files with {@linkcode localFileName}; a program that saves attachments itself
 * should too. {@linkcode formatBytes} writes their sizes for people.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localFileName } from "@toloka-edge/attachments/files";
 *
 * assert.equal(localFileName("fr.42", "photo.jpg"), "fr.42_photo.jpg");
 * ```
 *
 * @module
 */

export { localFileName, MAX_NAME_BYTES, sanitizeFileName } from "./file_names.ts";
export { formatBytes } from "./sizes.ts";
