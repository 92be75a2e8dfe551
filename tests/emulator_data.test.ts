import assert from "node:assert/strict";
import { TolokaEmulator, type WireAttachment } from "@toloka-edge/attachments/testing";
import { attachment, normalCreated, poolOf } from "./emulator_helpers.ts";

const emulator = new TolokaEmulator();
const all = emulator.attachments;
const pool1 = poolOf(emulator, "1");

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
const CREATED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{5,6})?$/;

Deno.test("the same seed gives identical data", () => {
  assert.deepEqual(new TolokaEmulator().attachments, all);
  assert.deepEqual(
    new TolokaEmulator({ seed: 7 }).attachments,
    new TolokaEmulator({ seed: 7 }).attachments,
  );
});

Deno.test("a different seed gives different data", () => {
  const other = new TolokaEmulator({ seed: 2 }).attachments;
  assert.equal(other.length, all.length);
  assert.notDeepEqual(other.map((a) => a.id), all.map((a) => a.id));
});

Deno.test("default pools are 600, 250, 100, 40, 10, 3, 1 and 0 attachments", () => {
  const sizes = ["1", "2", "3", "4", "5", "6", "7", "8"].map((id) => poolOf(emulator, id).length);
  assert.deepEqual(sizes, [600, 250, 100, 40, 10, 3, 1, 0]);
  assert.equal(all.length, 1004);
});

Deno.test("the pools option sets the pool sizes in order", () => {
  const custom = new TolokaEmulator({ pools: [0, 5, 12] });
  assert.deepEqual(["1", "2", "3"].map((id) => poolOf(custom, id).length), [0, 5, 12]);
});

Deno.test("every attachment has the wire shape", () => {
  for (const a of all) {
    assert.equal(typeof a.id, "string");
    assert.equal(a.attachment_type, "ASSIGNMENT_ATTACHMENT");
    assert.equal(typeof a.name, "string");
    assert.deepEqual(Object.keys(a.details), ["user_id", "assignment_id", "pool_id"]);
    assert.match(a.created, CREATED);
    if (a.owner !== undefined) {
      assert.equal(typeof a.owner.id, "string");
      assert.equal(typeof a.owner.myself, "boolean");
    }
    const keys = Object.keys(a);
    assert.deepEqual(keys.slice(0, 3), ["id", "attachment_type", "name"]);
  }
});

Deno.test("ids are unique UUID v4s, some prefixed with fr.", () => {
  const pattern = new RegExp(`^(fr\\.)?${UUID}$`);
  for (const a of all) assert.match(a.id, pattern);
  assert.equal(new Set(all.map((a) => a.id)).size, all.length);
  const prefixed = all.filter((a) => a.id.startsWith("fr.")).length;
  assert.ok(prefixed > 10 && prefixed < 150, `about 5% prefixed, got ${prefixed}`);
});

Deno.test("assignments hold 1 to 10 files, all by one user in one pool", () => {
  const assignments = new Map<string, WireAttachment[]>();
  for (const a of all) {
    const list = assignments.get(a.details.assignment_id) ?? [];
    list.push(a);
    assignments.set(a.details.assignment_id, list);
  }
  for (const files of assignments.values()) {
    assert.ok(files.length >= 1 && files.length <= 10);
    assert.equal(new Set(files.map((a) => a.details.user_id)).size, 1);
    assert.equal(new Set(files.map((a) => a.details.pool_id)).size, 1);
  }
  const users = new Set(all.map((a) => a.details.user_id));
  assert.ok(users.size > 30, "many users");
  const poolsOfUsers = new Map<string, Set<string>>();
  for (const a of all) {
    const pools = poolsOfUsers.get(a.details.user_id) ?? new Set();
    pools.add(a.details.pool_id);
    poolsOfUsers.set(a.details.user_id, pools);
  }
  assert.ok(
    [...poolsOfUsers.values()].some((pools) => pools.size > 1),
    "users work in several pools",
  );
});

