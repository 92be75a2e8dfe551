/**
 * `export`: a whole listing as one file, built by an edge Worker's export job (a Cloudflare
 * Workflow writing into R2) rather than by this machine. Creates the job (or follows one with
 * `--job`), shows its progress, downloads the result with resume (`Range` from the `.<job>.part` file's
 * size), and with `--verify` checks every file of a ZIP against its `manifest.ndjson` hash.
 *
 * @module
 */

import type { Context } from "./context.ts";
import { formatBytes } from "../src/files/mod.ts";
import { EXIT } from "./errors.ts";
import {
  booleanFlag,
  choiceFlag,
  type FlagSpec,
  parseFlags,
  quote,
  stringFlag,
  UsageError,
} from "./flags.ts";
import { CONNECTION_FLAGS, FILTER_FLAGS, filterFrom, orderFrom } from "./query_flags.ts";

/** The flags of `export`. */
export const EXPORT_FLAGS: FlagSpec = {
  ...CONNECTION_FLAGS,
  ...Object.fromEntries(Object.keys(FILTER_FLAGS).map((name) => [name, "string"])),
  order: "string",
  format: "string",
  out: "string",
  job: "string",
  verify: "boolean",
  quiet: "boolean",
};

const FORMATS = ["zip", "csv", "ndjson"] as const;
const POLL_MS = 1000;

/** A job as the Worker shows it. */
interface Job {
  id: string;
  status: "queued" | "running" | "complete" | "failed" | "cancelled";
  format: string;
  items: number;
  files: number;
  bytes: number;
  error: { code: string; message: string } | null;
}

class ExportError extends Error {
  override name = "ExportError";
}

/** Runs `export`. */
export async function exportCommand(context: Context, args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(args, EXPORT_FLAGS, "export");
  if (positionals.length > 0) throw new UsageError(`unexpected ${quote(positionals[0]!)}`);
  const out = stringFlag(flags, "out");
  if (out === undefined) throw new UsageError("--out FILE is required");
  const base = stringFlag(flags, "base-url");
  if (base === undefined || !/^https?:\/\/[^/?#]+/i.test(base)) {
    throw new UsageError(
      "--base-url must be the edge Worker's API root, such as https://edge.example/api/v1",
    );
  }
  const root = base.replace(/\/+$/, "");
  context.apiBaseUrl = root;
  const key = context.env("TOLOKA_TOKEN")?.trim();
  if (!key) throw new UsageError("TOLOKA_TOKEN is not set: export the Worker's API key");
  const headers = { Authorization: `OAuth ${key}` };
  const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const response = await context.fetch(
      new Request(`${root}${path}`, {
        ...init,
        headers: { ...headers, ...init.headers },
        signal: context.signal,
      }),
    );
    if (!response.ok && response.status !== 206) {
      const text = await response.text();
      let message = text.slice(0, 300);
      try {
        const body = JSON.parse(text);
        message = `${body.code}: ${body.message}`;
      } catch { /* not JSON */ }
      throw new ExportError(`the Worker answered ${response.status} (${message})`);
    }
    return response;
  };
  const verify = booleanFlag(flags, "verify");
  const quiet = booleanFlag(flags, "quiet");
  const say = (line: string): Promise<void> => context.stderr.write(`${line}\n`);

  let job: Job;
  const existing = stringFlag(flags, "job");
  if (existing !== undefined) {
    job = await (await call(`/exports/${encodeURIComponent(existing)}`)).json();
  } else {
    const format = choiceFlag(flags, "format", FORMATS);
    if (format === undefined) throw new UsageError("--format zip|csv|ndjson is required");
    const body = { filter: filterFrom(flags), order: orderFrom(flags), format };
    job = await (await call("/exports", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    })).json();
    await say(`export job ${job.id} created`);
  }
  const resume = `export --job ${job.id} --out ${quote(out)} --base-url ${root}`;
  let lastLine = 0;
  try {
    while (job.status === "queued" || job.status === "running") {
      if (!quiet) {
        const line = `${job.status}: ${job.items} items, ${job.files} files, ${
          formatBytes(job.bytes)
        }`;
        if (context.stderrIsTerminal) await context.stderr.write(`\r\x1b[2K${line}`);
        else if (context.now() - lastLine >= 5000) {
          lastLine = context.now();
          await say(line);
        }
      }
      await context.sleep(POLL_MS, context.signal);
      job = await (await call(`/exports/${job.id}`)).json();
    }
  } catch (error) {
    if (context.signal.aborted) {
      await say(`\nThe job keeps running on the Worker. Fetch it later with:\n  ${resume}`);
      return EXIT.interrupted;
    }
    throw error;
  }
  if (context.stderrIsTerminal && !quiet) await context.stderr.write("\r\x1b[2K");
  if (job.status !== "complete") {
    throw new ExportError(
      `export job ${job.id} is ${job.status}${job.error ? `: ${job.error.message}` : ""}`,
    );
  }
  const size = await download(call, job, out, context, say);
  await say(`${out}: ${job.items} items, ${job.files} files, ${formatBytes(size)}`);
  if (verify) {
    if (job.format !== "zip") {
      await say("verified: size matches (--verify checks hashes of ZIP exports)");
    } else {
      const checked = await verifyZip(out);
      await say(`verified: ${checked} files match manifest.ndjson (size and SHA-256)`);
    }
  }
  return EXIT.ok;
}

