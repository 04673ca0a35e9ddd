"""The duration estimator and its words, without a database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from studio.plan import estimates, probe
from studio.plan.estimates import (
    MB,
    Basis,
    Estimate,
    RelationSize,
    Throughput,
    combine,
    estimate,
    human_bytes,
    human_range,
    human_rows,
    human_seconds,
)
from studio.plan.locks import facts_for_statement

V18 = 180000
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
RATE = Throughput(100 * MB, Basis.MEASURED, NOW, 32 * MB, "public.orders")
ORDERS = RelationSize("public.orders", "r", 5_000_000, 400 * MB, 604 * MB, 204 * MB)
USERS = RelationSize("public.users", "r", 200_000, 10 * MB, 14 * MB, 4 * MB)
SIZES = {s.relation: s for s in (ORDERS, USERS)}


def est(sql: str, sizes: dict[str, RelationSize] = SIZES, **kw: bool) -> Estimate:
    return estimate(facts_for_statement(sql, V18), sizes, RATE, **kw)


def test_catalog_only_is_instant() -> None:
    e = est("ALTER TABLE public.orders ADD COLUMN note2 text")
    assert e.instant and e.low == e.high == 0 and e.bytes == 0
    assert e.describe() == "instant once the locks are granted (catalog only)"
    assert est("TRUNCATE public.orders").instant


def test_scan_grows_with_the_heap() -> None:
    e = est("ALTER TABLE public.orders ALTER COLUMN note SET NOT NULL")
    assert e.bytes == 400 * MB
    # 400 MB at 100 MB/s, x0.5..x5
    assert e.low == pytest.approx(2.0) and e.high == pytest.approx(20.0)
    assert "measured 100 MB/s read on target, 2026-11-28" in e.describe()
    assert e.describe().startswith("2.0–20 s")


def test_costs_order_catalog_scan_index_rewrite() -> None:
    scan = est("ALTER TABLE public.orders VALIDATE CONSTRAINT c")
    build = est("CREATE INDEX i ON public.orders (created_at)")
    concurrently = est("CREATE INDEX CONCURRENTLY i ON public.orders (created_at)")
    rewrite = est("ALTER TABLE public.orders ALTER COLUMN qty TYPE bigint")
    volatile = est("ALTER TABLE public.orders ADD COLUMN u uuid DEFAULT gen_random_uuid()")
    assert 0 < scan.high < build.high < concurrently.high
    assert build.low < concurrently.low
    assert build.high < rewrite.high < volatile.high
    assert any("waits for transactions" in n for n in concurrently.notes)
    # a rewrite also rebuilds the indexes: it grows with the whole relation
    assert rewrite.bytes == ORDERS.heap_bytes + ORDERS.index_bytes


def test_foreign_key_counts_both_tables() -> None:
    e = est(
        "ALTER TABLE public.orders ADD CONSTRAINT fk FOREIGN KEY (user_id)"
        " REFERENCES public.users (id)"
    )
    assert e.bytes == (400 + 10) * MB


def test_each_relation_counts_once_with_its_costliest_fact() -> None:
    facts = facts_for_statement("ALTER TABLE public.orders ALTER COLUMN qty TYPE bigint", V18)
    twice = estimate(facts + facts, SIZES, RATE)
    assert twice == estimate(facts, SIZES, RATE)


def test_missing_relation_is_new_and_empty() -> None:
    e = est("CREATE INDEX i ON public.fresh (x)")
    assert e.instant and any("not on the target yet" in n for n in e.notes)


def test_dml_from_nothing_to_every_row() -> None:
    some = est("UPDATE public.orders SET qty = 1 WHERE id = 1")
    every = est("UPDATE public.orders SET qty = 1 WHERE id = 1", every_row=True)
    assert some.low == 0 < some.high
    # a backfill writes every row again, in batches: never nothing, and dearer than one UPDATE
    assert 0 < every.low < every.high and every.high > some.high


def test_default_throughput_says_so() -> None:
    d = estimates.default_throughput("tables under 8.0 MB")
    e = estimate(facts_for_statement("VACUUM public.orders", V18), SIZES, d)
    assert d.basis is Basis.DEFAULT
    assert e.basis == "default 100 MB/s read (not measured: tables under 8.0 MB)"


def test_combine_sums_in_order() -> None:
    a = est("ALTER TABLE public.orders VALIDATE CONSTRAINT c")
    b = est("ALTER TABLE public.orders ADD COLUMN x int")
    c = combine([b, a, a])
    assert c.low == pytest.approx(2 * a.low) and c.high == pytest.approx(2 * a.high)
    assert c.basis == a.basis and c.bytes == 2 * a.bytes
    assert combine([]).instant


def test_partitioned_and_heap_sizes() -> None:
    s = RelationSize("public.p", "p", None, 10 * MB, 30 * MB, 12 * MB)
    assert s.heap_bytes == 18 * MB  # table + TOAST
    assert "rows unknown (never analyzed)" in s.describe()
    assert ORDERS.describe() == "public.orders 604 MB (400 MB table, 204 MB indexes), ≈5.0 M rows"


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (512, "512 B"),
        (8192, "8 kB"),
        (5 * MB // 2, "2.5 MB"),
        (604 * MB, "604 MB"),
        (3 << 30, "3.0 GB"),
    ],
)
def test_human_bytes(n: int, text: str) -> None:
    assert human_bytes(n) == text


def test_human_rows_and_seconds() -> None:
    assert human_rows(5_000_000) == "≈5.0 M rows"
    assert human_rows(200_000) == "≈200 k rows"
    assert human_rows(12) == "≈12 rows"
    assert [human_seconds(s) for s in (0.01, 1.24, 42, 200, 7300)] == [
        "<0.1 s", "1.2 s", "42 s", "3 min 20 s", "2 h 02 min",
    ]  # fmt: skip
    assert human_range(0.4, 1.6) == "0.4–1.6 s"
    assert human_range(30, 500) == "30 s – 8 min 20 s"
    assert human_range(0.01, 0.02) == "<0.1 s"


def test_throughput_cache_per_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert probe.cached("target-a", now=NOW) is None
    probe.remember("target-a", RATE)
    hit = probe.cached("target-a", now=NOW + timedelta(days=1))
    assert hit is not None and hit.cached and hit.bytes_per_s == RATE.bytes_per_s
    assert hit.describe() == "measured 100 MB/s read on target, 2026-11-28"
    assert probe.cached("target-b", now=NOW) is None
    assert probe.cached("target-a", now=NOW + timedelta(days=30)) is None  # stale
    probe.remember("target-b", estimates.default_throughput())  # a default is never cached
    data = json.loads(probe.cache_file().read_text())
    assert set(data) == {"target-a"}
    assert "postgresql://" not in probe.cache_file().read_text()


def test_unreadable_cache_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    probe.cache_file().parent.mkdir(parents=True)
    probe.cache_file().write_text("{not json")
    assert probe.cached("target-a", now=NOW) is None
    probe.remember("target-a", RATE)  # overwrites the broken file
    assert probe.cached("target-a", now=NOW) is not None


async def test_a_table_too_small_to_sample_is_named_with_the_size_compared() -> None:
    """9.6 MB in all but 6 MB of rows: the reason names the table and the 6 MB, never "under 8"."""
    orders = RelationSize("public.orders", "r", 120_000, 6 * MB, 9_830_000, 3 * MB)
    rate = await probe.measure_throughput(None, {"public.orders": orders})  # type: ignore[arg-type]
    assert rate.basis is Basis.DEFAULT
    assert rate.reason == (
        "the largest table, public.orders, has 6.0 MB of rows (indexes and TOAST aside),"
        " under the 8.0 MB a sample scan needs"
    )
