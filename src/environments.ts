/**
 * The Toloka installations and their API roots (the `environment` option is checked in
 * `options.ts`).
 *
 * @module
 */

import type { Environment } from "./types.ts";

/**
 * The API root of each Toloka installation. Every path of the API is relative to it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ENVIRONMENTS } from "@toloka-edge/attachments";
 *
 * assert.equal(ENVIRONMENTS.sandbox, "https://sandbox.toloka.dev/api/v1");
 * ```
 */
export const ENVIRONMENTS: Readonly<Record<Environment, string>> = Object.freeze({
  production: "https://toloka.dev/api/v1",
  sandbox: "https://sandbox.toloka.dev/api/v1",
  "yandex-tasks": "https://tasks.yandex.ru/api/v1",
});
