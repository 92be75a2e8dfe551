/**
 * The pure parts of the reliability engines: the seeded random source, the fuzz generator's
 * replayability, the soak's oracle and resumption rule, the secret scanner and the wrk parser.
 */

import assert from "node:assert/strict";
import { caseSeed, generateCase } from "../reliability/fuzz_cases.ts";
import { describe, worldOf } from "../reliability/fuzz.ts";
import { createdKey, expectedIds, lines, resumeAfter } from "../reliability/order.ts";
import { SecretScanner } from "../reliability/secrets.ts";
import { loadRun, parseWrk } from "../reliability/load.ts";
import { Violations } from "../reliability/report.ts";
import { Prng, TolokaEmulator, type WireAttachment } from "../src/testing/mod.ts";

Deno.test("Prng: the same seed gives the same sequence; another seed another", () => {
  const draw = (seed: number): number[] => {
    const rng = Prng.splitmix(seed);
    return Array.from({ length: 8 }, () => rng.uint32());
  };
  assert.deepEqual(draw(42), draw(42));
  assert.notDeepEqual(draw(42), draw(43));
  const rng = Prng.splitmix(7);
  for (let i = 0; i < 1_000; i++) {
    const n = rng.between(3, 9);
    assert.ok(n >= 3 && n <= 9 && Number.isInteger(n));
    const x = rng.next();
    assert.ok(x >= 0 && x < 1);
  }
  assert.notEqual(caseSeed(1, 0), caseSeed(1, 1));
  assert.notEqual(caseSeed(1, 5), caseSeed(2, 5));
});

Deno.test("generateCase(): a case is a function of the run's seed and its index alone", () => {
  const world = worldOf(new TolokaEmulator({ pools: [20, 10] }).attachments);
  for (const index of [0, 1, 999, 123_456]) {
    assert.deepEqual(generateCase(world, 9, index), generateCase(world, 9, index));
  }
  assert.notDeepEqual(generateCase(world, 9, 3), generateCase(world, 10, 3));
  // A failure report names the seed and the case, and shows no key (keys are placeholders).
  const text = describe(generateCase(world, 9, 4), 9);
  assert.match(text, /^seed 9 case 4 \(case seed 0x[0-9a-f]+\)/);
  assert.doesNotMatch(text, /tae_[A-Za-z0-9_-]{32}\b(?!\.)/);
});

Deno.test("generateCase(): 2,000 cases reach every route, method family and key kind", () => {
  const world = worldOf(new TolokaEmulator({ pools: [20, 10] }).attachments);
  const notes = new Set<string>();
  const methods = new Set<string>();
  const paths = new Set<string>();
  for (let i = 0; i < 2_000; i++) {
    const fuzz = generateCase(world, 1, i);
    fuzz.notes.forEach((note) => notes.add(note));
    methods.add(fuzz.method);
    paths.add(fuzz.target.split("?")[0]!.replace(/attachments\/[^/]+/, "attachments/{id}"));
  }
  for (
    const note of [
      "scoped key",
      "all key",
      "expired key",
      "revoked key",
      "unknown key",
      "malformed key",
      "wrong scheme",
      "no Authorization",
      "unknown parameter",
      "repeated parameter",
      "empty value",
      "huge value",
      "unicode value",
      "injection-looking value",
      "malformed id",
      "unknown path",
    ]
  ) assert.ok(notes.has(note), note);
  for (const method of ["GET", "HEAD", "POST", "DELETE", "OPTIONS", "patch"]) {
    assert.ok(methods.has(method), method);
  }
  for (
    const path of [
      "/api/v1/attachments",
      "/api/v1/attachments.ndjson",
      "/api/v1/attachments.csv",
      "/api/v1/attachments/{id}",
      "/api/v1/attachments/{id}/download",
      "/health",
    ]
  ) {
    assert.ok(paths.has(path), path);
  }
});

const item = (id: string, created: string): WireAttachment => ({
  id,
  attachment_type: "ASSIGNMENT_ATTACHMENT",
  name: `${id}.txt`,
  details: { user_id: "u", assignment_id: "a", pool_id: "1" },
  created,
  media_type: "text/plain",
});

Deno.test("expectedIds(): ties on created ordered by id, instants compared at full precision", () => {
  const items = [
    item("c", "2020-01-01T00:00:00"),
    item("a", "2020-01-01T00:00:00.000000"),
    item("b", "2020-01-01T00:00:00.000001"),
    item("d", "2019-12-31T23:59:59.999"),
  ];
  assert.deepEqual(expectedIds(items, "id"), ["a", "b", "c", "d"]);
  assert.deepEqual(expectedIds(items, "-id"), ["d", "c", "b", "a"]);
  assert.deepEqual(expectedIds(items, "created"), ["d", "a", "c", "b"]);
  assert.deepEqual(expectedIds(items, "-created"), ["b", "c", "a", "d"]);
  assert.equal(createdKey("2020-01-01T00:00:00"), createdKey("2020-01-01T00:00:00.000"));
});

