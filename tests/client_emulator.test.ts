/**
 * The client against the Toloka API emulator: in process (`fetch: emulator.fetch`) and over
 * loopback (`emulator.serve()`). Listings are compared item for item with a brute-force sort of
 * the emulator's ground truth, whose pool "1" holds a run of 150 identical `created` values,
 * values that differ only in microseconds, and 0/3/5/6 fraction digits.
 */

import assert from "node:assert/strict";
import {
  type Attachment,
  type AttachmentFilter,
  AttachmentsClient,
  type Order,
  TolokaApiError,
  TolokaTimeoutError,
} from "../mod.ts";
import { rawCreatedOf } from "../src/raw_created.ts";
import { toWireAttachment } from "../src/wire.ts";
import { type FaultKind, TolokaEmulator, type WireAttachment } from "../src/testing/mod.ts";
import { collect, compareBy, createdKey, tick } from "./client_helpers.ts";
import { FakeTime } from "./fake_time.ts";

const ORDERS: Record<Order, string[]> = {
  id: ["id"],
  "-id": ["-id"],
  created: ["created", "id"],
  "-created": ["-created", "-id"],
};

// One shared data set: the default pools (pool "1" has 600 attachments and the fixtures).
const emulator = new TolokaEmulator();

function fastClient(
  fetch: (request: Request) => Promise<Response>,
  baseUrl?: string,
): AttachmentsClient {
  return new AttachmentsClient({
    token: "test-token",
    fetch,
    retryDelayMs: 1,
    maxRetryDelayMs: 50,
    ...(baseUrl === undefined ? {} : { baseUrl }),
  });
}

function inRange(item: WireAttachment, filter: AttachmentFilter): boolean {
  const key = createdKey(item.created);
  const bound = (value: Date | string | undefined): string | undefined =>
    value === undefined ? undefined : createdKey(String(value));
  const [cgt, cgte, clt, clte] = [
    bound(filter.created_gt),
    bound(filter.created_gte),
    bound(filter.created_lt),
    bound(filter.created_lte),
  ];
  return item.details.pool_id === filter.pool_id &&
    (filter.id_gt === undefined || item.id > filter.id_gt) &&
    (filter.id_gte === undefined || item.id >= filter.id_gte) &&
    (filter.id_lt === undefined || item.id < filter.id_lt) &&
    (filter.id_lte === undefined || item.id <= filter.id_lte) &&
    (cgt === undefined || key > cgt) && (cgte === undefined || key >= cgte) &&
    (clt === undefined || key < clt) && (clte === undefined || key <= clte);
}

/** The expected listing, by brute force over the emulator's ground truth. */
function expected(
  source: TolokaEmulator,
  filter: AttachmentFilter,
  order: Order,
): WireAttachment[] {
  return source.attachments.filter((item) => inRange(item, filter)).sort(compareBy(ORDERS[order]));
}

/** The listing as the client yields it, in wire form (exact `created` strings). */
async function listed(
  client: AttachmentsClient,
  filter: AttachmentFilter,
  order: Order,
  batchSize: number,
): Promise<Record<string, unknown>[]> {
  const items: Attachment[] = await collect(client.getAttachments(filter, { order, batchSize }));
  return items.map(toWireAttachment);
}

Deno.test("the emulator's pool 1 holds the tie and microsecond fixtures", () => {
  const pool = emulator.attachments.filter((a) => a.details.pool_id === "1");
  assert.equal(pool.length, 600);
  const counts = new Map<string, number>();
  for (const item of pool) {
    counts.set(createdKey(item.created), (counts.get(createdKey(item.created)) ?? 0) + 1);
  }
  assert.ok(Math.max(...counts.values()) > 100, "a run of more than 100 identical created values");
  assert.ok(pool.some((a) => a.created.endsWith(".345001")), "microsecond neighbours");
});

for (const order of ["id", "-id", "created", "-created"] as const) {
  Deno.test(`getAttachments() in order ${order} matches a brute-force sort (in process)`, async () => {
    const client = fastClient(emulator.fetch);
    for (const batchSize of [7, 13, 100]) {
      emulator.clearRequests();
      const got = await listed(client, { pool_id: "1" }, order, batchSize);
      const want = expected(emulator, { pool_id: "1" }, order);
      assert.equal(got.length, 600);
      assert.deepEqual(got, want, `batch ${batchSize}`);
      for (const entry of emulator.requests) {
        assert.equal(entry.status, 200);
        assert.deepEqual(entry.params.filter(([k]) => k === "limit"), [[
          "limit",
          String(batchSize),
        ]]);
      }
    }
  });
}

