/** `src/csv.ts`: RFC 4180 cells and lines, and cells a spreadsheet cannot run as formulas. */

import assert from "node:assert/strict";
import {
  CSV_COLUMNS,
  csvAttachment,
  csvCell,
  csvErrorLine,
  csvHeader,
  csvLine,
} from "../src/csv.ts";
import { parseCsv } from "./csv_parse.ts";

Deno.test("csvCell() leaves plain text as it is", () => {
  for (const value of ["", "photo.png", "фото 1.png", "a b", "semi;colon", "it's", "1+1", "x=y"]) {
    assert.equal(csvCell(value), value);
  }
});

Deno.test("csvCell() quotes a comma, a quote, CR or LF, doubling quotes", () => {
  assert.equal(csvCell("a,b"), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('"'), '""""');
  assert.equal(csvCell("line1\r\nline2"), '"line1\r\nline2"');
  assert.equal(csvCell("a\nb"), '"a\nb"');
  assert.equal(csvCell("a\rb"), '"a\rb"');
});

Deno.test("csvCell() neutralises a leading =, +, -, @, tab or CR with a '", () => {
  assert.equal(csvCell("=1+2"), "'=1+2");
  assert.equal(csvCell("+SUM(1)"), "'+SUM(1)");
  assert.equal(csvCell("-2+3"), "'-2+3");
  assert.equal(csvCell("@cmd"), "'@cmd");
  assert.equal(csvCell("\tname"), "'\tname");
  assert.equal(csvCell('=HYPERLINK("http://x","y")'), '"\'=HYPERLINK(""http://x"",""y"")"');
  assert.equal(csvCell("\rx"), '"\'\rx"');
  assert.equal(csvCell("-"), "'-");
});

Deno.test("csvLine() joins cells with commas and ends with CRLF", () => {
  assert.equal(csvLine(["a", "b,c", "=d"]), 'a,"b,c",\'=d\r\n');
  assert.equal(csvLine([]), "\r\n");
  assert.equal(csvLine(["", ""]), ",\r\n");
});

Deno.test("csvHeader() names the columns in order", () => {
  assert.equal(
    csvHeader(),
    "id,name,attachment_type,media_type,created,pool_id,assignment_id,user_id,owner_id,owner_company_id\r\n",
  );
  assert.deepEqual(parseCsv(csvHeader()), [[...CSV_COLUMNS]]);
});

Deno.test("csvAttachment() writes the wire object's fields, empty cells for absent ones", () => {
  const line = csvAttachment({
    id: "fr.1",
    attachment_type: "ASSIGNMENT_ATTACHMENT",
    name: '=HYPERLINK("http://x")',
    details: { user_id: "u", assignment_id: "a", pool_id: "154" },
    owner: { id: "o", myself: true, company_id: "c" },
    created: "2016-05-25T16:14:27.748000",
    media_type: "image/png",
    reviewed: true,
  });
  assert.deepEqual(parseCsv(line), [[
    "fr.1",
    `'=HYPERLINK("http://x")`,
    "ASSIGNMENT_ATTACHMENT",
    "image/png",
    "2016-05-25T16:14:27.748000",
    "154",
    "a",
    "u",
    "o",
    "c",
  ]]);
  assert.deepEqual(parseCsv(csvAttachment({ id: "x", details: null, owner: 5, name: 7 })), [[
    "x",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
  ]]);
});

Deno.test("csvErrorLine() is one row starting #error: code, message, request id", () => {
  const line = csvErrorLine("TOO_MANY_REQUESTS", 'Slow down, "please"', "r-1");
  assert.ok(line.startsWith("#error,"));
  assert.ok(line.endsWith("\r\n"));
  assert.deepEqual(parseCsv(line), [["#error", "TOO_MANY_REQUESTS", 'Slow down, "please"', "r-1"]]);
});

Deno.test("hostile values round-trip through an RFC 4180 parser, formulas with their '", () => {
  const values = [
    "quote\"and'apostrophe.txt",
    "semi;colon,comma.txt",
    "line1\r\nline2.txt",
    "line\nfeed.txt",
    "tab\tname.txt",
    '=HYPERLINK("http://x")',
    "+SUM(1)",
    "-2+3",
    "@cmd",
    "\t=1",
    "\r\n",
    "",
    "😀",
  ];
  const [row] = parseCsv(csvLine(values));
  assert.deepEqual(row, values.map((v) => /^[=+\-@\t\r]/.test(v) ? `'${v}` : v));
});
