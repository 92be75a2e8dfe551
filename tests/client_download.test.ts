import assert from "node:assert/strict";
import { AttachmentsClient, TolokaApiError } from "../mod.ts";
import { fileNameFromContentDisposition } from "../src/download.ts";
import { TolokaEmulator } from "../src/testing/mod.ts";
import { clientFor, deferred, pathOf, scripted, tick } from "./client_helpers.ts";

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// ---- Content-Disposition ----

Deno.test("the file name comes from filename* (RFC 5987), preferred over filename", () => {
  const cases: [string, string | undefined][] = [
    [
      `attachment; filename="fallback.txt"; filename*=UTF-8''%D1%84%D0%BE%D1%82%D0%BE%201.png`,
      "фото 1.png",
    ],
    [`attachment; filename*=UTF-8''na%C3%AFve.txt; filename="naive.txt"`, "naïve.txt"],
    [`attachment; filename*=utf-8'en'%E2%82%AC%20rates.txt`, "€ rates.txt"],
    [`attachment; filename*=ISO-8859-1''caf%E9.png`, "café.png"],
    [`attachment; filename*=UTF-8''a%00b.txt`, "a\u0000b.txt"],
    [`attachment; filename*=UTF-8''line1%0D%0Aline2.txt`, "line1\r\nline2.txt"],
    [`attachment; filename*=UTF-8''%F0%9F%98%80%20smile.png`, "\u{1F600} smile.png"],
    [`attachment; filename*=UTF-8''`, ""],
  ];
  for (const [header, name] of cases) {
    assert.equal(fileNameFromContentDisposition(header), name, header);
  }
});

Deno.test("the file name falls back to filename, unquoted and unescaped", () => {
  const cases: [string | null, string | undefined][] = [
    [`attachment; filename="a \\"quoted\\" name.txt"`, 'a "quoted" name.txt'],
    [`attachment; filename=plain.txt`, "plain.txt"],
    [`attachment; filename="semi;colon.txt"`, "semi;colon.txt"],
    [`attachment; FILENAME="upper.txt"`, "upper.txt"],
    [`attachment; filename*=UTF-8''%FF%FE; filename="bad-utf8.txt"`, "bad-utf8.txt"],
    [`attachment; filename*=KOI8-R''%C6; filename="unknown-charset.txt"`, "unknown-charset.txt"],
    [`attachment; filename*=UTF-8''%G1; filename="bad-escape.txt"`, "bad-escape.txt"],
    // Raw UTF-8 bytes arrive as one character per byte.
    [`attachment; filename="${String.fromCharCode(0xd1, 0x84)}.txt"`, "ф.txt"],
    [`attachment; filename="caf${String.fromCharCode(0xe9)}.txt"`, "café.txt"],
    [`attachment`, undefined],
    [`inline; name="x"`, undefined],
    [null, undefined],
  ];
  for (const [header, name] of cases) {
    assert.equal(fileNameFromContentDisposition(header), name, String(header));
  }
});

// ---- scripted downloads ----

Deno.test("downloadAttachment() requests /attachments/{id}/download", async () => {
  const script = scripted(new Response("hi", { headers: { "content-type": "text/plain" } }));
  const download = await clientFor(script).downloadAttachment("fr.a/b");
  assert.equal(pathOf(script.requests[0]!), "/api/v1/attachments/fr.a%2Fb/download");
  assert.equal(script.requests[0]!.headers.get("accept"), "*/*");
  assert.equal(new TextDecoder().decode(await bytesOf(download.body)), "hi");
});

Deno.test("downloadAttachment() resolves as soon as the headers arrive", async () => {
  const rest = deferred();
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller): Promise<void> {
      controller.enqueue(encoder.encode("first "));
      await rest.promise;
      controller.enqueue(encoder.encode("second"));
      controller.close();
    },
  });
  const script = scripted(
    new Response(body, { headers: { "content-type": "text/plain", "content-length": "12" } }),
  );
  const download = await clientFor(script).downloadAttachment("x");
  assert.equal(download.size, 12);
  const reader = download.body.getReader();
  assert.equal(new TextDecoder().decode((await reader.read()).value), "first ");
  rest.resolve();
  assert.equal(new TextDecoder().decode((await reader.read()).value), "second");
  assert.equal((await reader.read()).done, true);
});

Deno.test("downloadAttachment() reports what the headers say, and nothing they do not", async () => {
  const script = scripted(new Response("abc"));
  const download = await clientFor(script).downloadAttachment("x");
  assert.equal(download.mediaType, "text/plain;charset=UTF-8");
  assert.equal("size" in download, false);
  assert.equal("fileName" in download, false);
  await download.body.cancel();
  const bare = await clientFor(scripted(new Response(null))).downloadAttachment("y");
  assert.equal(bare.mediaType, "application/octet-stream");
  assert.equal((await bytesOf(bare.body)).length, 0);
});

Deno.test("downloadAttachment() retries before the headers, never after", async () => {
  const body = new ReadableStream<Uint8Array>({
    start(controller): void {
      controller.enqueue(new Uint8Array([1, 2]));
      controller.error(new TypeError("connection reset"));
    },
  });
  const script = scripted(
    new Response("busy", { status: 503 }),
    new TypeError("reset"),
    new Response(body, { headers: { "content-length": "4" } }),
  );
  const download = await clientFor(script).downloadAttachment("x");
  await assert.rejects(bytesOf(download.body), /connection reset/);
  assert.equal(script.requests.length, 3);
});

