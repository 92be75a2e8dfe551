/** Public types of the emulator: options, fault settings, the wire object, the request log. */

/**
 * Settings of a {@linkcode TolokaEmulator}.
 *
 * @example Two small pools, an extra token, a bit of latency
 * ```ts
 * import { type EmulatorOptions, TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const options: EmulatorOptions = { pools: [30, 5], tokens: ["test-token", "other"], latencyMs: 1 };
 * const emulator = new TolokaEmulator(options);
 * if (emulator.attachments.length !== 35) throw new Error("expected 35 attachments");
 * ```
 *
 * @example A fake sleep: the waits asked for are recorded, none is slept
 * ```ts
 * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const waits: number[] = [];
 * const emulator = new TolokaEmulator({
 *   pools: [3],
 *   latencyMs: 250,
 *   faults: { script: ["delay"], delayMs: 60_000 },
 *   sleep: (ms) => {
 *     waits.push(ms);
 *     return Promise.resolve();
 *   },
 * });
 * const response = await emulator.fetch("http://x/api/v1/attachments?pool_id=1", {
 *   headers: { Authorization: "OAuth test-token" },
 * });
 * await response.body?.cancel();
 * if (waits.join() !== "250,60000") throw new Error(`unexpected waits ${waits}`);
 * ```
 */
export interface EmulatorOptions {
  /**
   * Tokens the emulator accepts after `OAuth`, `ApiKey` or `Bearer`.
   * @default {["test-token"]}
   */
  tokens?: readonly string[];
  /**
   * Seed of the generated data: the same seed gives byte-identical data and file contents.
   * @default {1}
   */
  seed?: number;
  /**
   * Number of attachments in each pool; the pools get the ids `"1"`, `"2"`, ... in order.
   * Pool `"1"` holds the hostile fixtures when it has at least 300 attachments.
   * @default {[600, 250, 100, 40, 10, 3, 1, 0]}
   */
  pools?: readonly number[];
  /**
   * Hand-made attachments that replace the generated data entirely (ids must be unique,
   * `created` must be `YYYY-MM-DDTHH:mm:ss` with 0 to 6 fraction digits).
   */
  attachments?: readonly WireAttachment[];
  /**
   * Milliseconds added to every request; aborted at once by the request's signal.
   * @default {0}
   */
  latencyMs?: number;
  /** Fault injection; none by default. */
  faults?: FaultOptions;
  /**
   * Waits `ms` milliseconds, or rejects with `signal.reason` once `signal` aborts: every wait of
   * the emulator (`latencyMs`, a `"delay"` fault) goes through it, so a test can record the waits
   * asked for and skip them instead of sleeping. Called only for waits above 0 ms; `signal` is the
   * request's (served: the server's, which aborts at `close()`).
   *
   * @default {a `setTimeout` that the signal clears}
   */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * Upper bound, in bytes, of the size of generated files that are not images.
   * @default {16384}
   */
  maxFileSize?: number;
  /**
   * Most request log entries kept; the oldest are dropped first.
   * @default {100000}
   */
  requestLogLimit?: number;
}

/**
 * A fault the emulator can inject into a request.
 *
 * - `"429"`: `TOO_MANY_REQUESTS` with `Retry-After`.
 * - `"500"`: `INTERNAL_ERROR` with a JSON body.
 * - `"502"`, `"503"`: an HTML gateway page.
 * - `"reset"`: the connection drops (in process: the promise rejects with a `TypeError`).
 * - `"truncated"`: the normal answer with its body cut in half (downloads: then a stream error).
 * - `"delay"`: the normal answer after `delayMs`.
 *
 * @example
 * ```ts
 * import type { FaultKind } from "@toloka-edge/attachments/testing";
 *
 * const retryable: FaultKind[] = ["429", "500", "502", "503", "reset"];
 * if (retryable.length !== 5) throw new Error("unreachable");
 * ```
 */
export type FaultKind = "429" | "500" | "502" | "503" | "reset" | "truncated" | "delay";

/**
 * How the emulator injects faults: a script for the next requests, then a seeded random rate.
 *
 * @example A 429 then a reset, then every request answered normally
 * ```ts
 * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const emulator = new TolokaEmulator({ pools: [5], faults: { script: ["429", "reset"] } });
 * const url = "https://toloka.dev/api/v1/attachments?pool_id=1";
 * const headers = { Authorization: "OAuth test-token" };
 * const first = await emulator.fetch(url, { headers });
 * await first.body?.cancel();
 * if (first.status !== 429) throw new Error("expected 429");
 * await emulator.fetch(url, { headers }).then(
 *   () => { throw new Error("expected a reset"); },
 *   (error) => { if (!(error instanceof TypeError)) throw error; },
 * );
 * const third = await emulator.fetch(url, { headers });
 * if (third.status !== 200) throw new Error("expected 200");
 * await third.body?.cancel();
 * ```
 */
