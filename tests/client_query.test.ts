import assert from "node:assert/strict";
import { ArgumentRangeError, ArgumentTypeError } from "../mod.ts";
import { buildListQuery, validateFilter } from "../src/query.ts";
import { formatTimestamp, parseTimestamp } from "../src/timestamps.ts";
import { clientFor, page, paramsOf, pathOf, scripted } from "./client_helpers.ts";

Deno.test("findAttachments() sends only the given params, with the API's names", async () => {
  const script = scripted(page([], false));
  const client = clientFor(script);
  await client.findAttachments({
    type: "ASSIGNMENT_ATTACHMENT",
    owner_id: "requester-1",
    owner_company_id: "company-1",
    name: "ExampleAttachment.txt",
    user_id: "user-1",
    pool_id: "21",
    created_gt: "2000-01-01T12:57:01",
  }, { sort: "id", limit: 50 });
  assert.equal(script.requests.length, 1);
  const [request] = script.requests;
  assert.equal(request?.method, "GET");
  assert.equal(pathOf(request!), "/api/v1/attachments");
  assert.deepEqual(paramsOf(request!), [
    ["pool_id", "21"],
    ["user_id", "user-1"],
    ["name", "ExampleAttachment.txt"],
    ["type", "ASSIGNMENT_ATTACHMENT"],
    ["owner_id", "requester-1"],
    ["owner_company_id", "company-1"],
    ["created_gt", "2000-01-01T12:57:01"],
    ["sort", "id"],
    ["limit", "50"],
  ]);
});

Deno.test("findAttachments() sends no sort and no limit when not given", async () => {
  const script = scripted(page([], false));
  await clientFor(script).findAttachments({ assignment_id: "a-1" });
  assert.deepEqual(paramsOf(script.requests[0]!), [["assignment_id", "a-1"]]);
});

Deno.test("findAttachments() sends several sort keys comma-joined in order", async () => {
  const script = scripted(page([], false));
  await clientFor(script).findAttachments({ pool_id: "1" }, { sort: ["-created", "-id"] });
  assert.deepEqual(paramsOf(script.requests[0]!), [["pool_id", "1"], ["sort", "-created,-id"]]);
});

Deno.test("findAttachments() sends every id range as given", async () => {
  const script = scripted(page([], false));
  await clientFor(script).findAttachments({
    pool_id: "1",
    id_gt: "a",
    id_gte: "b",
    id_lt: "y",
    id_lte: "z",
  });
  assert.deepEqual(paramsOf(script.requests[0]!), [
    ["pool_id", "1"],
    ["id_gt", "a"],
    ["id_gte", "b"],
    ["id_lt", "y"],
    ["id_lte", "z"],
  ]);
});

Deno.test("findAttachments() sends Date bounds as UTC without offset", async () => {
  const script = scripted(page([], false));
  await clientFor(script).findAttachments({
    pool_id: "1",
    created_gt: new Date("2024-03-01T10:20:30.5+03:00"),
    created_lte: new Date(Date.UTC(2024, 2, 1, 23, 59, 59, 999)),
  });
  assert.deepEqual(paramsOf(script.requests[0]!), [
    ["pool_id", "1"],
    ["created_gt", "2024-03-01T07:20:30.500"],
    ["created_lte", "2024-03-01T23:59:59.999"],
  ]);
});

Deno.test("findAttachments() passes string dates through, normalised to UTC without offset", async () => {
  const script = scripted(page([], false));
  await clientFor(script).findAttachments({
    pool_id: "1",
    created_gt: "2024-03-01T10:20:30.123456",
    created_gte: "2024-03-01",
    created_lt: "2024-03-01T10:20:30.123456+03:00",
    created_lte: "2024-03-01T10:20:30Z",
  });
  assert.deepEqual(paramsOf(script.requests[0]!), [
    ["pool_id", "1"],
    ["created_gt", "2024-03-01T10:20:30.123456"],
    ["created_gte", "2024-03-01T00:00:00"],
    ["created_lt", "2024-03-01T07:20:30.123456"],
    ["created_lte", "2024-03-01T10:20:30"],
  ]);
});

