/**
 * A small, strict RFC 4180 parser for the tests: CRLF record ends, quoted fields with `""` for a
 * quote and any character (CR and LF included) inside. Written independently of `src/csv.ts`,
 * so reading back what the Worker wrote proves the encoding.
 *
 * @module
 */

/** Parses CSV text into rows of cells; throws on anything RFC 4180 does not allow. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let at = 0;
  if (text === "") return rows;
  for (;;) {
    let cell = "";
    if (text[at] === '"') {
      at++;
      for (;;) {
        const quote = text.indexOf('"', at);
        if (quote === -1) throw new SyntaxError(`Unterminated quoted field at ${at}`);
        cell += text.slice(at, quote);
        if (text[quote + 1] === '"') {
          cell += '"';
          at = quote + 2;
        } else {
          at = quote + 1;
          break;
        }
      }
    } else {
      const end = text.slice(at).search(/[,\r\n"]/);
      const stop = end === -1 ? text.length : at + end;
      if (text[stop] === '"') throw new SyntaxError(`A quote inside an unquoted field at ${stop}`);
      cell = text.slice(at, stop);
      at = stop;
    }
    row.push(cell);
    if (text[at] === ",") {
      at++;
      continue;
    }
    if (text.startsWith("\r\n", at)) {
      rows.push(row);
      row = [];
      at += 2;
      if (at === text.length) return rows;
      continue;
    }
    if (at === text.length) {
      throw new SyntaxError("The last record does not end with CRLF");
    }
    throw new SyntaxError(`Unexpected ${JSON.stringify(text[at])} at ${at}`);
  }
}

/**
 * Splits CSV text the way a spreadsheet's import does when its separator is not the comma (Excel
 * with `;` as the list separator, a tab-separated import): a quote opens a quoted field only as a
 * field's first character, a quote elsewhere is text, what follows a closing quote is text up to
 * the next separator, and CR or LF outside quotes ends the row. Deliberately not RFC 4180, so tests
 * can see which cells such a reader would evaluate.
 */
export function splitLikeSpreadsheet(text: string, separator: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let atStart = true;
  let quoted = false;
  const endCell = (): void => {
    row.push(cell);
    cell = "";
    atStart = true;
  };
  for (let at = 0; at < text.length; at++) {
    const char = text[at]!;
    if (quoted) {
      if (char === '"' && text[at + 1] === '"') {
        cell += '"';
        at++;
      } else if (char === '"') {
        quoted = false;
      } else {
        cell += char;
      }
      continue;
    }
    if (atStart && char === '"') {
      quoted = true;
      atStart = false;
    } else if (char === separator) {
      endCell();
    } else if (char === "\r" || char === "\n") {
      if (char === "\r" && text[at + 1] === "\n") at++;
      endCell();
      rows.push(row);
      row = [];
    } else {
      cell += char;
      atStart = false;
    }
  }
  if (!atStart || row.length > 0) {
    endCell();
    rows.push(row);
  }
  return rows;
}
