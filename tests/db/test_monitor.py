"""The lock monitor against real PostgreSQL: waits, blockers, chains, reconnection, `locks`.

Every wait here is real: sessions hold locks in open transactions and other
sessions queue behind them; the monitor watches from its own connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from click.testing import CliRunner

from studio.cli import cli, locks_cmd
from studio.cli.locks_cmd import render_text
from studio.commands.files import load_migrations
from studio.config import Settings
from studio.errors import ConnectionFailed
from studio.migrations import files as migrations
from studio.run import monitor, runner
from studio.run.events import (
    Event,
    LockTimeoutRetry,
    MigrationFinished,
    QueueGuardTripped,
    RunFinished,
)
from studio.run.executor import Backoff
from studio.run.queue_guard import QueueGuard

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Callable
    from pathlib import Path

    from studio.run.monitor import Snapshot
    from studio.sources.devdb.cluster import Cluster


class Sessions:
    """Application sessions of a test: open ones, statements left waiting, all ended at teardown."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conns: list[asyncpg.Connection] = []
        self.tasks: list[asyncio.Task[Any]] = []

    async def open(self, app: str, url: str | None = None) -> asyncpg.Connection:
        # a lock_timeout far above any test's patience: a broken test fails, it never hangs
        settings = {"application_name": app, "lock_timeout": "60s"}
        conn = await asyncpg.connect(url or self.url, server_settings=settings)
        self.conns.append(conn)
        return conn

    async def hold(self, app: str, *sql: str, url: str | None = None) -> asyncpg.Connection:
        """A session with an open transaction that ran `sql` (and so holds its locks)."""
        conn = await self.open(app, url)
        await conn.execute("BEGIN")
        for statement in sql:
            await conn.execute(statement)
        return conn

    async def wait_in(self, app: str, sql: str, url: str | None = None) -> asyncpg.Connection:
        """A session running `sql` in the background (it is expected to wait)."""
        conn = await self.open(app, url)
        self.tasks.append(asyncio.create_task(conn.execute(sql)))
        return conn

    async def close(self) -> None:
        for conn in self.conns:
            conn.terminate()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[Sessions]:
    s = Sessions(db_url)
    conn = await asyncpg.connect(db_url)
    await conn.execute(
        'CREATE SCHEMA "Sales"; CREATE TABLE "Sales"."order items" (id int PRIMARY KEY, qty int)'
    )
    await conn.execute('INSERT INTO "Sales"."order items" VALUES (1, 1), (2, 2)')
    await conn.close()
    try:
        yield s
    finally:
        await s.close()


TABLE = '"Sales"."order items"'
FAST = Backoff(base=0.05, cap=0.2)


@contextlib.asynccontextmanager
async def watching(target: Any, **kw: Any) -> AsyncIterator[AsyncGenerator[Snapshot, None]]:
    stream = monitor.watch(target, **kw)
    async with contextlib.aclosing(stream):
        yield stream


async def until(
    stream: AsyncGenerator[Snapshot, None], pred: Callable[[Snapshot], bool], timeout: float = 10.0
) -> Snapshot:
    """The first snapshot satisfying `pred`, failing after `timeout` seconds."""

    async def first() -> Snapshot:
        async for snap in stream:
            if pred(snap):
                return snap
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(first(), timeout)


