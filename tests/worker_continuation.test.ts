/**
 * Exports under a subrequest budget: a response streams as many pages as `SUBREQUEST_BUDGET`
 * allows and ends with a `next` continuation; following `next` until a response has none yields
 * every match exactly once, in order, in all four orders, through runs of one `created` value
 * longer than a page, with faults injected too. Bad cursors are 400 before any upstream request.
 */

import assert from "node:assert/strict";
import { AttachmentsClient, type Order, ORDERS } from "../mod.ts";
import { signCursor } from "../worker/export_cursor.ts";
import { parseCsv } from "./csv_parse.ts";
import {
  assertError,
  type Edge,
  edgeSuite,
  randomSealingKey,
  UPSTREAM_TOKEN,
} from "./edge_harness.ts";
import { expectedOrder, tieHeavy } from "./tie_data.ts";

const ITEMS = [...tieHeavy(4_000, 11, "1"), ...tieHeavy(300, 12, "2")];

/** What following an export to its end gave. */
interface Followed {
  ids: string[];
  /** Responses read. */
  responses: number;
  /** Responses that ended with an error record (then resumed from its `next`). */
  errors: number;
  /** Responses answered with an error status (then retried as they were). */
  refused: number;
}

/**
 * Follows an export from `path` to its end, the way the README tells a caller to: write the
 * items, and while the last record holds a `next`, request it; after an error record, resume from
 * its `next`; after an error status, retry the same path. Bounded.
 */
async function follow(
  edge: Edge,
  path: string,
  key: string,
  format: "ndjson" | "csv",
): Promise<Followed> {
  const followed: Followed = { ids: [], responses: 0, errors: 0, refused: 0 };
  let next: string | undefined = path;
  while (next !== undefined) {
    assert.ok(followed.responses < 500, "the chain ends");
    followed.responses++;
    const answer = await edge.request(next, { key });
    if (answer.status !== 200) {
      assert.ok([429, 502, 503].includes(answer.status), `status ${answer.status}: ${answer.text}`);
      followed.refused++;
      continue;
    }
    next = undefined;
    if (format === "ndjson") {
      assert.ok(answer.text === "" || answer.text.endsWith("\n"));
      for (const line of answer.text.split("\n").slice(0, -1)) {
        const record = JSON.parse(line);
        assert.equal(next, undefined, "nothing follows the continuation record");
        if (typeof record.id === "string") {
          followed.ids.push(record.id);
        } else {
          assert.equal(typeof record.next, "string", line);
          if ("code" in record) followed.errors++;
          else assert.deepEqual(Object.keys(record), ["next"]);
          next = record.next;
        }
      }
    } else {
      const [header, ...rows] = parseCsv(answer.text);
      assert.equal(header?.[0], "id", "every response is a whole CSV, header first");
      for (const row of rows) {
        assert.equal(next, undefined, "nothing follows the continuation row");
        if (row[0] === "#next") {
          assert.equal(row.length, 2);
          next = row[1];
        } else if (row[0] === "#error") {
          followed.errors++;
          next = row[4];
          assert.ok(next, "the error row carries next");
        } else {
          followed.ids.push(row[0]!);
        }
      }
    }
  }
  return followed;
}

/**
 * One suite of chains at `budget`; with `faultRate`, upstream faults of every retryable kind are
 * injected (the fault suites split the four orders between them, to keep the file quick).
 */