/**
 * Downloads the result to `out`, resuming from `out.<job id>.part` (named after the job, so a cut
 * download of another job is never appended to); returns its size.
 */
async function download(
  call: (path: string, init?: RequestInit) => Promise<Response>,
  job: Job,
  out: string,
  context: Context,
  say: (line: string) => Promise<void>,
): Promise<number> {
  const part = `${out}.${job.id}.part`;
  let have = 0;
  try {
    have = (await Deno.stat(part)).size;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (have > 0 && have === job.bytes) {
    // Cut after its last byte, before the rename: nothing is left to fetch.
    await Deno.rename(part, out);
    return have;
  }
  if (have > job.bytes) {
    await Deno.remove(part);
    have = 0;
  }
  const response = await call(
    `/exports/${job.id}/download`,
    have > 0 ? { headers: { Range: `bytes=${have}-` } } : {},
  );
  let total: number;
  let append = false;
  if (response.status === 206) {
    const range = /\/(\d+)$/.exec(response.headers.get("Content-Range") ?? "");
    total = Number(range?.[1] ?? Number.NaN);
    append = true;
    await say(`resuming at ${formatBytes(have)}`);
  } else {
    total = Number(response.headers.get("Content-Length") ?? Number.NaN);
    have = 0;
  }
  const file = await Deno.open(part, { write: true, create: true, append, truncate: !append });
  try {
    await response.body!.pipeTo(file.writable, { signal: context.signal });
  } catch (error) {
    if (context.signal.aborted) {
      throw new ExportError(`interrupted; run the same command again to resume from ${part}`);
    }
    throw error;
  }
  const size = (await Deno.stat(part)).size;
  if (Number.isFinite(total) && size !== total) {
    throw new ExportError(
      `${part} has ${size} of ${total} bytes; run the same command again to resume`,
    );
  }
  await Deno.rename(part, out);
  return size;
}

/** Reads a stored ZIP's central directory (classic or ZIP64). */
async function centralDirectory(
  file: Deno.FsFile,
  size: number,
): Promise<Map<string, { offset: number; size: number }>> {
  const tailSize = Math.min(size, 65_557 + 76);
  const tail = await readAt(file, size - tailSize, tailSize);
  const view = new DataView(tail.buffer);
  let end = -1;
  for (let at = tail.length - 22; at >= 0; at--) {
    if (view.getUint32(at, true) === 0x06054b50) {
      end = at;
      break;
    }
  }
  if (end < 0) throw new ExportError("not a ZIP: no end of central directory");
  let entries = view.getUint16(end + 10, true);
  let cdSize = view.getUint32(end + 12, true);
  let cdOffset = view.getUint32(end + 16, true);
  if (end >= 20 && view.getUint32(end - 20, true) === 0x07064b50) {
    const at = Number(view.getBigUint64(end - 12, true)) - (size - tailSize);
    entries = Number(view.getBigUint64(at + 32, true));
    cdSize = Number(view.getBigUint64(at + 40, true));
    cdOffset = Number(view.getBigUint64(at + 48, true));
  }
  const cd = await readAt(file, cdOffset, cdSize);
  const dir = new DataView(cd.buffer);
  const found = new Map<string, { offset: number; size: number }>();
  let at = 0;
  for (let i = 0; i < entries; i++) {
    if (dir.getUint32(at, true) !== 0x02014b50) throw new ExportError("bad central directory");
    let entrySize = dir.getUint32(at + 24, true);
    const nameLength = dir.getUint16(at + 28, true);
    const extraLength = dir.getUint16(at + 30, true);
    const commentLength = dir.getUint16(at + 32, true);
    let offset = dir.getUint32(at + 42, true);
    const name = new TextDecoder().decode(cd.subarray(at + 46, at + 46 + nameLength));
    // ZIP64 extra field: the 8-byte values of the fields set to 0xFFFFFFFF, in order.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = dir.getUint16(extra, true);
      const length = dir.getUint16(extra + 2, true);
      if (id === 0x0001) {
        let field = extra + 4;
        if (entrySize === 0xffffffff) {
          entrySize = Number(dir.getBigUint64(field, true));
          field += 16;
        }
        if (offset === 0xffffffff) offset = Number(dir.getBigUint64(field, true));
      }
      extra += 4 + length;
    }
    found.set(name, { offset, size: entrySize });
    at = extraEnd + commentLength;
  }
  return found;
}

