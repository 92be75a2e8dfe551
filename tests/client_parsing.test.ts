import assert from "node:assert/strict";
import { TolokaResponseError } from "../mod.ts";
import { rawCreatedOf } from "../src/raw_created.ts";
import { toWireAttachment } from "../src/wire.ts";
import { parseAttachment, parseAttachmentPage } from "../src/schema.ts";
import { clientFor, json, scripted, wire } from "./client_helpers.ts";

Deno.test("created with 0 to 6 fractional digits is read as UTC", () => {
  const cases: [string, string][] = [
    ["2016-05-25T16:14:27", "2016-05-25T16:14:27.000Z"],
    ["2016-05-25T16:14:27.748", "2016-05-25T16:14:27.748Z"],
    ["2016-05-25T16:14:27.74800", "2016-05-25T16:14:27.748Z"],
    ["2016-05-25T16:14:27.748123", "2016-05-25T16:14:27.748Z"],
    ["2016-05-25T16:14:27.1", "2016-05-25T16:14:27.100Z"],
  ];
  for (const [created, iso] of cases) {
    const attachment = parseAttachment({ id: "x", created });
    assert.ok(attachment.created instanceof Date);
    assert.equal(attachment.created.toISOString(), iso, created);
  }
});

Deno.test("created with an offset is converted to UTC", () => {
  const attachment = parseAttachment({ id: "x", created: "2016-05-25T19:14:27.748+03:00" });
  assert.equal(attachment.created.toISOString(), "2016-05-25T16:14:27.748Z");
  const zulu = parseAttachment({ id: "x", created: "2016-05-25T16:14:27Z" });
  assert.equal(zulu.created.toISOString(), "2016-05-25T16:14:27.000Z");
});

Deno.test("the exact created string is kept for each parsed attachment", () => {
  const { items } = parseAttachmentPage({
    items: [wire("a", "2020-01-01T00:00:00.345001"), wire("b", "2020-01-01T00:00:00")],
    has_more: false,
  });
  assert.equal(rawCreatedOf(items[0]!), "2020-01-01T00:00:00.345001");
  assert.equal(rawCreatedOf(items[1]!), "2020-01-01T00:00:00");
  assert.equal(
    JSON.stringify(toWireAttachment(items[0]!)),
    JSON.stringify(wire("a", "2020-01-01T00:00:00.345001")),
  );
  assert.equal(rawCreatedOf({ id: "c", created: new Date(0) }), undefined);
  assert.equal(
    toWireAttachment({ id: "c", created: new Date(0) }).created,
    "1970-01-01T00:00:00.000",
  );
});

Deno.test("an attachment without owner, company_id or details is fine", () => {
  const noOwner = parseAttachment({ id: "x", created: "2020-01-01T00:00:00", name: "a" });
  assert.deepEqual(noOwner, { id: "x", created: new Date("2020-01-01T00:00:00Z"), name: "a" });
  const noCompany = parseAttachment({
    id: "y",
    created: "2020-01-01T00:00:00",
    owner: { id: "o", myself: false },
  });
  assert.deepEqual(noCompany.owner, { id: "o", myself: false });
});

Deno.test("unknown fields are kept, at every level", () => {
  const attachment = parseAttachment({
    ...wire("x"),
    review: { status: "ACCEPTED", tags: ["a"] },
    details: { pool_id: "1", task_id: "t" },
    owner: { id: "o", role: "admin" },
    attachment_type: "NEW_KIND",
  });
  assert.deepEqual(attachment.review, { status: "ACCEPTED", tags: ["a"] });
  assert.deepEqual(attachment.details, { pool_id: "1", task_id: "t" });
  assert.deepEqual(attachment.owner, { id: "o", role: "admin" });
  assert.equal(attachment.attachment_type, "NEW_KIND");
});

Deno.test("the parsed attachment equals the wire object with created as a Date", () => {
  const body = wire("0983459b-e26f-42f3-a5fd-6e3feee913e7", "2016-05-25T16:14:27.748");
  assert.deepEqual(parseAttachment(structuredClone(body)), {
    ...body,
    created: new Date(Date.UTC(2016, 4, 25, 16, 14, 27, 748)),
  });
});

