/**
 * The ZIP records of an export job's archive, written by hand, pure.
 *
 * Why not a library: client-zip, fflate and @zip.js/zip.js all write an archive as one stream in
 * one process and keep its central directory in memory until the end. An export job writes its
 * entries in many Workflow steps (separate invocations, each retried on its own), so each step
 * must write finished local entries at an offset it knows, and the central directory is
 * assembled at the end from records the steps saved. None of them exposes its record writers or
 * an incremental CRC-32 whose state fits in a step's checkpoint, so the few records are written
 * here (APPNOTE.TXT 6.3.10: 4.3.7 local header, 4.3.12 central header, 4.3.14-16 ZIP64 end
 * records, 4.5.3 ZIP64 extra field). Every entry is stored (method 0): no recompression.
 *
 * @module
 */

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL = 0x06054b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
/** Bit 11: the name is UTF-8. */
const UTF8_NAMES = 0x0800;
const VERSION_STORED = 20;
const VERSION_ZIP64 = 45;
const MAX_16 = 0xffff;
const MADE_BY_UNIX = 3 << 8;
/** `-rw-r--r--`, a regular file, in the high 16 bits (Unix mode). */
const REGULAR_FILE_0644 = (0o100644 << 16) >>> 0;
const MAX_32 = 0xffffffff;

const encoder = new TextEncoder();

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 (ISO 3309, as ZIP uses it) of `data`, continuing from `previous` (the CRC of the bytes
 * before it; 0 to start), so a CRC can be carried from step to step.
 */
export function crc32(data: Uint8Array, previous = 0): number {
  let c = (previous ^ MAX_32) >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ MAX_32) >>> 0;
}

/** What an entry's records need. */
export interface ZipEntry {
  /** The name in the archive (UTF-8). */
  name: string;
  crc: number;
  size: number;
  /** Where its local header starts in the archive. */
  offset: number;
  /** Its modification time. */
  modified: Date;
}

class Writer {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  #at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.#view = new DataView(this.bytes.buffer);
  }
  u16(value: number): this {
    this.#view.setUint16(this.#at, value, true);
    this.#at += 2;
    return this;
  }
  u32(value: number): this {
    this.#view.setUint32(this.#at, value >>> 0, true);
    this.#at += 4;
    return this;
  }
  u64(value: number): this {
    this.#view.setBigUint64(this.#at, BigInt(value), true);
    this.#at += 8;
    return this;
  }
  raw(data: Uint8Array): this {
    this.bytes.set(data, this.#at);
    this.#at += data.length;
    return this;
  }
}

/** MS-DOS time and date (local time of the archive is UTC here), clamped to 1980..2107. */
function dosTime(date: Date): { time: number; date: number } {
  const valid = Number.isFinite(date.getTime()) ? date : new Date(0);
  const year = Math.min(2107, Math.max(1980, valid.getUTCFullYear()));
  if (year !== valid.getUTCFullYear()) {
    return { time: 0, date: ((year - 1980) << 9) | (1 << 5) | 1 };
  }
  return {
    time: (valid.getUTCHours() << 11) | (valid.getUTCMinutes() << 5) |
      Math.floor(valid.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((valid.getUTCMonth() + 1) << 5) | valid.getUTCDate(),
  };
}

/**
 * The local header of a stored entry whose CRC and size are known (so no data descriptor).
 *
 * @throws {RangeError} For a file of 4 GiB or more: the steps hold a file in memory, so it could
 * never have been read.
 */
export function localHeader(entry: Omit<ZipEntry, "offset">): Uint8Array {
  if (entry.size >= MAX_32) throw new RangeError(`A file of ${entry.size} bytes is too large`);
  const name = encoder.encode(entry.name);
  const { time, date } = dosTime(entry.modified);
  return new Writer(30 + name.length)
    .u32(LOCAL_HEADER).u16(VERSION_STORED).u16(UTF8_NAMES).u16(0).u16(time).u16(date)
    .u32(entry.crc).u32(entry.size).u32(entry.size).u16(name.length).u16(0).raw(name).bytes;
}

/** The central directory header of an entry; a ZIP64 extra field carries an offset ≥ 4 GiB. */
export function centralHeader(entry: ZipEntry, options: { zip64?: boolean } = {}): Uint8Array {
  const name = encoder.encode(entry.name);
  const { time, date } = dosTime(entry.modified);
  const zip64 = options.zip64 === true || entry.offset >= MAX_32;
  const extra = zip64 ? 12 : 0;
  const writer = new Writer(46 + name.length + extra)
    .u32(CENTRAL_HEADER)
    // Made by Unix (host 3): unzip then takes the UTF-8 flag at its word and the mode below.
    .u16(MADE_BY_UNIX | (zip64 ? VERSION_ZIP64 : VERSION_STORED))
    .u16(zip64 ? VERSION_ZIP64 : VERSION_STORED) // needed
    .u16(UTF8_NAMES).u16(0).u16(time).u16(date)
    .u32(entry.crc).u32(entry.size).u32(entry.size)
    .u16(name.length).u16(extra).u16(0) // comment length
    .u16(0).u16(0).u32(REGULAR_FILE_0644) // disk, internal and external attributes
    .u32(zip64 ? MAX_32 : entry.offset)
    .raw(name);
  // Only the fields set to 0xFFFFFFFF above appear in the extra field: here, the offset.
  if (zip64) writer.u16(0x0001).u16(8).u64(entry.offset);
  return writer.bytes;
}

/** Where the central directory lies, for the end records. */
export interface ZipDirectory {
  entries: number;
  /** Offset of the central directory. */
  offset: number;
  /** Its size in bytes. */
  size: number;
}

/**
 * The end of the archive: the ZIP64 end record and its locator when a count, size or offset
 * does not fit the classic record (or `zip64` asks for them), then the classic end record.
 */
export function endRecords(directory: ZipDirectory, options: { zip64?: boolean } = {}): Uint8Array {
  const zip64 = options.zip64 === true || directory.entries >= MAX_16 ||
    directory.size >= MAX_32 || directory.offset >= MAX_32;
  const end = (writer: Writer): Uint8Array =>
    writer.u32(END_OF_CENTRAL).u16(0).u16(0)
      .u16(zip64 ? MAX_16 : directory.entries).u16(zip64 ? MAX_16 : directory.entries)
      .u32(zip64 ? MAX_32 : directory.size).u32(zip64 ? MAX_32 : directory.offset)
      .u16(0).bytes;
  if (!zip64) return end(new Writer(22));
  const zip64End = directory.offset + directory.size;
  return end(
    new Writer(56 + 20 + 22)
      .u32(ZIP64_END).u64(44).u16(VERSION_ZIP64).u16(VERSION_ZIP64).u32(0).u32(0)
      .u64(directory.entries).u64(directory.entries).u64(directory.size).u64(directory.offset)
      .u32(ZIP64_LOCATOR).u32(0).u64(zip64End).u32(1),
  );
}
