/**
 * The gallery's files come from Workers Static Assets (`dist/gallery/`, built by
 * `scripts/build_gallery.ts`), with the headers of `gallery/_headers` exactly as the Worker used
 * to set them, and the Worker still first for every request: each answer has its request id and
 * log line, and no other path reaches the asset service.
 */

import assert from "node:assert/strict";
import { buildGallery } from "../scripts/build_gallery.ts";
import { buildWorker } from "../scripts/build_worker.ts";
import { assertError, edgeSuite } from "./edge_harness.ts";

/** The page's security headers, as the Worker set them before the gallery became assets. */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'self'; img-src 'self' blob:; script-src 'self'; " +
    "style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
    "form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-cache",
};

/** Each gallery path, its built file and its media type. */
const FILES: [path: string, file: string, type: string][] = [
  ["/", "index.html", "text/html; charset=utf-8"],
  ["/gallery.js", "gallery.js", "text/javascript; charset=utf-8"],
  ["/gallery.css", "gallery.css", "text/css; charset=utf-8"],
];

Deno.test("the Worker's bundle holds none of the gallery", async () => {
  const [bundle, gallery] = await Promise.all([
    buildWorker().then((path) => Deno.readTextFile(path)),
    buildGallery(),
  ]);
  const page = await Deno.readTextFile(`${gallery}/index.html`);
  const title = /<title>([^<]+)<\/title>/.exec(page)?.[1];
  assert.ok(title, "the page has a title");
  assert.ok(!bundle.includes(title), "the page's title is not in the Worker's bundle");
  assert.ok(!bundle.includes("frame-ancestors 'none'"), "nor its headers");
});

edgeSuite(
  "Worker: the gallery from Workers Static Assets",
  { corsOrigins: "https://app.example" },
  async (t, edge) => {
    const gallery = await buildGallery();

    for (const [path, file, type] of FILES) {
      await t.step(`GET ${path} is the built ${file} with the page's headers`, async () => {
        const answer = await edge.request(path);
        assert.equal(answer.status, 200);
        assert.deepEqual(answer.bytes, await Deno.readFile(`${gallery}/${file}`));
        assert.equal(answer.headers.get("content-type"), type);
        for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
          assert.equal(answer.headers.get(name), value, name);
        }
        assert.match(answer.headers.get("etag") ?? "", /^"[0-9a-f]+"$/);
        const id = answer.headers.get("x-request-id") ?? "";
        assert.match(id, /^[0-9a-f-]{36}$/);
        const line = await edge.logLine(id);
        assert.equal(line.method, "GET");
        assert.equal(line.status, 200);
      });

      await t.step(`GET ${path} with its ETag is 304 with no body`, async () => {
        const first = await edge.request(path);
        const etag = first.headers.get("etag")!;
        const again = await edge.request(path, { headers: { "If-None-Match": etag } });
        assert.equal(again.status, 304);
        assert.equal(again.text, "");
        assert.equal(again.headers.get("etag"), etag);
        assert.equal(
          again.headers.get("content-security-policy"),
          SECURITY_HEADERS["content-security-policy"],
        );
      });

      await t.step(`HEAD ${path} has the headers and no body`, async () => {
        const answer = await edge.request(path, { method: "HEAD" });
        assert.equal(answer.status, 200);
        assert.equal(answer.text, "");
        assert.equal(answer.headers.get("content-type"), type);
        for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
          assert.equal(answer.headers.get(name), value, name);
        }
      });
    }

    await t.step("a gallery path with trailing slashes is its file, as before", async () => {
      for (const [path, file] of FILES) {
        const answer = await edge.request(`${path}/`);
        assert.equal(answer.status, 200, path);
        assert.deepEqual(answer.bytes, await Deno.readFile(`${gallery}/${file}`));
      }
    });

    await t.step("an allowed origin gets CORS headers on the page, as on any answer", async () => {
      const answer = await edge.request("/", { headers: { Origin: "https://app.example" } });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get("access-control-allow-origin"), "https://app.example");
      assert.match(answer.headers.get("vary") ?? "", /Origin/);
    });

    await t.step(
      "any other path is the Worker's 404, the asset folder's other names included",
      async () => {
        for (const path of ["/index.html", "/_headers", "/gallery.map", "/gallery.js/x"]) {
          const answer = await edge.request(path);
          const body = assertError(answer, 404, "DOES_NOT_EXIST");
          assert.equal(body.message, "No such route", path);
        }
      },
    );
  },
);
