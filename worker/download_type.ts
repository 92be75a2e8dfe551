/**
 * The `Content-Type` a download is served with. Files are whatever Tolokers uploaded, and the
 * upstream's media type is whatever the uploader's browser claimed, so a type that a browser
 * could run script in (HTML, SVG, XML of any kind, JavaScript, ...) must never reach it: inside
 * the gallery, the bytes become a `Blob` of the served type and a blob URL has the gallery's
 * origin, right beside the key kept in `sessionStorage`.
 *
 * An allow-list rather than a deny-list: new active types keep appearing (`+xml` suffixes,
 * `text/xsl`, `application/ecmascript`, `text/vtt` quirks, ...), and the cost of a miss is a file
 * served as `application/octet-stream`: it still downloads byte for byte, under its name. The
 * original type stays in the metadata (`media_type` of `GET /api/v1/attachments/{id}`).
 *
 * @module
 */

/** Every download is a sandboxed document with no subresources, should a browser render it. */
export const DOWNLOAD_CSP = "sandbox; default-src 'none'";

const NEUTRAL = "application/octet-stream";

/** Types a browser only ever shows passively (images, media, plain text, data, archives, PDF). */
const PASSIVE: ReadonlySet<string> = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "image/avif",
  "image/bmp",
  "image/tiff",
  "image/heic",
  "image/heif",
  "image/x-icon",
  "image/vnd.microsoft.icon",
  "text/plain",
  "text/csv",
  "text/tab-separated-values",
  "application/json",
  "application/pdf",
  "application/zip",
  "application/gzip",
  "application/x-tar",
  "application/x-7z-compressed",
  NEUTRAL,
]);

const ESSENCE = /^([a-z0-9][a-z0-9!#$&^_.+-]{0,126})\/([a-z0-9][a-z0-9!#$&^_.+-]{0,126})$/;

/**
 * The type to serve a file of `mediaType` as: the type itself (without parameters other than a
 * text type's plain `charset`) when it is known to be passive, else `application/octet-stream`.
 * Audio and video of any subtype are passive; anything ending in `+xml` never is.
 *
 * @example
 * ```ts
 * import { downloadType } from "./download_type.ts";
 *
 * if (downloadType("image/svg+xml") !== "application/octet-stream") throw new Error("unsafe");
 * if (downloadType("image/PNG") !== "image/png") throw new Error("lost a passive type");
 * ```
 */
export function downloadType(mediaType: string): string {
  const [essenceText = "", ...parameters] = mediaType.split(";");
  const essence = essenceText.trim().toLowerCase();
  const match = ESSENCE.exec(essence);
  if (match === null || essence.endsWith("+xml")) return NEUTRAL;
  const top = match[1]!;
  if (!PASSIVE.has(essence) && top !== "audio" && top !== "video") return NEUTRAL;
  if (top !== "text") return essence;
  for (const parameter of parameters) {
    const charset = /^\s*charset\s*=\s*"?([A-Za-z0-9._-]{1,40})"?\s*$/i.exec(parameter)?.[1];
    if (charset !== undefined) return `${essence}; charset=${charset.toLowerCase()}`;
  }
  return essence;
}
