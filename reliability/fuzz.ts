/**
 * The Worker fuzz: thousands of generated requests (see `fuzz_cases.ts`) sent one at a time to
 * the real bundled Worker in workerd, with the emulator as its upstream, each answer checked
 * against invariants and an oracle of its exact status.
 *
 * Invariants, for every request:
 * - never a 5xx;
 * - every answer has an `X-Request-Id`; every 4xx is Toloka's error body (`request_id`, `code`,
 *   `message`, `payload`, in that order, `request_id` equal to the header, the code of its status);
 * - the status is the one the oracle computes from the request as sent (route, method, key,
 *   parameters, scope);
 * - no upstream request for invalid input (every 400, 401, 404 of an unknown route and 405, and
 *   every 403 that names a pool directly), and for valid input only the upstream requests the
 *   route needs, scoped: a key of pool 1 never makes the Worker ask upstream for another pool;
 * - a listing, export or attachment answered 200 holds only attachments the key may see;
 * - no secret in any header block, body or log line.
 *
 * Seeded: a failure names the run's seed and the case's index, and `fuzzWorker({ seed, only:
 * [index] })` (or `main.ts --only fuzz --seed S --case I`) replays exactly that request.
 *
 * @module
 */

import { OTHER_ACCOUNT_TOKEN, startEdge, UPSTREAM_TOKEN } from "../tests/edge_harness.ts";
import { revokeKey } from "../src/keys/mod.ts";
import { parseExportQuery, parseListQuery } from "../mod.ts";
import type { RequestLogEntry, WireAttachment } from "../src/testing/mod.ts";
import {
  FILTERS,
  type FuzzCase,
  type FuzzWorld,
  generateCase,
  KEY_KINDS,
  type KeyKind,
  labelKeys,
  resolveKeys,
} from "./fuzz_cases.ts";
import { type EngineReport, num, Violations } from "./report.ts";
import { SecretScanner } from "./secrets.ts";

/** Settings of {@link fuzzWorker}. */
export interface FuzzOptions {
  /** Requests to generate and send. @default 10_000 */
  cases?: number;
  /** The run's seed. @default 1 */
  seed?: number;
  /** Only these case indexes (a replay). */
  only?: readonly number[];
  /** The fuzz is stopped (and fails) after this long. @default 300_000 */
  deadlineMs?: number;
}

/** What the oracle expects of a request. */
export interface Expectation {
  /** The exact status. */
  status: number;
  /** Which route answers (`null`: none). */
  route: Route | null;
  /** Upstream requests allowed: `"none"`, or what a valid request of the route needs. */
  upstream: "none" | "route";
  /** The key's scope when it is valid: `"1"` or `"all"`. */
  scope: "1" | "all" | null;
  /** The attachment id of an id route (decoded). */
  id?: string;
  /**
   * Answered by the platform before the Worker runs: workerd for a method it does not know
   * (`501`), Miniflare (Cloudflare's edge in production) for its reserved `/cdn-cgi/` paths
   * (`status` 0: not checked).
   */
  runtime?: true;
}

type Route =
  | "home"
  | "script"
  | "style"
  | "favicon"
  | "health"
  | "list"
  | "ndjson"
  | "csv"
  | "attachment"
  | "download";

const ROUTES: [Route, RegExp][] = [
  // itty-router 5 matches `^<path>/*$` on the encoded pathname; `:id` is one segment.
  ["home", /^\/*$/],
  ["script", /^\/gallery\.js\/*$/],
  ["style", /^\/gallery\.css\/*$/],
  ["favicon", /^\/favicon\.ico\/*$/],
  ["health", /^\/health\/*$/],
  ["list", /^\/api\/v1\/attachments\/*$/],
  ["ndjson", /^\/api\/v1\/attachments\.ndjson\/*$/],
  ["csv", /^\/api\/v1\/attachments\.csv\/*$/],
  ["attachment", /^\/api\/v1\/attachments\/([^/]+?)\/*$/],
  ["download", /^\/api\/v1\/attachments\/([^/]+?)\/download\/*$/],
];
/**
 * The methods workerd's HTTP server accepts (case-sensitive); it answers any other with its own
 * `501 Unrecognized request method` before a Worker sees the request. (This list covers the
 * methods the generator uses.)
 */
const WORKERD_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "PURGE",
  "OPTIONS",
  "PROPFIND",
  "SEARCH",
  "COPY",
]);
const STATIC_STATUS: Partial<Record<Route, number>> = {
  home: 200,
  script: 200,
  style: 200,
  favicon: 204,
  health: 200,
};
const FILTER_NAMES: ReadonlySet<string> = new Set(FILTERS);
const CODES: Record<number, string> = {
  400: "VALIDATION_ERROR",
  401: "AUTHENTICATION_ERROR",
  403: "ACCESS_DENIED",
  404: "DOES_NOT_EXIST",
  405: "METHOD_NOT_ALLOWED",
  429: "TOO_MANY_REQUESTS",
};