Deno.test("getAttachments() matches a brute-force sort over loopback, in all four orders", async () => {
  await using server = await emulator.serve();
  const client = fastClient((request) => fetch(request), server.baseUrl);
  for (const order of ["id", "-id", "created", "-created"] as const) {
    for (const batchSize of [13, 100]) {
      const got = await listed(client, { pool_id: "1" }, order, batchSize);
      assert.deepEqual(
        got,
        expected(emulator, { pool_id: "1" }, order),
        `${order} batch ${batchSize}`,
      );
    }
  }
});

Deno.test("getAttachments() keeps the caller's id and created ranges (in process)", async () => {
  const pool = expected(emulator, { pool_id: "1" }, "created");
  const byId = expected(emulator, { pool_id: "1" }, "id");
  const tieRun = pool[Math.floor(pool.length / 2)]!; // somewhere in the middle
  const ranges: AttachmentFilter[] = [
    { pool_id: "1", id_gt: byId[100]!.id, id_lte: byId[400]!.id },
    { pool_id: "1", id_gte: byId[250]!.id },
    { pool_id: "1", created_gte: pool[50]!.created, created_lt: pool[500]!.created },
    { pool_id: "1", created_gt: tieRun.created, id_lt: byId[450]!.id },
    { pool_id: "1", created_lte: tieRun.created, id_gt: byId[20]!.id },
    { pool_id: "1", created_gte: tieRun.created, created_lte: tieRun.created },
  ];
  const client = fastClient(emulator.fetch);
  for (const filter of ranges) {
    for (const order of ["id", "-id", "created", "-created"] as const) {
      const want = expected(emulator, filter, order);
      assert.ok(want.length > 0, JSON.stringify(filter));
      const got = await listed(client, filter, order, 11);
      assert.deepEqual(got, want, `${JSON.stringify(filter)} ${order}`);
    }
  }
});

Deno.test("getAttachments() keeps Date bounds on every page", async () => {
  const pool = expected(emulator, { pool_id: "1" }, "created");
  const from = new Date(`${pool[100]!.created.slice(0, 19)}Z`);
  const filter = { pool_id: "1", created_gte: from };
  const client = fastClient(emulator.fetch);
  const got = await listed(client, filter, "-created", 50);
  const want = pool.filter((item) =>
    createdKey(item.created) >= createdKey(from.toISOString().slice(0, 23))
  )
    .sort(compareBy(ORDERS["-created"]));
  assert.deepEqual(got, want);
});

Deno.test("getAttachments() lists every pool and assignment exactly", async () => {
  const client = fastClient(emulator.fetch);
  for (const pool of ["2", "3", "4", "5", "6", "7", "8"]) {
    const got = await listed(client, { pool_id: pool }, "created", 100);
    assert.deepEqual(got, expected(emulator, { pool_id: pool }, "created"), `pool ${pool}`);
  }
  const assignment = emulator.attachments[0]!.details.assignment_id;
  const got = await collect(client.getAttachments({ assignment_id: assignment }, { order: "-id" }));
  assert.deepEqual(
    got.map((a) => a.id),
    emulator.attachments.filter((a) => a.details.assignment_id === assignment)
      .sort(compareBy(["-id"])).map((a) => a.id),
  );
});

Deno.test("items keep their exact created string and parse it as UTC", async () => {
  const client = fastClient(emulator.fetch);
  const items = await collect(client.getAttachments({ pool_id: "1" }));
  const truth = new Map(emulator.attachments.map((a) => [a.id, a]));
  for (const item of items) {
    const wire = truth.get(item.id)!;
    assert.equal(rawCreatedOf(item), wire.created);
    const [seconds, fraction = ""] = wire.created.split(".");
    assert.equal(item.created.toISOString(), `${seconds}.${fraction.padEnd(3, "0").slice(0, 3)}Z`);
  }
  const old = items.find((a) => a.name === "old upload.png")!;
  assert.equal(old.owner, undefined);
  const noCompany = items.find((a) => a.name === "no company.mp3")!;
  assert.equal(noCompany.owner?.company_id, undefined);
  assert.ok(noCompany.owner?.id);
  assert.deepEqual(items.find((a) => a.name === "annotated.pdf")!.review, {
    status: "ACCEPTED",
    score: 0.75,
    tags: ["a", "b"],
  });
  assert.equal(items.find((a) => a.name === "reviewed.png")!.reviewed, true);
});

