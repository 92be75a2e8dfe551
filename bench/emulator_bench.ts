/**
 * The emulator's own cost per request on a one-million-attachment pool (`pools: [1_000_000]`).
 *
 * Run: deno bench --allow-net=127.0.0.1 bench/emulator_bench.ts
 *
 * Setup (generation, then the first page of each ordering, which builds and caches its index) is
 * timed once and printed before the table; each benchmark then times `handle()` alone: routing,
 * auth, validation, the indexed query and the JSON encoding of the page.
 */

import { TolokaEmulator, type WireAttachment } from "@toloka-edge/attachments/testing";

const SIZE = 1_000_000;
const AUTH = { Authorization: "OAuth test-token" };

function request(path: string): Request {
  return new Request(`http://emulator/api/v1/${path}`, { headers: AUTH });
}

async function answer(emulator: TolokaEmulator, request: Request): Promise<void> {
  const response = await emulator.handle(request);
  if (response.status !== 200) throw new Error(`unexpected status ${response.status}`);
  await response.arrayBuffer();
}

async function timed(work: () => unknown): Promise<string> {
  const started = performance.now();
  await work();
  return `${(performance.now() - started).toFixed(0)} ms`;
}

let emulator = new TolokaEmulator({ pools: [0] });
const setup = {
  generate: await timed(() => {
    emulator = new TolokaEmulator({ pools: [SIZE] });
  }),
  idIndex: await timed(() => answer(emulator, request("attachments?pool_id=1&sort=id"))),
  createdIdIndex: await timed(() =>
    answer(emulator, request("attachments?pool_id=1&sort=created,id"))
  ),
  createdMixedIndex: await timed(() =>
    answer(emulator, request("attachments?pool_id=1&sort=-created,id"))
  ),
  idMap: await timed(() => answer(emulator, request(`attachments/${emulator.attachments[0]?.id}`))),
};
// deno-lint-ignore no-console
console.log(
  `setup, ${SIZE} attachments: generate ${setup.generate}; first page building the id index ` +
    `${setup.idIndex}, the (created, id) index ${setup.createdIdIndex}, the (created, -id) index ` +
    `${setup.createdMixedIndex}; first lookup by id (builds the id map) ${setup.idMap}`,
);

const middle = emulator.attachments[SIZE >> 1] as WireAttachment;
const image = emulator.attachments.find((a) => a.media_type === "image/png") as WireAttachment;
const id = encodeURIComponent(middle.id);
const created = middle.created;

const pages: [name: string, path: string][] = [
  ["sort=id&id_gt=X&limit=100", `attachments?pool_id=1&sort=id&id_gt=${id}&limit=100`],
  ["sort=-id&id_lt=X&limit=100", `attachments?pool_id=1&sort=-id&id_lt=${id}&limit=100`],
  [
    "sort=created,id&created_gte=X&limit=100",
    `attachments?pool_id=1&sort=created,id&created_gte=${created}&limit=100`,
  ],
  [
    "sort=-created,id&created_lte=X&limit=100",
    `attachments?pool_id=1&sort=-created,id&created_lte=${created}&limit=100`,
  ],
  ["sort=id&id_gt=X (limit 20)", `attachments?pool_id=1&sort=id&id_gt=${id}`],
  [
    "tie drain: sort=id&created_gte=c&created_lte=c&id_gt=X",
    `attachments?pool_id=1&sort=id&created_gte=${created}&created_lte=${created}&id_gt=${id}`,
  ],
  ["no sort, limit=100", "attachments?pool_id=1&limit=100"],
  [
    `assignment_id=X&sort=created`,
    `attachments?assignment_id=${middle.details.assignment_id}&sort=created`,
  ],
];

for (const [name, path] of pages) {
  const req = request(path);
  Deno.bench({
    name,
    group: "page",
    baseline: name.startsWith("sort=id&id_gt=X&"),
    async fn(): Promise<void> {
      await answer(emulator, req);
    },
  });
}

Deno.bench({
  name: "GET /attachments/{id}",
  group: "one",
  async fn(): Promise<void> {
    await answer(emulator, request(`attachments/${id}`));
  },
});

Deno.bench({
  name: "download a 48x48 PNG",
  group: "one",
  async fn(): Promise<void> {
    await answer(emulator, request(`attachments/${encodeURIComponent(image.id)}/download`));
  },
});
