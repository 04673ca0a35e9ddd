"""The pure differ: Schema values built by hand -> change kinds, SQL and order."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import replace
from pathlib import Path

import pytest

from studio.diff import Rename, diff, diff_report, parse_rename, rename_candidates
from studio.diff.expressions import check_shape
from studio.diff.order import order, order_report, render_script, steps
from studio.errors import UsageError
from studio.model import (
    Column,
    Constraint,
    ConstraintKind,
    Domain,
    DomainConstraint,
    EnumType,
    Extension,
    Function,
    Identity,
    Index,
    Namespace,
    Policy,
    Privilege,
    Schema,
    Sequence,
    SequenceOptions,
    Table,
    Trigger,
    View,
)
from studio.model import changes as ch
from studio.model.changes.casts import is_lossless, is_widening

DATA = Path(__file__).parent / "data"
PUBLIC = Namespace("public", "standard public schema")


def load(name: str) -> Schema:
    """A schema introspected from a real database (tests/fixtures/all_objects*.sql, quick start)."""
    return Schema.from_json((DATA / name).read_text())


def schema(*objects: object, namespaces: tuple[Namespace, ...] = (PUBLIC,)) -> Schema:
    """A Schema from its objects, keyed as the introspector keys them."""
    s = Schema(namespaces={n.key: n for n in namespaces})
    for o in objects:
        field = {
            Table: s.tables,
            EnumType: s.enums,
            Domain: s.domains,
            Sequence: s.sequences,
            View: s.views,
            Function: s.functions,
            Extension: s.extensions,
        }[type(o)]
        field[o.key] = o  # type: ignore[attr-defined]
    return s


def table(name: str, *columns: Column, schema: str = "public", **kw: object) -> Table:
    return Table(schema, name, columns=tuple(sorted(columns, key=lambda c: c.name)), **kw)  # type: ignore[arg-type]


def col(name: str, type_: str = "integer", **kw: object) -> Column:
    return Column(name, type_, **kw)  # type: ignore[arg-type]


def pk(table_name: str, *columns: str) -> Constraint:
    return Constraint(
        f"{table_name}_pkey",
        ConstraintKind.PRIMARY_KEY,
        f"PRIMARY KEY ({', '.join(columns)})",
        columns,
        index=f"{table_name}_pkey",
    )


def fk(
    name: str, column: str, ref: str, ref_column: str = "id", on_delete: str = "NO ACTION"
) -> Constraint:
    action = "" if on_delete == "NO ACTION" else f" ON DELETE {on_delete}"
    return Constraint(
        name,
        ConstraintKind.FOREIGN_KEY,
        f"FOREIGN KEY ({column}) REFERENCES {ref}({ref_column}){action}",
        (column,),
        ref_table=ref,
        ref_columns=(ref_column,),
        on_update="NO ACTION",
        on_delete=on_delete,
        match="SIMPLE",
    )


def check(name: str, expr: str, *columns: str, valid: bool = True) -> Constraint:
    return Constraint(
        name,
        ConstraintKind.CHECK,
        f"CHECK ({expr})" + ("" if valid else " NOT VALID"),
        columns,
        validated=valid,
    )


def sqls(changes: list[ch.Change]) -> list[str]:
    return [s for c in changes for s in c.sql()]


def kinds(changes: list[ch.Change]) -> list[str]:
    return [c.kind for c in changes]


# --- the quick-start schema --------------------------------------------------------

USERS = table(
    "users",
    col("id", not_null=True, default="nextval('public.users_id_seq'::regclass)"),
    col("email", "character varying(255)", not_null=True),
    col("name", "character varying(255)"),
    col("created_at", "timestamp without time zone", not_null=True, default="now()"),
    constraints=(pk("users", "id"),),
)
ORDERS = table(
    "orders",
    col("id", not_null=True, default="nextval('public.orders_id_seq'::regclass)"),
    col("user_id", not_null=True),
    col("total", not_null=True),
    col("status", "character varying(50)", default="'pending'::character varying"),
    constraints=(pk("orders", "id"), fk("orders_user_id_fkey", "user_id", "public.users")),
)
SEQ_OPTS = SequenceOptions("integer", max_value=2147483647)
QUICKSTART = schema(
    USERS,
    ORDERS,
    Sequence("public", "users_id_seq", SEQ_OPTS, "public.users.id"),
    Sequence("public", "orders_id_seq", SEQ_OPTS, "public.orders.id"),
)


def test_identical_schemas_have_no_changes() -> None:
    for name in ("rich_schema.json", "quickstart.json"):
        s = load(name)
        assert diff(s, s) == []
        assert diff(s, Schema.from_json(s.to_json())) == []
        assert diff(s, s, with_privileges=True) == []
    assert diff(QUICKSTART, QUICKSTART) == []


def test_quickstart_from_nothing_golden() -> None:
    changes = diff(schema(), QUICKSTART)
    assert [c.describe() for c in changes] == [
        "create sequence public.orders_id_seq",
        "create sequence public.users_id_seq",
        "create table public.orders",
        "create table public.users",
        "make sequence public.orders_id_seq owned by public.orders.id",
        "make sequence public.users_id_seq owned by public.users.id",
        "add primary key orders_pkey on public.orders",
        "add primary key users_pkey on public.users",
        "add foreign key orders_user_id_fkey on public.orders",
    ]
    assert changes[0].sql() == (
        (
            "CREATE SEQUENCE public.orders_id_seq AS integer INCREMENT BY 1 MINVALUE 1"
            " MAXVALUE 2147483647 START WITH 1 CACHE 1 NO CYCLE"
        ),
    )
    assert changes[-1].sql() == (
        (
            "ALTER TABLE public.orders ADD CONSTRAINT orders_user_id_fkey"
            " FOREIGN KEY (user_id) REFERENCES public.users(id)"
        ),
    )


def test_quickstart_dropped_in_reverse_order() -> None:
    changes = diff(QUICKSTART, schema())
    # the owned sequences go with their tables; the referencing table goes first
    assert [c.describe() for c in changes] == [
        "drop table public.orders",
        "drop table public.users",
    ]
    assert all(c.destructive for c in changes)


def test_rename_column_with_type_change_to_enum() -> None:
    status = EnumType("public", "order_status", ("pending", "paid", "shipped"))
    new_orders = replace(
        ORDERS,
        columns=tuple(
            sorted(
                [c for c in ORDERS.columns if c.name != "status"]
                + [
                    col(
                        "order_status",
                        "public.order_status",
                        default="'pending'::public.order_status",
                    )
                ],
                key=lambda c: c.name,
            )
        ),
    )
    new = replace(
        QUICKSTART,
        tables={**QUICKSTART.tables, new_orders.key: new_orders},
        enums={status.key: status},
    )
    without_hint = diff(QUICKSTART, new)
    assert "drop_column" in kinds(without_hint) and "add_column" in kinds(without_hint)
    assert [c.hint for c in rename_candidates(QUICKSTART, new)] == [
        "public.orders.status=public.orders.order_status"
    ]
    hint = parse_rename("orders.status=orders.order_status", QUICKSTART, new)
    assert hint == Rename("column", "public.orders.status", "public.orders.order_status")
    changes = diff(QUICKSTART, new, [hint])
    assert sqls(changes) == [
        "ALTER TABLE public.orders RENAME COLUMN status TO order_status",
        "CREATE TYPE public.order_status AS ENUM ('pending', 'paid', 'shipped')",
        "ALTER TABLE public.orders ALTER COLUMN order_status DROP DEFAULT",
        (
            "ALTER TABLE public.orders ALTER COLUMN order_status TYPE public.order_status"
            " USING order_status::public.order_status"
        ),
        "ALTER TABLE public.orders ALTER COLUMN order_status"
        " SET DEFAULT 'pending'::public.order_status",
    ]
    assert rename_candidates(QUICKSTART, new, [hint]) == []


# --- columns ----------------------------------------------------------------------


def _with_column(c: Column, base: Table = USERS) -> Schema:
    cols = [x for x in base.columns if x.name != c.name] + [c]
    t = replace(base, columns=tuple(sorted(cols, key=lambda x: x.name)))
    return replace(QUICKSTART, tables={**QUICKSTART.tables, t.key: t})


def _one(changes: list[ch.Change]) -> ch.Change:
    assert len(changes) == 1, [c.describe() for c in changes]
    return changes[0]


def test_add_and_drop_column() -> None:
    new = _with_column(col("age", "smallint", not_null=True, default="0"))
    add = _one(diff(QUICKSTART, new))
    assert isinstance(add, ch.AddColumn)
    assert add.sql() == ("ALTER TABLE public.users ADD COLUMN age smallint DEFAULT 0 NOT NULL",)
    assert not add.destructive and add.targets == ("public.users",)
    drop = _one(diff(new, QUICKSTART))
    assert isinstance(drop, ch.DropColumn) and drop.destructive
    assert drop.sql() == ("ALTER TABLE public.users DROP COLUMN age",)
    # the inverse of a drop re-adds the old column's structure
    assert drop.inverse() == add
    assert add.inverse() == drop


@pytest.mark.parametrize(
    ("old", "new", "using", "destructive"),
    [
        ("character varying(255)", "character varying(300)", False, False),
        ("character varying(255)", "text", False, False),
        ("integer", "bigint", False, False),
        ("numeric(10,2)", "numeric(12,2)", False, False),
        ("integer[]", "bigint[]", False, False),
        ("character varying(255)", "character varying(10)", True, True),
        ("bigint", "integer", True, True),
        ("integer", "text", True, False),
        ("text", "uuid", True, True),
        ("timestamp without time zone", "timestamp with time zone", True, True),
    ],
)
def test_column_type_change_using(old: str, new: str, using: bool, destructive: bool) -> None:
    a = _with_column(col("v", old))
    b = _with_column(col("v", new))
    change = _one(diff(a, b))
    assert isinstance(change, ch.AlterColumnType)
    tail = f" USING v::{new}" if using else ""
    assert change.sql() == (f"ALTER TABLE public.users ALTER COLUMN v TYPE {new}{tail}",)
    assert change.destructive is destructive
    assert is_widening(old, new) is not using
    assert is_lossless(old, new) is not destructive


def test_type_change_drops_and_restores_a_default_that_cannot_be_cast() -> None:
    a = _with_column(col("v", "integer", default="0"))
    b = _with_column(col("v", "text", default="'0'::text"))
    assert sqls(diff(a, b)) == [
        "ALTER TABLE public.users ALTER COLUMN v DROP DEFAULT",
        "ALTER TABLE public.users ALTER COLUMN v TYPE text USING v::text",
        "ALTER TABLE public.users ALTER COLUMN v SET DEFAULT '0'::text",
    ]
    # a widening keeps the default as it is
    c = _with_column(col("v", "bigint", default="0"))
    assert sqls(diff(a, c)) == ["ALTER TABLE public.users ALTER COLUMN v TYPE bigint"]


def test_collation_change() -> None:
    a = _with_column(col("v", "text"))
    b = _with_column(col("v", "text", collation='"C"'))
    assert sqls(diff(a, b)) == ['ALTER TABLE public.users ALTER COLUMN v TYPE text COLLATE "C"']
    assert sqls(diff(b, a)) == [
        'ALTER TABLE public.users ALTER COLUMN v TYPE text COLLATE "default"'
    ]


def test_default_and_nullability() -> None:
    a = _with_column(col("v", "text"))
    b = _with_column(col("v", "text", not_null=True, default="'x'::text"))
    changes = diff(a, b)
    assert kinds(changes) == ["set_not_null", "set_default"]
    assert sqls(changes) == [
        "ALTER TABLE public.users ALTER COLUMN v SET NOT NULL",
        "ALTER TABLE public.users ALTER COLUMN v SET DEFAULT 'x'::text",
    ]
    assert kinds(diff(b, a)) == ["drop_default", "drop_not_null"]
    assert [c.inverse() for c in changes] == [
        ch.DropNotNull("public.users", "v"),
        ch.DropDefault("public.users", "v", "'x'::text"),
    ]


def test_identity_add_drop_alter() -> None:
    serial = _with_column(
        col("n", "bigint", not_null=True, default="nextval('public.users_id_seq'::regclass)")
    )
    ident = Identity(True, SequenceOptions("bigint", start=100, increment=5, cache=10))
    identity = _with_column(col("n", "bigint", not_null=True, identity=ident))
    changes = diff(serial, identity)
    assert sqls(changes) == [
        "ALTER TABLE public.users ALTER COLUMN n DROP DEFAULT",
        (
            "ALTER TABLE public.users ALTER COLUMN n ADD GENERATED ALWAYS AS IDENTITY"
            " (INCREMENT BY 5 START WITH 100 CACHE 10)"
        ),
    ]
    assert sqls(diff(identity, serial)) == [
        "ALTER TABLE public.users ALTER COLUMN n DROP IDENTITY",
        "ALTER TABLE public.users ALTER COLUMN n"
        " SET DEFAULT nextval('public.users_id_seq'::regclass)",
    ]
    by_default = _with_column(
        col(
            "n",
            "bigint",
            not_null=True,
            identity=Identity(False, replace(ident.options, increment=1)),
        )
    )
    assert sqls(diff(identity, by_default)) == [
        "ALTER TABLE public.users ALTER COLUMN n SET GENERATED BY DEFAULT SET INCREMENT BY 1"
    ]


def test_generated_column_changes() -> None:
    a = _with_column(col("g", "bigint", generated="(id * 2)", generated_kind="stored"))
    b = _with_column(col("g", "bigint", generated="(id * 3)", generated_kind="stored"))
    changes = diff(a, b)
    assert kinds(changes) == ["drop_column", "add_column"]
    assert not changes[0].destructive  # derived data only
    assert changes[1].sql() == (
        "ALTER TABLE public.users ADD COLUMN g bigint GENERATED ALWAYS AS ((id * 3)) STORED",
    )
    plain = _with_column(col("g", "bigint"))
    assert sqls(diff(a, plain)) == ["ALTER TABLE public.users ALTER COLUMN g DROP EXPRESSION"]
    assert kinds(diff(plain, a)) == ["drop_column", "add_column"]


def test_column_comment() -> None:
    a = _with_column(col("v", "text"))
    b = _with_column(col("v", "text", comment="it's a value"))
    assert sqls(diff(a, b)) == ["COMMENT ON COLUMN public.users.v IS 'it''s a value'"]
    assert sqls(diff(b, a)) == ["COMMENT ON COLUMN public.users.v IS NULL"]


# --- constraints and indexes ------------------------------------------------------


def _with_table(base: Schema, t: Table) -> Schema:
    return replace(base, tables={**base.tables, t.key: t})


def test_constraint_unchanged_validate_and_replace() -> None:
    cap = check("orders_total_cap", "(total < 1000000)", "total", valid=False)
    valid = check("orders_total_cap", "(total < 1000000)", "total")
    a = _with_table(QUICKSTART, replace(ORDERS, constraints=(*ORDERS.constraints, cap)))
    b = _with_table(QUICKSTART, replace(ORDERS, constraints=(*ORDERS.constraints, valid)))
    assert diff(a, a) == []
    assert sqls(diff(a, b)) == ["ALTER TABLE public.orders VALIDATE CONSTRAINT orders_total_cap"]
    changed = replace(valid, definition="CHECK ((total < 500))")
    c = _with_table(QUICKSTART, replace(ORDERS, constraints=(*ORDERS.constraints, changed)))
    assert sqls(diff(b, c)) == [
        "ALTER TABLE public.orders DROP CONSTRAINT orders_total_cap",
        "ALTER TABLE public.orders ADD CONSTRAINT orders_total_cap CHECK ((total < 500))",
    ]


def test_foreign_keys_follow_the_keys_they_reference() -> None:
    # users' primary key is replaced: the foreign key holding it is dropped first, re-added last
    users = replace(
        USERS, constraints=(replace(pk("users", "id", "email"), columns=("id", "email")),)
    )
    orders = replace(ORDERS, columns=(*ORDERS.columns, col("user_email", "character varying(255)")))
    orders = replace(
        orders,
        columns=tuple(sorted(orders.columns, key=lambda c: c.name)),
        constraints=(
            pk("orders", "id"),
            replace(
                fk("orders_user_id_fkey", "user_id", "public.users"),
                definition="FOREIGN KEY (user_id, user_email) REFERENCES public.users(id, email)",
                columns=("user_id", "user_email"),
                ref_columns=("id", "email"),
            ),
        ),
    )
    new = _with_table(_with_table(QUICKSTART, users), orders)
    assert [c.describe() for c in diff(QUICKSTART, new)] == [
        "drop foreign key orders_user_id_fkey on public.orders",
        "drop primary key users_pkey on public.users",
        "add column public.orders.user_email character varying(255)",
        "add primary key users_pkey on public.users",
        "add foreign key orders_user_id_fkey on public.orders",
    ]


def test_index_create_drop_replace_and_concurrently() -> None:
    ix = Index(
        "users_name_idx",
        "CREATE INDEX users_name_idx ON public.users USING btree (name)",
        keys=("name",),
    )
    a = QUICKSTART
    b = _with_table(a, replace(USERS, indexes=(ix,)))
    create = _one(diff(a, b))
    assert isinstance(create, ch.CreateIndex) and create.transactional
    assert create.sql() == ("CREATE INDEX users_name_idx ON public.users USING btree (name)",)
    online = replace(create, concurrently=True)
    assert online.sql() == (
        "CREATE INDEX CONCURRENTLY users_name_idx ON public.users USING btree (name)",
    )
    assert not online.transactional
    assert sqls(diff(b, a)) == ["DROP INDEX public.users_name_idx"]
    partial = replace(
        ix, definition=ix.definition + " WHERE (name IS NOT NULL)", predicate="(name IS NOT NULL)"
    )
    c = _with_table(a, replace(USERS, indexes=(partial,)))
    assert kinds(diff(b, c)) == ["drop_index", "create_index"]
    # a comment alone is not a reason to rebuild
    d = _with_table(a, replace(USERS, indexes=(replace(ix, comment="by name"),)))
    assert sqls(diff(b, d)) == ["COMMENT ON INDEX public.users_name_idx IS 'by name'"]


def test_partitioned_index_is_built_on_the_partitions_too() -> None:
    ix = Index(
        "e_kind_idx", "CREATE INDEX e_kind_idx ON ONLY public.e USING btree (kind)", keys=("kind",)
    )
    assert ch.CreateIndex("public.e", ix).sql() == (
        "CREATE INDEX e_kind_idx ON public.e USING btree (kind)",
    )


# --- types -------------------------------------------------------------------------

MOOD = EnumType("public", "mood", ("sad", "ok", "happy"))


def _mood_schema(labels: tuple[str, ...], **column: object) -> Schema:
    t = table("people", col("m", "public.mood", **column), col("ms", "public.mood[]"))  # type: ignore[arg-type]
    return schema(replace(MOOD, labels=labels), t)


def test_enum_values_added_in_position_and_committed_before_use() -> None:
    a = _mood_schema(MOOD.labels)
    b = _mood_schema(("meh", "sad", "ok", "fine", "great", "happy", "ecstatic"))
    changes = diff(a, b)
    assert sqls(changes) == [
        "ALTER TYPE public.mood ADD VALUE 'meh' BEFORE 'sad'",
        "ALTER TYPE public.mood ADD VALUE 'fine' AFTER 'ok'",
        "ALTER TYPE public.mood ADD VALUE 'great' AFTER 'fine'",
        "ALTER TYPE public.mood ADD VALUE 'ecstatic' AFTER 'happy'",
    ]
    assert all(c.commit_before_use and c.transactional for c in changes)
    # a default using the new value runs after the commit
    c = _mood_schema(("sad", "ok", "happy", "ecstatic"), default="'ecstatic'::public.mood")
    script = render_script(diff(a, c), comments=False)
    assert script == (
        "BEGIN;\nALTER TYPE public.mood ADD VALUE 'ecstatic' AFTER 'happy';\nCOMMIT;\n\n"
        "BEGIN;\nALTER TABLE public.people ALTER COLUMN m SET DEFAULT 'ecstatic'::public.mood;\n"
        "COMMIT;\n"
    )


def test_enum_value_removed_recreates_the_type() -> None:
    a = _mood_schema(MOOD.labels, default="'ok'::public.mood")
    b = _mood_schema(("sad", "happy"), default="'sad'::public.mood")
    change = _one(diff(a, b))
    assert isinstance(change, ch.RecreateEnum) and change.destructive
    assert change.sql() == (
        "ALTER TYPE public.mood RENAME TO mood__old",
        "CREATE TYPE public.mood AS ENUM ('sad', 'happy')",
        (
            "ALTER TABLE public.people ALTER COLUMN m DROP DEFAULT,"
            " ALTER COLUMN m TYPE public.mood USING m::text::public.mood,"
            " ALTER COLUMN m SET DEFAULT 'sad'::public.mood,"
            " ALTER COLUMN ms TYPE public.mood[] USING ms::text[]::public.mood[]"
        ),
        "DROP TYPE public.mood__old",
    )
    reordered = _one(diff(a, _mood_schema(("happy", "ok", "sad"), default="'ok'::public.mood")))
    assert isinstance(reordered, ch.RecreateEnum) and not reordered.destructive


def test_enum_create_before_table_and_drop_after() -> None:
    a = schema()
    b = _mood_schema(MOOD.labels)
    assert kinds(diff(a, b)) == ["create_enum", "create_table"]
    assert kinds(diff(b, a)) == ["drop_table", "drop_enum"]


def test_domains() -> None:
    positive = DomainConstraint("positive", "CHECK ((VALUE > 0))")
    d = Domain("public", "amount", "numeric(12,2)", constraints=(positive,))
    a, b = schema(), schema(d)
    assert sqls(diff(a, b)) == [
        "CREATE DOMAIN public.amount AS numeric(12,2)",
        "ALTER DOMAIN public.amount ADD CONSTRAINT positive CHECK ((VALUE > 0))",
    ]
    capped = DomainConstraint("capped", "CHECK ((VALUE < 1000)) NOT VALID", validated=False)
    d2 = replace(d, not_null=True, default="0", constraints=(capped,))
    assert sqls(diff(b, schema(d2))) == [
        "ALTER DOMAIN public.amount DROP CONSTRAINT positive",
        "ALTER DOMAIN public.amount SET DEFAULT 0",
        "ALTER DOMAIN public.amount SET NOT NULL",
        "ALTER DOMAIN public.amount ADD CONSTRAINT capped CHECK ((VALUE < 1000)) NOT VALID",
    ]
    d3 = replace(d2, constraints=(DomainConstraint("capped", "CHECK ((VALUE < 1000))"),))
    assert sqls(diff(schema(d2), schema(d3))) == [
        "ALTER DOMAIN public.amount VALIDATE CONSTRAINT capped"
    ]
    # a column of the domain is created after it and dropped before it
    t = table("t", col("a", "public.amount"))
    assert kinds(diff(a, schema(d, t))) == ["create_domain", "create_table"]
    assert kinds(diff(schema(d, t), a)) == ["drop_table", "drop_domain"]


def test_sequences() -> None:
    s = Sequence(
        "public", "invoice_no", SequenceOptions("integer", 1000, 10, 1000, 999999, 5, True)
    )
    assert sqls(diff(schema(), schema(s))) == [
        (
            "CREATE SEQUENCE public.invoice_no AS integer INCREMENT BY 10 MINVALUE 1000 MAXVALUE"
            " 999999 START WITH 1000 CACHE 5 CYCLE"
        )
    ]
    s2 = replace(s, options=replace(s.options, data_type="bigint", max_value=9999999, cycle=False))
    assert sqls(diff(schema(s), schema(s2))) == [
        "ALTER SEQUENCE public.invoice_no AS bigint MAXVALUE 9999999 NO CYCLE"
    ]
    # a default using the sequence is set after it exists, dropped before it goes
    t = table("t", col("n", default="nextval('public.invoice_no'::regclass)"))
    assert kinds(diff(schema(), schema(s, t))) == ["create_sequence", "create_table"]
    bare = table("t", col("n"))
    assert kinds(diff(schema(s, t), schema(bare))) == ["drop_default", "drop_sequence"]
    # released by its owning column before that column is dropped
    owned = replace(s, owned_by="public.t.n")
    t2 = table("t", col("m"))
    released = kinds(diff(schema(owned, t), schema(s, t2)))
    assert sorted(released) == ["add_column", "drop_column", "set_sequence_owner"]
    assert released.index("set_sequence_owner") < released.index("drop_column")
    assert kinds(diff(schema(owned, t), schema(t2))) == ["drop_column", "add_column"]


# --- views, functions, triggers, policies -----------------------------------------

TOTALS = View(
    "public",
    "order_totals",
    " SELECT user_id,\n    sum(total) AS total\n   FROM public.orders\n  GROUP BY user_id;",
    columns=("user_id", "total"),
    depends_on=("public.orders",),
    depends_on_columns=("public.orders.total", "public.orders.user_id"),
)
BIG = View(
    "public",
    "big_spenders",
    " SELECT user_id\n   FROM public.order_totals\n  WHERE (total > 1000);",
    columns=("user_id",),
    depends_on=("public.order_totals",),
    depends_on_columns=("public.order_totals.total", "public.order_totals.user_id"),
)


def test_views_created_in_dependency_order_and_dropped_in_reverse() -> None:
    a = QUICKSTART
    b = replace(a, views={BIG.key: BIG, TOTALS.key: TOTALS})
    changes = diff(a, b)
    assert [c.describe() for c in changes] == [
        "create view public.order_totals",
        "create view public.big_spenders",
    ]
    assert changes[0].sql()[0] == (
        "CREATE VIEW public.order_totals AS\nSELECT user_id,\n    sum(total) AS total\n"
        "   FROM public.orders\n  GROUP BY user_id"
    )
    assert [c.describe() for c in diff(b, a)] == [
        "drop view public.big_spenders",
        "drop view public.order_totals",
    ]


def test_views_recreated_around_a_type_change_of_a_column_they_read() -> None:
    a = replace(QUICKSTART, views={BIG.key: BIG, TOTALS.key: TOTALS})
    orders = replace(
        ORDERS,
        columns=tuple(
            replace(c, type="bigint") if c.name == "total" else c for c in ORDERS.columns
        ),
    )
    b = _with_table(a, orders)
    assert [c.describe() for c in diff(a, b)] == [
        "drop view public.big_spenders",
        "drop view public.order_totals",
        "alter column public.orders.total type integer -> bigint",
        "create view public.order_totals",
        "create view public.big_spenders",
    ]
    # a column no view reads leaves them alone
    users = replace(
        USERS,
        columns=tuple(replace(c, type="text") if c.name == "name" else c for c in USERS.columns),
    )
    assert kinds(diff(a, _with_table(a, users))) == ["alter_column_type"]


def test_view_options_and_comment_altered_in_place() -> None:
    a = replace(QUICKSTART, views={TOTALS.key: TOTALS})
    b = replace(
        QUICKSTART,
        views={TOTALS.key: replace(TOTALS, options=("security_barrier=true",), comment="x")},
    )
    assert sqls(diff(a, b)) == [
        "ALTER VIEW public.order_totals SET (security_barrier=true)",
        "COMMENT ON VIEW public.order_totals IS 'x'",
    ]


def _fn(body: str, returns: str = "trigger", name: str = "touch") -> Function:
    return Function(
        "public",
        name,
        "",
        "f",
        f"CREATE OR REPLACE FUNCTION public.{name}()\n RETURNS {returns}\n LANGUAGE plpgsql\n"
        f"AS $function$ BEGIN {body} END $function$\n",
        returns,
        "plpgsql",
    )


TOUCH_TRIGGER = Trigger(
    "users_touch",
    "CREATE TRIGGER users_touch BEFORE UPDATE ON public.users"
    " FOR EACH ROW EXECUTE FUNCTION public.touch()",
    "public.touch",
)


def test_functions_replaced_in_place_or_recreated_with_their_triggers() -> None:
    users = replace(USERS, triggers=(TOUCH_TRIGGER,))
    a = replace(_with_table(QUICKSTART, users), functions={"public.touch()": _fn("RETURN NEW;")})
    # the body changes: CREATE OR REPLACE, the trigger stays
    b = replace(a, functions={"public.touch()": _fn("RETURN NULL;")})
    change = _one(diff(a, b))
    assert (
        isinstance(change, ch.CreateFunction)
        and change.describe() == "replace function public.touch()"
    )
    assert change.inverse() == ch.CreateFunction(
        a.functions["public.touch()"], b.functions["public.touch()"]
    )
    # the result type changes: drop and create, and the trigger calling it with it
    c = replace(a, functions={"public.touch()": _fn("RETURN NULL;", returns="event_trigger")})
    assert kinds(diff(a, c)) == [
        "drop_trigger",
        "drop_function",
        "create_function",
        "create_trigger",
    ]
    # a new trigger is created after its function; dropped before it
    plain = replace(QUICKSTART)
    assert kinds(diff(plain, a)) == ["create_function", "create_trigger"]
    assert kinds(diff(a, plain)) == ["drop_trigger", "drop_function"]


def test_trigger_enable_disable() -> None:
    a = replace(
        _with_table(QUICKSTART, replace(USERS, triggers=(TOUCH_TRIGGER,))),
        functions={"public.touch()": _fn("RETURN NEW;")},
    )
    b = _with_table(a, replace(USERS, triggers=(replace(TOUCH_TRIGGER, enabled="D"),)))
    assert sqls(diff(a, b)) == ["ALTER TABLE public.users DISABLE TRIGGER users_touch"]
    assert sqls(diff(b, a)) == ["ALTER TABLE public.users ENABLE TRIGGER users_touch"]
    r = _with_table(a, replace(USERS, triggers=(replace(TOUCH_TRIGGER, enabled="A"),)))
    assert sqls(diff(a, r)) == ["ALTER TABLE public.users ENABLE ALWAYS TRIGGER users_touch"]


def test_policies_and_row_level_security() -> None:
    read = Policy("own_rows", "SELECT", using="(id = 1)")
    a = QUICKSTART
    b = _with_table(a, replace(USERS, policies=(read,), rls_enabled=True, rls_forced=True))
    assert sqls(diff(a, b)) == [
        "ALTER TABLE public.users ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE public.users FORCE ROW LEVEL SECURITY",
        "CREATE POLICY own_rows ON public.users AS PERMISSIVE FOR SELECT TO PUBLIC"
        " USING ((id = 1))",
    ]
    c = _with_table(
        a,
        replace(
            USERS,
            policies=(replace(read, using="(id = 2)", roles=("pg_monitor",)),),
            rls_enabled=True,
            rls_forced=True,
        ),
    )
    assert sqls(diff(b, c)) == [
        "ALTER POLICY own_rows ON public.users TO pg_monitor USING ((id = 2))"
    ]
    d = _with_table(
        a,
        replace(
            USERS, policies=(replace(read, permissive=False),), rls_enabled=True, rls_forced=True
        ),
    )
    assert kinds(diff(b, d)) == ["drop_policy", "create_policy"]
    assert sqls(diff(b, a)) == [
        "DROP POLICY own_rows ON public.users",
        "ALTER TABLE public.users DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE public.users NO FORCE ROW LEVEL SECURITY",
    ]


def test_table_options_logged_comment() -> None:
    a = QUICKSTART
    b = _with_table(
        a,
        replace(
            USERS,
            options=("autovacuum_enabled=false", "fillfactor=70"),
            unlogged=True,
            comment="People",
        ),
    )
    assert sqls(diff(a, b)) == [
        "ALTER TABLE public.users SET UNLOGGED",
        "ALTER TABLE public.users SET (autovacuum_enabled=false, fillfactor=70)",
        "COMMENT ON TABLE public.users IS 'People'",
    ]
    c = _with_table(a, replace(USERS, options=("fillfactor=80",)))
    assert sqls(diff(b, c)) == [
        "ALTER TABLE public.users SET LOGGED",
        "ALTER TABLE public.users RESET (autovacuum_enabled)",
        "ALTER TABLE public.users SET (fillfactor=80)",
        "COMMENT ON TABLE public.users IS NULL",
    ]


def test_partitions_create_attach_detach() -> None:
    parent = table(
        "events", col("id", "bigint"), col("at", "date", not_null=True), partition_key="RANGE (at)"
    )
    part = table(
        "events_2024",
        col("id", "bigint"),
        col("at", "date", not_null=True),
        partition_of="public.events",
        partition_bound="FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
    )
    a = schema(parent)
    b = schema(parent, part)
    # made as a table of its own, then attached: its indexes would be made before the attach
    assert sqls(diff(a, b)) == [
        "CREATE TABLE public.events_2024 (\n    at date NOT NULL,\n    id bigint\n)",
        (
            "ALTER TABLE public.events ATTACH PARTITION public.events_2024"
            " FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"
        ),
    ]
    loose = replace(part, partition_of=None, partition_bound=None)
    assert sqls(diff(schema(parent, loose), b)) == [
        (
            "ALTER TABLE public.events ATTACH PARTITION public.events_2024"
            " FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"
        )
    ]
    assert sqls(diff(b, schema(parent, loose))) == [
        "ALTER TABLE public.events DETACH PARTITION public.events_2024"
    ]
    # a column added to the parent reaches the partition by itself
    c = schema(
        replace(parent, columns=(*parent.columns, col("kind", "text"))),
        replace(part, columns=(*part.columns, col("kind", "text"))),
    )
    assert sqls(diff(b, c)) == ["ALTER TABLE public.events ADD COLUMN kind text"]


def test_no_inherit_keeps_the_parents_checks() -> None:
    """NO INHERIT leaves the parent's CHECK on the child as its own: not added again, and the
    child leaves before the parent drops it (the drop would take it from the child too).
    No golden case: the way back, INHERIT of a table of its own, cannot give what CREATE
    TABLE ... INHERITS does (pg_dump writes its columns and CHECK as the child's own)."""
    check = Constraint("h_check", ConstraintKind.CHECK, "CHECK ((id > 0))", ("id",))
    parent = table("h", col("id", "integer", not_null=True), constraints=(check,))
    child = table("c", col("id", "integer", not_null=True), col("x", "integer"))
    a = schema(parent, replace(child, inherits=("public.h",)))
    b = schema(replace(parent, constraints=()), replace(child, constraints=(check,)))
    assert sqls(diff(a, b)) == [
        "ALTER TABLE public.c NO INHERIT public.h",
        "ALTER TABLE public.h DROP CONSTRAINT h_check",
    ]
    # and dropped from the child once it is its own (before, it is the parent's to drop)
    assert sqls(diff(a, replace(b, tables={**b.tables, "public.c": child}))) == [
        "ALTER TABLE public.c NO INHERIT public.h",
        "ALTER TABLE public.c DROP CONSTRAINT h_check",
        "ALTER TABLE public.h DROP CONSTRAINT h_check",
    ]


def test_schemas_and_extensions() -> None:
    shop = Namespace("shop", "Storefront")
    citext = Extension("citext", "public", "1.6")
    a = schema()
    b = replace(schema(namespaces=(PUBLIC, shop)), extensions={citext.key: citext})
    b = replace(b, tables={"shop.t": table("t", col("e", "public.citext"), schema="shop")})
    changes = diff(a, b)
    assert sqls(changes) == [
        "CREATE SCHEMA shop",
        "CREATE EXTENSION citext WITH SCHEMA public",
        "CREATE TABLE shop.t (\n    e public.citext\n)",
        "COMMENT ON SCHEMA shop IS 'Storefront'",
    ]
    assert sqls(diff(b, a)) == ["DROP TABLE shop.t", "DROP EXTENSION citext", "DROP SCHEMA shop"]
    # the extension's version is not compared
    newer = replace(b, extensions={citext.key: replace(citext, version="1.7")})
    assert diff(b, newer) == []


def test_privileges_only_when_asked() -> None:
    grant = Privilege("table", "public.users", "pg_monitor", "SELECT")
    column = Privilege("column", "public.users", "pg_monitor", "UPDATE", column="name")
    a = QUICKSTART
    b = replace(a, privileges=(column, grant), owners={"public.users": "app"})
    assert diff(a, b) == []
    changes = diff(a, b, with_privileges=True)
    assert sqls(changes) == [
        "GRANT SELECT ON TABLE public.users TO pg_monitor",
        "GRANT UPDATE (name) ON TABLE public.users TO pg_monitor",
        "ALTER TABLE public.users OWNER TO app",
    ]
    assert sqls(diff(b, a, with_privileges=True)) == [
        "REVOKE SELECT ON TABLE public.users FROM pg_monitor",
        "REVOKE UPDATE (name) ON TABLE public.users FROM pg_monitor",
    ]
    assert changes[1].inverse() == ch.RevokePrivilege(column)


# --- renames --------------------------------------------------------------------------


def test_parse_rename_forms() -> None:
    purchases = replace(ORDERS, name="purchases")
    new = replace(QUICKSTART, tables={USERS.key: USERS, purchases.key: purchases})
    for text in (
        "orders=purchases",
        "public.orders=public.purchases",
        "orders=public.purchases",
        'table:"orders"=purchases',
        "ORDERS=Purchases",
    ):
        assert parse_rename(text, QUICKSTART, new) == Rename(
            "table", "public.orders", "public.purchases"
        )
    users2 = replace(
        USERS,
        columns=tuple(
            replace(c, name="full_name") if c.name == "name" else c for c in USERS.columns
        ),
    )
    new2 = _with_table(QUICKSTART, users2)
    for text in (
        "users.name=users.full_name",
        "public.users.name=public.users.full_name",
        "users.name=full_name",
        "column:users.name=users.full_name",
    ):
        assert parse_rename(text, QUICKSTART, new2) == Rename(
            "column", "public.users.name", "public.users.full_name"
        )


def test_parse_rename_errors() -> None:
    with pytest.raises(UsageError, match="not a table or column"):
        parse_rename("nope=other", QUICKSTART, QUICKSTART)
    with pytest.raises(UsageError, match="no '='"):
        parse_rename("orders", QUICKSTART, QUICKSTART)
    with pytest.raises(UsageError, match="no table public.purchases in the new schema"):
        parse_rename("orders=purchases", QUICKSTART, QUICKSTART)
    # `a.b`: table b of schema a, and column b of table a
    a_schema = Namespace("a")
    a_b = table("b", col("x"), schema="a")
    a_table = table("a", col("b"))
    old = replace(schema(a_b, a_table, namespaces=(PUBLIC, a_schema)))
    with pytest.raises(UsageError, match="ambiguous") as err:
        parse_rename("a.b=a.c", old, old)
    assert "fully qualified" in (err.value.hint or "")
    new = _with_table(old, table("a", col("c")))
    assert parse_rename("public.a.b=public.a.c", old, new) == Rename(
        "column", "public.a.b", "public.a.c"
    )
    assert parse_rename("column:a.b=a.c", old, new).kind == "column"


def test_table_rename_keeps_references_and_indexes() -> None:
    ix = Index(
        "orders_status_idx",
        "CREATE INDEX orders_status_idx ON public.orders USING btree (status)",
        keys=("status",),
    )
    old = _with_table(QUICKSTART, replace(ORDERS, indexes=(ix,)))
    renamed = replace(
        ORDERS,
        name="purchases",
        indexes=(
            replace(
                ix,
                definition=(
                    "CREATE INDEX orders_status_idx ON public.purchases USING btree (status)"
                ),
            ),
        ),
    )
    new = replace(
        old,
        tables={USERS.key: USERS, renamed.key: renamed},
        sequences={
            **old.sequences,
            "public.orders_id_seq": replace(
                old.sequences["public.orders_id_seq"], owned_by="public.purchases.id"
            ),
        },
    )
    hint = parse_rename("orders=purchases", old, new)
    assert sqls(diff(old, new, [hint])) == ["ALTER TABLE public.orders RENAME TO purchases"]
    assert [c.hint for c in rename_candidates(old, new)] == ["public.orders=public.purchases"]
    # without the hint: a drop and a create, reported as data loss
    plain = diff(old, new)
    assert {"drop_table", "create_table"} <= set(kinds(plain))
    assert [c.describe() for c in plain if c.destructive] == ["drop table public.orders"]
    # the serial's sequence is handed to the new table before the old one takes it away
    assert kinds(plain).index("set_sequence_owner") < kinds(plain).index("drop_table")


def test_rename_column_updates_constraints_indexes_and_views() -> None:
    ix = Index(
        "users_name_idx",
        "CREATE INDEX users_name_idx ON public.users USING btree (name)",
        keys=("name",),
    )
    chk = check("users_name_check", "(name)::text <> ''::text", "name")
    old = _with_table(
        QUICKSTART, replace(USERS, indexes=(ix,), constraints=(*USERS.constraints, chk))
    )
    users = replace(
        USERS,
        columns=tuple(
            replace(c, name="full_name") if c.name == "name" else c for c in USERS.columns
        ),
        indexes=(
            replace(
                ix,
                keys=("full_name",),
                definition="CREATE INDEX users_name_idx ON public.users USING btree (full_name)",
            ),
        ),
        constraints=(
            *USERS.constraints,
            replace(
                chk, columns=("full_name",), definition="CHECK ((full_name)::text <> ''::text)"
            ),
        ),
    )
    users = replace(users, columns=tuple(sorted(users.columns, key=lambda c: c.name)))
    new = _with_table(QUICKSTART, users)
    hint = parse_rename("users.name=users.full_name", old, new)
    assert sqls(diff(old, new, [hint])) == [
        "ALTER TABLE public.users RENAME COLUMN name TO full_name"
    ]


def test_rename_constraint_and_index_hints() -> None:
    ix = Index("a_idx", "CREATE INDEX a_idx ON public.users USING btree (name)", keys=("name",))
    old = _with_table(QUICKSTART, replace(USERS, indexes=(ix,)))
    new = _with_table(
        QUICKSTART,
        replace(
            USERS,
            indexes=(
                replace(ix, name="b_idx", definition=ix.definition.replace("a_idx", "b_idx")),
            ),
            constraints=(replace(pk("users", "id"), name="users_pk", index="users_pk"),),
        ),
    )
    hints = [
        parse_rename("index:users.a_idx=users.b_idx", old, new),
        parse_rename("users.users_pkey=users.users_pk", old, new),
    ]
    assert hints[1].kind == "constraint"
    assert sqls(diff(old, new, hints)) == [
        "ALTER TABLE public.users RENAME CONSTRAINT users_pkey TO users_pk",
        "ALTER INDEX public.a_idx RENAME TO b_idx",
    ]


def test_rename_candidates() -> None:
    # same table, a dropped and an added column of compatible types
    a = _with_column(col("nick", "character varying(20)"))
    b = _with_column(col("nickname", "text"))
    assert [c.hint for c in rename_candidates(a, b)] == ["public.users.nick=public.users.nickname"]
    c = _with_column(col("born", "date"))
    assert rename_candidates(a, c) == []
    # of two added columns, the likelier (same type, default and a like name) comes first
    status = col("status", "character varying(50)", default="'pending'::character varying")
    d = _with_column(status)
    e = _with_column(
        col("note", "text"), _with_column(replace(status, name="order_status")).tables[USERS.key]
    )
    found = rename_candidates(d, e)
    assert [c.hint for c in found] == [
        "public.users.status=public.users.order_status",
        "public.users.status=public.users.note",
    ]
    assert found[0].score == 0.9 and found[1].score < 0.5
    # a table sharing too few columns is not a candidate
    other = table("audit", col("at", "timestamp with time zone"), col("what", "text"))
    assert (
        rename_candidates(
            QUICKSTART, replace(QUICKSTART, tables={USERS.key: USERS, other.key: other})
        )
        == []
    )


# --- order and script -------------------------------------------------------------------


def test_order_is_deterministic_and_independent_of_input_order() -> None:
    rich = load("rich_schema.json")
    forward = diff(schema(), rich)
    backward = diff(rich, schema())
    rng = random.Random(7)
    for _ in range(5):
        shuffled = forward[:]
        rng.shuffle(shuffled)
        assert order(shuffled) == forward
        shuffled = backward[:]
        rng.shuffle(shuffled)
        assert order(shuffled) == backward


def test_rich_schema_create_and_drop_order() -> None:
    rich = load("rich_schema.json")
    created = [c.describe() for c in diff(schema(), rich)]

    def pos(text: str) -> int:
        return created.index(text)

    assert (
        pos("create schema shop")
        < pos("create enum shop.order_status")
        < pos("create table shop.orders")
    )
    assert pos("create domain shop.email") < pos("create table shop.customers")
    assert pos("create table shop.customers") < pos(
        "add primary key customers_pkey on shop.customers"
    )
    assert pos("add primary key customers_pkey on shop.customers") < pos(
        "add foreign key orders_customer_fk on shop.orders"
    )
    assert pos("create view shop.order_totals") < pos("create view shop.big_customers")
    assert pos("create function audit.touch()") < pos("create trigger orders_touch on shop.orders")
    assert pos("create table audit.events") < pos(
        "attach partition audit.events_2024 to audit.events"
    )
    assert pos("create table audit.events_2024, to be attached to audit.events") < pos(
        "attach partition audit.events_2024 to audit.events"
    )
    dropped = [c.describe() for c in diff(rich, schema())]
    assert dropped.index("drop view shop.big_customers") < dropped.index(
        "drop view shop.order_totals"
    )
    assert dropped.index("drop table shop.orders") < dropped.index("drop table shop.customers")
    assert dropped.index("drop table shop.orders") < dropped.index("drop enum shop.order_status")
    assert dropped[-1] == "drop schema shop"


def test_order_breaks_cycles() -> None:
    # two changes that each need what the other creates: one still goes first
    a = ch.SetComment("TABLE", "public.a", "x", key="rel:public.b")
    b = ch.SetComment("TABLE", "public.b", "y", key="rel:public.a")
    cyc_a = ch.CreateView(View("public", "a", "SELECT 1", depends_on=("public.b",)))
    cyc_b = ch.CreateView(View("public", "b", "SELECT 1", depends_on=("public.a",)))
    assert len(order([cyc_b, cyc_a, a, b])) == 4


def test_a_broken_cycle_is_reported_naming_its_changes() -> None:
    cyc_a = ch.CreateView(View("public", "a", "SELECT 1", depends_on=("public.b",)))
    cyc_b = ch.CreateView(View("public", "b", "SELECT 1", depends_on=("public.a",)))
    # waits on the cycle without being in it, and would run first by its phase: it is
    # not the change released to break the cycle, nor named as part of it
    after_a = ch.CreateTable(
        Table("public", "t", (col("id"),)), deps=ch.Deps(requires=frozenset({"rel:public.a"}))
    )
    free = ch.CreateSchema(Namespace("other"))
    report = order_report([after_a, cyc_b, free, cyc_a])
    assert report.changes[0] == free
    assert report.cycles == ((cyc_a, cyc_b),)
    assert report.changes.index(after_a) > report.changes.index(cyc_a)
    (warning,) = report.warnings()
    assert warning == (
        "a dependency cycle among 2 changes was broken to order them, so their order may not"
        " be one PostgreSQL accepts: create view public.a; create view public.b"
    )
    assert order_report([free, after_a]).cycles == ()


def test_the_diff_reports_a_cycle_it_broke() -> None:
    # hand-made catalog edges: each table depends on the other
    a, b = Table("public", "a", (col("id"),)), Table("public", "b", (col("id"),))
    new = schema(a, b)
    new = replace(
        new, dependencies={"rel:public.a": ("rel:public.b",), "rel:public.b": ("rel:public.a",)}
    )
    report = diff_report(schema(), new)
    assert [c.describe() for c in report.changes] == [
        "create table public.a",
        "create table public.b",
    ]
    assert report.unreached == ()
    assert report.warnings() == report.cycles
    assert "create table public.a; create table public.b" in report.cycles[0]
    assert diff_report(schema(), schema(a, b)).warnings() == ()


def test_render_script_transactions() -> None:
    ix = Index("i", "CREATE INDEX i ON public.users USING btree (name)", keys=("name",))
    changes = [
        ch.AddColumn("public.users", col("a")),
        ch.CreateIndex("public.users", ix, concurrently=True),
        ch.AddEnumValue("public.mood", "x"),
        ch.DropColumn("public.users", col("b")),
    ]
    assert [(t, [c.kind for c in run]) for t, run in steps(changes)] == [
        (True, ["add_column"]),
        (False, ["create_index"]),
        (True, ["add_enum_value"]),
        (True, ["drop_column"]),
    ]
    assert render_script(changes) == (
        "BEGIN;\n-- add column public.users.a integer\n"
        "ALTER TABLE public.users ADD COLUMN a integer;\n"
        "COMMIT;\n\n"
        "-- create index i on public.users\nCREATE INDEX CONCURRENTLY i"
        " ON public.users USING btree (name);\n\n"
        "BEGIN;\n-- add value 'x' to enum public.mood\nALTER TYPE public.mood ADD VALUE 'x';\n"
        "COMMIT;\n\n"
        "BEGIN;\n-- drop column public.users.b [data loss]\n"
        "ALTER TABLE public.users DROP COLUMN b;\nCOMMIT;\n"
    )


def test_every_change_kind_is_well_formed() -> None:
    """Each kind created by the rich schema has SQL, a description, and an inverse.

    The inverse inverts back.
    """
    rich = load("rich_schema.json")
    seen = set()
    for c in diff(schema(), rich) + diff(rich, schema()):
        seen.add(type(c))
        assert c.sql() and all(s.strip() and not s.endswith(";") for s in c.sql())
        assert c.describe() and "\n" not in c.describe()
        assert dataclasses.is_dataclass(c) and c.to_dict()["kind"] == c.kind
        inv = c.inverse()
        if isinstance(c, ch.CreateSequence):
            # undoing a drop re-creates the sequence together with its owner
            assert inv is not None and inv.inverse() == replace(c, with_owner=True)
        elif isinstance(c, (ch.AddConstraint, ch.CreateIndex)) and c.only:
            # undoing the drop of a partitioned key or index makes the partitions' ones too
            assert inv is not None and inv.inverse() == replace(c, only=False)
        elif isinstance(c, ch.CreateTable) and c.table.partition_of:
            # undoing the drop of a partition makes it attached, PARTITION OF its parent
            assert inv is not None and inv.inverse() == replace(c, attached=True)
        elif inv is not None:
            assert inv.inverse() == c
    assert len(seen) >= 20


def test_enum_values_added_together_commit_once() -> None:
    changes = [
        ch.AddEnumValue("public.mood", "a"),
        ch.AddEnumValue("public.mood", "b", after="a"),
        ch.AddColumn("public.t", col("m", "public.mood", default="'b'::public.mood")),
    ]
    assert [(t, [c.kind for c in run]) for t, run in steps(changes)] == [
        (True, ["add_enum_value", "add_enum_value"]),
        (True, ["add_column"]),
    ]


@pytest.mark.parametrize(
    ("old", "new", "expression"),
    [
        ("character varying(50)", "public.order_status", "c::public.order_status"),
        ("public.order_status", "text", "c::text"),
        ("integer", "boolean", "c::boolean"),
        ("bigint", "boolean", "c::text::boolean"),
        ("jsonb", "integer", "c::integer"),
        ("integer", "jsonb", "c::text::jsonb"),
        ("bytea", "uuid", "c::text::uuid"),
        ("date", "timestamp with time zone", "c::timestamp with time zone"),
        ("public.mood", "public.other_enum", "c::text::public.other_enum"),
        ("integer[]", "text[]", "c::text[]"),
    ],
)
def test_using_expression_casts_through_text_when_needed(
    old: str, new: str, expression: str
) -> None:
    from studio.model.changes.casts import using_expression

    assert using_expression("c", old, new) == expression


def test_sequence_changing_direction_restarts() -> None:
    up = SequenceOptions("bigint")
    down = SequenceOptions("bigint", -1, -1, -9223372036854775808, -1)
    change = ch.AlterSequence("public.s", up, down)
    assert change.sql() == (
        (
            "ALTER SEQUENCE public.s INCREMENT BY -1 MINVALUE -9223372036854775808 MAXVALUE -1"
            " START WITH -1 RESTART"
        ),
    )
    assert ch.AlterSequence("public.s", up, replace(up, cache=5)).sql() == (
        "ALTER SEQUENCE public.s CACHE 5",
    )


def test_renamed_column_keeps_its_output_name_in_views() -> None:
    from studio.diff.refs import rename_in_view

    assert rename_in_view(" SELECT id,\n    code\n   FROM public.t;", "code", "sku") == (
        " SELECT id,\n    sku AS code\n   FROM public.t;"
    )
    assert (
        rename_in_view(
            " SELECT t.code,\n    lower(t.code) AS lc\n   FROM t\n  WHERE (t.code <> ''::text);",
            "code",
            "sku",
        )
        == " SELECT t.sku AS code,\n    lower(t.sku) AS lc\n   FROM t\n  WHERE (t.sku <> ''::text);"
    )


def test_not_null_names_follow_renames_on_postgresql_18() -> None:
    """PostgreSQL 18 keeps a NOT NULL constraint's name through a rename: the diff renames it."""
    old = schema(table("t", col("id", not_null=True), col("code", "text", not_null=True)))
    new = schema(table("t", col("id", not_null=True), col("sku", "text", not_null=True)))
    hint = parse_rename("t.code=t.sku", old, new)
    assert sqls(diff(old, new, [hint])) == ["ALTER TABLE public.t RENAME COLUMN code TO sku"]
    assert sqls(diff(old, new, [hint], server_version=180001)) == [
        "ALTER TABLE public.t RENAME COLUMN code TO sku",
        "ALTER TABLE public.t RENAME CONSTRAINT t_code_not_null TO t_sku_not_null",
    ]
    moved = schema(table("u", col("id", not_null=True), col("code", "text", not_null=True)))
    assert sqls(diff(old, moved, [parse_rename("t=u", old, moved)], server_version=180001)) == [
        "ALTER TABLE public.t RENAME TO u",
        "ALTER TABLE public.u RENAME CONSTRAINT t_code_not_null TO u_code_not_null",
        "ALTER TABLE public.u RENAME CONSTRAINT t_id_not_null TO u_id_not_null",
    ]


def test_privileges_compared_as_in_effect() -> None:
    f = _fn("RETURN NEW;")
    owners = {"public.touch()": "app"}
    # no ACL means PUBLIC may execute: revoking it is a change
    a = replace(schema(), functions={"public.touch()": f}, owners=owners)
    b = replace(a, privileges=(Privilege("function", "public.touch()", "app", "EXECUTE"),))
    # (the owner's EXECUTE was in effect already: no GRANT of it)
    assert sqls(diff(a, b, with_privileges=True)) == [
        "REVOKE EXECUTE ON FUNCTION public.touch() FROM PUBLIC",
    ]
    # the owner's privileges move with ALTER ... OWNER TO instead of being revoked and granted
    t_owned = Privilege("table", "public.users", "app", "SELECT")
    c = replace(QUICKSTART, privileges=(t_owned,), owners={"public.users": "app"})
    d = replace(
        QUICKSTART, privileges=(replace(t_owned, grantee="ops"),), owners={"public.users": "ops"}
    )
    assert sqls(diff(c, d, with_privileges=True)) == ["ALTER TABLE public.users OWNER TO ops"]
    # no ACL on the new side: the defaults, in which the owner holds every privilege
    e = replace(c, privileges=(t_owned, Privilege("table", "public.users", "pg_monitor", "SELECT")))
    assert sqls(diff(e, replace(c, privileges=()), with_privileges=True)) == [
        "REVOKE SELECT ON TABLE public.users FROM pg_monitor",
        *(f"GRANT {p} ON TABLE public.users TO app" for p in OWNER_BUT_SELECT),
    ]


OWNER_BUT_SELECT = ("DELETE", "INSERT", "REFERENCES", "TRIGGER", "TRUNCATE", "UPDATE")
TABLE_DEFAULTS = tuple(sorted(("SELECT", *OWNER_BUT_SELECT)))


def test_no_acl_equals_an_acl_of_the_defaults() -> None:
    """A GRANT makes the catalog's NULL ACL explicit, owner's rights included: not a change."""
    owners = {"public.users": "app", "public.orders": "app"}
    null = replace(QUICKSTART, owners=owners)
    defaults = tuple(Privilege("table", "public.users", "app", p) for p in TABLE_DEFAULTS)
    reader = Privilege("table", "public.users", "reader", "SELECT")
    explicit = replace(null, privileges=(*defaults, reader))
    # only the grant beyond the defaults, either way
    assert sqls(diff(null, explicit, with_privileges=True)) == [
        "GRANT SELECT ON TABLE public.users TO reader"
    ]
    assert sqls(diff(explicit, null, with_privileges=True)) == [
        "REVOKE SELECT ON TABLE public.users FROM reader"
    ]
    assert diff(null, replace(null, privileges=defaults), with_privileges=True) == []
    # MAINTAIN (PostgreSQL 17+) is among the defaults when the servers show it
    with_maintain = replace(
        null, privileges=(*defaults, Privilege("table", "public.users", "app", "MAINTAIN"))
    )
    assert diff(null, with_maintain, with_privileges=True) == []
    # the owner revoking its own right is a change
    no_truncate = replace(null, privileges=tuple(p for p in defaults if p.privilege != "TRUNCATE"))
    assert sqls(diff(null, no_truncate, with_privileges=True)) == [
        "REVOKE TRUNCATE ON TABLE public.users FROM app"
    ]


def test_created_objects_start_with_their_owners_defaults() -> None:
    users = QUICKSTART.tables["public.users"]
    old = replace(schema(), owners={})
    defaults = tuple(Privilege("table", "public.users", "app", p) for p in TABLE_DEFAULTS)
    reader = Privilege("table", "public.users", "reader", "SELECT")
    new = replace(
        schema(),
        tables={"public.users": users},
        owners={"public.users": "app"},
        privileges=(*defaults, reader),
    )
    changes = [
        s for s in sqls(diff(old, new, with_privileges=True)) if "GRANT" in s or "REVOKE" in s
    ]
    assert changes == ["GRANT SELECT ON TABLE public.users TO reader"]


def test_generate_says_the_cycles_broken() -> None:
    from studio.commands.generate import Generated

    line = "a dependency cycle among 2 changes was broken to order them, ..."
    assert Generated((), (), cycles=(line,)).warnings() == (line,)


def test_check_shape_reads_a_cast_array_of_literals_as_postgresql_does() -> None:
    dumped = (
        "CHECK (((v)::text = ANY ((ARRAY['a'::character varying,"
        " 'b, c'::character varying])::text[])))"
    )
    read_back = (
        "CHECK (((v)::text = ANY (ARRAY[('a'::character varying)::text,"
        " ('b, c'::character varying)::text])))"
    )
    assert check_shape(dumped) == check_shape(read_back) == read_back
    for kept in ("CHECK ((x = ANY (ARRAY[1, 2])))", "CHECK ((x = ANY ((ARRAY[y, z])::integer[])))"):
        assert check_shape(kept) == kept  # not literals: left as they are
