/** `scripts/start_port.ts`: which port `deno task start` gives wrangler dev, and the URL it bound. */

import assert from "node:assert/strict";
import { choosePort, isPortFree, parsePortVariable, readyUrl } from "../scripts/start_port.ts";

const takenExcept = (...free: number[]) => (port: number): boolean => free.includes(port);

Deno.test("choosePort() takes 8787 when it is free", async () => {
  assert.deepEqual(await choosePort(undefined, takenExcept(8787, 8788)), { port: 8787 });
});

Deno.test("choosePort() moves to the next free port when 8787 is taken, and says so", async () => {
  assert.deepEqual(await choosePort(undefined, takenExcept(8790)), {
    port: 8790,
    note: "Port 8787 is taken (another wrangler dev?), so the Worker uses 8790.",
  });
});

Deno.test("choosePort() fails with one line naming the ports and PORT= when all are taken", async () => {
  const probed: number[] = [];
  const choice = await choosePort(undefined, (port) => {
    probed.push(port);
    return false;
  });
  assert.deepEqual(choice, {
    error: "Ports 8787 to 8796 on 127.0.0.1 are all taken: run with PORT= set to a free port.",
  });
  assert.deepEqual(probed, [8787, 8788, 8789, 8790, 8791, 8792, 8793, 8794, 8795, 8796]);
});

Deno.test("choosePort() keeps a requested port when free and fails naming it when taken", async () => {
  assert.deepEqual(await choosePort(9000, takenExcept(9000)), { port: 9000 });
  assert.deepEqual(await choosePort(8787, takenExcept(8788)), {
    error:
      "Port 8787 on 127.0.0.1 is taken (another wrangler dev?): stop what holds it, or run with PORT= set to a free port.",
  });
});

Deno.test("parsePortVariable() reads PORT, unset or empty as undefined, quoting a bad value", () => {
  assert.equal(parsePortVariable(undefined), undefined);
  assert.equal(parsePortVariable(""), undefined);
  assert.equal(parsePortVariable("8800"), 8800);
  for (const bad of ["abc", "0", "65536", "80.5", "-1", "8787x"]) {
    assert.throws(() => parsePortVariable(bad), {
      name: "RangeError",
      message: `PORT must be a port number from 1 to 65535, current value is ${
        JSON.stringify(bad)
      }`,
    });
  }
});

Deno.test("isPortFree() sees a port held by a listener as taken, and free once released", () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  try {
    assert.equal(isPortFree(port), false);
  } finally {
    listener.close();
  }
  assert.equal(isPortFree(port), true);
});

Deno.test("readyUrl() reads the URL of wrangler dev's Ready line, nothing else", () => {
  assert.equal(
    readyUrl("[wrangler:info] Ready on http://127.0.0.1:8788"),
    "http://127.0.0.1:8788",
  );
  assert.equal(readyUrl("[wrangler:info] GET /health 200 OK (23ms)"), undefined);
  assert.equal(readyUrl("⎔ Starting local server..."), undefined);
});
