"""The runner against real PostgreSQL: history, transactions, resume, locks, timeouts, rollback.

In-process tests call `studio.run.runner` directly; the process-level tests
(SIGKILL mid-migration, ten migrators at once) run `python -m studio migrate`
in subprocesses, as a deployment would.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest

from studio.commands.baseline import baseline
from studio.commands.files import load_migrations
from studio.commands.migrate import migrate
from studio.commands.rollback import rollback
from studio.commands.status import status
from studio.config import Settings
from studio.errors import ChecksumMismatch, LockTimeoutExceeded, StudioError
from studio.migrations import files as migrations
from studio.run import runner
from studio.run.events import (
    Event,
    InvalidIndexDropped,
    LockTimeoutRetry,
    MigrationFailed,
    MigrationStarted,
    StepFinished,
    StepStarted,
    WaitingForMigrator,
    stream,
)
from studio.run.history import HistoryTable, MigratorBusy, State
from studio.run.runner import Backoff, OutOfOrder, StatementTimeout

if TYPE_CHECKING:
    from collections.abc import Iterator

FAST = Backoff(base=0.05, cap=0.2)
V1, V2, V3, V4 = "20250101000001", "20250101000002", "20250101000003", "20250101000004"


def write(directory: Path, version: str, slug: str, up: str, down: str | None = None) -> Path:
    """A migration file (and down file) written by hand, then the sum rewritten."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{version}_{slug}.sql"
    path.write_text(up)
    if down is not None:
        (directory / f"{version}_{slug}.down.sql").write_text(down)
    migrations.write_sum(directory)
    return path


@pytest.fixture
def project(tmp_path: Path, db_url: str) -> Iterator[Settings]:
    """A project folder with a pyproject.toml and an empty migrations directory.

    Pointed at `db_url`.
    """
    (tmp_path / "pyproject.toml").write_text('[tool.schema-studio]\nmigrations = "migrations"\n')
    (tmp_path / "migrations").mkdir()
    yield Settings(root=tmp_path, db_override=db_url)


def mdir(settings: Settings) -> Path:
    return settings.migrations_dir


def with_(settings: Settings, **changes: Any) -> Settings:
    import dataclasses

    return dataclasses.replace(settings, **changes)