async def test_ddl_wait_reported_within_a_second(sessions: Sessions) -> None:
    holder = await sessions.hold("reporting job", f"SELECT count(*) FROM {TABLE}")
    async with watching(sessions.url) as stream:
        first = await anext(stream)
        assert first.waits == () and not first.gap
        loop = asyncio.get_running_loop()
        started = loop.time()
        ddl = await sessions.wait_in("deploy", f"ALTER TABLE {TABLE} ADD COLUMN note text")
        snap = await until(stream, lambda s: s.wait_of(ddl.get_server_pid()) is not None)
        assert loop.time() - started < 1.0

    wait = snap.wait_of(ddl.get_server_pid())
    assert wait is not None
    assert wait.mode == "AccessExclusiveLock"
    assert wait.target.kind == "relation"
    assert wait.target.relation == TABLE
    assert str(wait.target) == TABLE
    assert wait.session.application == "deploy"
    assert wait.session.query.startswith("ALTER TABLE")
    assert wait.session.client is not None and wait.session.user == "postgres"
    assert 0 <= wait.waited < 2
    assert [b.session.pid for b in wait.blockers] == [holder.get_server_pid()]
    (blocker,) = wait.blockers
    assert blocker.granted and blocker.mode == "AccessShareLock" and not blocker.waiting
    assert blocker.session.application == "reporting job"
    assert blocker.session.state == "idle in transaction"
    assert blocker.session.query.startswith("SELECT count(*)")
    assert blocker.session.xact_age is not None and blocker.session.xact_age > 0
    (chain,) = snap.chains
    assert [r.pid for r in chain.roots] == [holder.get_server_pid()] and chain.depth == 2


async def test_three_level_chain(sessions: Sessions) -> None:
    holder = await sessions.hold("batch", f"UPDATE {TABLE} SET qty = qty + 1 WHERE id = 1")
    ddl = await sessions.wait_in("deploy", f"ALTER TABLE {TABLE} ALTER COLUMN qty SET NOT NULL")
    async with watching(sessions.url, interval=0.1) as stream:
        await until(stream, lambda s: s.wait_of(ddl.get_server_pid()) is not None)
        reader = await sessions.wait_in("web", f"SELECT * FROM {TABLE}")
        snap = await until(stream, lambda s: s.wait_of(reader.get_server_pid()) is not None)

    h, d, r = holder.get_server_pid(), ddl.get_server_pid(), reader.get_server_pid()
    (chain,) = snap.chains
    assert [s.pid for s in chain.roots] == [h]
    assert [w.pid for w in chain.waits] == [d, r]
    assert chain.depth == 3 and not chain.cycle
    assert chain.blocked_by(h) == (snap.wait_of(d),)
    read_wait = snap.wait_of(r)
    assert read_wait is not None and read_wait.mode == "AccessShareLock"
    # the SELECT conflicts with nothing the holder has: it queues behind the DDL
    (ahead,) = read_wait.blockers
    assert ahead.session.pid == d and not ahead.granted and ahead.waiting
    assert ahead.modes == ("AccessExclusiveLock",)
    assert {w.pid for w in snap.queued_behind(h)} == {d, r}
    assert [w.pid for w in snap.queued_behind(d)] == [r]
    holding = snap.wait_of(d)
    assert holding is not None and holding.blockers[0].modes == ("RowExclusiveLock",)

    text = render_text(snap, "db")
    assert "1 chain" in text and "3 waiting" not in text and "2 waiting" in text
    lines = text.splitlines()
    root_line = next(i for i, ln in enumerate(lines) if ln.startswith(f"pid {h} (batch)"))
    ddl_line = next(i for i, ln in enumerate(lines) if f"pid {d} (deploy)" in ln)
    read_line = next(i for i, ln in enumerate(lines) if f"pid {r} (web)" in ln)
    assert root_line < ddl_line < read_line
    assert f"AccessExclusiveLock on {TABLE}" in lines[ddl_line]
    assert f"pid {d} is queued first for AccessExclusiveLock" in lines[read_line]