Deno.test("media types are mostly PNG images named *.png, plus five other types", () => {
  const counts = new Map<string, number>();
  for (const a of all) counts.set(a.media_type, (counts.get(a.media_type) ?? 0) + 1);
  assert.ok((counts.get("image/png") ?? 0) > all.length / 2);
  for (
    const type of [
      "audio/mpeg",
      "application/pdf",
      "text/plain",
      "video/mp4",
      "application/octet-stream",
    ]
  ) {
    assert.ok((counts.get(type) ?? 0) > 0, type);
  }
  const generatedImages = pool1.slice(0, 100).concat(poolOf(emulator, "2"))
    .filter((a) => a.media_type === "image/png" && /^\d+\.png$/.test(a.name));
  assert.ok(generatedImages.length > 100);
});

Deno.test("owners come from a few requesters; some missing, some without company_id", () => {
  const withoutOwner = all.filter((a) => a.owner === undefined).length;
  const owners = all.filter((a) => a.owner !== undefined);
  const withoutCompany = owners.filter((a) => a.owner?.company_id === undefined).length;
  assert.ok(withoutOwner > 20 && withoutOwner < 100, `about 5% without owner, got ${withoutOwner}`);
  const share = withoutCompany / owners.length;
  assert.ok(share > 0.12 && share < 0.3, `about 20% without company_id, got ${share}`);
  assert.ok(new Set(owners.map((a) => a.owner?.id)).size <= 6);
});

Deno.test("about 2% carry an unknown extra field", () => {
  const known = new Set([
    "id",
    "attachment_type",
    "name",
    "details",
    "owner",
    "created",
    "media_type",
  ]);
  const extra = all.filter((a) => Object.keys(a).some((key) => !known.has(key)));
  assert.ok(extra.length >= 8 && extra.length < 60, `got ${extra.length}`);
  assert.ok(extra.some((a) => typeof a["review"] === "object"), "an object-valued extra field");
  assert.ok(extra.some((a) => a["reviewed"] === true), "a boolean extra field");
});

Deno.test("created is written with 0, 3, 5 and 6 fraction digits", () => {
  const digits = new Set(all.map((a) => a.created.split(".")[1]?.length ?? 0));
  assert.deepEqual([...digits].sort(), [0, 3, 5, 6]);
});

Deno.test("created values tie often, and equal instants are written differently", () => {
  const byInstant = new Map<string, Set<string>>();
  for (const a of all) {
    const forms = byInstant.get(normalCreated(a.created)) ?? new Set();
    forms.add(a.created);
    byInstant.set(normalCreated(a.created), forms);
  }
  const tied = all.length - byInstant.size;
  assert.ok(tied > 200, `many ties, got ${tied}`);
  const mixed = [...byInstant.values()].filter((forms) => forms.size > 1).length;
  assert.ok(mixed > 10, `equal instants written differently, got ${mixed}`);
});

Deno.test("pool 1 holds a run of 150 identical created instants in four spellings", () => {
  const counts = new Map<string, WireAttachment[]>();
  for (const a of pool1) {
    counts.set(normalCreated(a.created), [...counts.get(normalCreated(a.created)) ?? [], a]);
  }
  const run = [...counts.values()].find((items) => items.length >= 150);
  assert.ok(run !== undefined);
  const forms = new Set(run.map((a) => a.created.slice(19)));
  for (const form of ["", ".000", ".00000", ".000000"]) assert.ok(forms.has(form), form);
});

Deno.test("pool 1 holds created values differing in microseconds within a millisecond", () => {
  const base = pool1.find((a) => a.created.endsWith(".345001"))?.created.slice(0, 19);
  assert.ok(base !== undefined);
  const group = pool1.filter((a) => a.created.startsWith(`${base}.34`)).map((a) =>
    a.created.slice(19)
  );
  for (
    const fraction of [
      ".344999",
      ".345",
      ".345000",
      ".345001",
      ".345002",
      ".345003",
      ".34501",
      ".345999",
    ]
  ) {
    assert.ok(group.includes(fraction), fraction);
  }
  assert.ok(pool1.some((a) => a.created === `${base}.346`));
});

