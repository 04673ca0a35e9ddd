"""Duration estimates: about how long a step runs (pure).

From its lock facts, the sizes and a throughput.

`estimate(facts, sizes, throughput) -> Estimate`. A step's lock facts say
what it does to each relation (catalog only, scan, index build, rewrite, row
changes); the relation's size on the target and a read throughput turn that
into a range of seconds. The range is wide on purpose: the work per byte
differs between a validation scan, a sort and a rewrite that also rebuilds
every index, and the cache state of the target is unknown.

The sizes and the throughput are read from the target, read-only, by
`studio.plan.probe`; this module does no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from studio.plan.locks.kb import Effect, LockFact, Role
from studio.words import counted

MB = 1 << 20
# a slow disk: what we assume when nothing was measured (overestimates on a warm cache)
DEFAULT_BYTES_PER_S = 100 * MB

# Seconds per byte, as multiples of the probe's read of the bytes once (low, high).
# Calibrated on bench/online.py (1,000,000 orders, a busy 2-core machine): the probe reads
# randomly sampled pages, so a sequential scan can beat it (SET NOT NULL's scan took 0.65
# probe reads' worth, a foreign key's validation with its lookups 3.7); a B-tree build
# reads, sorts and writes (1.7); a rewrite writes the heap and its TOAST again and rebuilds
# every index (int -> bigint took 1.3 times the low bound below, a volatile default 3.7).
_SCAN = (0.5, 5.0)
_INDEX_BUILD = (1.0, 8.0)
_CONCURRENT = (1.5, 3.0)  # CONCURRENTLY: two passes over the table, and waits
_REWRITE_HEAP = (4.0, 15.0)
_REWRITE_INDEXES = (2.0, 8.0)
_VOLATILE_ROW = (2.0, 5.0)  # a volatile default is evaluated for every row written
_DATA = (0.0, 100.0)  # row changes: from a few rows to a new version of every row
# a backfill writes a new version of every row (and its index entries) in short batches,
# each committed with its progress: bench/online.py measured 100-200 reads' worth
_BACKFILL = (30.0, 250.0)


# --- sizes -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RelationSize:
    """A relation's size on the target, from its catalog statistics.

    A partitioned table: the sizes of its partitions.
    """

    relation: str
    kind: str  # pg_class.relkind
    rows: int | None  # pg_class.reltuples; None when never analyzed
    table_bytes: int  # the main fork: what a scan reads
    total_bytes: int  # with indexes and TOAST
    index_bytes: int

    @property
    def heap_bytes(self) -> int:
        """Table and TOAST: what a rewrite copies."""
        return max(self.total_bytes - self.index_bytes, self.table_bytes)

    def describe(self) -> str:
        """`public.orders 604 MB (412 MB table, 192 MB indexes), ≈5.0 M rows`."""
        parts = [f"{self.relation} {human_bytes(self.total_bytes)}"]
        if self.kind in ("r", "p", "m") and self.index_bytes:
            parts.append(
                f"({human_bytes(self.heap_bytes)} table, {human_bytes(self.index_bytes)} indexes)"
            )
        text = " ".join(parts)
        if self.kind in ("r", "p", "m"):
            text += f", {human_rows(self.rows)}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "relation": self.relation,
            "kind": self.kind,
            "rows": self.rows,
            "table_bytes": self.table_bytes,
            "index_bytes": self.index_bytes,
            "total_bytes": self.total_bytes,
        }


# --- throughput --------------------------------------------------------------------------------


class Basis(enum.StrEnum):
    """Where a throughput comes from."""

    MEASURED = "measured"  # a sample scan of the target (now, or cached)
    DEFAULT = "default"  # nothing measured: a conservative assumption


@dataclass(frozen=True, slots=True)
class Throughput:
    """Bytes per second a sequential read of the target processes."""

    bytes_per_s: float
    basis: Basis
    measured_at: datetime | None = None
    sample_bytes: int = 0
    relation: str | None = None
    cached: bool = False
    # why nothing was measured, for a default
    reason: str = ""

    def describe(self) -> str:
        """`measured 180 MB/s read on target, 2026-11-28` or `default 100 MB/s (...)`."""
        rate = f"{self.bytes_per_s / MB:,.0f} MB/s"
        if self.basis is Basis.MEASURED:
            when = f", {self.measured_at:%Y-%m-%d}" if self.measured_at else ""
            return f"measured {rate} read on target{when}"
        why = f": {self.reason}" if self.reason else ""
        return f"default {rate} read (not measured{why})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "bytes_per_s": round(self.bytes_per_s),
            "basis": self.basis.value,
            "measured_at": self.measured_at.isoformat() if self.measured_at else None,
            "sample_bytes": self.sample_bytes,
            "relation": self.relation,
            "cached": self.cached,
            "reason": self.reason or None,
            "describe": self.describe(),
        }


def default_throughput(reason: str = "") -> Throughput:
    """The conservative default, with why it is used."""
    return Throughput(DEFAULT_BYTES_PER_S, Basis.DEFAULT, reason=reason)


# --- the estimate (pure) -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Estimate:
    """A duration range in seconds (0-0: catalog only), and what it is based on."""

    low: float
    high: float
    basis: str
    # the bytes the work grows with (0: catalog only, or nothing on the target yet)
    bytes: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def instant(self) -> bool:
        """Whether the step only touches the catalog (instant once its locks are granted)."""
        return self.high == 0

    def describe(self) -> str:
        """`0.4–1.6 s (measured 180 MB/s read on target, 2026-11-28)`."""
        if self.instant:
            return "instant once the locks are granted (catalog only)"
        return f"{human_range(self.low, self.high)} ({self.basis})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "low_s": round(self.low, 3),
            "high_s": round(self.high, 3),
            "bytes": self.bytes,
            "basis": self.basis,
            "notes": list(self.notes),
            "describe": self.describe(),
        }


def estimate(
    facts: Iterable[LockFact],
    sizes: Mapping[str, RelationSize],
    throughput: Throughput,
    *,
    every_row: bool = False,
) -> Estimate:
    """How long statements with these lock facts run on relations of these sizes.

    Each relation counts once, with its costliest fact. A relation missing
    from `sizes` is not on the target (made earlier in the same migration):
    it is empty, so it costs nothing. Row changes (DML) may touch one row or
    all of them; `every_row` says they touch all (a backfill).
    """
    best: dict[str, LockFact] = {}
    notes: list[str] = []
    for f in facts:
        if f.effect in (Effect.CATALOG, Effect.TRUNCATE):
            continue
        if f.placeholder:
            notes.append(f"{f.relation}: size unknown")
            continue
        if f.relation not in best or f.effect.rank > best[f.relation].effect.rank:
            best[f.relation] = f
    low = high = 0.0
    work = 0
    for rel, f in best.items():
        size = sizes.get(rel)
        if size is None:
            notes.append(f"{rel} is not on the target yet: empty")
            continue
        lo, hi, nbytes = _cost(f, size, every_row)
        low, high, work = low + lo, high + hi, work + nbytes
        if f.entry.endswith("concurrently") and f.effect is Effect.INDEX_BUILD:
            notes.append("plus waits for transactions running on the table")
    rate = max(throughput.bytes_per_s, 1.0)
    basis = throughput.describe() if work else "catalog only"
    return Estimate(low / rate, high / rate, basis, work, tuple(dict.fromkeys(notes)))


def _cost(f: LockFact, size: RelationSize, every_row: bool) -> tuple[float, float, int]:
    """(low, high) byte-equivalents of work, and the bytes it grows with, for one fact."""
    if f.effect is Effect.SCAN:
        n = size.table_bytes
        return n * _SCAN[0], n * _SCAN[1], n
    if f.effect is Effect.INDEX_BUILD:
        n = size.table_bytes
        lo, hi = n * _INDEX_BUILD[0], n * _INDEX_BUILD[1]
        if f.entry.endswith("concurrently"):
            lo, hi = lo * _CONCURRENT[0], hi * _CONCURRENT[1]
        return lo, hi, n
    if f.effect is Effect.REWRITE:
        heap, idx = size.heap_bytes, size.index_bytes
        lo = heap * _REWRITE_HEAP[0] + idx * _REWRITE_INDEXES[0]
        hi = heap * _REWRITE_HEAP[1] + idx * _REWRITE_INDEXES[1]
        if "volatile" in f.entry:
            lo, hi = lo * _VOLATILE_ROW[0], hi * _VOLATILE_ROW[1]
        return lo, hi, heap + idx
    if f.effect is Effect.DATA:
        n = size.heap_bytes
        lo, hi = _BACKFILL if every_row else _DATA
        return n * lo, n * hi, n
    return 0.0, 0.0, 0


def combine(estimates: Iterable[Estimate]) -> Estimate:
    """Statements run one after the other: the sum of their estimates."""
    items = list(estimates)
    if not items:
        return Estimate(0.0, 0.0, "catalog only")
    work = sum(e.bytes for e in items)
    basis = next((e.basis for e in items if e.bytes), "catalog only")
    notes = tuple(dict.fromkeys(n for e in items for n in e.notes))
    return Estimate(sum(e.low for e in items), sum(e.high for e in items), basis, work, notes)


def needs_throughput(facts: Iterable[LockFact], sizes: Mapping[str, RelationSize]) -> bool:
    """Whether some fact does work that grows with a relation present on the target."""
    return any(
        f.effect not in (Effect.CATALOG, Effect.TRUNCATE) and f.relation in sizes for f in facts
    )


def relations_of(facts: Iterable[LockFact]) -> tuple[str, ...]:
    """The named relations of `facts`, in order (placeholders left out)."""
    return tuple(dict.fromkeys(f.relation for f in facts if not f.placeholder))


def table_facts(facts: Iterable[LockFact]) -> tuple[LockFact, ...]:
    """The facts shown with sizes: the tables a step works on (not the indexes it names)."""
    return tuple(f for f in facts if f.role is not Role.INDEX)


# --- words ---------------------------------------------------------------------------------------


def human_bytes(n: int) -> str:
    """`8 kB`, `604 MB`, `1.2 GB`."""
    if n < 1024:
        return f"{n} B"
    for unit, size in (("TB", 1 << 40), ("GB", 1 << 30), ("MB", MB)):
        if n >= size:
            value = n / size
            return f"{value:,.1f} {unit}" if value < 10 else f"{value:,.0f} {unit}"
    return f"{n / 1024:,.0f} kB"


def human_rows(rows: int | None) -> str:
    """`≈5.0 M rows`, `1,234 rows`, `rows unknown (never analyzed)`."""
    if rows is None:
        return "rows unknown (never analyzed)"
    if rows >= 1_000_000:
        return f"≈{rows / 1e6:,.1f} M rows"
    if rows >= 10_000:
        return f"≈{rows / 1e3:,.0f} k rows"
    return f"≈{counted(rows, 'row')}"


def human_seconds(s: float) -> str:
    """`<0.1 s`, `1.2 s`, `45 s`, `3 min 20 s`, `1 h 05 min`."""
    if s < 0.1:
        return "<0.1 s"
    if s < 10:
        return f"{s:.1f} s"
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        m, sec = divmod(round(s), 60)
        return f"{m} min {sec:02d} s"
    h, m = divmod(round(s / 60), 60)
    return f"{h} h {m:02d} min"


def human_range(low: float, high: float) -> str:
    """`0.4–1.6 s`, `<0.1–0.3 s`, `2 min 10 s – 8 min 40 s`."""
    a, b = human_seconds(low), human_seconds(high)
    if a == b:
        return a
    if a.endswith(" s") and b.endswith(" s") and "min" not in a + b:
        return f"{a[:-2]}–{b}"
    return f"{a} – {b}"
