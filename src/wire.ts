/**
 * The wire form of attachments, shared by every program that re-serialises them (the Worker's
 * exports, the CLI's `list`, the gallery): the object exactly as Toloka wrote it, one NDJSON line
 * of it, and the orders an iteration accepts.
 *
 * @module
 */

import { rawCreatedOf } from "./raw_created.ts";
import { formatTimestamp } from "./timestamps.ts";
import type { Attachment, Order } from "./types.ts";

/**
 * The iteration orders, in the order they are documented.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ORDERS } from "@toloka-edge/attachments";
 *
 * assert.ok(ORDERS.includes("-created"));
 * ```
 */
export const ORDERS: readonly Order[] = ["id", "-id", "created", "-created"];

/**
 * The attachment as the API wrote it, ready for `JSON.stringify`: `created` is the exact string
 * the API sent (or, for an object this library did not parse, UTC `YYYY-MM-DDTHH:mm:ss.sss`
 * without offset); every other field as is, in the same order.
 *
 * @param attachment An attachment this library parsed (or any object of its shape).
 * @returns The wire object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AttachmentsClient, toWireAttachment } from "@toloka-edge/attachments";
 * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const emulator = new TolokaEmulator({ pools: [3] });
 * const client = new AttachmentsClient({ token: "test-token", fetch: emulator.fetch });
 * const [first] = (await client.findAttachments({ pool_id: "1" }, { limit: 1 })).items;
 * assert.equal(typeof toWireAttachment(first!).created, "string");
 * ```
 */
export function toWireAttachment(attachment: Attachment): Record<string, unknown> {
  const created = rawCreatedOf(attachment) ?? formatTimestamp(attachment.created);
  return { ...attachment, created };
}

/**
 * One attachment as an NDJSON line (its wire form, then `\n`).
 *
 * @param attachment An attachment this library parsed (or any object of its shape).
 * @returns The line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ndjsonLine } from "@toloka-edge/attachments";
 *
 * const line = ndjsonLine({ id: "a1", created: new Date("2024-01-02T03:04:05.006Z") });
 * assert.equal(line, '{"id":"a1","created":"2024-01-02T03:04:05.006"}\n');
 * ```
 */
export function ndjsonLine(attachment: Attachment): string {
  return JSON.stringify(toWireAttachment(attachment)) + "\n";
}
