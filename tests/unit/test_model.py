"""The model's identifier helpers and JSON codec."""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any

from studio.model import (
    QUOTED_KEYWORDS,
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
    qualname,
    quote_ident,
    quote_literal,
)


def test_quote_ident_like_postgres() -> None:
    assert quote_ident("orders") == "orders"
    assert quote_ident("name") == "name"  # unreserved keyword: PostgreSQL leaves it bare
    assert quote_ident("user") == '"user"'  # reserved
    assert quote_ident("Orders") == '"Orders"'
    assert quote_ident('a"b; drop table x') == '"a""b; drop table x"'
    assert quote_ident("1abc") == '"1abc"'
    assert quote_ident("a$b") == '"a$b"'  # legal unquoted, yet quote_ident() quotes it
    assert quote_ident("abc\n") == '"abc\n"'
    assert qualname("public", "select") == 'public."select"'


def test_quoted_keywords_are_the_ones_postgresql_quotes() -> None:
    """The spelled-out list agrees with the kwlist.h pglast ships (imported only here)."""
    from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

    assert QUOTED_KEYWORDS == set(RESERVED_KEYWORDS) | set(COL_NAME_KEYWORDS) | set(
        TYPE_FUNC_NAME_KEYWORDS
    )


def test_quote_literal() -> None:
    assert quote_literal("it's") == "'it''s'"
    assert quote_literal("a\\b") == "E'a\\\\b'"


def test_column_position_is_not_compared() -> None:
    assert Column("a", "integer", position=1) == Column("a", "integer", position=7)


def test_json_round_trip_keeps_everything() -> None:
    t = Table(
        "app",
        "Orders",
        columns=(
            Column(
                "id", "bigint", True, identity=Identity(True, SequenceOptions(start=5)), position=1
            ),
        ),
        constraints=(
            Constraint("pk", ConstraintKind.PRIMARY_KEY, "PRIMARY KEY (id)", ("id",), index="pk"),
        ),
        rls_enabled=True,
        comment="it's",
    )
    s = Schema(tables={t.key: t}, enums={"app.e": EnumType("app", "e", ("b", "a"))})
    back = Schema.from_json(s.to_json())
    assert back == s
    assert back.tables[t.key].columns[0].position == 1
    assert back.tables[t.key].constraints[0].kind is ConstraintKind.PRIMARY_KEY
    assert s.to_json() == back.to_json()


def test_restrict() -> None:
    a, b = Table("a", "t"), Table("b", "t")
    s = Schema(tables={a.key: a, b.key: b})
    assert list(s.restrict(["b"]).tables) == ["b.t"]


# --- the JSON form ----------------------------------------------------------------------


def tree(value: Any) -> Any:
    """The JSON form's definition: what to_json prints is json.dumps of this tree."""
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if f.default is not dataclasses.MISSING:
                default: Any = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                out[f.name] = tree(v)
                continue
            # left out: equal to the default and of its type (0 is not False)
            if not (type(v) is type(default) and v == default):
                out[f.name] = tree(v)
        return out
    if isinstance(value, dict):
        return {k: tree(value[k]) for k in sorted(value)}
    if isinstance(value, tuple):
        return [tree(v) for v in value]
    return value


