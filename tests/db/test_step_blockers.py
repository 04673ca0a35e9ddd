"""Who held a migration step up, named while it still holds on (issue 14, items 8 and 9).

- `DROP TRIGGER ... ON public.orders` behind a transaction that wrote to the
  table, while the application writes to it: the holder is named, idle in
  transaction and for how long; the application's sessions, which queued
  behind the step and got their lock once it gave up, are not.
- `CREATE INDEX CONCURRENTLY` behind a REPEATABLE READ snapshot: the session
  holding the snapshot is named, and the invalid index the build left is
  dropped when the step gives up, or, when the holder blocks the drop too,
  named with the statement that drops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest

from studio.commands.files import load_migrations
from studio.config import Settings
from studio.errors import LockTimeoutExceeded
from studio.migrations import files as migrations
from studio.run import runner
from studio.run.events import Event, LockTimeoutRetry
from studio.run.runner import Backoff

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

FAST = Backoff(base=0.05, cap=0.2)
V1 = "20250101000001"


@pytest.fixture
def project(tmp_path: Path, db_url: str) -> Iterator[Settings]:
    """A project with an empty migrations directory, pointed at `db_url`, with short lock waits."""
    (tmp_path / "pyproject.toml").write_text('[tool.schema-studio]\nmigrations = "migrations"\n')
    (tmp_path / "migrations").mkdir()
    # the guard off: the blockers named here are the ones asked after lock_timeout
    # (step_blockers.sql), not the lock monitor's
    yield Settings(
        root=tmp_path, db_override=db_url, lock_timeout="300ms", retries=1, queue_guard=0
    )


def write(settings: Settings, sql: str) -> None:
    (settings.migrations_dir / f"{V1}_step.sql").write_text(sql)
    migrations.write_sum(settings.migrations_dir)


async def scalar(url: str, sql: str) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def migrate(settings: Settings, events: list[Event]) -> runner.RunResult:
    return await runner.apply(
        settings.db_override or "",
        settings,
        load_migrations(settings),
        on_event=events.append,
        backoff=FAST,
    )


@contextlib.asynccontextmanager
async def session(url: str, name: str, *script: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection named `name` that ran `script` (and may sit in the transaction it opened)."""
    conn = await asyncpg.connect(url, server_settings={"application_name": name})
    try:
        for sql in script:
            await conn.execute(sql)
        yield conn
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def application(url: str, writers: int = 3) -> AsyncIterator[list[int]]:
    """Sessions writing to public.orders in short transactions, as fast as they can; their pids."""
    conns = [
        await asyncpg.connect(url, server_settings={"application_name": "app"})
        for _ in range(writers)
    ]
    stop = asyncio.Event()

    async def write_loop(conn: asyncpg.Connection, key: int) -> None:
        while not stop.is_set():
            await conn.execute("UPDATE public.orders SET n = n + 1 WHERE id = $1", key)

    tasks = [asyncio.create_task(write_loop(c, i + 1)) for i, c in enumerate(conns)]
    try:
        yield [c.get_server_pid() for c in conns]
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for c in conns:
            await c.close()


ORDERS = """
CREATE TABLE public.orders (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);
INSERT INTO public.orders (id) SELECT g FROM generate_series(1, 10) g;
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON public.orders
    FOR EACH ROW EXECUTE FUNCTION public.touch();
"""


async def test_drop_trigger_names_the_open_write_not_the_application(
    project: Settings, db_url: str
) -> None:
    async with session(db_url, "setup", ORDERS):
        pass
    write(project, "DROP TRIGGER orders_touch ON public.orders;\n")
    settings = dataclasses.replace(project, retries=3, lock_timeout="200ms")
    events: list[Event] = []
    holder_script = ("BEGIN", "INSERT INTO public.orders (id) VALUES (100)")
    async with session(db_url, "holder", *holder_script) as holder, application(db_url) as app:
        await asyncio.sleep(0.5)  # the holder idles in its transaction a while
        with pytest.raises(LockTimeoutExceeded) as err:
            await migrate(settings, events)
        pid = holder.get_server_pid()
    retries = [e for e in events if isinstance(e, LockTimeoutRetry)]
    assert len(retries) == 3
    for retry in retries:
        assert [b.pid for b in retry.blockers] == [pid], (retry.blockers, app)
        blocker = retry.blockers[0]
        assert blocker.state == "idle in transaction" and blocker.age and blocker.age >= 0.5
        assert "RowExclusiveLock" in blocker.modes and blocker.relation == "orders"
    message = str(err.value)
    assert f"pid {pid} (holder" in message and "idle in transaction for" in message, message
    assert "holds RowExclusiveLock on orders" in message, message
    assert "idle, holds" not in message and not any(f"pid {p} " in message for p in app), message
    assert (
        await scalar(db_url, "SELECT count(*) FROM pg_trigger WHERE tgname = 'orders_touch'") == 1
    )