Deno.test("findAttachments() ignores filter fields set to undefined", async () => {
  const script = scripted(page([], false));
  await clientFor(script).findAttachments({ pool_id: "1", user_id: undefined } as never);
  assert.deepEqual(paramsOf(script.requests[0]!), [["pool_id", "1"]]);
});

Deno.test("findAttachments() returns the parsed page", async () => {
  const script = scripted(
    page([{ id: "x", created: "2024-01-01T00:00:00.5", name: "x.txt" }], true),
  );
  const result = await clientFor(script).findAttachments({ pool_id: "1" });
  assert.deepEqual(result, {
    items: [{ id: "x", created: new Date("2024-01-01T00:00:00.500Z"), name: "x.txt" }],
    has_more: true,
  });
});

Deno.test("getAttachment() requests /attachments/{id} with the id percent-encoded", async () => {
  const script = scripted(
    Response.json({ id: "fr.5867/be74 ?#", created: "2024-01-01T00:00:00" }),
  );
  const attachment = await clientFor(script).getAttachment("fr.5867/be74 ?#");
  assert.equal(
    new URL(script.requests[0]!.url).pathname,
    "/api/v1/attachments/fr.5867%2Fbe74%20%3F%23",
  );
  assert.equal(new URL(script.requests[0]!.url).search, "");
  assert.equal(attachment.id, "fr.5867/be74 ?#");
});

// ---- invalid input: thrown before any request ----

interface BadCall {
  name: string;
  /** The `field` the error names. */
  field: string;
  call: (client: ReturnType<typeof clientFor>) => unknown;
  error: typeof TypeError | typeof RangeError;
  message: RegExp;
}

