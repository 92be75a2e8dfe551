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
 * then everything else while it is on its way. Each check asserts the body's type: the schemas'
 * inferred outputs ({@linkcode ListedItem}, {@linkcode WireItem}), which the checked body itself
 * has, as no schema here transforms anything. valibot's output copies are not kept: they hold the
 * known fields only, known fields first, where an attachment keeps every field in the order the
 * API wrote it.
 *
 * @module
 */

import * as v from "valibot";
import { TolokaResponseError } from "./errors.ts";
import { isPlainObject } from "./plain_object.ts";
import { createdOf, rememberCreated } from "./raw_created.ts";
import { parseTimestamp, type Timestamp } from "./timestamps.ts";
import type { Attachment, AttachmentPage } from "./types.ts";

// `exactOptional`: a field is absent or of its type (JSON has no `undefined`), which is what the
// public interfaces say under `exactOptionalPropertyTypes`.
const optionalString = v.exactOptional(v.string());

type JsonObjectSchema<TEntries extends v.ObjectEntries> = v.SchemaWithPipe<
  readonly [
    v.CustomSchema<Record<string, unknown>, v.ErrorMessage<v.CustomIssue> | undefined>,
    v.ObjectSchema<TEntries, undefined>,
  ]
>;

function notAnObject(issue: v.CustomIssue): string {
  return `must be Object, received ${issue.received}`;
}

/**
 * A JSON object with these entries, and any others: they stay on the input, which is what an
 * attachment is made from (valibot's object schemas let arrays in, hence the first check).
 */
function jsonObject<const TEntries extends v.ObjectEntries>(
  entries: TEntries,
): JsonObjectSchema<TEntries> {
  return v.pipe(v.custom<Record<string, unknown>>(isPlainObject, notAnObject), v.object(entries));
}

const OwnerSchema = jsonObject({
  id: optionalString,
  myself: v.exactOptional(v.boolean()),
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
  details: v.exactOptional(DetailsSchema),
  owner: v.exactOptional(OwnerSchema),
  media_type: optionalString,
};

const ListedItemSchema = jsonObject(PAGING_ENTRIES);

const AttachmentSchema = jsonObject({ ...PAGING_ENTRIES, ...OTHER_ENTRIES });

/** Step 1 of a listing page: its shape and what paging needs of each item. */
const ListingSchema = jsonObject({
  items: v.array(ListedItemSchema),
  has_more: v.boolean(),
});

/** Step 2: the other fields of each item (step 1 made sure every item is a JSON object). */
const ItemFieldsSchema = v.array(v.object(OTHER_ENTRIES));

/** What the next request of an order by `id` is built from: `has_more` and an array of items. */
const MoreSchema = v.object({ has_more: v.boolean(), items: v.custom<unknown[]>(Array.isArray) });
const LastItemSchema = v.object({ id: v.pipe(v.string(), v.nonEmpty()) });

/**
 * An item of a listing page after step 1: a JSON object with an `id` and a `created` string
 * (its timestamp is read by {@linkcode readCreated}); its other fields not yet checked.
 */
export type ListedItem = v.InferOutput<typeof ListedItemSchema>;

/** An item as the API sends it, every field checked: an attachment with `created` a string. */
export type WireItem = v.InferOutput<typeof AttachmentSchema>;

/** A listing page after step 1 ({@linkcode readListingPage}). */
export type Listing = v.InferOutput<typeof ListingSchema>;

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

/**
 * Runs a schema; throws the first issue as a {@linkcode TolokaResponseError}. After it, the body
 * has the schema's output type (no schema here transforms, so the output is a copy of the input's
 * checked part).
 */
function check<const TSchema extends v.GenericSchema>(
  schema: TSchema,
  body: unknown,
  what: string,
  prefix: string,
): asserts body is v.InferOutput<TSchema> {
  const result = v.safeParse(schema, body, { abortEarly: true });
  if (!result.success) throw schemaError(what, result.issues[0], prefix);
}

const LISTING = "a listing page";

/**
 * The `created` timestamp of an item, parsed at full precision (paging compares these), or the
 * one {@linkcode readCreated} remembered.
 *
 * @throws {TolokaResponseError} When it is not a timestamp, naming `<prefix>.created`.
 */
function timestampOf(item: ListedItem, what: string, prefix: string): Timestamp {
  const known = createdOf(item);
  if (known !== undefined) return known;
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
  return timestamp;
}

/**
 * Parses and remembers the `created` timestamp of each item (those already read are skipped), as
 * `createdOf` returns it: paging compares these at full precision.
 *
 * @throws {TolokaResponseError} When a `created` is not a timestamp, naming `items[i].created`.
 */
export function readCreated(items: readonly ListedItem[]): void {
  items.forEach((item, index) => {
    if (createdOf(item) === undefined) {
      rememberCreated(item, timestampOf(item, LISTING, `items[${index}]`));
    }
  });
}

/**
 * Step 1 of checking the body of `GET /attachments`: its shape, `has_more`, and each item's `id`
 * and `created` strings.
 *
 * @throws {TolokaResponseError} When the body breaks this part of the schema.
 */
export function readListingPage(body: unknown): Listing {
  check(ListingSchema, body, LISTING, "");
  return body;
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
 * The attachment an item becomes: the item itself (a fresh object of this response's
 * `JSON.parse`, so its fields keep the order the API wrote them in), its `created` now a `Date`,
 * and the exact timestamp remembered for paging and for writing it back. In place rather than a
 * copy: a copy of every item, and a second remembered timestamp for it, cost a page of 100 about
 * 150 µs more, most of it in garbage collection (measured with `bench/validation.ts`).
 */
function toAttachment(item: WireItem, created: Timestamp): Attachment {
  if (createdOf(item) !== created) rememberCreated(item, created);
  return Object.assign(item, { created: created.date });
}

/**
 * Step 2's check: every other field of every item. Step 1 checked `id` and `created`, so after
 * this the items have every field's type.
 */
function checkItemFields(items: readonly ListedItem[]): asserts items is readonly WireItem[] {
  check(ItemFieldsSchema, items, LISTING, "items");
}

/**
 * Step 2: checks every other field of the items, then reads the `created` timestamps not read
 * yet, and returns the items as attachments, in order.
 *
 * @throws {TolokaResponseError} When an item breaks the schema.
 */
export function completeListingPage(items: readonly ListedItem[]): Attachment[] {
  checkItemFields(items);
  return items.map((item, index) =>
    toAttachment(item, timestampOf(item, LISTING, `items[${index}]`))
  );
}

/** Checks the body of `GET /attachments` and turns it into a page. */
export function parseAttachmentPage(body: unknown): AttachmentPage {
  const page = readListingPage(body);
  return { items: completeListingPage(page.items), has_more: page.has_more };
}

/** Checks the body of `GET /attachments/{id}` and turns it into an attachment. */
export function parseAttachment(body: unknown): Attachment {
  const what = "an attachment";
  check(AttachmentSchema, body, what, "");
  return toAttachment(body, timestampOf(body, what, ""));
}
