/**
 * The key and scope matrix: every key state x every route x every way of naming a pool or an
 * attachment, through the real bundled Worker in workerd, each cell checked for its exact
 * status, the exact items of a 200, Toloka's error body otherwise, the upstream requests it
 * caused (none for a refused key or a pool named out of scope), and that no attachment outside
 * a scoped key's pool ever appears in any body. Then the static audit of `audit.ts`: no secret
 * compared as a raw string.
 *
 * @module
 */

import { OTHER_ACCOUNT_TOKEN, startEdge, UPSTREAM_TOKEN } from "../tests/edge_harness.ts";
import { revokeKey } from "../src/keys/mod.ts";
import { randomSealingKey } from "../tests/keys_fixtures.ts";
import type { WireAttachment } from "../src/testing/mod.ts";
import { parseCsv } from "../tests/csv_parse.ts";
import { auditSecretComparisons, workerSources } from "./audit.ts";
import { type EngineReport, type Row, Violations } from "./report.ts";
import { SecretScanner } from "./secrets.ts";

/** Key states of the matrix. */
export const KEY_STATES = [
  "valid (pool 1)",
  "valid (every pool)",
  "unknown",
  "malformed: short",
  "malformed: prefix",
  "malformed: characters",
  "malformed: empty",
  "expired",
  "revoked before use",
  "revoked after use",
  "unsealable",
] as const;
type KeyState = typeof KEY_STATES[number];

const LIST_ROUTES = ["attachments", "attachments.ndjson", "attachments.csv"] as const;
const ID_ROUTES = ["attachments/{id}", "attachments/{id}/download"] as const;
type ListRoute = typeof LIST_ROUTES[number];
type IdRoute = typeof ID_ROUTES[number];

/** Ways of naming what to list. */
const LIST_NAMINGS = [
  "pool_id of its pool",
  "pool_id of another pool",
  "pool_id that exists nowhere",
  "assignment_id of its pool",
  "assignment_id of another pool",
  "assignment_id that exists nowhere",
  "pool_id of its pool + assignment_id of another",
  "pool_id of another + assignment_id of its pool",
  "pool_id of its pool + id range on another pool's attachment",
  "no pool or assignment",
] as const;
/** Ways of naming one attachment. */
const ID_NAMINGS = [
  "an attachment of its pool",
  "an attachment of another pool",
  "an attachment of another pool, in the edge cache",
  "a guessed id",
] as const;

type Expect = {
  status: number;
  /** Ids a 200 listing must hold exactly (sorted), or the id of a 200 attachment. */
  ids?: string[];
  /** Whether upstream requests are allowed. */
  upstream: boolean;
};

/** Settings of {@link keyMatrix}. */
export interface MatrixOptions {
  /** Pool sizes of the emulator. @default [60, 30, 10] */
  pools?: readonly number[];
}

