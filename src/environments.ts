/**
 * The Toloka installations and the API root a client talks to.
 *
 * @module
 */

import { mustBe } from "./describe_value.ts";
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

/** The API root for the client's `environment` and `baseUrl` options, validated. */
export function resolveBaseUrl(environment: unknown, baseUrl: unknown): string {
  if (baseUrl !== undefined) {
    if (typeof baseUrl !== "string") {
      throw new TypeError(mustBe('Option "baseUrl"', "a string", baseUrl));
    }
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new TypeError(mustBe('Option "baseUrl"', "an absolute http(s) URL", baseUrl));
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(mustBe('Option "baseUrl"', "an absolute http(s) URL", baseUrl));
    }
    if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
      throw new TypeError(
        mustBe('Option "baseUrl"', "a URL without query, fragment or credentials", baseUrl),
      );
    }
    return url.href.replace(/\/+$/, "");
  }
  if (environment === undefined) return ENVIRONMENTS.production;
  if (typeof environment === "string" && Object.hasOwn(ENVIRONMENTS, environment)) {
    return ENVIRONMENTS[environment as Environment];
  }
  throw new TypeError(
    mustBe('Option "environment"', '"production", "sandbox" or "yandex-tasks"', environment),
  );
}
