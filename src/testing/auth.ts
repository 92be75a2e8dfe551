/**
 * The `Authorization` check: `OAuth <token>`, `ApiKey <token>` or `Bearer <token>` (schemes
 * compared case-insensitively, as RFC 9110 says) with an accepted token.
 */

const SCHEMES: ReadonlySet<string> = new Set(["oauth", "apikey", "bearer"]);

/** The outcome of the check, and what may be logged of the header (never the token). */
export interface AuthResult {
  ok: boolean;
  /** The scheme word for the log; `null` without the header. */
  scheme: string | null;
  /** Why it failed, for the error message. */
  problem?: string;
}

/** Checks an `Authorization` header value against the accepted tokens. */
export function checkAuthorization(header: string | null, tokens: ReadonlySet<string>): AuthResult {
  if (header === null) {
    return { ok: false, scheme: null, problem: "Authorization header is required" };
  }
  const match = /^(\S*)(?:\s+(.*))?$/s.exec(header.trim());
  const word = match?.[1] ?? "";
  const token = match?.[2];
  const known = SCHEMES.has(word.toLowerCase());
  // A single unknown word is most likely a bare token: never log it.
  const scheme = known || (token !== undefined && !tokens.has(word)) ? word : "";
  if (!known) {
    return {
      ok: false,
      scheme,
      problem: "Authorization scheme must be OAuth, ApiKey or Bearer",
    };
  }
  if (token === undefined || !tokens.has(token)) {
    return { ok: false, scheme, problem: "Invalid or expired token" };
  }
  return { ok: true, scheme };
}
