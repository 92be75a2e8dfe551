/**
 * The fuzz generator: seeded requests to the Worker with random and malformed methods, paths,
 * query strings and headers. Pure: a case is a function of the run's seed and its index (each
 * case has its own seed), so any case can be regenerated alone.
 *
 * Keys are named, never embedded: a header holds a {@link keyRef} placeholder that the engine
 * replaces with the run's real key of that kind when it sends the request, so a case prints
 * without a secret in it and replays against any run's keys.
 *
 * @module
 */

import { mix32, Prng } from "../src/testing/mod.ts";

/** The splitmix32 finaliser (murmur3's after the golden-ratio increment). */
function splitmix32(value: number): number {
  return mix32(value + 0x9e3779b9);
}

/**
 * The seed of case number `index` of a run seeded with `seed`: each case has its own seed, so one
 * case can be replayed without generating the ones before it.
 */
export function caseSeed(seed: number, index: number): number {
  return splitmix32(splitmix32(seed >>> 0) ^ splitmix32(index + 0x632be5ab));
}

/** The kinds of API key a case can present. */
export const KEY_KINDS = [
  "scoped", // valid, pools ["1"]
  "all", // valid, pools null
  "expired",
  "revoked",
  "unknown", // well-shaped, never issued
] as const;
/** A kind of API key. */
export type KeyKind = typeof KEY_KINDS[number];

/** The placeholder of a key of `kind` in a header value. */
export function keyRef(kind: KeyKind): string {
  return `\u0001key:${kind}\u0001`;
}

/** Replaces key placeholders with real keys. */
export function resolveKeys(text: string, keys: Readonly<Record<KeyKind, string>>): string {
  // deno-lint-ignore no-control-regex -- the placeholder's delimiter is a control character
  return text.replace(/\u0001key:([a-z]+)\u0001/g, (_, kind: KeyKind) => keys[kind]);
}

/** Replaces key placeholders with labels such as `<scoped key>`, for printing a case. */
export function labelKeys(text: string): string {
  return resolveKeys(text, {
    scoped: "<scoped key>",
    all: "<all key>",
    expired: "<expired key>",
    revoked: "<revoked key>",
    unknown: "<unknown key>",
  });
}

/** The ids the generator names: deterministic for an emulator seed. */
export interface FuzzWorld {
  /** Attachment ids of pool 1 (the scoped key's pool). */
  ownIds: readonly string[];
  /** Attachment ids of other pools. */
  otherIds: readonly string[];
  /** Assignment ids of pool 1. */
  ownAssignments: readonly string[];
  /** Assignment ids of other pools. */
  otherAssignments: readonly string[];
}

/** One generated request. */
export interface FuzzCase {
  /** Its index in the run. */
  index: number;
  /** Its own seed (derived from the run's seed and the index). */
  seed: number;
  method: string;
  /** Path and query as written, before the URL parser normalises them. */
  target: string;
  /** Header name and value pairs, in order (a name may repeat). Values may hold key refs. */
  headers: [string, string][];
  body: string | null;
  /** What the generator did, for a failure report. */
  notes: string[];
}

const SAFE_METHODS = ["GET", "GET", "GET", "GET", "GET", "GET", "GET", "GET", "HEAD"];
const OTHER_METHODS = [
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
  "patch",
  "get",
  "PROPFIND",
  "PURGE",
  "X-TOLOKA",
];

const INJECTIONS = [
  "' OR '1'='1",
  "1; DROP TABLE attachments;--",
  '{"$ne":null}',
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "${jndi:ldap://127.0.0.1/x}",
  "{{7*7}}",
  "${7*7}",
  "../../../../etc/passwd",
  "..\\..\\windows\\win.ini",
  "%00",
  "\u0000",
  "\r\nSet-Cookie: a=b",
  "\nX-Injected: 1",
  "1&pool_id=2",
  "1#fragment",
  "?pool_id=2",
  '=HYPERLINK("http://x")',
  "__proto__",
  "constructor",
  "\\u0000",
  "%2e%2e%2f",
  "tae_" + "A".repeat(32),
  "null",
  "undefined",
  "NaN",
  "-1",
  "9".repeat(40),
  "0x10",
  " ",
  "\t",
];

