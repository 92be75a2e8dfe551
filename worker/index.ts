/**
 * The edge Worker's entry point: the routes (`app.ts`) and the export jobs' Workflow class.
 *
 * @module
 */

import { router } from "./app.ts";

/** The export jobs' Workflow: wrangler.toml binds it as `EXPORT_JOBS` by this name. */
export { ExportJobs } from "./exports/workflow.ts";

/** The Worker's entry point. */
export default { fetch: router.fetch };
