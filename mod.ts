/**
 * Probe.
 *
 * @example
 * ```ts
 * import { hello } from "@toloka-edge/attachments";
 * console.log(hello());
 * ```
 * @module
 */

/**
 * Says hello.
 * @example
 * ```ts
 * import { hello } from "@toloka-edge/attachments";
 * hello();
 * ```
 */
export function hello(): string {
  return "hi";
}
