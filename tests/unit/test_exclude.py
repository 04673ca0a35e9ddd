"""`exclude` patterns over a schema (pure): what they match, and what goes with a table."""

from __future__ import annotations

import pytest

from studio.errors import UsageError
from studio.model import (
    Constraint,
    ConstraintKind,
    EnumType,
    Function,
    Index,
    Schema,
    Sequence,
    Table,
    Trigger,
    View,
)
from studio.model.exclude import ExcludePattern, exclude, parse_patterns


def _schema() -> Schema:
    legacy = Table(
        "public",
        "legacy_orders",
        constraints=(Constraint("legacy_orders_pkey", ConstraintKind.PRIMARY_KEY, "PRIMARY KEY"),),
        indexes=(Index("legacy_orders_note_idx", "CREATE INDEX ..."),),
        triggers=(Trigger("legacy_touch", "CREATE TRIGGER ...", "public.touch"),),
        partition_key="RANGE (id)",
    )
    part = Table("public", "archive_2024", partition_of=legacy.key)
    orders = Table(
        "public",
        "orders",
        indexes=(Index("orders_old_idx", "CREATE INDEX ..."), Index("orders_idx", "...")),
        triggers=(Trigger("audit_orders", "CREATE TRIGGER ...", "public.touch"),),
    )
    seq = Sequence("public", "legacy_orders_id_seq", owned_by="public.legacy_orders.id")
    views = (View("reporting", "daily", "SELECT 1"), View("public", "daily", "SELECT 1"))
    fn = Function("public", "touch", "", "f", "...")
    status = EnumType("app", "status", ("a",))
    return Schema(
        tables={t.key: t for t in (legacy, part, orders)},
        sequences={seq.key: seq},
        views={v.key: v for v in views},
        functions={fn.key: fn},
        enums={status.key: status},
    )


def test_patterns_leave_out_what_they_match_and_what_hangs_on_it() -> None:
    s = _schema()
    cut = exclude(s, parse_patterns(["public.legacy_*", "view:reporting.*"]))
    # the partitioned table with its partition and owned sequence; its members go with it
    assert sorted(cut.schema.tables) == ["public.orders"]
    assert cut.schema.sequences == {}
    assert sorted(cut.schema.views) == ["public.daily"]  # a view: pattern, in reporting only
    # counted: what a pattern matched, not what went with it
    assert cut.matched == {"table public.legacy_orders", "view reporting.daily"}
    # a glob without a dot: the name in any schema; a member kind: that kind only
    cut = exclude(s, parse_patterns(["daily", "index:*old*", "trigger:audit_*", "type:status"]))
    assert cut.schema.views == {} and cut.schema.enums == {}
    orders = cut.schema.tables["public.orders"]
    assert [i.name for i in orders.indexes] == ["orders_idx"] and orders.triggers == ()
    assert len(cut.schema.tables["public.legacy_orders"].indexes) == 1
    # a kind-less pattern matches every kind; `function:` a function by name, whatever arguments
    assert exclude(s, parse_patterns(["function:public.touch"])).schema.functions == {}
    assert exclude(s, parse_patterns(["table:public.touch"])).schema.functions != {}
    # nothing to exclude: the very schema
    assert exclude(s, ()).schema is s


@pytest.mark.parametrize(
    ("text", "words"),
    [("tabel:public.x", "no object kind 'tabel'"), ("view:", "names nothing")],
)
def test_a_malformed_pattern_is_a_usage_error(text: str, words: str) -> None:
    with pytest.raises(UsageError) as e:
        ExcludePattern.parse(text)
    assert words in e.value.message and "\n" not in e.value.message
