/** The gallery's export follower: one response split into its data and its last record. */

import assert from "node:assert/strict";
import { csvErrorLine, csvHeader, csvNextLine } from "../mod.ts";
import { splitExport } from "../gallery/export_follow.ts";

const next = "/api/v1/attachments.csv?pool_id=1&cursor=abc.def.ghi";

Deno.test("splitExport() keeps a complete NDJSON response whole", () => {
  const text = '{"id":"a"}\n{"id":"b"}\n';
  assert.deepEqual(splitExport("ndjson", text, true), { data: text });
  assert.deepEqual(splitExport("ndjson", "", true), { data: "" });
});

Deno.test("splitExport() takes an NDJSON continuation off the end", () => {
  const text = `{"id":"a"}\n${JSON.stringify({ next })}\n`;
  assert.deepEqual(splitExport("ndjson", text, true), { data: '{"id":"a"}\n', next });
});

Deno.test("splitExport() reads an NDJSON error record and its next", () => {
  const error = {
    request_id: "r",
    code: "REMOTE_SERVICE_UNAVAILABLE",
    message: "Down",
    payload: null,
    next,
  };
  const text = `{"id":"a"}\n${JSON.stringify(error)}\n`;
  assert.deepEqual(splitExport("ndjson", text, true), {
    data: '{"id":"a"}\n',
    next,
    error: { code: "REMOTE_SERVICE_UNAVAILABLE", message: "Down" },
  });
});

Deno.test("splitExport() drops the repeated CSV header after the first response and takes #next off", () => {
  const row = 'a,"x,y.jpg",,,,1,,,,\r\n';
  const text = csvHeader() + row + csvNextLine(next);
  assert.deepEqual(splitExport("csv", text, true), { data: csvHeader() + row, next });
  assert.deepEqual(splitExport("csv", text, false), { data: row, next });
});

Deno.test("splitExport() reads a CSV #error row, quoted message included", () => {
  const text = csvHeader() + csvErrorLine("INTERNAL_ERROR", 'Bad, "very"', "r-1", next);
  assert.deepEqual(splitExport("csv", text, true), {
    data: csvHeader(),
    next,
    error: { code: "INTERNAL_ERROR", message: 'Bad, "very"' },
  });
});
