/**
 * The Toloka emulator served over loopback from a worker thread, so that its CPU time is not
 * billed to the client being measured (a real API runs on another machine). The main thread
 * starts it with {@linkcode startEmulatorThread} and can change its added latency between runs.
 *
 * @module
 */

import { TolokaEmulator } from "../src/testing/mod.ts";

/** What the main thread asks. */
type Command =
  | { type: "start"; pools: number[]; token: string }
  | { type: "latency"; ms: number };

/** An emulator served from a worker thread. */
export interface EmulatorThread {
  /** The API root, `http://127.0.0.1:<port>/api/v1`. */
  baseUrl: string;
  /** Milliseconds spent generating the data. */
  builtMs: number;
  /** Sets the latency added to every request. */
  setLatency(ms: number): Promise<void>;
  /** Stops the thread. */
  close(): void;
}

/** Starts the emulator thread with these pool sizes, accepting `token`. */
export async function startEmulatorThread(
  pools: number[],
  token: string,
): Promise<EmulatorThread> {
  const worker = new Worker(import.meta.url, { type: "module" });
  const replies: ((data: unknown) => void)[] = [];
  worker.onmessage = (event: MessageEvent): void => replies.shift()?.(event.data);
  const ask = <T>(command: Command): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      replies.push((data) => resolve(data as T));
      worker.onerror = (event): void => reject(new Error(event.message));
      worker.postMessage(command);
    });
  const { baseUrl, builtMs } = await ask<{ baseUrl: string; builtMs: number }>({
    type: "start",
    pools,
    token,
  });
  return {
    baseUrl,
    builtMs,
    setLatency: (ms) => ask<void>({ type: "latency", ms }),
    close: () => worker.terminate(),
  };
}

// The thread's side.
declare const self: {
  onmessage: ((event: MessageEvent<Command>) => void) | null;
  postMessage(message: unknown): void;
};

if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  let emulator: TolokaEmulator | undefined;
  self.onmessage = async (event): Promise<void> => {
    const command = event.data;
    if (command.type === "start") {
      const started = performance.now();
      emulator = new TolokaEmulator({
        pools: command.pools,
        tokens: [command.token],
        requestLogLimit: 1000,
      });
      // Build the orderings the benchmarks read (the first request of each builds its index).
      for (const [index] of command.pools.entries()) {
        for (const sort of ["id", "-created,-id"]) {
          await emulator.fetch(
            `http://emulator/api/v1/attachments?pool_id=${index + 1}&sort=${sort}&limit=1`,
            { headers: { authorization: `OAuth ${command.token}` } },
          ).then((response) => response.arrayBuffer());
        }
      }
      const builtMs = performance.now() - started;
      const server = await emulator.serve();
      self.postMessage({ baseUrl: server.baseUrl, builtMs });
    } else if (emulator !== undefined) {
      emulator.latencyMs = command.ms;
      self.postMessage(null);
    }
  };
}