async def fetch(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def history_rows(url: str) -> list[dict[str, Any]]:
    rows = await fetch(url, "SELECT * FROM schema_studio.migrations ORDER BY version")
    return [dict(r) for r in rows]


async def apply(
    settings: Settings, events: list[Event] | None = None, **kw: Any
) -> runner.RunResult:
    ms = load_migrations(settings)
    kw.setdefault("backoff", FAST)
    return await runner.apply(
        settings.db_override or "",
        settings,
        ms,
        on_event=events.append if events is not None else None,
        **kw,
    )


TWO_STEPS = """-- create and fill t
-- schema-studio:step
-- create table t
CREATE TABLE t (id int PRIMARY KEY, note text);
-- schema-studio:step
-- fill it
INSERT INTO t SELECT g, 'n' || g FROM generate_series(1, 100) g;
"""

STEPWISE = """-- schema-studio:step
CREATE TABLE s (a int, b int);
INSERT INTO s SELECT g, g % 7 FROM generate_series(1, 200) g;
-- schema-studio:step
-- schema-studio:no-transaction
-- index s.a
CREATE INDEX CONCURRENTLY s_a ON s (a);
-- schema-studio:step
ALTER TABLE s ADD COLUMN c int;
"""


# --- apply and history ---------------------------------------------------------------------


async def test_apply_records_history_and_events(project: Settings, db_url: str) -> None:
    write(mdir(project), V1, "two_steps", TWO_STEPS)
    write(mdir(project), V2, "stepwise", STEPWISE)
    events: list[Event] = []
    result = await apply(project, events)
    assert result.versions == (V1, V2)

    rows = await history_rows(db_url)
    assert [(r["version"], r["steps_done"], r["steps_total"]) for r in rows] == [
        (V1, 2, 2),
        (V2, 3, 3),
    ]
    me = (await fetch(db_url, "SELECT current_user"))[0][0]
    for r in rows:
        assert r["finished_at"] is not None and r["finished_at"] >= r["started_at"]
        assert r["duration_ms"] is not None and r["duration_ms"] >= 0
        assert r["applied_by"] == me and r["client_host"] and r["tool_version"]
        assert r["kind"] == "migrate"
    assert rows[0]["checksum"] == migrations.load_directory(mdir(project))[0].checksum
    assert (await fetch(db_url, "SELECT count(*) FROM t"))[0][0] == 100
    assert (
        await fetch(db_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 's_a'::regclass")
    )[0][0]

    started = [e for e in events if isinstance(e, MigrationStarted)]
    assert [(e.version, e.transactional) for e in started] == [(V1, True), (V2, False)]
    finished_steps = [(e.version, e.index) for e in events if isinstance(e, StepFinished)]
    assert finished_steps == [(V1, 1), (V1, 2), (V2, 1), (V2, 2), (V2, 3)]
    assert all(isinstance(e, Event) for e in events)
    stamps = [e.at for e in events]
    assert stamps == sorted(stamps)

    again = await apply(project)
    assert again.versions == ()


async def test_stream_yields_events_then_raises(project: Settings, db_url: str) -> None:
    write(mdir(project), V1, "broken", "CREATE TABLE a (x int);\nSELECT * FROM nope;\n")
    ms = load_migrations(project)
    seen: list[Event] = []
    with pytest.raises(StudioError, match="step 2"):
        async for event in stream(lambda sink: runner.apply(db_url, project, ms, on_event=sink)):
            seen.append(event)
    assert isinstance(seen[-1], MigrationFailed) and seen[-1].index == 2


async def test_transactional_migration_is_all_or_nothing(project: Settings, db_url: str) -> None:
    write(mdir(project), V1, "broken", "CREATE TABLE a (x int);\n\nSELECT * FROM nope;\n")
    with pytest.raises(StudioError) as err:
        await apply(project)
    assert (
        "step 2" in err.value.message
        and "line 3" in err.value.message
        and "nope" in err.value.message
    )
    assert await fetch(db_url, "SELECT to_regclass('a')") == [(None,)]
    assert await history_rows(db_url) == []


async def test_stepwise_failure_keeps_finished_steps_and_resumes(
    project: Settings, db_url: str
) -> None:
    write(
        mdir(project),
        V1,
        "unique",
        """-- schema-studio:step
CREATE TABLE u (a int);
INSERT INTO u VALUES (1), (2), (2);
-- schema-studio:step
-- schema-studio:no-transaction
CREATE UNIQUE INDEX CONCURRENTLY u_a ON u (a);
-- schema-studio:step
ALTER TABLE u ADD COLUMN b int;
""",
    )
    with pytest.raises(StudioError) as err:
        await apply(project)
    assert "resume at step 2" in err.value.hint
    rows = await history_rows(db_url)
    assert [(r["steps_done"], r["finished_at"]) for r in rows] == [(1, None)]
    # the failed concurrent build left an invalid index behind
    assert await fetch(
        db_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('u_a')"
    ) == [(False,)]
    status = await runner.status(db_url, project, load_migrations(project))
    assert [e.state for e in status.entries] == [State.PARTIAL]

    await fetch(db_url, "DELETE FROM u WHERE ctid = (SELECT max(ctid) FROM u WHERE a = 2)")
    events: list[Event] = []
    await apply(project, events)
    assert any(isinstance(e, InvalidIndexDropped) and e.index_name == "u_a" for e in events)
    assert [e.steps_done for e in events if isinstance(e, MigrationStarted)] == [1]
    assert [e.index for e in events if isinstance(e, StepStarted)] == [2, 3]
    rows = await history_rows(db_url)
    assert [(r["steps_done"], r["steps_total"]) for r in rows] == [(3, 3)] and rows[0][
        "finished_at"
    ]
    assert await fetch(db_url, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(0,)]


# --- lock_timeout, retries, statement_timeout ----------------------------------------------------


async def test_lock_timeout_retries_until_the_holder_lets_go(
    project: Settings, db_url: str
) -> None:
    await fetch(db_url, "CREATE TABLE busy (a int)")
    write(mdir(project), V1, "alter_busy", "ALTER TABLE busy ADD COLUMN b int;\n")
    settings = with_(project, lock_timeout="100ms", retries=20)
    holder = await asyncpg.connect(db_url)
    await holder.execute("BEGIN; SELECT * FROM busy")
    holder_pid = holder.get_server_pid()
    events: list[Event] = []
    retried = asyncio.Event()

    def sink(event: Event) -> None:
        events.append(event)
        if isinstance(event, LockTimeoutRetry) and event.attempt >= 2:
            retried.set()

    ms = load_migrations(settings)
    task = asyncio.create_task(runner.apply(db_url, settings, ms, on_event=sink, backoff=FAST))
    try:
        await asyncio.wait_for(retried.wait(), timeout=20)
        await holder.execute("COMMIT")
        result = await asyncio.wait_for(task, timeout=20)
    finally:
        await holder.close()
    assert result.versions == (V1,)
    retries = [e for e in events if isinstance(e, LockTimeoutRetry)]
    assert retries and retries[0].whole_migration
    blocker = retries[0].blockers[0]
    assert blocker.pid == holder_pid
    assert "AccessShareLock" in blocker.modes and blocker.relation == "busy"
    assert blocker.state == "idle in transaction"
    assert await fetch(
        db_url,
        "SELECT count(*) FROM information_schema.columns"
        " WHERE table_name = 'busy' AND column_name = 'b'",
    ) == [(1,)]
    assert [r["steps_done"] for r in await history_rows(db_url)] == [1]


async def test_lock_timeout_gives_up_after_the_retries(project: Settings, db_url: str) -> None:
    await fetch(db_url, "CREATE TABLE busy (a int)")
    write(mdir(project), V1, "alter_busy", "ALTER TABLE busy ADD COLUMN b int;\n")
    settings = with_(project, lock_timeout="50ms", retries=3)
    holder = await asyncpg.connect(db_url)
    await holder.execute("BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE")
    events: list[Event] = []
    t0 = time.monotonic()
    try:
        with pytest.raises(LockTimeoutExceeded) as err:
            await runner.apply(
                db_url, settings, load_migrations(settings), on_event=events.append, backoff=FAST
            )
    finally:
        await holder.close()
    assert time.monotonic() - t0 < 10  # bounded: 4 attempts of 50 ms plus short backoffs
    assert f"pid {holder.get_server_pid()}" in str(err.value)
    assert "step 1" in str(err.value)
    assert len([e for e in events if isinstance(e, LockTimeoutRetry)]) == 3
    assert isinstance(events[-1], MigrationFailed)
    assert await history_rows(db_url) == []


async def test_lock_timeout_on_a_concurrent_index_step_is_retried(
    project: Settings, db_url: str
) -> None:
    await fetch(db_url, "CREATE TABLE busy (a int)")
    write(
        mdir(project),
        V1,
        "index_busy",
        "-- schema-studio:no-transaction\nCREATE INDEX CONCURRENTLY busy_a ON busy (a);\n",
    )
    settings = with_(project, lock_timeout="100ms", retries=30)
    holder = await asyncpg.connect(db_url)
    # SHARE UPDATE EXCLUSIVE conflicts with the concurrent build's own lock
    await holder.execute("BEGIN; LOCK TABLE busy IN SHARE UPDATE EXCLUSIVE MODE")
    events: list[Event] = []
    retried = asyncio.Event()

    def sink(event: Event) -> None:
        events.append(event)
        if isinstance(event, LockTimeoutRetry):
            retried.set()

    task = asyncio.create_task(
        runner.apply(db_url, settings, load_migrations(settings), on_event=sink, backoff=FAST)
    )
    try:
        await asyncio.wait_for(retried.wait(), timeout=20)
        await holder.execute("COMMIT")
        await asyncio.wait_for(task, timeout=30)
    finally:
        await holder.close()
    retry = next(e for e in events if isinstance(e, LockTimeoutRetry))
    assert not retry.whole_migration and retry.blockers[0].modes == "ShareUpdateExclusiveLock"
    assert await fetch(
        db_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('busy_a')"
    ) == [(True,)]
    # the session settings were reset after the step
    conn_settings = await fetch(db_url, "SELECT current_setting('lock_timeout')")
    assert conn_settings == [("0",)]


async def test_statement_timeout_names_the_step_and_the_limit(
    project: Settings, db_url: str
) -> None:
    write(mdir(project), V1, "slow", "CREATE TABLE a (x int);\nSELECT pg_sleep(5);\n")
    settings = with_(project, statement_timeout="200ms")
    t0 = time.monotonic()
    with pytest.raises(StatementTimeout) as err:
        await runner.apply(db_url, settings, load_migrations(settings))
    assert time.monotonic() - t0 < 4
    assert "step 2" in err.value.message and "statement_timeout (200ms)" in err.value.message
    assert await fetch(db_url, "SELECT to_regclass('a')") == [(None,)]
    assert await history_rows(db_url) == []


async def test_timeouts_are_local_to_the_migration(project: Settings, db_url: str) -> None:
    write(
        mdir(project),
        V1,
        "show",
        "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lt,"
        " current_setting('statement_timeout') AS st;\n",
    )
    await runner.apply(
        db_url,
        # the guard off: lock_timeout is every attempt's (with it, until it watches, queue_guard)
        with_(project, lock_timeout="1234ms", statement_timeout="5min", queue_guard=0),
        load_migrations(project),
    )
    assert await fetch(db_url, "SELECT lt, st FROM seen") == [("1234ms", "5min")]


# --- the migration lock ---------------------------------------------------------------------------


async def test_second_migrator_fails_at_once_naming_the_holder(
    project: Settings, db_url: str
) -> None:
    write(mdir(project), V1, "two_steps", TWO_STEPS)
    key = HistoryTable.parse(project.history_table).lock_key
    holder = await asyncpg.connect(db_url, server_settings={"application_name": "other-migrator"})
    await holder.execute("SELECT pg_advisory_lock($1)", key)
    try:
        t0 = time.monotonic()
        with pytest.raises(MigratorBusy) as err:
            await apply(project)
        assert time.monotonic() - t0 < 2
        assert f"pid {holder.get_server_pid()}" in str(err.value) and "other-migrator" in str(
            err.value
        )

        # with --wait it queues, and goes on once the holder is done
        events: list[Event] = []
        task = asyncio.create_task(apply(project, events, wait=10))
        await asyncio.sleep(0.5)
        assert not task.done()
        await holder.execute("SELECT pg_advisory_unlock($1)", key)
        result = await asyncio.wait_for(task, timeout=10)
    finally:
        await holder.close()
    assert result.versions == (V1,)
    assert isinstance(events[0], WaitingForMigrator) and events[0].holder is not None


# --- checksums, order, status ---------------------------------------------------------------------


async def test_edited_applied_migration_is_refused_naming_the_file(
    project: Settings, db_url: str
) -> None:
    path = write(mdir(project), V1, "two_steps", TWO_STEPS)
    await apply(project)
    path.write_text(TWO_STEPS.replace("100", "200"))
    with pytest.raises(ChecksumMismatch) as err:
        await migrate(project)
    assert path.name in str(err.value)
    with pytest.raises(ChecksumMismatch, match=path.name):
        await status(project)
    # blessing the edit with `hash` still does not get it past the history
    migrations.write_sum(mdir(project))
    with pytest.raises(ChecksumMismatch, match="changed after it was applied"):
        await migrate(project)
    report = await status(project)
    assert [e.state for e in report.status.entries] == [State.MODIFIED]


async def test_out_of_order_is_refused_unless_allowed(project: Settings, db_url: str) -> None:
    write(mdir(project), V2, "second", "CREATE TABLE second (a int);\n")
    await apply(project)
    write(mdir(project), V1, "first", "CREATE TABLE first (a int);\n")
    with pytest.raises(OutOfOrder, match=f"{V1}_first.sql is older"):
        await apply(project)
    report = await status(project)
    assert [(e.version, e.state, e.out_of_order) for e in report.status.entries] == [
        (V1, State.PENDING, True),
        (V2, State.APPLIED, False),
    ]
    result = await apply(project, allow_out_of_order=True)
    assert result.versions == (V1,)


async def test_status_and_to(project: Settings, db_url: str) -> None:
    for v, name in ((V1, "a"), (V2, "b"), (V3, "c")):
        write(mdir(project), v, name, f"CREATE TABLE {name} (x int);\n")
    report = await status(project)
    assert (
        not report.status.table_exists
        and [e.state for e in report.status.entries] == [State.PENDING] * 3
    )
    result = await apply(project, to=V2)
    assert result.versions == (V1, V2)
    (mdir(project) / f"{V1}_a.sql").unlink()
    migrations.write_sum(mdir(project))
    report = await status(project)
    assert [(e.version, e.state) for e in report.status.entries] == [
        (V1, State.MISSING),
        (V2, State.APPLIED),
        (V3, State.PENDING),
    ]
    result = await apply(project)
    assert result.versions == (V3,) and result.missing == (V1,)
    with pytest.raises(StudioError, match="no migration with version"):
        await apply(project, to="20990101000000")


async def test_migrate_tells_its_backend_and_status_may_skip_drift(
    project: Settings, db_url: str
) -> None:
    """What the studio asks of the use cases: the migrator's pid first, status without drift."""
    write(mdir(project), V1, "a", "CREATE TABLE a (x int);\n")
    pids: list[int] = []
    seen: list[Event] = []

    def sink(event: Event) -> None:
        seen.append(event)
        assert pids, "the pid comes before any event"

    result = await migrate(project, on_event=sink, on_backend=pids.append)
    assert result.versions == (V1,) and len(pids) == 1 and pids[0] > 0
    report = await status(project, drift=False)
    assert report.drift is None and report.drift_note == ""
    assert [(e.version, e.state) for e in report.status.entries] == [(V1, State.APPLIED)]


# --- rollback and baseline ------------------------------------------------------------------------


async def test_rollback_runs_down_files_newest_first(project: Settings, db_url: str) -> None:
    write(mdir(project), V1, "a", "CREATE TABLE a (x int);\n", "DROP TABLE a;\n")
    write(
        mdir(project),
        V2,
        "b",
        "CREATE TABLE b (x int);\n-- schema-studio:no-transaction\n"
        "CREATE INDEX CONCURRENTLY b_x ON b (x);\n",
        "-- schema-studio:no-transaction\nDROP INDEX CONCURRENTLY b_x;\nDROP TABLE b;\n",
    )
    write(mdir(project), V3, "c", "CREATE TABLE c (x int);\n")  # no down file
    await apply(project)

    with pytest.raises(StudioError, match=f"{V3}_c.sql has no down file"):
        await rollback(project)
    assert len(await history_rows(db_url)) == 3

    (mdir(project) / f"{V3}_c.down.sql").write_text("DROP TABLE c;\n")
    migrations.write_sum(mdir(project))
    result = await rollback(project, count=2)
    assert result.versions == (V3, V2)
    assert [r["version"] for r in await history_rows(db_url)] == [V1]
    assert await fetch(
        db_url, "SELECT to_regclass('b'), to_regclass('c'), to_regclass('a') IS NOT NULL"
    ) == [(None, None, True)]

    await apply(project)
    result = await rollback(project, to=V1)
    assert result.versions == (V3, V2)
    with pytest.raises(StudioError, match="not an applied migration"):
        await rollback(project, to=V3)


async def test_interrupted_rollback_resumes_and_rebuilds_an_invalid_index(
    project: Settings, db_url: str
) -> None:
    write(mdir(project), V1, "t", "CREATE TABLE t (a int);\nCREATE UNIQUE INDEX t_a ON t (a);\n")
    write(
        mdir(project),
        V2,
        "drop_unique",
        "-- schema-studio:no-transaction\nDROP INDEX CONCURRENTLY t_a;\n"
        "ALTER TABLE t ADD COLUMN b int;\n",
        "ALTER TABLE t DROP COLUMN b;\n"
        "-- schema-studio:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY t_a ON t (a);\n"
        "SELECT 1;\n",
    )
    await apply(project)
    await fetch(db_url, "INSERT INTO t VALUES (1), (1)")
    with pytest.raises(StudioError, match="step 2"):
        await rollback(project)
    rows = await history_rows(db_url)
    assert [(r["version"], r["down_steps_done"]) for r in rows] == [(V1, 0), (V2, 1)]
    report = await status(project)
    assert [e.state for e in report.status.entries] == [State.APPLIED, State.ROLLING_BACK]
    with pytest.raises(StudioError, match="half rolled back"):
        await apply(project)

    await fetch(db_url, "DELETE FROM t")
    events: list[Event] = []
    result = await rollback(project, on_event=events.append)
    assert result.versions == (V2,)
    assert [e.index for e in events if isinstance(e, StepStarted)] == [2, 3]
    assert any(isinstance(e, InvalidIndexDropped) for e in events)
    assert [r["version"] for r in await history_rows(db_url)] == [V1]
    assert await fetch(
        db_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('t_a')"
    ) == [(True,)]


async def test_baseline_records_without_running_sql(project: Settings, db_url: str) -> None:
    await fetch(db_url, "CREATE TABLE a (x int)")  # the database already has v1's schema
    write(mdir(project), V1, "a", "CREATE TABLE a (x int);\n")
    write(mdir(project), V2, "b", "CREATE TABLE b (x int);\n")
    recorded = await baseline(project, V1)
    assert recorded == (V1,)
    rows = await history_rows(db_url)
    assert [(r["version"], r["kind"], r["steps_done"]) for r in rows] == [(V1, "baseline", 1)]
    result = await apply(project)
    assert result.versions == (V2,)
    with pytest.raises(StudioError, match="already records"):
        await baseline(project, V2)
    with pytest.raises(StudioError, match="no migration with version"):
        await baseline(project, "20990101000000")


async def test_history_table_altered_by_hand_is_refused(project: Settings, db_url: str) -> None:
    write(mdir(project), V1, "a", "CREATE TABLE a (x int);\n")
    await apply(project)
    await fetch(db_url, "ALTER TABLE schema_studio.migrations DROP COLUMN steps_done")
    with pytest.raises(StudioError, match="lacks column"):
        await status(project)


async def test_custom_history_table(project: Settings, db_url: str) -> None:
    write(mdir(project), V1, "a", "CREATE TABLE a (x int);\n")
    settings = with_(project, history_table="ops.Schema History")
    await runner.apply(db_url, settings, load_migrations(settings))
    assert await fetch(db_url, 'SELECT version FROM ops."Schema History"') == [(V1,)]
    assert await fetch(db_url, "SELECT to_regclass('schema_studio.migrations')") == [(None,)]


# --- processes ------------------------------------------------------------------------------------


async def spawn(db_url: str, cwd: Path | None, *args: str) -> asyncio.subprocess.Process:
    """`python -m studio ARGS` in the project folder, without a terminal."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "studio",
        *args,
        cwd=cwd,
        env={**os.environ, "DATABASE_URL": db_url},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(proc: asyncio.subprocess.Process, timeout: float = 120) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of a spawned command."""
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_ten_migrators_at_once_apply_each_migration_once(
    project: Settings, db_url: str
) -> None:
    await fetch(db_url, "CREATE TABLE ran (version text, at timestamptz DEFAULT clock_timestamp())")
    for v in (V1, V2, V3):
        write(
            mdir(project),
            v,
            f"m{v[-1]}",
            f"INSERT INTO ran (version) VALUES ('{v}');\nSELECT pg_sleep(0.2);\n",
        )
    write(
        mdir(project),
        V4,
        "stepwise",
        f"INSERT INTO ran (version) VALUES ('{V4}');\n"
        "-- schema-studio:no-transaction\nCREATE INDEX CONCURRENTLY ran_v ON ran (version);\n",
    )
    procs = [
        await spawn(
            db_url,
            project.root,
            "migrate",
            "--wait",
            "60",
            *(["--format", "json"] if i % 2 else []),
        )
        for i in range(10)
    ]
    results = await asyncio.gather(*(finish(p) for p in procs))
    assert [r[0] for r in results] == [0] * 10, [r[2] for r in results]
    outs = [(r[1], r[2]) for r in results]
    counts = await fetch(
        db_url, "SELECT version, count(*) FROM ran GROUP BY version ORDER BY version"
    )
    assert [tuple(r) for r in counts] == [(V1, 1), (V2, 1), (V3, 1), (V4, 1)]
    assert [r["version"] for r in await history_rows(db_url)] == [V1, V2, V3, V4]
    # exactly one process applied anything; the others found the database up to date
    appliers = [o for o in outs if "applied 4 migrations" in o[1] or '"versions": ["' in o[0]]
    assert len(appliers) == 1
    json_outs = [o[0] for i, o in enumerate(outs) if i % 2]
    for out in json_outs:
        for line in out.splitlines():
            json.loads(line)

    # without --wait, migrators that find the lock taken exit at once, non-zero, saying who holds it
    for v in ("20250101000005", "20250101000006"):
        write(
            mdir(project),
            v,
            f"m{v[-1]}",
            f"INSERT INTO ran (version) VALUES ('{v}');\nSELECT pg_sleep(0.5);\n",
        )
    procs = [await spawn(db_url, project.root, "migrate") for _ in range(10)]
    results = await asyncio.gather(*(finish(p) for p in procs))
    codes = [r[0] for r in results]
    assert set(codes) <= {0, 1} and 0 in codes
    for code, _, err in results:
        if code == 1:
            assert "another migrator holds the migration lock" in err and "pid " in err
            assert "Traceback" not in err
    counts = await fetch(
        db_url, "SELECT version, count(*) FROM ran GROUP BY version HAVING count(*) > 1"
    )
    assert counts == []
    assert len(await history_rows(db_url)) == 6


KILLABLE = """-- schema-studio:step
CREATE TABLE k (a int);
INSERT INTO k SELECT g FROM generate_series(1, 200) g;
CREATE FUNCTION slow(i int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(0.02); RETURN i; END $$;
-- schema-studio:step
-- schema-studio:no-transaction
-- a slow concurrent build (4 s or more)
CREATE INDEX CONCURRENTLY k_slow ON k (slow(a));
-- schema-studio:step
-- schema-studio:no-transaction
SELECT pg_sleep(3);
-- schema-studio:step
-- schema-studio:no-transaction
CREATE INDEX CONCURRENTLY k_a ON k (a);
-- schema-studio:step
ALTER TABLE k ADD COLUMN b int;
"""


async def _wait_for_query(url: str, fragment: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = await fetch(
            url,
            "SELECT 1 FROM pg_stat_activity WHERE application_name = 'schema-studio migrate' "
            "AND state = 'active' AND query LIKE '%' || $1 || '%'",
            fragment,
        )
        if rows:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no migrator ran {fragment!r} within {timeout}s")


@pytest.mark.parametrize("kill_during", ["CREATE INDEX CONCURRENTLY k_slow", "pg_sleep(3)"])
async def test_sigkill_mid_migration_then_rerun_finishes_it(
    project: Settings, db_url: str, kill_during: str
) -> None:
    write(mdir(project), V1, "killable", KILLABLE)
    proc = await spawn(db_url, project.root, "migrate")
    try:
        await _wait_for_query(db_url, kill_during)
        await asyncio.sleep(random.uniform(0.2, 1.0))
    finally:
        proc.send_signal(signal.SIGKILL)
        code, _, _ = await finish(proc, timeout=30)
    assert code == -signal.SIGKILL
    rows = await history_rows(db_url)
    assert len(rows) == 1 and rows[0]["finished_at"] is None
    assert rows[0]["steps_done"] == (1 if "k_slow" in kill_during else 2)

    # the killed migrator's server session may outlive it for a moment: wait for its lock
    code, _, err = await finish(await spawn(db_url, project.root, "migrate", "--wait", "60"))
    assert code == 0, err
    assert "resuming after step" in err
    if "k_slow" in kill_during:
        # the dead migrator's session noticed (client_connection_check_interval) and stopped
        # the build half-way: the invalid index it left is dropped and built again
        assert "dropped invalid index k_slow" in err, err
    rows = await history_rows(db_url)
    assert [(r["version"], r["steps_done"], r["steps_total"]) for r in rows] == [(V1, 5, 5)]
    assert rows[0]["finished_at"] is not None
    assert await fetch(db_url, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(0,)]
    assert await fetch(
        db_url, "SELECT to_regclass('k_slow') IS NOT NULL, to_regclass('k_a') IS NOT NULL"
    ) == [(True, True)]
    assert await fetch(
        db_url,
        "SELECT count(*) FROM information_schema.columns"
        " WHERE table_name = 'k' AND column_name = 'b'",
    ) == [(1,)]
