/**
 * What counts as an object in arguments and in JSON bodies: not `null`, not an array.
 *
 * @module
 */

/** Whether a value is an object and not an array (`null` is not). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
