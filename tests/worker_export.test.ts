/**
 * The `.ndjson` and `.csv` exports: every match in each order, item for item what the core client
 * gets from the upstream directly, Toloka's exact formats, CSV that survives hostile names, and
 * the documented last line when the upstream fails mid-way.
 */

import assert from "node:assert/strict";
import { type Attachment, AttachmentsClient, type Order } from "../mod.ts";
import { toWireAttachment } from "../src/wire.ts";
import type { WireAttachment } from "../src/testing/mod.ts";
import { parseCsv } from "./csv_parse.ts";
import { edgeSuite, UPSTREAM_TOKEN } from "./edge_harness.ts";

const ORDERS: Order[] = ["id", "-id", "created", "-created"];
const HEADER = [
  "id",
  "name",
  "attachment_type",
  "media_type",
  "created",
  "pool_id",
  "assignment_id",
  "user_id",
  "owner_id",
  "owner_company_id",
];

/** A CSV cell as a spreadsheet-safe export must write it: formulas neutralised with `'`. */
function safe(value: string | undefined): string {
  if (value === undefined) return "";
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function csvRow(a: WireAttachment): string[] {
  return [
    a.id,
    safe(a.name),
    a.attachment_type,
    a.media_type,
    a.created,
    a.details.pool_id,
    a.details.assignment_id,
    a.details.user_id,
    a.owner?.id ?? "",
    a.owner?.company_id ?? "",
  ];
}

function ndjsonLines(text: string): Record<string, unknown>[] {
  assert.ok(text === "" || text.endsWith("\n"), "every line ends with LF");
  return text.split("\n").slice(0, -1).map((line) => JSON.parse(line));
}

edgeSuite("Worker: exports", { emulator: { pools: [3000, 200] } }, async (t, edge) => {
  const byId = new Map(edge.emulator.attachments.map((a) => [a.id, a]));
  const { key } = await edge.issue({ name: "exporter", pools: ["1"] });
  const everyPool = await edge.issue({ pools: null });
  // The core client over the emulator directly: the reference for order and content.
  const direct = new AttachmentsClient({ token: UPSTREAM_TOKEN, fetch: edge.emulator.fetch });
  const reference = async (order: Order, pool = "1"): Promise<Attachment[]> => {
    const items: Attachment[] = [];
    for await (const item of direct.getAttachments({ pool_id: pool }, { order })) items.push(item);
    return items;
  };

  for (const order of ORDERS) {
    await t.step(`.ndjson sort=${order} is item for item the core client's listing`, async () => {
      const expected = await reference(order);
      assert.equal(expected.length, 3000);
      const answer = await edge.request(`/api/v1/attachments.ndjson?pool_id=1&sort=${order}`, {
        key,
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get("Content-Type"), "application/x-ndjson; charset=utf-8");
      assert.equal(answer.headers.get("Cache-Control"), "no-store");
      const lines = ndjsonLines(answer.text);
      assert.deepEqual(lines.map((l) => l.id), expected.map((a) => a.id));
      for (const [i, line] of lines.entries()) {
        // Exactly what the upstream sent, created string and unknown fields included.
        assert.deepEqual(line, byId.get(line.id as string));
        assert.deepEqual(line, toWireAttachment(expected[i]!));
      }
      const log = await edge.logLine(answer.headers.get("X-Request-Id")!);
      assert.equal(log.exported, 3000);
      assert.equal("failure" in log, false);
    });
  }

  await t.step(".ndjson writes created strings byte for byte as the upstream did", async () => {
    const answer = await edge.request("/api/v1/attachments.ndjson?pool_id=1", { key });
    const raw = answer.text.split("\n").slice(0, -1);
    const digits = new Set<number>();
    for (const line of raw) {
      const id = JSON.parse(line).id as string;
      const created = byId.get(id)!.created;
      assert.ok(line.includes(`"created":"${created}"`), line);
      digits.add(created.split(".")[1]?.length ?? 0);
    }
    // The data has 0, 3, 5 and 6 fraction digits: all of them went through untouched.
    assert.deepEqual([...digits].sort(), [0, 3, 5, 6]);
  });

  await t.step(
    ".ndjson sort aliases created,id and -created,-id are the created orders",
    async () => {
      for (
        const [alias, order] of [["created,id", "created"], ["-created,-id", "-created"]] as const
      ) {
        const answer = await edge.request(`/api/v1/attachments.ndjson?pool_id=1&sort=${alias}`, {
          key,
        });
        const ids = ndjsonLines(answer.text).map((l) => l.id);
        assert.deepEqual(ids, (await reference(order)).map((a) => a.id));
      }
    },
  );

  for (const order of ["id", "-created"] as const) {
    await t.step(`.csv sort=${order} parses back to the same items, header first`, async () => {
      const expected = await reference(order);
      const answer = await edge.request(`/api/v1/attachments.csv?pool_id=1&sort=${order}`, {
        key,
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get("Content-Type"), "text/csv; charset=utf-8");
      assert.equal(
        answer.headers.get("Content-Disposition"),
        'attachment; filename="attachments.csv"',
      );
      assert.ok(answer.text.startsWith(HEADER.join(",") + "\r\n"));
      const [header, ...rows] = parseCsv(answer.text);
      assert.deepEqual(header, HEADER);
      assert.deepEqual(rows, expected.map((a) => csvRow(byId.get(a.id)!)));
    });
  }

  await t.step(".csv keeps hostile names as text: quotes, newlines, formulas", async () => {
    const answer = await edge.request("/api/v1/attachments.csv?pool_id=1", { key });
    const rows = parseCsv(answer.text).slice(1);
    const nameOf = new Map(rows.map((row) => [row[0]!, row[1]!]));
    const named = (name: string): string => {
      const item = edge.emulator.attachments.find((a) => a.name === name);
      assert.ok(item, `the data has ${JSON.stringify(name)}`);
      return nameOf.get(item.id)!;
    };
    for (const name of ['=HYPERLINK("http://x")', "+SUM(1)", "-2+3", "@cmd"]) {
      assert.equal(named(name), `'${name}`);
    }
    for (
      const name of [
        "quote\"and'apostrophe.txt",
        "semi;colon,comma.txt",
        "line1\r\nline2.txt",
        "line\nfeed.txt",
        "tab\tname.txt",
        '"><script>alert(1)</script>',
        "фото 1.png",
        "😀 smile.png",
        "",
      ]
    ) {
      assert.equal(named(name), name);
    }
    // The row of a file without owner has empty owner cells.
    const old = edge.emulator.attachments.find((a) => a.name === "old upload.png")!;
    const row = rows.find((r) => r[0] === old.id)!;
    assert.deepEqual(row.slice(8), ["", ""]);
  });

  await t.step("an export with no match is empty NDJSON and a CSV header alone", async () => {
    const ndjson = await edge.request("/api/v1/attachments.ndjson?pool_id=77", {
      key: everyPool.key,
    });
    assert.equal(ndjson.status, 200);
    assert.equal(ndjson.text, "");
    const csv = await edge.request("/api/v1/attachments.csv?pool_id=77", { key: everyPool.key });
    assert.equal(csv.status, 200);
    assert.equal(csv.text, HEADER.join(",") + "\r\n");
  });

  await t.step(
    ".ndjson whose upstream fails mid-way ends with a Toloka error object (no id) whose next resumes it",
    async () => {
      // The first page comes through; the prefetched second one fails on every attempt.
      edge.emulator.setFaults({ script: [null, "500", "500", "500"] });
      try {
        const answer = await edge.request("/api/v1/attachments.ndjson?pool_id=1&sort=-id", {
          key,
        });
        assert.equal(answer.status, 200);
        const lines = ndjsonLines(answer.text);
        const last = lines.pop()!;
        assert.deepEqual(
          lines.map((l) => l.id),
          (await reference("-id")).slice(0, 100).map((a) => a.id),
        );
        const { next, ...error } = last as { next: string };
        assert.deepEqual(error, {
          request_id: answer.headers.get("X-Request-Id"),
          code: "REMOTE_SERVICE_UNAVAILABLE",
          message: "The upstream Toloka API answered 500",
          payload: null,
        });
        assert.equal("id" in last, false);
        assert.match(next, /^\/api\/v1\/attachments\.ndjson\?pool_id=1&sort=-id&cursor=[\w.-]+$/);
        const log = await edge.logLine(answer.headers.get("X-Request-Id")!);
        assert.equal(log.status, 200);
        assert.equal(log.exported, 100);
        assert.equal(log.failure, "upstream 500 INTERNAL_ERROR");
        edge.emulator.setFaults(undefined);
        const rest = await edge.request(next, { key });
        assert.deepEqual(
          ndjsonLines(rest.text).map((l) => l.id),
          (await reference("-id")).slice(100).map((a) => a.id),
        );
      } finally {
        edge.emulator.setFaults(undefined);
      }
    },
  );

  await t.step(
    ".csv whose upstream fails mid-way ends with a row starting #error, then next",
    async () => {
      edge.emulator.setFaults({ script: [null, "429", "429", "429"], retryAfterSeconds: 0 });
      try {
        const answer = await edge.request("/api/v1/attachments.csv?pool_id=1", { key });
        assert.equal(answer.status, 200);
        assert.ok(answer.text.endsWith("\r\n"));
        const [header, ...rows] = parseCsv(answer.text);
        assert.deepEqual(header, HEADER);
        const last = rows.pop()!;
        const next = last.pop()!;
        assert.deepEqual(last, [
          "#error",
          "TOO_MANY_REQUESTS",
          "The upstream API is rate limiting; retry later",
          answer.headers.get("X-Request-Id"),
        ]);
        assert.match(next, /^\/api\/v1\/attachments\.csv\?pool_id=1&cursor=[\w.-]+$/);
        assert.deepEqual(
          rows.map((r) => r[0]),
          (await reference("id")).slice(0, 100).map((a) => a.id),
        );
      } finally {
        edge.emulator.setFaults(undefined);
      }
    },
  );

  await t.step("an export the caller abandons stops paging upstream", async () => {
    edge.emulator.latencyMs = 20;
    try {
      edge.emulator.clearRequests();
      const response = await fetch(`${edge.url}/api/v1/attachments.ndjson?pool_id=1`, {
        headers: { Authorization: `OAuth ${key}` },
      });
      const reader = response.body!.getReader();
      const first = await reader.read();
      assert.equal(first.done, false);
      await reader.cancel();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const pages = edge.emulator.requests.length;
      // 30 pages in all; the export stopped after the page in hand and the one prefetched.
      assert.ok(pages <= 4, `${pages} pages requested`);
      const log = await edge.logLine(response.headers.get("X-Request-Id")!);
      assert.equal(log.failure, "cancelled");
      edge.seen.push([...response.headers].join("\n"));
    } finally {
      edge.emulator.latencyMs = 0;
    }
  });
});
