"""Python data migrations (issue 19) through the CLI, on one server: the embedded PostgreSQL.

The runner calls the same code on every server version, so these run once.
Each test's module lives in a package of its own name: a module imported by an
earlier test stays in `sys.modules`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import secrets
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from click.testing import CliRunner, Result

from studio.cli import cli
from studio.commands.files import load_migrations
from studio.config import Settings
from studio.errors import LockTimeoutExceeded
from studio.migrations import files as migrations
from studio.run import runner
from studio.run.events import BackfillStarted, Event, LockTimeoutRetry, StepStarted
from studio.run.executor import Backoff
from studio.sources.devdb.binaries import available_servers

if TYPE_CHECKING:
    from collections.abc import Iterator

    from studio.sources.devdb.cluster import Cluster

V1, V2, V3 = "20250101000001", "20250101000002", "20250101000003"
FAST = Backoff(base=0.05, cap=0.2)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def one_pg(_cluster_pool: Any) -> Cluster:
    """The embedded server's cluster (the `pg` fixture's, when it runs too)."""
    (b,) = [b for b in available_servers() if b.source == "embedded"][:1]
    return _cluster_pool.get(f"pg{b.major}", b)  # type: ignore[no-any-return]


@pytest.fixture
def url(one_pg: Cluster) -> Iterator[str]:
    """A fresh database on the embedded server."""
    name = f"t_{secrets.token_hex(6)}"
    made: str = asyncio.run(one_pg.create_database(name))
    yield made
    asyncio.run(one_pg.drop_database(name))


@pytest.fixture
def project(tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (the cwd) pointed at `url`, with a package of its own for the modules."""
    (tmp_path / "pyproject.toml").write_text('[tool.schema-studio]\nmigrations = "migrations"\n')
    (tmp_path / "migrations").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    return tmp_path


def package(project: Path, code: str) -> str:
    """A module `steps` in a package named for this test; its dotted name."""
    name = f"dm_{secrets.token_hex(4)}"
    (project / name).mkdir()
    (project / name / "__init__.py").write_text("")
    (project / name / "steps.py").write_text(code)
    return f"{name}.steps"


def write(project: Path, version: str, slug: str, up: str, down: str | None = None) -> None:
    directory = project / "migrations"
    (directory / f"{version}_{slug}.sql").write_text(up)
    if down is not None:
        (directory / f"{version}_{slug}.down.sql").write_text(down)
    migrations.write_sum(directory)


def studio(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def errors(result: Result) -> list[str]:
    """The `error:` lines of stderr, and no traceback."""
    assert "Traceback" not in result.output
    return [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]


async def fetch(url: str, sql: str) -> list[asyncpg.Record]:
    """The rows of `sql`, on a connection of its own."""
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in asyncio.run(fetch(url, sql))]


TABLE = """-- schema-studio:step
CREATE TABLE public.items (id integer PRIMARY KEY, n integer NOT NULL, touched integer);
INSERT INTO public.items (id, n) SELECT g, g FROM generate_series(1, 95) g;
"""

# doubles n in batches; raises in the batch holding key `fail_at` while the file STOP exists
BATCHED = """
from pathlib import Path

from studio.run.python_steps import Batch, batches

CALLS = []


async def double(conn, options):
    await conn.execute("CREATE TABLE IF NOT EXISTS public.walks (at timestamptz DEFAULT now())")
    await conn.execute("INSERT INTO public.walks DEFAULT VALUES")

    async def batch(b: Batch) -> int:
        CALLS.append((b.number, b.first, b.last))
        status = await conn.execute(
            "UPDATE public.items SET n = n * 2, touched = coalesce(touched, 0) + 1"
            " WHERE id BETWEEN $1 AND $2", b.first, b.last
        )
        if Path("STOP").exists() and b.first <= int(options["fail_at"]) <= b.last:
            raise RuntimeError("interrupted at key " + options["fail_at"])
        return int(status.split()[-1])

    await batches(conn, "public.items", batch, size=int(options["batch_size"]))


async def halve(conn, options):
    async def batch(b: Batch) -> None:
        await conn.execute(
            "UPDATE public.items SET n = n / 2 WHERE id BETWEEN $1 AND $2", b.first, b.last
        )

    await batches(conn, "public.items", batch, size=50)
"""


