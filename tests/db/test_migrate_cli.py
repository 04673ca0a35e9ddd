"""The migration commands through the CLI: output, formats, exit codes, prompts, dry run."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from click.testing import CliRunner, Result

from studio.cli import cli, migrate_cmd, rollback_cmd
from studio.migrations import files as migrations

if TYPE_CHECKING:
    from collections.abc import Iterator

V1, V2 = "20250101000001", "20250101000002"


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    async def go() -> list[tuple[Any, ...]]:
        conn = await asyncpg.connect(url)
        try:
            return [tuple(r) for r in await conn.fetch(sql)]
        finally:
            await conn.close()

    return asyncio.run(go())


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "pyproject.toml").write_text('[tool.schema-studio]\nmigrations = "migrations"\n')
    (tmp_path / "migrations").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    yield tmp_path / "migrations"


def write(d: Path, version: str, slug: str, up: str, down: str | None = None) -> Path:
    path = d / f"{version}_{slug}.sql"
    path.write_text(up)
    if down is not None:
        (d / f"{version}_{slug}.down.sql").write_text(down)
    migrations.write_sum(d)
    return path


def studio(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_migrate_text_progress_on_stderr(project: Path, db_url: str) -> None:
    write(project, V1, "a", "-- schema-studio:step\n-- make a\nCREATE TABLE a (x int);\n")
    result = studio("migrate")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"{V1}_a: 1 step, one transaction" in result.stderr
    assert "[1/1] make a ..." in result.stderr
    assert "applied 1 migration" in result.stderr
    again = studio("migrate")
    assert "nothing to do: the database is up to date" in again.stderr


def test_migrate_json_events_on_stdout(project: Path) -> None:
    write(project, V1, "a", "CREATE TABLE a (x int);\n")
    result = studio("migrate", "--format", "json")
    assert result.exit_code == 0
    estimates, *events = [json.loads(line) for line in result.stdout.splitlines()]
    # first the pending steps' locks, sizes and estimates, read from the target
    assert estimates["event"] == "Estimates"
    assert [(s["version"], s["index"]) for s in estimates["steps"]] == [(V1, 1)]
    kinds = [e["event"] for e in events]
    assert kinds == [
        "RunStarted",
        "MigrationStarted",
        "StepStarted",
        "StepFinished",
        "MigrationFinished",
        "RunFinished",
    ]
    assert all(isinstance(e["at"], float) for e in events)
    assert events[-1]["versions"] == [V1]


def test_migrate_asks_on_a_terminal_unless_yes(
    project: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        project,
        V1,
        "a",
        "CREATE TABLE a (x int);\n-- schema-studio:no-transaction\n"
        "CREATE INDEX CONCURRENTLY a_x ON a (x);\n",
    )
    monkeypatch.setattr(migrate_cmd, "interactive", lambda: True)
    declined = studio("migrate", input="n\n")
    assert declined.exit_code == 1
    assert f"{V1}_a: 2 steps, step by step" in declined.stderr
    assert "2. CREATE INDEX CONCURRENTLY a_x ON a (x);  [no transaction]" in declined.stderr
    assert "nothing applied" in declined.stderr
    assert query(db_url, "SELECT to_regclass('a')") == [(None,)]
    accepted = studio("migrate", input="y\n")
    assert accepted.exit_code == 0 and "applied 1 migration" in accepted.stderr
    write(project, V2, "b", "CREATE TABLE b (x int);\n")
    assert studio("migrate", "--yes").exit_code == 0  # --yes never asks
    assert query(db_url, "SELECT to_regclass('b') IS NOT NULL") == [(True,)]


def test_status_flags_and_formats(project: Path, db_url: str) -> None:
    path = write(project, V1, "a", "CREATE TABLE a (x int);\n")
    write(project, V2, "b", "CREATE TABLE b (x int);\n")
    assert studio("migrate", "--to", V1).exit_code == 0
    text = studio("status")
    assert text.exit_code == 0
    assert text.stdout.splitlines()[0].startswith(f"applied      {V1}_a")
    assert text.stdout.splitlines()[1] == f"pending      {V2}_b"
    assert "1 applied, 1 pending" in text.stderr

    # an edit blessed with `hash` is still flagged against the history
    path.write_text("CREATE TABLE a (y int);\n")
    refused = studio("status")
    assert refused.exit_code == 1 and f"{V1}_a.sql was modified" in refused.stderr
    assert studio("hash").exit_code == 0
    flagged = studio("status", "--format", "json")
    assert flagged.exit_code == 0
    data = json.loads(flagged.stdout)
    assert [(m["version"], m["state"]) for m in data["migrations"]] == [
        (V1, "modified"),
        (V2, "pending"),
    ]
    assert data["migrations"][0]["checksum"] != data["migrations"][0]["checksum_applied"]
    assert "MODIFIED" in studio("status").stdout
    refused = studio("migrate")
    assert refused.exit_code == 1 and "was changed after it was applied" in refused.stderr


def test_new_then_hash(project: Path, db_url: str) -> None:
    result = studio("new", "Add things!")
    assert result.exit_code == 0
    path = Path(result.stdout.strip())
    assert path.parent == project and path.name.endswith("_add_things.sql")
    migrations.verify_sum(project)  # recorded
    empty = studio("migrate")
    assert empty.exit_code == 1 and "has no SQL" in empty.stderr
    with path.open("a") as f:
        f.write("CREATE TABLE things (x int);\n")
    assert "was modified" in studio("migrate").stderr
    assert studio("hash").exit_code == 0
    assert studio("migrate").exit_code == 0
    assert query(db_url, "SELECT to_regclass('things') IS NOT NULL") == [(True,)]


def test_rollback_needs_yes_without_a_terminal(
    project: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, V1, "a", "CREATE TABLE a (x int);\n", "DROP TABLE a;\n")
    write(project, V2, "b", "CREATE TABLE b (x int);\n", "DROP TABLE b;\n")
    assert studio("migrate").exit_code == 0
    unanswered = studio("rollback")
    assert unanswered.exit_code == 2 and "--yes" in unanswered.stderr
    assert studio("rollback", "--count", "1", "--to", V1).exit_code == 1
    done = studio("rollback", "--yes")
    assert done.exit_code == 0 and "rolled back 1 migration" in done.stderr
    assert query(db_url, "SELECT to_regclass('b'), to_regclass('a') IS NOT NULL") == [(None, True)]
    monkeypatch.setattr(rollback_cmd, "interactive", lambda: True)
    asked = studio("rollback", input="y\n")
    assert asked.exit_code == 0 and f"{V1}_a: 1 step" in asked.stderr
    assert query(db_url, "SELECT version FROM schema_studio.migrations") == []


def test_baseline_json(project: Path, db_url: str) -> None:
    write(project, V1, "a", "CREATE TABLE a (x int);\n")
    result = studio("baseline", V1, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"baseline": V1, "recorded": [V1]}
    assert query(db_url, "SELECT to_regclass('a')") == [(None,)]  # no SQL ran
    assert "(baseline)" in studio("status").stdout


def test_dry_run_never_touches_the_target(project: Path, db_url: str) -> None:
    write(project, V1, "a", "CREATE TABLE a (x int);\n")
    assert studio("migrate").exit_code == 0
    write(
        project,
        V2,
        "b",
        "INSERT INTO a VALUES (1);\n-- schema-studio:no-transaction\n"
        "CREATE INDEX CONCURRENTLY a_x ON a (x);\n",
    )
    result = studio("migrate", "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["replayed"] == [V1] and report["tried"] == [V2] and report["error"] is None
    assert [(s["version"], s["index"]) for s in report["steps"]] == [(V2, 1), (V2, 2)]
    assert query(db_url, "SELECT count(*) FROM a") == [(0,)]
    assert query(db_url, "SELECT version FROM schema_studio.migrations") == [(V1,)]

    (project / f"{V2}_b.sql").write_text(
        "INSERT INTO a VALUES (1);\nINSERT INTO nowhere VALUES (1);\n"
    )
    migrations.write_sum(project)
    failed = studio("migrate", "--dry-run")
    assert failed.exit_code == 1
    assert "nowhere" in failed.stderr and "step 2" in failed.stderr
    assert "was not changed" in failed.stderr
    assert query(db_url, "SELECT count(*) FROM a") == [(0,)]


def test_password_never_shown(project: Path, scram_cluster: Any) -> None:
    name = "pw_" + str(abs(hash(str(project))))[:8]
    asyncio.run(scram_cluster.create_database(name))
    try:
        url = scram_cluster.url(name, with_password=True)
        write(project, V1, "a", "CREATE TABLE a (x int);\n")
        outputs = [
            studio("migrate", "--db", url),
            studio("status", "--db", url),
            studio("status", "--db", url, "--format", "json"),
            studio("migrate", "--db", url, "--dry-run"),
        ]
        for result in outputs:
            assert result.exit_code == 0, result.stderr
            assert scram_cluster.password not in result.stdout + result.stderr
        assert "***" in outputs[1].stderr
    finally:
        asyncio.run(scram_cluster.drop_database(name))
