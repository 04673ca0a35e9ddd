"""`pull` on real PostgreSQL: the written models, materialized, diff empty against the database.

Each test builds a database, pulls it into a module in a tmp project folder,
then diffs the database (`--from` its URL) against the module (`--to
module:Base`) through `studio.commands.diff.diff_sources`, materializing on the
same server as the test database (`dev_url`), with a private cache folder.
"""

from __future__ import annotations

import ast
import asyncio
import json
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import pytest
from click.testing import CliRunner

from studio.cli import cli
from studio.codegen.render import render
from studio.commands.diff import DiffResult, diff_sources
from studio.commands.inspect import inspect
from studio.commands.pull import PullResult, pull
from studio.config import load

if TYPE_CHECKING:
    from collections.abc import Iterator

    from click.testing import Result

    from studio.config import Settings
    from studio.sources.devdb.cluster import Cluster

FIXTURES = Path(__file__).parent.parent / "fixtures"

QUICKSTART = """
CREATE TABLE users (
  id serial PRIMARY KEY,
  email varchar(255) NOT NULL UNIQUE,
  name varchar(255),
  created_at timestamp DEFAULT now() NOT NULL
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  user_id int NOT NULL REFERENCES users,
  total int NOT NULL,
  status varchar(50) DEFAULT 'pending',
  created_at timestamp DEFAULT now() NOT NULL
);
"""


class Project:
    """A tmp project folder declaring `dev_url`, and the module `pull` writes into it."""

    def __init__(self, root: Path, pg: Cluster, db_url: str) -> None:
        self.root = root
        self.db_url = db_url
        # a fresh module name per test: the import system caches modules by name
        self.module = f"pulled_{secrets.token_hex(4)}"
        self.path = root / f"{self.module}.py"
        (root / "pyproject.toml").write_text(f'[tool.schema-studio]\ndev_url = "{pg.url()}"\n')

    def settings(self, **overrides: object) -> Settings:
        return load(self.root, db_override=self.db_url, **overrides)

    async def pull(self, **overrides: object) -> PullResult:
        return await pull(self.settings(**overrides), self.path)

    @property
    def module_target(self) -> str:
        return f"{self.module}:Base"

    async def diff(self, *to: str) -> DiffResult:
        """The database against the models alone, or against the declared sources `to`."""
        return await diff_sources(self.settings(), self.db_url, list(to) or self.module_target)


@pytest.fixture
def project(
    tmp_path: Path, pg: Cluster, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Project]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "proj").mkdir()
    p = Project(tmp_path / "proj", pg, db_url)
    yield p
    sys.modules.pop(p.module, None)


async def run_sql(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url, ssl=False)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def descriptions(result: DiffResult) -> list[str]:
    return sorted(c.describe() for c in result.changes)


def listed_in_file(source: str) -> list[str]:
    """The items of the file's comment block (`#   item`, wrapped lines indented further)."""
    items: list[str] = []
    for line in source.splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("#       "):
            items[-1] += " " + line[8:]
        elif line.startswith("#   "):
            items.append(line[4:])
    return items


# --- the quick-start schema ----------------------------------------------------------


async def test_quickstart_pull_then_diff_is_empty(project: Project) -> None:
    await run_sql(project.db_url, QUICKSTART)
    result = await project.pull()
    assert result.tables == ("public.orders", "public.users")
    assert result.not_expressible == ()
    source = project.path.read_text()
    assert "class Base(DeclarativeBase):" in source
    assert (
        "id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)" in source
    )
    assert "email: Mapped[str] = mapped_column(String(255), unique=True)" in source
    assert "name: Mapped[str | None] = mapped_column(String(255))" in source
    assert 'user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id"))' in source
    assert "server_default=text(\"'pending'::character varying\")" in source
    diff = await project.diff()
    assert diff.changes == (), descriptions(diff)


async def test_output_is_deterministic_and_matches_render(project: Project) -> None:
    await run_sql(project.db_url, QUICKSTART)
    await project.pull()
    live = await inspect(project.settings())
    assert render(live.schema).source == render(live.schema).source == project.path.read_text()
    ast.parse(project.path.read_text())


# --- the foundation's all-object fixture -------------------------------------------------

