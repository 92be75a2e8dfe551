/**
 * File sizes for people, as the command line's progress and the gallery's export status show them.
 *
 * @module
 */

/**
 * A byte count for people, in binary units: `512 B`, `12.3 KiB`, `4.56 MiB`, `1.20 GiB`.
 *
 * @param bytes A count of bytes.
 * @returns The count with a unit: three significant digits from 1 KiB on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBytes } from "@toloka-edge/attachments/files";
 *
 * assert.equal(formatBytes(512), "512 B");
 * assert.equal(formatBytes(5 * 1024 * 1024), "5.00 MiB");
 * ```
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