Deno.test("pool 1 holds every hostile file name", () => {
  const names = new Map<string, number>();
  for (const a of pool1) names.set(a.name, (names.get(a.name) ?? 0) + 1);
  const hostile = [
    "../../etc/passwd",
    "/etc/shadow",
    "C:\\Windows\\system32\\evil.dll",
    "..\\..\\boot.ini",
    "",
    ".",
    "..",
    "a\u0000b.txt",
    "CON",
    "NUL.txt",
    "com1.png",
    "LPT9",
    "фото 1.png",
    "照片.png",
    "café.png",
    "\u{1F600} smile.png",
    "e\u0301te\u0301.png",
    "line1\r\nline2.txt",
    "tab\tname.txt",
    "<img src=x onerror=alert(1)>.png",
    '"><script>alert(1)</script>',
    '=HYPERLINK("http://x")',
    "+SUM(1)",
    "-2+3",
    "@cmd",
    "name. ",
    "line\nfeed.txt",
    "trailing dot.",
    "trailing space ",
    "100%.txt",
    "quote\"and'apostrophe.txt",
    "semi;colon,comma.txt",
  ];
  for (const name of hostile) assert.equal(names.get(name), 1, JSON.stringify(name));
  assert.equal(names.get("photo.png"), 5);
  assert.ok([...names.keys()].some((name) => name.length > 300));
});

Deno.test("pool 1 holds the empty files and the owner edge cases", () => {
  const byName = (name: string): WireAttachment | undefined => pool1.find((a) => a.name === name);
  assert.equal(emulator.bytesOf(byName("empty.txt")?.id ?? "").length, 0);
  assert.equal(byName("old upload.png")?.owner, undefined);
  const noCompany = byName("no company.mp3")?.owner;
  assert.ok(noCompany !== undefined && noCompany.company_id === undefined);
  assert.equal(byName("reviewed.png")?.["reviewed"], true);
});

Deno.test("pool 1 gets no fixtures below 300 attachments", () => {
  const small = new TolokaEmulator({ pools: [299] });
  assert.equal(small.attachments.length, 299);
  assert.ok(!small.attachments.some((a) => a.name === "../../etc/passwd"));
});

Deno.test("attachments are frozen ground truth", () => {
  const first = all[0] as WireAttachment;
  assert.ok(Object.isFrozen(all));
  assert.ok(Object.isFrozen(first));
  assert.ok(Object.isFrozen(first.details));
  assert.throws(() => {
    (first as { name: string }).name = "changed";
  }, TypeError);
});

Deno.test("hand-made attachments replace the generated data and are copied", () => {
  const input = [attachment("b", "2024-01-01T00:00:00"), attachment("a", "2024-01-01T00:00:00.5")];
  const custom = new TolokaEmulator({ attachments: input, pools: [100] });
  assert.deepEqual(custom.attachments, input);
  (input[0] as WireAttachment).name = "mutated";
  assert.equal(custom.attachments[0]?.name, "b.txt");
});

Deno.test("hand-made attachments are checked", () => {
  const good = attachment("a", "2024-01-01T00:00:00");
  assert.throws(() => new TolokaEmulator({ attachments: [good, good] }), /unique/);
  assert.throws(
    () => new TolokaEmulator({ attachments: [{ ...good, created: "2024-01-01T00:00:00Z" }] }),
    (error) => error instanceof TypeError && /attachments\[0\]\.created/.test(error.message),
  );
  assert.throws(
    () =>
      new TolokaEmulator({
        attachments: [{ ...good, details: { ...good.details, pool_id: 1 as unknown as string } }],
      }),
    /attachments\[0\]\.details\.pool_id/,
  );
});

Deno.test("invalid options throw, naming the field", () => {
  assert.throws(() => new TolokaEmulator({ pools: [-1] }), /pools\[0\]/);
  assert.throws(() => new TolokaEmulator({ pools: [1.5] }), RangeError);
  assert.throws(() => new TolokaEmulator({ tokens: [""] }), /tokens\[0\]/);
  assert.throws(() => new TolokaEmulator({ seed: Number.NaN }), /seed/);
  assert.throws(() => new TolokaEmulator({ maxFileSize: -1 }), /maxFileSize/);
  assert.throws(() => new TolokaEmulator({ requestLogLimit: 0.5 }), /requestLogLimit/);
  assert.throws(() => new TolokaEmulator({ latencyMs: -1 }), /latencyMs/);
});