async def test_row_and_advisory_targets(sessions: Sessions) -> None:
    holder = await sessions.hold(
        "worker",
        f"UPDATE {TABLE} SET qty = 5 WHERE id = 2",
        "SELECT pg_advisory_xact_lock(42), pg_advisory_xact_lock(-7, 3)",
    )
    xid = await holder.fetchval("SELECT pg_current_xact_id()::text")
    row = await sessions.wait_in("api", f"UPDATE {TABLE} SET qty = 6 WHERE id = 2")
    adv = await sessions.wait_in("cron", "SELECT pg_advisory_lock(42)")
    adv2 = await sessions.wait_in("cron2", "SELECT pg_advisory_lock(-7, 3)")
    pids = {c.get_server_pid() for c in (row, adv, adv2)}
    async with watching(sessions.url, interval=0.1) as stream:
        snap = await until(stream, lambda s: pids <= {w.pid for w in s.waits})

    by_pid = {w.pid: w for w in snap.waits}
    row_wait = by_pid[row.get_server_pid()]
    assert row_wait.target.kind == "transactionid"
    assert str(row_wait.target) == f"transaction {xid}"
    assert row_wait.mode == "ShareLock"
    assert row_wait.blockers[0].session.pid == holder.get_server_pid()
    assert row_wait.blockers[0].modes == ("ExclusiveLock",)
    assert str(by_pid[adv.get_server_pid()].target) == "advisory lock 42"
    assert str(by_pid[adv2.get_server_pid()].target) == "advisory lock (-7, 3)"
    (chain,) = snap.chains
    assert chain.depth == 2 and len(chain.waits) == 3


async def test_deadlock_in_the_making_is_a_cycle(sessions: Sessions) -> None:
    a = await sessions.hold(
        "a", "SET deadlock_timeout = '30s'", f"UPDATE {TABLE} SET qty = 0 WHERE id = 1"
    )
    b = await sessions.hold(
        "b", "SET deadlock_timeout = '30s'", f"UPDATE {TABLE} SET qty = 0 WHERE id = 2"
    )
    sessions.tasks.append(
        asyncio.create_task(a.execute(f"UPDATE {TABLE} SET qty = 9 WHERE id = 2"))
    )
    sessions.tasks.append(
        asyncio.create_task(b.execute(f"UPDATE {TABLE} SET qty = 9 WHERE id = 1"))
    )
    async with watching(sessions.url, interval=0.1) as stream:
        snap = await until(stream, lambda s: len(s.waits) == 2)
    (chain,) = snap.chains
    assert chain.cycle and chain.roots == ()
    assert {w.pid for w in chain.waits} == {a.get_server_pid(), b.get_server_pid()}
    text = render_text(snap, "db")
    assert "deadlock" in text and "a cycle" in text


async def test_other_databases_only_with_all_databases(pg: Cluster, sessions: Sessions) -> None:
    other = await pg.create_database(f"monitor_other_{os.getpid()}_{id(sessions) % 10000}")
    try:
        setup = await asyncpg.connect(other)
        await setup.execute("CREATE TABLE elsewhere (id int)")
        await setup.close()
        await sessions.hold("far holder", "LOCK TABLE elsewhere IN SHARE MODE", url=other)
        far = await sessions.wait_in("far ddl", "DROP TABLE elsewhere", url=other)
        await sessions.hold("near holder", f"LOCK TABLE {TABLE} IN SHARE MODE")
        near = await sessions.wait_in("near ddl", f"DROP TABLE {TABLE}")
        far_pid, near_pid = far.get_server_pid(), near.get_server_pid()
        async with watching(sessions.url, interval=0.1, all_databases=True) as stream:
            everything = await until(
                stream, lambda s: {far_pid, near_pid} <= {w.pid for w in s.waits}
            )
        async with watching(sessions.url, interval=0.1) as stream:
            here = await until(stream, lambda s: near_pid in {w.pid for w in s.waits})
        assert far_pid not in {w.pid for w in here.waits}
        far_wait = everything.wait_of(far_pid)
        assert far_wait is not None and far_wait.session.database == other.rsplit("/", 1)[1]
        # a relation of another database cannot be named from here: its oid and database
        assert far_wait.target.relation is None and far_wait.target.description.startswith(
            "relation "
        )
        near_wait = everything.wait_of(near_pid)
        assert near_wait is not None and near_wait.target.relation == TABLE
    finally:
        await sessions.close()
        await pg.drop_database(other.rsplit("/", 1)[1])


