/**
 * Goal 5, the cost of checking pages: what `getAttachments()` adds to a plain `fetch` +
 * `JSON.parse` loop on pages of 100 attachments (the schemas, the `created` parsing, the paging
 * checks, and the iterator around them), through the public client only. The pages are recorded
 * from the emulator once and then answered from memory, so no emulator work and no I/O is in the
 * loop: both loops send the same requests and read the same bodies. Variants alternated, median
 * of the rounds.
 *
 * Standalone: `deno run bench/validation.ts`.
 *
 * @module
 */

import { AttachmentsClient, type Order } from "../mod.ts";
import { TolokaEmulator } from "../src/testing/mod.ts";
import { median } from "./stats.ts";

/** Microseconds per page of 100 attachments, each a median over the rounds. */
export interface ValidationResult {
  /** Pages in one listing (a pool of 5,000, 100 a page). */
  pages: number;
  /** `JSON.parse` of a page body alone. */
  jsonParse: number;
  /** A plain loop over the same answers: build the request, `fetch`, read, `JSON.parse`. */
  plainLoop: number;
  /** `getAttachments()` in order `id`: the plain loop's work plus every check. */
  client: number;
  /** The same in order `created` (every `created` parsed and compared). */
  clientByCreated: number;
  /** `client - plainLoop`: what the client adds to fetching and parsing, order `id`. */
  clientCost: number;
  /** `clientByCreated - plainLoop`. */
  clientCostByCreated: number;
}

const TOKEN = "test-token";
const POOL_SIZE = 5_000;

/** A `fetch` answering recorded bodies by URL (and 404 for anything else). */
type Canned = (request: Request) => Promise<Response>;

/** Lists pool "1" once in `order` against the emulator, recording each answer by request URL. */
async function record(emulator: TolokaEmulator, order: Order): Promise<Map<string, string>> {
  const bodies = new Map<string, string>();
  const client = new AttachmentsClient({
    token: TOKEN,
    fetch: async (request) => {
      const response = await emulator.handle(request);
      const text = await response.text();
      bodies.set(request.url, text);
      return new Response(text, { status: response.status, headers: response.headers });
    },
  });
  for await (const _ of client.getAttachments({ pool_id: "1" }, { order, batchSize: 100 })) {
    // Recording only.
  }
  return bodies;
}

function canned(bodies: ReadonlyMap<string, string>): Canned {
  const headers = { "content-type": "application/json" };
  return (request) => {
    const body = bodies.get(request.url);
    return Promise.resolve(
      body === undefined ? new Response(null, { status: 404 }) : new Response(body, { headers }),
    );
  };
}

async function plainLoop(fetch: Canned, urls: readonly string[]): Promise<number> {
  for (const url of urls) {
    const response = await fetch(
      new Request(url, { headers: { authorization: `OAuth ${TOKEN}` } }),
    );
    JSON.parse(await response.text());
  }
  return urls.length;
}

/** Lists the pool with the client; returns the pages read. */
async function clientLoop(client: AttachmentsClient, order: Order): Promise<number> {
  let items = 0;
  for await (const _ of client.getAttachments({ pool_id: "1" }, { order, batchSize: 100 })) {
    items++;
  }
  return Math.ceil(items / 100);
}

/**
 * Runs each variant over at least `iterations` pages per round, `rounds` rounds after `warmup`
 * more.
 */
export async function measureValidation(
  options: { iterations: number; rounds: number; warmup: number },
): Promise<ValidationResult> {
  const emulator = new TolokaEmulator({ pools: [POOL_SIZE] });
  const byId = await record(emulator, "id");
  const byCreated = await record(emulator, "created");
  const urls = [...byId.keys()];
  const texts = [...byId.values()];
  const client = (bodies: ReadonlyMap<string, string>): AttachmentsClient =>
    new AttachmentsClient({ token: TOKEN, fetch: canned(bodies) });
  const idClient = client(byId);
  const createdClient = client(byCreated);
  const idFetch = canned(byId);
  // Each variant returns the pages it read, so that a round can count them.
  const variants: Record<string, () => Promise<number>> = {
    jsonParse: () => {
      for (const text of texts) JSON.parse(text);
      return Promise.resolve(texts.length);
    },
    plainLoop: () => plainLoop(idFetch, urls),
    client: () => clientLoop(idClient, "id"),
    clientByCreated: () => clientLoop(createdClient, "created"),
  };
  const samples: Record<string, number[]> = {};
  for (let round = -options.warmup; round < options.rounds; round++) {
    for (const [name, run] of Object.entries(variants)) {
      let pages = 0;
      const started = performance.now();
      while (pages < options.iterations) pages += await run();
      const perPage = (performance.now() - started) * 1000 / pages;
      if (round >= 0) (samples[name] ??= []).push(perPage);
    }
  }
  const at = (name: string): number => median(samples[name] ?? []);
  return {
    pages: urls.length,
    jsonParse: at("jsonParse"),
    plainLoop: at("plainLoop"),
    client: at("client"),
    clientByCreated: at("clientByCreated"),
    clientCost: at("client") - at("plainLoop"),
    clientCostByCreated: at("clientByCreated") - at("plainLoop"),
  };
}

if (import.meta.main) {
  // deno-lint-ignore no-console
  console.log(await measureValidation({ iterations: 2_000, rounds: 7, warmup: 2 }));
}
