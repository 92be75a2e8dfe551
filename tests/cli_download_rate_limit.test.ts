/**
 * `download` under a rate limit: the wait is put down to the service that asked for it (the
 * Toloka API, or an edge Worker's limit for its API key), shown as a countdown, and the run then
 * finishes every file. Time is faked: a 60 s `Retry-After` takes no real time.
 */

import assert from "node:assert/strict";
import { errorText } from "../cli/errors.ts";
import { renderBar } from "../cli/progress.ts";
import { isTolokaApi, rateLimiterName, RateLimitGate, serviceName } from "../cli/rate_limit.ts";
import { emptyCounts } from "../cli/progress.ts";
import { TolokaApiError } from "../src/errors.ts";
import { TolokaEmulator } from "../src/testing/mod.ts";
import { assertCompleteFolder, downloadRequests, poolItems, run } from "./cli_helpers.ts";

const EDGE = "http://127.0.0.1:8787/api/v1";
const EDGE_LIMIT_MESSAGE = "Too many requests for this API key; retry later";

/** A clock that moves only when the command sleeps. */
function fakeTime(): {
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  slept: () => number;
} {
  const start = 1_700_000_000_000;
  let clock = start;
  return {
    now: () => clock,
    sleep: async (ms, signal) => {
      signal.throwIfAborted();
      clock += ms;
      await new Promise((resolve) => setTimeout(resolve, 0));
      signal.throwIfAborted();
    },
    slept: () => clock - start,
  };
}

/**
 * The edge Worker's per-key limit in front of the emulator: after `allowed` requests it answers
 * 429 with `Retry-After: 60` (the Worker's body and header) until 60 s of the clock have passed.
 */
function edgeLimiter(
  emulator: TolokaEmulator,
  now: () => number,
  allowed: number,
): { fetch: (request: Request) => Promise<Response>; limited: () => number } {
  let served = 0;
  let limitedUntil = -Infinity;
  let limited = 0;
  return {
    fetch: (request) => {
      if (now() >= limitedUntil && served >= allowed) {
        limitedUntil = now() + 60_000;
        served = 0;
      }
      if (now() < limitedUntil) {
        limited++;
        return Promise.resolve(
          Response.json({
            request_id: `edge-${limited}`,
            code: "TOO_MANY_REQUESTS",
            message: EDGE_LIMIT_MESSAGE,
            payload: null,
          }, { status: 429, headers: { "Retry-After": "60" } }),
        );
      }
      served++;
      return emulator.fetch(request);
    },
    limited: () => limited,
  };
}

