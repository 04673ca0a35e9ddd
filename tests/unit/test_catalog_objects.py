"""Operator families and classes and extended statistics as catalog objects (pure: no database)."""

from __future__ import annotations

from studio.diff import diff, parse_rename
from studio.model import CatalogObject, Column, Namespace, Schema, Table
from studio.model.changes import CreateObject, DropObject

PUBLIC = Namespace("public", "standard public schema")
INT4 = "FUNCTION 1 (integer, integer) btint4cmp(integer,integer)"


def _schema(*objects: CatalogObject, tables: tuple[Table, ...] = ()) -> Schema:
    return Schema(
        namespaces={PUBLIC.key: PUBLIC},
        tables={t.key: t for t in tables},
        objects={o.key: o for o in objects},
    )


def _class(name: str, members: str, family: str | None = None) -> CatalogObject:
    clause = f" FAMILY {family} USING btree" if family else ""
    return CatalogObject(
        "operator class",
        f"public.{name} USING btree",
        (f"CREATE OPERATOR CLASS public.{name} FOR TYPE integer USING btree{clause} AS {members}",),
        "public",
        types=("integer",),
        objects=(f"operator family:{family} USING btree",) if family else (),
        makes_family=family is None,
    )


def _family(name: str, loose: str) -> CatalogObject:
    create = f"CREATE OPERATOR FAMILY public.{name} USING btree"
    add = f"ALTER OPERATOR FAMILY public.{name} USING btree ADD {loose}"
    return CatalogObject("operator family", f"public.{name} USING btree", (create, add), "public")


def test_a_class_that_made_its_family_drops_with_it() -> None:
    made = _class("rev_ops", INT4)
    [drop] = diff(_schema(made), _schema())
    assert isinstance(drop, DropObject)
    assert drop.sql() == ("DROP OPERATOR FAMILY public.rev_ops USING btree",)
    assert drop.describe() == "drop operator class public.rev_ops USING btree with its family"
    assert drop.removes == {
        "obj:operator class:public.rev_ops USING btree",
        "obj:operator family:public.rev_ops USING btree",
    }
    assert CreateObject(made).provides == drop.removes


def test_a_changed_family_takes_its_classes_along() -> None:
    old_family = _family("ints", "OPERATOR 1 <(integer,bigint)")
    new_family = _family("ints", "OPERATOR 1 <(integer,bigint), OPERATOR 5 >(integer,bigint)")
    member = _class("int4_x", INT4, family="public.ints")
    changes = diff(_schema(old_family, member), _schema(new_family, member))
    assert [c.describe() for c in changes] == [
        "drop operator class public.int4_x USING btree",
        "drop operator family public.ints USING btree",
        "create operator family public.ints USING btree",
        "create operator class public.int4_x USING btree",
    ]


def test_a_class_that_made_its_family_goes_before_that_family_is_made_alone() -> None:
    made = _class("num_ops", INT4)
    own = _class("num_ops", INT4, family="public.num_ops")
    family = _family("num_ops", "OPERATOR 1 <(integer,bigint)")
    changes = diff(_schema(made), _schema(family, own))
    assert [s for c in changes for s in c.sql()][:2] == [
        "DROP OPERATOR FAMILY public.num_ops USING btree",
        "CREATE OPERATOR FAMILY public.num_ops USING btree",
    ]
    assert changes[-1].describe() == "create operator class public.num_ops USING btree"


def _table(name: str, *columns: str) -> Table:
    columns_ = tuple(Column(c, "integer", position=i) for i, c in enumerate(columns, 1))
    return Table("public", name, columns=columns_)


def _statistics(table: str, columns: str) -> CatalogObject:
    create = f"CREATE STATISTICS public.s (dependencies) ON {columns} FROM public.{table}"
    relations = (f"public.{table}",)
    return CatalogObject("statistics", "public.s", (create,), "public", relations=relations)


def test_statistics_follow_renames_of_their_table_and_columns() -> None:
    old = _schema(
        _statistics("orders", "region, customer"), tables=(_table("orders", "customer", "region"),)
    )
    new = _schema(
        _statistics("sales", "area, customer"), tables=(_table("sales", "customer", "area"),)
    )
    hints = [parse_rename(h, old, new) for h in ("orders=sales", "orders.region=sales.area")]
    assert [c.describe() for c in diff(old, new, hints)] == [
        "rename table public.orders to public.sales",
        "rename column public.sales.region to area",
    ]


def test_statistics_go_before_a_column_they_read() -> None:
    old = _schema(_statistics("t", "a, b"), tables=(_table("t", "a", "b"),))
    new = _schema(tables=(_table("t", "a"),))
    assert [c.describe() for c in diff(old, new)] == [
        "drop statistics public.s",
        "drop column public.t.b",
    ]
