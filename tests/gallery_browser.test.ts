/// <reference lib="dom" />
/**
 * The gallery page in a real browser (Debian's Chromium driven by playwright-core) against the
 * real Worker in workerd with the emulator upstream. `.ci/run` installs Chromium when it is
 * missing; elsewhere the test is skipped with a note when `/usr/bin/chromium` is absent.
 */

import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { type Edge, edgeSuite } from "./edge_harness.ts";
import { startExports } from "./export_harness.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);
const ARTIFACTS = new URL("../test-artifacts/", import.meta.url);
/** Headless, and none of Chromium's own calls home (refused on this closed network). */
const BROWSER_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

if (!hasChromium) {
  Deno.test({
    name: `gallery browser tests (skipped: ${CHROMIUM} is missing; apt-get install chromium)`,
    ignore: true,
    fn(): void {},
  });
} else {
  // A budget of 3 upstream requests per Worker request: a pool-1 export takes several responses.
  edgeSuite("Gallery page in Chromium", { subrequestBudget: 3 }, async (t, edge) => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
    try {
      await steps(t, edge, browser);
    } finally {
      await browser.close();
    }
  });

  Deno.test("Gallery export jobs in Chromium", async (t) => {
    const edge = await startExports({ emulator: { pools: [300, 12] } });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
    try {
      const { key } = await edge.issue({ pools: ["1", "2"] });
      await t.step(
        "Export all (NDJSON) runs a job and downloads it through its signed link",
        async () => {
          const { page, problems } = await open(edge, browser);
          await search(page, { key, pool_id: "1", order: "id" });
          await page.waitForSelector(".card");
          const [download] = await Promise.all([
            page.waitForEvent("download", { timeout: 60_000 }),
            page.click('button[data-job="ndjson"]'),
          ]);
          assert.match(download.url(), /\/api\/v1\/exports\/[^/]+\/download\?/);
          const lines = (await Deno.readTextFile(await download.path())).trimEnd().split("\n");
          const expected = edge.emulator.attachments.filter((a) => a.details.pool_id === "1")
            .map((a) => a.id).sort();
          assert.deepEqual(lines.map((line) => JSON.parse(line).id), expected);
          assert.match(
            await page.textContent("#status") ?? "",
            /^Export complete: 300 attachments/,
          );
          assert.deepEqual(problems, []);
          await page.context().close();
        },
      );
      await t.step("Export all (ZIP) of a small pool downloads a ZIP of every file", async () => {
        const { page, problems } = await open(edge, browser);
        await search(page, { key, pool_id: "2", order: "id" });
        await page.waitForSelector(".card");
        const [download] = await Promise.all([
          page.waitForEvent("download", { timeout: 60_000 }),
          page.click('button[data-job="zip"]'),
        ]);
        const bytes = await Deno.readFile(await download.path());
        assert.deepEqual([...bytes.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04], "a ZIP");
        assert.match(await page.textContent("#status") ?? "", /12 attachments, 12 files/);
        assert.deepEqual(problems, []);
        await page.context().close();
      });
      await t.step("no step went over its budget, and no secret reached a log line", async () => {
        edge.assertWithinLimits();
        await edge.assertNoSecrets();
      });
    } finally {
      await browser.close();
      await edge.close();
    }
  });
}

interface Watched {
  page: Page;
  /** Console errors, uncaught exceptions and dialogs (an `alert` would be injected script). */
  problems: string[];
}

async function open(edge: { url: string }, browser: Browser): Promise<Watched> {
  const context = await browser.newContext({
    acceptDownloads: true,
    viewport: { width: 1200, height: 800 },
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`exception: ${error.message}`));
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(edge.url + "/");
  return { page, problems };
}

async function search(
  page: Page,
  fields: { key: string; pool_id?: string; order?: string; name?: string },
): Promise<void> {
  await page.fill("input[name=key]", fields.key);
  await page.fill("input[name=pool_id]", fields.pool_id ?? "");
  await page.fill("input[name=name]", fields.name ?? "");
  await page.selectOption("select[name=order]", fields.order ?? "id");
  await page.click("button[type=submit]");
}

/** Scrolls until the status says the listing is complete; returns the cards' ids in order. */
async function scrollToEnd(page: Page, expected: number): Promise<string[]> {
  const done = `${expected} attachment${expected === 1 ? "" : "s"}.`;
  // Bounded in time, not in rounds: a cold Chromium on a busy machine scrolls slowly.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await page.textContent("#status")) === done) break;
    await page.evaluate(() => scrollTo(0, document.body.scrollHeight));
    await page.waitForTimeout(50);
  }
  assert.equal(await page.textContent("#status"), done);
  return await page.$$eval(".card", (cards) => cards.map((c) => (c as HTMLElement).dataset.id!));
}

