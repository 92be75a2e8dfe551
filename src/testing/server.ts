/** Serving the emulator over loopback HTTP with `Deno.serve`, quietly, closable at once. */

import { resetResponse } from "./reply.ts";
import type { EmulatorServer } from "./types.ts";

/**
 * Answers a served request; `signal` aborts when the server closes. (The request's own `signal`
 * is never touched: under `Deno.serve` that prints a warning about its legacy abort-on-success
 * behaviour. So a wait the client walked away from ends with its delay or at `close()`.)
 */
export type ServedHandler = (request: Request, signal: AbortSignal) => Promise<Response>;

/** Starts a server on 127.0.0.1; `close()` aborts pending waits, then awaits the shutdown. */
export function serveEmulator(
  handler: ServedHandler,
  options: { port?: number; signal?: AbortSignal },
): Promise<EmulatorServer> {
  const closing = new AbortController();
  const external = options.signal;
  const onExternalAbort = (): void => closing.abort();
  if (external?.aborted) closing.abort();
  external?.addEventListener("abort", onExternalAbort, { once: true });
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      signal: closing.signal,
      onListen(): void {},
      // Reached only by bodies that error on purpose (resets, truncations): the connection drops.
      onError(): Response {
        return new Response(null, { status: 500 });
      },
    }, async (request) => {
      try {
        return await handler(request, closing.signal);
      } catch {
        // The server is closing: drop the connection.
        return resetResponse();
      }
    });
  } catch (error) {
    external?.removeEventListener("abort", onExternalAbort);
    return Promise.reject(error);
  }
  const port = server.addr.port;
  const url = `http://127.0.0.1:${port}`;
  const close = async (): Promise<void> => {
    external?.removeEventListener("abort", onExternalAbort);
    closing.abort();
    await server.finished;
  };
  return Promise.resolve({
    url,
    baseUrl: `${url}/api/v1`,
    port,
    close,
    [Symbol.asyncDispose]: close,
  });
}
