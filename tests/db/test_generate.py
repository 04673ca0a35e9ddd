"""generate and check against real PostgreSQL, through the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from studio.commands.migrate import migrate
from studio.commands.push import PushRefused, push, push_plan
from studio.config import load
from studio.run.history import HistoryTable

MODELS_V1 = """
from sqlalchemy import ForeignKey, Integer, String, func, DateTime
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    created_at = mapped_column(DateTime, server_default=func.now(), nullable=False)


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    total: Mapped[int]
    status: Mapped[str | None] = mapped_column(String(50), server_default="pending")
    created_at = mapped_column(DateTime, server_default=func.now(), nullable=False)
"""


@pytest.fixture
def project(tmp_path: Path, db_url: str) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.schema-studio]\nschema = "app.models:Base"\n')
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(MODELS_V1)
    return tmp_path


def studio(project: Path, db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(DATABASE_URL=db_url, XDG_CACHE_HOME=str(project / ".cache"))
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_generate_then_check(project: Path, db_url: str) -> None:
    r = studio(project, db_url, "generate", "--name", "init")
    assert r.returncode == 0, r.stderr
    ups = sorted((project / "migrations").glob("*_init.sql"))
    assert len(ups) == 1
    text = ups[0].read_text()
    assert "CREATE TABLE public.users" in text
    assert "REFERENCES public.users(id)" in text
    assert (project / "migrations" / "schema-studio.sum").exists()
    # nothing more to generate
    r = studio(project, db_url, "generate", "--name", "again")
    assert r.returncode == 0 and "nothing to generate" in r.stderr
    # the files alone are in sync
    r = studio(project, db_url, "check", "--no-live")
    assert r.returncode == 0, r.stdout + r.stderr
    # an unapplied model change is caught
    (project / "app" / "models.py").write_text(MODELS_V1.replace("String(50)", "String(80)"))
    r = studio(project, db_url, "check", "--no-live")
    assert r.returncode == 2
    assert "declared schema differs" in r.stdout and "status" in r.stdout


async def test_drift_detected_and_cleared(project: Path, db_url: str) -> None:
    assert studio(project, db_url, "generate", "--name", "init").returncode == 0
    r = studio(project, db_url, "migrate", "--yes")
    assert r.returncode == 0, r.stderr
    r = studio(project, db_url, "check")
    assert r.returncode == 0, r.stdout + r.stderr
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("ALTER TABLE orders ADD COLUMN note text")
        r = studio(project, db_url, "check")
        assert r.returncode == 2
        assert "drift" in r.stdout and "note" in r.stdout
        await conn.execute("ALTER TABLE orders DROP COLUMN note")
        r = studio(project, db_url, "check")
        assert r.returncode == 0, r.stdout
    finally:
        await conn.close()


def test_edited_migration_refused(project: Path, db_url: str) -> None:
    assert studio(project, db_url, "generate", "--name", "init").returncode == 0
    path = next((project / "migrations").glob("*_init.sql"))
    path.write_text(path.read_text() + "\nSELECT 1;\n")
    r = studio(project, db_url, "check", "--no-live")
    assert r.returncode == 2
    assert path.name in r.stdout


V1, V2, V3 = "20250101000001", "20250101000002", "20250101000003"
APPLIED = {
    V1: "CREATE TABLE a (id int);\n",
    V2: "CREATE TABLE b (id int);\n",
    V3: "INSERT INTO a VALUES (1);\n",  # data only: no schema difference gives an edit away
}


def _swap_first_two(d: Path) -> None:
    one, two = d / f"{V1}_m.sql", d / f"{V2}_m.sql"
    texts = one.read_text(), two.read_text()
    one.write_text(texts[1])
    two.write_text(texts[0])


# after each, the sum is rewritten (`hash`): only the target's history can tell
UNLIKE_HISTORY = {
    "edited": (
        lambda d: (d / f"{V3}_m.sql").write_text("INSERT INTO a VALUES (2);\n"),
        V3,
        "was changed after it was applied",
    ),
    "deleted": (lambda d: (d / f"{V3}_m.sql").unlink(), V3, "is applied but not in"),
    "reordered": (_swap_first_two, V1, "was changed after it was applied"),
}


@pytest.mark.parametrize("case", list(UNLIKE_HISTORY))
def test_check_compares_the_files_with_the_targets_history(
    project: Path, db_url: str, case: str
) -> None:
    """An applied migration edited, deleted or reordered, then hashed: `check` exits 2 naming it."""
    (project / "pyproject.toml").write_text('[tool.schema-studio]\nschema = "migrations"\n')
    (project / "migrations").mkdir()
    for version, sql in APPLIED.items():
        (project / "migrations" / f"{version}_m.sql").write_text(sql)
    assert studio(project, db_url, "hash").returncode == 0
    assert studio(project, db_url, "migrate", "--yes").returncode == 0
    edit, version, words = UNLIKE_HISTORY[case]
    edit(project / "migrations")
    assert studio(project, db_url, "hash").returncode == 0
    # the schema is what the history says: no drift to give it away
    r = studio(project, db_url, "check")
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{version}_m" in r.stdout and words in r.stdout, r.stdout
    assert "in sync" not in r.stdout
    r = studio(project, db_url, "check", "--format", "json")
    assert r.returncode == 2 and words in r.stdout
    if case != "deleted":  # migrate only warns about a deleted one
        r = studio(project, db_url, "migrate", "--yes")
        assert r.returncode == 1 and words in r.stderr, r.stderr


def test_rename_candidate_without_terminal_exits_2(project: Path, db_url: str) -> None:
    assert studio(project, db_url, "generate", "--name", "init").returncode == 0
    (project / "app" / "models.py").write_text(
        MODELS_V1.replace("status: Mapped", "order_status: Mapped")
    )
    r = studio(project, db_url, "generate", "--name", "rename")
    assert r.returncode == 2
    assert "--rename public.orders.status=public.orders.order_status" in r.stderr
    r = studio(
        project,
        db_url,
        "generate",
        "--name",
        "rename",
        "--rename",
        "orders.status=orders.order_status",
    )
    assert r.returncode == 0, r.stderr
    text = next((project / "migrations").glob("*_rename.sql")).read_text()
    assert "RENAME COLUMN status TO order_status" in text


async def test_push_brings_database_to_declared(project: Path, db_url: str) -> None:
    r = studio(project, db_url, "push")
    assert r.returncode == 2 and "--yes" in r.stderr  # no terminal: never waits for input
    r = studio(project, db_url, "push", "--yes")
    assert r.returncode == 0, r.stderr
    r = studio(project, db_url, "diff")
    assert r.returncode == 0, r.stdout + r.stderr
    r = studio(project, db_url, "push", "--yes")
    assert r.returncode == 0 and "already matches" in r.stderr


async def test_push_takes_the_migrators_lock(project: Path, db_url: str) -> None:
    """A migrator holds the lock: push refuses naming it, or with --wait waits, then pushes."""
    key = HistoryTable.parse("schema_studio.migrations").lock_key
    holder = await asyncpg.connect(db_url, server_settings={"application_name": "a migrator"})
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", key)
        r = studio(project, db_url, "push", "--yes")
        assert r.returncode == 1, r.stdout + r.stderr
        assert "another migrator holds the migration lock" in r.stderr and "a migrator" in r.stderr
        assert await holder.fetchval("SELECT to_regclass('public.users')") is None
        waiting = _spawn(project, db_url, "push", "--yes", "--wait", "60")
        said = _until_line(waiting, "waiting up to 60s for the migration lock, held by")
        assert "a migrator" in said
        assert await holder.fetchval("SELECT to_regclass('public.users')") is None
        await holder.execute("SELECT pg_advisory_unlock($1)", key)
        out, err = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, out + err
        assert await holder.fetchval("SELECT to_regclass('public.users')") is not None
    finally:
        await holder.close()


async def test_push_planned_before_a_migrate_refuses_under_the_lock(
    project: Path, db_url: str
) -> None:
    """`migrate` ran between push's plan and its apply.

    Push refuses instead of creating the tables again.
    """
    assert studio(project, db_url, "generate", "--name", "init").returncode == 0
    settings = load(project, db_override=db_url)
    plan = await push_plan(settings)
    assert plan.changes
    await migrate(settings)
    with pytest.raises(PushRefused, match="applied migration"):
        await push(settings, plan)


def _spawn(project: Path, db_url: str, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(DATABASE_URL=db_url, XDG_CACHE_HOME=str(project / ".cache"))
    argv = [sys.executable, "-m", "studio", *args]
    return subprocess.Popen(
        argv, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _until_line(proc: subprocess.Popen[str], words: str) -> str:
    """Read the process's stderr up to the line holding `words` (it fails at EOF without one)."""
    assert proc.stderr is not None
    seen = []
    while line := proc.stderr.readline():
        seen.append(line)
        if words in line:
            return line
    raise AssertionError(f"never said {words!r}: {''.join(seen)}")


