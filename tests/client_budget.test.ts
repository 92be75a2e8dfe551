/**
 * `RequestBudget`: every attempt (retries included) takes one request; a spent budget sends
 * nothing; a retry it cannot pay for throws the failure it would have retried; at most
 * `concurrency` requests are open at once, a streamed download holding its slot until its body
 * ends.
 */

import assert from "node:assert/strict";
import { AttachmentsClient, RequestBudget, TolokaApiError, TolokaBudgetError } from "../mod.ts";
import { TolokaEmulator } from "../src/testing/mod.ts";
import { tick } from "./client_helpers.ts";

function setup(
  budget: RequestBudget,
  faults: (string | null)[] = [],
): { emulator: TolokaEmulator; client: AttachmentsClient; open: () => number; peak: () => number } {
  const emulator = new TolokaEmulator({
    pools: [250],
    faults: { script: faults as ("500" | null)[] },
  });
  let open = 0;
  let peak = 0;
  const client = new AttachmentsClient({
    token: "test-token",
    budget,
    retryDelayMs: 0,
    fetch: async (request: Request) => {
      open++;
      peak = Math.max(peak, open);
      try {
        await tick(1);
        return await emulator.fetch(request);
      } finally {
        open--;
      }
    },
  });
  return { emulator, client, open: () => open, peak: () => peak };
}

Deno.test("an iteration stops with TolokaBudgetError when the budget is spent, having sent exactly its limit", async () => {
  const budget = new RequestBudget({ limit: 2 });
  const { emulator, client } = setup(budget);
  const seen: string[] = [];
  await assert.rejects(async () => {
    for await (const item of client.getAttachments({ pool_id: "1" }, { batchSize: 100 })) {
      seen.push(item.id);
    }
  }, (error: unknown) => error instanceof TolokaBudgetError && error.limit === 2);
  assert.equal(seen.length, 200);
  assert.equal(emulator.requests.length, 2);
  assert.equal(budget.used, 2);
  assert.equal(budget.remaining, 0);
});

Deno.test("retries draw from the budget; a retry it cannot pay for throws the upstream failure", async () => {
  const budget = new RequestBudget({ limit: 2 });
  const { emulator, client } = setup(budget, ["500", "500", "500"]);
  await assert.rejects(
    client.findAttachments({ pool_id: "1" }),
    (error: unknown) => error instanceof TolokaApiError && error.status === 500,
  );
  assert.equal(emulator.requests.length, 2);
  await assert.rejects(client.getAttachment("x"), TolokaBudgetError);
  assert.equal(emulator.requests.length, 2, "a spent budget sends nothing");
});

Deno.test("one budget shared by two clients caps both together", async () => {
  const budget = new RequestBudget({ limit: 3 });
  const a = setup(budget);
  const b = setup(budget);
  await a.client.findAttachments({ pool_id: "1" });
  await b.client.findAttachments({ pool_id: "1" });
  await a.client.findAttachments({ pool_id: "1" });
  await assert.rejects(b.client.findAttachments({ pool_id: "1" }), TolokaBudgetError);
  assert.equal(a.emulator.requests.length + b.emulator.requests.length, 3);
});

Deno.test("at most `concurrency` requests are open at once, even for a parallel scan of 8 lanes", async () => {
  const budget = new RequestBudget({ limit: 1_000, concurrency: 2 });
  const { client, peak } = setup(budget);
  let count = 0;
  for await (
    const _ of client.getAttachments({ pool_id: "1" }, { batchSize: 10, concurrency: 8 })
  ) {
    count++;
  }
  assert.equal(count, 250);
  assert.equal(peak(), 2);
  assert.equal(budget.peakOpen, 2);
});

Deno.test("a streamed download holds its connection slot until its body is read", async () => {
  const budget = new RequestBudget({ limit: 10, concurrency: 1 });
  const { emulator, client } = setup(budget);
  const [first, second] = emulator.attachments;
  const download = await client.downloadAttachment(first!.id);
  let metadata = false;
  const waiting = client.getAttachment(second!.id).then(() => metadata = true);
  await tick(20);
  assert.equal(metadata, false, "the second request waits for the open download");
  assert.deepEqual(
    new Uint8Array(await new Response(download.body).arrayBuffer()),
    emulator.bytesOf(first!.id),
  );
  await waiting;
  assert.equal(metadata, true);
  assert.equal(budget.used, 2);
});

Deno.test("a cancelled download gives its slot back", async () => {
  const budget = new RequestBudget({ limit: 10, concurrency: 1 });
  const { emulator, client } = setup(budget);
  const download = await client.downloadAttachment(emulator.attachments[0]!.id);
  await download.body.cancel();
  await client.getAttachment(emulator.attachments[1]!.id);
  assert.equal(budget.used, 2);
});

Deno.test("RequestBudget checks its options and the client checks the budget option", () => {
  assert.throws(
    () => new RequestBudget({ limit: -1 }),
    /Option "limit" must be an integer of at least 0/,
  );
  assert.throws(() => new RequestBudget({ limit: 1.5 }), RangeError);
  assert.throws(() => new RequestBudget({ limit: 5, concurrency: 0 }), /"concurrency"/);
  assert.throws(() => new RequestBudget({ limit: "5" as unknown as number }), TypeError);
  assert.throws(
    () => new AttachmentsClient({ token: "t", budget: { limit: 5 } as unknown as RequestBudget }),
    /Option "budget" must be a RequestBudget/,
  );
});
