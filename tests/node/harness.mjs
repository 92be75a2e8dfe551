// deno-lint-ignore-file explicit-function-return-type -- plain JavaScript run by Node: no type annotations to add
/**
 * What the Node tests share: the core as bundled for Node (`dist/node/`, made by
 * `scripts/build_node.ts`), the emulator served with `node:http` on 127.0.0.1, and a sort of the
 * emulator's ground truth written independently of the library.
 *
 * The emulator's own `serve()` uses `Deno.serve`, so these tests serve it themselves: each
 * request becomes a `Request` for `emulator.handle()`, and a fault that drops the connection
 * (a `"reset"`, a file cut short) destroys the socket, as a real server going away would.
 *
 * @module
 */

import { once } from "node:events";
import { createServer } from "node:http";

// Loaded by URL, not by a static import: `deno check tests/` (the check task, which runs before
// the bundle is built) resolves static imports of JavaScript files too.
const [core, testing] = await Promise.all(
  ["mod.mjs", "testing.mjs"].map((file) =>
    import(new URL(`../../dist/node/${file}`, import.meta.url).href).catch((error) => {
      throw new Error(`dist/node/${file} is missing: run scripts/build_node.ts first`, {
        cause: error,
      });
    })
  ),
);
export const { AttachmentsClient, TolokaApiError, toWireAttachment } = core;
export const { TolokaEmulator } = testing;

/**
 * Serves `emulator` on 127.0.0.1 (a free port).
 *
 * @param {{ handle(request: Request): Promise<Response> }} emulator
 * @returns {Promise<{ baseUrl: string, inFlight: number, maxInFlight: number,
 *   resetInFlight(): void, close(): Promise<void> }>} `inFlight` counts requests whose response
 *   has not ended yet, `maxInFlight` the most at once since the last `resetInFlight()`.
 */
export async function serve(emulator) {
  const closing = new AbortController();
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer(async (incoming, outgoing) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // Aborted when the response ends or the client leaves (a timeout, a `break`), or the server
    // closes, so the emulator's waits (latency, a "delay" fault) end with it.
    const gone = new AbortController();
    outgoing.on("close", () => {
      inFlight--;
      gone.abort();
    });
    const headers = new Headers();
    for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
      headers.append(incoming.rawHeaders[i], incoming.rawHeaders[i + 1]);
    }
    const request = new Request(`http://127.0.0.1${incoming.url}`, {
      method: incoming.method,
      headers,
      signal: AbortSignal.any([gone.signal, closing.signal]),
    });
    let response;
    try {
      response = await emulator.handle(request);
    } catch {
      // A "reset" fault (a TypeError in process) or an aborted wait: drop the connection.
      incoming.socket.destroy();
      return;
    }
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    try {
      if (response.body !== null) {
        for await (const chunk of response.body) {
          if (!outgoing.write(chunk)) await once(outgoing, "drain");
        }
      }
      outgoing.end();
    } catch {
      // A body that errors on purpose (a file cut short): the connection drops mid-body.
      outgoing.destroy();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    baseUrl: `http://127.0.0.1:${port}/api/v1`,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    resetInFlight() {
      maxInFlight = inFlight;
    },
    async close() {
      closing.abort();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A client of the served emulator with short retry waits. */
export function clientOf(AttachmentsClient, baseUrl, options = {}) {
  return new AttachmentsClient({
    token: "test-token",
    baseUrl,
    retryDelayMs: 1,
    maxRetryDelayMs: 50,
    ...options,
  });
}

/** Collects an async iterable into an array. */
export async function collect(iterable) {
  const items = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** A sortable key of an API timestamp (0 to 6 fraction digits), independent of the library. */
function createdKey(created) {
  const [seconds = "", fraction = ""] = created.split(".");
  return `${seconds}.${fraction.padEnd(9, "0")}`;
}

/** The API sort keys of each order of `getAttachments()`. */
export const SORTS = {
  id: ["id"],
  "-id": ["-id"],
  created: ["created", "id"],
  "-created": ["-created", "-id"],
};

/** The emulator's attachments of `poolId` in `order`, by brute force. */
export function expected(emulator, poolId, order) {
  const keys = SORTS[order];
  return emulator.attachments.filter((item) => item.details.pool_id === poolId).sort((a, b) => {
    for (const key of keys) {
      const field = key.replace(/^-/, "");
      const [x, y] = field === "id" ? [a.id, b.id] : [createdKey(a.created), createdKey(b.created)];
      if (x !== y) return (x < y ? -1 : 1) * (key.startsWith("-") ? -1 : 1);
    }
    return 0;
  });
}