const UNICODE = [
  "фото",
  "照片",
  "😀",
  "e\u0301",
  "\u202egnp.exe",
  "\u200b",
  "\ufeff",
  "\ud83d\ude00\ud83d\ude00",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
  "ﷺ",
  "\u00ff\u00fe",
  "İ",
];

const VALID_DATES = [
  "2016-05-25T16:14:27",
  "2016-05-25T16:14:27.748",
  "2016-05-25T16:14:27.748123",
  "2016-05-25",
  "2016-05-25T16:14:27Z",
  "2016-05-25T16:14:27+03:00",
  "2016-05-25T16:14:27-0130",
  "2000-01-01T00:00:00.5",
  "2030-12-31T23:59:59.999999",
  "0000-01-01T00:00:00+01:00",
  "0000-01-01",
  "9999-12-31T23:59:59-01:00",
  "9999-12-31T23:59:59.999999",
  "2016-05-25T16:14:27.123456+14:00",
  "2016-05-25T16:14:27.12345678",
  "2016-05-25 16:14:27",
  "2016-05-25t16:14:27z",
  " 2016-05-25 ",
  "2016-05-25T16:14:27.000000000Z",
  "2016-02-29",
  "1970-01-01T00:00:00+00",
];
const INVALID_DATES = [
  "2015-02-29",
  "2016-05-25T24:00:00",
  "2016-05-25T23:60:00",
  "2016-05-25T16:14:60",
  "-2016-05-25",
  "yesterday",
  "2016-13-01",
  "2016-02-30",
  "2016-05-25T25:00:00",
  "2016-05-25T16:14:27.1234567",
  "25.05.2016",
  "2016/05/25",
  "1464193467",
  "2016-05-25T16:14",
  "+002016-05-25",
  "2016-05-25T16:14:27+25:00",
];
const SORTS_VALID = ["id", "-id", "created", "-created", "created,id", "-created,-id"];
const SORTS_LIST_ONLY = ["id,created", "-id,created", "created,-id"];
const SORTS_INVALID = ["name", "id,id", "created,created", "", ",", "id,", "+id", "ID", "--id"];
const LIMITS_VALID = ["1", "20", "100", "050", "0099"];
const LIMITS_INVALID = ["0", "101", "-1", "1.5", "1e2", "abc", " 5", "٣", "10000", "0x10"];

/** Every filter parameter of the listing routes (the fuzz's own list, independent of the code under test). */
export const FILTERS: readonly string[] = [
  "pool_id",
  "assignment_id",
  "user_id",
  "name",
  "type",
  "owner_id",
  "owner_company_id",
  "id_gt",
  "id_gte",
  "id_lt",
  "id_lte",
  "created_gt",
  "created_gte",
  "created_lt",
  "created_lte",
];
const FREE_TEXT = [
  "user_id",
  "name",
  "type",
  "owner_id",
  "owner_company_id",
  "id_gt",
  "id_gte",
  "id_lt",
  "id_lte",
];
const DATE_FIELDS = ["created_gt", "created_gte", "created_lt", "created_lte"];

const UNKNOWN_NAMES = [
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "pool_id[]",
  "POOL_ID",
  "pool_id ",
  " pool_id",
  "poolId",
  "pool",
  "page",
  "offset",
  "cursor",
  "fields",
  "format",
  "token",
  "api_key",
  "callback",
  "filter[pool_id]",
  "a.b",
  "",
];

const RAW_FRAGMENTS = ["", "&", "&&", "=", "=x", "%", "%zz", "a=%zz", "pool_id", "+", "%26", ";"];

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Generates case `index` of a run seeded with `seed`. */
export function generateCase(world: FuzzWorld, seed: number, index: number): FuzzCase {
  const own = caseSeed(seed, index);
  const rng = Prng.splitmix(own);
  const notes: string[] = [];
  const method = rng.chance(0.85) ? rng.pick(SAFE_METHODS) : rng.pick(OTHER_METHODS);
  const target = path(rng, world, notes) + query(rng, world, notes);
  const headers = headerList(rng, notes);
  const body = method !== "GET" && method !== "HEAD" && method !== "get" && rng.chance(0.5)
    ? randomValue(rng, notes)
    : null;
  return { index, seed: own, method, target, headers, body, notes };
}