/** The identities the oracle knows: which ids and assignments belong where. */
export interface OracleWorld extends FuzzWorld {
  /** Every attachment id, for keys with every pool. */
  allIds: ReadonlySet<string>;
  /** Assignment id to its pool. */
  assignmentPool: ReadonlyMap<string, string>;
}

/** Builds the world of an emulator's data: pool "1" is the scoped key's. */
export function worldOf(attachments: readonly WireAttachment[]): OracleWorld {
  const own = attachments.filter((a) => a.details.pool_id === "1");
  const other = attachments.filter((a) => a.details.pool_id !== "1");
  return {
    ownIds: own.map((a) => a.id),
    otherIds: other.map((a) => a.id),
    ownAssignments: [...new Set(own.map((a) => a.details.assignment_id))],
    otherAssignments: [...new Set(other.map((a) => a.details.assignment_id))],
    allIds: new Set(attachments.map((a) => a.id)),
    assignmentPool: new Map(attachments.map((a) => [a.details.assignment_id, a.details.pool_id])),
  };
}

/**
 * The oracle: the status the Worker must answer a request with, and what it may send upstream.
 * `authorization` is the header as the Worker receives it (repeated headers joined by `, `), with
 * real keys; `keys` maps each valid key to its scope.
 */
export function expect(
  world: OracleWorld,
  method: string,
  url: URL,
  authorization: string | null,
  keys: ReadonlyMap<string, "1" | "all">,
): Expectation {
  const none = (status: number, route: Route | null = null): Expectation => ({
    status,
    route,
    upstream: "none",
    scope: null,
  });
  let route: Route | null = null;
  let rawId: string | undefined;
  for (const [name, pattern] of ROUTES) {
    const match = pattern.exec(url.pathname);
    if (match) {
      route = name;
      rawId = match[1];
      break;
    }
  }
  if (!WORKERD_METHODS.has(method)) return { ...none(501, route), runtime: true };
  if (url.pathname.startsWith("/cdn-cgi/")) return { ...none(0), runtime: true };
  if (method !== "GET" && method !== "HEAD") return none(405, route);
  if (route === null) return none(404);
  const fixed = STATIC_STATUS[route];
  if (fixed !== undefined) return none(fixed, route);
  // HEAD on an API route: refused like any other method but GET (the Worker answers no HEAD
  // of its own there: an export or a download would start upstream work for nothing).
  if (method === "HEAD") return none(405, route);

  const auth = authorization === null ? null : /^(\S+) +(\S+)\s*$/.exec(authorization);
  const scope = auth && ["oauth", "apikey", "bearer"].includes(auth[1]!.toLowerCase())
    ? keys.get(auth[2]!) ?? null
    : null;
  if (scope === null) return none(401, route);

  if (route === "attachment" || route === "download") {
    let id: string;
    try {
      id = decodeURIComponent(rawId ?? "");
    } catch {
      return none(400, route);
    }
    // deno-lint-ignore no-control-regex -- control characters are what the Worker refuses
    if (!id || id === "." || id === ".." || id.length > 200 || /[\u0000-\u001f\u007f/]/.test(id)) {
      return none(400, route);
    }
    // These routes take no parameters: any is refused like an unknown one of the listing.
    if ([...url.searchParams.keys()].length > 0) return none(400, route);
    const visible = scope === "all" ? world.allIds.has(id) : world.ownIds.includes(id);
    return { status: visible ? 200 : 404, route, upstream: "route", scope, id };
  }

  // A listing or an export: every parameter checked, all at once.
  const allowed = new Set([...FILTER_NAMES, "sort", ...(route === "list" ? ["limit"] : [])]);
  const seen = new Map<string, number>();
  for (const [name] of url.searchParams) seen.set(name, (seen.get(name) ?? 0) + 1);
  let invalid = false;
  const values = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    if (!allowed.has(name) || seen.get(name)! > 1 || value === "" || value.length > 1024) {
      invalid = true;
    } else values.set(name, value);
  }
  for (const [name, value] of values) {
    if (name.startsWith("created_") && !validParam(route, name, value)) invalid = true;
    if (name === "limit" && !(/^\d{1,4}$/.test(value) && +value >= 1 && +value <= 100)) {
      invalid = true;
    }
    if (name === "sort" && !validParam(route, name, value)) invalid = true;
  }
  const pool = values.get("pool_id");
  const assignment = values.get("assignment_id");
  if (
    pool === undefined && assignment === undefined && !seen.has("pool_id") &&
    !seen.has("assignment_id")
  ) {
    invalid = true;
  }
  if (invalid) return none(400, route);
  if (scope === "1") {
    if (pool !== undefined && pool !== "1") return { ...none(403, route), scope };
    if (assignment === undefined) return { status: 200, route, upstream: "route", scope };
    // An assignment is probed upstream for its pool; an unknown one is refused like a foreign
    // one, with or without pool_id.
    const assignmentPool = world.assignmentPool.get(assignment);
    return { status: assignmentPool === "1" ? 200 : 403, route, upstream: "route", scope };
  }
  return { status: 200, route, upstream: "route", scope };
}

