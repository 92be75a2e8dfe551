/**
 * The gallery page at `/`: static HTML, CSS and script built from `gallery/` into
 * `gallery_assets.ts`. No inline script or style, so the Content-Security-Policy can forbid both;
 * images come from `blob:` object URLs the script makes from authorised downloads.
 *
 * @module
 */

import { GALLERY_CSS, GALLERY_HTML, GALLERY_JS } from "./gallery_assets.ts";

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": [
    "default-src 'self'",
    "img-src 'self' blob:",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; "),
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  // The page holds no secret (the key lives in the visitor's sessionStorage), but it changes
  // with each deploy: revalidate rather than cache for long.
  "Cache-Control": "no-cache",
};

function asset(body: string, type: string): Response {
  return new Response(body, { headers: { "Content-Type": type, ...SECURITY_HEADERS } });
}

/** `GET /`: the page. */
export function galleryPage(): Response {
  return asset(GALLERY_HTML, "text/html; charset=utf-8");
}

/** `GET /gallery.js`: the page's script. */
export function galleryScript(): Response {
  return asset(GALLERY_JS, "text/javascript; charset=utf-8");
}

/** `GET /gallery.css`: the page's style sheet. */
export function galleryStyle(): Response {
  return asset(GALLERY_CSS, "text/css; charset=utf-8");
}
