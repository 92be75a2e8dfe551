/**
 * CSV encoding of attachments for `attachments.csv` (RFC 4180, CRLF line ends), safe to open in a
 * spreadsheet (OWASP "CSV injection"):
 *
 * - a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return (after any spaces or
 *   quotes) is prefixed with `'`, so a hostile file name such as `=HYPERLINK(...)` stays text;
 * - the same holds after every `;`, tab, CR or LF inside a cell: `x;=HYPERLINK(...)` is written
 *   `x;'=HYPERLINK(...)`, because a spreadsheet that splits on `;` (Excel in most of Europe) or on
 *   tabs starts a new cell there;
 * - a cell that holds a quote, a comma, a `;`, a tab, CR or LF is quoted.
 *
 * Why not simply quote every cell: quoting alone does not stop the attack. A spreadsheet opens a
 * quoted field only when the quote is the first character of a field, so when it splits the line
 * `a1,"x;=1+1"` on `;` its second field is `=1+1"`, quotes or not. The `'` after a separator is
 * what keeps that field text; the quotes keep the cell whole for readers that honour them. Cells
 * that need neither stay bare, so the header and plain rows read as they always did.
 *
 * The price: a name that holds `;-` or `;=` reads with a `'` after the `;` in the CSV (the JSON and
 * NDJSON formats carry names exactly).
 *
 * Public, so every program that writes or reads an export (the Worker, the CLI, the gallery)
 * shares one encoding.
 *
 * @module
 */

import { isPlainObject } from "./plain_object.ts";

/**
 * The header row's column names, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CSV_COLUMNS } from "@toloka-edge/attachments";
 *
 * assert.equal(CSV_COLUMNS[0], "id");
 * ```
 */
export const CSV_COLUMNS: readonly string[] = [
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

/** A character that makes a spreadsheet read the cell it starts as a formula. */
const FORMULA_START = /^[ "]*[=+\-@\t\r]/;
/** A character a spreadsheet may split cells or rows on, followed by one that starts a formula. */
const SEPARATOR_THEN_FORMULA = /[;\t\r\n](?=[ "]*[=+\-@\t\r])/g;
/** A character that needs the cell quoted: RFC 4180's own, and the other common separators. */
const NEEDS_QUOTES = /[",;\t\r\n]/;
/**
 * A cell that needs nothing done: no character to quote or neutralise, and a first character
 * that cannot start a formula. Most cells (ids, dates, types, plain names) are such, and one test
 * is a third of the work of the three above: an export writes ten cells per attachment.
 */
const PLAIN = /^(?:[^ "=+\-@\t\r\n,;][^"\t\r\n,;]*)?$/;

/**
 * One CSV cell: formula-neutralised at its start and after every `;`, tab, CR or LF, then quoted
 * when it holds a quote, comma, `;`, tab, CR or LF.
 *
 * @param value The cell's text.
 * @returns The cell as written in a CSV line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { csvCell } from "@toloka-edge/attachments";
 *
 * assert.equal(csvCell("=1+1"), "'=1+1");
 * assert.equal(csvCell("x;=1+1"), `"x;'=1+1"`);
 * ```
 */
export function csvCell(value: string): string {
  if (PLAIN.test(value)) return value;
  const inner = value.replace(SEPARATOR_THEN_FORMULA, "$&'");
  const safe = FORMULA_START.test(value) ? `'${inner}` : inner;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * One CSV line (with its CRLF).
 *
 * @param values The cells' texts.
 * @returns The line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { csvLine } from "@toloka-edge/attachments";
 *
 * assert.equal(csvLine(["a", "b,c"]), 'a,"b,c"\r\n');
 * ```
 */
export function csvLine(values: readonly string[]): string {
  return values.map(csvCell).join(",") + "\r\n";
}

/**
 * The header line of an attachments CSV.
 *
 * @returns The line, with its CRLF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { csvHeader } from "@toloka-edge/attachments";
 *
 * assert.ok(csvHeader().startsWith("id,name,"));
 * ```
 */
export function csvHeader(): string {
  return csvLine(CSV_COLUMNS);
}

/**
 * One attachment (Toloka's wire object) as a CSV line. The API marks no field required, so an
 * absent or non-text field is an empty cell.
 *
 * @param item The attachment as the API wrote it (see {@linkcode toWireAttachment}).
 * @returns The line, with its CRLF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { csvAttachment } from "@toloka-edge/attachments";
 *
 * const line = csvAttachment({ id: "a1", name: "x.jpg", details: { pool_id: "7" } });
 * assert.equal(line, "a1,x.jpg,,,,7,,,,\r\n");
 * ```
 */
export function csvAttachment(item: Record<string, unknown>): string {
  const details = record(item.details);
  const owner = record(item.owner);
  return csvLine([
    text(item.id),
    text(item.name),
    text(item.attachment_type),
    text(item.media_type),
    text(item.created),
    text(details.pool_id),
    text(details.assignment_id),
    text(details.user_id),
    text(owner.id),
    text(owner.company_id),
  ]);
}

function record(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/**
 * The last line of a CSV export that failed after its first byte (the status is already sent):
 * `#error,<code>,<message>,<request id>`, then, when the export can be resumed, the path to resume
 * it from.
 *
 * @param code Toloka's error code.
 * @param message What went wrong.
 * @param requestId The request's id.
 * @param next The path that resumes the export after its last complete page, if any.
 * @returns The line, with its CRLF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { csvErrorLine } from "@toloka-edge/attachments";
 *
 * assert.equal(csvErrorLine("INTERNAL_ERROR", "Boom", "r-1"), "#error,INTERNAL_ERROR,Boom,r-1\r\n");
 * ```
 */
export function csvErrorLine(
  code: string,
  message: string,
  requestId: string,
  next?: string,
): string {
  const cells = [code, message, requestId];
  if (next !== undefined) cells.push(next);
  return `#error,${cells.map(csvCell).join(",")}\r\n`;
}

/**
 * The last line of a CSV export that stopped at its request budget: `#next,<path>`, the path
 * (with its query) that continues it.
 *
 * @param next The path that continues the export.
 * @returns The line, with its CRLF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { csvNextLine } from "@toloka-edge/attachments";
 *
 * assert.equal(csvNextLine("/api/v1/attachments.csv?pool_id=1"), "#next,/api/v1/attachments.csv?pool_id=1\r\n");
 * ```
 */
export function csvNextLine(next: string): string {
  return `#next,${csvCell(next)}\r\n`;
}