def test_batched_step_interrupted_resumes_and_its_down_runs(project: Path, url: str) -> None:
    """Batches commit with their progress; a failure keeps them; the rerun resumes; down undoes."""
    mod = package(project, BATCHED)
    write(project, V1, "items", TABLE, "DROP TABLE public.items;\n")
    write(
        project,
        V2,
        "double",
        f"-- schema-studio:step\n-- schema-studio:python {mod}:double batch_size=20 fail_at=50\n",
        f"-- schema-studio:step\n-- schema-studio:python {mod}:halve\n",
    )
    (project / "STOP").write_text("")

    # shown as a Python step, with no lock or time claimed for it
    plan = studio("plan", "--format", "json")
    assert plan.exit_code == 0, plan.output
    report = json.loads(plan.stdout)
    step = report["migrations"][1]["steps"][0]
    assert (step["kind"], step["python"], step["title"]) == (
        "python",
        f"{mod}:double",
        f"python: {mod}:double",
    )
    assert (step["sql"], step["locks"], step["estimate"]) == ([], [], None)
    assert report["migrations"][1]["one_transaction"] is False
    assert any("the lock analysis covers SQL only" in n for n in report["notes"])

    first = studio("migrate", "--yes")
    assert first.exit_code == 1, first.output
    (line,) = errors(first)
    assert f"step 1 of {V2}_double.sql (python: {mod}:double) raised RuntimeError" in line
    assert "interrupted at key 50" in line
    assert "finished batches are committed and recorded" in first.stderr
    # batches 1-2 (keys 1-40) committed with their progress; batch 3 (41-60) rolled back
    assert rows(url, "SELECT min(id), max(id) FROM public.items WHERE touched = 1") == [(1, 40)]
    assert rows(url, "SELECT count(*) FROM public.items WHERE touched IS NULL") == [(55,)]
    progress = "SELECT batches, last_key, finished_at IS NULL FROM schema_studio.backfills"
    assert rows(url, progress) == [(2, "40", True)]
    done = "SELECT version, steps_done, finished_at IS NOT NULL FROM schema_studio.migrations"
    assert rows(url, done) == [
        (V1, 1, True),
        (V2, 0, False),
    ]

    (project / "STOP").unlink()
    again = studio("migrate", "--yes")
    assert again.exit_code == 0, again.output
    # progress as a backfill's: where the walk resumed, then each batch
    assert "walk public.items by id: 95 rows in batches of 20, resuming after 2 batches" in (
        again.stderr
    )
    assert "batch 5: 95/95 rows (100%)" in again.stderr
    import importlib

    calls = importlib.import_module(mod).CALLS
    # the rerun called the function again: the walk went on at batch 3 (keys 41-60), not batch 1
    assert calls[-3:] == [(3, 41, 60), (4, 61, 80), (5, 81, 95)]
    assert [c for c in calls if c[0] == 1] == [(1, 1, 20)]
    # every row doubled exactly once; the work before the walk ran on both calls
    assert rows(url, "SELECT count(*) FROM public.items WHERE n = id * 2 AND touched = 1") == [
        (95,)
    ]
    assert rows(url, "SELECT count(*) FROM public.walks") == [(2,)]
    assert rows(url, "SELECT batches, finished_at IS NOT NULL FROM schema_studio.backfills") == [
        (5, True)
    ]
    assert rows(url, done)[1] == (V2, 1, True)

    back = studio("rollback", "--yes")
    assert back.exit_code == 0, back.output
    assert rows(url, "SELECT count(*) FROM public.items WHERE n = id") == [(95,)]
    assert rows(url, "SELECT version FROM schema_studio.migrations") == [(V1,)]
    assert rows(url, "SELECT count(*) FROM schema_studio.backfills") == [(0,)]


RAISES = """
from pathlib import Path


async def fill(conn, options):
    await conn.execute("UPDATE public.items SET touched = 1")
    if Path("BROKEN").exists():
        raise ValueError("cannot reach postgresql://app:" + "hunter2@db/app for " + options["who"])


async def undo(conn, options):
    await conn.execute("UPDATE public.items SET touched = NULL")
"""


