/**
 * The `--help` texts.
 *
 * @module
 */

const RUN = "deno run -A jsr:@toloka-edge/attachments/cli";

const FILTERS = `Filters (--pool-id or --assignment-id is required):
  --pool-id ID             files of this pool
  --assignment-id ID       files of this assignment
  --user-id ID             uploaded by this Toloker
  --name NAME              with exactly this file name
  --type TYPE              of this attachment type (ASSIGNMENT_ATTACHMENT)
  --owner-id ID            owned by this requester
  --owner-company-id ID    owned by this company
  --id-gt, --id-gte, --id-lt, --id-lte ID
                           id range (ids compare as strings)
  --created-gt, --created-gte, --created-lt, --created-lte DATE
                           upload time range: 2024-05-25, 2024-05-25T16:14:27.748
                           (UTC unless an offset such as +03:00 or Z is given)
  --order ORDER            id (default), -id, created, -created
  --max N                  stop after N files`;

const CONNECTION = `Connection:
  TOLOKA_TOKEN             (environment) your Toloka OAuth token or API key; required
  --environment NAME       production (default), sandbox or yandex-tasks
  --base-url URL           another API root, such as an edge Worker's https://.../api/v1
  --retries N              retries of each request (and, for download, of each file); default 5`;

/** `--help` without a command. */
export const MAIN_HELP =
  `The command line of @toloka-edge/attachments: list and download the files Tolokers
uploaded, and manage the API keys of the edge Worker. It installs nothing: run it with
deno as below.

Usage:
  ${RUN} <command> [flags]
  deno task cli <command> [flags]          (in the repository)

Commands:
  list        print every attachment that matches, as a table, JSON, NDJSON or CSV
  download    fetch every attachment that matches into a folder; resumable
  export      have an edge Worker build one ZIP, CSV or NDJSON of every match; download it
  keys        create, list and revoke API keys of the edge Worker

Global flags:
  --help, -h  help for any command: list --help, download --help, keys --help
  --version   print the version

Examples:
  export TOLOKA_TOKEN=...
  ${RUN} list --pool-id 154 --format csv > attachments.csv
  ${RUN} download --pool-id 154 --out ./pool-154

Exit codes: 0 done, 1 failed (an API error, files missing), 2 bad usage, 130 interrupted.
`;

/** `list --help`. */
export const LIST_HELP = `Print every attachment that matches the filters.

Usage:
  ${RUN} list --pool-id ID [filters] [--format FORMAT]

${FILTERS}

Output:
  --format FORMAT          table (default on a terminal): aligned columns, names escaped
                           ndjson (default otherwise): one JSON object a line, streamed
                           json: one array, streamed
                           csv: a header row, then one row a file; cells that start with
                           = + - @ are prefixed with ' so spreadsheets show them as text
  JSON keeps Toloka's exact fields, with created as the API wrote it.

${CONNECTION}

Examples:
  ${RUN} list --pool-id 154 --created-gte 2024-05-01 --order -created --max 20
  ${RUN} list --assignment-id 5241f238-6640-43e4-80bb-3283893cd221 --format json
`;

/** `download --help`. */
export const DOWNLOAD_HELP = `Fetch every attachment that matches the filters into a folder.

Usage:
  ${RUN} download --pool-id ID --out DIR [filters] [flags]

Each file is streamed to disk as DIR/.<name>.part and renamed to DIR/<name> once complete, so a
final name never holds half a file. <name> is <id>_<file name>, made safe: no folders, no
control characters, no reserved Windows names, at most 200 bytes. DIR/manifest.ndjson gets a
line per complete file: the attachment's metadata, its path in DIR, size and SHA-256.

Run the same command again to resume: files whose size and SHA-256 match the manifest are
skipped, everything else is fetched. Ctrl-C stops cleanly (exit code 130).

Download:
  --out DIR                the folder (created if needed); required
  --concurrency N          files fetched at once, 1 to 64; default 8
  --dry-run                print the names of the files that would be fetched, fetch nothing
  --quiet                  no progress (a bar on a terminal, a line every 5 s otherwise)

${FILTERS}

${CONNECTION}

Exit codes: 0 every file is there, 1 some are missing (listed at the end; run again),
2 bad usage, 130 interrupted.

Example:
  ${RUN} download --pool-id 154 --out ./pool-154 --concurrency 16
`;

/** `export --help`. */
export const EXPORT_HELP = `Have an edge Worker export every match as one file, then download it.

Usage:
  ${RUN} export --base-url URL --pool-id ID --format zip|csv|ndjson --out FILE [filters]
  ${RUN} export --base-url URL --job ID --out FILE

The Worker's export job (a Cloudflare Workflow writing into R2) builds the file, so nothing
needs to stay open: Ctrl-C while it runs leaves the job running and prints the --job command
that fetches it later. The download resumes from FILE.<job id>.part when cut.

Export:
  --format FORMAT          zip (every file stored, manifest.ndjson last), csv or ndjson
  --out FILE               where the result goes; required
  --job ID                 follow (and download) a job created before
  --verify                 for a ZIP: check every file's size and SHA-256 against the manifest
  --quiet                  no progress
  --order ORDER            id (default), -id, created or -created

Connection:
  TOLOKA_TOKEN             (environment) the Worker's API key (tae_...)
  --base-url URL           the Worker's API root, such as https://edge.example/api/v1; required

${FILTERS}

Example:
  ${RUN} export --base-url https://edge.example/api/v1 --pool-id 154 --format zip --out pool-154.zip --verify
`;

/** `keys --help`. */
export const KEYS_HELP = `Create, list, revoke and migrate API keys of the edge Worker.

Usage:
  ${RUN} keys create  --local|--remote --name NAME [--pools 1,2] [--expires 30d]
  ${RUN} keys list    --local|--remote [--format table|json]
  ${RUN} keys revoke  --local|--remote <key or key id>
  ${RUN} keys migrate --local|--remote [--yes] [key id ...]

Where the keys are:
  --local                  the KV of wrangler dev / deno task start (.wrangler/state/v3/kv),
                           sealed with TOKEN_SEALING_KEY from .dev.vars
  --remote                 the deployed Worker's KV, through npm:wrangler@4.86.0 (log in with
                           wrangler first); TOKEN_SEALING_KEY from the environment
  --config PATH            the wrangler config binding TOKENS; default ./wrangler.toml
  --persist-to DIR         (--local) another persistence folder

create:
  --name NAME              who or what the key is for; required
  --pools 1,2              the pools the key may see; omitted: every pool of the token
  --expires WHEN           a date (2026-12-31, UTC) or a duration (90m, 12h, 30d, 8w)
  TOLOKA_TOKEN             (environment) the Toloka token the key acts with; stored sealed.
                           With --local and no TOLOKA_TOKEN, the token of deno task start's
                           emulator (demo-upstream-token) is used, with a note
  The key is printed once, alone on stdout; details go to stderr.

list:
  Shows each key's id (the start of its hash), name, pools, expiry and creation time; never a
  key, a hash or a token.

revoke:
  Takes the key itself or its id from keys list (8 hex digits or more). The edge may accept a
  revoked key for up to about a minute (Workers KV caching).

migrate:
  Key records of version 1 (their seal does not cover their pools and expiry) are refused by
  the Worker until they are resealed as version 2. Without --yes, shows each v1 record's name,
  pools, expiry and whether its seal opens, and changes nothing; with --yes, reseals them (all,
  or the ids given), each only if it still has the scope just shown.
`;
