/**
 * A stop that runs once and that every caller waits for: `deno task start` gets SIGINT twice on
 * Ctrl-C (from the terminal's process group, and again forwarded by `deno task`), and the second
 * must not exit the process while the first is still revoking the demo key.
 *
 * @module
 */

/**
 * Wraps `shutdown` so that it runs at most once: every call returns the same promise, settled
 * when that one run ends, with the exit code of the first call and the outcome of the run.
 *
 * @param shutdown The work of stopping; resolves to whether it all succeeded.
 * @returns The stop function; pass the exit code wanted when everything stops cleanly.
 */
export function onceStopper(
  shutdown: () => Promise<boolean>,
): { stop: (code: number) => Promise<number>; readonly stopping: boolean } {
  let run: Promise<number> | undefined;
  return {
    stop(code: number): Promise<number> {
      run ??= shutdown().then((ok) => ok ? code : Math.max(code, 1), () => Math.max(code, 1));
      return run;
    },
    get stopping(): boolean {
      return run !== undefined;
    },
  };
}