Deno.test("findAttachments() sends exactly the given params (emulator log)", async () => {
  const client = fastClient(emulator.fetch);
  emulator.clearRequests();
  const result = await client.findAttachments(
    { pool_id: "1", created_gte: new Date(Date.UTC(2000, 0, 1)), name: "photo.png" },
    { sort: ["-created", "-id"], limit: 3 },
  );
  assert.deepEqual(emulator.requests.map((r) => [r.path, r.params, r.scheme, r.status]), [[
    "/api/v1/attachments",
    [
      ["pool_id", "1"],
      ["name", "photo.png"],
      ["created_gte", "2000-01-01T00:00:00.000"],
      ["sort", "-created,-id"],
      ["limit", "3"],
    ],
    "OAuth",
    200,
  ]]);
  assert.equal(result.items.length, 3);
  assert.equal(result.has_more, true);
  assert.deepEqual(
    result.items.map(toWireAttachment),
    expected(emulator, { pool_id: "1" }, "-created").filter((a) => a.name === "photo.png").slice(
      0,
      3,
    ),
  );
});

Deno.test("getAttachment() returns the wire object (in process and over loopback)", async () => {
  const wire = emulator.attachments.find((a) => a.name === "annotated.pdf")!;
  const local = await fastClient(emulator.fetch).getAttachment(wire.id);
  assert.deepEqual(toWireAttachment(local), wire);
  await using server = await emulator.serve();
  const remote = await fastClient((r) => fetch(r), server.baseUrl).getAttachment(wire.id);
  assert.deepEqual(toWireAttachment(remote), wire);
});

Deno.test("an unknown id is a TolokaApiError 404 DOES_NOT_EXIST, not retried", async () => {
  emulator.clearRequests();
  const error = await fastClient(emulator.fetch).getAttachment("no-such-id").catch((e) => e);
  assert.ok(error instanceof TolokaApiError);
  assert.equal(error.status, 404);
  assert.equal(error.code, "DOES_NOT_EXIST");
  assert.equal(typeof error.requestId, "string");
  assert.equal(emulator.requests.length, 1);
});

Deno.test("a rejected token is a TolokaApiError 401, not retried, without the token", async () => {
  const token = "AQAAAAAwrongTokenValue1234567";
  emulator.clearRequests();
  const client = new AttachmentsClient({ token, fetch: emulator.fetch });
  const error = await client.findAttachments({ pool_id: "1" }).catch((e) => e);
  assert.ok(error instanceof TolokaApiError);
  assert.equal(error.status, 401);
  assert.equal(error.code, "AUTHENTICATION_ERROR");
  assert.ok(!JSON.stringify(error).includes(token) && !error.message.includes(token));
  assert.ok(!String(error.stack).includes(token));
  assert.equal(emulator.requests.length, 1);
});

Deno.test("an emulator validation error comes back as a TolokaApiError with payload", async () => {
  // The client never sends a bad limit; ask the emulator directly through the transport.
  const client = fastClient((request) => {
    const url = new URL(request.url);
    url.searchParams.set("limit", "1000");
    return emulator.fetch(new Request(url, request));
  });
  const error = await client.findAttachments({ pool_id: "1" }, { limit: 5 }).catch((e) => e);
  assert.ok(error instanceof TolokaApiError);
  assert.equal(error.status, 400);
  assert.equal(error.code, "VALIDATION_ERROR");
  assert.ok((error.payload as Record<string, unknown>).limit);
});

// ---- faults ----

const FAULTS: FaultKind[] = ["429", "500", "502", "503", "reset", "truncated"];

