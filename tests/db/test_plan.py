"""`plan` against a real server: what migrate would run, with and without the database, its
formats and exit codes, and generate's draft when nothing is pending; `lint --format github`
on the pending migration. On the embedded server only: the plan reads the same catalog
statistics on every version (the lock facts per version are tests/db/test_lock_kb.py's)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from click.testing import CliRunner, Result

from studio.cli import cli
from studio.cli.plan_markdown import MARKER
from studio.migrations import files as migrations
from studio.sources.devdb.binaries import available_servers

if TYPE_CHECKING:
    from collections.abc import Iterator

V1, V2 = "20250101000001", "20250101000002"
CREATE = """\
-- schema-studio:step
CREATE TABLE public.items (id int PRIMARY KEY, name text NOT NULL);
CREATE INDEX items_name_idx ON public.items (name);
"""
# step by step (a no-transaction step): a warning and two infos for lint
CHANGE = """\
-- schema-studio:step
-- drop the name index
DROP INDEX public.items_name_idx;

-- schema-studio:step
-- add a note
ALTER TABLE public.items ADD COLUMN note text;

-- schema-studio:step
-- schema-studio:no-transaction
-- index the note
CREATE INDEX CONCURRENTLY items_note_idx ON public.items (note);
"""
DECLARED = """\
CREATE TABLE public.items (id int PRIMARY KEY, name text NOT NULL, note text, done boolean);
CREATE INDEX items_note_idx ON public.items (note);
"""


def _embedded() -> list[Any]:
    found = [b for b in available_servers() if b.source == "embedded"][:1]
    if not found:
        return [pytest.param(("pg-embedded", None), id="pg-embedded")]  # fails in the fixture
    return [pytest.param((f"pg{b.major}", b), id=f"pg{b.major}") for b in found]


EMBEDDED_ONLY = pytest.mark.parametrize("pg", _embedded(), indirect=True)


def execute(url: str, sql: str) -> None:
    async def go() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(go())


def studio(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write(d: Path, version: str, slug: str, text: str) -> Path:
    path = d / f"{version}_{slug}.sql"
    path.write_text(text)
    migrations.write_sum(d)
    return path


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """V1 applied on the database with 2,000 rows, V2 pending."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schema-studio]\nschema = "schema.sql"\nmigrations = "migrations"\n'
    )
    (tmp_path / "schema.sql").write_text(DECLARED)
    (tmp_path / "migrations").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write(tmp_path / "migrations", V1, "create_items", CREATE)
    assert studio("migrate").exit_code == 0
    execute(db_url, "INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 2000) g; ANALYZE")
    write(tmp_path / "migrations", V2, "note", CHANGE)
    yield tmp_path / "migrations"


def _modes(data: dict[str, Any]) -> list[set[str]]:
    return [{lock["mode"] for lock in s["locks"]} for s in data["migrations"][0]["steps"]]


@EMBEDDED_ONLY
def test_plan_of_the_pending_migration_with_and_without_the_database(
    project: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = db_url.rsplit("/", 1)[1]
    text = studio("plan")
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith(f"1 migration (3 steps) pending on {name}\n")
    assert "strongest lock: ACCESS EXCLUSIVE on public.items" in text.stdout
    assert "warning blocking-index-drop" in text.stdout and "size:  public.items" in text.stdout

    data = json.loads(studio("plan", "--format", "json").stdout)
    assert (data["shape"], data["source"], data["database"]) == (1, "pending", name)
    [m] = data["migrations"]
    assert (m["version"], m["state"], m["one_transaction"]) == (V2, "pending", False)
    assert _modes(data) == [{"ACCESS EXCLUSIVE"}, {"ACCESS EXCLUSIVE"}, {"SHARE UPDATE EXCLUSIVE"}]
    assert m["steps"][2]["sizes"][0]["rows"] == 2000 and m["steps"][2]["estimate"]["high_s"] > 0
    summary = data["summary"]
    assert summary["hazards"] == {"info": 2, "warning": 1, "danger": 0}
    assert (summary["strongest_lock"]["step"], summary["migrations"], summary["steps"]) == (1, 1, 3)
    assert data["exit_code"] == 0 and summary["duration_s"]["high"] > 0

    md = studio("plan", "--format", "markdown")
    assert md.exit_code == 0 and md.stdout.startswith(MARKER + "\n")
    assert f"pending on `{name}`" in md.stdout and "<details>" in md.stdout
    host = db_url.split("@", 1)[1].rsplit("/", 1)[0]  # 127.0.0.1:port: not in a public comment
    assert host not in md.stdout and "warning `blocking-index-drop`" in md.stdout
    assert studio("plan", "--fail-on", "warning").exit_code == 2

    # lint annotates the pending migration only, on its lines
    github = studio("lint", "--format", "github")
    assert github.exit_code == 0
    titles = [
        (line.split(",")[1], line.split("::")[1].split("title=")[1])
        for line in github.stdout.splitlines()
    ]
    assert ("line=3", "blocking-index-drop") in titles and all(
        f"file=migrations/{V2}_note.sql" in line for line in github.stdout.splitlines()
    )

    # without a database: the newest file (or those after --since), the same locks, no sizes
    monkeypatch.delenv("DATABASE_URL")
    offline = json.loads(studio("plan", "--format", "json").stdout)
    assert (offline["source"], offline["database"], offline["summary"]["duration_s"]) == (
        "files",
        None,
        None,
    )
    assert _modes(offline) == _modes(data) and offline["summary"]["hazards"] == summary["hazards"]
    assert offline["migrations"][0]["steps"][0]["estimate"] is None
    since = json.loads(studio("plan", "--since", V1, "--format", "json").stdout)
    assert [x["version"] for x in since["migrations"]] == [V2]
    refused = studio("plan", "--since", V1, "--db", db_url)
    assert refused.exit_code == 1 and refused.stderr.startswith("error: --since chooses")


@EMBEDDED_ONLY
def test_plan_when_nothing_is_pending_is_what_generate_would_write(project: Path) -> None:
    assert studio("migrate").exit_code == 0
    before = sorted(p.name for p in project.iterdir())
    data = json.loads(studio("plan", "--format", "json").stdout)
    assert data["source"] == "generate"
    [m] = data["migrations"]
    assert (m["state"], m["path"], m["name"]) == ("draft", None, "pending_changes")
    sql = [s["sql"] for s in m["steps"]]
    assert sql == [["ALTER TABLE public.items ADD COLUMN done boolean"]]
    assert data["summary"]["strongest_lock"]["mode"] == "ACCESS EXCLUSIVE"
    assert sorted(p.name for p in project.iterdir()) == before  # nothing written
