/**
 * What every engine returns, and the table `main.ts` prints: a name, rows of figures, the
 * violations found (a run passes with none) and how long it took.
 *
 * @module
 */

/** One engine's result. */
export interface EngineReport {
  /** Such as `"core soak"`. */
  name: string;
  /** The settings it ran with, one line, for the table's caption and for replaying it. */
  settings: string;
  /** Rows of figures: each row a label and its values by column. */
  rows: Row[];
  /** Everything that broke an invariant; empty when the engine passed. */
  violations: string[];
  /** Wall time in milliseconds. */
  ms: number;
}

/** A row of figures. */
export interface Row {
  label: string;
  values: Record<string, string | number>;
}

/** Collects violations, keeping the first `limit` messages and counting the rest. */
export class Violations {
  readonly #messages: string[] = [];
  #more = 0;
  readonly #limit: number;

  constructor(limit = 50) {
    this.#limit = limit;
  }

  /** Records a violation. */
  add(message: string): void {
    if (this.#messages.length < this.#limit) this.#messages.push(message);
    else this.#more++;
  }

  /** How many were recorded in all. */
  get count(): number {
    return this.#messages.length + this.#more;
  }

  /** The messages, with a last line counting those left out. */
  list(): string[] {
    return this.#more === 0
      ? [...this.#messages]
      : [...this.#messages, `... and ${this.#more} more violations`];
  }
}

/** A number with thousands separators (`1,234,567`); fractions kept to `digits`. */
export function num(value: number, digits = 0): string {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Milliseconds as seconds with one decimal (`12.3 s`). */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Formats reports as Markdown tables, one per engine, with its violations under it. */
export function formatReports(reports: readonly EngineReport[]): string {
  const out: string[] = [];
  for (const report of reports) {
    const verdict = report.violations.length === 0
      ? "PASS"
      : `FAIL (${report.violations.length} violations)`;
    out.push(`### ${report.name}: ${verdict} in ${seconds(report.ms)}`, "");
    out.push(`Settings: ${report.settings}`, "");
    const columns = [...new Set(report.rows.flatMap((row) => Object.keys(row.values)))];
    if (columns.length > 0) {
      out.push(`| | ${columns.join(" | ")} |`);
      out.push(`| --- | ${columns.map(() => "---:").join(" | ")} |`);
      for (const row of report.rows) {
        const cells = columns.map((column) => {
          const value = row.values[column];
          return value === undefined ? "" : typeof value === "number" ? num(value) : value;
        });
        out.push(`| ${row.label} | ${cells.join(" | ")} |`);
      }
      out.push("");
    }
    for (const violation of report.violations) out.push(`- VIOLATION: ${violation}`);
    if (report.violations.length > 0) out.push("");
  }
  return out.join("\n");
}
