/**
 * Test helpers for the client: a scripted `fetch` that answers canned responses in turn and
 * records every `Request`, and small builders for wire objects.
 *
 * @module
 */

import { AttachmentsClient } from "../src/client.ts";
import type { ClientOptions } from "../src/types.ts";
import type { Order } from "../src/wire.ts";
import { Prng } from "../src/testing/mod.ts";

/** One scripted answer: a response, an error to throw, or a function of the request. */
export type Reply =
  | Response
  | Error
  | ((request: Request, index: number) => Response | Promise<Response>);

/** A fake `fetch` and what it saw. */
export interface Script {
  fetch: (request: Request) => Promise<Response>;
  requests: Request[];
}

/**
 * A `fetch` that answers `replies` in turn (the last one is repeated if it is a function) and
 * records each request. Running out of replies fails the test with a clear error.
 */
export function scripted(...replies: Reply[]): Script {
  const requests: Request[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const index = requests.length;
    requests.push(request);
    const reply = replies[index] ??
      (typeof replies.at(-1) === "function" ? replies.at(-1) : undefined);
    if (reply === undefined) throw new Error(`Unexpected request #${index}: ${request.url}`);
    if (reply instanceof Response) return reply;
    if (reply instanceof Error) throw reply;
    return await reply(request, index);
  };
  return { fetch, requests };
}

/** A JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A wire attachment of pool "1". */
export function wire(
  id: string,
  created = "2024-01-01T00:00:00.000",
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    attachment_type: "ASSIGNMENT_ATTACHMENT",
    name: `${id}.txt`,
    details: { user_id: "u1", assignment_id: "a1", pool_id: "1" },
    owner: { id: "o1", myself: true, company_id: "c1" },
    created,
    media_type: "text/plain",
    ...extra,
  };
}

/** A listing page body. */
export function page(items: Record<string, unknown>[], hasMore: boolean): Response {
  return json({ items, has_more: hasMore });
}

/** The query of a request as `[name, value]` pairs, in order. */
export function paramsOf(request: Request): [string, string][] {
  return [...new URL(request.url).searchParams];
}

/** The path of a request. */
export function pathOf(request: Request): string {
  return new URL(request.url).pathname;
}

/** A client on a scripted fetch, with tiny retry delays. */
export function clientFor(
  script: Script,
  options: Partial<ClientOptions> = {},
): AttachmentsClient {
  return new AttachmentsClient({
    token: "test-token",
    fetch: script.fetch,
    retryDelayMs: 1,
    maxRetryDelayMs: 20,
    ...options,
  });
}

/** Collects an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** A promise with its resolve function, for steering scripted replies. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets pending microtasks and immediate timers run. */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A sortable key of an API timestamp without offset, independent of the library's parser. */
export function createdKey(created: string): string {
  const [seconds = "", fraction = ""] = created.split(".");
  return `${seconds}.${fraction.padEnd(9, "0")}`;
}

/** The API's `sort` of each iteration order (ties on `created` broken by id). */
export const SORT_OF: Readonly<Record<Order, readonly string[]>> = {
  id: ["id"],
  "-id": ["-id"],
  created: ["created", "id"],
  "-created": ["-created", "-id"],
};

/** Compares two wire items by the given API sort keys, as the API does. */
export function compareBy(
  sort: readonly string[],
): (a: { id: string; created: string }, b: { id: string; created: string }) => number {
  return (a, b) => {
    for (const key of sort) {
      const field = key.replace(/^-/, "");
      const direction = key.startsWith("-") ? -1 : 1;
      const [x, y] = field === "id" ? [a.id, b.id] : [createdKey(a.created), createdKey(b.created)];
      if (x !== y) return (x < y ? -1 : 1) * direction;
    }
    return 0;
  };
}

/**
 * A minimal reference of `GET /attachments` over a fixed list: the id and created ranges,
 * `sort`, `limit` and `has_more`. Other filters are ignored.
 */
export function referenceApi(
  items: readonly { id: string; created: string }[],
): (request: Request) => Promise<Response> {
  return (request) => {
    const query = new URL(request.url).searchParams;
    const checks: ((item: { id: string; created: string }) => boolean)[] = [];
    for (const field of ["id", "created"] as const) {
      const of = (item: { id: string; created: string }): string =>
        field === "id" ? item.id : createdKey(item.created);
      const bound = (name: string): string | null => {
        const value = query.get(`${field}_${name}`);
        return value === null ? null : field === "id" ? value : createdKey(value);
      };
      const gt = bound("gt"), gte = bound("gte"), lt = bound("lt"), lte = bound("lte");
      if (gt !== null) checks.push((item) => of(item) > gt);
      if (gte !== null) checks.push((item) => of(item) >= gte);
      if (lt !== null) checks.push((item) => of(item) < lt);
      if (lte !== null) checks.push((item) => of(item) <= lte);
    }
    const matching = items.filter((item) => checks.every((check) => check(item)));
    const sort = query.get("sort");
    if (sort !== null) matching.sort(compareBy(sort.split(",")));
    const limit = Number(query.get("limit") ?? 20);
    return Promise.resolve(
      json({ items: matching.slice(0, limit), has_more: matching.length > limit }),
    );
  };
}

/** A seeded `[0, 1)` source (the emulator's generator), shaped like `Math.random`. */
export function seeded(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

/** `count` random version 4 UUIDs from a seeded source. */
export function randomUuids(count: number, seed: number): string[] {
  const random = seeded(seed);
  const hex = (digits: number): string =>
    Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join("");
  return Array.from(
    { length: count },
    () => `${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[Math.floor(random() * 4)]}${hex(3)}-${hex(12)}`,
  );
}
