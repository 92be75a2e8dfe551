/** The emulator: routing, auth, faults, latency and the request log around the store. */

import { checkAuthorization } from "./auth.ts";
import { contentDisposition, fileBytes, type FileSpec, fileSpec } from "./download.ts";
import { errorReply, notFound } from "./errors.ts";
import { FaultInjector } from "./faults.ts";
import { AttachmentStore } from "./index.ts";
import {
  buildDataset,
  checkCount,
  checkMilliseconds,
  checkSleep,
  checkTokens,
  DEFAULT_MAX_FILE_SIZE,
  DEFAULT_REQUEST_LOG_LIMIT,
} from "./options.ts";
import { PageJson } from "./page_json.ts";
import { parseListParams } from "./params.ts";
import { runQuery } from "./query.ts";
import { jsonReply, type Reply, resetResponse, toResponse } from "./reply.ts";
import { serveEmulator } from "./server.ts";
import type {
  EmulatorOptions,
  EmulatorServer,
  FaultKind,
  FaultOptions,
  RequestLogEntry,
  WireAttachment,
} from "./types.ts";
import { seedOf } from "./prng.ts";

const ROUTE = /^\/api\/v1\/attachments(?:\/([^/]+)(\/download)?)?$/;

/**
 * An in-memory Toloka attachments API: every list filter, multi-key `sort`, `limit` and
 * `has_more`, metadata by id and downloads with real bytes, auth, Toloka's error bodies, fault
 * injection, latency and a request log. Use {@linkcode TolokaEmulator.fetch} as a client's
 * `fetch`, or {@linkcode TolokaEmulator.serve} it on a loopback port.
 *
 * Memory: the attachments themselves, an index per order once listed in it, and the JSON text of
 * each attachment once served (written once, so a page is joined rather than serialised), up to
 * about 32 MB (85,000 typical attachments); past that, pages are written whole each time.
 *
 * @example Listing a page in process
 * ```ts
 * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const emulator = new TolokaEmulator({ pools: [50] });
 * const response = await emulator.fetch(
 *   "https://toloka.dev/api/v1/attachments?pool_id=1&sort=id&limit=10",
 *   { headers: { Authorization: "OAuth test-token" } },
 * );
 * const page = await response.json();
 * const expected = emulator.attachments.map((a) => a.id).sort().slice(0, 10);
 * if (JSON.stringify(page.items.map((a: { id: string }) => a.id)) !== JSON.stringify(expected)) {
 *   throw new Error("unexpected page");
 * }
 * if (page.has_more !== true) throw new Error("expected more pages");
 * ```
 */
export class TolokaEmulator {
  /**
   * {@linkcode TolokaEmulator.handle} bound to this emulator, also taking `fetch`'s
   * `(input, init)` form: pass it as a client's `fetch`.
   *
   * @example
   * ```ts
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const { fetch } = new TolokaEmulator({ pools: [1] });
   * const response = await fetch("http://emulator/api/v1/attachments?pool_id=1", {
   *   headers: { Authorization: "Bearer test-token" },
   * });
   * if ((await response.json()).items.length !== 1) throw new Error("expected one item");
   * ```
   */
  readonly fetch: (input: Request | URL | string, init?: RequestInit) => Promise<Response>;
  readonly #seed: number;
  readonly #store: AttachmentStore;
  readonly #pages: PageJson;
  readonly #sizes: ReadonlyMap<string, number>;
  readonly #tokens: ReadonlySet<string>;
  readonly #maxFileSize: number;
  readonly #logLimit: number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  #log: RequestLogEntry[] = [];
  #latencyMs: number;
  #faults: FaultInjector | undefined;

