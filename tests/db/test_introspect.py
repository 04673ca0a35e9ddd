"""Introspection against real PostgreSQL (every server the machine offers).

tests/fixtures/all_objects.sql (plus all_objects_18.sql on 18+) holds every
object kind the model covers; the tests load it into a fresh database and
check the model object by object, then the properties introspection promises:
a JSON round trip, a query count that does not grow with the schema, a
concurrent DROP that is skipped rather than fatal, extension objects left
out, and `schemas=` restricting what is read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from studio.catalog import introspect as introspect_module
from studio.catalog import queries
from studio.catalog.introspect import QUERIES, SECOND_CONNECTION, introspect
from studio.catalog.rows import build_schema
from studio.catalog.tables import split_index_definition
from studio.model import (
    Column,
    ConstraintKind,
    Extension,
    Identity,
    Namespace,
    Policy,
    Privilege,
    Schema,
    SequenceOptions,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

FIXTURES = Path(__file__).parent.parent / "fixtures"

# the queries sent for _create_tables' schemas (tables, keys, indexes, an enum, a
# function and triggers): none of the kinds of composites, catalog_objects, views,
# domains, aggregates and policies is there, and those six are not sent
NOT_SENT = ("composites", "catalog_objects", "views", "domains", "aggregates", "policies")
SENT = len(QUERIES) - len(NOT_SENT)


async def load_fixture(conn: asyncpg.Connection, major: int) -> None:
    """Every object kind, then an INVALID index (left by a failed CREATE INDEX CONCURRENTLY)."""
    sql = (FIXTURES / "all_objects.sql").read_text()
    if major < 15:  # UNIQUE ... NULLS NOT DISTINCT is 15+
        sql = sql.replace(" NULLS NOT DISTINCT", "")
    await conn.execute(sql)
    if major >= 18:
        await conn.execute((FIXTURES / "all_objects_18.sql").read_text())
    # CONCURRENTLY cannot run in the fixture's implicit transaction; two
    # customers share a name, so the build fails and leaves the index invalid
    with pytest.raises(asyncpg.UniqueViolationError):
        await conn.execute(
            "CREATE UNIQUE INDEX CONCURRENTLY customers_name_key ON shop.customers (name)"
        )


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[asyncpg.Connection]:
    c = await asyncpg.connect(db_url)
    yield c
    await c.close()


@pytest.fixture
async def loaded(conn: asyncpg.Connection, pg_major: int) -> asyncpg.Connection:
    """A connection to a database holding the all-objects fixture."""
    await load_fixture(conn, pg_major)
    return conn


@pytest.fixture
async def schema(loaded: asyncpg.Connection) -> Schema:
    return await introspect(loaded, with_privileges=True)


# --- the fixture, object by object -------------------------------------------------------


def test_namespaces_and_extensions(schema: Schema) -> None:
    assert schema.namespaces == {
        "audit": Namespace("audit"),
        "public": Namespace("public", "standard public schema"),
        "shop": Namespace("shop", "Storefront"),
    }
    assert schema.extensions == {"citext": Extension("citext", "public")}
    assert schema.extensions["citext"].version  # shown, not compared


def test_extension_objects_are_left_out(schema: Schema) -> None:
    # citext brings a type and dozens of functions and operators into public
    assert not [k for k in schema.functions if k.startswith("public.")]
    assert not [
        k for k in (*schema.enums, *schema.domains, *schema.tables) if k.startswith("public.")
    ]
    # the extension's type is still named where it is used
    assert schema.domains["shop.email"].base_type == "public.citext"
    # and the plpgsql every database has is not listed as an extension
    assert set(schema.extensions) == {"citext"}


def test_enums_and_domains(schema: Schema) -> None:
    status = schema.enums["shop.order_status"]
    assert status.labels == ("pending", "paid", "shipped", "refunded", "cancelled")
    assert status.comment == "Lifecycle of an order"

    email = schema.domains["shop.email"]
    assert email.comment == "An e-mail address, compared case-insensitively"
    assert [(c.name, c.validated) for c in email.constraints] == [("email_format", True)]
    assert email.constraints[0].definition == (
        "CHECK ((VALUE OPERATOR(public.~) '^[^@]+@[^@]+$'::public.citext))"
    )
    amount = schema.domains["shop.positive_amount"]
    assert (amount.base_type, amount.not_null, amount.default) == ("numeric(12,2)", True, "0")
    assert amount.constraints[0].definition == "CHECK ((VALUE >= (0)::numeric))"
    sku = schema.domains["shop.sku"]
    assert (sku.base_type, sku.collation) == ("text", '"C"')


def test_sequences(schema: Schema) -> None:
    invoice = schema.sequences["shop.invoice_no"]
    assert invoice.options == SequenceOptions("integer", 1000, 10, 1000, 999999, 5, True)
    assert invoice.owned_by is None
    assert invoice.comment == "Invoice numbers"
    # a serial's sequence is listed, with its owner; identity sequences are not
    assert schema.sequences["shop.orders_id_seq"].owned_by == "shop.orders.id"
    assert schema.sequences["shop.orders_id_seq"].options == SequenceOptions()
    assert set(schema.sequences) == {"shop.invoice_no", "shop.orders_id_seq"}


def test_columns(schema: Schema, pg_major: int) -> None:
    customers = schema.tables["shop.customers"]
    names = [c.name for c in customers.columns]
    assert names == sorted(names)  # canonical order; position is for display
    assert [c.name for c in sorted(customers.columns, key=lambda c: c.position)] == [
        "id", "email", "name", "display_name", "tenant_id", "created_at",
    ]  # fmt: skip
    assert customers.column("id") == Column(
        "id", "bigint", not_null=True, position=1,
        identity=Identity(always=True, options=SequenceOptions(start=100, increment=5, cache=10)),
    )  # fmt: skip
    assert customers.column("email") == Column(
        "email", "shop.email", not_null=True, comment="Login, unique per tenant", position=2
    )
    assert customers.column("name") == Column(
        "name", "text", not_null=True, collation='"C"', position=3
    )
    assert customers.column("created_at") == Column(
        "created_at", "timestamp with time zone", not_null=True, default="now()", position=6
    )

    products = schema.tables["shop.products"]
    ident = products.column("id")
    assert ident is not None and ident.identity == Identity(
        always=False,
        options=SequenceOptions(data_type="integer", max_value=1000000, cycle=True),
    )
    assert products.column("title") == Column(
        "title", "character varying(200)", not_null=True, position=3
    )
    assert products.column("tags") == Column(
        "tags", "text[]", not_null=True, default="'{}'::text[]", position=5
    )
    taxed = products.column("price_with_tax")
    assert taxed is not None
    assert (taxed.generated, taxed.generated_kind, taxed.default) == (
        "(price * 1.2)",
        "stored",
        None,
    )
    # a domain's own collation is not repeated on the column
    sku = products.column("sku")
    assert sku is not None and (sku.type, sku.collation) == ("shop.sku", None)

    orders = schema.tables["shop.orders"]
    status = orders.column("status")
    assert status is not None and status.default == "'pending'::shop.order_status"
    serial = orders.column("id")
    assert serial is not None and serial.default == "nextval('shop.orders_id_seq'::regclass)"
    assert serial.identity is None

    if pg_major >= 18:
        cents = products.column("price_cents")
        assert cents is not None
        assert (cents.generated_kind, cents.generated) == (
            "virtual",
            "((price * (100)::numeric))::bigint",
        )
        reviews = schema.tables["shop.reviews"]
        assert reviews.column("id") == Column("id", "integer", not_null=True, position=1)
        assert reviews.column("body") == Column(
            "body", "text", not_null=True, not_null_name="reviews_body_required", position=2
        )
        assert reviews.column("rating") == Column(
            "rating", "integer", not_null=True, not_null_name="reviews_rating_nn",
            not_null_valid=False, position=3,
        )  # fmt: skip
        # an inherited NOT NULL keeps its parent's name (pg_dump writes it): that name is kept
        pinned = schema.tables["audit.pinned_notes"].column("id")
        assert pinned is not None and pinned.not_null_name == "notes_id_not_null"
        assert pinned.inherited


def test_constraints(schema: Schema, pg_major: int) -> None:
    customers = schema.tables["shop.customers"]
    assert [c.name for c in customers.constraints] == [
        "customers_pkey",
        "customers_tenant_email_key",
    ]
    pk = customers.primary_key
    assert pk is not None
    assert (pk.definition, pk.columns, pk.index) == ("PRIMARY KEY (id)", ("id",), "customers_pkey")
    unique = customers.constraint("customers_tenant_email_key")
    assert unique is not None
    assert (unique.kind, unique.columns, unique.comment) == (
        ConstraintKind.UNIQUE, ("tenant_id", "email"), "one account per address",
    )  # fmt: skip

    sku_key = schema.tables["shop.products"].constraint("products_sku_key")
    nulls = " NULLS NOT DISTINCT" if pg_major >= 15 else ""  # 15+
    assert sku_key is not None and sku_key.definition == f"UNIQUE{nulls} (sku)"
    price = schema.tables["shop.products"].constraint("products_price_check")
    assert price is not None and price.definition == "CHECK ((price >= (0)::numeric))"

    orders = schema.tables["shop.orders"]
    fk = orders.constraint("orders_customer_fk")
    assert fk is not None
    assert (fk.kind, fk.columns, fk.ref_table, fk.ref_columns) == (
        ConstraintKind.FOREIGN_KEY, ("customer_id",), "shop.customers", ("id",),
    )  # fmt: skip
    assert (fk.on_delete, fk.on_update, fk.match) == ("CASCADE", "RESTRICT", "SIMPLE")
    assert (fk.deferrable, fk.initially_deferred, fk.validated) == (True, True, True)
    assert fk.definition == (
        "FOREIGN KEY (customer_id) REFERENCES shop.customers(id)"
        " ON UPDATE RESTRICT ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"
    )
    note = orders.constraint("orders_note_length")
    assert note is not None and (note.no_inherit, note.validated) == (True, True)
    assert note.definition == "CHECK ((char_length(note) < 1000)) NO INHERIT"
    cap = orders.constraint("orders_total_cap")
    assert cap is not None and (cap.validated, cap.no_inherit) == (False, False)
    assert cap.definition.endswith(" NOT VALID")

    items = schema.tables["shop.order_items"]
    product_fk = items.constraint("order_items_product_fk")
    assert product_fk is not None
    assert (product_fk.on_delete, product_fk.on_update) == ("SET NULL", "NO ACTION")
    assert (product_fk.deferrable, product_fk.initially_deferred) == (True, False)
    assert items.primary_key is not None and items.primary_key.columns == ("order_id", "line")

    shipment = schema.tables["shop.shipments"].constraint("shipments_item_fk")
    assert shipment is not None
    assert (shipment.match, shipment.validated, shipment.on_delete, shipment.on_update) == (
        "FULL", False, "SET NULL", "CASCADE",
    )  # fmt: skip
    assert shipment.ref_columns == ("order_id", "line")

    overlap = schema.tables["shop.promotions"].constraint("promotions_no_overlap")
    assert overlap is not None
    assert (overlap.kind, overlap.definition, overlap.columns, overlap.index) == (
        ConstraintKind.EXCLUSION, "EXCLUDE USING gist (during WITH &&)", ("during",),
        "promotions_no_overlap",
    )  # fmt: skip

    cross = schema.tables["audit.sessions"].constraint("sessions_customer_fk")
    assert cross is not None and (cross.ref_table, cross.ref_columns) == ("shop.customers", ("id",))


# Keys, and indexes, whose text introspection writes itself rather than asking
# pg_get_constraintdef / pg_get_indexdef: names a server quotes or not
# (keywords of one version and not another: system_user is reserved from 16,
# merge_action from 17), '$', quotes, upper case; and shapes it leaves to the
# server (INCLUDE, NULLS NOT DISTINCT, deferrable, NOT VALID, out of scope).
_DEFINITION_SHAPES = """
CREATE SCHEMA "Odd Schema";
CREATE SCHEMA other;
CREATE TABLE other.outside (id int PRIMARY KEY);
CREATE TABLE "Odd Schema"."select" (
  "order" int, "User" int, "a$b" int, "we""ird" text, "system_user" int, "merge_action" int,
  "name" text, plain_col int, t timestamptz, v varchar(10), amount numeric(10, 2) DEFAULT 0,
  PRIMARY KEY ("order", "User"),
  UNIQUE ("a$b", "we""ird"),
  UNIQUE ("system_user", "merge_action"),
  UNIQUE ("name") INCLUDE (plain_col),
  UNIQUE (plain_col) DEFERRABLE
);
CREATE TABLE public.child (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  o int, u int, s int, m int, c text, outside_id int,
  FOREIGN KEY (o, u) REFERENCES "Odd Schema"."select" ("order", "User")
    MATCH FULL ON UPDATE CASCADE ON DELETE SET NULL,
  CONSTRAINT child_s_m_fkey FOREIGN KEY (s, m)
    REFERENCES "Odd Schema"."select" ("system_user", "merge_action") ON DELETE RESTRICT,
  CONSTRAINT "Child Self" FOREIGN KEY (o) REFERENCES public.child (id) ON DELETE SET DEFAULT,
  CONSTRAINT child_outside FOREIGN KEY (outside_id) REFERENCES other.outside (id),
  CONSTRAINT child_deferred FOREIGN KEY (s) REFERENCES public.child (id)
    DEFERRABLE INITIALLY DEFERRED
);
-- NOT VALID holds only when added to an existing table
ALTER TABLE public.child
  ADD CONSTRAINT child_late FOREIGN KEY (u) REFERENCES public.child (id) NOT VALID;
