import assert from "node:assert/strict";
import { TolokaEmulator } from "@toloka-edge/attachments/testing";
import { apiUrl, fail, list } from "./emulator_helpers.ts";

const emulator = new TolokaEmulator({ pools: [30] });

/** The payload of a 400 for this query string, with the status and code checked. */
async function payloadOf(
  query: string,
): Promise<Record<string, { code: string; message: string }>> {
  const answer = await fail(emulator, apiUrl("attachments", query));
  assert.equal(answer.status, 400, query);
  assert.equal(answer.body.code, "VALIDATION_ERROR");
  assert.ok(answer.body.payload !== null);
  return answer.body.payload;
}

/** The payload's field codes only. */
async function codesOf(query: string): Promise<Record<string, string>> {
  const payload = await payloadOf(query);
  return Object.fromEntries(Object.entries(payload).map(([field, error]) => [field, error.code]));
}

Deno.test("a validation error has exactly request_id, code, message and payload", async () => {
  const answer = await fail(emulator, apiUrl("attachments", "pool_id=1&limit=0"));
  assert.equal(answer.status, 400);
  assert.equal(answer.contentType, "application/json");
  assert.deepEqual(Object.keys(answer.body), ["request_id", "code", "message", "payload"]);
  assert.equal(typeof answer.body.request_id, "string");
  assert.equal(typeof answer.body.message, "string");
  assert.deepEqual(Object.keys(answer.body.payload?.["limit"] ?? {}), ["code", "message"]);
});

Deno.test("every error carries a different request_id", async () => {
  const a = await fail(emulator, apiUrl("attachments", "pool_id=1&limit=0"));
  const b = await fail(emulator, apiUrl("attachments", "pool_id=1&limit=0"));
  assert.notEqual(a.body.request_id, b.body.request_id);
  assert.ok(a.body.request_id.length > 0);
});

Deno.test("neither pool_id nor assignment_id is VALUE_REQUIRED on both fields", async () => {
  assert.deepEqual(await codesOf(""), {
    pool_id: "VALUE_REQUIRED",
    assignment_id: "VALUE_REQUIRED",
  });
  assert.deepEqual(await codesOf("name=x&limit=5"), {
    pool_id: "VALUE_REQUIRED",
    assignment_id: "VALUE_REQUIRED",
  });
});

Deno.test("assignment_id alone satisfies the pool-or-assignment rule", async () => {
  assert.deepEqual(await list(emulator, { assignment_id: "none" }), { items: [], has_more: false });
});

Deno.test("limit that is not an integer is INVALID_FORMAT", async () => {
  for (const limit of ["abc", "1.5", "1e2", " 5", "0x10", "+5", "5abc"]) {
    assert.deepEqual(
      await codesOf(`pool_id=1&limit=${encodeURIComponent(limit)}`),
      { limit: "INVALID_FORMAT" },
      limit,
    );
  }
});

Deno.test("limit below 1 is VALUE_LESS_THAN_MIN", async () => {
  assert.deepEqual(await codesOf("pool_id=1&limit=0"), { limit: "VALUE_LESS_THAN_MIN" });
  assert.deepEqual(await codesOf("pool_id=1&limit=-1"), { limit: "VALUE_LESS_THAN_MIN" });
});

Deno.test("limit above 100 is VALUE_GREATER_THAN_MAX", async () => {
  assert.deepEqual(await codesOf("pool_id=1&limit=101"), { limit: "VALUE_GREATER_THAN_MAX" });
  assert.deepEqual(await codesOf("pool_id=1&limit=99999999999999999999"), {
    limit: "VALUE_GREATER_THAN_MAX",
  });
});

Deno.test("a limit message names the current value", async () => {
  const payload = await payloadOf("pool_id=1&limit=101");
  assert.match(payload["limit"]?.message ?? "", /101/);
});

Deno.test("created filters accept 0 to 6 fraction digits without offset", async () => {
  for (
    const value of ["2023-01-02T00:00:00", "2023-01-02T00:00:00.1", "2023-01-02T00:00:00.123456"]
  ) {
    for (const key of ["created_gt", "created_gte", "created_lt", "created_lte"]) {
      await list(emulator, { pool_id: "1", [key]: value });
    }
  }
});

