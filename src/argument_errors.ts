/**
 * The errors of invalid arguments: a `TypeError` (a wrong type, a missing or unknown field) or a
 * `RangeError` (the right type, a value not allowed) whose message names the field and its current
 * value, and whose `field` says the same to a program (a command line maps it to its flag).
 *
 * @module
 */

/**
 * An argument of the wrong type, or a missing or unknown one. Thrown before anything is sent.
 *
 * `field` names what is at fault: an option of this library (`token`, `baseUrl`, `limit`,
 * `order`, `sort`, ...), a filter field (`pool_id`, `created_gte`, or an unknown one), or a whole
 * argument: `filter` (not an object, or neither `pool_id` nor `assignment_id`), `options` (not an
 * object) or `id` (an attachment id). Its `name` stays `"TypeError"`, as code that checks names
 * expects.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ArgumentTypeError, AttachmentsClient } from "@toloka-edge/attachments";
 *
 * try {
 *   new AttachmentsClient({ token: "" });
 *   assert.fail("expected an error");
 * } catch (error) {
 *   assert.ok(error instanceof TypeError && error instanceof ArgumentTypeError);
 *   assert.equal(error.field, "token");
 * }
 * ```
 */
export class ArgumentTypeError extends TypeError {
  /** The option, filter field or argument at fault (see the class). */
  readonly field: string;

  /**
   * Creates an error.
   *
   * @param field The option, filter field or argument at fault.
   * @param message What is wrong, naming the field and its current value.
   */
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/**
 * An argument of the right type whose value is not allowed (`limit` 0, an unknown sort key, an
 * invalid date, an empty string). Thrown before anything is sent.
 *
 * `field` names what is at fault, as for {@linkcode ArgumentTypeError}. Its `name` stays
 * `"RangeError"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ArgumentRangeError, AttachmentsClient } from "@toloka-edge/attachments";
 * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const client = new AttachmentsClient({ token: "test-token", fetch: new TolokaEmulator().fetch });
 * await assert.rejects(
 *   client.findAttachments({ pool_id: "1" }, { limit: 101 }),
 *   (error) => error instanceof ArgumentRangeError && error.field === "limit",
 * );
 * ```
 */
export class ArgumentRangeError extends RangeError {
  /** The option, filter field or argument at fault (see {@linkcode ArgumentTypeError}). */
  readonly field: string;

  /**
   * Creates an error.
   *
   * @param field The option, filter field or argument at fault.
   * @param message What is wrong, naming the field and its current value.
   */
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}
