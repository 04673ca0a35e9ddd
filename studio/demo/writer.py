"""A small background writer that plays the demo's application.

It inserts orders and updates their status a few times a second, so the
studio's lock tail shows real traffic queueing behind a migration. It follows
the schema as the demo changes it: while orders.status is being renamed to
order_status (expand/contract), it writes whichever column exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from dataclasses import dataclass, field

import asyncpg

from studio.words import counted

APPLICATION_NAME = "demo-app"
_STATUSES = ("pending", "paid", "shipped", "cancelled")


@dataclass
class WriterStats:
    """What the writer did (shown when the demo ends)."""

    writes: int = 0
    errors: int = 0
    first_error: str = ""
    last_error: str = ""
    columns: list[str] = field(default_factory=list)

    def failed(self, error: BaseException) -> None:
        """Count a failed write, keeping the first reason and the last."""
        self.errors += 1
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        self.first_error = self.first_error or reason
        self.last_error = reason

    def summary(self) -> str:
        """`made 2,742 writes (1 failed: <why the first did>)`."""
        made = f"made {counted(self.writes, 'write')}"
        if not self.errors:
            return made
        also = f"; the last: {self.last_error}" if self.last_error != self.first_error else ""
        return f"{made} ({self.errors:,} failed: {self.first_error}{also})"


async def _status_column(conn: asyncpg.Connection) -> str:
    names = {
        r[0]
        for r in await conn.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass('public.orders')"
            " AND attnum > 0 AND NOT attisdropped"
        )
    }
    return "order_status" if "order_status" in names and "status" not in names else "status"


async def run_writer(url: str, stats: WriterStats, *, rate: float = 5.0, seed: int = 7) -> None:
    """Write until cancelled: one insert and one update per tick.

    Each runs under a short statement timeout.
    """
    rng = random.Random(seed)
    conn: asyncpg.Connection | None = None
    column = "status"
    try:
        while True:
            try:
                if conn is None or conn.is_closed():
                    conn = await asyncpg.connect(
                        url, server_settings={"application_name": APPLICATION_NAME}, timeout=5
                    )
                    column = await _status_column(conn)
                    stats.columns.append(column)
                status = rng.choice(_STATUSES)
                # the column name comes from the catalog, one of two fixed names
                await conn.execute(
                    f"INSERT INTO public.orders (user_id, total, {column}) VALUES ($1, $2, $3)",
                    rng.randint(1, 1000),
                    rng.randint(100, 90000),
                    status,
                )
                await conn.execute(
                    f"UPDATE public.orders SET {column} = $1 WHERE id = $2",
                    rng.choice(_STATUSES),
                    rng.randint(1, 100_000),
                )
                stats.writes += 2
            except (
                asyncpg.UndefinedColumnError,
                asyncpg.InvalidTextRepresentationError,
                asyncpg.DatatypeMismatchError,
            ) as e:
                stats.failed(e)
                if conn is not None:
                    column = await _status_column(conn)
            except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError) as e:
                stats.failed(e)
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
                conn = None
                await asyncio.sleep(0.5)
            await asyncio.sleep(1.0 / rate)
    finally:
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await conn.close()


class BackgroundWriter:
    """The writer on a thread of its own, so it runs beside any event loop.

    The studio's event loop included.
    """

    def __init__(self, url: str, *, rate: float = 5.0) -> None:
        self.stats = WriterStats()
        self._url, self._rate = url, rate
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="demo-writer", daemon=True)

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._task = loop.create_task(run_writer(self._url, self.stats, rate=self._rate))
        self._ready.set()
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(self._task)
        loop.close()

    def start(self) -> BackgroundWriter:
        """Start writing."""
        self._thread.start()
        self._ready.wait(5)
        return self

    def stop(self) -> WriterStats:
        """Stop writing and wait for the thread; returns what it did."""
        if self._loop is not None and self._task is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(10)
        return self.stats