Deno.test("download through an edge Worker that answers 429 with Retry-After: 60 waits it out with a countdown and finishes", async () => {
  const emulator = new TolokaEmulator({ pools: [250], maxFileSize: 512 });
  const time = fakeTime();
  // 40 requests, then a minute of 429s: the listing's second or third page and many files hit it.
  const edge = edgeLimiter(emulator, time.now, 40);
  const out = await Deno.makeTempDir({ prefix: "cli-rate-limit-" });
  try {
    const result = await run(
      ["download", "--pool-id", "1", "--out", out, "--base-url", EDGE],
      {
        fetch: edge.fetch,
        now: time.now,
        sleep: time.sleep,
        stderrIsTerminal: true,
        columns: 400,
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.ok(edge.limited() > 0, "the limit was hit");
    assert.ok(time.slept() >= 60_000, `the run waited a minute, slept ${time.slept()} ms`);
    const who = "the edge Worker at 127.0.0.1:8787 (its limit for this API key)";
    assert.match(result.stderr, new RegExp(`waiting 60 s: rate limited by ${escape(who)}`));
    const shown = [...result.stderr.matchAll(/waiting (\d+) s: /g)].map((m) => Number(m[1]));
    assert.ok(shown.includes(30) && shown.includes(1), `a countdown, got ${shown.join(",")}`);
    assert.doesNotMatch(result.stderr, /Toloka API answered 429|failed: /);
    assert.match(result.stderr, /\n250 downloaded \(.+\), 0 already present, 0 failed\n$/);
    await assertCompleteFolder(out, emulator, poolItems(emulator, "1").map((a) => a.id));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("download waits out the Toloka API's own 429 (Retry-After: 60) in a log, without using up retries", async () => {
  const emulator = new TolokaEmulator({
    pools: [40],
    maxFileSize: 256,
    // The listing, then four 429s in a row: with --retries 1 they would fail files.
    faults: { script: [null, "429", "429", "429", "429"], retryAfterSeconds: 60 },
  });
  const time = fakeTime();
  const out = await Deno.makeTempDir({ prefix: "cli-rate-limit-" });
  try {
    const result = await run(
      ["download", "--pool-id", "1", "--out", out, "--retries", "1"],
      { fetch: emulator.fetch, now: time.now, sleep: time.sleep },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      /^waiting 60 s: rate limited by the Toloka API; the download goes on after that$/m,
    );
    assert.match(result.stderr, /^40 downloaded \(.+\), 0 already present, 0 failed$/m);
    assert.ok(time.slept() >= 60_000);
    await assertCompleteFolder(out, emulator, poolItems(emulator, "1").map((a) => a.id));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a 429 on the listing resumes it from its cursor: every file once, none missing", async () => {
  const emulator = new TolokaEmulator({ pools: [250], maxFileSize: 128 });
  const time = fakeTime();
  let listings = 0;
  const listed: string[] = [];
  const fetch = (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname.endsWith("/attachments")) {
      listings++;
      listed.push(url.search);
      // The second page is limited twice, the third once.
      if (listings === 2 || listings === 3 || listings === 5) {
        return Promise.resolve(
          Response.json(
            { request_id: `r-${listings}`, code: "TOO_MANY_REQUESTS", message: EDGE_LIMIT_MESSAGE },
            { status: 429, headers: { "Retry-After": "60" } },
          ),
        );
      }
    }
    return emulator.fetch(request);
  };
  const out = await Deno.makeTempDir({ prefix: "cli-rate-limit-" });
  try {
    const result = await run(
      ["download", "--pool-id", "1", "--out", out, "--base-url", EDGE],
      { fetch, now: time.now, sleep: time.sleep },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(downloadRequests(emulator), 250, "each file fetched once");
    await assertCompleteFolder(out, emulator, poolItems(emulator, "1").map((a) => a.id));
    assert.equal(listings, 6, "3 pages and 3 limited requests");
    // Every retry of a page asks for the same page: the cursor after the last page handed on.
    assert.equal(listed[1], listed[2]);
    assert.equal(listed[1], listed[3]);
    assert.equal(listed[4], listed[5]);
    assert.notEqual(listed[1], listed[4]);
    assert.ok(time.slept() >= 3 * 60_000);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a file the edge keeps limiting past any sane wait fails naming the edge, not Toloka", async () => {
  const emulator = new TolokaEmulator({ pools: [2], maxFileSize: 64 });
  const time = fakeTime();
  const fetch = (request: Request): Promise<Response> =>
    new URL(request.url).pathname.endsWith("/download")
      ? Promise.resolve(
        Response.json(
          { request_id: "r-1", code: "TOO_MANY_REQUESTS", message: EDGE_LIMIT_MESSAGE },
          { status: 429, headers: { "Retry-After": "86400" } },
        ),
      )
      : emulator.fetch(request);
  const out = await Deno.makeTempDir({ prefix: "cli-rate-limit-" });
  try {
    const result = await run(
      ["download", "--pool-id", "1", "--out", out, "--base-url", EDGE, "--retries", "0"],
      { fetch, now: time.now, sleep: time.sleep },
    );
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /failed: \S+ "[^"]*": rate limited by the edge Worker at 127\.0\.0\.1:8787 \(its limit for this API key\): 429 TOO_MANY_REQUESTS: Too many requests for this API key; retry later \(request id r-1\)\n/,
    );
    assert.doesNotMatch(result.stderr, /Toloka API/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("rateLimiterName() tells Toloka, Toloka behind an edge, and the edge's own limit apart", () => {
  assert.equal(rateLimiterName(undefined, EDGE_LIMIT_MESSAGE), "the Toloka API");
  assert.equal(rateLimiterName("https://toloka.dev/api/v1", EDGE_LIMIT_MESSAGE), "the Toloka API");
  assert.equal(
    rateLimiterName("https://sandbox.toloka.dev/api/v1/attachments?x=1", "x"),
    "the Toloka API",
  );
  assert.equal(
    rateLimiterName(EDGE, EDGE_LIMIT_MESSAGE),
    "the edge Worker at 127.0.0.1:8787 (its limit for this API key)",
  );
  assert.equal(
    rateLimiterName(EDGE, "The upstream API is rate limiting; retry later"),
    "the Toloka API, behind the edge at 127.0.0.1:8787",
  );
  assert.equal(rateLimiterName("http://proxy.test/api/v1", "Too many"), "the server at proxy.test");
  assert.equal(isTolokaApi("https://tasks.yandex.ru/api/v1"), true);
  assert.equal(isTolokaApi("https://toloka.dev.evil.test/api/v1"), false);
  assert.equal(serviceName(EDGE), "the server at 127.0.0.1:8787");
});

Deno.test("errorText() names the service that answered: Toloka by default, the --base-url host otherwise", () => {
  const denied = new TolokaApiError({
    status: 401,
    code: "AUTHENTICATION_ERROR",
    message: "Unknown key",
    requestId: "r-9",
  });
  assert.equal(
    errorText(denied),
    "the Toloka API answered 401 AUTHENTICATION_ERROR: Unknown key (request id r-9)",
  );
  assert.equal(
    errorText(denied, EDGE),
    "the server at 127.0.0.1:8787 answered 401 AUTHENTICATION_ERROR: Unknown key (request id r-9)",
  );
  const limited = new TolokaApiError({
    status: 429,
    code: "TOO_MANY_REQUESTS",
    message: EDGE_LIMIT_MESSAGE,
    retryAfterMs: 60_000,
  });
  assert.equal(
    errorText(limited, "https://toloka.dev/api/v1"),
    `rate limited by the Toloka API: 429 TOO_MANY_REQUESTS: ${EDGE_LIMIT_MESSAGE}`,
  );
});

Deno.test("RateLimitGate holds until the longest Retry-After seen, ticking once a second", async () => {
  const time = fakeTime();
  const gate = new RateLimitGate(time.now, time.sleep);
  assert.equal(gate.note(3_000, "A"), true, "a new wait");
  assert.equal(gate.note(2_000, "B"), false, "a shorter one changes nothing");
  assert.equal(gate.who, "A");
  assert.equal(gate.note(5_000, "C"), false, "a longer one extends the wait");
  assert.equal(gate.who, "C");
  const ticks: number[] = [];
  await gate.wait(new AbortController().signal, () => ticks.push(gate.remainingMs()));
  assert.deepEqual(ticks, [5_000, 4_000, 3_000, 2_000, 1_000]);
  assert.equal(gate.remainingMs(), 0);
  assert.equal(gate.note(0, "D"), false, "a zero wait closes nothing");
});

Deno.test("renderBar() shows a rate-limit countdown where the ETA was", () => {
  const counts = { ...emptyCounts(), listed: 10, listingDone: true, downloaded: 5, bytes: 2048 };
  assert.equal(
    renderBar(counts, 2000, 200, { seconds: 42, who: "the Toloka API" }),
    " 50% [##########----------] 5/10 files  2.00 KiB  1.00 KiB/s  waiting 42 s: rate limited by the Toloka API",
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
