"""Declared SQL as real projects commit it, and objects the model does not hold.

A Rails-style structure.sql (pg_dump's SET lines and \\restrict, extensions,
partitions, triggers calling PL/pgSQL, a custom operator, schema_migrations),
a file of only comments, SQL that grants to and writes policies for roles the
dev cluster lacks: each is materialized on the dev server, diffed against a
live database, applied, and must converge. An object of a kind the model
lacks is named on `diff`, `generate` and `check`, never passed over.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from _diff_support import apply, database, differences
from click.testing import CliRunner, Result

from studio.catalog.introspect import introspect
from studio.cli import cli
from studio.config import Settings
from studio.diff import diff
from studio.diff.unmodelled import unmodelled
from studio.errors import SourceError
from studio.sources.devdb.binaries import has_extension, servers_with_extension
from studio.sources.load import load
from studio.sources.spec import Source, SourceKind

if TYPE_CHECKING:
    from collections.abc import Iterator

    from studio.model import Schema
    from studio.sources.devdb.cluster import Cluster

FIXTURES = Path(__file__).parent.parent / "fixtures" / "declared"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Materializations cached per test: a dev_url's server is not part of the cache key."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


async def _load(tmp_path: Path, db_url: str, sql: str, *, with_privileges: bool = False) -> Schema:
    path = tmp_path / "structure.sql"
    path.write_text(sql)
    settings = Settings(root=tmp_path, dev_url=db_url)
    source = Source(SourceKind.SQL, str(path), path)
    loaded = await load(source, settings, use_cache=False, with_privileges=with_privileges)
    return loaded.schema


async def _migrate(
    pg: Cluster, before_sql: str, declared: Schema, *, with_privileges: bool = False
) -> Schema:
    """Diff a fresh database holding `before_sql` against `declared`, apply, and re-introspect."""
    async with database(pg, before_sql, "live") as conn:
        old = await introspect(conn, with_privileges=with_privileges)
        await apply(conn, diff(old, declared, with_privileges=with_privileges))
        return await introspect(conn, with_privileges=with_privileges)


def _without_pgcrypto(sql: str) -> str:
    """The fixture for a server without pgcrypto: its uuid default is core's since PostgreSQL 13."""
    lines = [
        ln
        for ln in sql.splitlines()
        if "pgcrypto" not in ln and "cryptographic functions" not in ln
    ]
    return "\n".join(lines).replace("public.gen_random_uuid()", "gen_random_uuid()")


# --- structure.sql -----------------------------------------------------------------------


async def test_rails_structure_sql(pg: Cluster, db_url: str, tmp_path: Path) -> None:
    sql = (FIXTURES / "rails_structure.sql").read_text()
    if not has_extension(pg.binaries, "pgcrypto"):
        # the embedded 18 lacks pgcrypto: the error names it and where it is
        with pytest.raises(SourceError) as e:
            await _load(tmp_path, db_url, sql)
        assert "extension pgcrypto is not available on the dev server" in e.value.message
        assert "CREATE EXTENSION IF NOT EXISTS pgcrypto" in e.value.message
        having = servers_with_extension("pgcrypto")
        assert all(str(b.bindir) in e.value.hint for b in having if b.major != pg.major)
        sql = _without_pgcrypto(sql)
    declared = await _load(tmp_path, db_url, sql)
    assert len(declared.tables) == 35
    events = declared.tables["public.events"]
    assert events.partition_key == "RANGE (occurred_at)"
    assert declared.tables["public.events_2026"].partition_of == "public.events"
    assert {t.name for t in declared.tables["public.issues"].triggers} == {
        "log_issue_change",
        "touch_updated_at",
    }
    assert {"btree_gist", "citext", "pg_trgm"} <= {e.name for e in declared.extensions.values()}
    assert "public.schema_migrations" in declared.tables
    # the custom operator is modelled: nothing is left unmodelled, and it is migrated
    assert list(declared.unmodelled) == []
    assert "operator:public.<<< (text, text)" in declared.objects

    applied = await _migrate(pg, "", declared)
    assert not unmodelled(applied, declared).differs
    assert applied == declared, differences(applied, declared)
    assert diff(applied, declared) == []


async def test_structure_sql_psql_lines_and_what_every_database_has(
    pg: Cluster, db_url: str, tmp_path: Path
) -> None:
    sql = (
        "\\restrict abc123\n"
        "SET statement_timeout = 0;\n"
        "SET transaction_timeout = 0;\n"  # PostgreSQL 17+: 14 and 15 do not know it
        "SET no_such.setting = 1;\n"
        "SELECT pg_catalog.set_config('search_path', '', false);\n"
        "CREATE SCHEMA public;\n"  # every database has it
        "COMMENT ON SCHEMA public IS 'standard public schema';\n"
        "CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $$ SELECT '\n"
        "\\restrict stays: inside a string' $$;\n"
        "CREATE TABLE public.t (id int);\n"
        "\\unrestrict abc123\n"
    )
    declared = await _load(tmp_path, db_url, sql)
    assert list(declared.tables) == ["public.t"]
    assert "\\restrict stays" in declared.functions["public.f()"].definition


