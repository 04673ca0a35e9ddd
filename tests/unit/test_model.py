"""The model's identifier helpers and JSON codec."""

from __future__ import annotations

from studio.model import (
    QUOTED_KEYWORDS,
    Column,
    Constraint,
    ConstraintKind,
    EnumType,
    Identity,
    Schema,
    SequenceOptions,
    Table,
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
        columns=(Column("id", "bigint", True, identity=Identity(True, SequenceOptions(start=5)), position=1),),
        constraints=(Constraint("pk", ConstraintKind.PRIMARY_KEY, "PRIMARY KEY (id)", ("id",), index="pk"),),
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
