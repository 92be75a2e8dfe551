/**
 * The wire form of attachments and of listing queries, shared by every program that speaks it
 * (the Worker, the CLI, the gallery): the orders and the filter fields the API knows, the object
 * exactly as Toloka wrote it, and one NDJSON line of it.
 *
 * @module
 */

import { rawCreatedOf } from "./raw_created.ts";
import { formatTimestamp } from "./timestamps.ts";
import type { Attachment } from "./types.ts";

/**
 * The iteration orders, in the order they are documented; also the API's sort keys.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ORDERS } from "@toloka-edge/attachments";
 *
 * assert.ok(ORDERS.includes("-created"));
 * ```
 */
export const ORDERS = ["id", "-id", "created", "-created"] as const;

/**
 * The order in which {@linkcode AttachmentsClient.getAttachments} yields attachments: one of
 * {@linkcode ORDERS}.
 *
 * `"created"` and `"-created"` break ties on `created` by `id` (in the same direction).
 *
 * @example
 * ```ts
 * import type { Order } from "@toloka-edge/attachments";
 *
 * const order: Order = "-created";
 * ```
 */
export type Order = typeof ORDERS[number];

/**
 * The fields of an {@linkcode AttachmentFilter} (the API's query parameters), in the order they
 * are sent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FILTER_FIELDS } from "@toloka-edge/attachments";
 *
 * assert.ok(FILTER_FIELDS.includes("created_gte"));
 * ```
 */
export const FILTER_FIELDS = [
  "pool_id",
  "assignment_id",
  "user_id",
  "name",
  "type",
  "owner_id",
  "owner_company_id",
  "id_gt",
  "id_gte",
  "id_lt",
  "id_lte",
  "created_gt",
  "created_gte",
  "created_lt",
  "created_lte",
] as const;

/**
 * A field of an {@linkcode AttachmentFilter}: one of {@linkcode FILTER_FIELDS}.
 *
 * @example
 * ```ts
 * import type { FilterField } from "@toloka-edge/attachments";
 *
 * const field: FilterField = "created_gte";
 * ```
 */
export type FilterField = typeof FILTER_FIELDS[number];

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
