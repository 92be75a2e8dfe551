/**
 * CSV encoding of attachments for `attachments.csv` (RFC 4180, CRLF line ends), safe to open in a
 * spreadsheet: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed
 * with `'`, so a hostile file name such as `=HYPERLINK(...)` stays text (OWASP "CSV injection").
 *
 * @module
 */

/** The header row's column names, in order. */
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

/** One CSV cell: formula-neutralised, then quoted when it holds a quote, comma, CR or LF. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** One CSV line (with its CRLF). */
export function csvLine(values: readonly string[]): string {
  return values.map(csvCell).join(",") + "\r\n";
}

/** The header line. */
export function csvHeader(): string {
  return csvLine(CSV_COLUMNS);
}

/**
 * One attachment (Toloka's wire object) as a CSV line. The API marks no field required, so an
 * absent or non-text field is an empty cell.
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
  return typeof value === "object" && value !== null ? value as Record<string, unknown> : {};
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** The last line of an export that failed after its first byte (the status is already sent). */
export function csvErrorLine(code: string, message: string, requestId: string): string {
  return `#error,${csvCell(code)},${csvCell(message)},${csvCell(requestId)}\r\n`;
}