BUILD = "-- schema-studio:no-transaction\nCREATE INDEX CONCURRENTLY busy_a ON busy (a);\n"
BUSY = (
    "CREATE TABLE busy (a int); INSERT INTO busy SELECT generate_series(1, 1000);"
    " CREATE TABLE other (x int);"
)
INVALID = "SELECT count(*) FROM pg_index WHERE NOT indisvalid"


# a snapshot taken reading another table: the build waits for it, its table is not locked
SNAPSHOT = ("BEGIN ISOLATION LEVEL REPEATABLE READ", "SELECT count(*) FROM other")


async def test_concurrent_build_behind_an_old_snapshot_names_the_session_holding_it(
    project: Settings, db_url: str
) -> None:
    async with session(db_url, "setup", BUSY):
        pass
    write(project, BUILD)
    events: list[Event] = []
    async with session(db_url, "nightly report", *SNAPSHOT) as holder:
        await asyncio.sleep(0.5)  # the holder idles in its transaction a while
        with pytest.raises(LockTimeoutExceeded) as err:
            await migrate(project, events)
        pid = holder.get_server_pid()
    message = str(err.value)
    assert f"pid {pid} (nightly report" in message and "idle in transaction for" in message
    assert "holds a snapshot older than the index build" in message, message
    assert "last query: SELECT count(*) FROM other" in message, message
    retry = next(e for e in events if isinstance(e, LockTimeoutRetry))
    assert [(b.pid, b.snapshot, b.state) for b in retry.blockers] == [
        (pid, True, "idle in transaction")
    ]
    assert retry.blockers[0].age and retry.blockers[0].age >= 0.5


async def test_concurrent_build_that_gives_up_drops_its_invalid_index(
    project: Settings, db_url: str
) -> None:
    async with session(db_url, "setup", BUSY):
        pass
    write(project, BUILD)
    async with session(db_url, "nightly report", *SNAPSHOT):
        with pytest.raises(LockTimeoutExceeded) as err:
            await migrate(project, [])
        # dropped while the holder still holds its snapshot
        assert await scalar(db_url, INVALID) == 0
        assert await scalar(db_url, "SELECT to_regclass('busy_a') IS NULL")
    assert "; the invalid index busy_a its build left was dropped" in str(err.value)
    # the holder gone, the rerun builds it
    await migrate(project, [])
    assert await scalar(
        db_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'busy_a'::regclass"
    )


async def test_concurrent_build_whose_invalid_index_cannot_be_dropped_names_the_fix(
    project: Settings, db_url: str
) -> None:
    async with session(db_url, "setup", BUSY):
        pass
    write(project, BUILD)
    # the snapshot's session read the table too: its lock holds the drop up as well
    script = ("BEGIN ISOLATION LEVEL REPEATABLE READ", "SELECT count(*) FROM busy")
    async with session(db_url, "nightly report", *script) as holder:
        with pytest.raises(LockTimeoutExceeded) as err:
            await migrate(project, [])
        pid = holder.get_server_pid()
    assert f"pid {pid} (nightly report" in str(err.value)
    assert "holds AccessShareLock on busy, holds a snapshot" in str(err.value), str(err.value)
    assert "DROP INDEX CONCURRENTLY busy_a" in err.value.hint, err.value.hint
    assert await scalar(db_url, INVALID) == 1
    await migrate(project, [])
    assert await scalar(db_url, INVALID) == 0