for (const kind of FAULTS) {
  Deno.test(`a "${kind}" fault is retried (in process and over loopback)`, async () => {
    const faulty = new TolokaEmulator({ pools: [30], faults: { retryAfterSeconds: 0 } });
    await using server = await faulty.serve();
    for (const fetch of [faulty.fetch, (r: Request) => globalThis.fetch(r)]) {
      faulty.setFaults({ script: [kind, kind], retryAfterSeconds: 0 });
      faulty.clearRequests();
      const client = fastClient(fetch, server.baseUrl);
      const result = await client.findAttachments({ pool_id: "1" }, { limit: 10 });
      assert.equal(result.items.length, 10);
      assert.deepEqual(faulty.requests.map((r) => r.fault), [kind, kind, null]);
    }
  });
}

Deno.test("a truncated page in an iteration is retried and nothing is lost", async () => {
  const faulty = new TolokaEmulator({ pools: [100] });
  faulty.setFaults({ script: [null, "truncated", null, "reset", "502"], retryAfterSeconds: 0 });
  const got = await collect(
    fastClient(faulty.fetch).getAttachments({ pool_id: "1" }, { batchSize: 10, order: "created" }),
  );
  assert.deepEqual(got.map(toWireAttachment), expected(faulty, { pool_id: "1" }, "created"));
});

Deno.test("random faults on every kind still give the exact listing", async () => {
  const faulty = new TolokaEmulator({ pools: [300] });
  faulty.setFaults({ rate: 0.3, kinds: FAULTS, retryAfterSeconds: 0, seed: 7 });
  const client = new AttachmentsClient({
    token: "test-token",
    fetch: faulty.fetch,
    retries: 10,
    retryDelayMs: 1,
    maxRetryDelayMs: 5,
  });
  const got = await collect(
    client.getAttachments({ pool_id: "1" }, { order: "-created", batchSize: 17 }),
  );
  assert.deepEqual(got.map(toWireAttachment), expected(faulty, { pool_id: "1" }, "-created"));
  assert.ok(faulty.requests.some((r) => r.fault !== null));
});

Deno.test("a 429 with Retry-After: 0 is retried at once", async () => {
  const time = new FakeTime();
  const faulty = new TolokaEmulator({ pools: [5] });
  faulty.setFaults({ script: ["429"], retryAfterSeconds: 0 });
  const client = new AttachmentsClient({
    token: "test-token",
    fetch: faulty.fetch,
    retryDelayMs: 60_000, // a wait of 30 to 60 s if Retry-After were ignored
    maxRetryDelayMs: 60_000,
    sleep: time.sleep,
  });
  const result = await time.run(client.findAttachments({ pool_id: "1" }));
  assert.equal(result.items.length, 5);
  assert.deepEqual(faulty.requests.map((r) => r.status), [429, 200]);
  assert.deepEqual(time.waits, [0]);
});

Deno.test("timeoutMs cancels a delayed attempt, which is retried", async () => {
  // The emulator's clock never moves: only the client's timeout can end the 10 s delay.
  const time = new FakeTime();
  const faulty = new TolokaEmulator({ pools: [5], sleep: time.sleep });
  await using server = await faulty.serve();
  for (const fetch of [faulty.fetch, (r: Request) => globalThis.fetch(r)]) {
    faulty.setFaults({ script: ["delay"], delayMs: 10_000 });
    faulty.clearRequests();
    const client = new AttachmentsClient({
      token: "test-token",
      fetch,
      baseUrl: server.baseUrl,
      timeoutMs: 50,
      retryDelayMs: 1,
    });
    const asked = time.waits.length;
    const result = await client.findAttachments({ pool_id: "1" });
    assert.equal(result.items.length, 5);
    assert.deepEqual(time.waits.slice(asked), [10_000]);
    assert.deepEqual(faulty.requests.map((r) => r.fault), ["delay", null]);
  }
});

Deno.test("a delay on every attempt ends in a TolokaTimeoutError", async () => {
  const faulty = new TolokaEmulator({ pools: [5] });
  faulty.setFaults({ script: ["delay", "delay"], delayMs: 10_000 });
  const client = new AttachmentsClient({
    token: "test-token",
    fetch: faulty.fetch,
    timeoutMs: 20,
    retries: 1,
    retryDelayMs: 1,
  });
  await assert.rejects(client.getAttachment(faulty.attachments[0]!.id), TolokaTimeoutError);
  assert.equal(faulty.requests.length, 2);
});