/** Runs the matrix and the audit; returns the figures and violations. */
export async function keyMatrix(options: MatrixOptions = {}): Promise<EngineReport> {
  const started = performance.now();
  const violations = new Violations(60);
  const secrets = new SecretScanner();
  // Key lookups are not cached, so "revoked after use" is refused at once.
  const edge = await startEdge({
    emulator: { pools: options.pools ?? [60, 30, 10] },
    keyCacheTtlMs: 0,
  });
  try {
    const all = edge.emulator.attachments;
    const inPool = (pool: string): WireAttachment[] =>
      all.filter((a) => a.details.pool_id === pool);
    const pool1 = inPool("1");
    const pool2 = inPool("2");
    const outOfScope = all.filter((a) => a.details.pool_id !== "1").map((a) => a.id);
    const ids = (items: readonly WireAttachment[]): string[] => items.map((a) => a.id).sort();
    const own = pool1[0]!;
    const other = pool2[0]!;
    const cachedOther = pool2[1]!;
    const ownAssignment = own.details.assignment_id;
    const otherAssignment = other.details.assignment_id;

    const scoped = await edge.issue({ name: "matrix pool 1", pools: ["1"] });
    const every = await edge.issue({ name: "matrix every pool", pools: null });
    const expired = await edge.issue({
      name: "matrix expired",
      now: new Date(Date.now() - 7_200_000),
      expiresAt: new Date(Date.now() - 3_600_000),
    });
    const revokedEarly = await edge.issue({ name: "matrix revoked early" });
    await revokeKey(edge.kv, revokedEarly.key);
    const revokedLate = await edge.issue({ name: "matrix revoked late" });
    const unsealable = await edge.issue({
      name: "matrix unsealable",
      sealingKey: randomSealingKey(),
    });
    const keys: Record<KeyState, string> = {
      "valid (pool 1)": scoped.key,
      "valid (every pool)": every.key,
      "unknown": `tae_${"u".repeat(32)}`,
      "malformed: short": "tae_short",
      "malformed: prefix": `tak_${scoped.key.slice(4)}`,
      "malformed: characters": `${scoped.key.slice(0, -1)}.`,
      "malformed: empty": "",
      "expired": expired.key,
      "revoked before use": revokedEarly.key,
      "revoked after use": revokedLate.key,
      "unsealable": unsealable.key,
    };
    secrets.add("upstream token", UPSTREAM_TOKEN);
    secrets.add("other account's token", OTHER_ACCOUNT_TOKEN);
    secrets.add("sealing key", edge.sealingKey);
    for (const issued of [scoped, every, expired, revokedEarly, revokedLate, unsealable]) {
      secrets.add(`key "${issued.record.name}"`, issued.key);
      secrets.add(`sealed token of "${issued.record.name}"`, issued.record.upstream_token);
    }

    // "revoked after use": it worked, then it is revoked.
    const before = await edge.request("/api/v1/attachments?pool_id=1&limit=1", {
      key: revokedLate.key,
    });
    if (before.status !== 200) {
      violations.add(`revoked after use: ${before.status} before revoking`);
    }
    await revokeKey(edge.kv, revokedLate.key);
    // The edge cache holds a file of pool 2, downloaded with the key of every pool.
    const warm = await edge.request(`/api/v1/attachments/${cachedOther.id}/download`, {
      key: every.key,
    });
    if (warm.status !== 200) violations.add(`warming the edge cache: ${warm.status}`);

    const listQuery: Record<typeof LIST_NAMINGS[number], string> = {
      "pool_id of its pool": "pool_id=1",
      "pool_id of another pool": "pool_id=2",
      "pool_id that exists nowhere": "pool_id=999",
      "assignment_id of its pool": `assignment_id=${ownAssignment}`,
      "assignment_id of another pool": `assignment_id=${otherAssignment}`,
      "assignment_id that exists nowhere": "assignment_id=no-such-assignment",
      "pool_id of its pool + assignment_id of another":
        `pool_id=1&assignment_id=${otherAssignment}`,
      "pool_id of another + assignment_id of its pool": `pool_id=2&assignment_id=${ownAssignment}`,
      "pool_id of its pool + id range on another pool's attachment":
        `pool_id=1&id_gte=${other.id}&id_lte=${other.id}`,
      "no pool or assignment": "user_id=x",
    };
    const ofAssignment = (assignment: string): string[] =>
      ids(all.filter((a) => a.details.assignment_id === assignment));

    const expectList = (state: KeyState, naming: typeof LIST_NAMINGS[number]): Expect => {
      // A seal that does not open (another sealing key, or a record changed in KV) fails closed.
      if (state === "unsealable") return { status: 401, upstream: false };
      if (!state.startsWith("valid")) return { status: 401, upstream: false };
      if (naming === "no pool or assignment") return { status: 400, upstream: false };
      const everyPool = state === "valid (every pool)";
      switch (naming) {
        case "pool_id of its pool":
          return { status: 200, ids: ids(pool1), upstream: true };
        case "pool_id of another pool":
          return everyPool
            ? { status: 200, ids: ids(pool2), upstream: true }
            : { status: 403, upstream: false };
        case "pool_id that exists nowhere":
          return everyPool
            ? { status: 200, ids: [], upstream: true }
            : { status: 403, upstream: false };
        case "assignment_id of its pool":
          return { status: 200, ids: ofAssignment(ownAssignment), upstream: true };
        case "assignment_id of another pool":
          return everyPool
            ? { status: 200, ids: ofAssignment(otherAssignment), upstream: true }
            : { status: 403, upstream: true };
        // A scoped key gets the same 403 for an unknown assignment as for a foreign one; a key of
        // every pool gets upstream's empty answer.
        // the probe that finds the assignment's pool
        case "assignment_id that exists nowhere":
        case "pool_id of its pool + assignment_id of another":
          return everyPool
            ? { status: 200, ids: [], upstream: true }
            : { status: 403, upstream: true };
        case "pool_id of another + assignment_id of its pool":
          return everyPool
            ? { status: 200, ids: [], upstream: true }
            : { status: 403, upstream: false };
        case "pool_id of its pool + id range on another pool's attachment":
          return { status: 200, ids: [], upstream: true };
      }
    };
    const idOf: Record<typeof ID_NAMINGS[number], string> = {
      "an attachment of its pool": own.id,
      "an attachment of another pool": other.id,
      "an attachment of another pool, in the edge cache": cachedOther.id,
      "a guessed id": "0983459b-e26f-42f3-a5fd-6e3feee913e7",
    };
    const expectId = (state: KeyState, naming: typeof ID_NAMINGS[number]): Expect => {
      // A seal that does not open (another sealing key, or a record changed in KV) fails closed.
      if (state === "unsealable") return { status: 401, upstream: false };
      if (!state.startsWith("valid")) return { status: 401, upstream: false };
      const id = idOf[naming];
      const visible = naming === "an attachment of its pool" ||
        (state === "valid (every pool)" && naming !== "a guessed id");
      return visible ? { status: 200, ids: [id], upstream: true } : { status: 404, upstream: true };
    };

    let cells = 0;
    let upstreamTotal = 0;
    const byStatus = new Map<number, number>();
    const rows: Row[] = [];
    for (const state of KEY_STATES) {
      const statuses: Record<string, string> = {};
      const cell = async (route: ListRoute | IdRoute, naming: string, expected: Expect) => {
        const path = route.includes("{id}")
          ? `/api/v1/${
            route.replace("{id}", encodeURIComponent(idOf[naming as typeof ID_NAMINGS[number]]))
          }`
          : `/api/v1/${route}?${listQuery[naming as typeof LIST_NAMINGS[number]]}&sort=id${
            route === "attachments" ? "&limit=100" : ""
          }`;
        const where = `${state} x ${route} x ${naming}`;
        const requestsBefore = edge.emulator.requests.length;
        const answer = await edge.request(path, { key: keys[state] });
        const upstream = edge.emulator.requests.length - requestsBefore;
        cells++;
        upstreamTotal += upstream;
        byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
        secrets.scanHeaders(answer.response, where);
        secrets.scan(answer.text, `body of ${where}`);
        statuses[`${route} ${naming}`] = String(answer.status);
        if (answer.status !== expected.status) {
          violations.add(
            `${where}: ${answer.status}, expected ${expected.status}: ${answer.text.slice(0, 160)}`,
          );
        }
        if (!expected.upstream && upstream > 0) {
          violations.add(`${where}: ${upstream} upstream requests, expected none`);
        }
        if (state === "valid (pool 1)") {
          for (const id of outOfScope) {
            if (answer.text.includes(id)) {
              violations.add(`${where}: attachment ${id} of another pool in the body`);
            }
          }
        }
        if (answer.status >= 400) {
          const body = JSON.parse(answer.text) as Record<string, unknown>;
          if (
            JSON.stringify(Object.keys(body)) !== '["request_id","code","message","payload"]' ||
            body.request_id !== answer.headers.get("X-Request-Id")
          ) {
            violations.add(`${where}: not Toloka's error body: ${answer.text.slice(0, 160)}`);
          }
          return;
        }
        if (answer.status !== 200 || expected.ids === undefined) return;
        let got: string[];
        if (route === "attachments") {
          got = JSON.parse(answer.text).items.map((i: { id: string }) => i.id);
        } else if (route === "attachments.ndjson") {
          got = answer.text.split("\n").filter(Boolean).map((l) => JSON.parse(l).id);
        } else if (route === "attachments.csv") {
          got = parseCsv(answer.text).slice(1).map((r) => r[0]!);
        } else if (route === "attachments/{id}") got = [JSON.parse(answer.text).id];
        else {
          const id = expected.ids[0]!;
          const want = edge.emulator.bytesOf(id);
          got = want.length === answer.bytes.length && want.every((b, i) => b === answer.bytes[i])
            ? [id]
            : ["<other bytes>"];
        }
        if (JSON.stringify(got) !== JSON.stringify(expected.ids)) {
          violations.add(`${where}: got ${got.length} items, expected ${expected.ids.length}`);
        }
      };
      for (const route of LIST_ROUTES) {
        for (const naming of LIST_NAMINGS) await cell(route, naming, expectList(state, naming));
      }
      for (const route of ID_ROUTES) {
        for (const naming of ID_NAMINGS) await cell(route, naming, expectId(state, naming));
      }
      const counts = new Map<string, number>();
      for (const status of Object.values(statuses)) {
        counts.set(status, (counts.get(status) ?? 0) + 1);
      }
      rows.push({
        label: state,
        values: {
          cells: Object.keys(statuses).length,
          statuses: [...counts].sort().map(([s, n]) => `${s}x${n}`).join(" "),
        },
      });
    }

    // Lookups never compare secrets as raw strings.
    const findings = auditSecretComparisons(await workerSources(new URL("../", import.meta.url)));
    for (const f of findings) {
      violations.add(
        `${f.file}:${f.line} compares or looks up a secret as a raw string: ${f.code}`,
      );
    }

    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const line of edge.logs) secrets.scan(line, "Worker log line");
    const scan = secrets.figures();
    for (const leak of scan.leaks) {
      violations.add(`the ${leak.secret} appeared in the ${leak.where}`);
    }
    rows.push({
      label: "all",
      values: {
        cells,
        statuses: [...byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}x${n}`).join(" "),
        "upstream requests": upstreamTotal,
        "secret scan": `${scan.texts} texts, ${scan.leaks.length} leaks`,
        "audit findings": findings.length,
      },
    });
    return {
      name: "Key and scope matrix",
      settings:
        `${KEY_STATES.length} key states x ${LIST_ROUTES.length} listing routes x ${LIST_NAMINGS.length} namings + ${ID_ROUTES.length} id routes x ${ID_NAMINGS.length} namings; key cache off; edge cache warm with a file of pool 2`,
      rows,
      violations: violations.list(),
      ms: performance.now() - started,
    };
  } finally {
    await edge.close();
  }
}
