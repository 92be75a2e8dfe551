import * as v from "valibot";
import { TolokaEmulator } from "../src/testing/mod.ts";
import { completeListingPage, readListingPage, readCreated } from "../src/schema.ts";
import { applyPage, START } from "../src/pagination.ts";
import { validateFilter } from "../src/query.ts";
import { itemIterator } from "../src/item_iterator.ts";
const em = new TolokaEmulator({ pools: [10000] });
const res = await em.fetch("http://x/api/v1/attachments?pool_id=1&sort=id&limit=100&id_gt=5", { headers: { authorization: "OAuth test-token" } });
const text = await res.text();
const plan = { filter: validateFilter({ pool_id: "1" }), order: "id" as const, batchSize: 100 };
Deno.bench("JSON.parse", { group: "p", baseline: true }, () => { JSON.parse(text); });
Deno.bench("+ readListing", { group: "p" }, () => { readListingPage(JSON.parse(text)); });
Deno.bench("+ applyPage", { group: "p" }, () => { applyPage(plan, START, readListingPage(JSON.parse(text))); });
Deno.bench("+ readCreated", { group: "p" }, () => { const l = readListingPage(JSON.parse(text)); applyPage(plan, START, l); readCreated(l.items); });
Deno.bench("+ complete", { group: "p" }, () => { const l = readListingPage(JSON.parse(text)); applyPage(plan, START, l); completeListingPage(l); });
Deno.bench("+ complete + iterate", { group: "p" }, async () => {
  const l = readListingPage(JSON.parse(text)); const s = applyPage(plan, START, l); completeListingPage(l);
  async function* one() { yield { items: s.items }; }
  let n = 0; for await (const _ of itemIterator(one())) n++;
});
Deno.bench("iterate raw array", { group: "p" }, async () => {
  const p = JSON.parse(text);
  async function* one() { yield { items: p.items }; }
  let n = 0; for await (const _ of itemIterator(one())) n++;
});