Deno.test("downloadAttachment() with 404 is a TolokaApiError", async () => {
  const script = scripted(
    Response.json({ request_id: "r", code: "DOES_NOT_EXIST", message: "Not found" }, {
      status: 404,
    }),
  );
  await assert.rejects(clientFor(script).downloadAttachment("x"), TolokaApiError);
  assert.equal(script.requests.length, 1);
});

Deno.test("aborting the signal cuts a download body being read", async () => {
  const body = new ReadableStream<Uint8Array>({
    start(controller): void {
      controller.enqueue(new Uint8Array([1]));
    }, // then never more: a stalled server that ignores aborts
  });
  const controller = new AbortController();
  const download = await clientFor(scripted(new Response(body))).downloadAttachment("x", {
    signal: controller.signal,
  });
  const reader = download.body.getReader();
  assert.deepEqual((await reader.read()).value, new Uint8Array([1]));
  const pending = reader.read();
  const reason = new Error("stop downloading");
  controller.abort(reason);
  await assert.rejects(pending, (error) => error === reason);
});

Deno.test("the download timeout covers only the wait for headers", async () => {
  const gate = deferred();
  const body = new ReadableStream<Uint8Array>({
    async start(controller): Promise<void> {
      await gate.promise;
      controller.enqueue(new Uint8Array([7]));
      controller.close();
    },
  });
  const client = clientFor(scripted(new Response(body)), { timeoutMs: 20 });
  const download = await client.downloadAttachment("x");
  await tick(60); // longer than the timeout, while the body is still coming
  gate.resolve();
  assert.deepEqual(await bytesOf(download.body), new Uint8Array([7]));
});

// ---- against the emulator ----

const emulator = new TolokaEmulator({ pools: [600], maxFileSize: 200_000 });
const hostile = [
  "../../etc/passwd",
  "a\u0000b.txt",
  "",
  "..",
  "фото 1.png",
  "照片.png",
  "café.png",
  "\u{1F600} smile.png",
  "e\u0301te\u0301.png",
  "line1\r\nline2.txt",
  "tab\tname.txt",
  '"><script>alert(1)</script>',
  "100%.txt",
  "quote\"and'apostrophe.txt",
  "semi;colon,comma.txt",
  "C:\\Windows\\system32\\evil.dll",
  "empty.txt",
  "empty.bin",
];

for (const transport of ["in process", "over loopback"] as const) {
  Deno.test(`downloads match the emulator byte for byte, with exact names (${transport})`, async () => {
    await using server = await emulator.serve();
    const client = new AttachmentsClient({
      token: "test-token",
      fetch: transport === "in process" ? emulator.fetch : (r) => fetch(r),
      baseUrl: server.baseUrl,
    });
    const chosen = [
      ...hostile.map((name) => emulator.attachments.find((a) => a.name === name)!),
      ...emulator.attachments.filter((a) => a.details.pool_id === "1").slice(0, 20),
    ];
    for (const attachment of chosen) {
      assert.ok(attachment, "fixture present");
      const download = await client.downloadAttachment(attachment.id);
      const bytes = await bytesOf(download.body);
      assert.deepEqual(bytes, emulator.bytesOf(attachment.id), attachment.name);
      assert.equal(download.mediaType, attachment.media_type);
      assert.equal(download.size, bytes.length);
      assert.equal(download.fileName, attachment.name);
    }
  });
}

Deno.test("a download body cut by the server errors when read, and is not retried", async () => {
  const faulty = new TolokaEmulator({ pools: [600], maxFileSize: 100_000 });
  const big = faulty.attachments.find((a) =>
    a.media_type !== "image/png" && faulty.bytesOf(a.id).length > 50_000
  )!;
  faulty.setFaults({ script: ["truncated"] });
  const download = await new AttachmentsClient({ token: "test-token", fetch: faulty.fetch })
    .downloadAttachment(big.id);
  assert.equal(download.size, faulty.bytesOf(big.id).length);
  await assert.rejects(bytesOf(download.body));
  assert.equal(faulty.requests.length, 1);
});

Deno.test("a download is retried on 503, 429 and 500 before the headers (over loopback)", async () => {
  const faulty = new TolokaEmulator({ pools: [5] });
  await using server = await faulty.serve();
  faulty.setFaults({ script: ["503", "429", "500"], retryAfterSeconds: 0 });
  const client = new AttachmentsClient({
    token: "test-token",
    fetch: (r) => fetch(r),
    baseUrl: server.baseUrl,
    retryDelayMs: 1,
  });
  const id = faulty.attachments[0]!.id;
  const download = await client.downloadAttachment(id);
  assert.deepEqual(await bytesOf(download.body), faulty.bytesOf(id));
  assert.deepEqual(faulty.requests.map((r) => r.fault), ["503", "429", "500", null]);
});

Deno.test("a download is retried on a connection reset before the headers (in process)", async () => {
  const faulty = new TolokaEmulator({ pools: [5] });
  faulty.setFaults({ script: ["reset", "502"] });
  const client = new AttachmentsClient({
    token: "test-token",
    fetch: faulty.fetch,
    retryDelayMs: 1,
  });
  const id = faulty.attachments[1]!.id;
  const download = await client.downloadAttachment(id);
  assert.deepEqual(await bytesOf(download.body), faulty.bytesOf(id));
  assert.deepEqual(faulty.requests.map((r) => r.fault), ["reset", "502", null]);
});
