/**
 * The Worker fault soak: `GET /api/v1/attachments.ndjson` in each of the four orders, through the
 * real bundled Worker in workerd (Miniflare), while the emulator behind it (its upstream, on
 * loopback) injects faults of every kind into a share of the Worker's upstream requests.
 *
 * The Worker's own client retries upstream faults (2 retries, default backoff, 10 s timeout). A
 * fault that outlasts them either fails the export before its first byte (a `502` or `429` with
 * Toloka's error body) or ends the NDJSON with Toloka's error object as its last line. The outer
 * caller here does what a user's script should: it resumes after the last item it received
 * (`id_gt`/`id_lt`, or `created_gte`/`created_lte` dropping the items at that instant it
 * already has), after any `Retry-After`.
 *
 * Invariants: every item exactly once, in order, with its exact `created`; an export never ends
 * short without an error line, never has a line after its error line, never breaks at the
 * transport level; a failed start is a `502`/`429` with Toloka's error body; no secret in any
 * header, line or log line.
 *
 * @module
 */

import type { Order } from "../mod.ts";
import { OTHER_ACCOUNT_TOKEN, startEdge, UPSTREAM_TOKEN } from "../tests/edge_harness.ts";
import type { FaultKind } from "../src/testing/mod.ts";
import { expectedIds, type ExportPosition, lines, ORDERS, resumeAfter } from "./order.ts";
import { type EngineReport, num, type Row, Violations } from "./report.ts";
import { SecretScanner } from "./secrets.ts";
import { FAULT_KINDS } from "./soak.ts";

/** The Worker's client's per-attempt timeout (the core's default; the Worker sets none). */
const WORKER_TIMEOUT_MS = 10_000;

/** Settings of {@link soakWorker}. */
export interface WorkerSoakOptions {
  /** Attachments in the pool. @default 3_000 */
  items?: number;
  /** The orders to export. @default all four */
  orders?: readonly Order[];
  /** Share of upstream requests that get a random fault. @default 0.2 */
  faultRate?: number;
  /** Seed of the data and the faults. @default 1 */
  seed?: number;
  /**
   * How long a `"delay"` fault stalls. Below the Worker's 10 s upstream timeout it is a slow
   * answer; above it, a timeout the Worker retries (slow: use it in the large run).
   * @default 300
   */
  delayMs?: number;
  /** `Retry-After` of an upstream 429, in seconds. @default 1 */
  retryAfterSeconds?: number;
  /** The soak is stopped (and fails) after this long. @default 600_000 */
  deadlineMs?: number;
}

interface Pass {
  received: number;
  /** Responses that ended with a continuation (`next`) at the Worker's subrequest budget. */
  continuations: number;
  resumes: number;
  restarts: number;
  outerRequests: number;
  skipped: number;
  ms: number;
}

