/**
 * The hand-picked cases pool "1" holds when it is large enough: hostile file names, a run of more
 * than 100 identical `created` values, and values that differ only in microseconds.
 */

/** Pool "1" gets the fixtures only when it has at least this many attachments. */
export const FIXTURE_POOL_MIN_SIZE = 300;

/** Number of attachments in the run with one identical `created` instant. */
export const TIE_RUN_SIZE = 150;

/** A fixture file: its name, media type and, when forced, its size in bytes. */
export interface FixtureFile {
  name: string;
  mediaType: string;
  size?: number;
  extra?: Record<string, unknown>;
  /** Without `owner` (like files older than owners). */
  noOwner?: boolean;
  /** With an owner that has no `company_id`. */
  noCompany?: boolean;
}

function mediaTypeOf(name: string): string {
  const dot = name.lastIndexOf(".");
  const extension = dot < 0 ? "" : name.slice(dot + 1).toLowerCase();
  switch (extension) {
    case "png":
      return "image/png";
    case "txt":
      return "text/plain";
    case "pdf":
      return "application/pdf";
    case "mp3":
      return "audio/mpeg";
    case "mp4":
      return "video/mp4";
    default:
      return "application/octet-stream";
  }
}

/** Names chosen to break careless code: paths, devices, markup, formulas, odd Unicode. */
export const HOSTILE_NAMES: readonly string[] = [
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
  "photo.png",
  "photo.png",
  "photo.png",
  "photo.png",
  "photo.png",
  "фото 1.png",
  "照片.png",
  "café.png",
  "\u{1F600} smile.png",
  "e\u0301te\u0301.png",
  `long_${"x".repeat(300)}.png`,
  "line1\r\nline2.txt",
  "line\nfeed.txt",
  "tab\tname.txt",
  "<img src=x onerror=alert(1)>.png",
  '"><script>alert(1)</script>',
  '=HYPERLINK("http://x")',
  "+SUM(1)",
  "-2+3",
  "@cmd",
  "name. ",
  "trailing dot.",
  "trailing space ",
  "100%.txt",
  "quote\"and'apostrophe.txt",
  "semi;colon,comma.txt",
];

/** Every fixture file of pool "1" except the `created` runs, in a fixed order. */
export function fixtureFiles(): FixtureFile[] {
  const files: FixtureFile[] = HOSTILE_NAMES.map((name) => ({
    name,
    mediaType: mediaTypeOf(name),
  }));
  files.push(
    { name: "empty.txt", mediaType: "text/plain", size: 0 },
    { name: "empty.bin", mediaType: "application/octet-stream", size: 0 },
    { name: "reviewed.png", mediaType: "image/png", extra: { reviewed: true } },
    {
      name: "annotated.pdf",
      mediaType: "application/pdf",
      extra: { review: { status: "ACCEPTED", score: 0.75, tags: ["a", "b"] } },
    },
    { name: "old upload.png", mediaType: "image/png", noOwner: true },
    { name: "no company.mp3", mediaType: "audio/mpeg", noCompany: true },
    { name: "ExampleAttachment.txt", mediaType: "text/plain" },
  );
  return files;
}

/**
 * Microsecond neighbours within one millisecond, as `[fraction as written]` of one second:
 * equal instants written differently, and values a millisecond-precision cursor would confuse.
 */
export const MICRO_FRACTIONS: readonly string[] = [
  ".344999",
  ".345",
  ".345000",
  ".345001",
  ".345002",
  ".345003",
  ".34501",
  ".345999",
  ".346",
];
