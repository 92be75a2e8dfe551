/**
 * An emulator of the Toloka attachments API for tests: `GET /api/v1/attachments` with every
 * filter, multi-key `sort`, `limit` (1..100, default 20) and `has_more`; `GET
 * /api/v1/attachments/{id}`; `GET /api/v1/attachments/{id}/download` with real bytes (valid PNGs
 * for images) and RFC 6266 headers; `OAuth`/`ApiKey`/`Bearer` auth; Toloka's error bodies; fault
 * injection; latency; a request log. Use it in process as a `fetch`, or serve it on loopback.
 * Its waits (latency, `"delay"` faults) go through an injectable `sleep`, so tests can run them
 * on a fake clock.
 *
 * Data is generated from a seed (same seed, byte-identical data) by {@linkcode Prng}, the seeded
 * random source this module also exports for tests' own data. Pools get the ids "1", "2", ...
 * with the sizes of `pools` (default `[600, 250, 100, 40, 10, 3, 1, 0]`). Assignments hold 1..10
 * files, each by one user; ids are UUIDs, about 5% prefixed `fr.`; about 60% are `image/png`;
 * `created` values tie often and are written with 0, 3, 5 or 6 fraction digits (equal instants
 * written differently are ties); about 5% have no `owner`, about 20% of owners no `company_id`,
 * about 2% an unknown extra field (`reviewed` or `review`). Without `sort` the order is generation
 * order (`emulator.attachments`). Non-image files are 0..`maxFileSize` bytes; about 3% are empty.
 *
 * Fixtures in pool "1" (when it has at least 300 attachments, as by default):
 * - a run of 150 attachments with one identical `created` instant, written as `...:SS`,
 *   `...:SS.000`, `...:SS.00000` and `...:SS.000000`;
 * - 9 attachments in one assignment whose `created` differ in microseconds within one
 *   millisecond: fractions `.344999`, `.345`, `.345000`, `.345001`, `.345002`, `.345003`,
 *   `.34501`, `.345999`, `.346`;
 * - hostile names: `../../etc/passwd`, `/etc/shadow`, `C:\Windows\system32\evil.dll`,
 *   `..\..\boot.ini`, `` (empty), `.`, `..`, `a\u0000b.txt`, `CON`, `NUL.txt`, `com1.png`, `LPT9`,
 *   `photo.png` (5 times), `фото 1.png`, `照片.png`, `café.png`, `😀 smile.png`, `e\u0301te\u0301.png`
 *   (combining accents), `long_` + 300 `x` + `.png`, `line1\r\nline2.txt`, `line\nfeed.txt`,
 *   `tab\tname.txt`, `<img src=x onerror=alert(1)>.png`, `"><script>alert(1)</script>`,
 *   `=HYPERLINK("http://x")`, `+SUM(1)`, `-2+3`, `@cmd`, `name. `, `trailing dot.`,
 *   `trailing space `, `100%.txt`, `quote"and'apostrophe.txt`, `semi;colon,comma.txt`;
 * - `empty.txt` and `empty.bin` (0 bytes), `reviewed.png` (extra `reviewed: true`),
 *   `annotated.pdf` (extra object `review`), `old upload.png` (no `owner`), `no company.mp3`
 *   (owner without `company_id`), `ExampleAttachment.txt`.
 *
 * Find them with `emulator.attachments.filter((a) => a.name === ...)`.
 *
 * Where the API's documentation is silent, the emulator chooses:
 * - neither `pool_id` nor `assignment_id`: `VALUE_REQUIRED` on both fields of the payload; a
 *   parameter given twice: `INVALID_FORMAT`; given empty: `VALUE_REQUIRED`; a `sort` naming a
 *   key twice: `INVALID_FORMAT`; an unknown pool or assignment: an empty page (200);
 * - auth schemes are case-insensitive (RFC 9110); auth comes before validation and lookups;
 * - an unknown path is 404 `DOES_NOT_EXIST` (before anything else); a method other than `GET`
 *   (`HEAD` too) is 405 `METHOD_NOT_ALLOWED` with `Allow: GET`;
 * - a fault hits any request, before routing and auth; the log's `status` is 0 for a reset or
 *   an aborted request;
 * - served, a `"reset"` sends its headers and then drops the connection, so `fetch` may resolve
 *   and the body read fail with a `TypeError`; a served wait (latency, `"delay"`) does not see
 *   the client leave (Deno warns on any use of the request's signal) and ends with its delay or
 *   at `close()`;
 * - a page costs O(limit) with `sort` and id or created ranges (indexes per pool and assignment);
 *   other filters (`name`, `user_id`, owners) are checked while walking.
 *
 * @example Point a client at the emulator, in process or over loopback
 * ```ts
 * import { TolokaEmulator } from "@toloka-edge/attachments/testing";
 *
 * const emulator = new TolokaEmulator({ tokens: ["secret"], faults: { script: ["429"] } });
 * const headers = { Authorization: "OAuth secret" };
 * const url = "http://emulator/api/v1/attachments?pool_id=1&sort=created,id&limit=100";
 *
 * const throttled = await emulator.fetch(url, { headers });
 * await throttled.body?.cancel();
 * if (throttled.headers.get("retry-after") !== "1") throw new Error("expected Retry-After");
 *
 * const page = await (await emulator.fetch(url, { headers })).json();
 * if (page.items.length !== 100 || !page.has_more) throw new Error("expected a full page");
 *
 * await using server = await emulator.serve();
 * const one = await fetch(`${server.baseUrl}/attachments/${page.items[0].id}`, { headers });
 * if ((await one.json()).id !== page.items[0].id) throw new Error("expected the same item");
 * ```
 * @module
 */

export { TolokaEmulator } from "./emulator.ts";
export { FAULT_KINDS } from "./faults.ts";
export { mix32, Prng } from "./prng.ts";
export type {
  EmulatorOptions,
  EmulatorServer,
  FaultKind,
  FaultOptions,
  RequestLogEntry,
  WireAttachment,
} from "./types.ts";
