/**
 * The gallery's files (`/`, `/gallery.js`, `/gallery.css`), served by Workers Static Assets from
 * `dist/gallery/` (built by `scripts/build_gallery.ts`), with the headers of its `_headers` file
 * (a strict Content-Security-Policy among them). The Worker runs first for every request
 * (`run_worker_first` in `wrangler.toml`) and hands these three paths to the `ASSETS` binding,
 * so they keep what every answer of the Worker has: an `X-Request-Id`, a log line, CORS headers,
 * and a 500 while `CORS_ORIGINS` is refused. Any other path stays the Worker's own (its 404).
 *
 * @module
 */

import type { EdgeRequest, Env } from "./env_context.ts";

/** The paths of the gallery's files; `/` is the page (`index.html`). */
export const GALLERY_PATHS: readonly string[] = ["/", "/gallery.js", "/gallery.css"];

/**
 * `GET`/`HEAD` of the gallery file at `path`: the asset service's answer (its ETag, and 304 to a
 * matching `If-None-Match`). The route also matches `path` with trailing slashes, as every route
 * does; the asset service is asked for `path` itself, so those get the file too.
 *
 * @throws {Error} When the Worker has no `ASSETS` binding (deployed without `[assets]`): a 500
 * whose log line says so.
 */
export function galleryFile(path: string): (request: EdgeRequest, env: Env) => Promise<Response> {
  return (request: EdgeRequest, env: Env): Promise<Response> => {
    if (!env.ASSETS) {
      throw new Error("ASSETS is not bound: wrangler.toml's [assets] serves the gallery");
    }
    const url = new URL(request.url);
    url.pathname = path;
    // A plain Request: itty hands handlers a Proxy, which a binding's fetch() does not take.
    return env.ASSETS.fetch(new Request(url, { method: request.method, headers: request.headers }));
  };
}