  /**
   * Generates (or takes) the data and checks every option.
   *
   * @param options What to serve and how; see {@linkcode EmulatorOptions}.
   * @throws {TypeError} An option has the wrong type, or two hand-made attachments share an id.
   * @throws {RangeError} A number is out of range (negative sizes, a fault rate above 1, ...).
   *
   * @example Hand-made data
   * ```ts
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({
   *   attachments: [{
   *     id: "a",
   *     attachment_type: "ASSIGNMENT_ATTACHMENT",
   *     name: "x.txt",
   *     details: { user_id: "u", assignment_id: "as", pool_id: "7" },
   *     created: "2024-01-01T00:00:00",
   *     media_type: "text/plain",
   *   }],
   * });
   * if (emulator.bytesOf("a").length > 16384) throw new Error("too large");
   * ```
   */
  constructor(options: EmulatorOptions = {}) {
    const seed = options.seed ?? 1;
    if (typeof seed !== "number" || !Number.isFinite(seed)) {
      throw new TypeError(`seed must be a finite number: current value is ${seed}`);
    }
    this.#seed = seedOf(seed);
    this.#tokens = checkTokens(options.tokens);
    this.#latencyMs = checkMilliseconds(options.latencyMs ?? 0, "latencyMs");
    this.#sleep = checkSleep(options.sleep);
    this.#maxFileSize = checkCount(options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE, "maxFileSize");
    this.#logLimit = checkCount(
      options.requestLogLimit ?? DEFAULT_REQUEST_LOG_LIMIT,
      "requestLogLimit",
    );
    this.#faults = options.faults === undefined ? undefined : new FaultInjector(options.faults);
    const dataset = buildDataset(options, seed);
    this.#store = new AttachmentStore(
      Object.freeze(dataset.attachments),
      dataset.sec,
      dataset.micro,
      options.attachments !== undefined,
    );
    this.#pages = new PageJson(this.#store.items);
    this.#sizes = dataset.sizes;
    this.fetch = (input, init) =>
      this.handle(
        input instanceof Request && init === undefined ? input : new Request(input, init),
      );
  }

  /**
   * Every attachment, frozen, in generation order (the order of a listing without `sort`).
   *
   * @example
   * ```ts
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({ pools: [4, 2] });
   * const pool2 = emulator.attachments.filter((a) => a.details.pool_id === "2");
   * if (pool2.length !== 2) throw new Error("expected two attachments in pool 2");
   * ```
   */
  get attachments(): readonly WireAttachment[] {
    return this.#store.items;
  }

  /**
   * Milliseconds added to every request (aborted at once by the request's signal); settable.
   *
   * @example
   * ```ts
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({ pools: [1] });
   * emulator.latencyMs = 5;
   * const started = performance.now();
   * const response = await emulator.fetch("http://x/api/v1/attachments/none", {
   *   headers: { Authorization: "OAuth test-token" },
   * });
   * await response.body?.cancel();
   * if (performance.now() - started < 4) throw new Error("expected latency");
   * ```
   */
  get latencyMs(): number {
    return this.#latencyMs;
  }

  set latencyMs(value: number) {
    this.#latencyMs = checkMilliseconds(value, "latencyMs");
  }

  /**
   * The exact bytes the download route serves for an attachment.
   *
   * @param id The attachment's id.
   * @returns A fresh copy of the file's contents.
   * @throws {RangeError} No attachment has this id.
   *
   * @example
   * ```ts
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({ pools: [3] });
   * const [first] = emulator.attachments;
   * const response = await emulator.fetch(`http://x/api/v1/attachments/${first!.id}/download`, {
   *   headers: { Authorization: "OAuth test-token" },
   * });
   * const served = new Uint8Array(await response.arrayBuffer());
   * if (served.join() !== emulator.bytesOf(first!.id).join()) throw new Error("bytes differ");
   * ```
   */
  bytesOf(id: string): Uint8Array {
    const spec = this.#fileSpec(id);
    if (spec === undefined) {
      throw new RangeError(`No attachment has this id: current value is ${JSON.stringify(id)}`);
    }
    return fileBytes(spec);
  }

  /**
   * The request log, oldest first (at most `requestLogLimit` entries); a snapshot array.
   *
   * @example
   * ```ts
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({ pools: [1] });
   * const response = await emulator.fetch("http://x/api/v1/attachments?assignment_id=a&limit=5");
   * await response.body?.cancel();
   * const [entry] = emulator.requests;
   * if (entry?.status !== 401 || entry.scheme !== null) throw new Error("unexpected entry");
   * if (JSON.stringify(entry.params) !== '[["assignment_id","a"],["limit","5"]]') {
   *   throw new Error("unexpected params");
   * }
   * ```
   */
  get requests(): readonly RequestLogEntry[] {
    const log = this.#log;
    return log.length > this.#logLimit ? log.slice(log.length - this.#logLimit) : log.slice();
  }

  /**
   * Empties the request log.
   *
   * @example
   * ```ts
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({ pools: [1] });
   * await (await emulator.fetch("http://x/nowhere")).body?.cancel();
   * emulator.clearRequests();
   * if (emulator.requests.length !== 0) throw new Error("expected an empty log");
   * ```
   */
  clearRequests(): void {
    this.#log = [];
  }

  /**
   * Replaces the fault settings (the script and the random source start afresh).
   *
   * @param faults The new settings; `undefined` turns faults off.
   * @throws {TypeError} An unknown fault kind.
   * @throws {RangeError} A rate outside 0..1 or a negative duration.
   *
   * @example
   * ```ts
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({ pools: [1] });
   * emulator.setFaults({ script: ["503"] });
   * const response = await emulator.fetch("http://x/api/v1/attachments?pool_id=1", {
   *   headers: { Authorization: "OAuth test-token" },
   * });
   * await response.body?.cancel();
   * if (response.status !== 503) throw new Error("expected 503");
   * emulator.setFaults(undefined);
   * ```
   */
  setFaults(faults?: FaultOptions): void {
    this.#faults = faults === undefined ? undefined : new FaultInjector(faults);
  }

  /**
   * Answers one request as the Toloka API would (under any origin).
   *
   * @param request The request; its `signal` aborts latency, delays and file streams.
   * @returns The response. It rejects with a `TypeError` on a `"reset"` fault, and with the
   * signal's reason when the request is aborted, as `fetch` does.
   *
   * @example
   * ```ts
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({ pools: [1] });
   * const request = new Request("http://x/api/v1/attachments?pool_id=1&limit=0", {
   *   headers: { Authorization: "OAuth test-token" },
   * });
   * const response = await emulator.handle(request);
   * const body = await response.json();
   * if (response.status !== 400 || body.payload.limit.code !== "VALUE_LESS_THAN_MIN") {
   *   throw new Error("expected a validation error on limit");
   * }
   * ```
   */
  handle(request: Request): Promise<Response> {
    return this.#respond(request, request.signal, false);
  }

  /**
   * Serves the emulator with `Deno.serve` on 127.0.0.1 (quietly); needs `--allow-net=127.0.0.1`.
   *
   * @param options `port` (default 0: any free port) and a `signal` that closes the server.
   * @returns The running server; `close()` it or `await using` it.
   *
   * @example
   * ```ts
   * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
   *
   * const emulator = new TolokaEmulator({ pools: [2] });
   * const server = await emulator.serve();
   * try {
   *   const response = await fetch(`${server.baseUrl}/attachments?pool_id=1&sort=-created`, {
   *     headers: { Authorization: "OAuth test-token" },
   *   });
   *   if ((await response.json()).items.length !== 2) throw new Error("expected two items");
   * } finally {
   *   await server.close();
   * }
   * ```
   */
  serve(options: { port?: number; signal?: AbortSignal } = {}): Promise<EmulatorServer> {
    return serveEmulator(
      (request, signal) => this.#respond(request, signal, true),
      options,
    );
  }

  async #respond(request: Request, signal: AbortSignal, served: boolean): Promise<Response> {
    const url = new URL(request.url);
    const auth = checkAuthorization(request.headers.get("authorization"), this.#tokens);
    const entry: RequestLogEntry = {
      method: request.method,
      path: url.pathname,
      params: [...url.searchParams],
      scheme: auth.scheme,
      status: 0,
      fault: null,
    };
    this.#record(entry);
    const faults = this.#faults;
    const fault: FaultKind | null = faults?.next() ?? null;
    entry.fault = fault;
    await this.#wait(this.#latencyMs, signal);
    let reply: Reply | undefined;
    switch (fault) {
      case "429":
      case "500":
      case "502":
      case "503":
        reply = (faults as FaultInjector).reply(fault);
        break;
      case "reset":
        if (served) return resetResponse();
        throw new TypeError("error sending request: connection reset (emulated fault)");
      case "delay":
        await this.#wait((faults as FaultInjector).delayMs, signal);
        break;
    }
    const options = { truncated: fault === "truncated", signal };
    let response: Response;
    try {
      response = toResponse(reply ?? this.#route(request, url, entry.params, auth), options);
    } catch {
      // A bug, or a hand-made attachment whose media type is no valid header: the API's own 500.
      response = toResponse(errorReply(500, "INTERNAL_ERROR", "Internal server error"), options);
    }
    entry.status = response.status;
    return response;
  }

  /** A wait through `sleep`; none for 0 ms, but an aborted signal still rejects. */
  #wait(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (ms <= 0) return Promise.resolve();
    return this.#sleep(ms, signal);
  }

  #route(
    request: Request,
    url: URL,
    params: readonly [string, string][],
    auth: { ok: boolean; problem?: string },
  ): Reply {
    const match = ROUTE.exec(url.pathname);
    if (match === null) return notFound(`No such resource: ${url.pathname}`);
    if (request.method !== "GET") {
      const message = `Method ${request.method} is not allowed`;
      return errorReply(405, "METHOD_NOT_ALLOWED", message, null, { allow: "GET" });
    }
    if (!auth.ok) return errorReply(401, "AUTHENTICATION_ERROR", auth.problem ?? "Unauthorized");
    const [, rawId, download] = match;
    if (rawId === undefined) {
      // The pairs the log already holds: iterating `url.searchParams` again costs more.
      const parsed = parseListParams(params);
      if (!parsed.ok) {
        return errorReply(400, "VALIDATION_ERROR", "Validation failed", parsed.payload);
      }
      return this.#pages.reply(runQuery(this.#store, parsed.query));
    }
    let id: string;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      return notFound("Attachment not found");
    }
    const position = this.#store.position(id);
    if (position === undefined) return notFound("Attachment not found");
    const item = this.#store.items[position] as WireAttachment;
    if (download === undefined) return jsonReply(200, item);
    const spec = this.#fileSpec(id) as FileSpec;
    return {
      kind: "file",
      status: 200,
      headers: {
        "content-type": spec.mediaType,
        "content-disposition": contentDisposition(spec.name),
      },
      file: spec,
    };
  }

  #fileSpec(id: string): FileSpec | undefined {
    const position = this.#store.position(id);
    if (position === undefined) return undefined;
    const item = this.#store.items[position] as WireAttachment;
    return fileSpec(this.#seed, item, this.#sizes.get(id), this.#maxFileSize);
  }

  #record(entry: RequestLogEntry): void {
    const log = this.#log;
    log.push(entry);
    // Trim in batches so that a long run stays O(1) per request on average.
    if (log.length > this.#logLimit + Math.max(1024, this.#logLimit)) {
      log.splice(0, log.length - this.#logLimit);
    }
  }
}
