/**
 * The API's response bodies, checked at the boundary with valibot (internal: no valibot type
 * reaches the public API).
 *
 * Tolerant where the API is loose (no field is marked required, older items have no `owner`,
 * unknown fields appear and are kept) and strict about wrong types: a body that breaks the schema
 * is a {@linkcode TolokaResponseError} naming the field, such as `items[3].created`.
 *
 * A listing page is checked in two steps, both with valibot: first the fields paging needs (the
 * page's shape, each item's `id` and `created`), so that the next request can go out at once,
 * then everything else while it is on its way. The checked body itself becomes the result (a
 * body fresh from `JSON.parse` is ours to change): valibot's output copies are never used, so the
 * schemas are plain `object`s (unknown fields stay on the input) and no item is copied.
 *
 * @module
 */

import * as v from "valibot";
import { TolokaResponseError } from "./errors.ts";
import { createdOf, rememberCreated } from "./raw_created.ts";
import { parseTimestamp } from "./timestamps.ts";
import type { Attachment, AttachmentPage } from "./types.ts";

const optionalString = v.optional(v.string());

type JsonObjectSchema<TEntries extends v.ObjectEntries> = v.SchemaWithPipe<
  readonly [
    v.CustomSchema<Record<string, unknown>, v.ErrorMessage<v.CustomIssue> | undefined>,
    v.ObjectSchema<TEntries, undefined>,
  ]
>;

function isJsonObject(input: unknown): boolean {
  return typeof input === "object" && input !== null && !Array.isArray(input);
}

function notAnObject(issue: v.CustomIssue): string {
  return `must be Object, received ${issue.received}`;
}

/**
 * A JSON object with these entries, and any others: they are left on the input, which is what
 * the caller keeps (valibot's object schemas let arrays in, hence the first check).
 */
function jsonObject<const TEntries extends v.ObjectEntries>(
  entries: TEntries,
): JsonObjectSchema<TEntries> {
  return v.pipe(v.custom<Record<string, unknown>>(isJsonObject, notAnObject), v.object(entries));
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
const PAGING_ENTRIES = {
  id: v.pipe(v.string(), v.nonEmpty()),
  created: v.string(),
};

const OTHER_ENTRIES = {
  attachment_type: optionalString,
  name: optionalString,
  details: v.optional(DetailsSchema),
  owner: v.optional(OwnerSchema),
  media_type: optionalString,
};

const AttachmentSchema = jsonObject({ ...PAGING_ENTRIES, ...OTHER_ENTRIES });

/** Step 1 of a listing page: its shape and what paging needs of each item. */
const ListingSchema = jsonObject({
  items: v.array(jsonObject(PAGING_ENTRIES)),
  has_more: v.boolean(),
});

/** What the next request of an order by `id` is built from: `has_more` and an array of items. */
const MoreSchema = v.object({ has_more: v.boolean(), items: v.custom<unknown[]>(Array.isArray) });
const LastItemSchema = v.object({ id: v.pipe(v.string(), v.nonEmpty()) });

/** Step 2: the other fields of each item (step 1 made sure every item is a JSON object). */
const ItemFieldsSchema = v.array(v.object(OTHER_ENTRIES));

/** An item of a listing page after step 1: a JSON object with an `id` and a `created` string. */
export interface ListedItem {
  /** Checked: a non-empty string. */
  id: string;
  /** Checked: a string; its timestamp is parsed by {@linkcode readCreated}. */
  created: string;
  /** Not yet checked. */
  [field: string]: unknown;
}

/** A listing page after step 1 ({@linkcode readListingPage}): the body itself, checked so far. */
export interface ListingPage {
  items: ListedItem[];
  has_more: boolean;
}

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

/** Runs a schema; throws the first issue as a {@linkcode TolokaResponseError}. */
function check(
  schema: v.GenericSchema,
  body: unknown,
  what: string,
  prefix: string,
): void {
  const result = v.safeParse(schema, body, { abortEarly: true });
  if (!result.success) throw schemaError(what, result.issues[0], prefix);
}

const LISTING = "a listing page";

/**
 * Parses and remembers the `created` timestamp of items `from` onwards (those already read are
 * skipped), as {@linkcode createdOf} returns it: paging compares these at full precision.
 *
 * @throws {TolokaResponseError} When a `created` is not a timestamp, naming `items[i].created`.
 */
export function readCreated(items: readonly ListedItem[], what = LISTING): void {
  for (let index = 0; index < items.length; index++) {
    const item = items[index] as ListedItem;
    if (createdOf(item) === undefined) readOneCreated(item, what, `items[${index}]`);
  }
}

function readOneCreated(item: ListedItem, what: string, prefix: string): void {
  const raw = item.created;
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
  rememberCreated(item, timestamp);
}

/**
 * Step 1 of checking the body of `GET /attachments`: its shape, `has_more`, and each item's `id`
 * and `created` strings. The body is taken over: {@linkcode completeListingPage} turns its items
 * into attachments in place.
 *
 * @throws {TolokaResponseError} When the body breaks this part of the schema.
 */
export function readListingPage(body: unknown): ListingPage {
  check(ListingSchema, body, LISTING, "");
  return body as ListingPage;
}

/**
 * Reads, ahead of step 1, what the next request of a listing by `id` needs: whether the page says
 * there is more, and its last item's `id` (both checked with valibot). `undefined` when the page
 * says there is no more or these fields break the schema; step 1 then reports the problem.
 */
export function peekNextId(body: unknown): string | undefined {
  if (!v.is(MoreSchema, body) || !body.has_more) return undefined;
  const last = body.items.at(-1);
  return v.is(LastItemSchema, last) ? last.id : undefined;
}

/**
 * Step 2: checks every other field of the items, reads the `created` timestamps not read yet and
 * turns each item into an `Attachment` in place (`created` becomes a `Date`; the exact string is
 * remembered). Returns the page's items, the same objects.
 *
 * @throws {TolokaResponseError} When an item breaks the schema.
 */
export function completeListingPage(page: ListingPage): Attachment[] {
  const items = page.items;
  check(ItemFieldsSchema, items, LISTING, "items");
  readCreated(items);
  for (let index = 0; index < items.length; index++) {
    const item = items[index] as ListedItem;
    (item as unknown as Attachment).created = (createdOf(item) as { date: Date }).date;
  }
  return items as unknown as Attachment[];
}

/**
 * Checks the body of `GET /attachments` and turns it into a page. The body (fresh from
 * `JSON.parse`) is taken over: its items become the attachments.
 */
export function parseAttachmentPage(body: unknown): AttachmentPage {
  const page = readListingPage(body);
  return { items: completeListingPage(page), has_more: page.has_more };
}

/** Checks the body of `GET /attachments/{id}`; the body is taken over, as above. */
export function parseAttachment(body: unknown): Attachment {
  const what = "an attachment";
  check(AttachmentSchema, body, what, "");
  const item = body as ListedItem;
  readOneCreated(item, what, "");
  (item as unknown as Attachment).created = (createdOf(item) as { date: Date }).date;
  return item as unknown as Attachment;
}
