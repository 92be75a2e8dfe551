/**
 * Short, safe descriptions of argument values for error messages ("... current value is ...").
 *
 * @module
 */

const MAX_LENGTH = 80;

function truncate(text: string): string {
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH)}...` : text;
}

/** Describes any value in a few characters: strings quoted and escaped, objects as JSON. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return truncate(JSON.stringify(value));
    case "number":
    case "boolean":
    case "undefined":
      return String(value);
    case "bigint":
      return `${value}n`;
    case "symbol":
      return value.toString();
    case "function":
      return `function ${value.name || "(anonymous)"}`;
  }
  if (value === null) return "null";
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? "Invalid Date" : `Date ${value.toISOString()}`;
  }
  try {
    return truncate(JSON.stringify(value) ?? Object.prototype.toString.call(value));
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Builds `<subject> must be <expectation>: current value is <value>`. */
export function mustBe(subject: string, expectation: string, value: unknown): string {
  return `${subject} must be ${expectation}: current value is ${describeValue(value)}`;
}
