/** `scripts/shutdown.ts`: `deno task start` stops once, and a second Ctrl-C waits for the first. */

import assert from "node:assert/strict";
import { onceStopper } from "../scripts/shutdown.ts";

Deno.test("onceStopper() runs the shutdown once; a second stop waits for the first to end", async () => {
  let runs = 0;
  let finish: (ok: boolean) => void = () => {};
  const stopper = onceStopper(() => {
    runs++;
    return new Promise<boolean>((resolve) => finish = resolve);
  });
  assert.equal(stopper.stopping, false);
  const first = stopper.stop(0);
  const second = stopper.stop(0);
  assert.equal(stopper.stopping, true);
  assert.equal(runs, 1);
  const settled: string[] = [];
  void first.then(() => settled.push("first"));
  void second.then(() => settled.push("second"));
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(settled, [], "neither stop returns before the shutdown ends");
  finish(true);
  assert.deepEqual(await Promise.all([first, second]), [0, 0]);
  assert.equal(runs, 1);
});

Deno.test("onceStopper() turns a failed or throwing shutdown into exit code 1", async () => {
  assert.equal(await onceStopper(() => Promise.resolve(false)).stop(0), 1);
  assert.equal(await onceStopper(() => Promise.reject(new Error("KV locked"))).stop(0), 1);
  assert.equal(await onceStopper(() => Promise.resolve(true)).stop(1), 1);
});

Deno.test("onceStopper() keeps the first caller's exit code", async () => {
  const stopper = onceStopper(() => Promise.resolve(true));
  const first = stopper.stop(1);
  assert.equal(await stopper.stop(0), 1);
  assert.equal(await first, 1);
});