// ---- laziness, early exit, prefetch ----

Deno.test("nothing is requested before the first next() (emulator log)", async () => {
  emulator.clearRequests();
  const iterator = fastClient(emulator.fetch).getAttachments({ pool_id: "1" });
  await tick(5);
  assert.equal(emulator.requests.length, 0);
  await iterator.next();
  assert.equal(emulator.requests.length >= 1, true);
  await iterator.return!();
});

for (const transport of ["in process", "over loopback"] as const) {
  Deno.test(`an early break aborts the prefetch in flight and sends no more (${transport})`, async () => {
    const time = new FakeTime();
    const slow = new TolokaEmulator({ pools: [300], latencyMs: 100, sleep: time.sleep });
    await using server = await slow.serve();
    const fetch = transport === "in process" ? slow.fetch : (r: Request) => globalThis.fetch(r);
    const client = fastClient(fetch, server.baseUrl);
    const consumer = (async () => {
      let seen = 0;
      for await (const _ of client.getAttachments({ pool_id: "1" }, { batchSize: 10 })) {
        seen++;
        if (seen === 3) {
          await time.asked(2); // the second page is in flight, held by its latency
          assert.equal(slow.requests.length, 2);
          break;
        }
      }
    })();
    await time.asked(1);
    await time.tick(100); // the first page's latency
    await consumer;
    await time.tick(200); // twice the prefetch's latency, with a request it could have sent
    await tick(50); // and real time for one to arrive over loopback
    assert.equal(slow.requests.length, 2, "no request after the break");
    assert.equal(time.now, 300);
    if (transport === "in process") {
      // The emulator saw the abort: the request got no response, its wait ended with it.
      assert.equal(slow.requests[1]!.status, 0);
      assert.equal(time.pending, 0);
    }
  });
}

Deno.test("prefetch overlaps a slow consumer with a slow server, one page ahead", async () => {
  // One virtual clock for the server's latency and the consumer's work.
  const time = new FakeTime();
  const slow = new TolokaEmulator({ pools: [50], latencyMs: 60, sleep: time.sleep });
  const client = fastClient(slow.fetch);
  const pages = await time.run((async () => {
    let pages = 0;
    for await (const _page of client.getAttachmentPages({ pool_id: "1" }, { batchSize: 10 })) {
      pages++;
      // The next page was requested as soon as this one arrived, before the consumer asks.
      if (pages < 5) assert.equal(slow.requests.length, pages + 1);
      await time.sleep(60); // a slow consumer
      assert.ok(slow.requests.length <= pages + 1, "at most one page ahead");
    }
    return pages;
  })());
  // Five pages of 60 ms server time and 60 ms consumer time: 360 ms when overlapped (the first
  // page, then five pages of work, each hiding the next page's latency), 600 ms in sequence.
  assert.equal(pages, 5);
  assert.equal(time.now, 360);
});

Deno.test("without prefetch, pages are requested only when the consumer asks", async () => {
  const slow = new TolokaEmulator({ pools: [30], latencyMs: 5 });
  const client = fastClient(slow.fetch);
  let pages = 0;
  for await (
    const _page of client.getAttachmentPages({ pool_id: "1" }, { batchSize: 10, prefetch: false })
  ) {
    pages++;
    await tick(20);
    assert.equal(slow.requests.length, pages);
  }
  assert.equal(pages, 3);
});

Deno.test("aborting the caller's signal stops an iteration over loopback at once", async () => {
  const time = new FakeTime();
  const slow = new TolokaEmulator({ pools: [100], latencyMs: 300, sleep: time.sleep });
  await using server = await slow.serve();
  const client = fastClient((r) => fetch(r), server.baseUrl);
  const controller = new AbortController();
  const iterator = client.getAttachments({ pool_id: "1" }, { signal: controller.signal });
  const pending = iterator.next();
  await time.asked(1); // the request waits out its latency at the server
  controller.abort(new Error("user stop"));
  // Run on the clock: had the abort not ended the wait, the server's 300 ms would pass.
  await assert.rejects(time.run(pending), /user stop/);
  assert.equal(time.now, 0, "the server's 300 ms never passed");
});