/** Whether the core's query parser takes `value` for `name` (next to a valid `pool_id`). */
function validParam(route: Route, name: string, value: string): boolean {
  const params = new URLSearchParams([["pool_id", "1"], [name, value]]);
  return (route === "list" ? parseListQuery(params) : parseExportQuery(params)).ok;
}

/** Runs the fuzz; returns its figures and violations. */
export async function fuzzWorker(options: FuzzOptions = {}): Promise<EngineReport> {
  const count = options.cases ?? 10_000;
  const seed = options.seed ?? 1;
  const indexes = options.only ?? Array.from({ length: count }, (_, i) => i);
  const deadline = Date.now() + (options.deadlineMs ?? 300_000);
  const started = performance.now();
  const violations = new Violations(40);
  const secrets = new SecretScanner();
  const edge = await startEdge({ emulator: { pools: [120, 40, 10] } });
  try {
    const world = worldOf(edge.emulator.attachments);
    const issued = {
      scoped: await edge.issue({ name: "fuzz pool 1", pools: ["1"] }),
      all: await edge.issue({ name: "fuzz every pool", pools: null }),
      expired: await edge.issue({
        name: "fuzz expired",
        now: new Date(Date.now() - 3_600_000),
        expiresAt: new Date(Date.now() - 1_800_000),
      }),
      revoked: await edge.issue({ name: "fuzz revoked" }),
    };
    await revokeKey(edge.kv, issued.revoked.key);
    const keys: Record<KeyKind, string> = {
      scoped: issued.scoped.key,
      all: issued.all.key,
      expired: issued.expired.key,
      revoked: issued.revoked.key,
      unknown: `tae_${"Q".repeat(16)}${"w".repeat(16)}`,
    };
    const scopes = new Map<string, "1" | "all">([[keys.scoped, "1"], [keys.all, "all"]]);
    secrets.add("upstream token", UPSTREAM_TOKEN);
    secrets.add("other account's token", OTHER_ACCOUNT_TOKEN);
    secrets.add("sealing key", edge.sealingKey);
    for (const kind of KEY_KINDS) secrets.add(`${kind} key`, keys[kind]);
    for (const [kind, { record }] of Object.entries(issued)) {
      secrets.add(`${kind} key's sealed token`, record.upstream_token);
    }

    const statuses = new Map<number, number>();
    let upstreamTotal = 0;
    let sent = 0;
    let unsendable = 0;
    let byRuntime = 0;
    let workerErrors = 0;
    const failed = new Set<number>();
    for (const index of indexes) {
      if (Date.now() > deadline) {
        violations.add(`deadline passed after ${sent} requests (seed ${seed})`);
        break;
      }
      const fuzz = generateCase(world, seed, index);
      const fail = (message: string): void => {
        failed.add(index);
        violations.add(`${message} -- ${describe(fuzz, seed)}`);
      };
      let request: Request;
      try {
        const headers = new Headers();
        for (const [name, value] of fuzz.headers) headers.append(name, resolveKeys(value, keys));
        request = new Request(`${edge.url}${fuzz.target}`, {
          method: fuzz.method,
          headers,
          body: fuzz.body,
        });
      } catch {
        unsendable++;
        continue;
      }
      const url = new URL(request.url);
      const expected = expect(
        world,
        request.method,
        url,
        request.headers.get("Authorization"),
        scopes,
      );
      const before = edge.emulator.requests.length;
      let response: Response;
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        response = await fetch(request);
        bytes = new Uint8Array(await response.arrayBuffer());
        // fetch decodes a compressed body only when it chose the encoding itself: a body that
        // is still gzip is decoded here, so the checks and the scan see the text.
        if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
          const plain = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
          bytes = new Uint8Array(await new Response(plain).arrayBuffer());
        }
      } catch (error) {
        fail(`no answer: ${error}`);
        continue;
      }
      sent++;
      const upstream = edge.emulator.requests.slice(before);
      upstreamTotal += upstream.length;
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const where = `case ${index}`;
      secrets.scanHeaders(response, where);
      const text = new TextDecoder().decode(bytes);
      secrets.scan(text, `body of ${where}`);

      if (response.status !== expected.status && expected.status !== 0) {
        fail(`status ${response.status}, expected ${expected.status}: ${text.slice(0, 200)}`);
      }
      if (expected.runtime) {
        byRuntime++;
        if (upstream.length > 0) fail("upstream requests for a method workerd refuses");
        continue;
      }
      if (response.status >= 500) {
        workerErrors++;
        fail(`a ${response.status}: ${text.slice(0, 200)}`);
      }
      if (!/^[0-9a-f-]{36}$/.test(response.headers.get("X-Request-Id") ?? "")) {
        fail("no X-Request-Id");
      }
      if (response.status >= 400) {
        const problem = errorBodyProblem(response, request.method, text);
        if (problem) fail(problem);
      }
      const refusedEarly = [400, 401, 405].includes(response.status) ||
        (response.status === 404 && expected.route === null);
      if ((refusedEarly || expected.upstream === "none") && upstream.length > 0) {
        fail(`${upstream.length} upstream requests for a request refused before any`);
      }
      if (expected.upstream === "route") {
        const problem = upstreamProblem(expected, upstream);
        if (problem) fail(problem);
      }
      if (response.status === 200 && expected.scope !== null) {
        const problem = bodyScopeProblem(
          expected,
          world,
          (id) => edge.emulator.bytesOf(id),
          bytes,
          text,
        );
        if (problem) fail(problem);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const line of edge.logs) secrets.scan(line, "Worker log line");
    const scan = secrets.figures();
    for (const leak of scan.leaks) {
      violations.add(`the ${leak.secret} appeared in the ${leak.where}`);
    }
    if (failed.size > 0) {
      violations.add(
        `${failed.size} failing cases; replay one with fuzzWorker({ seed: ${seed}, only: [${
          [...failed].slice(0, 5).join(", ")
        }] })`,
      );
    }
    const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${num(n)}`);
    return {
      name: "Worker fuzz",
      settings: `${num(indexes.length)} generated requests, seed ${seed}${
        options.only ? ` (replay of cases ${options.only.join(", ")})` : ""
      }, sent one at a time to the bundled Worker in workerd (Miniflare)`,
      rows: [{
        label: "requests",
        values: {
          sent,
          unsendable,
          "failing cases": failed.size,
          "5xx from the Worker": workerErrors,
          "answered by the platform": byRuntime,
          "upstream requests": upstreamTotal,
          "by status": byStatus.join(" "),
          "secret scan": `${num(scan.texts)} texts, ${scan.leaks.length} leaks`,
        },
      }],
      violations: violations.list(),
      ms: performance.now() - started,
    };
  } finally {
    await edge.close();
  }
}

/** A failing case, printable: seeds, method, target (cut), header names, what was generated. */
export function describe(fuzz: FuzzCase, seed: number): string {
  const target = fuzz.target.length > 240 ? `${fuzz.target.slice(0, 240)}...` : fuzz.target;
  const headers = fuzz.headers.map(([name, raw]) => {
    const value = labelKeys(raw);
    return `${name}: ${value.length > 80 ? `${value.slice(0, 80)}...` : value}`;
  });
  return `seed ${seed} case ${fuzz.index} (case seed 0x${fuzz.seed.toString(16)}): ${fuzz.method} ${
    JSON.stringify(target)
  } headers ${JSON.stringify(headers)} [${fuzz.notes.join(", ")}]`;
}

function errorBodyProblem(response: Response, method: string, text: string): string | null {
  if (!/^application\/json/.test(response.headers.get("Content-Type") ?? "")) {
    return `a ${response.status} that is not JSON`;
  }
  if (response.status === 405 && response.headers.get("Allow") === null) {
    return "a 405 without Allow";
  }
  if (method === "HEAD") return text === "" ? null : "a HEAD answer with a body";
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    return `a ${response.status} whose body is not JSON: ${text.slice(0, 100)}`;
  }
  if (JSON.stringify(Object.keys(body)) !== '["request_id","code","message","payload"]') {
    return `a ${response.status} that is not Toloka's error body: ${text.slice(0, 200)}`;
  }
  if (body.request_id !== response.headers.get("X-Request-Id")) {
    return "request_id differs from X-Request-Id";
  }
  if (CODES[response.status] !== undefined && body.code !== CODES[response.status]) {
    return `a ${response.status} with code ${body.code}`;
  }
  if (typeof body.message !== "string" || body.message === "") return "an error without message";
  return null;
}