async def test_reconnects_after_its_backend_is_terminated(sessions: Sessions) -> None:
    await sessions.hold("holder", f"LOCK TABLE {TABLE} IN ACCESS SHARE MODE")
    ddl = await sessions.wait_in("ddl", f"ALTER TABLE {TABLE} ADD COLUMN x int")
    admin = await sessions.open("admin")
    seen: list[Snapshot] = []
    async with watching(sessions.url, interval=0.1) as stream:
        await until(stream, lambda s: s.wait_of(ddl.get_server_pid()) is not None)
        sql = (
            "SELECT pid FROM pg_stat_activity"
            " WHERE application_name = $1 AND datname = current_database()"
        )
        (old_pid,) = [r["pid"] for r in await admin.fetch(sql, monitor.APPLICATION_NAME)]
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", old_pid)
        after = await until(stream, lambda s: seen.append(s) or (not s.gap and bool(s.waits)))
        (new_pid,) = [r["pid"] for r in await admin.fetch(sql, monitor.APPLICATION_NAME)]

    gaps = [s for s in seen if s.gap]
    assert gaps, "the lost connection shows as a gap"
    assert seen.index(gaps[0]) < seen.index(after)
    assert gaps[0].waits == () and gaps[0].error and "lost" in gaps[0].error
    assert after.wait_of(ddl.get_server_pid()) is not None
    assert new_pid != old_pid


async def test_a_given_connection_is_used_not_reopened(sessions: Sessions) -> None:
    conn = await sessions.open("my monitor")
    async with watching(conn, interval=0.05) as stream:
        assert not (await anext(stream)).gap
        conn.terminate()
        with pytest.raises(ConnectionFailed, match="connection lost"):
            await anext(stream)


async def test_sample_is_one_shot_and_fresh_inside_a_transaction(sessions: Sessions) -> None:
    conn = await sessions.open("sampler")
    await conn.execute("BEGIN")
    assert (await monitor.sample(conn)).waits == ()
    await sessions.hold("holder", f"LOCK TABLE {TABLE} IN SHARE MODE")
    ddl = await sessions.wait_in("ddl", f"DELETE FROM {TABLE}")
    for _ in range(100):
        snap = await monitor.sample(conn)
        if snap.waits:
            break
        await asyncio.sleep(0.02)
    assert [w.pid for w in snap.waits] == [ddl.get_server_pid()]
    assert snap.waits[0].mode == "RowExclusiveLock"


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


async def test_locks_json_is_one_object_per_line_per_change(sessions: Sessions) -> None:
    holder = await sessions.hold("holder", f"SELECT * FROM {TABLE}")
    ddl = await sessions.wait_in("ddl", f"ALTER TABLE {TABLE} ADD COLUMN y int")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "studio", "locks", "--db", sessions.url, "--format", "json",
        "--interval", "0.1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        # Ctrl-C as at a terminal: a run started in the background (`cmd &` without job
        # control) has SIGINT ignored, and the child would inherit that
        preexec_fn=_interruptible,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        objects: list[dict[str, Any]] = []

        async def line() -> dict[str, Any]:
            assert proc.stdout is not None
            raw = await asyncio.wait_for(proc.stdout.readline(), 15)
            assert raw.endswith(b"\n")
            obj = json.loads(raw)
            assert isinstance(obj, dict)
            objects.append(obj)
            return obj

        first = await line()
        if not first["waits"]:  # the DDL had not started waiting yet
            first = await line()
        assert [w["session"]["pid"] for w in first["waits"]] == [ddl.get_server_pid()]
        wait = first["waits"][0]
        assert wait["mode"] == "AccessExclusiveLock" and wait["target"]["relation"] == TABLE
        assert wait["blockers"][0]["session"]["pid"] == holder.get_server_pid()
        # a change, not a poll: the SELECT joining the queue is the next line
        reader = await sessions.wait_in("reader", f"SELECT * FROM {TABLE}")
        second = await line()
        assert {w["session"]["pid"] for w in second["waits"]} == {
            ddl.get_server_pid(),
            reader.get_server_pid(),
        }
        if len(objects) < 3:
            await holder.execute("ROLLBACK")
            third = await line()
            assert third["waits"] == [] and third["gap"] is False
        await asyncio.sleep(0.3)  # three polls with no change: no line for them
        proc.send_signal(signal.SIGINT)  # Ctrl-C: exit status 0
        rest, err = await asyncio.wait_for(proc.communicate(), 15)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0
    assert rest == b""  # exactly three lines: one per change
    assert len(objects) == 3
    assert {"taken_at", "waits", "chains", "gap", "error"} <= set(objects[0])
    assert b"lock waits on" in err


