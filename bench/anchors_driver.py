"""Times toloka-kit's own listing calls for `bench/anchors.ts` (figure 9 of `deno task bench`).

Run by the benchmark inside the virtual environment it creates, never by hand:

    python anchors_driver.py API_URL TOKEN POOL_ID MAX_ITEMS MAX_SECONDS

API_URL is the emulator's origin (toloka-kit requests `/api/v1/attachments` under it). It prints
one JSON line `{"ready": ..., "version": ...}`, then answers each command read from stdin, one a
line: `sync` times `TolokaClient.get_attachments`, `async` times
`AsyncTolokaClient.get_attachments` (the call Toloka documents for this job), both with
`pool_id=POOL_ID, batch_size=100`, each run stopping after MAX_ITEMS items or MAX_SECONDS
seconds, and it answers `{"client": ..., "items": N, "seconds": S}` (or `{"error": ...}`).
`quit` or the end of stdin ends it.
"""

import asyncio
import json
import sys
import time


def reply(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main():
    url, token, pool_id, max_items, max_seconds = sys.argv[1:6]
    max_items, max_seconds = int(max_items), float(max_seconds)

    from toloka.__version__ import __version__ as version
    from toloka.async_client import AsyncTolokaClient
    from toloka.client import TolokaClient

    sync_client = TolokaClient(token, url=url)
    loop = asyncio.new_event_loop()
    # toloka-kit keeps one HTTP session per event loop: one loop for every run.
    async_client = AsyncTolokaClient(token, url=url)

    def run_sync():
        items, started = 0, time.perf_counter()
        for _ in sync_client.get_attachments(pool_id=pool_id, batch_size=100):
            items += 1
            if items >= max_items or time.perf_counter() - started > max_seconds:
                break
        return items, time.perf_counter() - started

    async def run_async():
        items, started = 0, time.perf_counter()
        async for _ in async_client.get_attachments(pool_id=pool_id, batch_size=100):
            items += 1
            if items >= max_items or time.perf_counter() - started > max_seconds:
                break
        return items, time.perf_counter() - started

    reply({"ready": True, "version": version, "python": sys.version.split()[0]})
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            break
        try:
            if command == "sync":
                items, seconds = run_sync()
            elif command == "async":
                items, seconds = loop.run_until_complete(run_async())
            else:
                raise ValueError(f"unknown command {command!r}")
            reply({"client": command, "items": items, "seconds": seconds})
        except Exception as error:  # reported to the benchmark, which stops with it
            reply({"error": f"{type(error).__name__}: {error}"})


if __name__ == "__main__":
    main()
