/**
 * The edge cache of downloaded files, and the byte counting that keeps it honest.
 *
 * Entries are keyed by upstream account and id, so one account's key can never read a file
 * cached for another account by guessing its id. A file is cached only when its length is known
 * and every byte of it arrived: workerd ends a body the upstream cut short as if it were
 * complete (and Miniflare's cache keeps what it got).
 *
 * A hit skips the upstream entirely, so an entry lives `DOWNLOAD_CACHE_TTL_SECONDS` at most (a
 * day by default): after that the next download asks the upstream again, and a revoked token or
 * a deleted file shows. Each entry carries the time it was stored, and the Worker itself refuses
 * an entry older than the setting (or one without that stamp, as written before it existed), so
 * lowering the setting takes effect at once, whatever the cache's own eviction does.
 *
 * @module
 */

/** A day: how long an edge-cached file is served without asking the upstream again. */
export const DEFAULT_DOWNLOAD_CACHE_TTL_SECONDS = 86_400;
/** A year: the longest `DOWNLOAD_CACHE_TTL_SECONDS` accepted. */
const MAX_DOWNLOAD_CACHE_TTL_SECONDS = 31_536_000;
/** The header of a cache entry that says when it was stored (ms since the epoch). */
export const STORED_AT_HEADER = "X-Edge-Stored-At";

/**
 * The edge cache's lifetime in seconds, from `DOWNLOAD_CACHE_TTL_SECONDS`; 0 turns the cache off.
 *
 * @throws {Error} When it is not an integer from 0 to 31536000: a misconfigured Worker answers
 * 500 on downloads and says why in its log.
 */
export function downloadCacheTtl(setting: string | undefined): number {
  const text = setting?.trim() ?? "";
  if (text === "") return DEFAULT_DOWNLOAD_CACHE_TTL_SECONDS;
  const value = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 0 && value <= MAX_DOWNLOAD_CACHE_TTL_SECONDS)) {
    throw new Error(
      `DOWNLOAD_CACHE_TTL_SECONDS must be an integer from 0 to ${MAX_DOWNLOAD_CACHE_TTL_SECONDS}: current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return value;
}

/** Whether a cache entry was stored less than `ttlSeconds` before `now` (ms). */
export function isFresh(entry: Response, ttlSeconds: number, now: number): boolean {
  const stamp = entry.headers.get(STORED_AT_HEADER) ?? "";
  if (!/^\d{1,15}$/.test(stamp)) return false;
  const age = now - Number(stamp);
  return age >= 0 && age < ttlSeconds * 1000;
}

/** The slice of `caches.default` used here. */
export interface DownloadCache {
  match(request: Request): Promise<Response | undefined>;
  put(request: Request, response: Response): Promise<void>;
  delete(request: Request): Promise<boolean>;
}

/** `caches.default` in workerd; `undefined` elsewhere. */
export function downloadCache(): DownloadCache | undefined {
  return (globalThis as { caches?: { default?: DownloadCache } }).caches?.default;
}

/** The cache key of a file for one upstream account (its token's hash: never the token). */
export async function downloadCacheKey(upstreamToken: string, id: string): Promise<Request> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(upstreamToken));
  const account = Array.from(
    new Uint8Array(digest).slice(0, 16),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return new Request(`https://download-cache.invalid/${account}/${encodeURIComponent(id)}`);
}

/**
 * Stores `body` (of `length` bytes) under `key`. If the body errors or ends short, the entry
 * is dropped again and the promise rejects.
 */
export async function storeDownload(
  cache: DownloadCache,
  key: Request,
  body: ReadableStream<Uint8Array>,
  headers: Headers,
  length: number,
): Promise<void> {
  const counted = countBytes(body);
  try {
    await cache.put(key, new Response(counted.stream, { headers }));
    const received = await counted.total;
    if (received !== length) {
      throw new Error(`The upstream sent ${received} of ${length} bytes`);
    }
  } catch (error) {
    await cache.delete(key).catch(() => false);
    throw error;
  }
}

type FixedLengthStreamClass = new (length: number) => TransformStream<Uint8Array, Uint8Array>;

/**
 * The body with its length declared: workerd sends a stream body chunked and drops a
 * `Content-Length` header set by hand unless the stream goes through its `FixedLengthStream`,
 * which also errors the body when fewer or more bytes come. Elsewhere the body as is.
 */
export function withLength(
  body: ReadableStream<Uint8Array>,
  length: number,
): ReadableStream<Uint8Array> {
  const Fixed = (globalThis as { FixedLengthStream?: FixedLengthStreamClass }).FixedLengthStream;
  return Fixed ? body.pipeThrough(new Fixed(length)) : body;
}

/** Passes a stream on, counting its bytes: `total` is the count at its end, -1 if it failed. */
function countBytes(
  source: ReadableStream<Uint8Array>,
): { stream: ReadableStream<Uint8Array>; total: Promise<number> } {
  let settle!: (total: number) => void;
  const total = new Promise<number>((resolve) => settle = resolve);
  const reader = source.getReader();
  let count = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      try {
        const { done, value } = await reader.read();
        if (done) {
          settle(count);
          controller.close();
          return;
        }
        count += value.byteLength;
        controller.enqueue(value);
      } catch (error) {
        settle(-1);
        controller.error(error);
      }
    },
    cancel(reason): Promise<void> {
      settle(-1);
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return { stream, total };
}
