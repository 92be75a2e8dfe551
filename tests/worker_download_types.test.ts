/**
 * Downloads are inert in a browser: every answer (edge-cache hits too) is a sandboxed document,
 * and a type a browser could run script in is served as `application/octet-stream`, while the
 * metadata keeps the original `media_type`. Plus the pure rules: `downloadType()` and
 * `downloadCacheTtl()`.
 */

import assert from "node:assert/strict";
import { TolokaEmulator, type WireAttachment } from "../src/testing/mod.ts";
import { downloadCacheTtl } from "../worker/download_cache.ts";
import { downloadType } from "../worker/download_type.ts";
import { edgeSuite } from "./edge_harness.ts";

const OCTET = "application/octet-stream";

/** Types the upstream may claim that must never reach a browser as they are. */
const ACTIVE: string[] = [
  "text/html",
  "TEXT/HTML; charset=utf-8",
  "application/xhtml+xml",
  "image/svg+xml",
  "image/svg+xml; charset=utf-8",
  "text/xml",
  "application/xml",
  "application/rss+xml",
  "text/xsl",
  "text/javascript",
  "application/javascript",
  "application/ecmascript",
  "text/css",
  "application/x-shockwave-flash",
  "multipart/x-mixed-replace; boundary=x",
  "text/plain+xml",
  "video/mp4+xml",
  "text/html\u0000",
  "",
  "nonsense",
  "image/png/x",
];

/** [what the upstream said, the type served]. */
const PASSIVE: [string, string][] = [
  ["image/png", "image/png"],
  ["IMAGE/JPEG", "image/jpeg"],
  ["image/png; name=x.html", "image/png"],
  ["text/plain", "text/plain"],
  ["text/plain; charset=UTF-8", "text/plain; charset=utf-8"],
  ['text/csv; charset="iso-8859-1"', "text/csv; charset=iso-8859-1"],
  ["text/plain; charset=<script>", "text/plain"],
  ["audio/mpeg", "audio/mpeg"],
  ["video/mp4", "video/mp4"],
  ["video/webm; codecs=vp9", "video/webm"],
  ["application/pdf", "application/pdf"],
  ["application/json", "application/json"],
  [OCTET, OCTET],
];

Deno.test("downloadType() serves every type that can run script as application/octet-stream", () => {
  for (const type of ACTIVE) assert.equal(downloadType(type), OCTET, JSON.stringify(type));
});

Deno.test("downloadType() keeps passive types, without parameters but a text type's charset", () => {
  for (const [type, served] of PASSIVE) assert.equal(downloadType(type), served, type);
});

Deno.test("downloadCacheTtl() is a day by default, 0 to a year, and refuses anything else", () => {
  assert.equal(downloadCacheTtl(undefined), 86_400);
  assert.equal(downloadCacheTtl(""), 86_400);
  assert.equal(downloadCacheTtl(" 3600 "), 3600);
  assert.equal(downloadCacheTtl("0"), 0);
  assert.equal(downloadCacheTtl("31536000"), 31_536_000);
  for (const bad of ["-1", "1.5", "1e3", "day", "31536001", "9999999999"]) {
    assert.throws(() => downloadCacheTtl(bad), {
      message:
        `DOWNLOAD_CACHE_TTL_SECONDS must be an integer from 0 to 31536000: current value is "${bad}"`,
    });
  }
});

// Hand-made attachments of pool 1: one per type, on top of a few generated ones.
const base = new TolokaEmulator({ pools: [3] }).attachments[0]!;
const TYPES = [
  "text/html",
  "image/svg+xml",
  "application/xhtml+xml",
  "text/javascript",
  "image/png",
];
const attachments: WireAttachment[] = TYPES.map((type, i) => ({
  ...base,
  id: `00000000-0000-4000-8000-00000000000${i}`,
  name: `file${i}.${type.split("/")[1]!.replace("+xml", "")}`,
  media_type: type,
}));

edgeSuite("Worker: downloads are inert", { emulator: { attachments } }, async (t, edge) => {
  const { key } = await edge.issue({ pools: [base.details.pool_id] });
  for (const item of attachments) {
    await t.step(
      `${item.media_type}: served as ${
        downloadType(item.media_type)
      }, sandboxed, on a miss and a hit`,
      async () => {
        const path = `/api/v1/attachments/${item.id}/download`;
        for (const expectedCache of ["miss", "hit"]) {
          const answer = await edge.request(path, {
            key,
            headers: { "Accept-Encoding": "identity" },
          });
          assert.equal(answer.status, 200, answer.text);
          assert.equal(
            (await edge.logLine(answer.headers.get("X-Request-Id")!)).cache,
            expectedCache,
          );
          assert.equal(
            answer.headers.get("Content-Type"),
            item.media_type === "image/png" ? "image/png" : OCTET,
          );
          assert.equal(
            answer.headers.get("Content-Security-Policy"),
            "sandbox; default-src 'none'",
          );
          assert.equal(answer.headers.get("X-Content-Type-Options"), "nosniff");
          assert.match(answer.headers.get("Content-Disposition") ?? "", /^attachment; /);
          assert.deepEqual(answer.bytes, edge.emulator.bytesOf(item.id));
        }
        // The metadata keeps what the upstream said.
        const meta = await edge.request(`/api/v1/attachments/${item.id}`, { key });
        assert.equal(JSON.parse(meta.text).media_type, item.media_type);
      },
    );
  }
});