async def test_locks_count_counts_polls_on_a_quiet_database(db_url: str) -> None:
    """--count N stops after N polls, changed or not (it waited forever for a change)."""
    for fmt in ("json", "text"):
        out = io.StringIO()
        await asyncio.wait_for(
            locks_cmd.tail(db_url, interval=0.01, all_databases=False, fmt=fmt, count=3, out=out),
            10,
        )
        assert ("no lock waits" in out.getvalue()) == (fmt == "text")
        assert len(out.getvalue().strip().splitlines()) == 1  # one poll printed, two unchanged
    help_text = " ".join(CliRunner().invoke(cli, ["locks", "--help"]).output.split())
    assert "Stop after N snapshots (polls), whether or not they changed" in help_text


async def test_locks_text_piped_prints_a_block_per_change(sessions: Sessions) -> None:
    await sessions.hold("holder", f"SELECT * FROM {TABLE}")
    ddl = await sessions.wait_in("ddl", f"ALTER TABLE {TABLE} ADD COLUMN z int")
    async with watching(sessions.url, interval=0.1) as stream:
        await until(stream, lambda s: bool(s.waits))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "studio", "locks", "--db", sessions.url, "--count", "1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 15)
    assert proc.returncode == 0
    text = out.decode()
    assert "\x1b[" not in text  # no screen control when piped
    assert f"pid {ddl.get_server_pid()} (ddl)  waits" in text
    assert f"AccessExclusiveLock on {TABLE}" in text