def test_raising_step_changes_nothing_and_missing_function_is_refused_first(
    project: Path, url: str
) -> None:
    """A step that raises: one line, exit 1, rolled back. A missing function: nothing runs."""
    mod = package(project, RAISES)
    write(project, V1, "items", TABLE, "DROP TABLE public.items;\n")
    assert studio("migrate", "--yes").exit_code == 0
    write(
        project,
        V2,
        "fill",
        f"-- schema-studio:step\n-- fill it\n-- schema-studio:python {mod}:fill who=me\n",
        f"-- schema-studio:step\n-- schema-studio:python {mod}:undo\n",
    )
    (project / "BROKEN").write_text("")
    failed = studio("migrate", "--yes")
    assert failed.exit_code == 1, failed.output
    (line,) = errors(failed)
    assert line == (
        f"error: step 1 of {V2}_fill.sql (python: {mod}:fill) raised"
        " ValueError: cannot reach postgresql://app:***@db/app for me"
    )
    assert "hunter2" not in failed.output
    assert "nothing of it was changed" in failed.stderr
    assert rows(url, "SELECT count(*) FROM public.items WHERE touched IS NOT NULL") == [(0,)]
    # its only step failed: no history row, pending (as a failed SQL migration): a rerun runs it
    assert rows(url, "SELECT version, steps_done FROM schema_studio.migrations") == [(V1, 1)]

    # the module fixed, and a third migration naming a function that is not there: lint and
    # migrate refuse it by its line before anything runs (the second stays where it was)
    (project / "BROKEN").unlink()
    gone = f"-- schema-studio:step\n-- schema-studio:irreversible\n-- schema-studio:python {mod}:"
    write(project, V3, "gone", gone + "nowhere\n")
    for args in (("lint",), ("migrate", "--yes")):
        refused = studio(*args)
        assert refused.exit_code == 1, refused.output
        (line,) = errors(refused)
        assert f"{V3}_gone.sql:1: step 1: module {mod} has no function nowhere" in line, line
    assert rows(url, "SELECT count(*) FROM public.items WHERE touched IS NOT NULL") == [(0,)]
    assert rows(url, "SELECT version, steps_done FROM schema_studio.migrations") == [(V1, 1)]

    # the third fixed too: both run, and rollback refuses to undo the irreversible one
    write(project, V3, "gone", gone + "fill who=x\n")
    assert studio("migrate", "--yes").exit_code == 0
    assert rows(url, "SELECT count(*) FROM public.items WHERE touched = 1") == [(95,)]
    refused = studio("rollback", "--yes")
    assert refused.exit_code == 1
    (line,) = errors(refused)
    assert line == (
        f"error: {V3}_gone.sql cannot be rolled back: step 1 (python: {mod}:fill) is marked"
        " irreversible; nothing was rolled back"
    )
    assert rows(url, "SELECT count(*) FROM schema_studio.migrations") == [(3,)]