const badCalls: BadCall[] = [
  {
    name: "no pool_id or assignment_id",
    field: "filter",
    call: (c) => c.findAttachments({ user_id: "u" }),
    error: TypeError,
    message: /"pool_id" or "assignment_id".*current value is \{"user_id":"u"\}/,
  },
  {
    name: "an empty filter",
    field: "filter",
    call: (c) => c.findAttachments({}),
    error: TypeError,
    message: /"pool_id" or "assignment_id".*current value is \{\}/,
  },
  {
    name: "a filter that is not an object",
    field: "filter",
    call: (c) => c.findAttachments("1" as never),
    error: TypeError,
    message: /filter must be an object: current value is "1"/,
  },
  {
    name: "an unknown filter key",
    field: "pool",
    call: (c) => c.findAttachments({ pool_id: "1", pool: "2" } as never),
    error: TypeError,
    message: /Filter field "pool" is not supported.*current value is "2"/,
  },
  {
    name: "an empty filter value",
    field: "pool_id",
    call: (c) => c.findAttachments({ pool_id: "" }),
    error: RangeError,
    message: /"pool_id" must be a non-empty string: current value is ""/,
  },
  {
    name: "a filter value with a lone surrogate (a URL would carry U+FFFD instead)",
    field: "id_gt",
    call: (c) => c.findAttachments({ pool_id: "1", id_gt: "b\ud800" }),
    error: RangeError,
    message:
      /"id_gt" must be a well-formed string \(no lone UTF-16 surrogate\): current value is "b\\ud800"/,
  },
  {
    name: "a non-string id value",
    field: "pool_id",
    call: (c) => c.findAttachments({ pool_id: 1 } as never),
    error: TypeError,
    message: /"pool_id" must be a string: current value is 1/,
  },
  {
    name: "a null filter value",
    field: "id_gt",
    call: (c) => c.findAttachments({ pool_id: "1", id_gt: null } as never),
    error: TypeError,
    message: /"id_gt" must be a string: current value is null/,
  },
  {
    name: "an invalid Date",
    field: "created_gt",
    call: (c) => c.findAttachments({ pool_id: "1", created_gt: new Date("nope") }),
    error: RangeError,
    message: /"created_gt" must be a valid date.*current value is Invalid Date/,
  },
  {
    name: "an invalid date string",
    field: "created_lt",
    call: (c) => c.findAttachments({ pool_id: "1", created_lt: "2024-02-30T00:00:00" }),
    error: RangeError,
    message: /"created_lt" must be a valid date.*current value is "2024-02-30T00:00:00"/,
  },
  {
    name: "a date string that is not a date",
    field: "created_gte",
    call: (c) => c.findAttachments({ pool_id: "1", created_gte: "yesterday" }),
    error: RangeError,
    message: /"created_gte" must be a valid date.*current value is "yesterday"/,
  },
  {
    name: "a date with more than 6 fractional digits",
    field: "created_gte",
    call: (c) => c.findAttachments({ pool_id: "1", created_gte: "2024-01-01T00:00:00.1234567" }),
    error: RangeError,
    message: /"created_gte" must be a date with at most 6 fractional digits/,
  },
  {
    name: "a number as a date",
    field: "created_lte",
    call: (c) => c.findAttachments({ pool_id: "1", created_lte: 1700000000000 } as never),
    error: TypeError,
    message: /"created_lte" must be a Date or a string: current value is 1700000000000/,
  },
  {
    name: "a bad sort key",
    field: "sort",
    call: (c) => c.findAttachments({ pool_id: "1" }, { sort: "name" as never }),
    error: RangeError,
    message: /"sort" must be one of "id", "-id", "created", "-created": current value is "name"/,
  },
  {
    name: "a bad sort key in an array",
    field: "sort",
    call: (c) => c.findAttachments({ pool_id: "1" }, { sort: ["created", "+id"] as never }),
    error: RangeError,
    message: /"sort\[1\]" must be one of .*current value is "\+id"/,
  },
  {
    name: "an empty sort array",
    field: "sort",
    call: (c) => c.findAttachments({ pool_id: "1" }, { sort: [] }),
    error: RangeError,
    message: /"sort" must be .*current value is \[\]/,
  },
  {
    name: "a sort naming a field twice",
    field: "sort",
    call: (c) => c.findAttachments({ pool_id: "1" }, { sort: ["id", "-id"] }),
    error: RangeError,
    message: /"sort" must be an array naming each field once/,
  },
  {
    name: "limit 0",
    field: "limit",
    call: (c) => c.findAttachments({ pool_id: "1" }, { limit: 0 }),
    error: RangeError,
    message: /"limit" must be an integer from 1 to 100: current value is 0/,
  },
  {
    name: "limit 101",
    field: "limit",
    call: (c) => c.findAttachments({ pool_id: "1" }, { limit: 101 }),
    error: RangeError,
    message: /"limit" must be an integer from 1 to 100: current value is 101/,
  },
  {
    name: "a fractional limit",
    field: "limit",
    call: (c) => c.findAttachments({ pool_id: "1" }, { limit: 2.5 }),
    error: RangeError,
    message: /"limit" must be an integer from 1 to 100: current value is 2.5/,
  },
  {
    name: "a string limit",
    field: "limit",
    call: (c) => c.findAttachments({ pool_id: "1" }, { limit: "10" as never }),
    error: TypeError,
    message: /"limit" must be a number: current value is "10"/,
  },
  {
    name: "a signal that is not an AbortSignal",
    field: "signal",
    call: (c) => c.findAttachments({ pool_id: "1" }, { signal: "stop" as never }),
    error: TypeError,
    message: /"signal" must be an AbortSignal: current value is "stop"/,
  },
  {
    name: "batchSize 0",
    field: "batchSize",
    call: (c) => c.getAttachments({ pool_id: "1" }, { batchSize: 0 }),
    error: RangeError,
    message: /"batchSize" must be an integer from 1 to 100: current value is 0/,
  },
  {
    name: "batchSize 101",
    field: "batchSize",
    call: (c) => c.getAttachmentPages({ pool_id: "1" }, { batchSize: 101 }),
    error: RangeError,
    message: /"batchSize" must be an integer from 1 to 100: current value is 101/,
  },
  {
    name: "a NaN batchSize",
    field: "batchSize",
    call: (c) => c.getAttachments({ pool_id: "1" }, { batchSize: NaN }),
    error: RangeError,
    message: /"batchSize" must be an integer from 1 to 100: current value is NaN/,
  },
  {
    name: "a bad order",
    field: "order",
    call: (c) => c.getAttachments({ pool_id: "1" }, { order: "name" as never }),
    error: RangeError,
    message: /"order" must be one of "id", "-id", "created", "-created": current value is "name"/,
  },
  {
    name: "a non-boolean prefetch",
    field: "prefetch",
    call: (c) => c.getAttachments({ pool_id: "1" }, { prefetch: "yes" as never }),
    error: TypeError,
    message: /"prefetch" must be a boolean: current value is "yes"/,
  },
  {
    name: "a malformed cursor",
    field: "cursor",
    call: (c) => c.getAttachments({ pool_id: "1" }, { cursor: "!" }),
    error: RangeError,
    message: /^Option "cursor" is not a valid cursor \(unreadable\)$/,
  },
  {
    name: "a cursor with concurrency above 1",
    field: "cursor",
    call: (c) =>
      c.getAttachmentPages({ pool_id: "1" }, { cursor: "WyJpZCIsImkiLCJhIl0", concurrency: 2 }),
    error: RangeError,
    message: /"cursor" cannot be combined with "concurrency" above 1/,
  },
  {
    name: "prefetch false with concurrency above 1",
    field: "prefetch",
    call: (c) => c.getAttachments({ pool_id: "1" }, { prefetch: false, concurrency: 2 }),
    error: RangeError,
    message: /"prefetch" cannot be false when "concurrency" is above 1/,
  },
  {
    name: "concurrency 17",
    field: "concurrency",
    call: (c) => c.getAttachments({ pool_id: "1" }, { concurrency: 17 }),
    error: RangeError,
    message: /"concurrency" must be an integer from 1 to 16: current value is 17/,
  },
  {
    name: "an iteration without pool_id or assignment_id",
    field: "filter",
    call: (c) => c.getAttachments({ name: "x" }),
    error: TypeError,
    message: /"pool_id" or "assignment_id"/,
  },
  {
    name: "an empty id",
    field: "id",
    call: (c) => c.getAttachment(""),
    error: RangeError,
    message: /"id" must be a non-empty string .*current value is ""/,
  },
  {
    name: "the id ..",
    field: "id",
    call: (c) => c.downloadAttachment(".."),
    error: RangeError,
    message: /"id" must be .*current value is "\.\."/,
  },
  {
    name: "a non-string id",
    field: "id",
    call: (c) => c.getAttachment(42 as never),
    error: TypeError,
    message: /"id" must be a string: current value is 42/,
  },
  {
    name: "an empty download id",
    field: "id",
    call: (c) => c.downloadAttachment(""),
    error: RangeError,
    message: /"id" must be a non-empty string .*current value is ""/,
  },
];