async def test_a_psql_meta_command_that_changes_things_is_named(
    db_url: str, tmp_path: Path
) -> None:
    sql = (
        "CREATE TABLE a (id int);\n-- next: another database\n"
        "\\connect other\nCREATE TABLE b (id int);\n"
    )
    with pytest.raises(
        SourceError, match=r"structure\.sql:3: psql meta-command \\connect in a declared schema"
    ):
        await _load(tmp_path, db_url, sql)


# --- a file of only comments ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["-- the schema goes here\n", "", "/* nothing */\n;\n-- yet\n"],
    ids=["comment", "empty", "comments-and-semicolon"],
)
async def test_a_file_of_only_comments_is_an_empty_schema(
    pg: Cluster, db_url: str, tmp_path: Path, text: str
) -> None:
    declared = await _load(tmp_path, db_url, text)
    assert declared.object_count() == len(declared.namespaces)  # public, nothing in it
    before = (
        "CREATE TABLE public.users (id int PRIMARY KEY, email text);\n"
        "CREATE VIEW public.v AS SELECT id FROM public.users;\n"
    )
    async with database(pg, before, "live") as conn:
        old = await introspect(conn)
    changes = diff(old, declared)
    assert [c.describe() for c in changes] == ["drop view public.v", "drop table public.users"]
    assert [c.destructive for c in changes] == [False, True]
    assert await _migrate(pg, before, declared) == declared


# --- roles ---------------------------------------------------------------------------------


async def test_roles_the_sql_names_are_created_nologin(
    pg: Cluster, db_url: str, tmp_path: Path
) -> None:
    tag = secrets.token_hex(3)
    owner, reader, user, bot = (
        f"app_owner_{tag}",
        f"reader_{tag}",
        f"app_user_{tag}",
        f"Report Bot {tag}",
    )
    sql = (
        "CREATE TABLE public.notes (id bigint PRIMARY KEY, author text NOT NULL, body text);\n"
        f"ALTER TABLE public.notes OWNER TO {owner};\n"
        "ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n"
        f"CREATE POLICY notes_read ON public.notes FOR SELECT TO {reader},"
        f' "{bot}" USING (author = current_user);\n'
        f"GRANT SELECT, INSERT ON public.notes TO {user};\n"
        "GRANT SELECT ON public.notes TO PUBLIC;\n"
    )
    declared = await _load(tmp_path, db_url, sql, with_privileges=True)
    assert declared.owners["public.notes"] == owner
    assert set(declared.tables["public.notes"].policies[0].roles) == {reader, bot}
    assert {p.grantee for p in declared.privileges} >= {user, "PUBLIC"}
    rows = await _fetch(
        db_url,
        "SELECT r.rolname, r.rolcanlogin, r.rolpassword IS NULL AS no_password,"
        " (SELECT count(*) FROM pg_auth_members m WHERE r.oid IN (m.member, m.roleid))"
        " AS memberships FROM pg_authid r WHERE r.rolname = ANY($1::text[]) ORDER BY 1",
        [owner, reader, user, bot],
    )
    assert rows == sorted((name, False, True, 0) for name in (owner, reader, user, bot))
    # a live database of the same cluster has the roles (cluster-wide), as the target has them
    applied = await _migrate(pg, "", declared, with_privileges=True)
    assert applied == declared, differences(applied, declared)


async def test_a_file_that_creates_its_own_role_loads_twice(db_url: str, tmp_path: Path) -> None:
    role = f"own_role_{secrets.token_hex(3)}"
    sql = (
        f"CREATE ROLE {role};\nCREATE TABLE public.t (id int);\n"
        f"GRANT SELECT ON public.t TO {role};\n"
    )
    first = await _load(tmp_path, db_url, sql, with_privileges=True)
    # roles are cluster-wide: the second materialization finds the first one's
    second = await _load(tmp_path, db_url, sql, with_privileges=True)
    assert first == second


async def test_a_migrations_replay_creates_the_roles_its_grants_name(
    db_url: str, tmp_path: Path
) -> None:
    from studio.migrations import files as migrations

    role = f"migr_{secrets.token_hex(3)}"
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20250101000001_init.sql").write_text(
        "-- schema-studio:step\nCREATE TABLE public.t (id int);\n"
        f"GRANT SELECT ON public.t TO {role};\n"
    )
    migrations.write_sum(folder)
    settings = Settings(root=tmp_path, dev_url=db_url)
    source = Source(SourceKind.MIGRATIONS, "migrations", folder)
    loaded = await load(source, settings, use_cache=False, with_privileges=True)
    assert role in {p.grantee for p in loaded.schema.privileges}


