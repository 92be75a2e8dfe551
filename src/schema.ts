/**
 * The API's response bodies, checked at the boundary with valibot (internal: no valibot type
 * reaches the public API).
 *
 * Tolerant where the API is loose (no field is marked required, older items have no `owner`,
 * unknown fields appear and are kept) and strict about wrong types: a body that breaks the schema
 * is a {@linkcode TolokaResponseError} naming the field, such as `items[3].created`.
 *
 * @module
 */

import * as v from "valibot";
import { TolokaResponseError } from "./errors.ts";
import { rememberCreated } from "./raw_created.ts";
import { parseTimestamp } from "./timestamps.ts";
import type { Attachment, AttachmentPage } from "./types.ts";

const optionalString = v.optional(v.string());

type JsonObjectSchema<TEntries extends v.ObjectEntries> = v.SchemaWithPipe<
  readonly [
    v.CustomSchema<Record<string, unknown>, v.ErrorMessage<v.CustomIssue> | undefined>,
    v.LooseObjectSchema<TEntries, undefined>,
  ]
>;

function isJsonObject(input: unknown): boolean {
  return typeof input === "object" && input !== null && !Array.isArray(input);
}

/** A JSON object with these entries and any others (valibot's object schemas let arrays in). */
function jsonObject<const TEntries extends v.ObjectEntries>(
  entries: TEntries,
): JsonObjectSchema<TEntries> {
  return v.pipe(
    v.custom<Record<string, unknown>>(
      isJsonObject,
      (issue) => `must be Object, received ${issue.received}`,
    ),
    v.looseObject(entries),
  );
}

const OwnerSchema = jsonObject({
  id: optionalString,
  myself: v.optional(v.boolean()),
  company_id: optionalString,
});

const DetailsSchema = jsonObject({
  user_id: optionalString,
  assignment_id: optionalString,
  pool_id: optionalString,
});

// `id` and `created` are required: without them an item can be neither fetched nor paged past.
const AttachmentSchema = jsonObject({
  id: v.pipe(v.string(), v.nonEmpty()),
  created: v.string(),
  attachment_type: optionalString,
  name: optionalString,
  details: v.optional(DetailsSchema),
  owner: v.optional(OwnerSchema),
  media_type: optionalString,
});

const PageSchema = jsonObject({
  items: v.array(AttachmentSchema),
  has_more: v.boolean(),
});

type WireAttachment = v.InferOutput<typeof AttachmentSchema>;

function formatPath(path: readonly v.IssuePathItem[] | undefined, prefix: string): string {
  let text = prefix;
  for (const item of path ?? []) {
    text += typeof item.key === "number"
      ? `[${item.key}]`
      : `${text === "" ? "" : "."}${String(item.key)}`;
  }
  return text === "" ? "(body)" : text;
}

function schemaError(
  what: string,
  issue: v.BaseIssue<unknown>,
  prefix: string,
): TolokaResponseError {
  const path = formatPath(issue.path, prefix);
  const problem = issue.type === "custom"
    ? issue.message
    : issue.received === "undefined"
    ? "is missing"
    : `must be ${issue.expected ?? "valid"}, received ${issue.received}`;
  return new TolokaResponseError(
    `The API answered ${what} that breaks its schema: ${path} ${problem}`,
    {
      path,
    },
  );
}

/** Turns a checked wire item into an `Attachment`: `created` becomes a `Date`, the string is kept. */
function toAttachment(wire: WireAttachment, what: string, prefix: string): Attachment {
  const raw = wire.created;
  const timestamp = parseTimestamp(raw);
  if (timestamp === undefined) {
    const path = `${prefix}${prefix === "" ? "" : "."}created`;
    throw new TolokaResponseError(
      `The API answered ${what} that breaks its schema: ${path} must be a timestamp such as 2016-05-25T16:14:27.748, received ${
        JSON.stringify(raw)
      }`,
      { path },
    );
  }
  // The checked input itself becomes the attachment (a body fresh from JSON.parse is ours to
  // change): it keeps the API's field order, which a proxy re-serialising items preserves.
  const attachment = wire as unknown as Attachment;
  attachment.created = timestamp.date;
  rememberCreated(attachment, timestamp);
  return attachment;
}

/**
 * Checks the body of `GET /attachments` and turns it into a page. The body (fresh from
 * `JSON.parse`) is taken over: its items become the attachments.
 */
export function parseAttachmentPage(body: unknown): AttachmentPage {
  const what = "a listing page";
  const result = v.safeParse(PageSchema, body, { abortEarly: true });
  if (!result.success) throw schemaError(what, result.issues[0], "");
  const input = body as { items: WireAttachment[]; has_more: boolean };
  const items = input.items.map((item, index) => toAttachment(item, what, `items[${index}]`));
  return { items, has_more: input.has_more };
}

/** Checks the body of `GET /attachments/{id}`; the body is taken over, as above. */
export function parseAttachment(body: unknown): Attachment {
  const what = "an attachment";
  const result = v.safeParse(AttachmentSchema, body, { abortEarly: true });
  if (!result.success) throw schemaError(what, result.issues[0], "");
  return toAttachment(body as WireAttachment, what, "");
}