const wrongBodies: [string, unknown, string][] = [
  ["a number id", { items: [wire("a"), { ...wire("b"), id: 5 }], has_more: false }, "items[1].id"],
  ["a missing id", { items: [{ created: "2020-01-01T00:00:00" }], has_more: false }, "items[0].id"],
  ["a missing created", { items: [{ id: "a" }], has_more: false }, "items[0].created"],
  [
    "an unreadable created",
    { items: [wire("a", "yesterday")], has_more: false },
    "items[0].created",
  ],
  [
    "a numeric pool_id",
    { items: [{ ...wire("a"), details: { pool_id: 1 } }], has_more: false },
    "items[0].details.pool_id",
  ],
  [
    "a string myself",
    { items: [{ ...wire("a"), owner: { myself: "yes" } }], has_more: false },
    "items[0].owner.myself",
  ],
  ["a null owner", { items: [{ ...wire("a"), owner: null }], has_more: false }, "items[0].owner"],
  ["a string has_more", { items: [], has_more: "false" }, "has_more"],
  ["no items", { has_more: false }, "items"],
  ["items that are not an array", { items: {}, has_more: false }, "items"],
  ["a string body", "oops", "(body)"],
];

for (const [name, body, path] of wrongBodies) {
  Deno.test(`a page with ${name} is a TolokaResponseError naming ${path}`, async () => {
    const script = scripted(json(body));
    await assert.rejects(
      clientFor(script).findAttachments({ pool_id: "1" }),
      (error: unknown) => {
        assert.ok(error instanceof TolokaResponseError, String(error));
        assert.equal(error.path, path);
        assert.ok(error.message.includes(path), error.message);
        return true;
      },
    );
    assert.equal(script.requests.length, 1, "a schema error is not retried");
  });
}

Deno.test("getAttachment() with a wrong type is a TolokaResponseError naming the field", async () => {
  const script = scripted(json({ id: "x", created: "2020-01-01T00:00:00", name: ["a"] }));
  await assert.rejects(clientFor(script).getAttachment("x"), (error: unknown) => {
    assert.ok(error instanceof TolokaResponseError);
    assert.equal(error.path, "name");
    assert.match(error.message, /name must be string, received Array/);
    return true;
  });
});

Deno.test("a 2xx body that is not JSON is a TolokaResponseError after the retries", async () => {
  const script = scripted(() => new Response("<html>oops</html>", { status: 200 }));
  await assert.rejects(
    clientFor(script, { retries: 2 }).findAttachments({ pool_id: "1" }),
    (error: unknown) => {
      assert.ok(error instanceof TolokaResponseError, String(error));
      assert.match(error.message, /not valid JSON/);
      return true;
    },
  );
  assert.equal(script.requests.length, 3);
});

Deno.test("an array where an object belongs is a TolokaResponseError", async () => {
  for (
    const [body, path] of [
      [{ items: [{ ...wire("a"), details: [] }], has_more: false }, "items[0].details"],
      [{ items: [{ ...wire("a"), owner: ["o"] }], has_more: false }, "items[0].owner"],
      [{ items: [[]], has_more: false }, "items[0]"],
    ] as const
  ) {
    const error = await clientFor(scripted(json(body))).findAttachments({ pool_id: "1" })
      .catch((e) => e);
    assert.ok(error instanceof TolokaResponseError, String(error));
    assert.equal(error.path, path);
  }
});

Deno.test("the exact created string rides along unseen: not in JSON, keys, symbols, copies or equality", () => {
  const body = wire("0983459b-e26f-42f3-a5fd-6e3feee913e7", "2016-05-25T16:14:27.748123");
  const attachment = parseAttachment(structuredClone(body));
  assert.equal(rawCreatedOf(attachment), "2016-05-25T16:14:27.748123");
  assert.equal(toWireAttachment(attachment).created, "2016-05-25T16:14:27.748123");
  assert.deepEqual(Object.keys(attachment), Object.keys(body));
  assert.deepEqual(Object.getOwnPropertySymbols(attachment), []);
  assert.equal(JSON.stringify(attachment).includes("748123"), false);
  // Copies are plain objects: the string is not carried over, and equality ignores it.
  for (
    const copy of [{ ...attachment }, structuredClone(attachment), Object.assign({}, attachment)]
  ) {
    assert.equal(rawCreatedOf(copy), undefined);
    assert.deepStrictEqual(copy, attachment);
  }
});
