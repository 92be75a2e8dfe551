/**
 * Following a Worker export (`attachments.ndjson` / `.csv`) to its end: each response holds as
 * many pages as the Worker's subrequest budget allowed and, when more follow, ends with a
 * continuation record (`{"next": ...}` or `#next,...`); a failure after the first byte ends with
 * an error record that carries a `next` too. This module splits one response into its data and
 * that last record, so a caller can stitch the responses into one file.
 *
 * @module
 */

/** One response of an export, split. */
export interface ExportPart {
  /** The data to keep: items (and, in the first CSV response only, the header row). */
  data: string;
  /** Where the export continues, if it does. */
  next?: string;
  /** The error record's code and message, when the response ended with one. */
  error?: { code: string; message: string };
}

/** The last line of `text` (without its line end) and what precedes it. */
function lastLine(text: string): { before: string; line: string } {
  const trimmed = text.replace(/\r?\n$/, "");
  const at = trimmed.lastIndexOf("\n");
  return { before: text.slice(0, at + 1), line: trimmed.slice(at + 1) };
}

/** The cells of a CSV line that holds no line break (enough for the `#` records). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  const pattern = /("(?:[^"]|"")*"|[^,]*)(,|$)/g;
  for (const match of line.matchAll(pattern)) {
    const cell = match[1] ?? "";
    cells.push(cell.startsWith('"') ? cell.slice(1, -1).replaceAll('""', '"') : cell);
    if (match[2] === "") break;
  }
  return cells;
}

/**
 * Splits one export response: its data, and the continuation or error record at its end. With
 * `first` false, a CSV response's header row is dropped (every response repeats it).
 */
export function splitExport(format: "ndjson" | "csv", text: string, first: boolean): ExportPart {
  let data = text;
  if (format === "csv" && !first) data = data.slice(data.indexOf("\n") + 1);
  const { before, line } = lastLine(data);
  if (format === "ndjson") {
    if (line === "") return { data };
    const record = JSON.parse(line) as Record<string, unknown>;
    if (typeof record.id === "string") return { data };
    const part: ExportPart = { data: before };
    if (typeof record.next === "string") part.next = record.next;
    if (typeof record.code === "string") {
      part.error = { code: record.code, message: String(record.message ?? "") };
    }
    return part;
  }
  if (line.startsWith("#next,")) return { data: before, next: csvCells(line)[1] ?? "" };
  if (line.startsWith("#error,")) {
    const [, code = "", message = "", , next] = csvCells(line);
    return { data: before, ...(next ? { next } : {}), error: { code, message } };
  }
  return { data };
}
