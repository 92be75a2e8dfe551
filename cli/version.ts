/**
 * This package's version, from its `deno.json`, for `--version`.
 *
 * @module
 */

import config from "../deno.json" with { type: "json" };

/** The package name and version, such as `@toloka-edge/attachments 0.1.0`. */
export const VERSION: string = `${config.name} ${config.version}`;