Deno.test("created filters in any other format are INVALID_FORMAT", async () => {
  const bad = [
    "2023-01-02",
    "2023-01-02T00:00:00Z",
    "2023-01-02T00:00:00+00:00",
    "2023-01-02T00:00:00.1234567",
    "2023-01-02T00:00:00.",
    "2023-01-02 00:00:00",
    "2023-01-02T00:00",
    "2023-13-01T00:00:00",
    "2023-02-29T00:00:00",
    "2023-04-31T00:00:00",
    "2023-01-02T24:00:00",
    "2023-01-02T00:60:00",
    "2023-01-02T00:00:60",
    "1672617600",
    "yesterday",
  ];
  for (const value of bad) {
    for (const key of ["created_gt", "created_gte", "created_lt", "created_lte"]) {
      assert.deepEqual(
        await codesOf(`pool_id=1&${key}=${encodeURIComponent(value)}`),
        { [key]: "INVALID_FORMAT" },
        `${key}=${value}`,
      );
    }
  }
});

Deno.test("a leap day is a valid created filter", async () => {
  await list(emulator, { pool_id: "1", created_gt: "2024-02-29T23:59:59.999999" });
});

Deno.test("an unknown sort key is INVALID_FORMAT", async () => {
  for (
    const sort of ["name", "ID", "+id", "id,", ",id", "id,,created", "id created", "-", "id,id"]
  ) {
    assert.deepEqual(
      await codesOf(`pool_id=1&sort=${encodeURIComponent(sort)}`),
      { sort: "INVALID_FORMAT" },
      sort,
    );
  }
});

Deno.test("an unknown parameter is UNKNOWN_PARAMETER under its own name", async () => {
  assert.deepEqual(await codesOf("pool_id=1&page=2"), { page: "UNKNOWN_PARAMETER" });
  assert.deepEqual(await codesOf("pool_id=1&__proto__=x"), { ["__proto__"]: "UNKNOWN_PARAMETER" });
  assert.deepEqual(await codesOf("pool_id=1&Pool_id=1"), { Pool_id: "UNKNOWN_PARAMETER" });
});

Deno.test("a parameter given twice is an error on that field", async () => {
  assert.deepEqual(await codesOf("pool_id=1&pool_id=2"), { pool_id: "INVALID_FORMAT" });
  assert.deepEqual(await codesOf("pool_id=1&sort=id&sort=id"), { sort: "INVALID_FORMAT" });
  assert.deepEqual(await codesOf("pool_id=1&limit=5&limit=5"), { limit: "INVALID_FORMAT" });
});

Deno.test("an empty parameter is VALUE_REQUIRED on that field", async () => {
  assert.deepEqual(await codesOf("pool_id=1&name="), { name: "VALUE_REQUIRED" });
  assert.deepEqual(await codesOf("pool_id=1&sort="), { sort: "VALUE_REQUIRED" });
  assert.deepEqual(await codesOf("pool_id=1&limit="), { limit: "VALUE_REQUIRED" });
  assert.deepEqual(await codesOf("pool_id="), { pool_id: "VALUE_REQUIRED" });
});

Deno.test("every bad field is reported at once", async () => {
  assert.deepEqual(
    await codesOf("limit=abc&sort=size&created_gt=today&id_gt=&foo=1&name=a&name=b"),
    {
      limit: "INVALID_FORMAT",
      sort: "INVALID_FORMAT",
      created_gt: "INVALID_FORMAT",
      id_gt: "VALUE_REQUIRED",
      foo: "UNKNOWN_PARAMETER",
      name: "INVALID_FORMAT",
      pool_id: "VALUE_REQUIRED",
      assignment_id: "VALUE_REQUIRED",
    },
  );
});

Deno.test("'+' and percent escapes in the query are decoded before matching", async () => {
  const pool = new TolokaEmulator({
    attachments: [{
      id: "a",
      attachment_type: "ASSIGNMENT_ATTACHMENT",
      name: "my file+1.txt",
      details: { user_id: "u", assignment_id: "x", pool_id: "p 1" },
      created: "2024-01-01T00:00:00",
      media_type: "text/plain",
    }],
  });
  const page = await list(pool, "pool_id=p+1&name=my%20file%2B1.txt");
  assert.equal(page.items.length, 1);
});