function path(rng: Prng, world: FuzzWorld, notes: string[]): string {
  const roll = rng.next();
  if (roll < 0.32) return mangle(rng, "/api/v1/attachments", notes);
  if (roll < 0.44) return mangle(rng, "/api/v1/attachments.ndjson", notes);
  if (roll < 0.52) return mangle(rng, "/api/v1/attachments.csv", notes);
  if (roll < 0.68) return `/api/v1/attachments/${id(rng, world, notes)}`;
  if (roll < 0.76) return `/api/v1/attachments/${id(rng, world, notes)}/download`;
  if (roll < 0.80) return mangle(rng, "/health", notes);
  if (roll < 0.83) return rng.pick(["/", "/gallery.js", "/gallery.css", "/favicon.ico"]);
  notes.push("unknown path");
  return rng.pick([
    "/api/v2/attachments",
    "/API/V1/ATTACHMENTS",
    "/api/v1/attachment",
    "/api/v1/attachments.json",
    "/api/v1/attachments.ndjson.csv",
    "/api/v1/attachments/x/y/z",
    "/api/v1/pools",
    "/.env",
    "/wrangler.toml",
    "/.dev.vars",
    "/admin",
    "//api/v1/attachments",
    "/api//v1/attachments",
    "/%61pi/v1/attachments",
    "/api/v1/attachments%2Fx",
    "/api/v1/%2e%2e/%2e%2e/health",
    `/${"a".repeat(rng.between(1, 8000))}`,
    `/${encodeURIComponent(rng.pick(UNICODE))}`,
    "/api/v1/attachments/../../.dev.vars",
    "/cdn-cgi/trace",
    "/favicon.ico/x",
  ]);
}

function mangle(rng: Prng, route: string, notes: string[]): string {
  if (!rng.chance(0.12)) return route;
  notes.push("mangled path");
  return rng.pick([
    `${route}/`,
    `${route}//`,
    route.replace("/v1/", "/v1/./"),
    route.replace("/api/", "/api/x/../"),
    route.toUpperCase(),
    route.replace("attachments", "attachments%2e"),
  ]);
}

function id(rng: Prng, world: FuzzWorld, notes: string[]): string {
  const roll = rng.next();
  if (roll < 0.3) {
    notes.push("own id");
    return encodeURIComponent(rng.pick(world.ownIds));
  }
  if (roll < 0.5) {
    notes.push("another pool's id");
    return encodeURIComponent(rng.pick(world.otherIds));
  }
  if (roll < 0.6) {
    notes.push("guessed id");
    const hex = (n: number): string => rng.string("0123456789abcdef", n);
    const guess = `${hex(8)}-${hex(4)}-4${hex(3)}-${hex(4)}-${hex(12)}`;
    return rng.chance(0.3) ? `fr.${guess}` : guess;
  }
  if (roll < 0.82) {
    notes.push("malformed id");
    return rng.pick([
      "%00",
      "a%0Ab",
      "a%7Fb",
      "%2F",
      "a%2Fb",
      "%2E",
      "%2e%2e",
      "x".repeat(201),
      "y".repeat(200),
      "%E0%A4%A",
      "%",
      "%zz",
      "%C0%AF",
      "%FF",
      "%09",
      "...",
      "%20",
      "a%00b",
    ]);
  }
  notes.push("odd id");
  return encodeURIComponent(rng.chance(0.5) ? rng.pick(INJECTIONS) : rng.pick(UNICODE));
}

