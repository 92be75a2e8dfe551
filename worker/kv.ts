/**
 * The slice of the Workers runtime this Worker touches, typed by hand so that the Worker
 * type-checks in the same TypeScript world as the core (the generated
 * `worker-configuration.d.ts` is 500 KB and needs sloppy imports; we use five methods of it).
 *
 * @module
 */

/** The Workers KV methods the Worker and the key tools use. */
export interface KvNamespace {
  get(key: string, options: { type: "json"; cacheTtl?: number }): Promise<unknown>;
  put(key: string, value: string, options?: { expiration?: number }): Promise<void>;
  delete(key: string): Promise<void>;
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<{
    keys: { name: string; expiration?: number }[];
    list_complete: boolean;
    cursor?: string;
  }>;
}

/** The `[[ratelimits]]` binding. */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** The `ctx` a Worker's `fetch` receives. */
export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}
