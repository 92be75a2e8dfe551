// Types for the one export of the runtime module `cloudflare:workers` used here: Deno cannot
// resolve that scheme, so the import names this file with `@ts-types`, and the bundle keeps the
// import external (`scripts/build_worker.ts`; wrangler does the same by itself).

/** The base class of a Workflow: workerd calls `run` on it through RPC. */
export declare abstract class WorkflowEntrypoint<Env = unknown, Params = unknown> {
  protected ctx: unknown;
  protected env: Env;
  constructor(ctx: unknown, env: Env);
  abstract run(
    event: { payload: Readonly<Params>; timestamp: Date; instanceId: string },
    step: unknown,
  ): Promise<unknown>;
}
