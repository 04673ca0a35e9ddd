"""`squash --to VERSION`: a baseline in place of the migrations, recorded or run by `migrate`."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from click.testing import CliRunner, Result

from studio.cli import cli
from studio.migrations import files as migrations

if TYPE_CHECKING:
    from collections.abc import Iterator

    from studio.sources.devdb.cluster import Cluster

SCHEMA = """\
CREATE TYPE mood AS ENUM ('calm', 'busy');
CREATE TABLE authors (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL,
    mood mood NOT NULL DEFAULT 'calm', born date, mentor_id bigint REFERENCES authors (id),
    best_book bigint);
CREATE INDEX authors_name_idx ON authors (name);
CREATE TABLE books (id bigint PRIMARY KEY, author_id bigint REFERENCES authors (id),
    title text NOT NULL CHECK (title <> ''));
CREATE VIEW author_books AS SELECT a.name, b.title FROM authors a
    JOIN books b ON b.author_id = a.id;
CREATE TABLE shelves (id int PRIMARY KEY);
ALTER TABLE authors ADD FOREIGN KEY (best_book) REFERENCES books (id);
"""

# (name, up SQL, down SQL): the first three are squashed, the last stays
STEPS = [
    (
        "authors",
        "CREATE TYPE mood AS ENUM ('calm', 'busy');\n"
        "CREATE TABLE authors (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " name text NOT NULL, mood mood NOT NULL DEFAULT 'calm');\n"
        "CREATE INDEX authors_name_idx ON authors (name);\n",
        "DROP TABLE authors;\nDROP TYPE mood;\n",
    ),
    (
        "books",
        "CREATE TABLE books (id bigint PRIMARY KEY, author_id bigint REFERENCES authors (id),"
        " title text NOT NULL CHECK (title <> ''));\n"
        "INSERT INTO authors (name) VALUES ('seed');\n",
        "DROP TABLE books;\n",
    ),
    (
        "born and view",
        "ALTER TABLE authors ADD COLUMN born date,"
        " ADD COLUMN mentor_id bigint REFERENCES authors (id),"
        " ADD COLUMN best_book bigint REFERENCES books (id);\n"
        "CREATE VIEW author_books AS SELECT a.name, b.title FROM authors a"
        " JOIN books b ON b.author_id = a.id;\n",
        "DROP VIEW author_books;\n"
        "ALTER TABLE authors DROP COLUMN born, DROP COLUMN mentor_id, DROP COLUMN best_book;\n",
    ),
    ("shelves", "CREATE TABLE shelves (id int PRIMARY KEY);\n", "DROP TABLE shelves;\n"),
]


def studio(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def sql(url: str, statement: str) -> Any:
    async def go() -> Any:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetch(statement)
        finally:
            await conn.close()

    return asyncio.run(go())


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def databases(pg: Cluster) -> Iterator[dict[str, str]]:
    """Four fresh databases: applied all, applied the first only, drifted by hand, fresh."""
    if pg.binaries.major != 18:
        pytest.skip("the same code on every server: run on the embedded 18 alone")
    names = {k: f"t_{k}_{secrets.token_hex(4)}" for k in ("all", "behind", "drifted", "fresh")}
    urls = {k: asyncio.run(pg.create_database(n)) for k, n in names.items()}
    yield urls
    for n in names.values():
        asyncio.run(pg.drop_database(n))


@pytest.fixture
def project(
    tmp_path: Path, pg: Cluster, databases: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schema-studio]\nschema = "schema.sql"\nmigrations = "migrations"\n'
        f'dev_url = "{pg.url()}"\n'
    )
    (tmp_path / "schema.sql").write_text(SCHEMA)
    mdir = tmp_path / "migrations"
    mdir.mkdir()
    for i, (name, up, down) in enumerate(STEPS):
        version = f"2026010100000{i}"
        slug = migrations.slugify(name)
        (mdir / migrations.file_name(version, slug)).write_text(f"-- {name}\n\n{up}")
        (mdir / migrations.file_name(version, slug, down=True)).write_text(f"-- down\n\n{down}")
    migrations.write_sum(mdir)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", databases["all"])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def test_squash_then_migrate_records_or_runs_the_baseline(
    project: Path, databases: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    mdir = project / "migrations"
    urls = databases
    for key in ("all", "drifted"):
        assert studio("migrate", "--yes", "--db", urls[key]).exit_code == 0
    first = studio("migrate", "--yes", "--to", "20260101000000", "--db", urls["behind"])
    assert first.exit_code == 0
    sql(urls["drifted"], "ALTER TABLE authors DROP COLUMN born CASCADE")
    before = snapshot(mdir)

    # refusals: one line, exit 1, nothing changed on disk
    unknown = studio("squash", "--to", "20990101000000")
    assert unknown.exit_code == 1 and "no migration 20990101000000" in unknown.stderr
    behind = studio("squash", "--to", "20260101000002", "--db", urls["all"], "--db", urls["behind"])
    assert behind.exit_code == 1, behind.output
    assert "20260101000001_books is pending on" in behind.stderr
    assert "squash replaces only migrations every listed database applied" in behind.stderr
    # the configured fleet's targets, the behind one among them
    pyproject = project / "pyproject.toml"
    config = pyproject.read_text()
    pyproject.write_text(config + '[tool.schema-studio.fleet]\ntargets = ["ALL_URL", "OLD_URL"]\n')
    with monkeypatch.context() as env:
        env.setenv("ALL_URL", urls["all"])
        env.setenv("OLD_URL", urls["behind"])
        fleet = studio("squash", "--to", "20260101000002", "--fleet")
    assert fleet.exit_code == 1 and "20260101000001_books is pending on" in fleet.stderr
    pyproject.write_text(config)
    sum_path = mdir / migrations.SUM_FILE
    lines = sum_path.read_text().splitlines()
    lines[2], lines[3] = lines[3], lines[2]  # two lines swapped by hand: the chain is broken
    sum_path.write_text("\n".join(lines) + "\n")
    broken = studio("squash", "--to", "20260101000002")
    assert broken.exit_code == 1 and "the hash chain is broken" in broken.stderr
    sum_path.write_bytes(before[migrations.SUM_FILE])
    for refused in (unknown, behind, fleet, broken):
        assert "Traceback" not in refused.output and len(refused.stderr.splitlines()) <= 2
    assert snapshot(mdir) == before

    done = studio("squash", "--to", "20260101000002")
    assert done.exit_code == 0, done.output
    assert "20260101000001_books.sql changes rows" in done.stderr  # the seed row is not kept
    assert sorted(snapshot(mdir)) == [
        "20260101000002_squashed.sql",
        "20260101000003_shelves.down.sql",
        "20260101000003_shelves.sql",
        migrations.SUM_FILE,
    ]
    migrations.verify_sum(mdir)
    baseline = migrations.parse_file(mdir / "20260101000002_squashed.sql")
    assert [s.version for s in baseline.squashes] == [
        "20260101000000",
        "20260101000001",
        "20260101000002",
    ]
    assert baseline.down_steps is None and "irreversible" in " ".join(baseline.description)
    # keys, checks and the foreign key to a table made before: inside CREATE TABLE (unchecked);
    # the self-reference and the one to a table made after (a cycle) added after the tables
    statements = [st.sql for step in baseline.steps for st in step.statements]
    books = next(st for st in statements if st.startswith("CREATE TABLE public.books"))
    assert "CONSTRAINT books_pkey PRIMARY KEY (id)" in books
    assert "CONSTRAINT books_title_check CHECK ((title <> ''::text))" in books
    assert "CONSTRAINT books_author_id_fkey FOREIGN KEY (author_id) REFERENCES" in books
    fks = [st.split()[5] for st in statements if "FOREIGN KEY" in st and "ALTER TABLE" in st]
    assert sorted(fks) == ["authors_best_book_fkey", "authors_mentor_id_fkey"], statements

    # applied everything: squashed (check says so), then recorded by migrate without running it
    status = studio("status")
    assert "squashed     20260101000002_squashed" in status.stdout, status.output
    checked = studio("check")
    assert checked.exit_code == 2 and "`migrate` records it" in checked.stdout, checked.output
    # asked on a terminal: the baseline alone awaits, so there is something to do
    with monkeypatch.context() as terminal:
        terminal.setattr("studio.cli.migrate_cmd.interactive", lambda: True)
        recorded = CliRunner().invoke(cli, ["migrate"], input="y\n", catch_exceptions=False)
    assert recorded.exit_code == 0, recorded.output
    assert "20260101000002_squashed.sql squashes 3 migrations applied here" in recorded.stderr
    rows = sql(urls["all"], "SELECT version, name, kind FROM schema_studio.migrations ORDER BY 1")
    assert [tuple(r) for r in rows] == [
        ("20260101000000", "authors", "migrate"),
        ("20260101000001", "books", "migrate"),
        ("20260101000002", "squashed", "squash"),
        ("20260101000003", "shelves", "migrate"),
    ]
    assert sql(urls["all"], "SELECT count(*) FROM authors")[0][0] == 1  # nothing ran again
    clean = studio("check")
    assert clean.exit_code == 0, clean.output
    status = studio("status")
    assert "MISSING" not in status.stdout and "2 applied" in status.stderr, status.output

    # a fresh database runs the baseline, and is in sync after
    fresh = studio("migrate", "--yes", "--db", urls["fresh"])
    assert fresh.exit_code == 0, fresh.output
    assert studio("check", "--db", urls["fresh"]).exit_code == 0
    assert sql(urls["fresh"], "SELECT count(*) FROM author_books")[0][0] == 0

    # part applied, or drifted by hand: one line, nothing recorded or run
    for key, why in (
        ("behind", "squashes 3 migrations; this database applied 1 of them, not"),
        ("drifted", "is not the schema its migrations build"),
    ):
        history = sql(urls[key], "SELECT * FROM schema_studio.migrations ORDER BY 1")
        refused = studio("migrate", "--yes", "--db", urls[key])
        assert refused.exit_code == 1 and why in refused.stderr, refused.output
        assert "Traceback" not in refused.output
        assert sql(urls[key], "SELECT * FROM schema_studio.migrations ORDER BY 1") == history

    # irreversible: rolling back past the baseline is refused
    assert studio("rollback", "--yes").exit_code == 0  # shelves
    past = studio("rollback", "--yes")
    assert past.exit_code == 1 and "has no down file" in past.stderr, past.output


def test_fleet_migrate_records_the_baseline_per_target(
    project: Path, databases: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`migrate --fleet` records the baseline where the live schema is the replay, as
    `migrate` does; a drifted target is refused and keeps its history; a fresh one runs it."""
    urls = databases
    for key in ("all", "drifted"):
        assert studio("migrate", "--yes", "--db", urls[key]).exit_code == 0
    assert studio("squash", "--to", "20260101000002", "--db", urls["all"]).exit_code == 0
    sql(urls["drifted"], "ALTER TABLE authors DROP COLUMN born CASCADE")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + '[tool.schema-studio.fleet]\ntargets = ["ALL_URL", "DRIFTED_URL", "FRESH_URL"]\n'
    )
    for name, key in (("ALL_URL", "all"), ("DRIFTED_URL", "drifted"), ("FRESH_URL", "fresh")):
        monkeypatch.setenv(name, urls[key])
    history = "SELECT version, name, kind FROM schema_studio.migrations ORDER BY 1"
    drifted = sql(urls["drifted"], history)
    done = studio("migrate", "--fleet", "--yes", "--on-error", "continue", "--format", "json")
    assert done.exit_code == 2, done.output  # the drifted target
    reports = {r["target"]: r for r in map(json.loads, done.stdout.splitlines()) if "target" in r}
    assert reports["ALL_URL"]["state"] == "done", reports["ALL_URL"]
    assert reports["ALL_URL"]["ran"] == []  # recorded, nothing run
    assert reports["ALL_URL"]["notes"] == [
        "20260101000002_squashed.sql recorded in place of the 3 migrations it squashes"
        " (nothing of it run)"
    ]
    assert reports["DRIFTED_URL"]["state"] == "drift"
    assert reports["FRESH_URL"]["ran"] == ["20260101000002", "20260101000003"]
    assert [tuple(r) for r in sql(urls["all"], history)] == [
        ("20260101000000", "authors", "migrate"),
        ("20260101000001", "books", "migrate"),
        ("20260101000002", "squashed", "squash"),
        ("20260101000003", "shelves", "migrate"),
    ]
    assert sql(urls["all"], "SELECT count(*) FROM authors")[0][0] == 1  # nothing ran again
    assert sql(urls["drifted"], history) == drifted
