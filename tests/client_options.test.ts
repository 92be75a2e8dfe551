import assert from "node:assert/strict";
import { ArgumentRangeError, ArgumentTypeError, AttachmentsClient, ENVIRONMENTS } from "../mod.ts";
import { authorizationHeader } from "../src/auth.ts";
import { page, scripted } from "./client_helpers.ts";

async function firstRequest(options: Record<string, unknown>): Promise<Request> {
  const script = scripted(page([], false));
  const client = new AttachmentsClient({ token: "t0k3n", fetch: script.fetch, ...options });
  await client.findAttachments({ pool_id: "1" });
  return script.requests[0]!;
}

const API_KEY = "y0_AgAAAAAAbcdefghijkl.AAAAAAAAAAAAAAAA.BBBBBB"; // first dot at index 22

Deno.test("an API-key-looking token is sent as ApiKey", async () => {
  assert.equal(API_KEY.indexOf("."), 22);
  const request = await firstRequest({ token: API_KEY });
  assert.equal(request.headers.get("authorization"), `ApiKey ${API_KEY}`);
});

Deno.test("a token with its first of two dots at index 23 or 24 is an API key", () => {
  assert.equal(authorizationHeader(`${"a".repeat(23)}.b.c`), `ApiKey ${"a".repeat(23)}.b.c`);
  assert.equal(authorizationHeader(`${"a".repeat(24)}.b.c`), `ApiKey ${"a".repeat(24)}.b.c`);
});

Deno.test("a token with two dots elsewhere, or another count of dots, is OAuth", () => {
  assert.equal(authorizationHeader(`${"a".repeat(21)}.b.c`), `OAuth ${"a".repeat(21)}.b.c`);
  assert.equal(authorizationHeader(`${"a".repeat(25)}.b.c`), `OAuth ${"a".repeat(25)}.b.c`);
  assert.equal(authorizationHeader(`${"a".repeat(22)}.b.c.d`), `OAuth ${"a".repeat(22)}.b.c.d`);
  assert.equal(authorizationHeader(`${"a".repeat(22)}.b`), `OAuth ${"a".repeat(22)}.b`);
});

Deno.test("an OAuth token is sent as OAuth", async () => {
  const request = await firstRequest({ token: "AQAAAAAAbcdefGHIJ" });
  assert.equal(request.headers.get("authorization"), "OAuth AQAAAAAAbcdefGHIJ");
});

Deno.test("a token with an explicit scheme is sent as given", async () => {
  assert.equal(
    (await firstRequest({ token: "Bearer x" })).headers.get("authorization"),
    "Bearer x",
  );
  assert.equal(
    (await firstRequest({ token: "OAuth abc.def.ghi" })).headers.get("authorization"),
    "OAuth abc.def.ghi",
  );
  assert.equal(
    (await firstRequest({ token: `ApiKey ${API_KEY}` })).headers.get("authorization"),
    `ApiKey ${API_KEY}`,
  );
});

Deno.test("surrounding whitespace of the token is ignored", async () => {
  const request = await firstRequest({ token: "  abc\n" });
  assert.equal(request.headers.get("authorization"), "OAuth abc");
});

Deno.test("requests go to the production root by default", async () => {
  const request = await firstRequest({});
  assert.equal(request.url, "https://toloka.dev/api/v1/attachments?pool_id=1");
  assert.equal(request.headers.get("accept"), "application/json");
});

Deno.test("each environment has its API root", async () => {
  assert.deepEqual(ENVIRONMENTS, {
    production: "https://toloka.dev/api/v1",
    sandbox: "https://sandbox.toloka.dev/api/v1",
    "yandex-tasks": "https://tasks.yandex.ru/api/v1",
  });
  for (const [environment, root] of Object.entries(ENVIRONMENTS)) {
    const request = await firstRequest({ environment });
    assert.equal(request.url, `${root}/attachments?pool_id=1`);
  }
});

Deno.test("baseUrl overrides the environment, without its trailing slash", async () => {
  const request = await firstRequest({
    environment: "sandbox",
    baseUrl: "http://127.0.0.1:8787/api/v1/",
  });
  assert.equal(request.url, "http://127.0.0.1:8787/api/v1/attachments?pool_id=1");
  const client = new AttachmentsClient({ token: "x", baseUrl: "https://proxy.example/api/v1" });
  assert.equal(client.baseUrl, "https://proxy.example/api/v1");
});