# Every item the file lists, and the remaining changes of `diff` it accounts for:
# nothing else may differ, and every listed item shows up in the diff.
ALL_OBJECTS: dict[str, list[str]] = {
    "schema shop: comment 'Storefront'": ["remove comment on schema shop"],
    "sequence shop.invoice_no: comment 'Invoice numbers'": [
        "remove comment on sequence shop.invoice_no"
    ],
    "enum shop.order_status: comment 'Lifecycle of an order'": [
        "remove comment on type shop.order_status"
    ],
    "domain shop.email: comment 'An e-mail address, compared case-insensitively'": [
        "remove comment on domain shop.email"
    ],
    "trigger events_log on audit.events": ["drop trigger events_log on audit.events"],
    "trigger customers_log on shop.customers": ["drop trigger customers_log on shop.customers"],
    "trigger order_items_check on shop.order_items": [
        "drop trigger order_items_check on shop.order_items"
    ],
    "trigger orders_touch on shop.orders": ["drop trigger orders_touch on shop.orders"],
    "constraint customers_tenant_email_key on shop.customers: comment 'one account per address'": [
        "remove comment on constraint customers_tenant_email_key ON shop.customers"
    ],
    "constraint orders_note_length on shop.orders: CHECK ((char_length(note) < 1000)) NO INHERIT;"
    " left out": ["drop check orders_note_length on shop.orders"],
    "constraint orders_total_cap on shop.orders:"
    " CHECK (((total)::numeric < (1000000)::numeric)) NOT VALID; left out": [
        "drop check orders_total_cap on shop.orders"
    ],
    "constraint shipments_item_fk on shop.shipments: NOT VALID; declared as valid": [
        "validate constraint shipments_item_fk on shop.shipments"
    ],
    "policy orders_insert on shop.orders": ["drop policy orders_insert on shop.orders"],
    "policy orders_read on shop.orders": ["drop policy orders_read on shop.orders"],
    "policy orders_update on shop.orders": ["drop policy orders_update on shop.orders"],
    "table shop.orders: row-level security enabled, forced": [
        "disable row level security on shop.orders",
        "stop forcing row level security on shop.orders",
    ],
    "index products_tags_idx on shop.products: comment 'tag search'": [
        "remove comment on index shop.products_tags_idx"
    ],
    "table audit.events_2024: partition of audit.events"
    " FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00')": [
        "drop table audit.events_2024"
    ],
    "table audit.events_default: partition of audit.events DEFAULT": [
        "drop table audit.events_default"
    ],
    "view shop.big_customers": ["drop view shop.big_customers"],
    "view shop.order_totals": ["drop view shop.order_totals"],
    "materialized view shop.product_sales": ["drop materialized view shop.product_sales"],
    "function audit.log_change()": ["drop function audit.log_change()"],
    "function audit.touch()": ["drop function audit.touch()"],
    "procedure shop.cancel_order(IN p_id bigint, IN reason text)": [
        "drop procedure shop.cancel_order(IN p_id bigint, IN reason text)"
    ],
    "aggregate shop.concat_all(text)": ["drop aggregate shop.concat_all(text)"],
    "aggregate shop.product(numeric)": ["drop aggregate shop.product(numeric)"],
    "function shop.fmt(amount integer)": ["drop function shop.fmt(amount integer)"],
    "function shop.fmt(amount numeric, places integer)": [
        "drop function shop.fmt(amount numeric, places integer)"
    ],
    "function shop.order_total(p_order bigint)": ["drop function shop.order_total(p_order bigint)"],
    "function shop.order_totals_write()": ["drop function shop.order_totals_write()"],
}
# PostgreSQL 18: named NOT NULL constraints, one NOT VALID (the virtual column round-trips)
ALL_OBJECTS_18: dict[str, list[str]] = {
    "column shop.reviews.body: NOT NULL constraint named reviews_body_required": [
        "rename constraint reviews_body_required on shop.reviews to reviews_body_not_null"
    ],
    # declared nullable: the SQL file adds it, NOT VALID and named
    "column shop.reviews.rating: NOT NULL constraint named reviews_rating_nn": [],
    "column shop.reviews.rating: NOT NULL is NOT VALID; declared nullable": [
        "drop not null on shop.reviews.rating"
    ],
}


