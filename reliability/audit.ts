/**
 * A static audit of the Worker's sources: no secret is compared with `===`, `!==`, `==` or `!=`
 * (or used as a `Map`/`Set` key) as a raw string. A raw key is hashed first and looked up by its
 * hash; a sealed token is opened by AES-GCM, whose tag check is the library's; so the time a
 * lookup takes cannot tell an attacker how much of a guessed key was right.
 *
 * The audit strips comments and string literals, finds every equality comparison and every
 * `.get(`/`.has(` call, and flags those whose operand names a value that holds a secret
 * (the presented key, the Authorization header, the upstream token, a sealed token, the sealing
 * key). A comparison with `null`, `undefined`, a number, a `typeof` or a `.length` reveals
 * nothing of the secret's content and is not flagged.
 *
 * @module
 */

/** A comparison or lookup that involves a secret. */
export interface AuditFinding {
  file: string;
  line: number;
  /** The expression, as written (comments and strings blanked). */
  code: string;
}

/** Names that hold a secret in the Worker's sources. */
const SECRET_NAMES =
  /\b(rawKey|presented|header|authorization|match\[2\]|upstreamToken|upstream_token|token|sealed|secret|sealingKey|TOKEN_SEALING_KEY|key)\b/;
/** Operands that reveal nothing of a secret's content when compared. */
const HARMLESS = /^(null|undefined|true|false|-?\d+(\.\d+)?|typeof\s.+|.+\.length|SEAL_VERSION)$/;

/** Blanks comments and string literals (keeping line breaks), so only code is searched. */
export function codeOnly(source: string): string {
  let out = "";
  let i = 0;
  const blank = (text: string): string => text.replace(/[^\n]/g, " ");
  while (i < source.length) {
    const rest = source.slice(i);
    const comment = /^(\/\/[^\n]*|\/\*[\s\S]*?\*\/)/.exec(rest);
    if (comment) {
      out += blank(comment[0]);
      i += comment[0].length;
      continue;
    }
    const quote = source[i]!;
    if (quote === '"' || quote === "'" || quote === "`") {
      let j = i + 1;
      while (j < source.length && source[j] !== quote) j += source[j] === "\\" ? 2 : 1;
      out += quote + blank(source.slice(i + 1, j)) + quote;
      i = j + 1;
      continue;
    }
    // A regular expression literal after an operator or an opening bracket.
    if (quote === "/" && /[=(,:!&|?{};]\s*$|return\s*$/.test(out)) {
      const literal = /^\/(?:\\.|\[(?:\\.|[^\]])*\]|[^/\\\n[])+\/[dgimsuvy]*/.exec(rest);
      if (literal) {
        out += blank(literal[0]);
        i += literal[0].length;
        continue;
      }
    }
    out += quote;
    i++;
  }
  return out;
}

/** The operands of each equality comparison in a line of code. */
function comparisons(line: string): [string, string][] {
  const found: [string, string][] = [];
  const operator = /(!==|===|!=|==)/g;
  for (let match; (match = operator.exec(line)) !== null;) {
    const left = line.slice(0, match.index).split(
      /\(|,|&&|\|\||\?|:|;|\{|\breturn\b|[^=!<>]=[^=]|!(?!=)/,
    )
      .at(-1)!.trim();
    const right = line.slice(match.index + match[0].length).split(/\)|,|&&|\|\||\?|;|\}/)[0]!
      .trim();
    found.push([left, right]);
  }
  return found;
}

/**
 * Findings reviewed and accepted, by file and code, with the reason. Anything else fails.
 */
export const ACCEPTED: readonly { file: string; code: string; reason: string }[] = [{
  file: "src/keys/seal.ts",
  code: "let key = importedKeys.get(secret);",
  reason: "the imported TOKEN_SEALING_KEY cached by its value: the secret comes from the " +
    "Worker's own environment, never from a request, so no caller can time guesses against it",
}];

/** Audits sources (path and text); returns every comparison or lookup keyed by a secret. */
export function auditSecretComparisons(
  files: readonly { path: string; text: string }[],
  accepted: readonly { file: string; code: string }[] = ACCEPTED,
): AuditFinding[] {
  const findings: AuditFinding[] = [];
  for (const { path, text } of files) {
    const lines = codeOnly(text).split("\n");
    lines.forEach((line, index) => {
      for (const [left, right] of comparisons(line)) {
        if (HARMLESS.test(left) || HARMLESS.test(right)) continue;
        if (SECRET_NAMES.test(left) || SECRET_NAMES.test(right)) {
          findings.push({ file: path, line: index + 1, code: line.trim() });
        }
      }
      for (const lookup of line.matchAll(/\.(get|has)\(([^()]*)\)/g)) {
        const argument = lookup[2]!.trim();
        // A hash (`kvKey`) or a header name is fine; the secret itself is not.
        if (SECRET_NAMES.test(argument) && !/kvKey|Key\(|^[A-Z_]+$/.test(argument)) {
          findings.push({ file: path, line: index + 1, code: line.trim() });
        }
      }
    });
  }
  return findings.filter((f) => !accepted.some((a) => a.file === f.file && a.code === f.code));
}

/**
 * Reads the Worker's sources: every `worker/*.ts`, and the key record code it shares with the
 * command line (`src/keys/*.ts`, the package's `./keys` entry point).
 */
export async function workerSources(root: URL): Promise<{ path: string; text: string }[]> {
  const files: { path: string; text: string }[] = [];
  for (const folder of ["worker/", "src/keys/"]) {
    for await (const entry of Deno.readDir(new URL(folder, root))) {
      if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
      const path = `${folder}${entry.name}`;
      files.push({ path, text: await Deno.readTextFile(new URL(path, root)) });
    }
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