function chains(budget: number, faultRate = 0, orders: readonly Order[] = ORDERS): void {
  const faults = faultRate > 0;
  const name = `Worker: exports continue at SUBREQUEST_BUDGET=${budget}${
    faults ? ", with faults" : ""
  }`;
  edgeSuite(
    name,
    { emulator: { attachments: ITEMS }, subrequestBudget: budget },
    async (t, edge) => {
      const { key } = await edge.issue({ pools: ["1"] });
      const direct = new AttachmentsClient({ token: UPSTREAM_TOKEN, fetch: edge.emulator.fetch });
      let interrupted = 0;
      if (faults) {
        edge.emulator.setFaults({
          rate: faultRate,
          kinds: ["429", "500", "502", "503", "reset", "truncated"],
          retryAfterSeconds: 0,
          seed: budget,
        });
      }
      for (const order of orders) {
        await t.step(
          `order ${order}: following next yields the core client's iteration exactly once`,
          async () => {
            const expected: string[] = [];
            edge.emulator.setFaults(undefined);
            for await (const item of direct.getAttachments({ pool_id: "1" }, { order })) {
              expected.push(item.id);
            }
            if (faults) {
              edge.emulator.setFaults({
                rate: faultRate,
                kinds: ["429", "500", "502", "503", "reset", "truncated"],
                retryAfterSeconds: 0,
                seed: budget + order.length,
              });
            }
            assert.deepEqual(
              expected,
              expectedOrder(ITEMS.filter((i) => i.details.pool_id === "1"), order),
            );
            for (const format of ["ndjson", "csv"] as const) {
              const followed = await follow(
                edge,
                `/api/v1/attachments.${format}?pool_id=1&sort=${order}`,
                key,
                format,
              );
              assert.deepEqual(followed.ids, expected, `${format}: every item once, in order`);
              // 4,000 items are at least 40 pages; a response holds at most `budget` of them.
              assert.ok(
                followed.responses >= Math.ceil(40 / budget),
                `${format}: ${followed.responses} responses`,
              );
              if (!faults) assert.equal(followed.errors + followed.refused, 0);
              interrupted += followed.errors + followed.refused;
            }
          },
        );
      }
      if (faults) {
        await t.step("the faults did break chains, which resumed from their next", () => {
          assert.ok(interrupted > 0, `${interrupted} responses ended in an error`);
        });
        return;
      }

      await t.step("a response that holds everything has no continuation record", async () => {
        // Pool 2: 300 items, three pages by id, the last with has_more false: three requests.
        const { key: both } = await edge.issue({ pools: ["1", "2"] });
        const answer = await edge.request("/api/v1/attachments.ndjson?pool_id=2", { key: both });
        assert.equal(answer.status, 200);
        const lines = answer.text.split("\n").slice(0, -1).map((l) => JSON.parse(l));
        assert.deepEqual(
          lines.map((l) => l.id),
          expectedOrder(ITEMS.filter((i) => i.details.pool_id === "2"), "id"),
        );
      });

      await t.step(
        "an assignment's export, its scope probe drawn from each budget, follows to the end",
        async () => {
          const assignment = "p1-a3";
          const expected = expectedOrder(
            ITEMS.filter((i) => i.details.assignment_id === assignment),
            "created",
          );
          assert.ok(expected.length > 300);
          for (const format of ["ndjson", "csv"] as const) {
            const followed = await follow(
              edge,
              `/api/v1/attachments.${format}?assignment_id=${assignment}&sort=created`,
              key,
              format,
            );
            assert.deepEqual(followed.ids, expected, format);
          }
        },
      );

      await t.step("the log line counts what the upstream saw, and says it continued", async () => {
        const answer = await edge.request("/api/v1/attachments.ndjson?pool_id=1&sort=created", {
          key,
        });
        const id = answer.headers.get("X-Request-Id")!;
        const log = await edge.logLine(id);
        const last = JSON.parse(answer.text.trimEnd().split("\n").at(-1)!);
        assert.equal(log.subrequests, edge.subrequests.get(id)?.total);
        assert.ok((log.subrequests as number) <= budget);
        assert.equal(log.continued === true, "next" in last);
        if (budget === 3) assert.equal(log.continued, true);
        assert.ok((log.peak_connections as number) <= 2);
      });
    },
  );
}

chains(3);
chains(45);
// At 45 a page fails only after three faults in a row: a higher rate makes some chains break.
chains(3, 0.15, ["id", "-created"]);
chains(45, 0.3, ["-id", "created"]);

