/**
 * Export jobs end to end: the bundled Worker in workerd with its local Workflow and R2, the
 * emulator upstream. Each format over 3,000 attachments is compared item for item with the core
 * client's own iteration; the ZIP is read back by Python's `zipfile` and `unzip -t` with every
 * hash checked; ownership, scope, signed links, cancel, revocation and expiry.
 */

import assert from "node:assert/strict";
import {
  AttachmentsClient,
  csvAttachment,
  csvHeader,
  ndjsonLine,
  toWireAttachment,
} from "../mod.ts";
import { localFileName } from "../src/files/mod.ts";
import { kvKeyFor, revokeKey } from "../src/keys/mod.ts";
import { jobKeys, type JobRecord } from "../worker/exports/job.ts";
import { signLink } from "../worker/exports/signing.ts";
import {
  type ExportEdge,
  type JobView,
  pythonZip,
  startExports,
  unzipTest,
  UPSTREAM_TOKEN,
} from "./export_harness.ts";

const POOL_SIZE = 3000;

async function expectedItems(edge: ExportEdge, order: string): Promise<Record<string, unknown>[]> {
  const client = new AttachmentsClient({ token: UPSTREAM_TOKEN, fetch: edge.emulator.fetch });
  const items = [];
  for await (
    const item of client.getAttachments({ pool_id: "1" }, {
      order: order as "id",
    })
  ) items.push(item);
  return items as unknown as Record<string, unknown>[];
}

async function runJob(
  edge: ExportEdge,
  key: string,
  body: Record<string, unknown>,
): Promise<JobView> {
  const created = await edge.create(key, body);
  assert.equal(created.status, 202, created.text);
  const job = JSON.parse(created.text) as JobView;
  assert.equal(created.headers.get("Location"), `/api/v1/exports/${job.id}`);
  assert.equal(job.status, "queued");
  assert.equal(job.download_url, null);
  return await edge.waitFor(key, job.id);
}