export interface FaultOptions {
  /**
   * Probability, 0 to 1, that a request not covered by `script` gets a random fault of `kinds`.
   * @default {0}
   */
  rate?: number;
  /**
   * Kinds the random `rate` picks from, uniformly.
   * @default {["429", "500", "502", "503", "reset", "truncated", "delay"]}
   */
  kinds?: readonly FaultKind[];
  /** Faults for the next requests in order, one entry per request (`null`: no fault). */
  script?: readonly (FaultKind | null)[];
  /**
   * `Retry-After` seconds sent with a `"429"` fault (0 allowed).
   * @default {1}
   */
  retryAfterSeconds?: number;
  /**
   * Milliseconds a `"delay"` fault stalls before answering normally; aborted by the request's signal.
   * @default {60000}
   */
  delayMs?: number;
  /**
   * Seed of the random source behind `rate`.
   * @default {1}
   */
  seed?: number;
}

/**
 * An attachment exactly as the API sends it (`created` is UTC without an offset).
 *
 * @example
 * ```ts
 * import { TolokaEmulator, type WireAttachment } from "@toloka-edge/attachments/testing";
 *
 * const fixture: WireAttachment = {
 *   id: "0983459b-e26f-42f3-a5fd-6e3feee913e7",
 *   attachment_type: "ASSIGNMENT_ATTACHMENT",
 *   name: "37540601.jpg",
 *   details: { user_id: "u1", assignment_id: "a1", pool_id: "154" },
 *   owner: { id: "r1", myself: true, company_id: "1" },
 *   created: "2016-05-25T16:14:27.748",
 *   media_type: "image/jpeg",
 * };
 * const emulator = new TolokaEmulator({ attachments: [fixture] });
 * if (emulator.attachments[0]?.name !== "37540601.jpg") throw new Error("unexpected data");
 * ```
 */
export interface WireAttachment {
  /** Opaque id, usually a UUID, sometimes prefixed (`fr.<uuid>`). */
  id: string;
  /** Attachment type; today always `"ASSIGNMENT_ATTACHMENT"`. */
  attachment_type: string;
  /** The file name the Toloker uploaded, unsanitised. */
  name: string;
  /** Where the file was uploaded. */
  details: {
    /** The Toloker who uploaded the file. */
    user_id: string;
    /** The assignment the file belongs to. */
    assignment_id: string;
    /** The pool of that assignment. */
    pool_id: string;
  };
  /** The requester owning the file; absent on old files. */
  owner?: {
    /** The requester's id. */
    id: string;
    /** Whether the requester is the caller. */
    myself: boolean;
    /** The requester's company, often absent. */
    company_id?: string;
  };
  /** Upload time, UTC without offset, 0 to 6 fraction digits. */
  created: string;
  /** The file's media type. */
  media_type: string;
  /** Fields the API may add in the future. */
  [extra: string]: unknown;
}

/**
 * One request the emulator received, as logged (the token is never logged).
 *
 * @example
 * ```ts
 * import { type RequestLogEntry, TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const emulator = new TolokaEmulator({ pools: [3] });
 * const response = await emulator.fetch("http://x/api/v1/attachments?pool_id=1&limit=2", {
 *   headers: { Authorization: "OAuth test-token" },
 * });
 * await response.body?.cancel();
 * const entry: RequestLogEntry | undefined = emulator.requests[0];
 * if (entry?.scheme !== "OAuth" || entry.status !== 200) throw new Error("unexpected log");
 * ```
 */
export interface RequestLogEntry {
  /** HTTP method. */
  method: string;
  /** URL path, as sent (percent-encoded). */
  path: string;
  /** Query parameters as decoded `[key, value]` pairs, in the order sent. */
  params: [string, string][];
  /**
   * The scheme word of the `Authorization` header (`"OAuth"`, `"ApiKey"`, `"Bearer"` or whatever
   * was sent; `""` when the header holds a single unrecognised word), `null` without the header.
   */
  scheme: string | null;
  /** Final status; 0 while undecided and when no response was given (a reset, an abort). */
  status: number;
  /** The fault injected into this request, if any. */
  fault: FaultKind | null;
}

/**
 * An emulator served on a loopback port; close it (or `await using` it) when done.
 *
 * @example
 * ```ts
 * import { type EmulatorServer, TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const emulator = new TolokaEmulator({ pools: [3] });
 * await using server: EmulatorServer = await emulator.serve();
 * const response = await fetch(`${server.baseUrl}/attachments?pool_id=1`, {
 *   headers: { Authorization: "ApiKey test-token" },
 * });
 * const page = await response.json();
 * if (page.items.length !== 3) throw new Error("expected 3 items");
 * ```
 */
export interface EmulatorServer {
  /** Origin of the server, `http://127.0.0.1:PORT`. */
  url: string;
  /** API root, `url + "/api/v1"`. */
  baseUrl: string;
  /** The port the server listens on. */
  port: number;
  /** Drops pending delays, shuts the server down and waits until it has finished. */
  close(): Promise<void>;
  /** Same as {@linkcode EmulatorServer.close}. */
  [Symbol.asyncDispose](): Promise<void>;
}
