/**
 * The core fault soak: the client iterates a large pool in each of the four orders against the
 * emulator served on loopback, while the emulator injects faults of every kind into a share of
 * the requests (429 with `Retry-After`, 500, 502/503 HTML pages, dropped connections, truncated
 * JSON, delays past the client's timeout).
 *
 * Invariants (each break is a violation):
 * - every item exactly once, in the order's exact sequence (computed independently by sorting
 *   the emulator's data), with its `created` string as the API wrote it;
 * - every injected fault cost exactly one retry, never less: a fault the client did not retry
 *   would be a page it accepted broken. (More retries than faults means a request timed out
 *   without a fault: reported as `unexplained`, a sign the timeout is too tight for the machine.)
 * - a 429's `Retry-After` was waited out before the next attempt;
 * - the upstream token never appears in an error message (there should be no error at all).
 *
 * Each order has its own emulator and port, so their requests and faults are counted apart; the
 * orders run concurrently. Before the faults, a fault-free pass counts the requests the listing
 * needs, so `retries = requests - pages needed`.
 *
 * @module
 */

import { AttachmentsClient, type Order, toWireAttachment } from "../mod.ts";
import {
  FAULT_KINDS,
  type FaultKind,
  Prng,
  TolokaEmulator,
  type WireAttachment,
} from "../src/testing/mod.ts";
import { expectedIds, ORDERS } from "./order.ts";
import { type EngineReport, num, type Row, Violations } from "./report.ts";
import { SecretScanner } from "./secrets.ts";

/** Every fault kind the emulator can inject. */
export { FAULT_KINDS };

/** Settings of {@link soakCore}. */
export interface CoreSoakOptions {
  /** Attachments in the pool, iterated once per order. @default 5_000 */
  items?: number;
  /** The orders to iterate. @default all four */
  orders?: readonly Order[];
  /** Share of requests that get a random fault (after one scripted fault of each kind). @default 0.2 */
  faultRate?: number;
  /** Seed of the data, the faults and the client's jitter. @default 1 */
  seed?: number;
  /** The client's per-attempt timeout. @default 250 */
  timeoutMs?: number;
  /** How long a `"delay"` fault stalls; must exceed `timeoutMs`. @default 2 * timeoutMs */
  delayMs?: number;
  /** `Retry-After` of a 429, in seconds. @default 1 */
  retryAfterSeconds?: number;
  /** The client's retries after a first attempt. @default 10 */
  retries?: number;
  /** The client's base backoff. @default 2 */
  retryDelayMs?: number;
  /** Page size. @default 100 */
  batchSize?: number;
  /** The whole soak is stopped (and fails) after this long. @default 300_000 */
  deadlineMs?: number;
}

const TOKEN = "soak-upstream-token-4e1d9b7a";

interface Attempt {
  start: number;
  end: number;
  status: number;
  retryAfter: string | null;
}

