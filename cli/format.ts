/**
 * The output formats of `list`, pure: each turns Toloka's wire objects into text, a line or a
 * few at a time, so a listing of any length streams.
 *
 * - `ndjson`: one JSON object a line (`created` exactly as the API sent it).
 * - `json`: one array, written as `[`, items, `]`.
 * - `csv`: RFC 4180 with a header row, formulas neutralised (the Worker's encoding).
 * - `table`: aligned columns for a terminal, every cell escaped for display.
 *
 * @module
 */

import { csvAttachment, csvHeader } from "../mod.ts";
import { displayText, displayWidth, padDisplay } from "./display.ts";

/** The formats `list --format` accepts. */
export const LIST_FORMATS = ["table", "json", "ndjson", "csv"] as const;

/** One of {@linkcode LIST_FORMATS}. */
export type ListFormat = typeof LIST_FORMATS[number];

/** Turns a stream of wire objects into text: a head, one chunk per item, a tail. */
export interface Encoder {
  /** Text written before the first item. */
  head(): string;
  /** Text for a batch of items (the table aligns its columns on the first batch). */
  items(items: readonly Record<string, unknown>[]): string;
  /** Text written after the last item. */
  tail(): string;
}

/** The encoder of a format. */
export function encoderFor(format: ListFormat): Encoder {
  switch (format) {
    case "ndjson":
      return {
        head: () => "",
        items: (items) => items.map((item) => `${JSON.stringify(item)}\n`).join(""),
        tail: () => "",
      };
    case "json":
      return jsonEncoder();
    case "csv":
      return {
        head: csvHeader,
        items: (items) => items.map(csvAttachment).join(""),
        tail: () => "",
      };
    case "table":
      return new TableEncoder();
  }
}

function jsonEncoder(): Encoder {
  let first = true;
  return {
    head: () => "[",
    items(items): string {
      let text = "";
      for (const item of items) {
        text += `${first ? "\n" : ",\n"}${JSON.stringify(item)}`;
        first = false;
      }
      return text;
    },
    tail: () => (first ? "]\n" : "\n]\n"),
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? value as Record<string, unknown> : {};
}

function text(value: unknown): string {
  return typeof value === "string" ? displayText(value) : "";
}

const HEADER = ["ID", "CREATED", "MEDIA TYPE", "POOL", "NAME"] as const;

/** The cells of one table row, escaped for display. */
export function tableCells(item: Record<string, unknown>): string[] {
  return [
    text(item.id),
    text(item.created),
    text(item.media_type),
    text(record(item.details).pool_id),
    text(item.name),
  ];
}

/**
 * A table whose column widths come from the header and the first batch; later rows that are
 * wider push their own row's cells along rather than holding the listing back. The name comes
 * last, unpadded.
 */
class TableEncoder implements Encoder {
  #widths: number[] | undefined;

  head(): string {
    return "";
  }

  items(items: readonly Record<string, unknown>[]): string {
    const rows = items.map(tableCells);
    let out = "";
    if (this.#widths === undefined) {
      this.#widths = HEADER.map((title, column) =>
        Math.max(title.length, ...rows.map((row) => displayWidth(row[column] ?? "")))
      );
      out += this.#line([...HEADER]);
    }
    for (const row of rows) out += this.#line(row);
    return out;
  }

  tail(): string {
    return this.#widths === undefined ? this.#line([...HEADER]) : "";
  }

  #line(cells: string[]): string {
    const widths = this.#widths ?? HEADER.map((title) => title.length);
    const last = cells.length - 1;
    return cells.map((cell, i) => (i === last ? cell : padDisplay(cell, widths[i] ?? 0))).join(
      "  ",
    ) + "\n";
  }
}