for (const bad of badCalls) {
  Deno.test(`invalid input is rejected before any request: ${bad.name}`, async () => {
    const script = scripted();
    const client = clientFor(script);
    await assert.rejects(
      async () => {
        const result = bad.call(client);
        if (result instanceof Promise) await result;
      },
      (error: unknown) => {
        assert.ok(error instanceof bad.error, `expected ${bad.error.name}, got ${error}`);
        assert.ok(
          error instanceof (bad.error === TypeError ? ArgumentTypeError : ArgumentRangeError),
        );
        assert.equal(error.field, bad.field);
        assert.match(error.message, bad.message);
        return true;
      },
    );
    assert.equal(script.requests.length, 0);
  });
}

Deno.test("getAttachments() throws on invalid input at the call, before iterating", () => {
  const client = clientFor(scripted());
  assert.throws(() => client.getAttachments({ pool_id: "1" }, { batchSize: 0 }), RangeError);
  assert.throws(() => client.getAttachmentPages({} as never), TypeError);
});

// ---- the pure parts ----

Deno.test("validateFilter() keeps strings and normalises dates", () => {
  assert.deepEqual(
    validateFilter({ pool_id: "1", created_gte: new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6)) }),
    { pool_id: "1", created_gte: "2020-01-02T03:04:05.006" },
  );
});

