"""How the studio is opened: the target settings, the demo banner, and the clock.

`snapshot=True` makes every screen deterministic for screenshots and
snapshot tests: server versions, pids, sizes, row counts, estimates, timings
and timestamps are shown as fixed placeholders, and the clock is frozen.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from studio.words import plural

if TYPE_CHECKING:
    from studio.config import Settings

MASK = "··"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class StudioOptions:
    """Everything the app needs besides the database: target, banner, clock, masking."""

    settings: Settings
    # the header says plainly that this is the embedded demo database
    demo: bool = False
    # one line shown in the demo banner (e.g. how to reopen the demo)
    demo_note: str = ""
    # deterministic rendering: mask versions, pids, sizes, estimates, timings, timestamps
    snapshot: bool = False
    # monotonic clock for elapsed times (events carry readings of the runner's clock)
    clock: Callable[[], float] = field(default=time.monotonic)
    # wall clock for new migration versions
    now: Callable[[], datetime] = field(default=_utcnow)
    # seconds between two lock monitor polls
    monitor_interval: float = 0.25
    # shown instead of the target URL (screenshots: the port and database name vary per run)
    target_label: str | None = None
    # how the apply screen runs `migrate`, as its options do: seconds to wait for another
    # migrator, applying out of order, rows per backfill batch and the pause between batches
    # (None: the config's), and stopping before a backfill step
    wait: float = 0.0
    allow_out_of_order: bool = False
    batch_size: int | None = None
    pause: float | None = None
    no_backfill: bool = False

    # --- display helpers (all masking goes through these) -------------------------

    def server_version(self, num: int) -> str:
        """`PostgreSQL 18.1` from 180001 (masked in snapshot mode)."""
        if not num:
            return "PostgreSQL ?"
        if self.snapshot:
            return f"PostgreSQL {MASK}"
        major, minor = divmod(num, 10000)
        return f"PostgreSQL {major}.{minor}"

    def pid(self, pid: int) -> str:
        """A backend pid."""
        return MASK if self.snapshot else str(pid)

    def duration(self, seconds: float | None) -> str:
        """`850 ms`, `12.3 s`, `4 min 10 s`."""
        if seconds is None:
            return "—"
        if self.snapshot:
            return f"{MASK} s"
        return format_duration(seconds)

    def size(self, nbytes: int | None) -> str:
        """`8 kB`, `12.5 MB`."""
        if nbytes is None:
            return "—"
        if self.snapshot:
            return f"{MASK} MB"
        return format_size(nbytes)

    def rows(self, n: int | None) -> str:
        """An estimated row count."""
        if n is None or n < 0:
            return "—"
        if self.snapshot:
            return f"{MASK} rows"
        return f"{format_count(n)} {plural(n, 'row')}"

    def estimate(self, text: str | None) -> str:
        """An estimate from the lock analysis (already formatted)."""
        if not text:
            return "—"
        return f"~{MASK}" if self.snapshot else text

    def timestamp(self, when: datetime | None) -> str:
        """A wall-clock instant, local time, to the second."""
        if when is None:
            return "—"
        if self.snapshot:
            return "····-··-·· ··:··:··"
        return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")

    def host(self, text: str | None) -> str:
        """A client host (differs per machine and run)."""
        if not text:
            return ""
        return MASK if self.snapshot else text

    def said(self, text: str) -> str:
        """A line the core wrote that may name sessions: their pids and idle times masked."""
        if not self.snapshot:
            return text
        text = re.sub(r"pid \d+", f"pid {MASK}", text)
        return re.sub(r"for \d+s", f"for {MASK}s", text)


def format_duration(seconds: float) -> str:
    """A human duration."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def format_size(nbytes: int) -> str:
    """A human size in powers of 1024, PostgreSQL's pg_size_pretty style."""
    size = float(nbytes)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "bytes" or size >= 100 else f"{size:.1f} {unit}"
        size /= 1024
    return f"{nbytes} bytes"  # pragma: no cover


def format_count(n: int) -> str:
    """`1,234,567`."""
    return f"{n:,}"


def frozen_clock(value: float = 1000.0) -> Callable[[], float]:
    """A clock that never moves (snapshot mode)."""
    return lambda: value