function query(rng: Prng, world: FuzzWorld, notes: string[]): string {
  if (rng.chance(0.12)) return "";
  const parts: string[] = [];
  // A pool or assignment named most of the time, as a real caller would.
  const naming = rng.next();
  if (naming < 0.45) parts.push("pool_id=1");
  else if (naming < 0.55) parts.push("pool_id=2");
  else if (naming < 0.6) parts.push(`pool_id=${encodeURIComponent(randomValue(rng, notes))}`);
  else if (naming < 0.68) {
    parts.push(`assignment_id=${encodeURIComponent(rng.pick(world.ownAssignments))}`);
  } else if (naming < 0.74) {
    parts.push(`assignment_id=${encodeURIComponent(rng.pick(world.otherAssignments))}`);
  } else if (naming < 0.78) {
    parts.push(`assignment_id=${encodeURIComponent(randomValue(rng, notes))}`);
  } else if (naming < 0.82) {
    parts.push(
      "pool_id=1",
      `assignment_id=${encodeURIComponent(rng.pick(world.otherAssignments))}`,
    );
  } else notes.push("no pool named");

  const extra = rng.between(0, 5);
  for (let i = 0; i < extra; i++) {
    const roll = rng.next();
    if (roll < 0.3) {
      parts.push(`${rng.pick(FREE_TEXT)}=${encodeURIComponent(randomValue(rng, notes))}`);
    } else if (roll < 0.4) {
      const valid = rng.chance(0.6);
      notes.push(valid ? "date" : "bad date");
      const date = rng.pick(valid ? VALID_DATES : INVALID_DATES);
      parts.push(`${rng.pick(DATE_FIELDS)}=${encodeURIComponent(date)}`);
    } else if (roll < 0.52) {
      const sort = rng.pick([...SORTS_VALID, ...SORTS_LIST_ONLY, ...SORTS_INVALID]);
      parts.push(`sort=${encodeURIComponent(sort)}`);
    } else if (roll < 0.62) {
      parts.push(`limit=${encodeURIComponent(rng.pick([...LIMITS_VALID, ...LIMITS_INVALID]))}`);
    } else if (roll < 0.72) {
      notes.push("unknown parameter");
      const name = rng.chance(0.5) ? rng.pick(UNKNOWN_NAMES) : randomName(rng);
      parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(randomValue(rng, notes))}`);
    } else if (roll < 0.78) {
      notes.push("repeated parameter");
      const name = rng.pick(FILTERS);
      parts.push(`${name}=1`, `${name}=2`);
    } else if (roll < 0.84) {
      notes.push("empty value");
      parts.push(`${rng.pick([...FILTERS, "sort", "limit"])}=`);
    } else if (roll < 0.88) {
      notes.push("huge value");
      parts.push(`${rng.pick(FREE_TEXT)}=${"z".repeat(rng.between(1_000, 20_000))}`);
    } else if (roll < 0.94) {
      notes.push("raw fragment");
      parts.push(rng.pick(RAW_FRAGMENTS));
    } else {
      notes.push("unencoded value");
      // deno-lint-ignore no-control-regex -- a URL cannot carry them unencoded
      const raw = rng.pick(INJECTIONS).replace(/[\u0000-\u001f]/g, "");
      parts.push(`${rng.pick(FREE_TEXT)}=${raw}`);
    }
  }
  // Shuffled, so validation cannot depend on the order of parameters.
  for (let i = parts.length - 1; i > 0; i--) {
    const j = rng.between(0, i);
    [parts[i], parts[j]] = [parts[j]!, parts[i]!];
  }
  return `?${parts.join(rng.chance(0.05) ? "&&" : "&")}`;
}

function randomName(rng: Prng): string {
  return rng.string("abcdefghijklmnopqrstuvwxyz_[].-", rng.between(1, 24));
}

function randomValue(rng: Prng, notes: string[]): string {
  const roll = rng.next();
  if (roll < 0.35) return rng.string("abcdefghijklmnopqrstuvwxyz0123456789-_.", rng.between(1, 40));
  if (roll < 0.6) {
    notes.push("injection-looking value");
    return rng.pick(INJECTIONS);
  }
  if (roll < 0.8) {
    notes.push("unicode value");
    return rng.pick(UNICODE) + rng.pick(UNICODE);
  }
  if (roll < 0.9) return String(rng.between(-10, 1_000_000));
  notes.push("long value");
  return rng.string("abcdef", rng.between(100, 1_100));
}

function headerList(rng: Prng, notes: string[]): [string, string][] {
  const headers: [string, string][] = [];
  const roll = rng.next();
  if (roll < 0.08) notes.push("no Authorization");
  else {
    headers.push(["Authorization", authorization(rng, notes)]);
    if (rng.chance(0.05)) {
      notes.push("Authorization twice");
      headers.push(["Authorization", authorization(rng, notes)]);
    }
  }
  const extra = rng.between(0, 4);
  for (let i = 0; i < extra; i++) headers.push(extraHeader(rng, notes));
  return headers;
}

function authorization(rng: Prng, notes: string[]): string {
  const roll = rng.next();
  const scheme = rng.pick(["OAuth", "ApiKey", "Bearer", "oauth", "BEARER", "apikey"]);
  if (roll < 0.55) {
    const kind = rng.chance(0.85) ? "scoped" : "all";
    notes.push(`${kind} key`);
    const spaces = rng.chance(0.1) ? "   " : " ";
    return `${scheme}${spaces}${keyRef(kind)}${rng.chance(0.05) ? "  " : ""}`;
  }
  if (roll < 0.7) {
    const kind = rng.pick(["expired", "revoked", "unknown"] as const);
    notes.push(`${kind} key`);
    return `${scheme} ${keyRef(kind)}`;
  }
  if (roll < 0.8) {
    notes.push("wrong scheme");
    return rng.pick([
      `Basic ${keyRef("scoped")}`,
      `Digest ${keyRef("scoped")}`,
      `Token ${keyRef("scoped")}`,
      `OAuth:${keyRef("scoped")}`,
      keyRef("scoped"),
      `${keyRef("scoped")} OAuth`,
      `OAuth ${keyRef("scoped")} extra`,
      `OAuth\t${keyRef("scoped")}`,
      "OAuth",
      "Bearer ",
      "Basic dXNlcjpwYXNz",
    ]);
  }
  if (roll < 0.93) {
    notes.push("malformed key");
    return `${scheme} ${
      rng.pick([
        `tae_${rng.string(B64URL, 31)}`,
        `tae_${rng.string(B64URL, 33)}`,
        `TAE_${rng.string(B64URL, 32)}`,
        `tae_${rng.string(B64URL, 31)}.`,
        `tae_${rng.string(B64URL, 30)}+/`,
        `tak_${rng.string(B64URL, 32)}`,
        rng.string(B64URL, rng.between(1, 64)),
        rng.string(TOKEN_CHARS, rng.between(1, 64)),
        `${keyRef("scoped")}x`,
        `x${keyRef("scoped")}`,
      ])
    }`;
  }
  notes.push("very long Authorization");
  return `${scheme} ${rng.string(B64URL, rng.between(1_000, 16_000))}`;
}

function extraHeader(rng: Prng, notes: string[]): [string, string] {
  const roll = rng.next();
  if (roll < 0.6) {
    const [name, value] = rng.pick<[string, string]>([
      ["X-Forwarded-For", "127.0.0.1, 10.0.0.1"],
      ["CF-Connecting-IP", "1.2.3.4"],
      ["X-Real-IP", "::1"],
      ["Cookie", "session=abc; key=tae_x"],
      ["Origin", "https://evil.example"],
      ["Referer", "https://evil.example/?token=x"],
      ["Accept", "text/html"],
      ["Accept", "application/xml"],
      ["Accept-Encoding", "gzip"],
      ["Accept-Encoding", "identity"],
      ["Range", "bytes=0-10"],
      ["Range", "bytes=-5"],
      ["If-None-Match", '"abc"'],
      ["If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT"],
      ["Content-Type", "application/x-www-form-urlencoded"],
      ["X-Request-Id", "attacker-chosen-id"],
      ["X-HTTP-Method-Override", "DELETE"],
      ["X-Api-Key", keyRef("scoped")],
      ["Proxy-Authorization", `OAuth ${keyRef("scoped")}`],
      ["Authorization2", `OAuth ${keyRef("scoped")}`],
      ["Cache-Control", "no-cache"],
      ["Pragma", "no-cache"],
      ["Forwarded", "for=127.0.0.1;proto=https"],
    ]);
    return [name, value];
  }
  notes.push("garbage header");
  const name = rng.string(TOKEN_CHARS, rng.between(1, 40));
  const value = rng.chance(0.1)
    ? rng.string("abc", rng.between(1_000, 8_000))
    : rng.string(' !"#abcXYZ0123456789;=,/\u00e9\u00ff', rng.between(0, 60)).trim();
  return [name, value];
}
