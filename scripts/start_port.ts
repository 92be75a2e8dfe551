/**
 * The port `deno task start` gives `wrangler dev`: `PORT` when set (taken means a clear failure,
 * since the user asked for it), else the first free one from 8787 on. Pure apart from the probe,
 * which is injected.
 *
 * @module
 */

/** The port `wrangler dev` uses by default, and where `start` looks first. */
export const DEFAULT_PORT = 8787;
/** How many ports from {@link DEFAULT_PORT} on `start` tries when `PORT` is not set. */
export const PORTS_TO_TRY = 10;

/** What {@link choosePort} decided: a port, or the one line that says why there is none. */
export type PortChoice = { port: number; note?: string } | { error: string };

/**
 * Parses `PORT` (undefined when unset or empty).
 *
 * @throws {RangeError} When it is not a whole number from 1 to 65535.
 */
export function parsePortVariable(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const port = /^\s*\d{1,5}\s*$/.test(value) ? Number(value) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new RangeError(
      `PORT must be a port number from 1 to 65535, current value is ${JSON.stringify(value)}`,
    );
  }
  return port;
}

/**
 * Picks the port: `requested` if free, else (when nothing was requested) the first free port of
 * {@link PORTS_TO_TRY} from {@link DEFAULT_PORT} on.
 *
 * @param requested The port from `PORT`, if set.
 * @param isFree Whether a port can be bound on 127.0.0.1 now.
 * @returns The port (with a note when it is not the default), or an error line naming the port
 * and `PORT=`.
 */
export async function choosePort(
  requested: number | undefined,
  isFree: (port: number) => boolean | Promise<boolean>,
): Promise<PortChoice> {
  if (requested !== undefined) {
    return await isFree(requested) ? { port: requested } : {
      error: `Port ${requested} on 127.0.0.1 is taken (another wrangler dev?): ` +
        `stop what holds it, or run with PORT= set to a free port.`,
    };
  }
  for (let port = DEFAULT_PORT; port < DEFAULT_PORT + PORTS_TO_TRY; port++) {
    if (!await isFree(port)) continue;
    return port === DEFAULT_PORT ? { port } : {
      port,
      note: `Port ${DEFAULT_PORT} is taken (another wrangler dev?), so the Worker uses ${port}.`,
    };
  }
  const last = DEFAULT_PORT + PORTS_TO_TRY - 1;
  return {
    error: `Ports ${DEFAULT_PORT} to ${last} on 127.0.0.1 are all taken: ` +
      `run with PORT= set to a free port.`,
  };
}

/** Whether a TCP port can be bound on 127.0.0.1 right now (it is released at once). */
export function isPortFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return false;
    throw error;
  }
}

/**
 * The URL in wrangler dev's "Ready on http://..." line, or undefined for any other line.
 *
 * @param line One line of wrangler's output.
 */
export function readyUrl(line: string): string | undefined {
  const url = /\bReady on (https?:\/\/[^\s/]+)/.exec(line)?.[1];
  return url;
}