def test_push_refuses_migrated_database(project: Path, db_url: str) -> None:
    assert studio(project, db_url, "generate", "--name", "init").returncode == 0
    assert studio(project, db_url, "migrate", "--yes").returncode == 0
    (project / "app" / "models.py").write_text(MODELS_V1.replace("String(50)", "String(80)"))
    r = studio(project, db_url, "push", "--yes")
    assert r.returncode == 1 and "applied migration" in r.stderr
    r = studio(project, db_url, "push", "--yes", "--force")
    assert r.returncode == 0, r.stderr


def test_push_refuses_production_pattern(project: Path, db_url: str) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.schema-studio]\nschema = "app.models:Base"\nproduction_patterns = ["^t_"]\n'
    )
    r = studio(project, db_url, "push", "--yes")
    assert r.returncode == 1 and "production pattern" in r.stderr


async def test_status_reports_drift(project: Path, db_url: str) -> None:
    assert studio(project, db_url, "generate", "--name", "init").returncode == 0
    assert studio(project, db_url, "migrate", "--yes").returncode == 0
    r = studio(project, db_url, "status")
    assert r.returncode == 0, r.stderr
    assert "live schema: matches the applied migrations" in r.stdout
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("CREATE INDEX orders_total_idx ON orders (total)")
    finally:
        await conn.close()
    r = studio(project, db_url, "status")
    assert r.returncode == 0
    assert "drift, 1 difference" in r.stdout and "orders_total_idx" in r.stdout


async def test_dry_run_on_target_rolls_back(project: Path, db_url: str) -> None:
    assert studio(project, db_url, "generate", "--name", "init").returncode == 0
    r = studio(project, db_url, "migrate", "--dry-run", "--on-target")
    assert r.returncode == 2 and "--yes" in r.stderr  # explicit confirmation, never implied
    r = studio(project, db_url, "migrate", "--dry-run", "--on-target", "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "rolled back" in r.stdout
    conn = await asyncpg.connect(db_url)
    try:
        assert await conn.fetchval("SELECT to_regclass('public.orders')") is None
    finally:
        await conn.close()
    # a step that fails is reported, and nothing stays
    (project / "app" / "models.py").write_text(MODELS_V1)
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("CREATE TABLE users (id int)")
        r = studio(project, db_url, "migrate", "--dry-run", "--on-target", "--yes")
        assert r.returncode == 1
        assert "FAILED" in r.stdout and "already exists" in r.stdout
        assert await conn.fetchval("SELECT to_regclass('public.orders')") is None
    finally:
        await conn.close()
