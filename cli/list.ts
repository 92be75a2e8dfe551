/**
 * `list`: every attachment that matches the filters, in one of four formats, streamed page by
 * page (nothing is held beyond one page).
 *
 * @module
 */

import { toWireAttachment } from "../mod.ts";
import type { Context } from "./context.ts";
import { EXIT } from "./errors.ts";
import { choiceFlag, type FlagSpec, integerFlag, noMorePositionals, parseFlags } from "./flags.ts";
import { encoderFor, LIST_FORMATS } from "./format.ts";
import {
  clientFrom,
  CONNECTION_FLAGS,
  emptyAnswerNote,
  filterFrom,
  maxFrom,
  orderFrom,
  QUERY_FLAGS,
} from "./query_flags.ts";

/** The flags of `list`. */
export const LIST_FLAGS: FlagSpec = {
  ...CONNECTION_FLAGS,
  ...QUERY_FLAGS,
  format: "string",
  retries: "string",
};

/** Runs `list` with the arguments after the command name; resolves to the exit code. */
export async function listCommand(context: Context, args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(args, LIST_FLAGS, "list");
  noMorePositionals(positionals, 0, "list");
  const filter = filterFrom(flags);
  const order = orderFrom(flags);
  const max = maxFrom(flags);
  const format = choiceFlag(flags, "format", LIST_FORMATS) ??
    (context.stdoutIsTerminal ? "table" : "ndjson");
  const retries = integerFlag(flags, "retries", { min: 0, max: 100 }, 5);
  const client = clientFrom(context, flags, retries);

  const encoder = encoderFor(format);
  const out = context.stdout;
  await out.write(encoder.head());
  let count = 0;
  const batchSize = Math.min(100, max);
  const pages = client.getAttachmentPages(filter, {
    order,
    batchSize,
    // With --max that one page covers, a page fetched ahead would be thrown away.
    prefetch: max > batchSize,
    signal: context.signal,
  });
  for await (const page of pages) {
    const items = page.items.slice(0, max - count).map(toWireAttachment);
    count += items.length;
    if (items.length > 0) await out.write(encoder.items(items));
    if (count >= max) break;
  }
  await out.write(encoder.tail());
  if (count === 0) await context.stderr.write(`${emptyAnswerNote(filter, client.baseUrl)}\n`);
  return EXIT.ok;
}
