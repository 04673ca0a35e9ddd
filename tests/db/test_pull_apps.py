"""`pull` round-trips the schemas of real applications (tests/fixtures/apps), end to end.

A Rails `structure.sql` and an Ecto one are loaded into a database; `pull`
writes the models and the SQL file beside them and prints the declared
schema they make. Diffed against those sources the database is the same
(exit 0; the Ecto database's grants too, pulled and diffed with
--with-privileges); set as the declared schema, `generate` writes the whole schema as a
first migration, `baseline` records the database at it, and `generate` then
has nothing to write. On PostgreSQL 15 and 18: 18 names NOT NULL
constraints, and the Rails schema names one.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import pytest
from click.testing import CliRunner

from studio.cli import cli

if TYPE_CHECKING:
    from collections.abc import Iterator

    from click.testing import Result

    from studio.sources.devdb.cluster import Cluster

APPS = Path(__file__).parent.parent / "fixtures" / "apps"

# What each schema shows of the models and of the SQL file, beside the round trip.
MODELS = {
    "rails": [
        # bigserial ids: the column is SERIAL, its sequence owned by it
        "id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)",
        'name="issues_status_check"',
        'postgresql_where=text("(deleted_at IS NULL)")',
        'ForeignKey("users.id", name="fk_rails_5e6f708192", ondelete="SET NULL")',
    ],
    "ecto": [
        'event.listen(\n    Base.metadata,\n    "before_create",\n'
        '    DDL("CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public"),\n)',
        "email: Mapped[str] = mapped_column(postgresql.CITEXT)",
        # ltree has no SQLAlchemy class: one of the module's, named after the type
        'class Ltree(UserDefinedType[Any]):\n    """public.ltree, of the ltree extension,'
        ' as PostgreSQL prints it."""',
        "path: Mapped[Any] = mapped_column(Ltree())",
        '{"postgresql_partition_by": "RANGE (inserted_at)"}',
        "number: Mapped[int] = mapped_column(BigInteger, Identity(always=False, start=1000))",
        'total: Mapped[int] = mapped_column(money_cents_domain, server_default=text("0"))',
        'server_default=text("gen_random_uuid()")',
    ],
}
SQL = {
    "rails": [
        "CREATE OR REPLACE FUNCTION public.set_updated_at()",
        "CREATE VIEW public.open_issues_by_project AS",
        "CREATE MATERIALIZED VIEW public.project_activity AS",
        "CREATE UNIQUE INDEX index_project_activity_on_project_id_and_day",
        "CREATE TRIGGER set_updated_at BEFORE UPDATE ON public.issues",
        "COMMENT ON VIEW public.open_issues_by_project IS",
    ],
    "ecto": [
        "CREATE TABLE public.events_2025_01 PARTITION OF public.events",
        "FOR VALUES FROM ('2025-02-01 00:00:00') TO ('2025-03-01 00:00:00');",
        "ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;",
        "CREATE POLICY tenant_isolation ON public.orders",
        "CREATE TRIGGER oban_notify AFTER INSERT ON public.oban_jobs",
        "GRANT SELECT ON TABLE public.users TO shop_reader;",
        "REVOKE EXECUTE ON FUNCTION public.current_tenant_id() FROM PUBLIC;",
    ],
}
# Ecto's dump leaves grants out (--no-acl), the database has them: pulled --with-privileges
GRANTS = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'shop_reader') THEN
    CREATE ROLE shop_reader NOLOGIN;
  END IF;
END $$;
GRANT SELECT ON public.orders, public.users TO shop_reader;
REVOKE EXECUTE ON FUNCTION public.current_tenant_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.current_tenant_id() TO shop_reader;
"""
PRIVILEGES = {"rails": [], "ecto": ["--with-privileges"]}
# PostgreSQL 18 keeps the NOT NULL's own name: the SQL file renames SQLAlchemy's
SQL_18 = {
    "rails": [
        "ALTER TABLE public.users RENAME CONSTRAINT users_email_not_null TO users_email_present;"
    ],
    "ecto": [],
}


def _studio(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


async def _load(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url, ssl=False)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def project(
    tmp_path: Path, pg: Cluster, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, Cluster]]:
    if pg.major not in (15, 18):
        pytest.skip("the round trip is shown on PostgreSQL 15 and 18")
    (tmp_path / "app").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    yield tmp_path, pg
    # the next test's app.models is another file: never the module imported here
    for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
        del sys.modules[name]


@pytest.mark.parametrize("app", ["rails", "ecto"])
def test_pull_round_trips_an_application_schema(
    app: str, project: tuple[Path, Cluster], db_url: str
) -> None:
    root, pg = project
    extra = GRANTS if PRIVILEGES[app] else ""
    asyncio.run(_load(db_url, (APPS / f"{app}_structure.sql").read_text() + extra))
    config = f'[tool.schema-studio]\ndev_url = "{pg.url()}"\n'
    (root / "pyproject.toml").write_text(config)

    r = _studio("pull", "--db", db_url, "--out", "app/models.py", *PRIVILEGES[app])
    assert r.exit_code == 0, r.output
    schema_line, to_line = r.stdout.splitlines()
    assert schema_line == 'schema = ["app.models:Base", "app/models.sql"]'
    models = (root / "app" / "models.py").read_text()
    sql = (root / "app" / "models.sql").read_text()
    for idiom in MODELS[app]:
        assert idiom in models, idiom
    for statement in SQL[app] + (SQL_18[app] if pg.major >= 18 else []):
        assert statement in sql, statement

    # the printed sources are the database (its grants too, for Ecto's)
    r = _studio("diff", "--db", db_url, *shlex.split(to_line), *PRIVILEGES[app])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().endswith("app.models:Base + app/models.sql: no differences")

    # adopted: the first migration is the whole schema, the database is recorded at it
    (root / "pyproject.toml").write_text(config + schema_line + "\n")
    r = _studio("generate", "--name", "initial")
    assert r.exit_code == 0, r.output
    (first,) = (root / "migrations").glob("*_initial.sql")
    r = _studio("baseline", first.name.split("_", 1)[0], "--db", db_url)
    assert r.exit_code == 0, r.output
    written = sorted(p.name for p in (root / "migrations").iterdir())
    r = _studio("generate", "--name", "after_pull")
    assert r.exit_code == 0, r.output
    assert "nothing to generate" in r.output
    assert sorted(p.name for p in (root / "migrations").iterdir()) == written
