/**
 * Export jobs under failure: steps that throw before and after writing their part (injected on a
 * step's first attempt), a compose step that throws, and an upstream that answers 5xx or drops
 * connections at random. The Workflow retries each failed step from its last checkpoint, and the
 * result still holds every attachment exactly once, in order. A small `SUBREQUEST_BUDGET` (5)
 * makes many steps, each checked against it.
 */

import assert from "node:assert/strict";
import { type Attachment, AttachmentsClient, ndjsonLine } from "../mod.ts";
import { localFileName } from "../src/files/mod.ts";
import { pythonZip, startExports, unzipTest, UPSTREAM_TOKEN } from "./export_harness.ts";

const FAULTS = [
  "part 1@after-write",
  "part 2@before",
  "part 5@after-write",
  "compose 0@before",
];

Deno.test("export jobs survive failed steps and a faulty upstream, every item exactly once", async (t) => {
  const edge = await startExports({
    emulator: { pools: [700] },
    subrequestBudget: 5,
    faults: FAULTS,
  });
  try {
    const { key } = await edge.issue();
    const client = new AttachmentsClient({ token: UPSTREAM_TOKEN, fetch: edge.emulator.fetch });
    const items: Attachment[] = [];
    for await (const item of client.getAttachments({ pool_id: "1" }, { order: "created" })) {
      items.push(item);
    }
    edge.emulator.setFaults({ rate: 0.05, kinds: ["500", "503", "reset"], seed: 7 });

    await t.step("NDJSON: injected step failures and upstream faults change nothing", async () => {
      const created = await edge.create(key, {
        filter: { pool_id: "1" },
        order: "created",
        format: "ndjson",
      });
      const id = JSON.parse(created.text).id;
      const job = await edge.waitFor(key, id, 120_000);
      assert.equal(job.status, "complete", JSON.stringify(job.error));
      const download = await edge.request(`/api/v1/exports/${id}/download`, { key });
      assert.equal(download.text, items.map(ndjsonLine).join(""));
      const lines = edge.stepLines(id).filter((line) => typeof line.step === "string");
      // 700 items at 5 pages a step is two parts: the faults of parts 0, 1 and compose 0 apply.
      for (const fault of FAULTS.filter((fault) => !/^part [25]@/.test(fault))) {
        const [step] = fault.split("@");
        const attempts = lines.filter((line) => line.step === step);
        assert.equal(attempts[0]?.status, "error", `${step} failed first`);
        assert.ok(attempts.some((line) => line.status === "ok"), `${step} was retried`);
      }
    });

    await t.step(
      "ZIP: the same, and every file is in the archive once with its CRC right",
      async () => {
        const created = await edge.create(key, {
          filter: { pool_id: "1" },
          order: "created",
          format: "zip",
        });
        const id = JSON.parse(created.text).id;
        const job = await edge.waitFor(key, id, 180_000);
        assert.equal(job.status, "complete", JSON.stringify(job.error));
        assert.equal(job.files, items.length);
        edge.emulator.setFaults(undefined);
        const lines = edge.stepLines(id).filter((line) => typeof line.step === "string");
        for (const fault of FAULTS) {
          const [step] = fault.split("@");
          const attempts = lines.filter((line) => line.step === step);
          assert.equal(attempts[0]?.status, "error", `${step} failed first`);
          assert.ok(attempts.some((line) => line.status === "ok"), `${step} was retried`);
        }
        const download = await edge.request(`/api/v1/exports/${id}/download`, { key });
        const path = await Deno.makeTempFile({ suffix: ".zip" });
        try {
          await Deno.writeFile(path, download.bytes);
          const read = await pythonZip(path);
          assert.equal(read.testzip, null);
          assert.deepEqual(read.names, [
            ...items.map((item) => localFileName(item.id, item.name ?? "")),
            "manifest.ndjson",
          ]);
          for (const [index, item] of items.entries()) {
            assert.equal(read.sizes[index], edge.emulator.bytesOf(item.id).length);
          }
          const unzip = await unzipTest(path);
          if (unzip !== null) assert.match(unzip, /No errors detected/);
        } finally {
          await Deno.remove(path);
        }
      },
    );

    await t.step("no step attempt made more than SUBREQUEST_BUDGET upstream requests", () => {
      edge.assertWithinLimits();
      const ids = [...edge.subrequests.keys()].filter((id) => id.startsWith("export-"));
      assert.ok(ids.length > 100, `${ids.length} step attempts`);
    });

    await t.step("no log line or answer holds a secret", () => edge.assertNoSecrets());
  } finally {
    await edge.close();
  }
});
