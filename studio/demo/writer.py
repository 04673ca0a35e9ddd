"""A small background writer that plays the demo's application.

It inserts and updates orders and users a few times a second, so the
studio's lock tail shows real traffic queueing behind a migration. It follows
the schema as the demo changes it: the demo renames two columns by
expand/contract (orders.status to order_status, users.name to full_name), and
for each the writer writes whichever column exists, as the old application
version writes the old column while it is there and the new version the new
one once the contract dropped the old.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import threading
from dataclasses import dataclass, field

import asyncpg

from studio.words import counted

APPLICATION_NAME = "demo-app"
_STATUSES = ("pending", "paid", "shipped", "cancelled")
_NAMES = ("Ada Lovelace", "Grace Hopper", "Edgar Codd", "Barbara Liskov", "Michael Stonebraker")


@dataclass(frozen=True, slots=True)
class Renamed:
    """A column the demo renames by expand/contract: `old` until the contract drops it, `new`."""

    table: str
    old: str
    new: str


ORDERS = Renamed("orders", "status", "order_status")
USERS = Renamed("users", "name", "full_name")
TABLES = (ORDERS, USERS)


@dataclass
class TableStats:
    """What the writer did to one table."""

    writes: int = 0
    errors: int = 0
    first_error: str = ""
    last_error: str = ""

    def failed(self, error: BaseException) -> None:
        """Count a failed write, keeping the first reason and the last."""
        self.errors += 1
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        self.first_error = self.first_error or reason
        self.last_error = reason

    def summary(self, table: str) -> str:
        """`1,371 to orders (1 failed: <why the first did>)`."""
        made = f"{self.writes:,} to {table}"
        if not self.errors:
            return made
        also = f"; the last: {self.last_error}" if self.last_error != self.first_error else ""
        return f"{made} ({self.errors:,} failed: {self.first_error}{also})"


@dataclass
class WriterStats:
    """What the writer did (shown when the demo ends), table by table."""

    tables: dict[str, TableStats] = field(
        default_factory=lambda: {t.table: TableStats() for t in TABLES}
    )
    # the columns it wrote, `table.column`, in the order it took them up
    columns: list[str] = field(default_factory=list)

    @property
    def writes(self) -> int:
        """Writes that went through, every table's."""
        return sum(t.writes for t in self.tables.values())

    @property
    def errors(self) -> int:
        """Writes that failed, every table's."""
        return sum(t.errors for t in self.tables.values())

    def summary(self) -> str:
        """`made 2,742 writes: 1,371 to orders, 1,371 to users (1 failed: <why it did>)`."""
        parts = ", ".join(s.summary(table) for table, s in self.tables.items())
        return f"made {counted(self.writes, 'write')}: {parts}"


async def _columns(conn: asyncpg.Connection) -> dict[str, str]:
    """The column each renamed pair is written through now: the old one while it exists."""
    present = {
        (r[0], r[1])
        for r in await conn.fetch(
            "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " WHERE a.attrelid IN (to_regclass('public.orders'), to_regclass('public.users'))"
            " AND a.attnum > 0 AND NOT a.attisdropped"
        )
    }
    return {
        t.table: t.new if (t.table, t.new) in present and (t.table, t.old) not in present else t.old
        for t in TABLES
    }


class _Writes:
    """One tick's writes to each table; the column names come from the catalog (`_columns`)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        # the users' emails are unique: a tag of this writer's own and a counter
        self.tag, self.made = secrets.token_hex(4), 0
        self.by_table = {ORDERS.table: self.orders, USERS.table: self.users}

    async def orders(self, conn: asyncpg.Connection, column: str) -> None:
        rng = self.rng
        await conn.execute(
            f"INSERT INTO public.orders (user_id, total, {column}) VALUES ($1, $2, $3)",
            rng.randint(1, 1000),
            rng.randint(100, 90000),
            rng.choice(_STATUSES),
        )
        await conn.execute(
            f"UPDATE public.orders SET {column} = $1 WHERE id = $2",
            rng.choice(_STATUSES),
            rng.randint(1, 100_000),
        )

    async def users(self, conn: asyncpg.Connection, column: str) -> None:
        rng = self.rng
        self.made += 1
        await conn.execute(
            f"INSERT INTO public.users (email, {column}) VALUES ($1, $2)",
            f"app-{self.tag}-{self.made}@example.com",
            rng.choice(_NAMES),
        )
        await conn.execute(
            f"UPDATE public.users SET {column} = $1 WHERE id = $2",
            rng.choice(_NAMES),
            rng.randint(1, 10_000),
        )


# a write through a column renamed (or retyped) under it: take up the column that exists now
_SCHEMA_MOVED = (
    asyncpg.UndefinedColumnError,
    asyncpg.InvalidTextRepresentationError,
    asyncpg.DatatypeMismatchError,
)


async def run_writer(url: str, stats: WriterStats, *, rate: float = 5.0, seed: int = 7) -> None:
    """Write until cancelled: one insert and one update per table per tick."""
    writes = _Writes(random.Random(seed))
    conn: asyncpg.Connection | None = None
    columns: dict[str, str] = {}
    try:
        while True:
            try:
                if conn is None or conn.is_closed():
                    conn = await asyncpg.connect(
                        url, server_settings={"application_name": APPLICATION_NAME}, timeout=5
                    )
                    columns = await _take_up(conn, stats, {})
                for table in TABLES:
                    try:
                        await writes.by_table[table.table](conn, columns[table.table])
                        stats.tables[table.table].writes += 2
                    except _SCHEMA_MOVED as e:
                        stats.tables[table.table].failed(e)
                        columns = await _take_up(conn, stats, columns)
                    except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError) as e:
                        stats.tables[table.table].failed(e)
                        raise
            except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError):
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


async def _take_up(
    conn: asyncpg.Connection, stats: WriterStats, before: dict[str, str]
) -> dict[str, str]:
    """The columns to write now; each newly taken up is noted in `stats.columns`."""
    now = await _columns(conn)
    for table, column in now.items():
        if before.get(table) != column:
            stats.columns.append(f"{table}.{column}")
    return now


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
