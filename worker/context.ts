/**
 * Per-request state the router's stages share: the request id, timing and what the log line
 * reports. Never holds a key or a token.
 *
 * @module
 */

import type { IRequestStrict } from "itty-router";
import type { RequestBudget } from "../mod.ts";

/** What one request's log line says. */
export interface EdgeState {
  id: string;
  start: number;
  /** The key's name once authenticated. */
  key?: string;
  /** Whether the key was looked up in KV or found in the isolate's cache. */
  key_lookup?: "kv" | "cache";
  /** `hit` or `miss` for downloads. */
  cache?: "hit" | "miss";
  /** Items written by an export. */
  exported?: number;
  /** The invocation's upstream budget, once a keyed route opened its session. */
  budget?: RequestBudget;
  /** Whether an export ended with a continuation (`next`). */
  continued?: boolean;
  /** A log-safe reason when the answer is an error (or an export failed mid-way). */
  failure?: string;
  /**
   * Settles when the work behind a streamed answer ends (an export's stream, a download's cache
   * write), so the log line can wait for it and report how it went.
   */
  streamed?: Promise<void>;
}

/** The request as handlers see it: itty's params plus {@link EdgeState}. */
export type EdgeRequest = IRequestStrict & { edge: EdgeState };
