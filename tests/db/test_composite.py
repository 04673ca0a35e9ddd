"""Models and hand-written SQL as one declared schema, and `exclude` patterns.

A composite declared schema (`schema = ["app.models:Base", "db/schema/"]`, or
`--to` repeated) materializes its parts in order into one database: the SQL
(a view over the models' tables, a trigger calling a function, a policy)
builds on the tables the models made. Everything downstream compares it as
one schema; `exclude` leaves objects out of both sides.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from click.testing import CliRunner, Result

from studio.cli import cli
from studio.config import Settings
from studio.sources.cache import cache_key
from studio.sources.declared import DECLARED_KINDS
from studio.sources.devdb.binaries import available_servers
from studio.sources.load import load
from studio.sources.spec import SourceKind, parse_sources

if TYPE_CHECKING:
    from collections.abc import Iterator

    from studio.sources.devdb.cluster import Cluster

MODELS = """
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    touched: Mapped[int] = mapped_column(Integer, server_default="0")
"""

FUNCTIONS = """
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.touched := NEW.touched + 1;
  RETURN NEW;
END $$;
"""

# a view over two model tables, a trigger calling the function, a policy
VIEWS = """
CREATE VIEW public.item_names AS
  SELECT i.id, i.title, u.name AS owner
  FROM public.items i JOIN public.users u ON u.id = i.owner_id;

CREATE TRIGGER items_touch BEFORE UPDATE ON public.items
  FOR EACH ROW EXECUTE FUNCTION public.touch();

ALTER TABLE public.items ENABLE ROW LEVEL SECURITY;
CREATE POLICY items_own ON public.items
  USING (owner_id = pg_catalog.current_setting('app.user_id')::integer);
