import assert from "node:assert/strict";
import {
  type AttachmentFilter,
  FILTER_FIELDS,
  type FilterField,
  type Order,
  ORDERS,
  parseExportQuery,
  parseListQuery,
  type QueryIssue,
  type QueryResult,
  type SortKey,
} from "../mod.ts";

/** `true` only when two types are the same (checked by `deno check`). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

Deno.test("FILTER_FIELDS and ORDERS are the filter's fields and the orders, once each", () => {
  const fields: Same<FilterField, keyof AttachmentFilter> = true;
  const orders: Same<Order, SortKey> = true;
  assert.ok(fields && orders);
  assert.equal(new Set(FILTER_FIELDS).size, FILTER_FIELDS.length);
  assert.deepEqual([...ORDERS], ["id", "-id", "created", "-created"]);
});

function issuesOf<T>(result: QueryResult<T>): QueryIssue[] {
  assert.ok(!result.ok, "expected issues");
  return [...result.issues];
}

const list = (query: string): QueryResult<unknown> => parseListQuery(new URLSearchParams(query));
const exported = (query: string): QueryResult<unknown> =>
  parseExportQuery(new URLSearchParams(query));

Deno.test("parseListQuery() reads the filters, sort and limit, dates as the API reads them", () => {
  assert.deepEqual(
    list(
      "assignment_id=a1&user_id=u&created_gte=2024-01-02&created_lt=2024-01-02T05:00:00%2B03:00&sort=-created,-id&limit=7",
    ),
    {
      ok: true,
      filter: {
        assignment_id: "a1",
        user_id: "u",
        created_gte: "2024-01-02T00:00:00",
        created_lt: "2024-01-02T02:00:00",
      },
      options: { sort: ["-created", "-id"], limit: 7 },
    },
  );
  assert.deepEqual(list("pool_id=1"), { ok: true, filter: { pool_id: "1" }, options: {} });
});

Deno.test("parseListQuery() names an unknown, repeated, empty or too long parameter", () => {
  assert.deepEqual(
    issuesOf(list(`pool_id=1&colour=red&user_id=a&user_id=b&name=&type=${"x".repeat(1025)}`)),
    [
      { field: "colour", code: "UNKNOWN_PARAMETER", message: "Unknown parameter" },
      { field: "user_id", code: "INVALID_FORMAT", message: "The parameter must be given once" },
      { field: "name", code: "VALUE_REQUIRED", message: "The parameter must not be empty" },
      {
        field: "type",
        code: "INVALID_FORMAT",
        message: "The value is longer than 1024 characters",
      },
    ],
  );
});

Deno.test("parseListQuery() drops a parameter given three times, with one issue", () => {
  assert.deepEqual(issuesOf(list("pool_id=1&sort=id&sort=id&sort=-id")), [
    { field: "sort", code: "INVALID_FORMAT", message: "The parameter must be given once" },
  ]);
});

Deno.test("parseListQuery() requires pool_id or assignment_id, unless one has its own issue", () => {
  assert.deepEqual(issuesOf(list("user_id=u")), [
    {
      field: "pool_id",
      code: "VALUE_REQUIRED",
      message: "Either pool_id or assignment_id is required",
    },
  ]);
  assert.deepEqual(issuesOf(list("assignment_id=")), [
    {
      field: "assignment_id",
      code: "VALUE_REQUIRED",
      message: "The parameter must not be empty",
    },
  ]);
});

Deno.test("parseListQuery() reports __proto__ like any unknown name, and cuts long names", () => {
  const long = "p".repeat(100);
  assert.deepEqual(issuesOf(list(`pool_id=1&__proto__=x&${long}=1`)), [
    { field: "__proto__", code: "UNKNOWN_PARAMETER", message: "Unknown parameter" },
    { field: `${"p".repeat(64)}…`, code: "UNKNOWN_PARAMETER", message: "Unknown parameter" },
  ]);
});

Deno.test("parseListQuery() checks limit and sort with the client's messages", () => {
  assert.deepEqual(issuesOf(list("pool_id=1&limit=abc&sort=name")), [
    {
      field: "sort",
      code: "INVALID_FORMAT",
      message:
        'Option "sort[0]" must be one of "id", "-id", "created", "-created": current value is "name"',
    },
    {
      field: "limit",
      code: "INVALID_FORMAT",
      message: 'Option "limit" must be an integer from 1 to 100: current value is "abc"',
    },
  ]);
  assert.deepEqual(issuesOf(list("pool_id=1&limit=101")), [
    {
      field: "limit",
      code: "INVALID_FORMAT",
      message: 'Option "limit" must be an integer from 1 to 100: current value is 101',
    },
  ]);
  assert.equal(
    issuesOf(list(`pool_id=1&limit=${"9".repeat(50)}`))[0]?.message,
    `Option "limit" must be an integer from 1 to 100: current value is "${"9".repeat(40)}…"`,
  );
  assert.equal(
    issuesOf(list("pool_id=1&sort=id,-id"))[0]?.message,
    'Option "sort" must be an array naming each field once: current value is ["id","-id"]',
  );
});

Deno.test("parseListQuery() names a bad date with the client's message", () => {
  assert.deepEqual(issuesOf(list("pool_id=1&created_gt=yesterday")), [
    {
      field: "created_gt",
      code: "INVALID_FORMAT",
      message:
        'Filter field "created_gt" must be a valid date such as 2016-05-25T16:14:27.748 (UTC unless an offset is given): current value is "yesterday"',
    },
  ]);
});

Deno.test("parseExportQuery() reads sort as the order, with the two-key aliases", () => {
  assert.deepEqual(exported("pool_id=1"), { ok: true, filter: { pool_id: "1" }, order: "id" });
  for (
    const [sort, order] of [
      ["-id", "-id"],
      ["created", "created"],
      ["created,id", "created"],
      ["-created,-id", "-created"],
    ]
  ) {
    assert.deepEqual(exported(`pool_id=1&sort=${sort}`), {
      ok: true,
      filter: { pool_id: "1" },
      order,
    });
  }
  assert.deepEqual(issuesOf(exported("pool_id=1&sort=created,-id")), [
    {
      field: "sort",
      code: "INVALID_FORMAT",
      message:
        'Option "order" must be one of "id", "-id", "created", "-created": current value is "created,-id"',
    },
  ]);
});

Deno.test("parseExportQuery() passes the cursor on and takes no limit", () => {
  assert.deepEqual(exported("pool_id=1&cursor=abc.def"), {
    ok: true,
    filter: { pool_id: "1" },
    order: "id",
    cursor: "abc.def",
  });
  assert.deepEqual(issuesOf(exported("pool_id=1&limit=5")), [
    { field: "limit", code: "UNKNOWN_PARAMETER", message: "Unknown parameter" },
  ]);
});
