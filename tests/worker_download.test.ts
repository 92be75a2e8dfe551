/**
 * `GET /api/v1/attachments/{id}/download`: the exact bytes and headers, and an edge cache that is
 * consulted only after the key is authorised and is partitioned per upstream account.
 */

import assert from "node:assert/strict";
import type { WireAttachment } from "../src/testing/mod.ts";
import { Request as MfRequest, Response as MfResponse } from "miniflare";
import { downloadCacheKey } from "../worker/download_cache.ts";
import {
  assertError,
  type EdgeAnswer,
  edgeSuite,
  OTHER_ACCOUNT_TOKEN,
  UPSTREAM_TOKEN,
} from "./edge_harness.ts";

/** A day: the default DOWNLOAD_CACHE_TTL_SECONDS bounds browsers' copies too. */
const CACHE_CONTROL = "private, max-age=86400, immutable, no-transform";

/** The name `filename*=UTF-8''...` gives, decoded. */
function extendedFileName(disposition: string): string {
  const match = /;\s*filename\*=UTF-8''([^;\s]*)/.exec(disposition);
  assert.ok(match, `filename* in ${disposition}`);
  return decodeURIComponent(match[1]!);
}

edgeSuite("Worker: downloads", { emulator: { pools: [320, 40] } }, async (t, edge) => {
  const pool1 = edge.emulator.attachments.filter((a) => a.details.pool_id === "1");
  const named = (name: string): WireAttachment => {
    const item = pool1.find((a) => a.name === name);
    assert.ok(item, `the data has ${JSON.stringify(name)}`);
    return item;
  };
  const k1 = await edge.issue({ name: "pool 1", pools: ["1"] });
  const k2 = await edge.issue({ name: "pool 2", pools: ["2"] });
  const kAll = await edge.issue({ name: "same account, every pool", pools: null });
  const kOther = await edge.issue({
    name: "other account",
    pools: ["1"],
    upstreamToken: OTHER_ACCOUNT_TOKEN,
  });
  const kStranger = await edge.issue({
    name: "account the upstream rejects",
    pools: null,
    upstreamToken: "stranger-account-token-55",
  });
  // Cloudflare's edge (and Miniflare, which mimics it) gzips text types for callers that accept
  // it, dropping Content-Length; asking for identity shows the headers the Worker itself sends.
  const download = (id: string, key: string, encoding = "identity"): Promise<EdgeAnswer> =>
    edge.request(`/api/v1/attachments/${encodeURIComponent(id)}/download`, {
      key,
      headers: { "Accept-Encoding": encoding },
    });
  /** Upstream requests of one id so far: [metadata, download]. */
  const upstreamCalls = (id: string): [number, number] => {
    const path = `/api/v1/attachments/${encodeURIComponent(id)}`;
    const requests = edge.emulator.requests;
    return [
      requests.filter((r) => r.path === path).length,
      requests.filter((r) => r.path === `${path}/download`).length,
    ];
  };

  const assertFile = (answer: EdgeAnswer, item: WireAttachment): void => {
    assert.equal(answer.status, 200, answer.text);
    const bytes = edge.emulator.bytesOf(item.id);
    assert.deepEqual(answer.bytes, bytes);
    assert.equal(answer.headers.get("Content-Type"), item.media_type);
    assert.equal(answer.headers.get("Content-Length"), String(bytes.length));
    assert.equal(answer.headers.get("Cache-Control"), CACHE_CONTROL);
    assert.equal(answer.headers.get("Content-Security-Policy"), "sandbox; default-src 'none'");
    assert.equal(answer.headers.get("X-Content-Type-Options"), "nosniff");
    const disposition = answer.headers.get("Content-Disposition") ?? "";
    assert.match(disposition, /^attachment; filename="[\x20-\x7e]*"; filename\*=UTF-8''/);
    assert.equal(extendedFileName(disposition), item.name);
    for (const name of answer.headers.keys()) assert.doesNotMatch(name, /pool|stored/i);
  };

  const hostile = [
    "фото 1.png",
    "😀 smile.png",
    "e\u0301te\u0301.png",
    "quote\"and'apostrophe.txt",
    "line1\r\nline2.txt",
    "a\u0000b.txt",
    "100%.txt",
    "../../etc/passwd",
    "C:\\Windows\\system32\\evil.dll",
    '=HYPERLINK("http://x")',
    "",
    "empty.txt",
    "empty.bin",
  ];

  for (const name of hostile) {
    await t.step(
      `the file ${JSON.stringify(name)} comes with its exact bytes and headers`,
      async () => {
        const item = named(name);
        assertFile(await download(item.id, k1.key), item);
      },
    );
  }

  await t.step("a generated binary file of a few KiB arrives whole, with its length", async () => {
    const item = pool1.find((a) =>
      a.media_type !== "image/png" && edge.emulator.bytesOf(a.id).length > 4096
    )!;
    assertFile(await download(item.id, k1.key), item);
  });

  await t.step("a text file compressed on the way out still arrives byte for byte", async () => {
    const item = named("100%.txt");
    const answer = await download(item.id, k1.key, "gzip, br");
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.bytes, edge.emulator.bytesOf(item.id));
    assert.equal(answer.headers.get("Content-Type"), "text/plain");
  });

  const cached = pool1.find((a) => a.media_type === "image/png" && !hostile.includes(a.name))!;

  await t.step("the second download of a file is served from the edge cache", async () => {
    edge.emulator.clearRequests();
    const first = await download(cached.id, k1.key);
    assertFile(first, cached);
    // The log line is written once the cache holds the file.
    const firstLog = await edge.logLine(first.headers.get("X-Request-Id")!);
    assert.equal(firstLog.cache, "miss");
    assert.equal("failure" in firstLog, false);
    const second = await download(cached.id, k1.key);
    assertFile(second, cached);
    assert.equal((await edge.logLine(second.headers.get("X-Request-Id")!)).cache, "hit");
    assert.deepEqual(upstreamCalls(cached.id), [1, 1], "one metadata and one download request");
  });

  await t.step("a key of another pool still gets 404 for a cached id", async () => {
    edge.emulator.clearRequests();
    const answer = await download(cached.id, k2.key);
    assertError(answer, 404, "DOES_NOT_EXIST");
    assert.ok(!answer.text.includes(cached.name));
    assertError(
      await edge.request(`/api/v1/attachments/${cached.id}`, { key: k2.key }),
      404,
      "DOES_NOT_EXIST",
    );
  });

  await t.step("a request without a valid key never reaches the cache", async () => {
    assertError(await download(cached.id, "tae_" + "x".repeat(32)), 401, "AUTHENTICATION_ERROR");
    const none = await edge.request(`/api/v1/attachments/${cached.id}/download`);
    assertError(none, 401, "AUTHENTICATION_ERROR");
  });

  await t.step("a key of the same account with every pool shares the cached file", async () => {
    edge.emulator.clearRequests();
    const answer = await download(cached.id, kAll.key);
    assertFile(answer, cached);
    assert.deepEqual(upstreamCalls(cached.id), [0, 0]);
  });

  await t.step(
    "a key of another upstream account gets no cached bytes without its own check",
    async () => {
      edge.emulator.clearRequests();
      const answer = await download(cached.id, kOther.key);
      assertFile(answer, cached);
      assert.equal((await edge.logLine(answer.headers.get("X-Request-Id")!)).cache, "miss");
      assert.deepEqual(upstreamCalls(cached.id), [1, 1], "its own metadata and download requests");

      // An account the upstream refuses gets its refusal, never the bytes cached for another one.
      edge.emulator.clearRequests();
      const refused = await download(cached.id, kStranger.key);
      assertError(refused, 502, "REMOTE_SERVICE_UNAVAILABLE");
      assert.deepEqual(edge.emulator.requests.map((r) => r.status), [401]);
    },
  );

  await t.step(
    "a download the upstream cuts mid-way fails for the caller and is not cached",
    async () => {
      // One never downloaded before (the generated file above is the first such).
      const item = pool1.findLast((a) =>
        a.media_type !== "image/png" && edge.emulator.bytesOf(a.id).length > 8192
      )!;
      edge.emulator.clearRequests();
      // Metadata answers normally; the download sends half the file, then the connection breaks.
      edge.emulator.setFaults({ script: [null, "truncated"] });
      try {
        const response = await fetch(`${edge.url}/api/v1/attachments/${item.id}/download`, {
          headers: { Authorization: `OAuth ${k1.key}`, "Accept-Encoding": "identity" },
        });
        edge.seen.push([...response.headers].join("\n"));
        assert.equal(response.status, 200);
        assert.equal(
          response.headers.get("Content-Length"),
          String(edge.emulator.bytesOf(item.id).length),
        );
        // Never a short file that looks complete.
        await assert.rejects(response.arrayBuffer());
        assert.deepEqual(edge.emulator.requests.map((r) => r.fault), [null, "truncated"]);
        const line = await edge.logLine(response.headers.get("X-Request-Id")!);
        assert.equal(line.cache, "miss");
        assert.equal(line.failure, "edge cache write failed");
      } finally {
        edge.emulator.setFaults(undefined);
      }
      const again = await download(item.id, k1.key);
      assertFile(again, item);
      assert.equal((await edge.logLine(again.headers.get("X-Request-Id")!)).cache, "miss");
    },
  );

  // Miniflare's cache takes its own (undici) Request and Response classes.
  const defaultCache = async () =>
    (await edge.mf.getCaches() as unknown as {
      default: {
        match(request: MfRequest): Promise<Response | undefined>;
        put(request: MfRequest, response: MfResponse): Promise<void>;
      };
    }).default;
  /** The edge cache's entry of a file for the emulator's main account. */
  const cacheEntry = async (id: string): Promise<Response | undefined> =>
    await (await defaultCache()).match(
      new MfRequest((await downloadCacheKey(UPSTREAM_TOKEN, id)).url),
    );
  const putCacheEntry = async (id: string, body: ArrayBuffer, headers: Headers): Promise<void> =>
    await (await defaultCache()).put(
      new MfRequest((await downloadCacheKey(UPSTREAM_TOKEN, id)).url),
      new MfResponse(body, { headers: [...headers] }),
    );

  await t.step(
    "an edge-cache entry lives a day (DOWNLOAD_CACHE_TTL_SECONDS), stamped with when it was stored",
    async () => {
      const entry = await cacheEntry(cached.id);
      assert.ok(entry, "the file is in the edge cache");
      await entry.body?.cancel();
      assert.equal(
        entry.headers.get("Cache-Control"),
        "public, max-age=86400, immutable, no-transform",
      );
      const stored = Number(entry.headers.get("X-Edge-Stored-At"));
      assert.ok(Date.now() - stored >= 0 && Date.now() - stored < 120_000, String(stored));
    },
  );

  await t.step(
    "an entry older than a day, or without a stamp (written before the bound), asks the upstream again",
    async () => {
      for (const stamp of [String(Date.now() - 86_401_000), null]) {
        const entry = await cacheEntry(cached.id);
        assert.ok(entry);
        const headers = new Headers(entry.headers);
        if (stamp === null) headers.delete("X-Edge-Stored-At");
        else headers.set("X-Edge-Stored-At", stamp);
        await putCacheEntry(cached.id, await entry.arrayBuffer(), headers);
        edge.emulator.clearRequests();
        const answer = await download(cached.id, k1.key);
        assertFile(answer, cached);
        assert.equal((await edge.logLine(answer.headers.get("X-Request-Id")!)).cache, "miss");
        assert.deepEqual(upstreamCalls(cached.id), [1, 1], "metadata and bytes asked again");
        // The fresh copy is served from the cache again.
        edge.emulator.clearRequests();
        const next = await download(cached.id, k1.key);
        assert.equal((await edge.logLine(next.headers.get("X-Request-Id")!)).cache, "hit");
        assert.deepEqual(upstreamCalls(cached.id), [0, 0]);
      }
    },
  );

  await t.step(
    "the pool-1 key's cached file is still served only after auth and scope",
    async () => {
      edge.emulator.clearRequests();
      assertFile(await download(cached.id, k1.key), cached);
      assert.deepEqual(upstreamCalls(cached.id), [0, 0]);
    },
  );
});