Deno.test("buildListQuery() writes fields in a fixed order, then sort and limit", () => {
  const query = buildListQuery({ created_lt: "2020-01-01T00:00:00", pool_id: "1", id_gt: "x" }, {
    sort: "created,id",
    limit: 7,
  });
  assert.equal(
    query.toString(),
    "pool_id=1&id_gt=x&created_lt=2020-01-01T00%3A00%3A00&sort=created%2Cid&limit=7",
  );
});

Deno.test("parseTimestamp() reads 0 to 6 fractional digits as UTC", () => {
  for (
    const [text, iso] of [
      ["2016-05-25T16:14:27", "2016-05-25T16:14:27.000Z"],
      ["2016-05-25T16:14:27.7", "2016-05-25T16:14:27.700Z"],
      ["2016-05-25T16:14:27.748", "2016-05-25T16:14:27.748Z"],
      ["2016-05-25T16:14:27.74812", "2016-05-25T16:14:27.748Z"],
      ["2016-05-25T16:14:27.748999", "2016-05-25T16:14:27.748Z"],
    ]
  ) {
    assert.equal(parseTimestamp(text!)?.date.toISOString(), iso, text);
    assert.equal(parseTimestamp(text!)?.utc, text);
  }
});

Deno.test("parseTimestamp() keys compare at full precision", () => {
  const key = (text: string): string => parseTimestamp(text)!.key;
  assert.equal(key("2020-01-01T00:00:00"), key("2020-01-01T00:00:00.000000"));
  assert.equal(key("2020-01-01T00:00:00.5"), key("2020-01-01T00:00:00.500"));
  assert.ok(key("2020-01-01T00:00:00.345") < key("2020-01-01T00:00:00.345001"));
  assert.ok(key("2020-01-01T00:00:00.344999") < key("2020-01-01T00:00:00.345"));
  assert.equal(key("2020-01-01T03:00:00.000001+03:00"), key("2020-01-01T00:00:00.000001"));
});

Deno.test("parseTimestamp() applies an offset and rejects impossible dates", () => {
  assert.equal(
    parseTimestamp("2020-01-01T01:30:00.25+01:30")?.date.toISOString(),
    "2020-01-01T00:00:00.250Z",
  );
  assert.equal(parseTimestamp("2020-01-01T01:30:00.25+01:30")?.utc, "2020-01-01T00:00:00.25");
  assert.equal(parseTimestamp("2019-12-31T23:00:00-01:00")?.utc, "2020-01-01T00:00:00");
  assert.equal(parseTimestamp("2020-02-29T00:00:00")?.utc, "2020-02-29T00:00:00");
  for (
    const bad of [
      "2019-02-29T00:00:00",
      "2020-13-01T00:00:00",
      "2020-01-01T24:00:00",
      "2020-01-01T00:60:00",
      "2020-01-01",
      "2020-01-01T00:00",
      "0000-01-01T00:00:00+01:00",
      "",
    ]
  ) {
    assert.equal(parseTimestamp(bad), undefined, bad);
  }
  assert.equal(parseTimestamp("0099-03-01T00:00:00")?.date.getUTCFullYear(), 99);
});

Deno.test("formatTimestamp() writes UTC milliseconds without offset", () => {
  assert.equal(formatTimestamp(new Date("2024-05-06T07:08:09.010Z")), "2024-05-06T07:08:09.010");
  assert.equal(formatTimestamp(new Date(NaN)), undefined);
  assert.equal(formatTimestamp(new Date("+010000-01-01T00:00:00Z")), undefined);
});
