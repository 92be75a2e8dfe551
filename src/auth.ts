/**
 * The `Authorization` header for a Toloka token, and keeping that token out of error messages.
 * (The `token` option itself is checked in `options.ts`.)
 *
 * @module
 */

const EXPLICIT_SCHEME = /^(?:OAuth|ApiKey|Bearer) +\S/i;

/**
 * The `Authorization` header value for a token.
 *
 * A token that starts with a scheme (`OAuth`, `ApiKey`, `Bearer`) is sent as given. Otherwise
 * it is an API key when it has exactly two dots and the first one sits at index 22, 23 or 24
 * (the rule of Toloka's Python client), else an OAuth token.
 */
export function authorizationHeader(token: string): string {
  if (EXPLICIT_SCHEME.test(token)) return token;
  const firstDot = token.indexOf(".");
  const dots = token.split(".").length - 1;
  const isApiKey = dots === 2 && firstDot >= 22 && firstDot <= 24;
  return `${isApiKey ? "ApiKey" : "OAuth"} ${token}`;
}

/** The secret part of a token: without its scheme, when it has one. */
export function credentialOf(token: string): string {
  return EXPLICIT_SCHEME.test(token) ? token.replace(/^\S+ +/, "") : token;
}

/** Replaces every occurrence of the secret in `text` (secrets shorter than 4 characters excepted). */
export function redact(text: string, secret: string): string {
  if (secret.length < 4 || !text.includes(secret)) return text;
  return text.split(secret).join("[redacted]");
}

/** Applies {@linkcode redact} to every string inside a JSON-like value. */
export function redactDeep(value: unknown, secret: string): unknown {
  if (typeof value === "string") return redact(value, secret);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secret));
  if (value !== null && typeof value === "object") {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      copy[redact(key, secret)] = redactDeep(item, secret);
    }
    return copy;
  }
  return value;
}