async function steps(t: Deno.TestContext, edge: Edge, browser: Browser): Promise<void> {
  const { key } = await edge.issue({ name: "gallery", pools: ["1", "2"] });
  const pool = (id: string): string[] =>
    edge.emulator.attachments.filter((a) => a.details.pool_id === id).map((a) => a.id).sort();

  await t.step("the page is served with a strict CSP and no inline script", async () => {
    const answer = await edge.request("/");
    assert.equal(answer.status, 200);
    const csp = answer.headers.get("Content-Security-Policy") ?? "";
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(answer.headers.get("X-Content-Type-Options"), "nosniff");
    assert.equal(answer.headers.get("Referrer-Policy"), "no-referrer");
    assert.doesNotMatch(answer.text, /<script>|<style>|\son[a-z]+=/i);
  });

  await t.step(
    "scrolling loads a pool of 250 exactly once each, in order, with real thumbnails",
    async () => {
      const { page, problems } = await open(edge, browser);
      await search(page, { key, pool_id: "2", order: "id" });
      await page.waitForSelector(".card");
      // The first cards' images are decoded for real (object URLs of the authorised downloads).
      await page.waitForFunction(() => {
        const imgs = [...document.querySelectorAll<HTMLImageElement>(".card img")];
        return imgs.length >= 4 &&
          imgs.slice(0, 4).every((img) => img.complete && img.naturalWidth > 0);
      });
      const sources = await page.$$eval(
        ".card img",
        (imgs) => imgs.map((i) => (i as HTMLImageElement).src),
      );
      assert.ok(
        sources.every((src) => src.startsWith("blob:")),
        "thumbnails come from object URLs",
      );
      const ids = await scrollToEnd(page, 250);
      assert.deepEqual(ids, pool("2"));
      await Deno.mkdir(ARTIFACTS, { recursive: true });
      await page.evaluate(() => scrollTo(0, 0));
      await page.waitForTimeout(300);
      await page.screenshot({ path: new URL("gallery.png", ARTIFACTS).pathname });
      assert.deepEqual(problems, []);
      await page.context().close();
    },
  );

  await t.step("hostile names are shown as text and run nothing", async () => {
    const { page, problems } = await open(edge, browser);
    await search(page, { key, pool_id: "1", order: "id" });
    await page.waitForSelector(".card");
    const ids = await scrollToEnd(page, pool("1").length);
    assert.deepEqual(ids, pool("1"));
    const hostile = [
      "<img src=x onerror=alert(1)>.png",
      '"><script>alert(1)</script>',
      "../../etc/passwd",
    ];
    const names = await page.$$eval(".card .name", (els) => els.map((e) => e.textContent));
    for (const name of hostile) assert.ok(names.includes(name), `${name} is shown as text`);
    // No element came from a name: the only images are thumbnails from object URLs.
    const imgs = await page.$$eval("img", (els) => els.map((e) => (e as HTMLImageElement).src));
    assert.ok(imgs.every((src) => src.startsWith("blob:")));
    assert.equal(await page.$$eval("script", (els) => els.length), 1);
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  await t.step("a wrong key and an out-of-scope pool show plain sentences", async () => {
    const { page } = await open(edge, browser);
    await search(page, { key: "tae_" + "A".repeat(32), pool_id: "2" });
    await page.waitForSelector("#status.error");
    assert.match(await page.textContent("#status") ?? "", /API key was not accepted/);
    await search(page, { key, pool_id: "3" });
    await page.waitForFunction(() =>
      /no access/.test(document.querySelector("#status")!.textContent!)
    );
    assert.equal(await page.$$eval(".card", (c) => c.length), 0);
    await page.context().close();
  });

  await t.step("the key is kept in sessionStorage, never in the URL", async () => {
    const { page } = await open(edge, browser);
    await search(page, { key, pool_id: "2" });
    await page.waitForSelector(".card");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("toloka-edge.key")), key);
    assert.ok(!page.url().includes(key));
    await page.context().close();
  });

  await t.step("the download button delivers the exact bytes", async () => {
    const { page, problems } = await open(edge, browser);
    await search(page, { key, pool_id: "2", order: "id" });
    await page.waitForSelector(".card");
    const id = pool("2")[0]!;
    await page.click(`.card[data-id="${id}"]`);
    assert.equal(await page.textContent("#detail dd"), id);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const path = await download.path();
    assert.deepEqual(await Deno.readFile(path), edge.emulator.bytesOf(id));
    assert.deepEqual(problems, []);
    await page.context().close();
  });
  await t.step("the export buttons follow next to the end: one file, every item once", async () => {
    const { page, problems } = await open(edge, browser);
    await search(page, { key, pool_id: "1", order: "id" });
    await page.waitForSelector(".card");
    const expected = pool("1");
    assert.ok(expected.length > 300, "more than one response's worth at a budget of 3");
    const [ndjson] = await Promise.all([
      page.waitForEvent("download"),
      page.click('button[data-format="ndjson"]'),
    ]);
    const lines = (await Deno.readTextFile(await ndjson.path())).trimEnd().split("\n");
    assert.deepEqual(lines.map((line) => JSON.parse(line).id), expected);
    const [csv] = await Promise.all([
      page.waitForEvent("download"),
      page.click('button[data-format="csv"]'),
    ]);
    const text = await Deno.readTextFile(await csv.path());
    assert.equal(text.match(/^id,name,/gm)?.length, 1, "one header row");
    assert.doesNotMatch(text, /^#(next|error),/m);
    assert.match(await page.textContent("#status") ?? "", /^Exported \d+ parts into one file\.$/);
    assert.deepEqual(problems, []);
    await page.context().close();
  });
}
