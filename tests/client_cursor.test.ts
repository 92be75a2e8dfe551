/**
 * Resumable iteration: every page of `getAttachmentPages()` carries a cursor, and a new iteration
 * started from any of them yields exactly the rest, in all four orders, through runs of one
 * `created` value longer than a page; bad cursors are refused before anything is sent.
 */

import assert from "node:assert/strict";
import { AttachmentsClient, type ListingPage, ORDERS } from "../mod.ts";
import { TolokaEmulator } from "../src/testing/mod.ts";
import { collect } from "./client_helpers.ts";
import { expectedOrder, tieHeavy } from "./tie_data.ts";

const items = tieHeavy(1_500);
const emulator = new TolokaEmulator({ attachments: items });
const client = new AttachmentsClient({ token: "test-token", fetch: emulator.fetch });

for (const order of ORDERS) {
  Deno.test(`getAttachmentPages() in order ${order}: resuming from every page's cursor yields exactly the rest`, async () => {
    const expected = expectedOrder(items, order);
    const pages: ListingPage[] = await collect(
      client.getAttachmentPages({ pool_id: "1" }, { order, batchSize: 37 }),
    );
    assert.deepEqual(pages.flatMap((page) => page.items.map((item) => item.id)), expected);
    // The last page's cursor is null, or (when one more request found the end) resumes to nothing.
    const last = pages.at(-1)!.cursor;
    if (last !== null) {
      assert.deepEqual(
        await collect(client.getAttachments({ pool_id: "1" }, { order, cursor: last })),
        [],
      );
    }
    let done = 0;
    for (const [index, page] of pages.entries()) {
      done += page.items.length;
      if (page.cursor === null) continue;
      // Every fifth page, and the last before the end, to keep the file fast.
      if (index % 5 !== 0 && index !== pages.length - 2) continue;
      const rest: string[] = [];
      for await (
        const item of client.getAttachments({ pool_id: "1" }, {
          order,
          batchSize: 100,
          cursor: page.cursor,
        })
      ) {
        rest.push(item.id);
      }
      assert.deepEqual(rest, expected.slice(done), `resumed after page ${index}`);
    }
  });
}

Deno.test("a chain of iterations, each stopped after two pages and resumed, yields every item once", async () => {
  for (const order of ORDERS) {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let round = 0; round < 1_000; round++) {
      const options = { order, batchSize: 100, ...(cursor ? { cursor } : {}) };
      let pages = 0;
      let next: string | null = null;
      for await (const page of client.getAttachmentPages({ pool_id: "1" }, options)) {
        seen.push(...page.items.map((item) => item.id));
        next = page.cursor;
        if (++pages === 2) break;
      }
      if (next === null) break;
      cursor = next;
    }
    assert.deepEqual(seen, expectedOrder(items, order), `order ${order}`);
  }
});

Deno.test("pages of a parallel scan carry cursors that resume exactly", async () => {
  for (const order of ORDERS) {
    const pages = await collect(
      client.getAttachmentPages({ pool_id: "1" }, { order, concurrency: 4 }),
    );
    const expected = expectedOrder(items, order);
    const middle = pages[Math.floor(pages.length / 2)]!;
    const done = pages.slice(0, pages.indexOf(middle) + 1).flatMap((p) => p.items).length;
    const rest = (await collect(
      client.getAttachments({ pool_id: "1" }, { order, cursor: middle.cursor! }),
    )).map((item) => item.id);
    assert.deepEqual(rest, expected.slice(done), `order ${order}`);
  }
});

Deno.test("a cursor of another order, a malformed or a tampered one is a RangeError naming cursor, and nothing is sent", async () => {
  const [first] = await collect(
    client.getAttachmentPages({ pool_id: "1" }, { order: "created", batchSize: 10 }),
  );
  const cursor = first!.cursor!;
  const before = emulator.requests.length;
  const token = (fields: unknown[]): string => btoa(JSON.stringify(fields)).replace(/=+$/, "");
  const attempts: [string, string, RegExp][] = [
    ["id", cursor, /belongs to order created, not id/],
    ["-created", cursor, /belongs to order created, not -created/],
    ["created", "not a cursor!", /not a valid cursor \(unreadable\)/],
    ["created", cursor.slice(0, -3), /not a valid cursor/],
    ["created", token(["created", "a", "yesterday", "x", 1]), /bad created/],
    [
      "created",
      token(["created", "a", "2024-01-01T00:00:00", "x", 0]),
      /wrong shape/,
    ],
    ["created", token(["created", "z", "x"]), /unknown phase/],
  ];
  for (const [order, token, message] of attempts) {
    assert.throws(
      () => client.getAttachments({ pool_id: "1" }, { order: order as "id", cursor: token }),
      (error: unknown) =>
        error instanceof RangeError && /Option "cursor"/.test(error.message) &&
        message.test(error.message),
      `${order} ${token}`,
    );
  }
  assert.throws(
    () => client.getAttachments({ pool_id: "1" }, { order: "created", cursor, concurrency: 2 }),
    /cannot be combined with "concurrency"/,
  );
  assert.equal(emulator.requests.length, before);
});