CREATE TABLE public.parted (k int, d date, PRIMARY KEY (k, d), UNIQUE (d, k))
  PARTITION BY RANGE (d);
CREATE TABLE public.parted_1 PARTITION OF public.parted
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE DOMAIN public.code AS text;
CREATE TABLE public.things (
  id int, "Odd" text COLLATE "C", v varchar(10), d public.code, t text, n numeric,
  "system_user" int, "from" int, b bit(8)
);
-- bit is binary compatible with varbit: varbit_ops is a default class, but not bit's
CREATE INDEX things_b_idx ON public.things (b varbit_ops);
CREATE INDEX ON public.things (id);
CREATE UNIQUE INDEX "Things Odd" ON public.things ("Odd", "from", id);
CREATE INDEX ON public.things ("system_user");
CREATE INDEX ON public.things (v);
CREATE INDEX ON public.things (d);
CREATE INDEX ON public.things (t COLLATE "C");
CREATE INDEX things_t_same ON public.things (t COLLATE "default");
CREATE INDEX ON public.things (id DESC);
CREATE INDEX ON public.things (id) INCLUDE (n);
CREATE INDEX ON public.things (n) WHERE id > 0;
CREATE INDEX ON public.things (n) WITH (fillfactor = 70);
CREATE INDEX ON public.things USING hash (id);
CREATE INDEX ON public.things (lower(t));
CREATE INDEX ON public.things (t text_pattern_ops);
CREATE INDEX ON "Odd Schema"."select" (plain_col, amount);
CREATE INDEX ON public.parted (d);
CREATE MATERIALIZED VIEW public.mv AS SELECT id, t FROM public.things;
CREATE UNIQUE INDEX ON public.mv (id);
"""


async def test_client_written_definitions_equal_the_servers(
    conn: asyncpg.Connection, pg_major: int
) -> None:
    """Every key's text introspection writes itself is pg_get_constraintdef's, to the byte."""
    await conn.execute(_DEFINITION_SHAPES)
    if pg_major >= 15:
        await conn.execute(
            "CREATE UNIQUE INDEX things_nnd ON public.things (n) NULLS NOT DISTINCT;"
            ' ALTER TABLE "Odd Schema"."select" ADD UNIQUE NULLS NOT DISTINCT (t);'
            " ALTER TABLE public.child ADD CONSTRAINT child_setnull FOREIGN KEY (o, u)"
            ' REFERENCES "Odd Schema"."select" ("order", "User") ON DELETE SET NULL (u)'
        )
    scope = ["Odd Schema", "public"]  # other.outside is out of scope
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        rows = await introspect_module._fetch_all(conn, scope, False, None)
    written = {r["name"] for r in rows["constraints"] if r["definition"] == ""}
    # the plain keys (the partition's own attached ones too); the others are the server's
    assert written >= {
        "select_pkey", "select_a$b_we\"ird_key", "select_system_user_merge_action_key",
        "child_pkey", "child_o_u_fkey", "child_s_m_fkey", "Child Self",
        "parted_pkey", "parted_d_k_key", "parted_1_pkey", "parted_1_d_k_key",
    }, written  # fmt: skip
    assert not written & {"child_late", "child_outside", "child_deferred", "child_setnull"}
    assert not written & {"select_name_key", "select_plain_col_key", "select_t_key"}

    schema = build_schema(rows)
    await conn.execute("SET search_path = ''")  # as introspection reads them: all qualified
    server = {
        (r["schema"], r["table"], r["name"]): r["definition"]
        for r in await conn.fetch(
            "SELECT n.nspname AS schema, c.relname AS table, con.conname AS name,"
            " pg_catalog.pg_get_constraintdef(con.oid) AS definition"
            " FROM pg_catalog.pg_constraint con"
            " JOIN pg_catalog.pg_class c ON c.oid = con.conrelid"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = ANY($1::text[]) AND con.contype <> 'n'",
            scope,
        )
    }
    ours = {
        (t.schema, t.name, c.name): c.definition
        for t in schema.tables.values()
        for c in t.constraints
    }
    assert ours == server

    # indexes: the plain btree ones written here, the others by the server (a
    # varchar or domain column's class is text's; another collation; a class
    # of another, binary-compatible, type)
    written = {r["name"] for r in rows["indexes"] if r["definition"] == ""}
    plain = {
        "things_id_idx", "Things Odd", "things_system_user_idx", "things_t_same",
        "select_plain_col_amount_idx", "parted_d_idx", "parted_1_d_idx", "mv_id_idx",
    } | ({"things_nnd"} if pg_major >= 15 else set())  # fmt: skip
    assert written == plain
    server_indexes = {
        (r["schema"], r["table"], r["name"]): r["definition"]
        for r in await conn.fetch(
            "SELECT n.nspname AS schema, t.relname AS table, c.relname AS name,"
            " pg_catalog.pg_get_indexdef(x.indexrelid) AS definition"
            " FROM pg_catalog.pg_index x"
            " JOIN pg_catalog.pg_class c ON c.oid = x.indexrelid"
            " JOIN pg_catalog.pg_class t ON t.oid = x.indrelid"
            " JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace"
            " WHERE n.nspname = ANY($1::text[])"
            "   AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint con"
            "                   WHERE con.conindid = x.indexrelid AND con.contype <> 'f')",
            scope,
        )
    }
    relations = [*schema.tables.values(), *schema.views.values()]
    ours_indexes = {(t.schema, t.name, i.name): i.definition for t in relations for i in t.indexes}
    assert ours_indexes == server_indexes
    # quoted by the server's keyword list: system_user and merge_action only where reserved
    key = schema.tables['"Odd Schema"."select"'].constraint("select_system_user_merge_action_key")
    assert key is not None
    quoted = {
        14: "system_user, merge_action", 15: "system_user, merge_action",
        16: '"system_user", merge_action',
    }.get(pg_major, '"system_user", "merge_action"')  # fmt: skip
    assert key.definition == f"UNIQUE ({quoted})"


def test_indexes(schema: Schema, pg_major: int) -> None:
    products = schema.tables["shop.products"]
    # indexes backing a constraint come with the constraint
    assert [i.name for i in products.indexes] == [
        "products_lower_title_idx", "products_sku_hash_idx", "products_tags_idx",
        "products_title_key", "products_title_pattern_idx",
    ]  # fmt: skip
    pattern = products.index("products_title_pattern_idx")
    assert pattern is not None and pattern.keys == ("title varchar_pattern_ops",)
    lower = products.index("products_lower_title_idx")
    assert lower is not None
    assert lower.keys == ("lower((title)::text) DESC NULLS LAST",)
    assert lower.definition == (
        "CREATE INDEX products_lower_title_idx ON shop.products"
        " USING btree (lower((title)::text) DESC NULLS LAST)"
    )
    tags = products.index("products_tags_idx")
    assert tags is not None and (tags.method, tags.comment) == ("gin", "tag search")
    hashed = products.index("products_sku_hash_idx")
    assert hashed is not None and hashed.method == "hash"
    title = products.index("products_title_key")
    assert title is not None
    assert (title.unique, title.keys, title.include, title.predicate) == (
        True, ("title",), ("price",), "(attrs IS NOT NULL)",
    )  # fmt: skip

    orders = schema.tables["shop.orders"]
    brin = orders.index("orders_placed_brin_idx")
    assert brin is not None and brin.method == "brin"
    both = orders.index("orders_customer_placed_idx")
    assert both is not None and both.keys == ("customer_id", "placed_at DESC")

    customers = schema.tables["shop.customers"]
    display = customers.index("customers_display_name_key")
    assert display is not None
    assert (display.unique, display.nulls_not_distinct) == (True, pg_major >= 15)
    invalid = customers.index("customers_name_key")
    assert invalid is not None and (invalid.valid, invalid.unique) == (False, True)
    assert all(i.valid for i in products.indexes)


def test_partitions_inheritance_and_table_options(schema: Schema) -> None:
    events = schema.tables["audit.events"]
    assert (events.partition_key, events.comment) == ("RANGE (occurred_at)", "Append-only log")
    assert [i.name for i in events.indexes] == ["events_kind_idx"]
    assert [t.name for t in events.triggers] == ["events_log"]
    p2024 = schema.tables["audit.events_2024"]
    assert (p2024.partition_of, p2024.partition_bound) == (
        "audit.events",
        "FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00')",
    )
    # a partition's index and key attached to the parent's are its own, under their names
    # (pg_dump writes them), attached to the parent's; a trigger clone comes with the parent
    assert [(c.name, c.attached_to) for c in p2024.constraints] == [
        ("events_2024_pkey", "audit.events_pkey")
    ]
    assert [(i.name, i.attached_to) for i in p2024.indexes] == [
        ("events_2024_kind_idx", "audit.events_kind_idx")
    ]
    assert p2024.triggers == ()
    assert [c.name for c in p2024.columns] == ["id", "kind", "occurred_at", "payload"]
    default = schema.tables["audit.events_default"]
    assert (default.partition_of, default.partition_bound) == ("audit.events", "DEFAULT")

    pinned = schema.tables["audit.pinned_notes"]
    assert pinned.inherits == ("audit.notes",)
    assert pinned.constraints == ()  # notes_body_check is inherited
    assert schema.tables["audit.notes"].constraint("notes_body_check") is not None

    assert schema.tables["audit.sessions"].unlogged
    assert not schema.tables["shop.orders"].unlogged
    assert schema.tables["shop.products"].options == ("autovacuum_enabled=false", "fillfactor=90")
    assert schema.tables["shop.customers"].comment == "People who buy"


def test_rls_and_policies(schema: Schema) -> None:
    orders = schema.tables["shop.orders"]
    assert (orders.rls_enabled, orders.rls_forced) == (True, True)
    assert orders.policies == (
        Policy(
            "orders_insert", "INSERT", permissive=False, roles=("pg_monitor", "pg_read_all_stats"),
            with_check="(status = 'pending'::shop.order_status)",
        ),
        Policy("orders_read", "SELECT", using="(customer_id > 0)"),
        Policy("orders_update", "UPDATE", using="true", with_check="(total IS NOT NULL)"),
    )  # fmt: skip
    assert not schema.tables["shop.customers"].rls_enabled


def test_triggers(schema: Schema) -> None:
    touch = schema.tables["shop.orders"].triggers
    assert [(t.name, t.function, t.enabled, t.comment) for t in touch] == [
        ("orders_touch", "audit.touch", "O", "keeps updated_at")
    ]
    assert touch[0].definition == (
        "CREATE TRIGGER orders_touch BEFORE UPDATE ON shop.orders FOR EACH ROW"
        " WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION audit.touch()"
    )
    disabled = schema.tables["shop.customers"].triggers
    assert [(t.name, t.enabled) for t in disabled] == [("customers_log", "D")]
    constraint_trigger = schema.tables["shop.order_items"].triggers
    assert [t.name for t in constraint_trigger] == ["order_items_check"]
    assert constraint_trigger[0].definition.startswith(
        "CREATE CONSTRAINT TRIGGER order_items_check"
    )
    # internal triggers (foreign key enforcement) are not listed
    assert schema.tables["shop.customers"].triggers == disabled


def test_views(schema: Schema) -> None:
    totals = schema.views["shop.order_totals"]
    assert not totals.materialized
    assert totals.columns == ("customer_id", "orders", "total")  # select-list order
    assert totals.depends_on == ("shop.orders",)
    assert totals.depends_on_columns == ("shop.orders.customer_id", "shop.orders.total")
    assert "FROM shop.orders o" in totals.definition
    assert totals.comment == "Per customer"
    assert [t.name for t in totals.triggers] == ["order_totals_write"]

    big = schema.views["shop.big_customers"]  # a view on a view
    assert big.depends_on == ("shop.customers", "shop.order_totals")
    assert "shop.order_totals.total" in big.depends_on_columns
    assert big.options == ("security_barrier=true",)

    sales = schema.views["shop.product_sales"]
    assert sales.materialized
    assert sales.columns == ("id", "title", "sold")
    assert sales.depends_on == ("shop.order_items", "shop.products")
    assert [(i.name, i.unique, i.keys) for i in sales.indexes] == [
        ("product_sales_id_idx", True, ("id",))
    ]
    assert sales.comment == "Refreshed nightly"


def test_functions_procedures_and_aggregates(schema: Schema) -> None:
    assert set(schema.functions) == {
        "audit.log_change()", "audit.touch()", "shop.cancel_order(IN p_id bigint, IN reason text)",
        "shop.concat_all(text)", "shop.fmt(amount integer)",
        "shop.fmt(amount numeric, places integer)", "shop.order_total(p_order bigint)",
        "shop.order_totals_write()", "shop.product(numeric)",
    }  # fmt: skip
    total = schema.functions["shop.order_total(p_order bigint)"]
    assert (total.kind, total.language, total.returns, total.comment) == (
        "f", "sql", "numeric", "Items in an order",
    )  # fmt: skip
    assert total.definition.startswith(
        "CREATE OR REPLACE FUNCTION shop.order_total(p_order bigint)"
    )
    touch = schema.functions["audit.touch()"]
    assert (touch.language, touch.returns) == ("plpgsql", "trigger")
    assert "NEW.updated_at := now();" in touch.definition
    proc = schema.functions["shop.cancel_order(IN p_id bigint, IN reason text)"]
    assert (proc.kind, proc.returns) == ("p", None)
    assert "DEFAULT 'n/a'::text" in proc.definition

    product = schema.functions["shop.product(numeric)"]
    assert (product.kind, product.returns, product.comment) == ("a", "numeric", "Multiplies")
    assert product.definition == (
        "CREATE OR REPLACE AGGREGATE shop.product(numeric) (\n"
        "    SFUNC = pg_catalog.numeric_mul,\n    STYPE = numeric,\n    INITCOND = '1'\n)"
    )
    concat = schema.functions["shop.concat_all(text)"].definition
    assert "COMBINEFUNC = pg_catalog.textcat" in concat and "PARALLEL = SAFE" in concat


async def test_aggregate_definition_recreates_the_aggregate(loaded: asyncpg.Connection) -> None:
    """The CREATE AGGREGATE text built from pg_aggregate is valid SQL for the same aggregate."""
    before = await introspect(loaded, ["shop"])
    for key in ("shop.product(numeric)", "shop.concat_all(text)"):
        await loaded.execute(before.functions[key].definition)
    after = await introspect(loaded, ["shop"])
    assert after.functions == before.functions


async def test_privileges_and_owners(loaded: asyncpg.Connection, schema: Schema) -> None:
    user = await loaded.fetchval("SELECT current_user")
    assert Privilege("schema", "shop", "pg_monitor", "USAGE") in schema.privileges
    assert Privilege("table", "shop.products", "pg_monitor", "SELECT") in schema.privileges
    assert Privilege("column", "shop.orders", "pg_read_all_stats", "SELECT", column="note") in (
        schema.privileges
    )
    assert Privilege("sequence", "shop.invoice_no", "pg_monitor", "USAGE", grantable=True) in (
        schema.privileges
    )
    # REVOKE ... FROM PUBLIC leaves only the owner's EXECUTE
    on_total = [p for p in schema.privileges if p.object == "shop.order_total(p_order bigint)"]
    assert on_total == [Privilege("function", "shop.order_total(p_order bigint)", user, "EXECUTE")]
    assert list(schema.privileges) == sorted(
        schema.privileges,
        key=lambda p: (p.object_kind, p.object, p.column or "", p.grantee, p.privilege),
    )
    assert schema.owners["shop"] == user
    assert schema.owners["shop.orders"] == user
    assert schema.owners["audit.events"] == user
    assert schema.owners["shop.order_status"] == user
    assert schema.owners["shop.product(numeric)"] == user
    assert "shop.customers_id_seq" not in schema.owners  # an identity sequence is its column's

    plain = await introspect(loaded)
    assert (plain.privileges, plain.owners) == ((), {})
    assert dataclasses.replace(schema, privileges=(), owners={}) == plain


# --- properties -------------------------------------------------------------------------


async def test_json_round_trip(schema: Schema) -> None:
    text = schema.to_json()
    again = Schema.from_json(text)
    assert again == schema
    assert again.to_json() == text
    # position is left out of ==, but it survives the trip too
    assert again.tables["shop.customers"].column("email").position == 2  # type: ignore[union-attr]


async def test_schemas_restricts_what_is_read(loaded: asyncpg.Connection) -> None:
    audit = await introspect(loaded, ["audit"])
    assert set(audit.namespaces) == {"audit"}
    assert set(audit.tables) == {
        "audit.events", "audit.events_2024", "audit.events_default", "audit.notes",
        "audit.pinned_notes", "audit.sessions",
    }  # fmt: skip
    assert set(audit.functions) == {"audit.log_change()", "audit.touch()"}
    assert (audit.enums, audit.domains, audit.sequences, audit.views) == ({}, {}, {}, {})
    # a foreign key into a schema that is not read still names its target's columns
    fk = audit.tables["audit.sessions"].constraint("sessions_customer_fk")
    assert fk is not None and (fk.ref_table, fk.ref_columns) == ("shop.customers", ("id",))
    # a trigger on a table read calls a function in the same schema
    assert audit.tables["audit.events"].triggers[0].function == "audit.log_change"

    everything = await introspect(loaded)
    assert audit == everything.restrict(["audit"])
    both = await introspect(loaded, ["audit", "shop"])
    assert both == everything.restrict(["audit", "shop"])
    assert await introspect(loaded, []) == Schema(extensions=everything.extensions)


async def test_extension_objects_in_a_schema_of_their_own(conn: asyncpg.Connection) -> None:
    """The schema is the user's (they created it); the extension's objects in it are not."""
    await conn.execute(
        "CREATE SCHEMA ext; CREATE EXTENSION citext SCHEMA ext;"
        " CREATE TABLE public.t (email ext.citext PRIMARY KEY)"
    )
    schema = await introspect(conn)
    assert set(schema.namespaces) == {"ext", "public"}  # ext was created by the user
    assert schema.tables["public.t"].columns[0].type == "ext.citext"
    assert not [k for k in schema.functions if k.startswith("ext.")]


class CountingConnection:
    """Delegates to a connection; counts the statements sent and can run a hook after one."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self.statements: list[str] = []
        self.after: dict[str, Callable[[], Awaitable[None]]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def execute(self, sql: str, *args: Any) -> str:
        self.statements.append(sql)
        return await self._conn.execute(sql, *args)  # type: ignore[no-any-return]

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        self.statements.append(sql)
        rows = await self._conn.fetch(sql, *args)
        version = self._conn.get_server_version()
        for name, hook in list(self.after.items()):
            if sql == queries.get(name, version.major * 10000):
                del self.after[name]
                await hook()
        return rows  # type: ignore[no-any-return]


async def _create_tables(conn: asyncpg.Connection, count: int) -> None:
    """`count` tables with the parts every query reads: PK, FK, unique, check, index, trigger."""
    await conn.execute(
        "CREATE TYPE public.mood AS ENUM ('ok', 'meh');"
        " CREATE FUNCTION public.noop() RETURNS trigger"
        " LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';"
    )
    # a transaction per 100 tables keeps the lock table small
    for start in range(1, count + 1, 100):
        body = []
        for i in range(start, min(start + 100, count + 1)):
            parent = f" REFERENCES public.t{i - 1} (id)" if i > 1 else ""
            body.append(
                f"CREATE TABLE public.t{i} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                f" parent_id bigint{parent}, code text NOT NULL UNIQUE, mood public.mood DEFAULT"
                f" 'ok', amount numeric CHECK (amount >= 0)); CREATE INDEX t{i}_code_idx ON"
                f" public.t{i} (lower(code)) WHERE amount > 0; CREATE TRIGGER t{i}_noop BEFORE"
                f" INSERT ON public.t{i} FOR EACH ROW EXECUTE FUNCTION public.noop();"
            )
        await conn.execute("".join(body))


async def _statements_for(pg_url: str, count: int) -> tuple[int, Schema]:
    conn = await asyncpg.connect(pg_url)
    try:
        await _create_tables(conn, count)
        counting = CountingConnection(conn)
        schema = await introspect(counting, with_privileges=True)  # type: ignore[arg-type]
        version = conn.get_server_version().major * 10000
        sent = set(counting.statements)
        assert [q for q in QUERIES if queries.get(q, version) in sent] == [
            q for q in QUERIES if q not in NOT_SENT
        ]
        return len(counting.statements), schema
    finally:
        await conn.close()


async def test_query_count_does_not_grow_with_the_schema(pg: Any, db_url: str) -> None:
    small, small_schema = await _statements_for(db_url, 10)
    async with pg.throwaway("introspect") as other_url:
        large, large_schema = await _statements_for(other_url, 500)
    assert len(small_schema.tables) == 10 and len(large_schema.tables) == 500
    t = large_schema.tables["public.t500"]
    # sorted by name: t500_amount_check, t500_code_key, t500_parent_id_fkey, t500_pkey
    assert [c.kind for c in t.constraints] == [
        ConstraintKind.CHECK, ConstraintKind.UNIQUE,
        ConstraintKind.FOREIGN_KEY, ConstraintKind.PRIMARY_KEY,
    ]  # fmt: skip
    assert t.indexes[0].predicate == "(amount > (0)::numeric)"
    assert small == large
    # the session settings, one query per object kind, privileges and owners
    assert small == 1 + SENT + 2


async def _logged_statements(url: str) -> list[str]:
    """What asyncpg's query logger sees during one introspect (transaction control included)."""
    conn = await asyncpg.connect(url)
    try:
        seen: list[str] = []
        conn.add_query_logger(lambda q: seen.append(q.query))
        await introspect(conn)
        # the logger is called from the event loop (call_soon): one more round trip lets it run
        await conn.fetchval("SELECT 1")
        return [q for q in seen if q != "SELECT 1"]
    finally:
        await conn.close()


async def test_query_count_by_asyncpg_query_logger(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await _create_tables(conn, 20)
        first = await _logged_statements(db_url)
        await conn.execute(
            "".join(
                f"CREATE TABLE public.more{i} (id int PRIMARY KEY, v text DEFAULT 'x');"
                for i in range(200)
            )
        )
        second = await _logged_statements(db_url)
    finally:
        await conn.close()
    assert second == first
    # BEGIN, the session settings, one query per object kind, COMMIT
    assert len(first) == 1 + 1 + SENT + 1
    assert first[0].startswith("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    assert first[-1].startswith("COMMIT")


async def test_concurrent_drop_is_skipped(loaded: asyncpg.Connection, db_url: str) -> None:
    """Objects dropped after the snapshot was taken are left out, not fatal.

    Deterministic: another session drops them right after the `tables` query
    returns. The snapshot still shows their catalog rows to the later queries,
    but the pg_get_* functions read the current catalog and find nothing.
    """
    before = await introspect(loaded)
    other = await asyncpg.connect(db_url)

    async def drop() -> None:
        # a lock wait here would be a deadlock with the introspecting session: fail instead
        await other.execute(
            "SET lock_timeout = '5s';"
            " DROP TABLE shop.order_items CASCADE;"  # and its matview, trigger, a FK of shipments
            " DROP VIEW shop.big_customers;"
            " DROP FUNCTION shop.fmt(integer);"
            " DROP AGGREGATE shop.product(numeric);"
        )

    counting = CountingConnection(loaded)
    counting.after["tables"] = drop
    try:
        during = await introspect(counting)  # type: ignore[arg-type]
    finally:
        await other.close()
    assert not counting.after, "the hook did not run"

    # the table was in the snapshot's `tables` rows: it stays, with what could still be read
    items = during.tables["shop.order_items"]
    assert (items.constraints, items.indexes, items.triggers) == ((), (), ())
    assert [c.name for c in items.columns] == ["line", "order_id", "product_id", "qty"]
    # what PostgreSQL could no longer print is left out
    assert "shop.product_sales" not in during.views
    assert "shop.big_customers" not in during.views
    assert "shop.fmt(amount integer)" not in during.functions
    assert "shop.product(numeric)" not in during.functions
    shipments = during.tables["shop.shipments"]
    assert [c.name for c in shipments.constraints] == ["shipments_pkey"]
    # everything else is as before
    assert during.views["shop.order_totals"] == before.views["shop.order_totals"]
    assert during.tables["shop.orders"] == before.tables["shop.orders"]
    fmt = "shop.fmt(amount numeric, places integer)"
    assert during.functions[fmt] == before.functions[fmt]
    # and a fresh read sees the drop itself
    after = await introspect(loaded)
    assert "shop.order_items" not in after.tables
    assert "shop.fmt(amount integer)" not in after.functions


async def test_an_error_from_a_concurrent_drop_is_retried(loaded: asyncpg.Connection) -> None:
    """The instant between a query's existence check and pg_get_*: the read starts over."""
    expected = await introspect(loaded)

    class Flaky(CountingConnection):
        failures = 1

        async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
            rows = await super().fetch(sql, *args)
            if self.failures and "pg_get_constraintdef" in sql:
                self.failures -= 1
                raise asyncpg.InternalServerError("cache lookup failed for relation 12345")
            return rows

    flaky = Flaky(loaded)
    assert await introspect(flaky) == expected  # type: ignore[arg-type]
    assert flaky.statements.count(flaky.statements[0]) == 2  # two transactions' settings


# --- two connections, one snapshot --------------------------------------------------------


@pytest.fixture
def two_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any schema is large enough for the second connection, and the server never too busy.

    (With tests running in parallel, a tenth of max_connections may not be free.)
    """
    monkeypatch.setattr(introspect_module, "PARALLEL_MIN_RELATIONS", 1)
    monkeypatch.setattr(introspect_module, "MIN_FREE_CONNECTIONS", 1)
    monkeypatch.setattr(introspect_module, "MIN_FREE_SHARE", 0.0)


class Opener:
    """A `connect` factory: each connection it opened, wrapped to count its statements."""

    def __init__(self, url: str, before: Callable[[], Awaitable[None]] | None = None) -> None:
        self.url = url
        self.before = before
        self.opened: list[CountingConnection] = []
        # set once the second connection's setup is over, done or failed
        self.settled = asyncio.Event()

    async def __call__(self) -> asyncpg.Connection:
        settled = self.settled

        class Second(CountingConnection):
            async def execute(self, sql: str, *args: Any) -> str:
                try:
                    return await super().execute(sql, *args)
                finally:
                    settled.set()

        try:
            if self.before is not None:
                await self.before()
            counting = Second(await asyncpg.connect(self.url))
        except BaseException:
            settled.set()
            raise
        self.opened.append(counting)
        return counting  # type: ignore[return-value]

    def statements(self) -> list[str]:
        return [sql for c in self.opened for sql in c.statements]

    def all_closed(self) -> bool:
        return all(c._conn.is_closed() for c in self.opened)


def waiting_for(conn: asyncpg.Connection, opener: Opener) -> CountingConnection:
    """`conn`, waiting after its own share for the second connection to be ready.

    Without it, the first connection would read a small schema's constraints
    and indexes itself while the second is still opening.
    """
    counting = CountingConnection(conn)
    # `unmodelled` is always sent, after the kinds the first connection reads
    counting.after["unmodelled"] = opener.settled.wait  # type: ignore[assignment]
    return counting


@pytest.mark.usefixtures("two_connections")
async def test_two_connections_read_the_same_schema(
    loaded: asyncpg.Connection, db_url: str
) -> None:
    alone = await introspect(loaded, with_privileges=True)
    opener = Opener(db_url)
    first = waiting_for(loaded, opener)
    both = await introspect(first, with_privileges=True, connect=opener)  # type: ignore[arg-type]
    assert both == alone
    assert both.to_json() == alone.to_json()  # what == leaves out (positions) too
    # the second connection read its share, in the first one's snapshot, and is closed
    assert len(opener.opened) == 1
    second = opener.statements()
    assert "SET TRANSACTION SNAPSHOT" in second[0] and "search_path" in second[0]
    assert second[1:] == [
        queries.get(n, loaded.get_server_version().major * 10000) for n in SECOND_CONNECTION
    ]
    assert opener.all_closed()


@pytest.mark.usefixtures("two_connections")
async def test_two_connections_share_one_snapshot(loaded: asyncpg.Connection, db_url: str) -> None:
    """What another session commits after the first connection's snapshot is not read."""
    other = await asyncpg.connect(db_url)

    async def change() -> None:
        # committed after the first connection's snapshot, before the second connection
        # exists: a snapshot of its own would see it. (The first connection holds
        # ACCESS SHARE on the tables its views read, pg_get_viewdef's locks.)
        await other.execute(
            "CREATE INDEX late_idx ON shop.customers (name);"
            " ALTER TABLE shop.orders ADD CONSTRAINT late_fk FOREIGN KEY (customer_id)"
            "   REFERENCES shop.customers (id) NOT VALID"
        )

    opener = Opener(db_url, before=change)
    try:
        first = waiting_for(loaded, opener)
        during = await introspect(first, connect=opener)  # type: ignore[arg-type]
        after = await introspect(loaded)
    finally:
        await other.close()
    assert len(opener.opened) == 1 and len(opener.statements()) == 1 + len(SECOND_CONNECTION)
    assert during.tables["shop.customers"].index("late_idx") is None
    assert during.tables["shop.orders"].constraint("late_fk") is None
    assert after.tables["shop.customers"].index("late_idx") is not None
    assert after.tables["shop.orders"].constraint("late_fk") is not None


@pytest.mark.usefixtures("two_connections")
async def test_query_count_on_two_connections(pg: Any, db_url: str) -> None:
    """Both connections together: a fixed number of statements, whatever the schema's size."""

    async def count(url: str, tables: int) -> int:
        conn = await asyncpg.connect(url)
        try:
            await _create_tables(conn, tables)
            opener = Opener(url)
            counting = waiting_for(conn, opener)
            schema = await introspect(counting, connect=opener)  # type: ignore[arg-type]
            assert len(schema.tables) == tables and len(opener.opened) == 1
            return len(counting.statements) + len(opener.statements())
        finally:
            await conn.close()

    small = await count(db_url, 10)
    async with pg.throwaway("introspect") as other_url:
        large = await count(other_url, 300)
    # the session settings, one query per object kind, the snapshot's export;
    # the second connection's setup (one message)
    assert small == large == 1 + SENT + 1 + 1


@pytest.mark.usefixtures("two_connections")
async def test_second_connection_failing_to_open_falls_back(loaded: asyncpg.Connection) -> None:
    expected = await introspect(loaded)

    async def refused() -> asyncpg.Connection:
        raise OSError("connection refused")

    counting = CountingConnection(loaded)
    assert await introspect(counting, connect=refused) == expected  # type: ignore[arg-type]
    # one transaction: its queries all ran on the first connection after all
    assert counting.statements.count(counting.statements[0]) == 1
    # citext's operators and casts are there: `catalog_objects` is sent, `composites` is not
    assert len(counting.statements) == 1 + len(QUERIES) - 1 + 1


@pytest.mark.usefixtures("two_connections")
async def test_connection_limit_reached_falls_back(loaded: asyncpg.Connection, db_url: str) -> None:
    """A role allowed one connection: the second is refused, everything is read on the first."""
    role = f"r_{secrets.token_hex(4)}"
    # superusers are not held to CONNECTION LIMIT: a plain role
    await loaded.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1")
    url = urlunsplit(
        urlsplit(db_url)._replace(netloc=f"{role}@{urlsplit(db_url).netloc.split('@')[-1]}")
    )
    try:
        conn = await asyncpg.connect(url)
        try:
            opener = Opener(url)
            with pytest.raises(asyncpg.TooManyConnectionsError):
                await opener()
            alone = await introspect(conn)
            assert await introspect(conn, connect=opener) == alone
            assert len(alone.tables) > 1
        finally:
            await conn.close()
    finally:
        await loaded.execute(f"DROP ROLE {role}")


@pytest.mark.usefixtures("two_connections")
async def test_snapshot_import_failing_falls_back(pg: Any, loaded: asyncpg.Connection) -> None:
    """The second connection is to another database: the snapshot's import fails."""
    expected = await introspect(loaded)
    async with pg.throwaway("elsewhere") as other_url:
        opener = Opener(other_url)
        # the first connection waits for the second to settle (else, on a loaded machine, it
        # may finish its share first and read the rest without it: no import to fail)
        first = waiting_for(loaded, opener)
        assert await introspect(first, connect=opener) == expected  # type: ignore[arg-type]
        assert len(opener.opened) == 1 and opener.all_closed()
        assert "SET TRANSACTION SNAPSHOT" in opener.statements()[0]


@pytest.mark.usefixtures("two_connections")
async def test_second_connection_still_opening_is_not_waited_for(
    loaded: asyncpg.Connection,
) -> None:
    expected = await introspect(loaded)
    never = asyncio.Event()
    started = cancelled = 0

    async def slow() -> asyncpg.Connection:
        nonlocal started, cancelled
        started += 1
        try:
            await never.wait()
        except asyncio.CancelledError:
            cancelled += 1
            raise
        raise AssertionError("unreachable")

    assert await introspect(loaded, connect=slow) == expected
    assert (started, cancelled) == (1, 1)


@pytest.mark.usefixtures("two_connections")
async def test_snapshot_export_failing_reads_again_on_one_connection(
    loaded: asyncpg.Connection, db_url: str
) -> None:
    """pg_export_snapshot() failing aborts the transaction: the read starts over, alone."""
    expected = await introspect(loaded)

    class NoExport(CountingConnection):
        async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
            if "pg_export_snapshot" in sql:
                self.statements.append(sql)
                raise asyncpg.FeatureNotSupportedError("cannot export a snapshot")
            return await super().fetch(sql, *args)

    counting, opener = NoExport(loaded), Opener(db_url)
    assert await introspect(counting, connect=opener) == expected  # type: ignore[arg-type]
    assert opener.opened == []
    assert counting.statements.count(counting.statements[0]) == 2  # two transactions' settings


@pytest.mark.usefixtures("two_connections")
async def test_concurrent_drop_error_on_the_second_connection_is_retried(
    loaded: asyncpg.Connection, db_url: str
) -> None:
    expected = await introspect(loaded)
    failures = 1

    opened: list[Flaky] = []
    settled = 0  # second connections whose snapshot import is over

    class Flaky(CountingConnection):
        async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
            nonlocal failures
            rows = await super().fetch(sql, *args)
            if failures and "pg_get_constraintdef" in sql:
                failures -= 1
                raise asyncpg.InternalServerError("cache lookup failed for relation 12345")
            return rows

        async def execute(self, sql: str, *args: Any) -> str:
            nonlocal settled
            try:
                return await super().execute(sql, *args)
            finally:
                settled += 1

    async def connect() -> asyncpg.Connection:
        opened.append(Flaky(await asyncpg.connect(db_url)))
        return opened[-1]  # type: ignore[return-value]

    counting = CountingConnection(loaded)
    waits = 0

    async def until_opened() -> None:
        # each transaction's first connection waits for its second to have imported the
        # snapshot (else, on a loaded machine, it may read the second's share itself while
        # the second is still opening: nothing would fail)
        nonlocal waits
        waits += 1
        for _ in range(1000):
            if settled >= waits:
                break
            await asyncio.sleep(0.01)
        counting.after["aggregates"] = until_opened  # and the retry's too

    counting.after["aggregates"] = until_opened
    assert await introspect(counting, connect=connect) == expected  # type: ignore[arg-type]
    assert counting.statements.count(counting.statements[0]) == 2  # two transactions' settings
    assert len(opened) == 2 and all(c._conn.is_closed() for c in opened)


async def test_small_schema_reads_on_one_connection(loaded: asyncpg.Connection) -> None:
    opened = 0

    async def connect() -> asyncpg.Connection:
        nonlocal opened
        opened += 1
        raise AssertionError("not below the threshold")

    assert len((await introspect(loaded)).tables) < introspect_module.PARALLEL_MIN_RELATIONS
    await introspect(loaded, connect=connect)
    assert opened == 0


def test_rows_with_null_definitions_are_skipped() -> None:
    """The row mapping alone: NULL where a pg_get_* function found nothing."""

    def rows(**kinds: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        empty = {k: [] for k in ("namespaces", "extensions", "enums", "domains", "sequences",
                                 "tables", "views", "columns", "constraints", "indexes",
                                 "triggers", "policies", "functions", "aggregates")}  # fmt: skip
        return {**empty, **kinds}

    table = {
        "oid": 1, "schema": "s", "name": "t", "kind": "r", "unlogged": False, "rls_enabled": False,
        "rls_forced": False, "options": None, "partition_key": None, "is_partition": False,
        "partition_bound": None, "parent_schemas": None, "parent_names": None, "comment": None,
        "toast_options": None, "replica_identity": "d", "replica_index": None,
        "access_method": "heap",
    }  # fmt: skip
    column = {
        "oid": 1, "num": 1, "name": "id", "type": "integer", "not_null": True, "expr": None,
        "identity": "", "generated": "", "collation": None, "comment": None,
        "not_null_name": None, "not_null_valid": None, "statistics": None, "storage": None,
        "type_storage": None, "options": None, "compression": None, "local": True,
    }  # fmt: skip
    constraint = {
        "table_oid": 1, "name": "t_pkey", "kind": "p", "definition": None, "columns": [1],
        "validated": True, "deferrable": False, "deferred": False, "no_inherit": True,
        "ref_schema": None, "ref_table": None, "ref_oid": 0, "ref_columns": None,
        "ref_column_names": None, "on_update": " ", "on_delete": " ", "match": " ",
        "index": "t_pkey", "comment": None,
    }  # fmt: skip
    index = {
        "table_oid": 1, "name": "t_idx", "definition": None, "unique": False, "method": "btree",
        "nulls_not_distinct": False, "valid": True, "tablespace": None, "comment": None,
    }  # fmt: skip
    trigger = {
        "table_oid": 1, "name": "t_trg", "definition": None, "function_schema": "s",
        "function_name": "f", "enabled": "O", "comment": None,
    }  # fmt: skip
    view = {
        "oid": 2, "schema": "s", "name": "v", "definition": None, "materialized": False,
        "options": None, "dep_schemas": None, "dep_names": None, "dep_columns": None,
        "comment": None,
    }  # fmt: skip
    function = {
        "schema": "s", "name": "f", "arguments": None, "kind": "f", "definition": None,
        "returns": None, "language": "sql", "comment": None,
    }  # fmt: skip
    domain = {
        "schema": "s", "name": "d", "base_type": "integer", "not_null": False, "default": None,
        "collation": None, "check_name": "d_check", "check_definition": None,
        "check_validated": True, "comment": None,
    }  # fmt: skip
    partitioned = {**table, "oid": 3, "name": "p", "kind": "p", "partition_key": None}
    partition = {**table, "oid": 4, "name": "p1", "is_partition": True, "partition_bound": None}
    schema = build_schema(
        rows(
            tables=[table, partitioned, partition],
            columns=[column],
            constraints=[constraint],
            indexes=[index],
            triggers=[trigger],
            views=[view],
            functions=[function],
            domains=[domain],
        )
    )
    assert set(schema.tables) == {"s.t"}  # the partitioned table and partition lost their key/bound
    t = schema.tables["s.t"]
    assert (t.constraints, t.indexes, t.triggers) == ((), (), ())
    assert t.columns == (Column("id", "integer", not_null=True, position=1),)
    assert (schema.views, schema.functions) == ({}, {})
    assert schema.domains["s.d"].constraints == ()


@pytest.mark.parametrize(
    ("definition", "keys", "include", "predicate"),
    [
        ("CREATE INDEX i ON s.t USING btree (a)", ("a",), (), None),
        (
            (
                "CREATE UNIQUE INDEX i ON ONLY s.t USING btree (a, b DESC NULLS LAST)"
                " INCLUDE (c, d) NULLS NOT DISTINCT WITH (fillfactor='70') WHERE (a > 0)"
            ),
            ("a", "b DESC NULLS LAST"), ("c", "d"), "(a > 0)",
        ),
        (
            (
                """CREATE INDEX "i (x" ON "we,ird"."t WHERE " USING btree"""
                """ ("a,b", (c || '),( WHERE '::text) text_pattern_ops) INCLUDE ("e)")"""
                """ WHERE ((c)::text = ' WHERE ''('::text)"""
            ),
            ('"a,b"', "(c || '),( WHERE '::text) text_pattern_ops"), ('"e)"',),
            "((c)::text = ' WHERE ''('::text)",
        ),
        ("CREATE INDEX i ON s.t USING gin (lower(a) gin_trgm_ops) WHERE b",
         ("lower(a) gin_trgm_ops",), (), "b"),
    ],
)  # fmt: skip
def test_split_index_definition(
    definition: str, keys: tuple[str, ...], include: tuple[str, ...], predicate: str | None
) -> None:
    assert split_index_definition(definition) == (keys, include, predicate)


def test_query_variants_by_server_version() -> None:
    """`get` picks the highest name_<major>.sql at or below the server's major, else name.sql."""
    assert "indnullsnotdistinct" not in queries.get("indexes", 140011)
    assert "indnullsnotdistinct" in queries.get("indexes", 150002)
    assert "indnullsnotdistinct" in queries.get("indexes", 180006)
    assert "contype = 'n'" not in queries.get("columns", 170000)
    assert "contype = 'n'" in queries.get("columns", 180000)
    # an included file comes in its variant for the same server version
    assert "indnullsnotdistinct" not in queries.get("constraints", 140011)
    assert "conperiod" not in queries.get("constraints", 170004)
    assert "indnullsnotdistinct" in queries.get("constraints", 170004)
    assert "conperiod" in queries.get("constraints", 180000)
    # the shared scope filter is spliced in where a query includes it
    assert "--@include" not in queries.get("tables", 180000)
    assert "schema_studio" in queries.get("tables", 180000)
    with pytest.raises(KeyError):
        queries.get("no_such_query", 180000)


@pytest.mark.usefixtures("two_connections")
async def test_no_second_connection_when_few_slots_are_free(
    loaded: asyncpg.Connection, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy server (here: fewer free slots than asked for) is read on one connection."""
    expected = await introspect(loaded)
    opener = Opener(db_url)
    monkeypatch.setattr(introspect_module, "MIN_FREE_CONNECTIONS", 10**6)
    assert await introspect(loaded, connect=opener) == expected
    assert opener.opened == []
    monkeypatch.setattr(introspect_module, "MIN_FREE_CONNECTIONS", 1)
    first = waiting_for(loaded, opener)
    assert await introspect(first, connect=opener) == expected  # type: ignore[arg-type]
    assert len(opener.opened) == 1 and opener.all_closed()


async def _planner_limits(url: str) -> tuple[str, str]:
    """join_collapse_limit and from_collapse_limit inside the read's transaction."""
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            await conn.fetch(introspect_module._SESSION_AND_QUOTING)
            row = await conn.fetchrow(
                "SELECT current_setting('join_collapse_limit') AS j,"
                " current_setting('from_collapse_limit') AS f"
            )
            return row["j"], row["f"]
    finally:
        await conn.close()


async def test_a_small_schema_is_read_in_the_written_join_order(pg: Any, db_url: str) -> None:
    # planning is most of a small read's server time: below SMALL_SCHEMA tables and
    # views the queries keep their written join order; from it up, the server's own limits
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            "".join(f"CREATE TABLE public.s{i} (id int);" for i in range(10))
            + "CREATE VIEW public.v AS SELECT id FROM public.s0;"
        )
    finally:
        await conn.close()
    assert await _planner_limits(db_url) == ("1", "1")
    async with pg.throwaway("introspect") as other_url:
        conn = await asyncpg.connect(other_url)
        try:
            await conn.execute(
                "".join(
                    f"CREATE TABLE public.b{i} (id int);"
                    for i in range(introspect_module.SMALL_SCHEMA)
                )
            )
        finally:
            await conn.close()
        assert await _planner_limits(other_url) == ("8", "8")
