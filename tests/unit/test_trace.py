"""The lock trace's pure parts: comparing observations with the knowledge base, synthetic values."""

from __future__ import annotations

import pytest

from studio.plan.locks import facts_for_statement
from studio.plan.locks.kb import Effect, LockFact, Role
from studio.plan.locks.modes import LockMode
from studio.run.trace import skip_reason
from studio.run.trace.compare import (
    DefectKind,
    How,
    Observation,
    Relation,
    StatementTrace,
    TraceReport,
    compare,
)
from studio.run.trace.rows import Column, insert_sql, value_sql

AE, S, SUE, RE, AS = (
    LockMode.ACCESS_EXCLUSIVE,
    LockMode.SHARE,
    LockMode.SHARE_UPDATE_EXCLUSIVE,
    LockMode.ROW_EXCLUSIVE,
    LockMode.ACCESS_SHARE,
)
BEFORE = {
    "public.t": Relation("public.t", "r", 100),
    "public.t_pkey": Relation("public.t_pkey", "i", 101, "public.t"),
    "public.u": Relation("public.u", "r", 200),
}


def seen(
    locks: dict[str, set[LockMode]],
    how: How = How.IN_TRANSACTION,
    rewritten: frozenset[str] = frozenset(),
) -> Observation:
    return Observation(
        how,
        {k: frozenset(v) for k, v in locks.items()},
        BEFORE,
        frozenset(rewritten),
        frozenset(BEFORE),
    )


def test_rewrite_with_its_index_locks_agrees() -> None:
    facts = facts_for_statement("ALTER TABLE public.t ALTER COLUMN n TYPE bigint", 180000)
    # a rewrite holds ACCESS EXCLUSIVE and SHARE on the table, and rebuilds its indexes
    obs = seen({"public.t": {AE, S}, "public.t_pkey": {AE}}, rewritten=frozenset({"public.t"}))
    assert compare(facts, obs) == ()


def test_modes_compare_by_what_they_block() -> None:
    facts = (LockFact("public.t", S, Effect.INDEX_BUILD),)
    assert compare(facts, seen({"public.t": {S, AS}})) == ()  # ACCESS SHARE adds nothing
    (d,) = compare(facts, seen({"public.t": {S, RE}}))
    assert d.kind is DefectKind.MODE and d.observed == "held SHARE + ROW EXCLUSIVE"
    assert d.describe() == "public.t: held SHARE + ROW EXCLUSIVE, the knowledge base says SHARE"


def test_missing_only_when_the_whole_statement_was_seen() -> None:
    facts = (LockFact("public.u", RE, Effect.DATA),)
    (d,) = compare(facts, seen({}))
    assert d.kind is DefectKind.MISSING
    assert compare(facts, seen({}, How.WHILE_WAITING)) == ()


def test_unpredicted_locks() -> None:
    facts = (LockFact("public.t", SUE, Effect.SCAN),)
    # plain reads of other relations, and an index of
    # a table locked at least as strongly, are implied
    assert compare(facts, seen({"public.t": {SUE}, "public.u": {AS}, "public.t_pkey": {AS}})) == ()
    (d,) = compare(facts, seen({"public.t": {SUE}, "public.t_pkey": {AE}}))
    assert (d.kind, d.relation, d.predicted) == (DefectKind.UNPREDICTED, "public.t_pkey", "no lock")
    # relations the statement created are nobody else's business
    assert compare(facts, seen({"public.t": {SUE}, "public.new_idx": {AE}})) == ()


def test_rewrites_against_the_prediction() -> None:
    scan = (LockFact("public.t", AE, Effect.SCAN),)
    (d,) = compare(scan, seen({"public.t": {AE}}, rewritten=frozenset({"public.t"})))
    assert (d.kind, d.predicted, d.observed) == (DefectKind.REWRITE, "no rewrite", "was rewritten")
    rewrite = (LockFact("public.t", AE, Effect.REWRITE),)
    (d,) = compare(rewrite, seen({"public.t": {AE}}))
    assert (d.predicted, d.observed) == ("a rewrite", "was not rewritten")
    truncate = (LockFact("public.t", AE, Effect.TRUNCATE),)
    assert compare(truncate, seen({"public.t": {AE}}, rewritten=frozenset({"public.t"}))) == ()


def test_placeholders_are_not_compared() -> None:
    facts = (
        LockFact("(table of public.i)", SUE, Effect.CATALOG),
        LockFact("public.t", SUE, Effect.CATALOG, role=Role.TABLE),
    )
    assert compare(facts, seen({"public.t": {SUE}})) == ()


def test_report_statuses_and_counts() -> None:
    ok = StatementTrace("f.sql", 1, "SELECT 1", (), seen({}))
    bad = StatementTrace(
        "f.sql", 2, "X", (), seen({}), compare((LockFact("public.u", RE, Effect.DATA),), seen({}))
    )
    skipped = StatementTrace("f.sql", 3, "BEGIN", (), skipped="transaction control")
    failed = StatementTrace("f.sql", 4, "Y", (), error="boom")
    report = TraceReport((ok, bad, skipped, failed), 180000)
    assert [s.status for s in report.statements] == ["agrees", "defect", "not traced", "failed"]
    assert report.counts() == {"agrees": 1, "defect": 1, "not traced": 1, "failed": 1}
    assert report.failed is failed and len(report.defects) == 1
    assert report.to_dict()["statements"][1]["defects"][0]["kind"] == "missing"


def test_skip_reasons() -> None:
    assert skip_reason("BEGIN") is not None and skip_reason("COMMIT") is not None
    assert "bind parameters" in (
        skip_reason("UPDATE t SET a = 1 WHERE id >= $1 AND id <= $2") or ""
    )
    assert skip_reason("ALTER TABLE t ADD COLUMN a int") is None


def col(type_: str, base: str | None = None, **kw: object) -> Column:
    return Column("c", type_, base or type_, kw.pop("typtype", "b"), kw.pop("category", "N"), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("column", "expr"),
    [
        (col("integer"), "(g::integer)::integer"),
        (col("character varying(8)"), "(left('v' || g, 8))::character varying(8)"),
        (col("numeric(5,2)"), "((g % 1000))::numeric(5,2)"),
        (col("numeric(2,2)"), "(0)::numeric(2,2)"),
        (
            col("timestamp(3) with time zone"),
            "((TIMESTAMPTZ '2000-01-01 00:00+00' + make_interval(secs => g)))::timestamp(3)"
            " with time zone",
        ),
        (col("public.positive", "integer"), "(g::integer)::public.positive"),
        (col("public.state", typtype="e"), "(enum_range(NULL::public.state))[1]"),
        (col("text[]", category="A"), "'{}'::text[]"),
        (col("point"), None),
    ],
)
def test_value_sql(column: Column, expr: str | None) -> None:
    assert value_sql(column) == expr


def test_insert_sql() -> None:
    sql, why = insert_sql(
        "public.t",
        [col("bigint", identity="a"), col("point"), col("numeric", generated="s")],
    )
    assert why is None
    assert sql == (
        "INSERT INTO public.t (c) OVERRIDING SYSTEM VALUE SELECT (g)::bigint "
        "FROM generate_series(1, $1::bigint) AS s(g)"
    )
    _, why = insert_sql("public.t", [col("point", not_null=True)])
    assert why == "no generator for NOT NULL column c (point)"
