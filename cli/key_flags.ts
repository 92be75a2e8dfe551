/**
 * The values of `keys create`'s flags, pure: `--expires` (a date or a duration) and `--pools`.
 *
 * @module
 */

import { parseTimestamp } from "../mod.ts";
import { quote, UsageError } from "./flags.ts";

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * When a key expires: an ISO date (`2026-12-31`, `2026-12-31T18:00:00Z`; UTC without an offset)
 * or a duration from now (`90s`, `45m`, `12h`, `30d`, `8w`).
 *
 * @throws {UsageError} When it is neither, or not in the future.
 */
export function parseExpiry(text: string, now: number): Date {
  const trimmed = text.trim();
  const duration = /^(\d{1,9})\s*([smhdw])$/i.exec(trimmed);
  let date: Date | undefined;
  if (duration !== null) {
    const amount = Number(duration[1]);
    date = new Date(now + amount * (UNIT_MS[(duration[2] as string).toLowerCase()] as number));
    if (amount === 0) date = undefined;
  } else {
    date = parseTimestamp(trimmed, { dateOnly: true })?.date;
    if (date === undefined) {
      throw new UsageError(
        `--expires must be a date such as 2026-12-31 or a duration such as 30d, 12h or 90m, got ${
          quote(text)
        }`,
      );
    }
  }
  if (date === undefined || Number.isNaN(date.getTime()) || date.getTime() <= now) {
    throw new UsageError(`--expires must be in the future, got ${quote(text)}`);
  }
  return date;
}

/**
 * The pool ids of `--pools 1,2` (spaces allowed, duplicates dropped).
 *
 * @throws {UsageError} For an empty list or an id that is not a plain id.
 */
export function parsePools(text: string): string[] {
  const pools = [...new Set(text.split(",").map((pool) => pool.trim()))];
  if (pools.length === 0 || pools.some((pool) => pool === "")) {
    throw new UsageError(`--pools must list pool ids separated by commas, got ${quote(text)}`);
  }
  for (const pool of pools) {
    if (!/^[0-9A-Za-z._-]{1,64}$/.test(pool)) {
      throw new UsageError(`--pools holds a bad pool id ${quote(pool)}`);
    }
  }
  return pools;
}
