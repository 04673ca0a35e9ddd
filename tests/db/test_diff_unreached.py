"""Differences no SQL reaches, named by the diff rather than passed over (real PostgreSQL).

Whether an INHERITS child's column is its own as well as inherited (attislocal)
is what pg_dump writes the column in the child's CREATE TABLE by; no ALTER TABLE
makes an inherited column the table's own or takes that away. A migration reaches
it where a column stops being inherited (ALTER TABLE ONLY ... DROP COLUMN on the
parent), or is added to the child before its parent's ADD COLUMN merges in (the
golden case inheritance_local_columns); anywhere else the diff names it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from _diff_support import apply, assert_converged, connect, database, paired
from click.testing import CliRunner

from studio.catalog.introspect import introspect
from studio.cli import cli
from studio.diff import diff_report

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from studio.sources.devdb import Cluster

KEPT = """
CREATE TABLE p (id int, b text, c int);
CREATE TABLE keeps () INHERITS (p);
CREATE TABLE drops () INHERITS (p);
CREATE TABLE own (b text) INHERITS (p);
CREATE TABLE grandchild () INHERITS (keeps);
"""
OWN_WHERE_INHERITED = (
    "column public.keeps.b stays the table's own (attislocal) where the target only inherits it"
)
# the parent's b goes; `keeps` keeps the b it only inherited, as its own
DROPPED = """
CREATE TABLE p (id int, c int);
CREATE TABLE keeps (b text) INHERITS (p);
CREATE TABLE drops () INHERITS (p);
CREATE TABLE own (b text) INHERITS (p);
CREATE TABLE grandchild () INHERITS (keeps);
"""


async def test_a_child_keeps_the_column_its_parent_drops(pg: Cluster, db_url: str) -> None:
    conn = await connect(db_url)
    try:
        await conn.execute(KEPT + "INSERT INTO keeps (id, b) VALUES (1, 'kept');")
        result = await paired(conn, pg, DROPPED)
        assert_converged(result)
        assert [s for c in result.changes for s in c.sql()] == [
            "ALTER TABLE ONLY public.p DROP COLUMN b",
            "ALTER TABLE public.drops DROP COLUMN b",
        ]
        assert await conn.fetchval("SELECT b FROM keeps") == "kept"
    finally:
        await conn.close()


async def test_attislocal_no_alter_reaches_is_named(pg: Cluster, db_url: str) -> None:
    """The way back: the parent's new b merges into `keeps`' own, which stays its own."""
    conn = await connect(db_url)
    try:
        await conn.execute(DROPPED)
        old = await introspect(conn)
        async with database(pg, KEPT) as target:
            new = await introspect(target)
        report = diff_report(old, new)
        assert report.unreached == (OWN_WHERE_INHERITED,)
        await apply(conn, report.changes)
        applied = await introspect(conn)
        # what is left is what was named: that column's attislocal
        kept = applied.tables["public.keeps"].column("b")
        assert kept is not None and not kept.inherited
        assert applied.tables | {"public.keeps": new.tables["public.keeps"]} == new.tables
        assert diff_report(applied, new).changes == ()
    finally:
        await conn.close()


async def test_kept_columns_whose_attislocal_differs_are_named(pg: Cluster, db_url: str) -> None:
    before = """
    CREATE TABLE q (id int, a int);
    CREATE TABLE q_own (a int) INHERITS (q);
    CREATE TABLE q_inh () INHERITS (q);
    """
    after = """
    CREATE TABLE q (id int, a int);
    CREATE TABLE q_own () INHERITS (q);
    CREATE TABLE q_inh (a int) INHERITS (q);
    """
    async with database(pg, before) as a, database(pg, after) as b:
        old, new = await introspect(a), await introspect(b)
    report = diff_report(old, new)
    assert report.changes == ()
    assert report.unreached == (
        "column public.q_inh.a stays only inherited where the target declares it too (attislocal)",
        "column public.q_own.a stays the table's own (attislocal)"
        " where the target only inherits it",
    )
    assert old != new  # the model compares it: `check` and `diff` say the sides differ


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schema-studio]\nschema = "schema.sql"\nmigrations = "migrations"\n'
        f'dev_url = "{db_url}"\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    yield tmp_path


def test_diff_and_check_name_what_no_migration_reaches(project: Path) -> None:
    (project / "old.sql").write_text(DROPPED)
    (project / "new.sql").write_text(KEPT)
    cli_run = CliRunner().invoke
    diffed = cli_run(cli, ["diff", "--from", "old.sql", "--to", "new.sql", "--format", "json"])
    assert diffed.exit_code == 2
    line = OWN_WHERE_INHERITED
    assert f"warning: {line}" in diffed.stderr
    assert json.loads(diffed.stdout)["unreached"] == [line]
    # declared as the target, migrated: what the migration cannot do fails `check`
    (project / "schema.sql").write_text(DROPPED)
    (project / "migrations").mkdir()
    assert cli_run(cli, ["generate", "--name", "init"]).exit_code == 0
    (project / "schema.sql").write_text(KEPT)
    generated = cli_run(cli, ["generate", "--name", "back"])
    assert generated.exit_code == 0 and f"warning: {line}" in generated.stderr
    checked = cli_run(cli, ["check", "--no-live"])
    assert checked.exit_code == 2 and line in checked.stdout


async def test_a_not_null_rename_an_inheriting_table_blocks_is_named(pg: Cluster) -> None:
    """PostgreSQL 18: a parent's NOT NULL rename fails on a child whose inherited one is
    named otherwise; a partition is detached around it, an INHERITS child is not (NO INHERIT
    would make its columns its own), so the rename is named instead of failing."""
    if pg.major < 18:
        pytest.skip("NOT NULL constraints are named from PostgreSQL 18")
    child = "CREATE TABLE q2 (id int, a int CONSTRAINT q2_own NOT NULL); ALTER TABLE q2 INHERIT q;"
    before = "CREATE TABLE q (id int, a int NOT NULL);" + child
    after = "CREATE TABLE q (id int, a int CONSTRAINT q_req NOT NULL);" + child
    async with database(pg, before) as a, database(pg, after) as b:
        old, new = await introspect(a), await introspect(b)
    report = diff_report(old, new, server_version=180000)
    assert report.changes == ()
    (line,) = report.unreached
    assert line == (
        "NOT NULL q_a_not_null on public.q.a is not renamed to q_req: PostgreSQL renames its"
        " inheriting tables' too, and cannot bring public.q2 where the target has it"
    )