async def _fetch(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(url)
    try:
        return [tuple(r) for r in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


# --- objects the model does not hold -----------------------------------------------------------

UNMODELLED = """
CREATE SCHEMA app;
CREATE TABLE app.t (a int, b int);
CREATE FUNCTION app.lt(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 < $2';
CREATE OPERATOR app.<<< (FUNCTION = app.lt, LEFTARG = int, RIGHTARG = int);
CREATE STATISTICS app.t_ab (dependencies) ON a, b FROM app.t;
CREATE RULE t_no_delete AS ON DELETE TO app.t DO INSTEAD NOTHING;
CREATE TYPE app.pair AS (x int, y int);
CREATE TYPE app.span AS RANGE (subtype = float8);
CREATE CAST (app.pair AS text) WITH INOUT;
CREATE TEXT SEARCH CONFIGURATION app.english (COPY = english);
CREATE OPERATOR FAMILY app.fam USING btree;
CREATE CONVERSION app.latin_utf8 FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
CREATE FOREIGN DATA WRAPPER app_fdw;
"""
# the operator, statistics, rule, composite and range types, cast, configuration and
# operator family above are modelled
UNMODELLED_KEYS = [
    "conversion app.latin_utf8",
    "foreign-data wrapper app_fdw",
]


async def test_unmodelled_objects_are_read_by_identity(pg: Cluster) -> None:
    async with database(pg, "CREATE EXTENSION citext;\n" + UNMODELLED) as conn:
        schema = await introspect(conn)
    # citext's own casts, operators and types are the extension's: not listed
    assert list(schema.unmodelled) == UNMODELLED_KEYS
    assert {"operator family:app.fam USING btree", "statistics:app.t_ab"} <= schema.objects.keys()
    # a range type's constructors are the type's, not functions to diff
    assert list(schema.functions) == ["app.lt(integer, integer)"]
    assert list(schema.restrict(["public"]).unmodelled) == ["foreign-data wrapper app_fdw"]


def _studio(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schema-studio]\nschema = "schema.sql"\nmigrations = "migrations"\n'
        f'dev_url = "{db_url}"\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    yield tmp_path


def test_diff_names_unmodelled_objects_on_one_side(project: Path) -> None:
    (project / "old.sql").write_text("CREATE SCHEMA app;\nCREATE TABLE app.t (a int, b int);\n")
    (project / "new.sql").write_text(UNMODELLED)
    result = _studio("diff", "--from", "old.sql", "--to", "new.sql")
    assert result.exit_code == 2
    for key in UNMODELLED_KEYS:
        assert (
            f"warning: {key} is only in new.sql: not modelled, so the migration does not create it"
            in result.stderr
        )
    same = _studio("diff", "--from", "new.sql", "--to", "new.sql", "--format", "json")
    assert same.exit_code == 0
    assert (
        "2 objects of kinds schema-studio does not model are on both sides and were not compared"
        in same.stderr
    )
    assert [u["identity"] for u in json.loads(same.stdout)["unmodelled"]["not_compared"]][:1] == [
        "app.latin_utf8"
    ]


def test_generate_warns_and_check_fails_naming_the_object(project: Path) -> None:
    (project / "schema.sql").write_text("CREATE SCHEMA app;\nCREATE TABLE app.t (a int, b int);\n")
    (project / "migrations").mkdir()
    first = _studio("generate", "--name", "init")
    assert first.exit_code == 0, first.stderr
    assert _studio("check", "--no-live").exit_code == 0
    (project / "schema.sql").write_text(
        "CREATE SCHEMA app;\nCREATE TABLE app.t (a int, b int);\n"
        "CREATE CONVERSION app.latin_utf8 FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;\n"
    )
    generated = _studio("generate", "--name", "conversion")
    assert generated.exit_code == 0
    assert "warning: conversion app.latin_utf8 is only in the declared schema" in generated.stderr
    assert "hand-written migration" in generated.stderr
    checked = _studio("check", "--no-live")
    assert checked.exit_code == 2
    assert "conversion app.latin_utf8 is only in the declared schema" in checked.stdout
    as_json = _studio("check", "--no-live", "--format", "json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["ok"] is False


def test_unmodelled_report_is_pure() -> None:
    from studio.model import Schema, Unmodelled

    op = Unmodelled("operator", "app.<<<(integer,integer)", "app")
    cast = Unmodelled("cast", "(app.pair AS pg_catalog.text)")
    old, new = Schema(unmodelled={op.key: op, cast.key: cast}), Schema(unmodelled={cast.key: cast})
    report = unmodelled(old, new)
    assert (report.only_old, report.only_new, report.both) == ((op,), (), (cast,))
    assert report.differs and old != new
    assert report.problems("live", "declared") == (
        "operator app.<<<(integer,integer) is only in live: not modelled,"
        " so the migration does not drop it",
    )
