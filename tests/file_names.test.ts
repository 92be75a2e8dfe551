/** `src/files/file_names.ts`: local file names that never escape the folder and never collide. */

import assert from "node:assert/strict";
import {
  cleanName,
  cutToBytes,
  idPrefix,
  localFileName,
  MAX_NAME_BYTES,
  sanitizeFileName,
} from "../src/files/file_names.ts";
import { HOSTILE_NAMES } from "../src/testing/fixtures.ts";

const bytes = (text: string): number => new TextEncoder().encode(text).length;
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/i;

/** What every produced name must satisfy, on Linux, macOS and Windows. */
function assertSafe(name: string): void {
  const shown = JSON.stringify(name);
  assert.ok(name.length > 0, `${shown} is not empty`);
  assert.notEqual(name, ".");
  assert.notEqual(name, "..");
  assert.ok(!/[\/\\]/.test(name), `${shown} has no separator`);
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(name), `${shown} has no control character`);
  assert.ok(!/[<>:"|?*]/.test(name), `${shown} has no character Windows forbids`);
  assert.ok(!/[. ]$/.test(name), `${shown} does not end with a dot or a space`);
  assert.ok(!RESERVED.test(name), `${shown} is not a reserved device name`);
  assert.ok(bytes(name) <= MAX_NAME_BYTES, `${shown} fits in ${MAX_NAME_BYTES} bytes`);
  assert.equal(name, name.normalize("NFC"), `${shown} is NFC`);
  assert.equal(name, name.toWellFormed(), `${shown} is well-formed`);
}

Deno.test("sanitizeFileName() turns paths, devices and controls into one plain component", () => {
  const cases: [string, string][] = [
    ["../../etc/passwd", ".._.._etc_passwd"],
    ["/etc/shadow", "_etc_shadow"],
    ["C:\\Windows\\system32\\evil.dll", "C__Windows_system32_evil.dll"],
    ["..\\..\\boot.ini", ".._.._boot.ini"],
    ["", "_"],
    [".", "_"],
    ["..", "_"],
    ["...", "_"],
    ["a\u0000b.txt", "a_b.txt"],
    ["CON", "_CON"],
    ["con", "_con"],
    ["NUL.txt", "_NUL.txt"],
    ["com1.png", "_com1.png"],
    ["LPT9", "_LPT9"],
    ["aux.tar.gz", "_aux.tar.gz"],
    ["Com¹.txt", "_Com¹.txt"],
    ["CONSOLE.txt", "CONSOLE.txt"],
    ["line1\r\nline2.txt", "line1__line2.txt"],
    ["tab\tname.txt", "tab_name.txt"],
    ["<img src=x onerror=alert(1)>.png", "_img src=x onerror=alert(1)_.png"],
    ["name. ", "name"],
    ["trailing dot.", "trailing dot"],
    ["trailing space ", "trailing space"],
    ["  leading", "leading"],
    ["a\u202Egnp.exe", "a_gnp.exe"],
    ["e\u0301te\u0301.png", "\u00e9t\u00e9.png"],
    ["фото 1.png", "фото 1.png"],
    ["\u{1F600} smile.png", "\u{1F600} smile.png"],
    ["\ud800x", "\ufffdx"],
    ["100%.txt", "100%.txt"],
  ];
  for (const [input, expected] of cases) {
    const name = sanitizeFileName(input);
    assert.equal(name, expected, JSON.stringify(input));
    assertSafe(name);
  }
});

Deno.test("sanitizeFileName() caps names at 200 bytes of UTF-8, keeping the extension and whole code points", () => {
  const long = `long_${"x".repeat(300)}.png`;
  const name = sanitizeFileName(long);
  assert.equal(bytes(name), 200);
  assert.ok(name.startsWith("long_xxx") && name.endsWith(".png"));

  for (const char of ["é", "照", "\u{1F600}"]) {
    const cut = sanitizeFileName(char.repeat(300) + ".jpeg");
    assert.ok(bytes(cut) <= 200, char);
    assert.ok(bytes(cut) > 200 - 4 - ".jpeg".length, `${char}: as much as fits`);
    assert.ok(cut.endsWith(".jpeg"));
    assert.equal(cut, cut.toWellFormed(), `${char}: no half code point`);
    assertSafe(cut);
  }
  assert.equal(sanitizeFileName("abc", 2), "ab");
  assert.equal(cutToBytes("a\u{1F600}b", 4), "a");
  assert.equal(cutToBytes("a\u{1F600}b", 5), "a\u{1F600}");
});

Deno.test("cleanName() may be empty, and is NFC", () => {
  assert.equal(cleanName(".."), "");
  assert.equal(cleanName(" . "), "");
  assert.equal(cleanName("cafe\u0301"), "caf\u00e9");
});

Deno.test("idPrefix() keeps plain lowercase ids and hashes every other, so ids never collide", () => {
  assert.equal(
    idPrefix("0983459b-e26f-42f3-a5fd-6e3feee913e7"),
    "0983459b-e26f-42f3-a5fd-6e3feee913e7",
  );
  assert.equal(idPrefix("fr.5867be74-1111"), "fr.5867be74-1111");
  const hostile = [
    "..",
    ".",
    "",
    "../x",
    "a/b",
    "a_b",
    "A_B",
    "ABC",
    "abc-",
    "Abc",
    "aBc",
    "con",
    "CON",
    "nul.txt",
    "x.",
    "x ",
    "\u0000",
    "\ud800",
    "\udc00",
    "é",
    "e\u0301",
    "a".repeat(65),
    "a".repeat(64),
    "abc",
  ];
  const prefixes = hostile.map(idPrefix);
  for (const prefix of prefixes) {
    assertSafe(prefix);
    assert.ok(!prefix.includes("_"), `${prefix} holds no _`);
    assert.equal(prefix, prefix.toLowerCase());
  }
  const lowered = new Set(prefixes.map((prefix) => prefix.toLowerCase()));
  assert.equal(lowered.size, hostile.length, "distinct ids give distinct prefixes, ignoring case");
  assert.match(idPrefix("ABC"), /^abc~[0-9a-f]{16}$/);
  assert.match(idPrefix(".."), /^id~[0-9a-f]{16}$/);
});

Deno.test("idPrefix(): a plain id shaped like another id's hashed prefix still gets its own name", () => {
  const hashed = idPrefix("ABC");
  const lookalike = hashed.replace("~", "-"); // plain, and what the hashed form used to be
  assert.equal(idPrefix(lookalike), lookalike);
  assert.notEqual(localFileName("ABC", "x.png"), localFileName(lookalike, "x.png"));
});

Deno.test("localFileName(): an id can never name the folder's manifest", () => {
  for (const id of ["manifest.ndjson", "manifest.ndjson.part"]) {
    for (const name of ["", "..", "x.png"]) {
      const local = localFileName(id, name);
      assert.ok(!local.startsWith("manifest."), local);
    }
  }
});

Deno.test("localFileName() is <id>_<name>, safe and unique for every hostile name of the emulator", () => {
  const seen = new Set<string>();
  HOSTILE_NAMES.forEach((hostile, i) => {
    const id = `0000000${i}-e26f-42f3-a5fd-6e3feee913e7`;
    const name = localFileName(id, hostile);
    assertSafe(name);
    assert.ok(name === id || name.startsWith(`${id}_`), name);
    assert.ok(!seen.has(name.toLowerCase()));
    seen.add(name.toLowerCase());
  });
  assert.equal(localFileName("a1", "../../etc/passwd"), "a1_.._.._etc_passwd");
  assert.equal(localFileName("a1", ".."), "a1");
  assert.equal(localFileName("a1", ""), "a1");
  assert.equal(localFileName("a1", "CON"), "a1_CON");
  const long = localFileName(
    "fr.0983459b-e26f-42f3-a5fd-6e3feee913e7",
    `long_${"x".repeat(300)}.png`,
  );
  assert.equal(bytes(long), 200);
  assert.ok(long.endsWith(".png"));
});

Deno.test("localFileName() gives the same photo.png of different ids different names", () => {
  const names = ["a1", "a2", "A1", "a1 "].map((id) => localFileName(id, "photo.png"));
  assert.equal(new Set(names.map((name) => name.toLowerCase())).size, names.length);
  names.forEach(assertSafe);
});