def test_locks_masks_the_password(db_url: str) -> None:
    import subprocess

    url = db_url.replace("postgres@", "postgres:hunter2@", 1)
    proc = subprocess.run(
        [sys.executable, "-m", "studio", "locks", "--db", url, "--count", "1", "--format", "json"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "hunter2" not in proc.stdout + proc.stderr
    assert "postgres:***@" in proc.stderr
    assert json.loads(proc.stdout)["waits"] == []


# --- the runner's lock-queue guard ------------------------------------------------------------


def guarded_project(tmp_path: Path, db_url: str, sql: str, **settings: Any) -> Settings:
    """A project with one migration running `sql`, and settings for the run."""
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "20250101000001_guarded.sql").write_text(sql)
    migrations.write_sum(directory)
    (tmp_path / "pyproject.toml").write_text('[tool.schema-studio]\nmigrations = "migrations"\n')
    return Settings(root=tmp_path, db_override=db_url, **settings)


async def migrator_waiting(url: str, timeout: float = 10.0) -> int:
    """The pid of the migrator once it waits for a lock."""
    conn = await asyncpg.connect(url)
    try:
        async with asyncio.timeout(timeout):
            while True:
                snap = await monitor.sample(conn)
                for w in snap.waits:
                    if w.session.application == runner.APPLICATION_NAME:
                        return w.pid
                await asyncio.sleep(0.02)
    finally:
        await conn.close()


async def test_queue_guard_cancels_a_step_the_application_queues_behind(
    tmp_path: Path, sessions: Sessions
) -> None:
    guard, interval = 1.0, monitor.DEFAULT_INTERVAL
    settings = guarded_project(
        tmp_path,
        sessions.url,
        f"ALTER TABLE {TABLE} ADD COLUMN note text;\n",
        lock_timeout="10s",
        queue_guard=guard,
        retries=20,
    )
    holder = await sessions.hold("nightly report", f"SELECT count(*) FROM {TABLE}")
    events: list[Event] = []
    tripped = asyncio.Event()

    def sink(event: Event) -> None:
        events.append(event)
        if isinstance(event, QueueGuardTripped) and event.attempt >= 2:
            tripped.set()

    migration = asyncio.create_task(
        runner.apply(sessions.url, settings, load_migrations(settings), on_event=sink, backoff=FAST)
    )
    migrator = await migrator_waiting(sessions.url)

    # the application keeps reading the table: each read queues behind the waiting ALTER
    app_waits: list[float] = []
    stop = asyncio.Event()

    async def app(name: str) -> None:
        conn = await sessions.open(name)
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            t0 = loop.time()
            await conn.fetchval(f"SELECT count(*) FROM {TABLE}")
            app_waits.append(loop.time() - t0)
            await asyncio.sleep(0.05)

    apps = [asyncio.create_task(app(f"web {i}")) for i in range(3)]
    try:
        await asyncio.wait_for(tripped.wait(), 20)  # cancelled twice: guarded on every attempt
        await holder.execute("ROLLBACK")
        result = await asyncio.wait_for(migration, 20)
    finally:
        stop.set()
        await asyncio.gather(*apps, return_exceptions=True)
        if not migration.done():
            migration.cancel()

    assert result.versions == ("20250101000001",)
    # lock_timeout (10 s) never fired: the guard let the application through each time
    assert app_waits and max(app_waits) <= guard + interval + 0.1, sorted(app_waits)[-3:]
    trips = [e for e in events if isinstance(e, QueueGuardTripped)]
    retries = [e for e in events if isinstance(e, LockTimeoutRetry)]
    assert len(trips) >= 2 and len(retries) == len(trips)
    assert all(r.cause == "queue_guard" for r in retries)
    assert events.index(trips[0]) < events.index(retries[0])
    trip = trips[0]
    assert trip.mode == "AccessExclusiveLock" and trip.target == TABLE
    assert guard <= trip.waited <= guard + interval + 0.1
    assert trip.queued >= 1 and 0 < trip.queued_longest <= trip.waited
    (blocker,) = trip.blockers
    assert blocker.pid == holder.get_server_pid() != migrator
    assert blocker.application_name == "nightly report"
    assert blocker.query.startswith("SELECT count(*)")
    assert blocker.state == "idle in transaction"
    assert blocker.age is not None and blocker.age > guard
    assert blocker.modes == "AccessShareLock" and blocker.relation == TABLE
    assert "nightly report" in blocker.describe()
    assert isinstance(events[-1], RunFinished)
    assert any(isinstance(e, MigrationFinished) for e in events)
    conn = await sessions.open("check")
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'note'",
            TABLE,
        )
        == 1
    )


async def test_queue_guard_leaves_a_step_alone_while_nobody_queues(
    tmp_path: Path, sessions: Sessions
) -> None:
    settings = guarded_project(
        tmp_path, sessions.url, f"ALTER TABLE {TABLE} ADD COLUMN note text;\n",
        lock_timeout="10s", queue_guard=0.5,
    )  # fmt: skip
    holder = await sessions.hold("holder", f"SELECT count(*) FROM {TABLE}")
    events: list[Event] = []
    migration = asyncio.create_task(
        runner.apply(
            sessions.url, settings, load_migrations(settings), on_event=events.append, backoff=FAST
        )
    )
    try:
        await migrator_waiting(sessions.url)
        await asyncio.sleep(1.5)  # three times queue_guard, alone in the queue
        await holder.execute("COMMIT")
        result = await asyncio.wait_for(migration, 20)
    finally:
        if not migration.done():
            migration.cancel()
    assert result.versions == ("20250101000001",)
    assert not [e for e in events if isinstance(e, (QueueGuardTripped, LockTimeoutRetry))]


async def test_queue_guard_that_cannot_connect_stays_out_of_the_way(sessions: Sessions) -> None:
    conn = await sessions.open("migrator")
    nowhere = "postgresql://postgres@127.0.0.1:1/nowhere"
    async with (
        QueueGuard.running(nowhere, limit=0.2) as guard,
        guard.watch(conn) as watched,
    ):
        await conn.execute("SELECT pg_sleep(0.6)")
    assert watched.trip is None
    assert guard.error is not None and "cannot connect" in guard.error