/** Runs the core soak; returns its figures and violations. */
export async function soakCore(options: CoreSoakOptions = {}): Promise<EngineReport> {
  const items = options.items ?? 5_000;
  const orders = options.orders ?? ORDERS;
  const rate = options.faultRate ?? 0.2;
  const seed = options.seed ?? 1;
  const timeoutMs = options.timeoutMs ?? 250;
  const delayMs = options.delayMs ?? 2 * timeoutMs;
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  const retries = options.retries ?? 10;
  const retryDelayMs = options.retryDelayMs ?? 2;
  const batchSize = options.batchSize ?? 100;
  const deadline = AbortSignal.timeout(options.deadlineMs ?? 300_000);
  if (!(delayMs > timeoutMs)) {
    throw new RangeError(`delayMs must exceed timeoutMs: current values ${delayMs}, ${timeoutMs}`);
  }
  const started = performance.now();
  const violations = new Violations();
  const secrets = new SecretScanner();
  secrets.add("upstream token", TOKEN);

  const soakOrder = async (order: Order, index: number): Promise<Row> => {
    const emulator = new TolokaEmulator({
      pools: [items],
      tokens: [TOKEN],
      seed,
      requestLogLimit: 10 * items,
    });
    await using server = await emulator.serve();
    const byId = new Map<string, WireAttachment>(emulator.attachments.map((a) => [a.id, a]));
    const expected = expectedIds(emulator.attachments, order);

    // A fault-free pass: how many requests the listing needs.
    const cleanStart = performance.now();
    const clean = new AttachmentsClient({ token: TOKEN, baseUrl: server.baseUrl });
    let cleanCount = 0;
    for await (const _ of clean.getAttachments({ pool_id: "1" }, { order, batchSize })) {
      cleanCount++;
    }
    const cleanMs = performance.now() - cleanStart;
    const pagesNeeded = emulator.requests.length;
    if (cleanCount !== items) violations.add(`${order}: the fault-free pass got ${cleanCount}`);
    emulator.clearRequests();

    // A scripted fault of each kind first, so every kind is seen, then the random rate.
    emulator.setFaults({
      rate,
      script: [...FAULT_KINDS],
      retryAfterSeconds,
      delayMs,
      seed: seed * 31 + index,
    });
    const attempts: Attempt[] = [];
    const jitter = Prng.splitmix(seed * 7 + index);
    const client = new AttachmentsClient({
      token: TOKEN,
      baseUrl: server.baseUrl,
      timeoutMs,
      retries,
      retryDelayMs,
      maxRetryDelayMs: Math.max(5_000, retryAfterSeconds * 1000),
      random: () => jitter.next(),
      fetch: async (request) => {
        const attempt: Attempt = { start: performance.now(), end: 0, status: 0, retryAfter: null };
        attempts.push(attempt);
        try {
          const response = await fetch(request);
          attempt.status = response.status;
          attempt.retryAfter = response.headers.get("retry-after");
          return response;
        } finally {
          attempt.end = performance.now();
        }
      },
    });

    const faultStart = performance.now();
    const seen = new Set<string>();
    let received = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    let wrongCreated = 0;
    try {
      const iteration = client.getAttachments({ pool_id: "1" }, {
        order,
        batchSize,
        signal: deadline,
      });
      for await (const item of iteration) {
        if (seen.has(item.id)) duplicated++;
        seen.add(item.id);
        if (expected[received] !== item.id) {
          if (outOfOrder++ < 3) {
            violations.add(
              `${order}: item ${received} is ${item.id}, expected ${expected[received]}`,
            );
          }
        }
        // The wire form carries `created` exactly as the API wrote it.
        if (toWireAttachment(item).created !== byId.get(item.id)?.created) wrongCreated++;
        received++;
      }
    } catch (error) {
      const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      secrets.scan(text, `${order}: error`);
      violations.add(`${order}: the iteration failed after ${received} items: ${text}`);
    }
    const ms = performance.now() - faultStart;

    const log = emulator.requests;
    const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
    for (const entry of log) if (entry.fault !== null) faults[entry.fault]++;
    const faultsTotal = Object.values(faults).reduce((a, b) => a + b, 0);
    const requests = log.length;
    const retried = requests - pagesNeeded;
    const lost = expected.filter((id) => !seen.has(id)).length;

    if (lost > 0) violations.add(`${order}: ${lost} items lost`);
    if (duplicated > 0) violations.add(`${order}: ${duplicated} items yielded twice`);
    if (outOfOrder > 0) violations.add(`${order}: ${outOfOrder} items out of order`);
    if (wrongCreated > 0) violations.add(`${order}: ${wrongCreated} items with another created`);
    if (received !== items) violations.add(`${order}: ${received} items instead of ${items}`);
    if (attempts.length !== requests) {
      violations.add(
        `${order}: the client made ${attempts.length} attempts, the log has ${requests}`,
      );
    }
    if (retried < faultsTotal) {
      violations.add(
        `${order}: ${faultsTotal} faults but only ${retried} retries: one was accepted`,
      );
    }
    for (const kind of FAULT_KINDS) {
      if (faults[kind] === 0) violations.add(`${order}: no "${kind}" fault was injected`);
    }
    // A 429's Retry-After must be waited out before the next attempt (they are sequential).
    let retryAfterChecked = 0;
    for (let i = 0; i + 1 < attempts.length; i++) {
      const attempt = attempts[i]!;
      if (attempt.status !== 429 || attempt.retryAfter === null) continue;
      retryAfterChecked++;
      const waited = attempts[i + 1]!.start - attempt.end;
      if (waited < Number(attempt.retryAfter) * 1000 - 5) {
        violations.add(
          `${order}: retried ${
            waited.toFixed(0)
          } ms after a 429 with Retry-After ${attempt.retryAfter}`,
        );
      }
    }

    return {
      label: order,
      values: {
        items: received,
        requests,
        "pages needed": pagesNeeded,
        "faults injected": faultsTotal,
        retries: retried,
        unexplained: retried - faultsTotal,
        "429s waited": retryAfterChecked,
        lost,
        "dup/out of order": duplicated + outOfOrder,
        time: `${(ms / 1000).toFixed(1)} s`,
        "fault-free": `${(cleanMs / 1000).toFixed(1)} s`,
        "by kind": FAULT_KINDS.map((k) => `${k}:${faults[k]}`).join(" "),
      },
    };
  };

  const rows = await Promise.all(orders.map((order, i) => soakOrder(order, i)));
  const total = (column: string): number =>
    rows.reduce((sum, row) => sum + Number(row.values[column] ?? 0), 0);
  rows.push({
    label: "all orders",
    values: {
      items: total("items"),
      requests: total("requests"),
      "pages needed": total("pages needed"),
      "faults injected": total("faults injected"),
      retries: total("retries"),
      unexplained: total("unexplained"),
      "429s waited": total("429s waited"),
      lost: total("lost"),
      "dup/out of order": total("dup/out of order"),
    },
  });
  for (const leak of secrets.figures().leaks) {
    violations.add(`the ${leak.secret} appeared in the ${leak.where}`);
  }
  return {
    name: "core soak",
    settings: `${num(items)} items x ${orders.length} orders, ${
      rate * 100
    }% faults of ${FAULT_KINDS.length} kinds (seed ${seed}), client timeoutMs ${timeoutMs} (delays ${delayMs} ms), retries ${retries}, retryDelayMs ${retryDelayMs}, Retry-After ${retryAfterSeconds} s, batchSize ${batchSize}, loopback`,
    rows,
    violations: violations.list(),
    ms: performance.now() - started,
  };
}