edgeSuite(
  "Worker: bad export cursors",
  { emulator: { attachments: ITEMS }, subrequestBudget: 3 },
  async (t, edge) => {
    const { key } = await edge.issue({ pools: ["1", "2"] });
    const first = await edge.request("/api/v1/attachments.ndjson?pool_id=1&sort=created", { key });
    const next: string = JSON.parse(first.text.trimEnd().split("\n").at(-1)!).next;
    const cursor = new URL(next, "http://x").searchParams.get("cursor")!;
    const [token, issued, mac] = cursor.split(".") as [string, string, string];
    const flip = (text: string, at: number): string =>
      text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
    const assignment = ITEMS.find((i) => i.details.pool_id === "1")!.details.assignment_id;
    const cases: [string, string][] = [
      ["a tampered position", `pool_id=1&sort=created&cursor=${flip(token, 5)}.${issued}.${mac}`],
      ["a tampered signature", `pool_id=1&sort=created&cursor=${token}.${issued}.${flip(mac, 3)}`],
      ["a truncated cursor", `pool_id=1&sort=created&cursor=${cursor.slice(0, -4)}`],
      ["a cursor cut at a dot", `pool_id=1&sort=created&cursor=${token}.${issued}`],
      ["garbage", "pool_id=1&sort=created&cursor=%00%ff..."],
      ["another order", `pool_id=1&sort=-created&cursor=${cursor}`],
      ["another filter", `pool_id=2&sort=created&cursor=${cursor}`],
      ["an added filter", `pool_id=1&sort=created&name=x&cursor=${cursor}`],
      [
        "an assignment query (probe would be upstream)",
        `assignment_id=${assignment}&sort=created&cursor=${cursor}`,
      ],
      ["another format's route is fine, but not another order", `pool_id=1&cursor=${cursor}`],
    ];
    const foreign = await signCursor(
      randomSealingKey(),
      { order: "created", filter: { pool_id: "1" } },
      token,
      Date.now(),
    );
    cases.push(["another deployment's cursor", `pool_id=1&sort=created&cursor=${foreign}`]);
    const stale = await signCursor(
      edge.sealingKey,
      { order: "created", filter: { pool_id: "1" } },
      token,
      Date.now() - 8 * 86_400_000,
    );
    cases.push(["a cursor older than 7 days", `pool_id=1&sort=created&cursor=${stale}`]);
    const fresh = await signCursor(
      edge.sealingKey,
      { order: "created", filter: { pool_id: "1" } },
      token,
      Date.now() - 86_400_000,
    );

    for (const [what, query] of cases) {
      await t.step(`${what}: 400 VALIDATION_ERROR on cursor, no upstream request`, async () => {
        edge.emulator.clearRequests();
        for (const format of ["ndjson", "csv"]) {
          const answer = await edge.request(`/api/v1/attachments.${format}?${query}`, { key });
          const body = assertError(answer, 400, "VALIDATION_ERROR");
          assert.deepEqual(Object.keys(body.payload ?? {}), ["cursor"], answer.text);
        }
        assert.equal(edge.emulator.requests.length, 0);
      });
    }

    await t.step(
      "a day-old cursor of this deployment resumes (the same route in CSV too)",
      async () => {
        for (const format of ["ndjson", "csv"]) {
          const answer = await edge.request(
            `/api/v1/attachments.${format}?pool_id=1&sort=created&cursor=${fresh}`,
            { key },
          );
          assert.equal(answer.status, 200, answer.text);
        }
      },
    );

    await t.step(
      "the key and its scope are checked again on every request of a chain",
      async () => {
        const narrow = await edge.issue({ pools: ["2"] });
        const denied = await edge.request(next, { key: narrow.key });
        assertError(denied, 403, "ACCESS_DENIED");
        const unknown = await edge.request(next, { key: "tae_" + "A".repeat(32) });
        assertError(unknown, 401, "AUTHENTICATION_ERROR");
      },
    );

    await t.step("SUBREQUEST_BUDGET is read from the var; the harness set 3", async () => {
      const answer = await edge.request("/api/v1/attachments.ndjson?pool_id=1", { key });
      const log = await edge.logLine(answer.headers.get("X-Request-Id")!);
      assert.equal(log.subrequests, 3);
      assert.equal(log.exported, 300);
    });
  },
);

edgeSuite(
  "Worker: a SUBREQUEST_BUDGET below 2 is a configuration error",
  { subrequestBudget: 1 },
  async (t, edge) => {
    await t.step("every keyed route answers 500 and the log says which var is wrong", async () => {
      const { key } = await edge.issue({ pools: ["1"] });
      for (
        const path of ["/api/v1/attachments?pool_id=1", "/api/v1/attachments.ndjson?pool_id=1"]
      ) {
        const answer = await edge.request(path, { key });
        assertError(answer, 500, "INTERNAL_ERROR");
        const log = await edge.logLine(answer.headers.get("X-Request-Id")!);
        assert.match(
          String(log.failure),
          /SUBREQUEST_BUDGET must be an integer from 2 to 10000: current value is "1"/,
        );
      }
      assert.equal(edge.emulator.requests.length, 0);
    });
  },
);