async function readAt(
  file: Deno.FsFile,
  offset: number,
  length: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const out = new Uint8Array(length);
  await file.seek(offset, Deno.SeekMode.Start);
  let read = 0;
  while (read < length) {
    const n = await file.read(out.subarray(read));
    if (n === null) throw new ExportError("the ZIP ends early");
    read += n;
  }
  return out;
}

async function entryBytes(
  file: Deno.FsFile,
  entry: { offset: number; size: number },
): Promise<Uint8Array<ArrayBuffer>> {
  const header = await readAt(file, entry.offset, 30);
  const view = new DataView(header.buffer);
  if (view.getUint32(0, true) !== 0x04034b50) throw new ExportError("bad local header");
  if (view.getUint16(8, true) !== 0) throw new ExportError("an entry is compressed");
  const start = entry.offset + 30 + view.getUint16(26, true) + view.getUint16(28, true);
  return await readAt(file, start, entry.size);
}

/** Checks every manifest line's file: present, its size, its SHA-256. Returns how many. */
export async function verifyZip(path: string): Promise<number> {
  const file = await Deno.open(path);
  try {
    const size = (await file.stat()).size;
    const entries = await centralDirectory(file, size);
    const manifest = entries.get("manifest.ndjson");
    if (manifest === undefined) throw new ExportError("the ZIP has no manifest.ndjson");
    const lines = new TextDecoder().decode(await entryBytes(file, manifest)).split("\n")
      .filter((line) => line !== "");
    if (lines.length !== entries.size - 1) {
      throw new ExportError(`manifest.ndjson lists ${lines.length} of ${entries.size - 1} files`);
    }
    for (const line of lines) {
      const { path: name, size: expected, sha256 } = JSON.parse(line);
      const entry = entries.get(name);
      if (entry === undefined) throw new ExportError(`${quote(name)} is missing`);
      const bytes = await entryBytes(file, entry);
      const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
        .map((b) => b.toString(16).padStart(2, "0")).join("");
      if (bytes.length !== expected || digest !== sha256) {
        throw new ExportError(`${quote(name)} does not match its manifest line`);
      }
    }
    return lines.length;
  } finally {
    file.close();
  }
}
