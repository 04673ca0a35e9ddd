"""A lock situation on demand: a session holds a lock, another (the "application") waits behind.

Runs on its own thread and event loop, so it works beside a Textual app run
by `snap_compare` (which owns the main loop) or a Pilot test.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import TYPE_CHECKING

import asyncpg

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextlib.contextmanager
def lock_queue(url: str, *, table: str = "orders", waiters: int = 1) -> Iterator[dict[str, int]]:
    """`psql` holds ACCESS EXCLUSIVE on `table`; `shop-api` sessions wait to read. Yields pids."""
    ready = threading.Event()
    stop = threading.Event()
    pids: dict[str, int] = {}
    errors: list[BaseException] = []

    async def scene() -> None:
        holder = await asyncpg.connect(url, server_settings={"application_name": "psql"})
        apps = [
            await asyncpg.connect(url, server_settings={"application_name": "shop-api"})
            for _ in range(waiters)
        ]
        try:
            await holder.execute(f"BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            pids["holder"] = holder.get_server_pid()
            tasks = [
                asyncio.ensure_future(a.fetchval(f"SELECT count(*) FROM {table}")) for a in apps
            ]
            for i, a in enumerate(apps):
                pids[f"waiter{i}"] = a.get_server_pid()
            # the waiters are queued once pg_locks shows them not granted
            while True:
                n = await holder.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = ANY($1::int[])",
                    [a.get_server_pid() for a in apps],
                )
                if n == len(apps):
                    break
                await asyncio.sleep(0.02)
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.02)
            await holder.execute("ROLLBACK")
            await asyncio.gather(*tasks)
        finally:
            for c in (holder, *apps):
                await c.close()

    def main() -> None:
        try:
            asyncio.run(scene())
        except BaseException as e:  # noqa: BLE001  # reported to the test
            errors.append(e)
            ready.set()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    ready.wait(30)
    if errors:
        raise errors[0]
    try:
        yield pids
    finally:
        stop.set()
        thread.join(30)
