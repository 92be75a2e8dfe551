/**
 * `wrangler dev` on loopback, pointed at an upstream API root: started the same way by
 * `deno task start` and by the reliability suite's load test.
 *
 * @module
 */

/** How to start {@link spawnWranglerDev}. */
export interface WranglerDevOptions {
  /** The repository root (where `wrangler.toml` and `node_modules` are). */
  cwd: URL;
  /** The loopback port to listen on. */
  port: number;
  /** `TOLOKA_API_URL` for the Worker: the emulator's API root. */
  upstreamUrl: string;
  /** More arguments for `wrangler dev` (`--config`, `--persist-to`, ...). */
  args?: readonly string[];
  /** More environment variables. */
  env?: Record<string, string>;
}

/** Starts `wrangler dev` (the pinned wrangler, run by this Deno) with piped output. */
export function spawnWranglerDev(options: WranglerDevOptions): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "npm:wrangler@4.86.0",
      "dev",
      ...(options.args ?? []),
      "--ip",
      "127.0.0.1",
      "--port",
      String(options.port),
      "--var",
      `TOLOKA_API_URL:${options.upstreamUrl}`,
      "--show-interactive-dev-session=false",
    ],
    cwd: options.cwd.pathname,
    env: { WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Polls `url` until it answers 2xx (true), `ms` pass or `signal` aborts (false). */
export async function waitForHealth(
  url: string,
  ms: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      const response = await fetch(url, signal ? { signal } : {});
      // Read the body to its end: cancelling it makes workerd log a "Broken pipe" error.
      await response.arrayBuffer();
      if (response.ok) return true;
    } catch { /* not up yet */ }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}