"""


@pytest.fixture(scope="session")
def pg(_cluster_pool: Any) -> Cluster:
    """The embedded server only: nothing here differs across versions (tests/conftest.py's `pg`)."""
    embedded = next((b for b in available_servers() if b.source == "embedded"), None)
    cluster: Cluster = _cluster_pool.get(f"pg{embedded.major}" if embedded else "pg", embedded)
    return cluster


def _studio(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.schema-studio]\nschema = ["app.models:Base", "db/schema/"]\ndev_url = "{db_url}"\n'
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(MODELS)
    schema = tmp_path / "db" / "schema"
    schema.mkdir(parents=True)
    (schema / "10_functions.sql").write_text(FUNCTIONS)
    (schema / "20_views.sql").write_text(VIEWS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    yield tmp_path


def test_models_and_sql_are_one_declared_schema(project: Path, db_url: str) -> None:
    # the list from the config, pushed to the database
    r = _studio("push", "--db", db_url, "--yes")
    assert r.exit_code == 0, r.output
    # --to repeated gives the same composite schema: nothing differs
    r = _studio("diff", "--db", db_url, "--to", "app.models:Base", "--to", "db/schema/")
    assert r.exit_code == 0, r.output
    assert "app.models:Base + db/schema/: no differences" in r.stdout
    # the config's list, as JSON
    r = _studio("diff", "--db", db_url, "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["to"] == "app.models:Base + db/schema/"
    # the models alone: the hand-written objects are drops like any other
    r = _studio("diff", "--db", db_url, "--to", "app.models:Base", "--format", "sql")
    assert r.exit_code == 2, r.output
    for sql in (
        "DROP VIEW public.item_names",
        "DROP TRIGGER items_touch ON public.items",
        "DROP POLICY items_own ON public.items",
        "DROP FUNCTION public.touch()",
    ):
        assert sql in r.stdout


async def test_each_object_names_the_part_it_came_from(project: Path, db_url: str) -> None:
    settings = Settings(root=project, dev_url=db_url, schema=("app.models:Base", "db/schema/"))
    source = parse_sources(("app.models:Base", "db/schema/"), settings)
    assert source.kind is SourceKind.COMPOSITE
    loaded = await load(source, settings)
    # read back from the cache with the same origins
    again = await load(source, settings)
    assert again.cached and again.origins == loaded.origins
    views, functions = "db/schema/20_views.sql", "db/schema/10_functions.sql"
    assert {k: v for k, v in loaded.origins.items() if not k.startswith("con:")} == {
        **{
            f"rel:public.{name}": "app.models:Base"
            for table in ("users", "items")
            for name in (table, f"{table}_pkey", f"{table}_id_seq")
        },
        "fn:public.touch()": functions,
        "rel:public.item_names": views,
        "trg:public.items.items_touch": views,
        "pol:public.items.items_own": views,
    }
    assert loaded.origins["con:public.items.items_owner_id_fkey"] == "app.models:Base"
    assert loaded.declared_schemas == ("public",)
    # a single source says nothing of origins
    alone = await load(parse_sources(["app.models:Base"], settings), settings, use_cache=False)
    assert alone.origins == {}


def test_the_cache_key_covers_every_part_and_their_order(project: Path) -> None:
    settings = Settings(root=project, schema=("app.models:Base", "db/schema/"))

    def key(*specs: str) -> str:
        source = parse_sources(specs, settings)
        return cache_key(source, DECLARED_KINDS[source.kind].files(source, settings), 18)

    first = key("app.models:Base", "db/schema/")
    assert key("db/schema/", "app.models:Base") != first
    (project / "db" / "schema" / "20_views.sql").write_text(VIEWS + "\n-- edited\n")
    second = key("app.models:Base", "db/schema/")
    assert second != first
    (project / "app" / "models.py").write_text(MODELS + "\n# edited\n")
    assert key("app.models:Base", "db/schema/") not in (first, second)
    assert key("app.models:Base") != key("app.models:Base", "db/schema/")


def test_a_url_or_the_migrations_in_a_list_is_a_usage_error(project: Path, db_url: str) -> None:
    for bad, shown in (("migrations", "migrations"), (db_url, db_url.split("@")[-1])):
        r = _studio("diff", "--db", db_url, "--to", "app.models:Base", "--to", bad)
        assert r.exit_code == 1, r.output
        errors = [ln for ln in r.output.splitlines() if ln.startswith("error:")]
        assert len(errors) == 1 and "cannot be part of a list of schema sources" in errors[0]
        assert shown in errors[0]


async def _run(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _config(project: Path, db_url: str, schema: str, extra: str = "") -> None:
    (project / "pyproject.toml").write_text(
        f'[tool.schema-studio]\nschema = {schema}\ndev_url = "{db_url}"\n{extra}'
    )


VIEW = """
CREATE VIEW public.item_names AS
  SELECT i.id, i.title, u.name AS owner
  FROM public.items i JOIN public.users u ON u.id = i.owner_id;
"""


def test_a_hand_written_view_survives_generate_when_declared(project: Path, db_url: str) -> None:
    _config(project, db_url, '"app.models:Base"')
    assert _studio("generate", "--name", "init").exit_code == 0
    # the view, written by hand in a migration of its own, and applied
    r = _studio("new", "item_names")
    assert r.exit_code == 0, r.output
    path = Path(r.stdout.strip())
    path.write_text(path.read_text() + VIEW)
    assert _studio("hash").exit_code == 0
    r = _studio("migrate", "--db", db_url)
    assert r.exit_code == 0, r.output
    written = sorted(p.name for p in (project / "migrations").iterdir())
    # declared in SQL beside the models: generate has nothing to write
    (project / "db" / "schema" / "10_functions.sql").unlink()
    (project / "db" / "schema" / "20_views.sql").write_text(VIEW)
    _config(project, db_url, '["app.models:Base", "db/schema/"]')
    r = _studio("generate", "--name", "again")
    assert r.exit_code == 0, r.output
    assert "nothing to generate" in r.output
    assert sorted(p.name for p in (project / "migrations").iterdir()) == written
    r = _studio("check", "--db", db_url)
    assert r.exit_code == 0, r.output
    # in no declared source: a drop like any other, with its hazard
    _config(project, db_url, '"app.models:Base"')
    r = _studio("generate", "--name", "drop_view", "--dry-run")
    assert r.exit_code == 0, r.output
    assert "DROP VIEW public.item_names" in r.stdout
    assert "-- hazard drop-view (warning): dropping a view breaks" in r.stdout
    r = _studio("diff", "--db", db_url)
    assert r.exit_code == 2, r.output
    assert "drop view public.item_names" in r.stdout


LEGACY = """
CREATE TABLE public.legacy_orders (id integer PRIMARY KEY, note text);
CREATE INDEX legacy_orders_note_idx ON public.legacy_orders (note);
CREATE FUNCTION public.legacy_touch() RETURNS trigger LANGUAGE plpgsql
  AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER legacy_orders_touch BEFORE UPDATE ON public.legacy_orders
  FOR EACH ROW EXECUTE FUNCTION public.legacy_touch();
CREATE VIEW public.report_daily AS SELECT 1 AS n;
"""


def test_exclude_leaves_objects_out_of_both_sides(project: Path, db_url: str) -> None:
    assert _studio("push", "--db", db_url, "--yes").exit_code == 0
    asyncio.run(_run(db_url, LEGACY))
    r = _studio("diff", "--db", db_url, "--format", "sql")
    assert r.exit_code == 2
    assert "DROP TABLE public.legacy_orders" in r.stdout
    patterns = ("--exclude", "public.legacy_*", "--exclude", "view:public.report_*")
    r = _studio("diff", "--db", db_url, *patterns)
    assert r.exit_code == 0, r.output
    # the table, its function, the view; the table's index and trigger go with it, uncounted
    assert "3 objects excluded by `exclude`" in r.stderr
    # a `view:` pattern leaves the table of that name alone
    r = _studio("diff", "--db", db_url, "--exclude", "view:public.legacy_*", "--format", "sql")
    assert r.exit_code == 2 and "DROP TABLE public.legacy_orders" in r.stdout
    # the config's patterns, and the count in JSON
    extra = 'exclude = ["public.legacy_*", "view:public.report_*"]\n'
    _config(project, db_url, '["app.models:Base", "db/schema/"]', extra)
    r = _studio("diff", "--db", db_url, "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["excluded"] == 3
    # generate: the declared side's view left out of the migration it writes
    r = _studio("generate", "--name", "init", "--dry-run", "--exclude", "view:public.item_*")
    assert r.exit_code == 0, r.output
    assert "1 object excluded by `exclude`" in r.stderr
    assert "CREATE TABLE public.items" in r.stdout and "item_names" not in r.stdout
    # a kind the model does not have: one line, exit 1 (the CLI's usage errors), nothing loaded
    r = _studio("diff", "--db", db_url, "--exclude", "tabel:public.x")
    assert r.exit_code == 1
    assert [ln for ln in r.stderr.splitlines() if ln.startswith("error:")] == [
        "error: exclude pattern 'tabel:public.x': no object kind 'tabel'"
    ]
