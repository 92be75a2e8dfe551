/**
 * Goal 5, the cost of checking a page: `JSON.parse` alone against the valibot schemas (and the
 * `created` parsing, and the paging checks) on a real page of 100 attachments, now and as the
 * parser was before this work (`legacy_schema.ts`). In process, no I/O: a tight loop per variant,
 * alternated, median of the rounds.
 *
 * @module
 */

import { checkAnswer, completeAnswer } from "../src/listing_step.ts";
import { START } from "../src/pagination.ts";
import { validateFilter } from "../src/query.ts";
import { parseAttachmentPage } from "../src/schema.ts";
import { TolokaEmulator } from "../src/testing/mod.ts";
import type { Order } from "../src/types.ts";
import { parseAttachmentPageBefore } from "./legacy_schema.ts";
import { median } from "./stats.ts";

/** Microseconds per page of 100 attachments, each a median over the rounds. */
export interface ValidationResult {
  /** `JSON.parse` of the body alone. */
  jsonParse: number;
  /** `JSON.parse` + the parser before this work (schemas, `created`, the kept string). */
  before: number;
  /** `JSON.parse` + the parser now. */
  now: number;
  /** `JSON.parse` + the parser now + the paging checks (order, progress, cursor), order `id`. */
  nowWithPaging: number;
  /** The same in order `created` (every `created` key compared). */
  nowWithPagingByCreated: number;
  /** `now - jsonParse`: what checking adds to parsing. */
  schemaCost: number;
  /** `before - jsonParse`. */
  schemaCostBefore: number;
}

async function pageText(emulator: TolokaEmulator, sort: string): Promise<string> {
  const response = await emulator.fetch(
    `http://emulator/api/v1/attachments?pool_id=1&sort=${sort}&limit=100&id_gt=4`,
    { headers: { authorization: "OAuth test-token" } },
  );
  return await response.text();
}

function checkPaging(text: string, order: Order): void {
  const plan = { filter: validateFilter({ pool_id: "1" }), order, batchSize: 100 };
  completeAnswer(checkAnswer(plan, START, JSON.parse(text)));
}

/** Runs each variant `iterations` times per round, `rounds` rounds after `warmup` more. */
export async function measureValidation(
  options: { iterations: number; rounds: number; warmup: number },
): Promise<ValidationResult> {
  const emulator = new TolokaEmulator({ pools: [5_000] });
  const byId = await pageText(emulator, "id");
  const byCreated = await pageText(emulator, "created,id");
  const variants: Record<string, () => void> = {
    jsonParse: () => JSON.parse(byId),
    before: () => parseAttachmentPageBefore(JSON.parse(byId)),
    now: () => parseAttachmentPage(JSON.parse(byId)),
    nowWithPaging: () => checkPaging(byId, "id"),
    nowWithPagingByCreated: () => checkPaging(byCreated, "created"),
  };
  const samples: Record<string, number[]> = {};
  for (let round = -options.warmup; round < options.rounds; round++) {
    for (const [name, run] of Object.entries(variants)) {
      const started = performance.now();
      for (let index = 0; index < options.iterations; index++) run();
      const perPage = (performance.now() - started) * 1000 / options.iterations;
      if (round >= 0) (samples[name] ??= []).push(perPage);
    }
  }
  const at = (name: string): number => median(samples[name] ?? []);
  return {
    jsonParse: at("jsonParse"),
    before: at("before"),
    now: at("now"),
    nowWithPaging: at("nowWithPaging"),
    nowWithPagingByCreated: at("nowWithPagingByCreated"),
    schemaCost: at("now") - at("jsonParse"),
    schemaCostBefore: at("before") - at("jsonParse"),
  };
}

if (import.meta.main) {
  // deno-lint-ignore no-console
  console.log(await measureValidation({ iterations: 2_000, rounds: 7, warmup: 2 }));
}
