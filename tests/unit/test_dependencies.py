"""Catalog dependency edges.

Named from catalog rows, kept through JSON, followed by order and diff.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from studio.catalog.depend import dependencies
from studio.diff import Rename, diff
from studio.diff.order import order
from studio.diff.renaming import apply_renames
from studio.model import (
    Column,
    Function,
    Identity,
    Index,
    Namespace,
    Policy,
    Schema,
    Sequence,
    Table,
    Trigger,
    View,
)
from studio.model import changes as ch

PUBLIC = Namespace("public")


def _rows(**extra: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {
        k: []
        for k in (
            "tables", "views", "sequences", "indexes", "constraints", "triggers", "policies",
            "functions", "aggregates", "enums", "domains",
        )
    }  # fmt: skip
    rows.update(extra)
    return rows


def _edge(dep: tuple[str, int, int], ref: tuple[str, int, int], **kw: Any) -> dict[str, Any]:
    row = {
        "dep_class": dep[0], "dep_oid": dep[1], "dep_sub": dep[2], "dep_identity": None,
        "ref_class": ref[0], "ref_oid": ref[1], "ref_sub": ref[2], "ref_ext": None,
        "ref_identity": None, "dep_catalog": 0, "ref_catalog": 0,
    }  # fmt: skip
    row.update(kw)
    return row


def test_rows_are_named_by_dependency_keys() -> None:
    rows = _rows(
        tables=[{"oid": 10, "schema": "public", "name": "t"}],
        views=[{"oid": 20, "schema": "public", "name": "v"}],
        functions=[{"oid": 30, "schema": "public", "name": "f", "arguments": "x integer"}],
        enums=[{"oid": 40, "schema": "public", "name": "mood"}],
        triggers=[{"oid": 50, "table_oid": 10, "name": "Tg"}],
        policies=[{"oid": 60, "table_oid": 10, "name": "p"}],
        dependencies=[
            _edge(("c", 20, 0), ("c", 10, 2)),  # a view over a column
            _edge(("c", 20, 0), ("c", 20, 1)),  # ... over itself: no edge
            _edge(("d", 10, 1), ("f", 30, 0)),  # a default calling a function
            _edge(("c", 10, 2), ("y", 40, 0)),  # a column of an enum
            _edge(("t", 50, 0), ("f", 30, 0)),
            _edge(("p", 60, 0), ("c", 10, 2)),
            _edge(("c", 10, 3), ("e", 1, 0), ref_ext="citext"),
            _edge(
                ("o", 70, 0), ("f", 30, 0), dep_identity=["operator", "public", "public.=(a, a)"]
            ),
            _edge(("c", 99, 0), ("f", 30, 0)),  # out of scope: no edge
            _edge(("r", 80, 0), ("c", 10, 0)),  # a rule (catalog_objects names it)
        ],
        catalog_objects=[{"catalog": 2618, "oid": 80, "kind": "rule", "identity": "r ON public.t"}],
    )
    parts: Any = SimpleNamespace(attnames={10: {1: "id", 2: "m", 3: "email"}}, columns={})
    assert dependencies(rows, parts) == {
        "rel:public.v": ("col:public.t.m",),
        "def:public.t.id": ("fn:public.f(x integer)",),
        "col:public.t.m": ("type:public.mood",),
        'trg:public.t."Tg"': ("fn:public.f(x integer)",),
        "pol:public.t.p": ("col:public.t.m",),
        "col:public.t.email": ("ext:citext",),
        "obj:operator public.=(a, a)": ("fn:public.f(x integer)",),
        "obj:rule:r ON public.t": ("rel:public.t",),
    }


def test_dependencies_round_trip_through_json_and_are_not_compared() -> None:
    s = Schema(dependencies={"rel:public.v": ("col:public.t.a", "fn:public.f()")})
    back = Schema.from_json(s.to_json())
    assert back.dependencies == s.dependencies
    assert Schema() == s


def _fn(name: str, definition: str = "", returns: str = "integer") -> Function:
    return Function(
        "public", name, "", "f", definition or f"CREATE FUNCTION public.{name}()", returns
    )


def test_order_follows_the_new_edges_for_creates_and_the_old_ones_for_drops() -> None:
    # names and phases would put them the other way round
    a, z = _fn("a_user"), _fn("z_base")
    created = order(
        [ch.CreateFunction(a), ch.CreateFunction(z)],
        new_edges={"fn:public.a_user()": ("fn:public.z_base()",)},
    )
    assert [c.function.name for c in created] == ["z_base", "a_user"]  # type: ignore[attr-defined]
    dropped = order(
        [ch.DropFunction(z), ch.DropFunction(a)],
        old_edges={"fn:public.z_base()": ("fn:public.a_user()",)},
    )
    assert [c.function.name for c in dropped] == ["z_base", "a_user"]  # type: ignore[attr-defined]


def _side(f: Function, deps: dict[str, tuple[str, ...]]) -> Schema:
    t = Table(
        "public",
        "t",
        columns=(Column("id", "integer", default="public.norm()", position=1),),
        triggers=(Trigger("tg", "CREATE TRIGGER tg ...", "public.stamp"),),
        policies=(Policy("p", using="(id > 0)"),),
    )
    v = View("public", "v", " SELECT 1;")
    return Schema(
        namespaces={PUBLIC.key: PUBLIC},
        tables={t.key: t},
        views={v.key: v},
        functions={f.key: f},
        dependencies=deps,
    )


def test_what_depends_on_a_recreated_function_is_dropped_before_and_created_after() -> None:
    edges = {
        "def:public.t.id": ("fn:public.norm()",),
        "pol:public.t.p": ("fn:public.norm()",),
        "rel:public.v": ("fn:public.norm()",),
    }
    old = _side(_fn("norm"), edges)
    new = _side(_fn("norm", "CREATE FUNCTION public.norm() RETURNS bigint", "bigint"), edges)
    kinds = [c.describe() for c in diff(old, new)]
    drop_fn = kinds.index("drop function public.norm()")
    create_fn = kinds.index("create function public.norm()")
    for before in (
        "drop policy p on public.t",
        "drop view public.v",
        "drop default of public.t.id",
    ):
        assert kinds.index(before) < drop_fn
    for after in ("create policy p on public.t", "create view public.v"):
        assert kinds.index(after) > create_fn
    # without the edges nothing says the policy and the view call it
    plain = [c.describe() for c in diff(_side(old.functions["public.norm()"], {}), new)]
    assert "drop policy p on public.t" not in plain


def test_a_table_moved_to_another_schema_takes_its_relations_keys_along() -> None:
    ident = Column("n", "integer", identity=Identity(True, sequence="public.t_n_seq"))
    t = Table(
        "public", "t", (Column("id", "integer"), ident),
        indexes=(Index("t_idx", "CREATE INDEX t_idx ON public.t USING btree (id)"),),
    )  # fmt: skip
    seq = Sequence("public", "t_id_seq", owned_by="public.t.id")
    old = Schema(
        tables={t.key: t},
        sequences={seq.key: seq},
        dependencies={
            "rel:public.t_idx": ("obj:collation public.c",),
            "fn:public.f()": ("rel:public.t_id_seq", "rel:public.t_n_seq", "rel:public.other"),
            "rule:public.t.r": ("fn:public.f()",),
        },
    )
    moved, _ = apply_renames(old, [Rename("table", "public.t", "archive.t")])
    assert moved.dependencies == {
        "rel:archive.t_idx": ("obj:collation public.c",),
        "fn:public.f()": ("rel:archive.t_id_seq", "rel:archive.t_n_seq", "rel:public.other"),
        "rule:archive.t.r": ("fn:public.f()",),
    }