Deno.test("resumeAfter(): the next export starts after the last item received, none dropped", () => {
  assert.deepEqual(resumeAfter("id", { id: "k", created: "x" }).params, { id_gt: "k" });
  assert.deepEqual(resumeAfter("-id", { id: "k", created: "x" }).params, { id_lt: "k" });
  const up = resumeAfter("created", { id: "b", created: "2020-01-01T00:00:00.5" });
  assert.deepEqual(up.params, { created_gte: "2020-01-01T00:00:00.5" });
  assert.equal(up.already({ id: "a", created: "2020-01-01T00:00:00.500" }), true);
  assert.equal(up.already({ id: "b", created: "2020-01-01T00:00:00.500000" }), true);
  assert.equal(up.already({ id: "c", created: "2020-01-01T00:00:00.5" }), false);
  assert.equal(up.already({ id: "a", created: "2020-01-01T00:00:00.500001" }), false);
  const down = resumeAfter("-created", { id: "b", created: "2020-01-01T00:00:00.5" });
  assert.deepEqual(down.params, { created_lte: "2020-01-01T00:00:00.5" });
  assert.equal(down.already({ id: "c", created: "2020-01-01T00:00:00.5" }), true);
  assert.equal(down.already({ id: "a", created: "2020-01-01T00:00:00.5" }), false);
});

Deno.test("lines(): splits a stream at newlines across chunk borders", async () => {
  const chunks = ['{"a":1}\n{"b"', ":2}\n", "", '{"c":3}'];
  const body = new ReadableStream<Uint8Array>({
    start(controller): void {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });
  const out: string[] = [];
  for await (const line of lines(body)) out.push(line);
  assert.deepEqual(out, ['{"a":1}', '{"b":2}', '{"c":3}']);
});

Deno.test("SecretScanner: finds a secret as is, encoded, or most of it", () => {
  const scanner = new SecretScanner();
  scanner.add("token", "s3cr3t/t0ken+value");
  assert.equal(scanner.scan("nothing here", "a"), true);
  assert.equal(scanner.scan("x s3cr3t/t0ken+value y", "b"), false);
  assert.equal(scanner.scan(`?t=${encodeURIComponent("s3cr3t/t0ken+value")}`, "c"), false);
  assert.equal(scanner.scan(btoa("s3cr3t/t0ken+value"), "d"), false);
  const figures = scanner.figures();
  assert.deepEqual(figures.leaks.map((l) => l.where), ["b", "c", "d"]);
  assert.ok(figures.leaks.every((l) => l.secret === "token"));
  assert.throws(() => scanner.add("short", "abc"), RangeError);
  // Most of a long secret is a leak too.
  scanner.add("key", "tae_0123456789abcdefghijklmnopqrstuv");
  assert.equal(scanner.scan("debug: tae_0123456789abcdefgh", "e"), false);
  assert.equal(scanner.scan("...ghijklmnopqrstuv", "f"), false);
  assert.equal(scanner.scan("tae_0123", "g"), true);
});

Deno.test("Violations: keeps the first messages and counts the rest", () => {
  const violations = new Violations(2);
  for (let i = 0; i < 5; i++) violations.add(`v${i}`);
  assert.equal(violations.count, 5);
  assert.deepEqual(violations.list(), ["v0", "v1", "... and 3 more violations"]);
});

Deno.test("parseWrk(): reads requests, rate, percentiles and errors of wrk --latency", () => {
  const output = `Running 2s test @ http://127.0.0.1:8787/health
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    71.55ms   20.17ms 170.96ms   91.42%
    Req/Sec   355.94     42.27   440.28     60.00%
  Latency Distribution
     50%   71.55ms
     75%   80.00ms
     90%    1.59s
     99%  170.96ms
  1410 requests in 2.01s, 16.05MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:    701.44
Transfer/sec:      7.97MB
`;
  assert.deepEqual(parseWrk(output, 50, 2), {
    tool: "wrk",
    connections: 50,
    seconds: 2,
    requests: 1410,
    requestsPerSecond: 701.44,
    p50Ms: 71.55,
    p99Ms: 170.96,
    non2xx: 7,
    socketErrors: 3,
  });
  assert.equal(
    parseWrk(output.replace("71.55ms\n     75%", "950.00us\n     75%"), 50, 2).p50Ms,
    0.95,
  );
});

Deno.test("loadRun(): refuses anything but loopback, and unbounded loads", async () => {
  await assert.rejects(() => loadRun("http://10.0.0.1/", { seconds: 1 }), RangeError);
  await assert.rejects(() => loadRun("http://example.com/", { seconds: 1 }), RangeError);
  await assert.rejects(() => loadRun("http://127.0.0.1:1/", { seconds: 301 }), RangeError);
  await assert.rejects(() => loadRun("http://127.0.0.1:1/", { connections: 501 }), RangeError);
});
