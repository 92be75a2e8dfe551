/**
 * Shared helpers of the emulator tests, and a brute-force reference of the list semantics that
 * shares no code with the emulator (it compares `created` as normalised strings, not numbers).
 */

import type { TolokaEmulator, WireAttachment } from "@toloka-edge/attachments/testing";

/** The default token's header. */
export const AUTH: Readonly<Record<string, string>> = { Authorization: "OAuth test-token" };

/** A list answer: status and parsed body. */
export interface ListAnswer {
  status: number;
  body: { items: WireAttachment[]; has_more: boolean };
}

/** An error answer: status, content type and parsed body. */
export interface ErrorAnswer {
  status: number;
  contentType: string | null;
  body: {
    request_id: string;
    code: string;
    message: string;
    payload: Record<string, { code: string; message: string }> | null;
  };
}

/** Builds `http://emulator/api/v1/<path>?<query>` (the emulator answers under any origin). */
export function apiUrl(path: string, query: string | Record<string, string> = ""): string {
  const search = typeof query === "string" ? query : new URLSearchParams(query).toString();
  return `http://emulator/api/v1/${path}${search === "" ? "" : `?${search}`}`;
}

/** `GET /attachments` with the default token; fails the test on a non-200 answer. */
export async function list(
  emulator: TolokaEmulator,
  query: string | Record<string, string>,
): Promise<ListAnswer["body"]> {
  const response = await emulator.fetch(apiUrl("attachments", query), { headers: AUTH });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}: ${text}`);
  return JSON.parse(text);
}

/** Any request that should fail with an API error body. */
export async function fail(
  emulator: TolokaEmulator,
  url: string,
  init: RequestInit = { headers: AUTH },
): Promise<ErrorAnswer> {
  const response = await emulator.fetch(url, init);
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: await response.json(),
  };
}

/** `created` as a fixed-width comparable string: `YYYY-MM-DDTHH:mm:ss.ffffff`. */
export function normalCreated(created: string): string {
  const [whole, fraction = ""] = created.split(".");
  return `${whole}.${fraction.padEnd(6, "0")}`;
}

/** Reference filter for the list parameters (strings as the API receives them). */
export function referenceFilter(
  items: readonly WireAttachment[],
  params: Record<string, string>,
): WireAttachment[] {
  return items.filter((a) => {
    const c = normalCreated(a.created);
    for (const [key, value] of Object.entries(params)) {
      const ok = key === "pool_id"
        ? a.details.pool_id === value
        : key === "assignment_id"
        ? a.details.assignment_id === value
        : key === "user_id"
        ? a.details.user_id === value
        : key === "name"
        ? a.name === value
        : key === "type"
        ? a.attachment_type === value
        : key === "owner_id"
        ? a.owner?.id === value
        : key === "owner_company_id"
        ? a.owner?.company_id === value
        : key === "id_gt"
        ? a.id > value
        : key === "id_gte"
        ? a.id >= value
        : key === "id_lt"
        ? a.id < value
        : key === "id_lte"
        ? a.id <= value
        : key === "created_gt"
        ? c > normalCreated(value)
        : key === "created_gte"
        ? c >= normalCreated(value)
        : key === "created_lt"
        ? c < normalCreated(value)
        : key === "created_lte"
        ? c <= normalCreated(value)
        : true;
      if (!ok) return false;
    }
    return true;
  });
}

/** Reference order for a `sort` value; ties on every given key are broken by id ascending. */
export function referenceSort(items: readonly WireAttachment[], sort: string): WireAttachment[] {
  const keys = sort.split(",").map((key) => ({
    field: key.replace(/^-/, ""),
    direction: key.startsWith("-") ? -1 : 1,
  }));
  keys.push({ field: "id", direction: 1 });
  const value = (a: WireAttachment, field: string): string =>
    field === "id" ? a.id : normalCreated(a.created);
  return [...items].sort((a, b) => {
    for (const { field, direction } of keys) {
      const x = value(a, field);
      const y = value(b, field);
      if (x !== y) return x < y ? -direction : direction;
    }
    return 0;
  });
}

/** Ids of a list of attachments. */
export function ids(items: readonly WireAttachment[]): string[] {
  return items.map((item) => item.id);
}

/** Attachments of a pool in generation order. */
export function poolOf(emulator: TolokaEmulator, poolId: string): WireAttachment[] {
  return emulator.attachments.filter((a) => a.details.pool_id === poolId);
}

/** The one attachment with this name (fails when there is not exactly one). */
export function named(emulator: TolokaEmulator, name: string): WireAttachment {
  const found = emulator.attachments.filter((a) => a.name === name);
  if (found.length !== 1) throw new Error(`expected one attachment named ${JSON.stringify(name)}`);
  return found[0] as WireAttachment;
}

/** A small hand-made attachment. */
export function attachment(
  id: string,
  created: string,
  overrides: Partial<WireAttachment> = {},
): WireAttachment {
  return {
    id,
    attachment_type: "ASSIGNMENT_ATTACHMENT",
    name: `${id}.txt`,
    details: { user_id: "u1", assignment_id: "a1", pool_id: "1" },
    owner: { id: "r1", myself: true, company_id: "c1" },
    created,
    media_type: "text/plain",
    ...overrides,
  };
}

/** Reads a body chunk by chunk until it ends or errors; returns what arrived and the error. */
export async function readAll(
  body: ReadableStream<Uint8Array>,
): Promise<{ bytes: Uint8Array; chunks: number; error: unknown }> {
  const parts: Uint8Array[] = [];
  let error: unknown = undefined;
  const reader = body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
  } catch (caught) {
    error = caught;
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return { bytes, chunks: parts.length, error };
}