async def test_all_objects_leaves_only_what_is_listed(project: Project, pg_major: int) -> None:
    sql = (FIXTURES / "all_objects.sql").read_text()
    if pg_major < 15:  # UNIQUE ... NULLS NOT DISTINCT is 15+
        sql = sql.replace(" NULLS NOT DISTINCT", "")
    if pg_major >= 18:
        sql += (FIXTURES / "all_objects_18.sql").read_text()
    await run_sql(project.db_url, sql)
    result = await project.pull()
    expected = dict(ALL_OBJECTS, **(ALL_OBJECTS_18 if pg_major >= 18 else {}))

    listed = [n.line() for n in result.not_expressible]
    assert sorted(listed) == sorted(expected)
    assert listed_in_file(project.path.read_text()) == listed
    # partitions are listed, not declared; every other table is
    assert set(result.tables) == {
        t for t in (await inspect(project.settings())).schema.tables if "events_" not in t
    }

    diff = await project.diff()
    assert descriptions(diff) == sorted(c for changes in expected.values() for c in changes)
    # the SQL file written beside the models holds the rest: together they are the database
    both = await project.diff(project.module_target, str(result.sql_path))
    assert (both.changes, both.unreached, both.warnings()) == ((), (), ()), descriptions(both)


async def test_all_objects_declares_what_sqlalchemy_can(project: Project, pg_major: int) -> None:
    """Spot checks of the idioms the fixture's tables come out as."""
    sql = (FIXTURES / "all_objects.sql").read_text()
    if pg_major < 15:  # UNIQUE ... NULLS NOT DISTINCT is 15+
        sql = sql.replace(" NULLS NOT DISTINCT", "")
    if pg_major >= 18:
        sql += (FIXTURES / "all_objects_18.sql").read_text()
    await run_sql(project.db_url, sql)
    await project.pull()
    source = project.path.read_text()
    for idiom in [
        'order_status_enum = Enum(\n    "pending",',
        'invoice_no_seq = Sequence(\n    "invoice_no",',
        "sku_domain = postgresql.DOMAIN(",
        "Identity(always=True, start=100, increment=5, cache=10)",
        'Computed("(price * 1.2)", persisted=True)',
        'name: Mapped[str] = mapped_column(Text(collation="C"))',
        (
            'UniqueConstraint(\n            "sku",\n            name="products_sku_key",'
            "\n            postgresql_nulls_not_distinct=True,"
            if pg_major >= 15  # NULLS NOT DISTINCT is 15+
            else "sku: Mapped[str] = mapped_column(sku_domain, unique=True)"  # the default name
        ),
        'postgresql_ops={"title": "varchar_pattern_ops"}',
        'postgresql_where=text("(attrs IS NOT NULL)")',
        'postgresql_include=["price"]',
        'postgresql_using="brin"',
        'postgresql.ExcludeConstraint(\n            ("during", "&&"),',
        '"postgresql_partition_by": "RANGE (occurred_at)"',
        '"postgresql_with": {"autovacuum_enabled": False, "fillfactor": 90}',
        '"prefixes": ["UNLOGGED"]',
        'postgresql_inherits=quoted_name("audit.notes", quote=False)',
        "t_pinned_notes.add_is_dependent_on(t_notes)",
        'match="FULL"',
        'initially="DEFERRED"',
        "id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)",
        '"comment": "People who buy"',
    ]:
        assert idiom in source, idiom
    if pg_major >= 18:
        assert 'Computed("((price * (100)::numeric))::bigint", persisted=False)' in source


# --- types and identifiers ------------------------------------------------------------------

