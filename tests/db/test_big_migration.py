"""A migration of one long INSERT: `status` reads it without pglast, `check` replays it once.

The 45 MB case and its figures are bench/big_migration.py and docs/reliability.md;
here the file is big enough to take the same paths (a VALUES list longer than
`studio.sqltext.lexer.LITERAL_ROWS_ABOVE`) and small enough for a test.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pglast
import pytest
from click.testing import CliRunner, Result

from studio.cli import cli
from studio.commands import check, status
from studio.migrations import files as migrations
from studio.sqltext import lexer

if TYPE_CHECKING:
    from pathlib import Path

    from studio.sources.devdb.cluster import Cluster

V1, V2 = "20250101000001", "20250101000002"
TABLE = "CREATE TABLE public.t (id int PRIMARY KEY, name text, score float8);\n"


def studio(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path, db_url: str, pg: Cluster, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two migrations (a table, then 3,000 rows into it in one INSERT), both applied."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schema-studio]\nschema = "schema.sql"\nmigrations = "migrations"\n'
        f'dev_url = "{pg.url()}"\n'
    )
    (tmp_path / "schema.sql").write_text(TABLE)
    mdir = tmp_path / "migrations"
    mdir.mkdir()
    (mdir / f"{V1}_t.sql").write_text(TABLE)
    rows = ",\n".join(f"({i}, 'name {i}', {i}.5)" for i in range(3_000))
    (mdir / f"{V2}_rows.sql").write_text(f"-- rows\nINSERT INTO public.t VALUES\n{rows};\n")
    assert len(rows) > lexer.LITERAL_ROWS_ABOVE
    migrations.write_sum(mdir)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert studio("migrate", "--yes").exit_code == 0
    return mdir


def _refuse_parsing(monkeypatch: pytest.MonkeyPatch, longer_than: int = -1) -> None:
    """pglast's parser fails on any SQL longer than `longer_than` characters."""

    def guard(real: Any) -> Any:
        def parse(sql: str, *args: Any) -> Any:
            if len(sql) > longer_than:
                raise AssertionError(f"status parsed {len(sql):,} characters of SQL")
            return real(sql, *args)

        return parse

    for module, name in [
        (pglast, "parse_sql"), (pglast.parser, "parse_sql"), (pglast.parser, "parse_sql_json"),
    ]:  # fmt: skip
        monkeypatch.setattr(module, name, guard(getattr(module, name)))


def _states(result: Result) -> list[tuple[str, str, int]]:
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    return [(m["version"], m["state"], m["steps_total"]) for m in data["migrations"]]


def test_status_reads_the_migrations_without_pglasts_parser(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Versions, checksums and step counts come from the lexer: a failing parser is never met."""
    monkeypatch.setattr(status, "_drift", _not_compared)
    _refuse_parsing(monkeypatch)
    assert _states(studio("status", "--format", "json")) == [(V1, "applied", 1), (V2, "applied", 1)]


async def _not_compared(settings: Any) -> tuple[None, str]:
    return None, "not compared"


def test_status_drift_check_never_parses_the_rows(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its replay reads the roles each batch names from the statements without their rows."""
    _refuse_parsing(monkeypatch, longer_than=lexer.LITERAL_ROWS_ABOVE)
    result = studio("status", "--format", "json")
    assert _states(result) == [(V1, "applied", 1), (V2, "applied", 1)]
    assert json.loads(result.stdout)["drift"] == []  # compared, and the same


def test_check_replays_the_migrations_once_when_all_are_applied(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file and the applied ones replay once when they are the same files."""
    sources: list[object] = []
    real = check.load

    async def recording(source: Any, *args: Any, **kwargs: Any) -> Any:
        sources.append((source.kind.value, source.versions))
        return await real(source, *args, **kwargs)

    monkeypatch.setattr(check, "load", recording)
    result = studio("check")
    assert result.exit_code == 0, result.stderr
    assert sources.count(("migrations", None)) == 1
    assert not [s for s in sources if s[0] == "migrations" and s[1] is not None]


def test_check_replays_on_the_dev_server_while_it_reads_the_target(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The target says its major version, then its schema is read while the replays run."""
    import asyncio

    from studio.sources import live
    from studio.sources import load as sources_load

    started: list[asyncio.Event] = []
    real_run, real_read = sources_load.run_batches, live.read_live

    def event() -> asyncio.Event:
        if not started:
            started.append(asyncio.Event())
        return started[0]

    async def running(*args: Any, **kwargs: Any) -> Any:
        event().set()
        return await real_run(*args, **kwargs)

    async def reading(*args: Any, **kwargs: Any) -> Any:
        # the live read waits for a replay to reach the dev server: one after the other, never
        await asyncio.wait_for(event().wait(), timeout=20)
        return await real_read(*args, **kwargs)

    monkeypatch.setattr(sources_load, "run_batches", running)
    monkeypatch.setattr(live, "read_live", reading)  # the live load's, which check ran first
    monkeypatch.setattr(check, "read_live", reading)
    result = studio("check")
    assert result.exit_code == 0, result.stderr