/** Runs the Worker soak; returns its figures and violations. */
export async function soakWorker(options: WorkerSoakOptions = {}): Promise<EngineReport> {
  const items = options.items ?? 3_000;
  const orders = options.orders ?? ORDERS;
  const rate = options.faultRate ?? 0.2;
  const seed = options.seed ?? 1;
  const delayMs = options.delayMs ?? 300;
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  const deadline = AbortSignal.timeout(options.deadlineMs ?? 600_000);
  const started = performance.now();
  const violations = new Violations();
  const secrets = new SecretScanner();

  const edge = await startEdge({
    emulator: { pools: [items], seed, requestLogLimit: 100 * items + 10_000 },
  });
  try {
    const { key, record } = await edge.issue({ name: "soak", pools: ["1"] });
    secrets.add("upstream token", UPSTREAM_TOKEN);
    secrets.add("other account's token", OTHER_ACCOUNT_TOKEN);
    secrets.add("sealing key", edge.sealingKey);
    secrets.add("raw key", key);
    secrets.add("sealed token", record.upstream_token);
    const expected = new Map(orders.map((o) => [o, expectedIds(edge.emulator.attachments, o)]));
    const createdOf = new Map(edge.emulator.attachments.map((a) => [a.id, a.created]));

    const exportOnce = async (
      order: Order,
      check: boolean,
    ): Promise<Pass> => {
      const start = performance.now();
      const want = expected.get(order)!;
      const pass: Pass = {
        received: 0,
        continuations: 0,
        resumes: 0,
        restarts: 0,
        outerRequests: 0,
        skipped: 0,
        ms: 0,
      };
      let last: ExportPosition | undefined;
      // The path the last response told us to continue from (its `next`); without one (a stream
      // that broke without a last line), the caller's own keyset rule resumes after `last`.
      let next: string | undefined;
      const seen = new Set<string>();
      for (;;) {
        if (deadline.aborted) {
          violations.add(`${order}: deadline passed after ${pass.received} items`);
          break;
        }
        const resume = next !== undefined || last === undefined
          ? undefined
          : resumeAfter(order, last);
        const query = new URLSearchParams({ pool_id: "1", sort: order, ...resume?.params });
        const path = next ?? `/api/v1/attachments.ndjson?${query}`;
        const where = `GET ${path.slice(0, 120)} (${order})`;
        pass.outerRequests++;
        let response: Response;
        try {
          response = await fetch(`${edge.url}${path}`, {
            headers: { Authorization: `OAuth ${key}` },
            signal: deadline,
          });
        } catch (error) {
          violations.add(`${where}: the Worker could not be reached: ${error}`);
          break;
        }
        secrets.scanHeaders(response, where);
        if (response.status !== 200) {
          const text = await response.text();
          secrets.scan(text, `body of ${where}`);
          checkErrorBody(response, text, where, violations);
          if (!check) violations.add(`${where}: ${response.status} without faults`);
          if (response.status !== 502 && response.status !== 429) {
            violations.add(`${where}: a failed start must be 502 or 429, got ${response.status}`);
          }
          pass.restarts++;
          if (response.status === 429) {
            const wait = Number(response.headers.get("Retry-After") ?? "1");
            await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 60) * 1000));
          }
          if (pass.restarts > 1_000) {
            violations.add(`${order}: more than 1,000 failed starts`);
            break;
          }
          continue;
        }
        let errorLine: string | undefined;
        let continued = false;
        let broken = false;
        next = undefined;
        try {
          for await (const line of lines(response.body!)) {
            secrets.scan(line, `a line of ${where}`);
            if (errorLine !== undefined || continued) {
              violations.add(`${where}: a line after the last record: ${line.slice(0, 200)}`);
              continue;
            }
            const object = JSON.parse(line) as Record<string, unknown>;
            if (typeof object.id !== "string") {
              if (typeof object.next !== "string") {
                violations.add(`${where}: a last record without next: ${line.slice(0, 200)}`);
              } else {
                next = object.next;
              }
              if (!("code" in object)) {
                // The Worker's subrequest budget ran out: a continuation, not a failure.
                continued = true;
                pass.continuations++;
                continue;
              }
              errorLine = line;
              const { next: _, ...error } = object;
              checkErrorObject(error, where, violations);
              continue;
            }
            const item = { id: object.id, created: String(object.created) };
            if (resume?.already(item)) {
              pass.skipped++;
              continue;
            }
            if (seen.has(item.id)) violations.add(`${order}: ${item.id} received twice`);
            seen.add(item.id);
            if (want[pass.received] !== item.id) {
              violations.add(
                `${order}: item ${pass.received} is ${item.id}, expected ${want[pass.received]}`,
              );
            }
            if (createdOf.get(item.id) !== item.created) {
              violations.add(`${order}: ${item.id} has created ${item.created}`);
            }
            pass.received++;
            last = item;
          }
        } catch (error) {
          broken = true;
          violations.add(`${where}: the export's stream broke without an error line: ${error}`);
        }
        if (errorLine !== undefined || broken) {
          if (!check) violations.add(`${where}: an export failed without faults`);
          pass.resumes++;
          if (pass.resumes > 10_000) {
            violations.add(`${order}: more than 10,000 resumes`);
            break;
          }
          continue;
        }
        if (continued) continue;
        if (pass.received < want.length) {
          violations.add(
            `${where}: the export ended after ${pass.received} of ${want.length} items without an error line`,
          );
          pass.resumes++;
          continue;
        }
        break;
      }
      const lost = want.filter((id) => !seen.has(id)).length;
      if (lost > 0) violations.add(`${order}: ${lost} items lost`);
      pass.ms = performance.now() - start;
      return pass;
    };

    // Fault-free passes, one order at a time: the upstream requests each export needs.
    const needed = new Map<Order, number>();
    for (const order of orders) {
      edge.emulator.clearRequests();
      await exportOnce(order, false);
      needed.set(order, edge.emulator.requests.length);
    }

    edge.emulator.clearRequests();
    edge.emulator.setFaults({
      rate,
      script: [...FAULT_KINDS],
      retryAfterSeconds,
      delayMs,
      seed: seed * 31 + 7,
    });
    const faultStart = performance.now();
    const passes = await Promise.all(orders.map((order) => exportOnce(order, true)));
    const faultMs = performance.now() - faultStart;
    edge.emulator.setFaults(undefined);

    const log = edge.emulator.requests;
    const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
    for (const entry of log) if (entry.fault !== null) faults[entry.fault]++;
    const faultsTotal = Object.values(faults).reduce((a, b) => a + b, 0);
    // A delay below the Worker's timeout is a slow answer, not a failed attempt.
    const failedAttempts = faultsTotal - (delayMs > WORKER_TIMEOUT_MS ? 0 : faults.delay);
    // Each give-up is a request whose last attempt failed too: every other failure was retried.
    const giveUps = passes.reduce((sum, p) => sum + p.resumes + p.restarts, 0);

    const rows: Row[] = orders.map((order, i) => {
      const pass = passes[i]!;
      return {
        label: order,
        values: {
          items: pass.received,
          "outer requests": pass.outerRequests,
          continued: pass.continuations,
          resumes: pass.resumes,
          "failed starts": pass.restarts,
          "re-sent, dropped": pass.skipped,
          lost: expected.get(order)!.length - pass.received,
          "upstream pages needed": needed.get(order)!,
          time: `${(pass.ms / 1000).toFixed(1)} s`,
        },
      };
    });
    rows.push({
      label: "all orders",
      values: {
        items: passes.reduce((s, p) => s + p.received, 0),
        "outer requests": passes.reduce((s, p) => s + p.outerRequests, 0),
        continued: passes.reduce((s, p) => s + p.continuations, 0),
        resumes: passes.reduce((s, p) => s + p.resumes, 0),
        "failed starts": passes.reduce((s, p) => s + p.restarts, 0),
        "re-sent, dropped": passes.reduce((s, p) => s + p.skipped, 0),
        lost: passes.reduce((s, p, i) => s + expected.get(orders[i]!)!.length - p.received, 0),
        "upstream pages needed": [...needed.values()].reduce((a, b) => a + b, 0),
        "upstream requests": log.length,
        "faults injected": faultsTotal,
        "Worker retries": failedAttempts - giveUps,
        time: `${(faultMs / 1000).toFixed(1)} s`,
        "by kind": FAULT_KINDS.map((k) => `${k}:${faults[k]}`).join(" "),
      },
    });
    for (const kind of FAULT_KINDS) {
      if (faults[kind] === 0) violations.add(`no "${kind}" fault was injected`);
    }

    // Every log line the Worker wrote, once the last export's line is in.
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const line of edge.logs) secrets.scan(line, "Worker log line");
    const scan = secrets.figures();
    for (const leak of scan.leaks) {
      violations.add(`the ${leak.secret} appeared in the ${leak.where}`);
    }
    rows.push({
      label: "secret scan",
      values: { items: `${num(scan.texts)} texts, ${num(scan.chars)} chars, 0 leaks expected` },
    });

    return {
      name: "Worker soak (attachments.ndjson)",
      settings: `${num(items)} items x ${orders.length} orders concurrently, ${
        rate * 100
      }% upstream faults of ${FAULT_KINDS.length} kinds (seed ${seed}), delays ${delayMs} ms (Worker timeout ${WORKER_TIMEOUT_MS} ms), Retry-After ${retryAfterSeconds} s; Worker client: 2 retries, default backoff; outer caller follows next, else resumes after its last item`,
      rows,
      violations: violations.list(),
      ms: performance.now() - started,
    };
  } finally {
    await edge.close();
  }
}

const ERROR_KEYS = ["request_id", "code", "message", "payload"];

function checkErrorObject(
  body: Record<string, unknown>,
  where: string,
  violations: Violations,
): void {
  if (JSON.stringify(Object.keys(body)) !== JSON.stringify(ERROR_KEYS)) {
    violations.add(
      `${where}: the error line is not Toloka's error object: ${JSON.stringify(body)}`,
    );
  } else if (typeof body.code !== "string" || typeof body.message !== "string") {
    violations.add(`${where}: the error line has no code or message`);
  }
}

function checkErrorBody(
  response: Response,
  text: string,
  where: string,
  violations: Violations,
): void {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    violations.add(`${where}: ${response.status} with a body that is not JSON`);
    return;
  }
  checkErrorObject(body, where, violations);
  if (body.request_id !== response.headers.get("X-Request-Id")) {
    violations.add(`${where}: request_id differs from X-Request-Id`);
  }
}