Deno.test("export jobs: formats, ownership, links, cancel, revocation, expiry", async (t) => {
  const edge = await startExports({ emulator: { pools: [POOL_SIZE, 40, 10] } });
  try {
    const { key } = await edge.issue();
    const owner = await kvKeyFor(key);

    await t.step(
      "an NDJSON job holds exactly the synchronous export's lines, in -created order",
      async () => {
        const job = await runJob(edge, key, {
          filter: { pool_id: "1" },
          order: "-created",
          format: "ndjson",
        });
        assert.equal(job.status, "complete", JSON.stringify(job.error));
        assert.equal(job.items, POOL_SIZE);
        assert.ok(job.download_url?.includes("signature="));
        const expected = (await expectedItems(edge, "-created")).map((item) =>
          ndjsonLine(item as never)
        ).join("");
        const download = await edge.request(
          new URL(job.download_url!).pathname + new URL(job.download_url!).search,
        );
        assert.equal(download.status, 200);
        assert.equal(download.headers.get("Content-Length"), String(download.bytes.length));
        assert.match(
          download.headers.get("Content-Disposition") ?? "",
          /^attachment; filename=".+\.ndjson"$/,
        );
        assert.equal(download.text, expected);
        assert.equal(job.bytes, download.bytes.length);
      },
    );

    await t.step(
      "a CSV job holds the header and the synchronous export's rows, in id order",
      async () => {
        const job = await runJob(edge, key, { filter: { pool_id: "1" }, format: "csv" });
        assert.equal(job.status, "complete");
        const expected = csvHeader() +
          (await expectedItems(edge, "id")).map((item) =>
            csvAttachment(toWireAttachment(item as never))
          )
            .join("");
        const download = await edge.request(`/api/v1/exports/${job.id}/download`, { key });
        assert.equal(download.status, 200);
        assert.equal(download.text, expected);
      },
    );

    let zipJob: JobView | undefined;
    let zipBytes: Uint8Array | undefined;
    await t.step(
      "a ZIP job stores every file under <id>_<safe name>, manifest.ndjson last, all hashes right",
      async () => {
        const job = zipJob = await runJob(edge, key, { filter: { pool_id: "1" }, format: "zip" });
        assert.equal(job.status, "complete", JSON.stringify(job.error));
        assert.equal(job.files, POOL_SIZE);
        const download = await edge.request(
          new URL(job.download_url!).pathname + new URL(job.download_url!).search,
        );
        assert.equal(download.status, 200);
        assert.equal(download.headers.get("Content-Type"), "application/zip");
        zipBytes = download.bytes;
        const path = await Deno.makeTempFile({ suffix: ".zip" });
        try {
          await Deno.writeFile(path, download.bytes);
          const read = await pythonZip(path);
          assert.equal(read.testzip, null, "every CRC checks");
          const items = await expectedItems(edge, "id");
          const names = items.map((item) =>
            localFileName(String(item.id), String(item.name ?? ""))
          );
          assert.deepEqual(read.names, [...names, "manifest.ndjson"]);
          const unzip = await unzipTest(path);
          if (unzip !== null) assert.match(unzip, /No errors detected/);
          // The manifest, checked against the upstream's own bytes, through Python's reader.
          const { stdout } = await new Deno.Command("python3", {
            args: [
              "-c",
              "import sys,zipfile;sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read('manifest.ndjson'))",
              path,
            ],
            stdout: "piped",
          }).output();
          const lines = new TextDecoder().decode(stdout).trimEnd().split("\n").map((line) =>
            JSON.parse(line)
          );
          assert.equal(lines.length, POOL_SIZE);
          for (const [index, line] of lines.entries()) {
            const item = items[index]!;
            const bytes = edge.emulator.bytesOf(String(item.id));
            const sha256 = [
              ...new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes))),
            ]
              .map((b) => b.toString(16).padStart(2, "0")).join("");
            assert.deepEqual(line, {
              ...JSON.parse(ndjsonLine(item as never)),
              path: names[index],
              size: bytes.length,
              sha256,
            });
            assert.equal(read.sizes[index], bytes.length);
          }
          // Python re-hashes each file it reads: the manifest's sha256 against the stored bytes.
          const check = await new Deno.Command("python3", {
            args: [
              "-c",
              [
                "import sys,zipfile,json,hashlib",
                "z=zipfile.ZipFile(sys.argv[1])",
                "m=[json.loads(l) for l in z.read('manifest.ndjson').splitlines()]",
                "bad=[x['path'] for x in m if hashlib.sha256(z.read(x['path'])).hexdigest()!=x['sha256'] or z.getinfo(x['path']).file_size!=x['size']]",
                "print(len(m), len(bad))",
              ].join("\n"),
              path,
            ],
            stdout: "piped",
          }).output();
          assert.equal(new TextDecoder().decode(check.stdout).trim(), `${POOL_SIZE} 0`);
        } finally {
          await Deno.remove(path);
        }
      },
    );

    await t.step(
      "a download answers Range requests (206, Content-Range) and 416 past the end",
      async () => {
        const size = zipBytes!.length;
        const part = await edge.request(`/api/v1/exports/${zipJob!.id}/download`, {
          key,
          headers: { Range: "bytes=100-1099" },
        });
        assert.equal(part.status, 206);
        assert.equal(part.headers.get("Content-Range"), `bytes 100-1099/${size}`);
        assert.deepEqual(part.bytes, zipBytes!.subarray(100, 1100));
        const tail = await edge.request(`/api/v1/exports/${zipJob!.id}/download`, {
          key,
          headers: { Range: `bytes=${size - 10}-` },
        });
        assert.equal(tail.status, 206);
        assert.deepEqual(tail.bytes, zipBytes!.subarray(size - 10));
        const past = await edge.request(`/api/v1/exports/${zipJob!.id}/download`, {
          key,
          headers: { Range: `bytes=${size}-` },
        });
        assert.equal(past.status, 416);
        assert.equal(past.headers.get("Content-Range"), `bytes */${size}`);
      },
    );

    await t.step(
      "every step stayed within SUBREQUEST_BUDGET and logged one line with its counts",
      () => {
        edge.assertWithinLimits();
        const lines = edge.stepLines(zipJob!.id).filter((line) => typeof line.step === "string");
        const parts = lines.filter((line) => String(line.step).startsWith("part "));
        assert.ok(parts.length >= Math.ceil(POOL_SIZE / (edge.budget - 1)));
        for (const line of parts) {
          for (const field of ["items", "files", "bytes", "duration_ms", "subrequests"]) {
            assert.equal(typeof line[field], "number", `${field} in ${JSON.stringify(line)}`);
          }
          assert.ok((line.subrequests as number) <= edge.budget);
        }
        assert.equal(parts.reduce((sum, line) => sum + (line.files as number), 0), POOL_SIZE);
      },
    );

    await t.step(
      "a tampered link is 403, an expired one 403, and neither needs a key",
      async () => {
        const url = new URL(zipJob!.download_url!);
        const signature = url.searchParams.get("signature")!;
        const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
        const tampered = await edge.request(
          `${url.pathname}?expires=${url.searchParams.get("expires")}&signature=${flipped}`,
        );
        assert.equal(tampered.status, 403);
        assert.equal(JSON.parse(tampered.text).code, "ACCESS_DENIED");
        const longer = await edge.request(
          `${url.pathname}?expires=${
            Number(url.searchParams.get("expires")) + 3600
          }&signature=${signature}`,
        );
        assert.equal(longer.status, 403);
        const old = await signLink(edge.sealingKey, zipJob!.id, owner, Date.now() - 16 * 60 * 1000);
        const expired = await edge.request(`${url.pathname}?${old}`);
        assert.equal(expired.status, 403);
        assert.match(JSON.parse(expired.text).message, /expired/);
        // Another job's link does not open this one.
        const other = await signLink(edge.sealingKey, "0".repeat(32), owner, Date.now());
        assert.equal((await edge.request(`${url.pathname}?${other}`)).status, 403);
        // The signature never appears in a log line.
        assert.ok(!edge.logs.some((line) => line.includes(signature)));
      },
    );

    await t.step(
      "another key gets 404 for the job, its download and its DELETE, whatever its scope",
      async () => {
        const { key: other } = await edge.issue({ pools: null });
        for (
          const [path, method] of [
            [`/api/v1/exports/${zipJob!.id}`, "GET"],
            [`/api/v1/exports/${zipJob!.id}/download`, "GET"],
            [`/api/v1/exports/${zipJob!.id}`, "DELETE"],
          ] as const
        ) {
          const answer = await edge.request(path, { key: other, method });
          assert.equal(answer.status, 404, `${method} ${path}`);
          assert.equal(JSON.parse(answer.text).code, "DOES_NOT_EXIST");
        }
        assert.equal(
          (await edge.request(`/api/v1/exports/${"f".repeat(32)}`, { key })).status,
          404,
        );
        assert.equal((await edge.request(`/api/v1/exports/not-an-id`, { key })).status, 404);
      },
    );

    await t.step(
      "a parameter a job route does not take is 400 naming it, as on every route",
      async () => {
        const link = new URL(zipJob!.download_url!);
        for (
          const [path, method] of [
            [`/api/v1/exports/${zipJob!.id}?pool_id=2`, "GET"],
            [`/api/v1/exports/${zipJob!.id}/download?pool_id=2`, "GET"],
            [`${link.pathname}${link.search}&pool_id=2`, "GET"],
            [`/api/v1/exports/${zipJob!.id}?pool_id=2`, "DELETE"],
            ["/api/v1/exports?pool_id=2", "POST"],
          ] as const
        ) {
          const answer = await edge.request(path, {
            key,
            method,
            ...(method === "POST"
              ? { body: JSON.stringify({ filter: { pool_id: "1" }, format: "csv" }) }
              : {}),
          });
          assert.equal(answer.status, 400, `${method} ${path}`);
          assert.deepEqual(Object.keys(JSON.parse(answer.text).payload), ["pool_id"]);
        }
        const job = await edge.request(`/api/v1/exports/${zipJob!.id}`, { key });
        assert.equal(JSON.parse(job.text).status, "complete", "the DELETE was refused");
      },
    );

    await t.step(
      "an out-of-scope filter is 403 and a bad body 400 naming each field, before any job",
      async () => {
        const denied = await edge.create(key, { filter: { pool_id: "2" }, format: "csv" });
        assert.equal(denied.status, 403);
        assert.equal(JSON.parse(denied.text).code, "ACCESS_DENIED");
        const bad = await edge.create(key, {
          filter: { pool_id: "1", colour: "red", created_gt: "yesterday" },
          format: "tar",
          extra: 1,
        });
        assert.equal(bad.status, 400);
        const body = JSON.parse(bad.text);
        assert.equal(body.code, "VALIDATION_ERROR");
        assert.deepEqual(Object.keys(body.payload).sort(), ["extra", "filter.colour", "format"]);
        const dates = await edge.create(key, {
          filter: { pool_id: "1", created_gt: "yesterday" },
          format: "csv",
          order: "size",
        });
        assert.equal(dates.status, 400);
        assert.deepEqual(Object.keys(JSON.parse(dates.text).payload).sort(), [
          "filter.created_gt",
          "order",
        ]);
        const none = await edge.create(key, { filter: {}, format: "csv" });
        assert.equal(none.status, 400);
        assert.ok("filter.pool_id" in JSON.parse(none.text).payload);
        const unauthenticated = await edge.request("/api/v1/exports", {
          method: "POST",
          body: "{}",
        });
        assert.equal(unauthenticated.status, 401);
      },
    );

    await t.step(
      "DELETE cancels a running job (204), deletes its objects, and its download is 410",
      async () => {
        const created = await edge.create(key, { filter: { pool_id: "1" }, format: "zip" });
        const id = JSON.parse(created.text).id as string;
        const deleted = await edge.request(`/api/v1/exports/${id}`, { key, method: "DELETE" });
        assert.equal(deleted.status, 204);
        const job = await edge.waitFor(key, id);
        assert.equal(job.status, "cancelled");
        assert.equal(job.download_url, null);
        const download = await edge.request(`/api/v1/exports/${id}/download`, { key });
        assert.equal(download.status, 410);
        assert.equal(JSON.parse(download.text).code, "GONE");
        // The objects go (the cancelled step may still be finishing: allow it a moment).
        const deadline = Date.now() + 5_000;
        for (;;) {
          const left = (await edge.bucket.list({ prefix: jobKeys.prefix(id) })).objects
            .map((object) => object.key).filter((name) => name !== jobKeys.record(id));
          if (left.length === 0) break;
          if (Date.now() > deadline) assert.deepEqual(left, []);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
    );

    await t.step(
      "a result past EXPORT_TTL_DAYS is 410 GONE and its objects are deleted",
      async () => {
        const job = await runJob(edge, key, { filter: { pool_id: "2" }, format: "ndjson" }).catch(
          () => null,
        );
        // pool 2 is out of this key's scope: use a key for every pool.
        assert.equal(job, null);
        const { key: wide } = await edge.issue({ pools: null });
        const done = await runJob(edge, wide, { filter: { pool_id: "2" }, format: "ndjson" });
        assert.equal(done.items, 40);
        const stored = await edge.bucket.get(jobKeys.record(done.id));
        const record = JSON.parse(await stored!.text()) as JobRecord;
        await edge.bucket.put(
          jobKeys.record(done.id),
          JSON.stringify({ ...record, expires_at: new Date(Date.now() - 1000).toISOString() }),
        );
        const gone = await edge.request(`/api/v1/exports/${done.id}/download`, { key: wide });
        assert.equal(gone.status, 410);
        const link = await edge.request(
          new URL(done.download_url!).pathname + new URL(done.download_url!).search,
        );
        assert.equal(link.status, 410);
        const view = JSON.parse(
          (await edge.request(`/api/v1/exports/${done.id}`, { key: wide })).text,
        );
        assert.equal(view.download_url, null);
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(await edge.bucket.head(jobKeys.result(done.id, "ndjson")), null);
      },
    );

    await t.step("revoking a key ends its links and stops its running jobs", async () => {
      const { key: doomed } = await edge.issue();
      const done = await runJob(edge, doomed, { filter: { pool_id: "1" }, format: "ndjson" });
      const created = await edge.create(doomed, { filter: { pool_id: "1" }, format: "zip" });
      const running = JSON.parse(created.text).id as string;
      await revokeKey(edge.kv, doomed);
      const link = await edge.request(
        new URL(done.download_url!).pathname + new URL(done.download_url!).search,
      );
      assert.equal(link.status, 403);
      assert.equal((await edge.request(`/api/v1/exports/${done.id}`, { key: doomed })).status, 401);
      // The running job's next step reads the key's record and fails the job.
      const deadline = Date.now() + 30_000;
      let record: JobRecord;
      for (;;) {
        record = JSON.parse(await (await edge.bucket.get(jobKeys.record(running)))!.text());
        if (record.status !== "queued" && record.status !== "running") break;
        assert.ok(Date.now() < deadline, "the job stopped");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(record.status, "failed");
      assert.equal(record.error?.code, "AUTHENTICATION_ERROR");
      assert.ok(record.files < POOL_SIZE);
    });

    await t.step(
      "no answer or log line holds a key, a token or the sealing key",
      () => edge.assertNoSecrets(),
    );
  } finally {
    await edge.close();
  }
});