MANY_TYPES = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'it''s fine');
CREATE TABLE many (
  id int PRIMARY KEY,
  a_int int NOT NULL,
  a_bigint bigint,
  a_smallint smallint,
  a_numeric numeric(10,3),
  a_numeric_any numeric,
  a_text text NOT NULL DEFAULT '',
  a_varchar varchar(12),
  a_bool boolean NOT NULL DEFAULT false,
  a_ts timestamp,
  a_tstz timestamptz DEFAULT now(),
  a_ts3 timestamp(3) with time zone,
  a_date date,
  a_time time,
  a_uuid uuid DEFAULT gen_random_uuid(),
  a_jsonb jsonb DEFAULT '{}',
  a_json json,
  a_bytea bytea,
  a_ints int[],
  a_texts text[] NOT NULL DEFAULT '{}',
  a_mood mood NOT NULL DEFAULT 'ok',
  a_moods mood[],
  a_inet inet,
  a_cidr cidr,
  a_macaddr macaddr,
  a_interval interval,
  a_real real,
  a_double double precision,
  a_char char(2),
  a_range int4range,
  a_money money
);
"""


async def test_many_types_round_trip_exactly(project: Project) -> None:
    await run_sql(project.db_url, MANY_TYPES)
    result = await project.pull()
    assert result.not_expressible == ()
    source = project.path.read_text()
    for idiom in [
        "a_int: Mapped[int] = mapped_column(Integer)",
        "a_bigint: Mapped[int | None] = mapped_column(BigInteger)",
        "a_smallint: Mapped[int | None] = mapped_column(SmallInteger)",
        "a_numeric: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))",
        "a_numeric_any: Mapped[Decimal | None] = mapped_column(Numeric)",
        "a_varchar: Mapped[str | None] = mapped_column(String(12))",
        'a_bool: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))',
        "a_ts: Mapped[datetime | None] = mapped_column(DateTime)",
        "a_tstz: Mapped[datetime | None] = mapped_column(\n        DateTime(timezone=True),",
        "a_ts3: Mapped[datetime | None] = mapped_column(\n"
        "        postgresql.TIMESTAMP(timezone=True, precision=3),",
        "a_date: Mapped[date | None] = mapped_column(Date)",
        "a_time: Mapped[time | None] = mapped_column(Time)",
        "a_uuid: Mapped[uuid.UUID | None] = mapped_column(\n        Uuid,\n"
        '        server_default=text("gen_random_uuid()"),',
        "a_jsonb: Mapped[Any | None] = mapped_column(",
        "a_json: Mapped[Any | None] = mapped_column(JSON)",
        "a_bytea: Mapped[bytes | None] = mapped_column(LargeBinary)",
        "a_ints: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))",
        "a_texts: Mapped[list[str]] = mapped_column(",
        "a_mood: Mapped[str] = mapped_column(",
        "a_moods: Mapped[list[str] | None] = mapped_column(ARRAY(mood_enum))",
        "a_inet: Mapped[str | None] = mapped_column(postgresql.INET)",
        "a_cidr: Mapped[str | None] = mapped_column(postgresql.CIDR)",
        "a_macaddr: Mapped[str | None] = mapped_column(postgresql.MACADDR)",
        "a_interval: Mapped[timedelta | None] = mapped_column(Interval)",
        "a_real: Mapped[float | None] = mapped_column(REAL)",
        "a_double: Mapped[float | None] = mapped_column(Double)",
        "a_char: Mapped[str | None] = mapped_column(CHAR(2))",
        'a_range: Mapped[Any | None] = mapped_column(PgType("int4range"))',
        'mood_enum = Enum("sad", "ok", "it\'s fine", name="mood", metadata=Base.metadata)',
        "class PgType(UserDefinedType[Any]):",
    ]:
        assert idiom in source, idiom
    diff = await project.diff()
    assert diff.changes == (), descriptions(diff)


QUOTED = """
CREATE TABLE "Order Items" (
  id serial PRIMARY KEY,
  "select" text NOT NULL,
  "Unit Price" numeric(8,2),
  metadata jsonb,
  text text
);
CREATE INDEX "Order Items_select_idx" ON "Order Items" ("select" DESC, "Unit Price");
CREATE TABLE "user" (
  id int PRIMARY KEY,
  item int REFERENCES "Order Items",
  CONSTRAINT "Checked" CHECK ("item" > 0)
);
COMMENT ON COLUMN "Order Items"."select" IS 'a reserved word';
"""


async def test_identifiers_that_need_quoting_round_trip(project: Project) -> None:
    await run_sql(project.db_url, QUOTED)
    result = await project.pull()
    assert result.not_expressible == ()
    source = project.path.read_text()
    assert "class OrderItems(Base):" in source
    assert '__tablename__ = "Order Items"' in source
    assert 'select: Mapped[str] = mapped_column(Text, comment="a reserved word")' in source
    assert (
        'Unit_Price: Mapped[Decimal | None] = mapped_column("Unit Price", Numeric(8, 2))' in source
    )
    # names the class body would shadow (text()) or declarative reserves (metadata)
    assert 'metadata_: Mapped[Any | None] = mapped_column("metadata", postgresql.JSONB)' in source
    assert 'text_: Mapped[str | None] = mapped_column("text", Text)' in source
    assert 'ForeignKey("Order Items.id")' in source
    diff = await project.diff()
    assert diff.changes == (), descriptions(diff)


async def test_a_foreign_key_to_an_unpulled_schema_is_listed(project: Project) -> None:
    await run_sql(
        project.db_url,
        "CREATE TABLE accounts (id int PRIMARY KEY);"
        "CREATE SCHEMA app; CREATE TABLE app.notes"
        " (id int PRIMARY KEY, account int REFERENCES accounts);",
    )
    result = await project.pull(schemas=("app",))
    assert [n.line() for n in result.not_expressible] == [
        "constraint notes_account_fkey on app.notes: references public.accounts,"
        " which the models do not declare; left out"
    ]
    assert result.tables == ("app.notes",)


SHAPES = """
CREATE SEQUENCE countdown AS integer INCREMENT BY -1;
CREATE TABLE composite (a int, b serial, c int DEFAULT nextval('countdown'), PRIMARY KEY (a, b));
CREATE TABLE named_pk (x int, y int, CONSTRAINT named_pk_key PRIMARY KEY (y, x) DEFERRABLE);
CREATE TABLE counters (id int PRIMARY KEY, n serial);
CREATE TABLE plain_pk (id int PRIMARY KEY, "Base" int, registry int);
CREATE TABLE log (at timestamptz NOT NULL DEFAULT now(), line text);
CREATE TABLE log_archive (archived_on date) INHERITS (log);
CREATE TABLE log_keyed (PRIMARY KEY (at)) INHERITS (log);
CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v bytea) WITH (fillfactor = 70);
CREATE INDEX cache_v_idx ON cache (md5(v)) INCLUDE (k) WHERE v IS NOT NULL;
"""


async def test_shapes_sqlalchemy_needs_help_with_round_trip(project: Project) -> None:
    await run_sql(project.db_url, SHAPES)
    result = await project.pull()
    # SQLAlchemy renders SERIAL for one primary-key column per table only
    assert [n.line() for n in result.not_expressible] == [
        "sequence public.counters_n_seq: OWNED BY public.counters.n"
    ]
    source = project.path.read_text()
    # the autoincrement column would come first in a primary key SQLAlchemy builds itself
    assert 'PrimaryKeyConstraint("a", "b")' in source
    assert 'PrimaryKeyConstraint("y", "x", name="named_pk_key", deferrable=True)' in source
    # a lone integer primary key without a default is not SERIAL
    assert (
        "id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)" in source
    )
    assert 'registry_: Mapped[int | None] = mapped_column("registry", Integer)' in source
    # no primary key: a Table, not a class; inheritance: the child's own columns
    assert (
        't_log_archive = Table(\n    "log_archive",\n    Base.metadata,\n'
        '    Column("archived_on", Date),' in source
    )
    assert "t_log_archive.add_is_dependent_on(t_log)" in source
    # an inherited column the child's own primary key names is declared again (PostgreSQL merges it)
    assert (
        "at: Mapped[datetime] = mapped_column(\n        DateTime(timezone=True),\n"
        "        primary_key=True," in source
    )
    assert 'Base.metadata.tables["log_keyed"].add_is_dependent_on(t_log)' in source
    diff = await project.diff()
    assert descriptions(diff) == ["make sequence public.counters_n_seq owned by none"]


NOT_CREATABLE = """
CREATE FUNCTION next_code() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'c' $$;
CREATE SCHEMA palette;
CREATE TYPE palette.color AS ENUM ('red', 'green');
CREATE DOMAIN amount AS numeric NOT NULL CONSTRAINT amount_positive CHECK (VALUE > 0);
CREATE TABLE items (
  id int PRIMARY KEY,
  code text DEFAULT next_code(),
  shout text GENERATED ALWAYS AS (next_code() || '!') STORED,
  color palette.color,
  price amount,
  CONSTRAINT items_code_check CHECK (code <> next_code())
);
CREATE INDEX items_code_idx ON items (next_code());
"""


async def test_what_the_models_cannot_create_is_left_out_and_listed(project: Project) -> None:
    await run_sql(project.db_url, NOT_CREATABLE)
    result = await project.pull()
    assert [n.line() for n in result.not_expressible] == [
        "schema palette: holds no table, so the models do not create it",
        "enum palette.color: its schema holds no table,"
        " so it does not exist where the models are created",
        "domain public.amount: NOT NULL with a CHECK constraint not named amount_check",
        (
            "constraint items_code_check on public.items: CHECK ((code <> public.next_code()))"
            " uses public.next_code(); left out"
        ),
        "index items_code_idx on public.items: uses public.next_code(); left out",
        "column public.items.code: DEFAULT public.next_code()"
        " uses public.next_code(); declared without it",
        (
            "column public.items.shout: GENERATED ALWAYS AS (public.next_code() || '!'::text)"
            " uses public.next_code(); declared as a plain column"
        ),
        "column public.items.color: type palette.color"
        " is not created by the models; declared as text",
        "column public.items.price: type public.amount is"
        " not created by the models; declared as numeric",
        "function public.next_code()",
    ]
    diff = await project.diff()
    assert descriptions(diff) == [
        "alter column public.items.color type palette.color -> text",
        "alter column public.items.price type public.amount -> numeric",
        "drop check items_code_check on public.items",
        "drop default of public.items.code",
        "drop domain public.amount",
        "drop function public.next_code()",
        "drop generation expression of public.items.shout",
        "drop index items_code_idx on public.items",
    ]


# --- the command ----------------------------------------------------------------------------


def studio(*args: str) -> Result:
    """The CLI in this process (what a subprocess costs, SQLAlchemy's import, is paid once)."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_writes_models_and_sql_and_refuses_to_overwrite(
    tmp_path: Path, pg: Cluster, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(
        run_sql(db_url, QUICKSTART + "CREATE VIEW big AS SELECT * FROM orders WHERE total > 100;")
    )
    (tmp_path / "pyproject.toml").write_text(f'[tool.schema-studio]\ndev_url = "{pg.url()}"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    r = studio("pull")
    assert r.exit_code == 0, r.stderr
    # stdout: the declared schema the two files make, as config and as --to
    assert r.stdout.splitlines() == [
        'schema = ["models:Base", "models.sql"]',
        "--to models:Base --to models.sql",
    ]
    written = (tmp_path / "models.py").read_text()
    assert listed_in_file(written) == ["view public.big"]
    sql = (tmp_path / "models.sql").read_text()
    assert "-- create view public.big\nCREATE VIEW public.big AS\nSELECT " in sql
    assert r.stderr.splitlines() == [
        f"wrote models.py: 2 tables from {db_url}",
        "wrote models.sql: 1 statement of what SQLAlchemy cannot express, to run after the models",
        "1 item SQLAlchemy cannot express, listed at the top of the models:",
        "  view public.big",
        "the declared schema is both, models first ([tool.schema-studio],"
        " or --to on the command line):",
    ]

    # the SQL file is never overwritten either, and nothing is written then
    (tmp_path / "models.py").unlink()
    (tmp_path / "models.sql").write_text("-- mine\n")
    r = studio("pull")
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        "error: models.sql already exists; pass --force to overwrite it"
    ]
    assert not (tmp_path / "models.py").exists()
    assert (tmp_path / "models.sql").read_text() == "-- mine\n"

    r = studio("pull", "--force", "--format", "json", "--out", "models.py")
    assert r.exit_code == 0, r.stderr
    summary = json.loads(r.stdout)
    assert (summary["path"], summary["sql_path"]) == ("models.py", "models.sql")
    assert summary["tables"] == ["public.orders", "public.users"]
    assert summary["not_expressible"] == [{"kind": "view", "name": "public.big", "detail": ""}]
    assert [c["kind"] for c in summary["sql_changes"]] == ["create_view"]
    assert summary["schema_line"] == 'schema = ["models:Base", "models.sql"]'
    assert (tmp_path / "models.py").read_text() == written
    assert (tmp_path / "models.sql").read_text() == sql
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left

    # --out must name a module the declared schema can import
    r = studio("pull", "--out", "my-models.py")
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == "error: --out my-models.py: not a Python module file"
