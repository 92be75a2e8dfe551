/** `src/csv.ts`: RFC 4180 cells and lines, and cells a spreadsheet cannot run as formulas. */

import assert from "node:assert/strict";
import {
  CSV_COLUMNS,
  csvAttachment,
  csvCell,
  csvErrorLine,
  csvHeader,
  csvLine,
  csvNextLine,
} from "../src/csv.ts";
import { parseCsv, splitLikeSpreadsheet } from "./csv_parse.ts";

Deno.test("csvCell() leaves plain text as it is", () => {
  for (const value of ["", "photo.png", "фото 1.png", "a b", "it's", "1+1", "x=y", "a-b@c"]) {
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
  assert.equal(csvCell("\tname"), '"\'\tname"');
  assert.equal(csvCell('=HYPERLINK("http://x","y")'), '"\'=HYPERLINK(""http://x"",""y"")"');
  assert.equal(csvCell("\rx"), '"\'\rx"');
  assert.equal(csvCell("-"), "'-");
});

Deno.test("csvCell() quotes a cell that holds ; or a tab, separators of other spreadsheets", () => {
  assert.equal(csvCell("semi;colon"), '"semi;colon"');
  assert.equal(csvCell("tab\tname.txt"), '"tab\tname.txt"');
});

Deno.test("csvCell() neutralises =, +, -, @, tab or CR after a ;, tab, CR or LF inside a cell", () => {
  assert.equal(csvCell('x;=HYPERLINK("http://x","y")'), '"x;\'=HYPERLINK(""http://x"",""y"")"');
  assert.equal(csvCell("x\t=1+1"), '"x\t\'=1+1"');
  assert.equal(csvCell("a;+1;-2;@3"), "\"a;'+1;'-2;'@3\"");
  assert.equal(csvCell("x; =1"), '"x;\' =1"');
  assert.equal(csvCell('x;"=1"'), '"x;\'""=1"""');
  assert.equal(csvCell("x\n=1"), '"x\n\'=1"');
  assert.equal(csvCell("x\r\n@cmd"), '"x\r\n\'@cmd"');
  assert.equal(csvCell("x;\t=1"), "\"x;'\t'=1\"");
  assert.equal(csvCell(";=1"), '";\'=1"');
  assert.equal(csvCell("x;y\tz"), '"x;y\tz"');
});

Deno.test("csvCell() neutralises a formula behind leading spaces or quotes", () => {
  assert.equal(csvCell(" =1+1"), "' =1+1");
  assert.equal(csvCell('"=1"'), '"\'""=1"""');
  assert.equal(csvCell('"><script>'), '"""><script>"');
});

Deno.test("no cell of a hostile row starts a formula when a spreadsheet splits on , ; or tab", () => {
  const hostile = [
    'x;=HYPERLINK("http://evil","click")',
    "x;=cmd|' /C calc'!A0;y",
    "x\t=1+1",
    "x\t\t+1",
    "a,b;@SUM(1)",
    "x; -2+3",
    'x;"=1"',
    "line1\r\n=1+1",
    "line1\n-1",
    "=1",
    "\t=1",
  ];
  const line = csvLine(["id-1", ...hostile, "last"]);
  const formula = /^[ "]*[=+\-@]/;
  for (const separator of [",", ";", "\t"]) {
    for (const row of splitLikeSpreadsheet(line, separator)) {
      for (const cell of row) {
        assert.ok(
          !formula.test(cell),
          `split on ${JSON.stringify(separator)}: ${JSON.stringify(cell)}`,
        );
      }
    }
  }
  // And a reader that honours RFC 4180 gets every cell back whole, each on one row.
  const [row, ...rest] = parseCsv(line);
  assert.equal(rest.length, 0);
  assert.equal(row?.length, hostile.length + 2);
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

Deno.test("csvErrorLine() and csvNextLine() keep the bare marker first, whatever the cells hold", () => {
  assert.equal(
    csvErrorLine("X", "a;=1", "r-1", "/api/v1/attachments.csv?pool_id=1"),
    '#error,X,"a;\'=1",r-1,/api/v1/attachments.csv?pool_id=1\r\n',
  );
  assert.equal(csvNextLine("/p?a=1;b"), '#next,"/p?a=1;b"\r\n');
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
  assert.deepEqual(row, [
    "quote\"and'apostrophe.txt",
    "semi;colon,comma.txt",
    "line1\r\nline2.txt",
    "line\nfeed.txt",
    "tab\tname.txt",
    `'=HYPERLINK("http://x")`,
    "'+SUM(1)",
    "'-2+3",
    "'@cmd",
    "'\t'=1",
    "'\r\n",
    "",
    "😀",
  ]);
});
