/**
 * `export` on the command line against the Worker in workerd with its local Workflow and R2: a
 * ZIP created, waited for, downloaded and verified; a cut download resumed from its `.<job>.part`; a
 * job followed with `--job`.
 */

import assert from "node:assert/strict";
import { main } from "../cli/mod.ts";
import { startExports } from "./export_harness.ts";

function capture(): { stream: WritableStream<Uint8Array>; text: () => string } {
  let text = "";
  return {
    stream: new WritableStream({
      write(chunk): void {
        text += new TextDecoder().decode(chunk);
      },
    }),
    text: () => text,
  };
}

Deno.test("export --format zip --verify, a resumed download, and --job", async (t) => {
  const edge = await startExports({ emulator: { pools: [400] } });
  const folder = await Deno.makeTempDir();
  try {
    const { key } = await edge.issue();
    const run = async (args: string[]): Promise<{ code: number; err: string }> => {
      const err = capture();
      const code = await main(args, {
        env: (name) => (name === "TOLOKA_TOKEN" ? key : undefined),
        stdout: capture().stream,
        stderr: err.stream,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 50))),
      });
      return { code, err: err.text() };
    };
    const base = `${edge.url}/api/v1`;

    let jobId = "";
    await t.step("creates the job, waits, downloads and verifies every hash", async () => {
      const out = `${folder}/pool-1.zip`;
      const { code, err } = await run([
        "export",
        "--base-url",
        base,
        "--pool-id",
        "1",
        "--format",
        "zip",
        "--out",
        out,
        "--verify",
      ]);
      assert.equal(code, 0, err);
      assert.match(err, /verified: 400 files match manifest\.ndjson/);
      jobId = /export job ([0-9a-f]{32}) created/.exec(err)![1]!;
    });

    await t.step(
      "--job resumes a cut download from FILE.<job>.part with a Range request",
      async () => {
        const out = `${folder}/again.zip`;
        const whole = await Deno.readFile(`${folder}/pool-1.zip`);
        await Deno.writeFile(`${out}.${jobId}.part`, whole.subarray(0, 12345));
        // A cut download of another job beside it is left alone, never appended to.
        const other = `${out}.${"0".repeat(32)}.part`;
        await Deno.writeFile(other, new Uint8Array([1, 2, 3]));
        const { code, err } = await run([
          "export",
          "--base-url",
          base,
          "--job",
          jobId,
          "--out",
          out,
          "--verify",
        ]);
        assert.equal(code, 0, err);
        assert.match(err, /resuming at 12\.1 KiB/);
        assert.deepEqual(await Deno.readFile(out), whole);
        assert.deepEqual(await Deno.readFile(other), new Uint8Array([1, 2, 3]));
      },
    );

    await t.step("a .part cut after its last byte is completed without a request", async () => {
      const out = `${folder}/third.zip`;
      const whole = await Deno.readFile(`${folder}/pool-1.zip`);
      await Deno.writeFile(`${out}.${jobId}.part`, whole);
      const { code, err } = await run(["export", "--base-url", base, "--job", jobId, "--out", out]);
      assert.equal(code, 0, err);
      assert.deepEqual(await Deno.readFile(out), whole);
    });

    await t.step("a CSV export and a bad flag", async () => {
      const { code, err } = await run([
        "export",
        "--base-url",
        base,
        "--pool-id",
        "1",
        "--format",
        "csv",
        "--out",
        `${folder}/pool-1.csv`,
      ]);
      assert.equal(code, 0, err);
      const text = await Deno.readTextFile(`${folder}/pool-1.csv`);
      assert.ok(text.startsWith("id,name,"));
      assert.match(err, /pool-1\.csv: 400 items, 0 files/);
      const bad = await run(["export", "--base-url", base, "--pool-id", "1", "--out", "x"]);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /--format/);
    });
  } finally {
    await Deno.remove(folder, { recursive: true });
    await edge.close();
  }
});
