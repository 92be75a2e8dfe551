/**
 * The emulator of `bench/throughput.ts`, served from a worker thread so that its CPU time is not
 * billed to the loops being measured (a real API runs on another machine).
 *
 * @module
 */

import { TolokaEmulator } from "../src/testing/mod.ts";

declare const self: {
  onmessage:
    | ((event: MessageEvent<{ size: number; token: string; latencyMs: number }>) => void)
    | null;
  postMessage(message: unknown): void;
};

self.onmessage = async (event): Promise<void> => {
  const { size, token, latencyMs } = event.data;
  const started = performance.now();
  const emulator = new TolokaEmulator({
    pools: [size],
    tokens: [token],
    latencyMs,
    requestLogLimit: 1000,
  });
  const built = performance.now() - started;
  const server = await emulator.serve();
  self.postMessage({ baseUrl: server.baseUrl, built });
};
