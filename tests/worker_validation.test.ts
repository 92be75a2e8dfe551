/**
 * Invalid input is `400 VALIDATION_ERROR` with a payload naming each bad field, answered before
 * any upstream request.
 */

import assert from "node:assert/strict";
import { assertError, edgeSuite } from "./edge_harness.ts";

/** [what, path, payload field, payload code]. */
type Case = [string, string, string, string];

const LIST = "/api/v1/attachments";
const NDJSON = "/api/v1/attachments.ndjson";
const CSV = "/api/v1/attachments.csv";

const CASES: Case[] = [
  ["an unknown parameter", `${LIST}?pool_id=1&pool=1`, "pool", "UNKNOWN_PARAMETER"],
  ["a repeated parameter", `${LIST}?pool_id=1&pool_id=2`, "pool_id", "INVALID_FORMAT"],
  ["a repeated limit", `${LIST}?pool_id=1&limit=5&limit=5`, "limit", "INVALID_FORMAT"],
  ["an empty value", `${LIST}?pool_id=1&user_id=`, "user_id", "VALUE_REQUIRED"],
  ["an empty pool_id", `${LIST}?pool_id=`, "pool_id", "VALUE_REQUIRED"],
  [
    "a value over 1024 characters",
    `${LIST}?pool_id=1&name=${"n".repeat(1025)}`,
    "name",
    "INVALID_FORMAT",
  ],
  ["limit=0", `${LIST}?pool_id=1&limit=0`, "limit", "INVALID_FORMAT"],
  ["limit=101", `${LIST}?pool_id=1&limit=101`, "limit", "INVALID_FORMAT"],
  ["limit=abc", `${LIST}?pool_id=1&limit=abc`, "limit", "INVALID_FORMAT"],
  ["limit=-1", `${LIST}?pool_id=1&limit=-1`, "limit", "INVALID_FORMAT"],
  ["limit=1.5", `${LIST}?pool_id=1&limit=1.5`, "limit", "INVALID_FORMAT"],
  ["an unknown sort key", `${LIST}?pool_id=1&sort=name`, "sort", "INVALID_FORMAT"],
  ["a sort naming a field twice", `${LIST}?pool_id=1&sort=id,-id`, "sort", "INVALID_FORMAT"],
  [
    "a created date that is no date",
    `${LIST}?pool_id=1&created_gt=yesterday`,
    "created_gt",
    "INVALID_FORMAT",
  ],
  [
    "February 30",
    `${LIST}?pool_id=1&created_lte=2024-02-30T00:00:00`,
    "created_lte",
    "INVALID_FORMAT",
  ],
  [
    "7 fraction digits",
    `${LIST}?pool_id=1&created_gte=2024-01-01T00:00:00.1234567`,
    "created_gte",
    "INVALID_FORMAT",
  ],
  ["neither pool nor assignment", `${LIST}?name=x.png`, "pool_id", "VALUE_REQUIRED"],
  ["no parameter at all", LIST, "pool_id", "VALUE_REQUIRED"],
  ["limit on an NDJSON export", `${NDJSON}?pool_id=1&limit=10`, "limit", "UNKNOWN_PARAMETER"],
  ["limit on a CSV export", `${CSV}?pool_id=1&limit=10`, "limit", "UNKNOWN_PARAMETER"],
  [
    "an export sort of two orders",
    `${NDJSON}?pool_id=1&sort=-created,id`,
    "sort",
    "INVALID_FORMAT",
  ],
  ["an export sort key", `${CSV}?pool_id=1&sort=name`, "sort", "INVALID_FORMAT"],
  ["an export without pool or assignment", `${CSV}?user_id=u`, "pool_id", "VALUE_REQUIRED"],
  [
    "an export with a bad date",
    `${NDJSON}?pool_id=1&created_lt=2024-13-01`,
    "created_lt",
    "INVALID_FORMAT",
  ],
  ["an id with a control character", "/api/v1/attachments/a%00b", "id", "INVALID_FORMAT"],
  ["an id with a slash", "/api/v1/attachments/a%2Fb/download", "id", "INVALID_FORMAT"],
  ["an id of 201 characters", `/api/v1/attachments/${"i".repeat(201)}`, "id", "INVALID_FORMAT"],
  ["a malformed percent escape", "/api/v1/attachments/%E0%A4%A", "id", "INVALID_FORMAT"],
  [
    "a parameter on an attachment by id",
    "/api/v1/attachments/some-id?pool_id=1",
    "pool_id",
    "UNKNOWN_PARAMETER",
  ],
  [
    "a parameter on a download",
    "/api/v1/attachments/some-id/download?inline=1",
    "inline",
    "UNKNOWN_PARAMETER",
  ],
  [
    "a parameter named __proto__ on a download",
    "/api/v1/attachments/some-id/download?__proto__=1",
    "__proto__",
    "UNKNOWN_PARAMETER",
  ],
  [
    "an empty parameter on an attachment by id",
    "/api/v1/attachments/x?foo",
    "foo",
    "UNKNOWN_PARAMETER",
  ],
];