# the failing step of `test_a_failed_python_step_is_recorded_as_a_failed_sql_step`, as Python
# and as SQL: each makes a table, then fails while the table `public.broken` exists
FAILS = """
async def fail(conn, options):
    await conn.execute("CREATE TABLE public.made (x int)")
    if await conn.fetchval("SELECT to_regclass('public.broken') IS NOT NULL"):
        raise ValueError("broken on purpose\\nsecond line")
"""
FAILING_SQL = """-- schema-studio:step
CREATE TABLE public.made (x int);
DO $$ BEGIN IF to_regclass('public.broken') IS NOT NULL THEN
  RAISE EXCEPTION 'broken on purpose';
END IF; END $$;
"""
STEP_A = "-- schema-studio:step\nCREATE TABLE public.a (x int);\n"
# a step that cannot run in a transaction: the SQL variant runs step by step too
STEP_C = (
    "-- schema-studio:step\n-- schema-studio:no-transaction\n"
    "CREATE INDEX CONCURRENTLY a_x ON public.a (x);\n"
)
SHAPES = {"alone": ("X",), "first": ("X", "A", "C"), "second": ("A", "X", "C")}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_failed_python_step_is_recorded_as_a_failed_sql_step(
    shape: str, one_pg: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same migration failing at the same step, once in Python, once in SQL: the same
    history row (none when nothing committed, else the steps that did), state, status line,
    error line and rerun; nothing of the failed step stays."""
    seen: dict[str, dict[str, Any]] = {}
    for kind in ("python", "sql"):
        root = tmp_path / kind
        (root / "migrations").mkdir(parents=True)
        (root / "pyproject.toml").write_text('[tool.schema-studio]\nmigrations = "migrations"\n')
        db = asyncio.run(one_pg.create_database(f"t_{secrets.token_hex(6)}"))
        monkeypatch.chdir(root)
        monkeypatch.setenv("DATABASE_URL", db)
        failing = FAILING_SQL
        if kind == "python":
            irreversible = "-- schema-studio:step\n-- schema-studio:irreversible\n"
            failing = irreversible + f"-- schema-studio:python {package(root, FAILS)}:fail\n"
        parts = {"A": STEP_A, "C": STEP_C, "X": failing}
        write(root, V1, "m", "".join(parts[p] for p in SHAPES[shape]))
        asyncio.run(fetch(db, "CREATE TABLE public.broken ()"))
        failed = studio("migrate", "--yes")
        assert failed.exit_code == 1, failed.output
        (line,) = errors(failed)
        status = json.loads(studio("status", "--format", "json").stdout)["migrations"]
        text = studio("status").stdout.splitlines()[0]
        state = rows(db, "SELECT steps_done, steps_total FROM schema_studio.migrations")
        made = rows(db, "SELECT to_regclass('public.made') IS NOT NULL")
        asyncio.run(fetch(db, "DROP TABLE public.broken"))
        again = studio("migrate", "--yes", "--format", "json")
        assert again.exit_code == 0, again.output
        events = [json.loads(x) for x in again.stdout.splitlines()]
        seen[kind] = {
            "line": line,
            "hint": [x for x in failed.stderr.splitlines() if x.startswith("  hint:")],
            "status": [(e["state"], e["steps_done"], e["steps_total"]) for e in status],
            "text": text,
            "row": state,
            "made": made,
            "resumed": [
                (e["event"], e.get("index", e.get("steps_done")))
                for e in events
                if e["event"] in ("MigrationStarted", "StepStarted")
            ],
            "after": rows(
                db, "SELECT steps_done, finished_at IS NOT NULL FROM schema_studio.migrations"
            ),
        }
        asyncio.run(one_pg.drop_database(db.rsplit("/", 1)[1]))
    py, sql = seen["python"], seen["sql"]
    at = SHAPES[shape].index("X") + 1
    file = f"{V1}_m.sql"
    assert py["line"].startswith(f"error: step {at} of {file} (python: ")
    assert py["line"].endswith(":fail) raised ValueError: broken on purpose")
    assert sql["line"].startswith(f"error: RaiseError (step {at} of {file}, line ")
    assert sql["line"].endswith("): broken on purpose")
    total = len(SHAPES[shape])
    # nothing of the failed step stays; only the steps before it are committed and counted
    assert py["made"] == sql["made"] == [(False,)]
    if at == 1:
        assert py["row"] == sql["row"] == []
        assert py["status"] == sql["status"] == [("pending", 0, total)]
    else:
        assert py["row"] == sql["row"] == [(at - 1, total)]
        assert py["status"] == sql["status"] == [("partial", at - 1, total)]
        assert py["text"].endswith(f"({at - 1}/{total} steps: `migrate` resumes it)")
        assert (
            py["hint"]
            == sql["hint"]
            == [
                "  hint: step 1 is committed and recorded; fix the cause, then run migrate again"
                f" to resume at step {at}"
            ]
        )
    # `status` says the same of both (but when each was started)
    assert re.sub(r"  \d{4}-\S+ \S+ ", " ", py["text"]) == re.sub(
        r"  \d{4}-\S+ \S+ ", " ", sql["text"]
    )
    assert py["text"].startswith("pending " if at == 1 else "PARTIAL ")
    # the rerun starts where the SQL one does, and finishes the migration
    assert py["resumed"] == sql["resumed"]
    assert py["resumed"][0] == ("MigrationStarted", at - 1)
    assert [i for e, i in py["resumed"] if e == "StepStarted"] == list(range(at, total + 1))
    assert py["after"] == sql["after"] == [(total, True)]


# functions that break the step's transaction: end it themselves, or swallow a server error
BREAKERS = """
async def commits(conn, options):
    await conn.execute("CREATE TABLE public.early (x int)")
    await conn.execute("COMMIT")
    await conn.execute("CREATE TABLE public.late (x int)")


async def swallows(conn, options):
    try:
        await conn.execute("SELECT * FROM public.nowhere")
    except Exception:
        pass
"""


def test_a_step_that_breaks_its_transaction_is_not_recorded(project: Path, url: str) -> None:
    """A function that commits on its own, or swallows a server error, fails its step by name;
    the step is not recorded as done, and the error says what stays."""
    mod = package(project, BREAKERS)
    one = "-- schema-studio:step\n-- schema-studio:irreversible\n-- schema-studio:python "
    write(project, V1, "swallows", one + f"{mod}:swallows\n")
    failed = studio("migrate", "--yes")
    assert failed.exit_code == 1, failed.output
    assert errors(failed) == [
        f"error: InFailedSQLTransactionError (step 1 of {V1}_swallows.sql (python:"
        f" {mod}:swallows)): current transaction is aborted, commands ignored until end of"
        " transaction block"
    ]
    assert rows(url, "SELECT version FROM schema_studio.migrations") == []

    (project / "migrations" / f"{V1}_swallows.sql").unlink()
    write(project, V1, "commits", one + f"{mod}:commits\n")
    failed = studio("migrate", "--yes")
    assert failed.exit_code == 1, failed.output
    assert errors(failed) == [
        f"error: step 1 of {V1}_commits.sql (python: {mod}:commits) ended the step's"
        " transaction itself (COMMIT or ROLLBACK)"
    ]
    assert "committed statement by statement and stays" in failed.stderr
    # its COMMIT took the history row with it: the migration is partial, its step not done
    assert rows(url, "SELECT version, steps_done FROM schema_studio.migrations") == [(V1, 0)]
    made = "SELECT to_regclass('public.early') IS NOT NULL, to_regclass('public.late') IS NOT NULL"
    assert rows(url, made) == [(True, True)]


def short_locks(project: Path, url: str) -> Settings:
    """Settings whose lock waits end at once: lock_timeout 50 ms, 2 retries, no queue guard."""
    settings = Settings(root=project, db_override=url, lock_timeout="50ms", retries=2)
    return dataclasses.replace(settings, queue_guard=0)


LOCKED = """
from studio.run.python_steps import Batch, batches


async def touch(conn, options):
    await conn.execute("UPDATE public.items SET touched = 7 WHERE id = 1")


async def walk(conn, options):
    async def batch(b: Batch) -> None:
        await conn.execute(
            "UPDATE public.items SET touched = 8 WHERE id BETWEEN $1 AND $2", b.first, b.last
        )

    await batches(conn, "public.items", batch, size=40)
"""


async def test_lock_timeouts_are_retried_on_a_python_steps_statements(
    project: Path, url: str
) -> None:
    """A Python step's statements run under lock_timeout, retried like a SQL step's.

    A plain step is rolled back and called again; a walk retries the batch alone; retries
    spent, the step fails as a SQL step does, with nothing changed.
    """
    mod = package(project, LOCKED)
    write(project, V1, "items", TABLE, "DROP TABLE public.items;\n")
    one = "-- schema-studio:step\n-- schema-studio:irreversible\n-- schema-studio:python "
    write(project, V2, "touch", one + f"{mod}:touch\n")
    write(project, V3, "walk", one + f"{mod}:walk\n")
    settings = short_locks(project, url)
    ms = load_migrations(settings)
    await runner.apply(url, settings, ms, to=V1)
    holder = await asyncpg.connect(url)
    lock = "UPDATE public.items SET n = n WHERE id = 1"
    try:
        async with holder.transaction():
            await holder.execute(lock)  # row 1 held: the step's UPDATE waits on it
            events: list[Event] = []
            with pytest.raises(LockTimeoutExceeded) as e:
                await runner.apply(url, settings, ms, on_event=events.append, backoff=FAST)
        assert f"step 1 of {V2}_touch.sql (lock_timeout 50ms, 3 attempts)" in e.value.message
        retries = [ev for ev in events if isinstance(ev, LockTimeoutRetry)]
        assert [(r.version, r.attempt) for r in retries] == [(V2, 1), (V2, 2)]
        assert await holder.fetchval("SELECT count(*) FROM public.items WHERE touched > 0") == 0

        # held again as each step starts, let go at its first retry: both go through
        events.clear()

        async def sink(ev: Event) -> None:
            events.append(ev)
            if isinstance(ev, StepStarted) and ev.attempt == 1:
                await holder.execute("BEGIN; " + lock)
            elif isinstance(ev, LockTimeoutRetry):
                await holder.execute("ROLLBACK")

        await runner.apply(url, settings, ms, on_event=sink, backoff=FAST)
    finally:
        await holder.close()
    retries = [ev for ev in events if isinstance(ev, LockTimeoutRetry)]
    assert [(r.version, r.attempt) for r in retries] == [(V2, 1), (V3, 1)]
    assert [
        tuple(r) for r in await fetch(url, "SELECT touched, count(*) FROM public.items GROUP BY 1")
    ] == [(8, 95)]


WALK_THEN_TOUCH = """
from studio.run.python_steps import Batch, batches


async def walk_then_touch(conn, options):
    async def batch(b: Batch) -> None:
        await conn.execute(
            "UPDATE public.items SET touched = 8 WHERE id BETWEEN $1 AND $2", b.first, b.last
        )

    await batches(conn, "public.items", batch, size=40)
    await conn.execute("SELECT pg_advisory_xact_lock(4242)")  # under lock_timeout too
    await conn.execute("UPDATE public.items SET n = 0 WHERE id = 1")
"""


async def test_a_first_step_retried_after_its_walk_keeps_its_history_row(
    project: Path, url: str
) -> None:
    """The walk commits the history row of the migration's first step with the work before it;
    a lock timeout after the walk retries the step, which finds the row and finishes."""
    mod = package(project, WALK_THEN_TOUCH)
    write(project, V1, "items", TABLE, "DROP TABLE public.items;\n")
    one = "-- schema-studio:step\n-- schema-studio:irreversible\n-- schema-studio:python "
    write(project, V2, "walk", one + f"{mod}:walk_then_touch\n")
    settings = short_locks(project, url)
    ms = load_migrations(settings)
    await runner.apply(url, settings, ms, to=V1)
    holder = await asyncpg.connect(url)
    events: list[Event] = []

    async def sink(ev: Event) -> None:
        events.append(ev)
        if isinstance(ev, BackfillStarted) and ev.batches == 0:
            # the lock the function takes after its walk, held until the step is retried
            await holder.execute("SELECT pg_advisory_lock(4242)")
        elif isinstance(ev, LockTimeoutRetry):
            await holder.execute("SELECT pg_advisory_unlock(4242)")

    try:
        await runner.apply(url, settings, ms, on_event=sink, backoff=FAST)
    finally:
        await holder.close()
    assert [(e.version, e.index) for e in events if isinstance(e, StepStarted)] == [
        (V2, 1),
        (V2, 1),
    ]
    done = "SELECT version, steps_done, finished_at IS NOT NULL FROM schema_studio.migrations"
    assert [tuple(r) for r in await fetch(url, done)] == [(V1, 1, True), (V2, 1, True)]
    changed = "SELECT count(*) FILTER (WHERE touched = 8), min(n) FROM public.items"
    assert [tuple(r) for r in await fetch(url, changed)] == [(95, 0)]


# doubles n in batches of 20; while the file SLOW exists, the third batch sleeps (to be killed)
KILLED = """
from pathlib import Path

from studio.run.python_steps import Batch, batches


async def double(conn, options):
    async def batch(b: Batch) -> None:
        await conn.execute(
            "UPDATE public.items SET n = n * 2, touched = coalesce(touched, 0) + 1"
            " WHERE id BETWEEN $1 AND $2", b.first, b.last
        )
        if b.number == 3 and Path("SLOW").exists():
            await conn.execute("SELECT pg_sleep(60) /* batch 3 */")

    await batches(conn, "public.items", batch, size=20)
"""


async def test_a_walk_killed_mid_batch_resumes_after_its_last_finished_batch(
    project: Path, url: str
) -> None:
    """SIGKILL in batch 3: batches 1-2 stay recorded, batch 3 is rolled back; a rerun resumes."""
    mod = package(project, KILLED)
    write(project, V1, "items", TABLE)
    one = "-- schema-studio:step\n-- schema-studio:irreversible\n-- schema-studio:python "
    write(project, V2, "double", one + f"{mod}:double\n")
    (project / "SLOW").write_text("")
    # a child gets an environment built from nothing
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "DATABASE_URL": url}

    async def migrate() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "studio", "migrate", "--yes", "--wait", "60",
            cwd=project, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip

    proc = await migrate()
    try:
        deadline = time.monotonic() + 60
        while not await fetch(
            url, "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60) /* batch 3%'"
            " AND application_name = 'schema-studio migrate'",
        ):  # fmt: skip
            assert time.monotonic() < deadline, "batch 3 never ran"
            await asyncio.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    (project / "SLOW").unlink()
    progress = "SELECT batches, last_key, finished_at IS NULL FROM schema_studio.backfills"
    assert [tuple(r) for r in await fetch(url, progress)] == [(2, "40", True)]

    # the killed session ends within client_connection_check_interval; --wait queues behind it
    proc = await migrate()
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert "walk public.items by id: 95 rows in batches of 20, resuming after 2 batches" in (
        err.decode()
    )
    counts = "SELECT touched, count(*) FROM public.items WHERE n = id * 2 GROUP BY 1"
    assert [tuple(r) for r in await fetch(url, counts)] == [(1, 95)]