def everything() -> Schema:
    """Every model class, every field away from its default, text JSON must escape."""
    odd = 'q"uote \\ back\nline\ttab \x01 é — ✓ \u2028'
    shared = Column(
        "id", "bigint", True, identity=Identity(True, SequenceOptions(start=5)), position=1
    )
    column = Column(
        "ÿ name", "text", False, "'x'::text", None, "upper(name)", "stored", '"C"', odd,
        "nn", False, 2, 0, "main", "extended", "lz4", ("n_distinct=-0.5",),
    )  # fmt: skip
    fk = Constraint(
        "fk", ConstraintKind.FOREIGN_KEY, "FOREIGN KEY (a) REFERENCES b(id)", ("a",), False, True,
        True, True, "s.b", ("id",), "c", "n", "f", "b_pkey", odd,
    )  # fmt: skip
    index = Index(
        "i",
        "CREATE INDEX i ...",
        True,
        "gin",
        ("a DESC",),
        ("b",),
        "(a > 0)",
        True,
        False,
        "ts",
        odd,
    )
    t1 = Table(
        "app", "Orders", (shared, column), (fk,), (index,),
        (Trigger("tr", "CREATE TRIGGER ...", "app.f", "D", odd),),
        (Policy("p", "SELECT", False, ("a", "b"), "true", "false"),),
        "RANGE (a)", "app.parent", "FOR VALUES ...", ("app.base",), True, True, True,
        ("fillfactor=50", "toast.autovacuum_enabled=false"), odd, "index", "Orders_pkey", "heap2",
    )  # fmt: skip
    t2 = Table(
        "app",
        "other",
        (shared,),
        (Constraint("pk", ConstraintKind.PRIMARY_KEY, "PRIMARY KEY (id)"),),
    )
    options = SequenceOptions("integer", 2, 3, 4, 5, 6, True)
    return Schema(
        namespaces={"app": Namespace("app", odd), "b": Namespace("b")},
        extensions={"citext": Extension("citext", "public", "1.6")},
        enums={"app.e": EnumType("app", "e", ("b", "a", odd), odd)},
        domains={"app.d": Domain("app", "d", "text", True, "'x'", '"C"',
                                 (DomainConstraint("c", "CHECK (true)", False),), odd)},
        sequences={"app.s": Sequence("app", "s", options, "app.t.id", odd)},
        tables={t2.key: t2, t1.key: t1},  # written sorted
        views={"app.v": View("app", "v", "SELECT 1", True, ("a",), ("x=1",), ("app.t",),
                             ("app.t.a",), (index,), (), odd)},
        functions={"app.f()": Function("app", "f", "", "f", "BEGIN END", "trigger", "plpgsql",
                                       odd)},
        privileges=(Privilege("table", "app.t", "r", "SELECT", True, "a"),
                    Privilege("schema", "app", "r", "USAGE")),
        owners={"app.t": "me", "app.s": odd},
    )  # fmt: skip


def test_json_is_json_dumps_of_the_tree() -> None:
    s = everything()
    assert s.to_json() == json.dumps(tree(s), ensure_ascii=False)
    assert s.to_json(indent=2) == json.dumps(tree(s), indent=2, ensure_ascii=False)
    # defaults and empty parts leave nothing behind
    empty = Schema(tables={"a.t": Table("a", "t", (Column("c", "int"),))})
    assert (
        empty.to_json() == '{"tables": {"a.t": {"schema": "a", "name": "t",'
        ' "columns": [{"name": "c", "type": "int"}]}}}'
    )
    assert Schema().to_json() == "{}"


def test_json_keeps_a_value_equal_to_its_default_but_of_another_type() -> None:
    odd = Column("c", "int", not_null=0, position=False)  # type: ignore[arg-type]
    s = Schema(tables={"a.t": Table("a", "t", (odd,), rls_enabled=1)})  # type: ignore[arg-type]
    assert s.to_json() == json.dumps(tree(s), ensure_ascii=False)
    assert '"not_null": 0' in s.to_json() and '"position": false' in s.to_json()
    assert '"rls_enabled": 1' in s.to_json()


def test_json_round_trip_of_every_field() -> None:
    s = everything()
    back = Schema.from_json(s.to_json())
    assert back == s
    assert back.to_json() == s.to_json()
    t = back.tables['app."Orders"']
    assert t.columns[1].position == 2  # left out of ==
    assert back.extensions["citext"].version == "1.6"  # left out of ==
    assert t.constraints[0].kind is ConstraintKind.FOREIGN_KEY
    assert isinstance(t.columns[0].identity, Identity) and isinstance(t.indexes[0].keys, tuple)