/**
 * What a valid request may send upstream: a listing scoped to pool 1 (or the one-item probe of an
 * assignment's pool) for a key of pool 1; known parameters, each once; the id asked for.
 */
function upstreamProblem(
  expected: Expectation,
  upstream: readonly RequestLogEntry[],
): string | null {
  for (const entry of upstream) {
    const names = entry.params.map(([name]) => name);
    if (new Set(names).size !== names.length) return `upstream got a repeated parameter: ${names}`;
    if (expected.route === "attachment" || expected.route === "download") {
      const id = decodeURIComponent(entry.path.replace(/^\/api\/v1\/attachments\//, ""))
        .replace(/\/download$/, "");
      if (id !== expected.id || entry.params.length > 0) {
        return `upstream was asked for ${entry.path} instead of the attachment named`;
      }
      continue;
    }
    if (entry.path !== "/api/v1/attachments") return `upstream was asked for ${entry.path}`;
    for (const name of names) {
      if (!FILTER_NAMES.has(name) && name !== "sort" && name !== "limit") {
        return `upstream got an unknown parameter ${JSON.stringify(name)}`;
      }
    }
    if (expected.scope === "1") {
      const params = new Map(entry.params);
      const probe = names.length === 2 && params.has("assignment_id") &&
        params.get("limit") === "1";
      if (!probe && params.get("pool_id") !== "1") {
        return `a key of pool 1 made the Worker list ${JSON.stringify(entry.params)} upstream`;
      }
    }
  }
  return null;
}

function bodyScopeProblem(
  expected: Expectation,
  world: OracleWorld,
  bytesOf: (id: string) => Uint8Array,
  bytes: Uint8Array,
  text: string,
): string | null {
  const visible = (id: string): boolean =>
    expected.scope === "all" ? world.allIds.has(id) : world.ownIds.includes(id);
  try {
    switch (expected.route) {
      case "list": {
        const body = JSON.parse(text) as { items: { id: string }[]; has_more: boolean };
        const hidden = body.items.filter((i) => !visible(i.id));
        return hidden.length ? `the listing holds ${hidden.length} attachments out of scope` : null;
      }
      case "ndjson": {
        for (const line of text.split("\n").filter(Boolean)) {
          const item = JSON.parse(line) as { id?: string };
          if (item.id === undefined) return `an export ended with an error: ${line.slice(0, 200)}`;
          if (!visible(item.id)) return `the export holds ${item.id}, out of scope`;
        }
        return null;
      }
      case "csv": {
        for (const line of text.split("\r\n").slice(1).filter(Boolean)) {
          if (line.startsWith("#error")) return `an export ended with an error: ${line}`;
        }
        for (const id of world.otherIds) {
          if (expected.scope === "1" && text.includes(id)) {
            return `the CSV holds ${id}, out of scope`;
          }
        }
        return null;
      }
      case "attachment": {
        const item = JSON.parse(text) as { id: string };
        return item.id === expected.id ? null : `asked for ${expected.id}, got ${item.id}`;
      }
      case "download": {
        const want = bytesOf(expected.id!);
        return want.length === bytes.length && want.every((b, i) => b === bytes[i])
          ? null
          : `the download of ${expected.id} differs from the file`;
      }
      default:
        return null;
    }
  } catch (error) {
    return `a 200 body that does not parse: ${error}`;
  }
}