Deno.test("the client shows no token when logged or serialised", () => {
  const client = new AttachmentsClient({ token: "s3cr3t-t0ken-value" });
  assert.doesNotMatch(JSON.stringify(client), /s3cr3t/);
  assert.doesNotMatch(Deno.inspect(client, { depth: 10 }), /s3cr3t/);
});

const badOptions: [string, Record<string, unknown>, typeof TypeError, RegExp][] = [
  ["no token", {}, TypeError, /"token" must be a string: current value is of type undefined/],
  ["an empty token", { token: "" }, TypeError, /"token" must be a non-empty string/],
  ["a blank token", { token: "  " }, TypeError, /"token" must be a non-empty string/],
  ["a token with a line break", { token: "ab\ncd" }, TypeError, /not shown/],
  [
    "an unknown environment",
    { token: "x", environment: "prod" },
    TypeError,
    /"environment".*"prod"/,
  ],
  [
    "a baseUrl that is not a URL",
    { token: "x", baseUrl: "toloka.dev" },
    TypeError,
    /"baseUrl".*"toloka.dev"/,
  ],
  [
    "a baseUrl that is not http(s)",
    { token: "x", baseUrl: "ftp://a/api/v1" },
    TypeError,
    /"baseUrl" must be an absolute http\(s\) URL/,
  ],
  [
    "a baseUrl with a query",
    { token: "x", baseUrl: "https://a/api/v1?x=1" },
    TypeError,
    /"baseUrl" must be a URL without query/,
  ],
  [
    "a fetch that is not a function",
    { token: "x", fetch: "fetch" },
    TypeError,
    /"fetch" must be a function/,
  ],
  [
    "a negative timeout",
    { token: "x", timeoutMs: -1 },
    RangeError,
    /"timeoutMs".*current value is -1/,
  ],
  [
    "a zero timeout",
    { token: "x", timeoutMs: 0 },
    RangeError,
    /"timeoutMs" must be a positive number/,
  ],
  [
    "fractional retries",
    { token: "x", retries: 1.5 },
    RangeError,
    /"retries" must be a non-negative integer: current value is 1.5/,
  ],
  ["string retries", { token: "x", retries: "3" }, TypeError, /"retries" must be a number/],
  ["a negative retry delay", { token: "x", retryDelayMs: -5 }, RangeError, /"retryDelayMs"/],
  [
    "a random that is not a function",
    { token: "x", random: 0.5 },
    TypeError,
    /"random" must be a function/,
  ],
  [
    "a sleep that is not a function",
    { token: "x", sleep: 100 },
    TypeError,
    /^Option "sleep" must be a function: current value is 100$/,
  ],
  [
    "a budget that is not a RequestBudget",
    { token: "x", budget: { limit: 3 } },
    TypeError,
    /^Option "budget" must be a RequestBudget: current value is \{"limit":3\}$/,
  ],
  ["options that are not an object", "x" as never, TypeError, /^The options must be an object/],
];

for (const [name, options, errorClass, message] of badOptions) {
  Deno.test(`new AttachmentsClient() rejects ${name}, naming the option`, () => {
    // The option at fault: the one given besides the token, else the token.
    const field = typeof options !== "object"
      ? "options"
      : Object.keys(options).find((key) => key !== "token") ?? "token";
    assert.throws(
      () => new AttachmentsClient(options as never),
      (error: unknown) => {
        assert.ok(error instanceof errorClass, String(error));
        assert.ok(
          error instanceof (errorClass === TypeError ? ArgumentTypeError : ArgumentRangeError),
        );
        assert.equal(error.field, field);
        assert.match(error.message, message);
        return true;
      },
    );
  });
}

Deno.test("new AttachmentsClient() never shows a bad token's value", () => {
  assert.throws(
    () => new AttachmentsClient({ token: "s3cr3t\u0000" }),
    (error: unknown) => !String((error as Error).message).includes("s3cr3t"),
  );
});