edgeSuite("Worker: validation", { emulator: { pools: [40, 10] } }, async (t, edge) => {
  const { key } = await edge.issue({ pools: null });
  const scoped = await edge.issue({ pools: ["1"] });

  for (const [what, path, field, code] of CASES) {
    await t.step(
      `${what} is 400 VALIDATION_ERROR on "${field}", nothing sent upstream`,
      async () => {
        edge.emulator.clearRequests();
        const body = assertError(await edge.request(path, { key }), 400, "VALIDATION_ERROR");
        assert.equal(body.message, field === "id" ? "Invalid attachment id" : "Validation failed");
        if (code === "UNKNOWN_PARAMETER") {
          // The listing's exact entry, on every route.
          assert.deepEqual(body.payload?.[field], {
            code: "UNKNOWN_PARAMETER",
            message: "Unknown parameter",
          });
        }
        assert.deepEqual(Object.keys(body.payload ?? {}), [field]);
        assert.equal(body.payload?.[field]?.code, code);
        assert.equal(typeof body.payload?.[field]?.message, "string");
        assert.deepEqual(edge.emulator.requests, []);
      },
    );
  }

  await t.step(
    "every parameter on an attachment route is named at once, as the listing does",
    async () => {
      const item = edge.emulator.attachments[0]!;
      for (const suffix of ["", "/download"]) {
        edge.emulator.clearRequests();
        const answer = await edge.request(`/api/v1/attachments/${item.id}${suffix}?a=1&b=2&a=3`, {
          key,
        });
        const body = assertError(answer, 400, "VALIDATION_ERROR");
        assert.deepEqual(Object.keys(body.payload ?? {}).sort(), ["a", "b"]);
        assert.deepEqual(edge.emulator.requests, []);
        // A bare "?" is no parameter.
        assert.equal(
          (await edge.request(`/api/v1/attachments/${item.id}${suffix}?`, { key })).status,
          200,
        );
      }
    },
  );

  await t.step("every bad field is named at once", async () => {
    edge.emulator.clearRequests();
    const answer = await edge.request(`${LIST}?pool_id=1&limit=0&sort=x&foo=1&created_gt=no`, {
      key,
    });
    const body = assertError(answer, 400, "VALIDATION_ERROR");
    assert.deepEqual(Object.keys(body.payload ?? {}).sort(), [
      "created_gt",
      "foo",
      "limit",
      "sort",
    ]);
    assert.deepEqual(edge.emulator.requests, []);
  });

  await t.step("the payload names the field and its value in the message", async () => {
    const body = assertError(
      await edge.request(`${LIST}?pool_id=1&limit=101`, { key }),
      400,
      "VALIDATION_ERROR",
    );
    assert.match(body.payload!.limit!.message, /limit.*1 to 100.*101/);
    const abc = assertError(
      await edge.request(`${LIST}?pool_id=1&limit=abc`, { key }),
      400,
      "VALIDATION_ERROR",
    );
    assert.equal(
      abc.payload!.limit!.message,
      'Option "limit" must be an integer from 1 to 100: current value is "abc"',
    );
  });

  await t.step("a huge unknown parameter name is cut in the payload", async () => {
    const name = "p".repeat(500);
    const body = assertError(
      await edge.request(`${LIST}?pool_id=1&${name}=1`, { key }),
      400,
      "VALIDATION_ERROR",
    );
    assert.deepEqual(Object.keys(body.payload ?? {}), [`${"p".repeat(64)}…`]);
  });

  await t.step("validation comes before scope: a scoped key's bad query is 400", async () => {
    edge.emulator.clearRequests();
    const answer = await edge.request(`${LIST}?pool_id=2&limit=0`, { key: scoped.key });
    assertError(answer, 400, "VALIDATION_ERROR");
    assert.deepEqual(edge.emulator.requests, []);
  });

  await t.step(
    "valid forms pass: sort lists, dates with offsets, export sort aliases",
    async () => {
      for (
        const path of [
          `${LIST}?pool_id=1&sort=created,id&limit=100`,
          `${LIST}?pool_id=1&sort=-created,-id&created_gte=2000-01-01`,
          `${LIST}?pool_id=1&created_lt=2100-01-01T00:00:00%2B03:00`,
          `${NDJSON}?pool_id=1&sort=created,id`,
          `${CSV}?pool_id=1&sort=-created,-id`,
        ]
      ) {
        assert.equal((await edge.request(path, { key })).status, 200, path);
      }
    },
  );

  await t.step("a date with an offset reaches the upstream as UTC without offset", async () => {
    edge.emulator.clearRequests();
    const answer = await edge.request(
      `${LIST}?pool_id=1&created_gte=2024-05-01T03:00:00.123456%2B03:00`,
      { key },
    );
    assert.equal(answer.status, 200);
    assert.deepEqual(edge.emulator.requests.map((r) => r.params), [[
      ["pool_id", "1"],
      ["created_gte", "2024-05-01T00:00:00.123456"],
    ]]);
  });
});
