/**
 * Helpers of the command-line tests: run `main()` in process with captured output, read a
 * download folder back, and check it against the emulator.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join, resolve, sep } from "node:path";
import { type CliOptions, main } from "../cli/mod.ts";
import type { TolokaEmulator, WireAttachment } from "../src/testing/mod.ts";

/** A writable stream that keeps what is written, as text. */
export class Capture {
  readonly #chunks: Uint8Array[] = [];
  /** The stream to hand to `main()`. */
  readonly stream: WritableStream<Uint8Array> = new WritableStream({
    write: (chunk): void => {
      this.#chunks.push(chunk.slice());
    },
  });

  /** Everything written so far. */
  text(): string {
    const total = this.#chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const chunk of this.#chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    return new TextDecoder().decode(bytes);
  }
}

/** The result of one in-process run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** An environment with only `TOLOKA_TOKEN` (`null`: unset) and whatever `extra` adds. */
export function envWith(
  token: string | null = "test-token",
  extra: Record<string, string> = {},
): (name: string) => string | undefined {
  const values: Record<string, string | undefined> = { TOLOKA_TOKEN: token ?? undefined, ...extra };
  return (name) => values[name];
}

/** Runs `main(args)` with captured stdout and stderr, no terminal, fast retries. */
export async function run(
  args: readonly string[],
  options: CliOptions = {},
): Promise<RunResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(args, {
    env: envWith(),
    retryDelayMs: 1,
    stdoutIsTerminal: false,
    stderrIsTerminal: false,
    ...options,
    stdout: stdout.stream,
    stderr: stderr.stream,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** The emulator's attachments of a pool, sorted by id as the API compares them. */
export function poolItems(emulator: TolokaEmulator, pool: string): WireAttachment[] {
  return emulator.attachments
    .filter((item) => item.details.pool_id === pool)
    .map((item) => structuredClone(item))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** SHA-256 in hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A manifest line as the tests read it. */
export interface ManifestLine {
  id: string;
  path: string;
  size: number;
  sha256: string;
  attachment: Record<string, unknown>;
}

/** Every line of `folder/manifest.ndjson`, each parsed (a bad line fails the test). */
export async function readManifest(folder: string): Promise<ManifestLine[]> {
  const text = await Deno.readTextFile(join(folder, "manifest.ndjson"));
  assert.ok(text === "" || text.endsWith("\n"), "the manifest ends with a newline");
  return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
}

/** Names of the entries directly in `folder`. */
export async function listFolder(folder: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(folder)) names.push(entry.name);
  return names.sort();
}

/**
 * Checks a finished download folder against the emulator: one manifest line per expected id, each
 * file inside the folder with the emulator's bytes, the recorded size and SHA-256, no temporary
 * file, no stray file, no two names equal ignoring case.
 */
export async function assertCompleteFolder(
  folder: string,
  emulator: TolokaEmulator,
  expectedIds: readonly string[],
): Promise<ManifestLine[]> {
  const lines = await readManifest(folder);
  const ids = lines.map((line) => line.id);
  assert.equal(new Set(ids).size, ids.length, "each id appears once in the manifest");
  assert.deepEqual([...ids].sort(), [...expectedIds].sort());
  const root = await Deno.realPath(folder);
  const lowered = new Set<string>();
  for (const line of lines) {
    const path = resolve(folder, line.path);
    const real = await Deno.realPath(path);
    assert.ok(real.startsWith(root + sep), `${JSON.stringify(line.path)} stays inside the folder`);
    assert.equal(line.path.includes("/") || line.path.includes("\\"), false);
    const key = line.path.toLowerCase();
    assert.ok(!lowered.has(key), `${JSON.stringify(line.path)} collides ignoring case`);
    lowered.add(key);
    const bytes = await Deno.readFile(path);
    const expected = emulator.bytesOf(line.id);
    assert.equal(bytes.length, expected.length, `size of ${line.id}`);
    assert.ok(bytes.every((byte, i) => byte === expected[i]), `bytes of ${line.id}`);
    assert.equal(line.size, expected.length);
    assert.equal(line.sha256, sha256(expected));
    assert.equal(line.attachment.id, line.id);
  }
  const names = await listFolder(folder);
  assert.deepEqual(names.filter((name) => name.endsWith(".part")), [], "no temporary file left");
  assert.deepEqual(
    names.filter((name) => name !== "manifest.ndjson").sort(),
    lines.map((line) => line.path).sort(),
    "every file in the folder is in the manifest",
  );
  return lines;
}

/** How many download requests the emulator has answered or seen. */
export function downloadRequests(emulator: TolokaEmulator): number {
  return emulator.requests.filter((entry) => entry.path.endsWith("/download")).length;
}
