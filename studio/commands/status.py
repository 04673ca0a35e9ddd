"""`status`: the migrations directory against the target's history, and the live schema's drift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.catalog import connect as db
from studio.commands.check import check
from studio.commands.files import load_migrations
from studio.commands.target import checked_target, read_history
from studio.config import mask_dsn
from studio.errors import StudioError, translate
from studio.run import backfill, history, inflight, phases
from studio.run.history import HistoryTable

if TYPE_CHECKING:
    from pathlib import Path

    from studio.config import Settings
    from studio.model.changes import Change
    from studio.run.history import Status


@dataclass(frozen=True, slots=True)
class StatusReport:
    """`status`: the directory against the target's history."""

    url: str
    directory: Path
    status: Status
    # expand/contract pairs and where each stands
    pairs: tuple[phases.Pair, ...] = ()
    # each expand/contract migration's phase, and which waiting contracts later ones passed
    in_flight: inflight.InFlight = inflight.InFlight({}, {})
    # the live schema against the replay of its applied migrations (None: not compared)
    drift: tuple[Change, ...] | None = None
    drift_note: str = ""
    # the last `push` to the database: what made it differ from its migrations, if anything
    pushed: history.PushRow | None = None


async def status(settings: Settings, *, drift: bool = True) -> StatusReport:
    """Applied, pending, partial, modified and missing migrations (read-only).

    `drift=False` leaves the live schema uncompared (`drift` None): the
    comparison replays the migrations on a dev server, much slower than the rest.
    """
    ms = load_migrations(settings)
    url = await checked_target(settings)
    rows, _, exists = await read_history(settings, url)
    progress = await read_backfills(settings, url) if exists else ()
    changes, note = await _drift(settings) if drift else (None, "")
    return StatusReport(
        url,
        settings.migrations_dir,
        history.compare(ms, rows, table_exists=exists),
        phases.pairs(ms, rows, progress),
        inflight.in_flight(ms, rows, progress),
        changes,
        note,
        await read_last_push(settings, url) if changes else None,
    )


async def read_last_push(settings: Settings, url: str) -> history.PushRow | None:
    """The last `push` to the database, read in a read-only session."""
    table = HistoryTable.parse(settings.history_table)
    conn = await db.connect(url, timeout=settings.connect_timeout, read_only=True)
    try:
        with translate(mask_dsn(url)):
            return await history.last_push(conn, table)
    finally:
        await conn.close()


async def _drift(settings: Settings) -> tuple[tuple[Change, ...] | None, str]:
    """Whether the live schema matches the replay of its applied migrations (as `check` says)."""
    try:
        report = await check(settings, live=True)
    except StudioError as e:
        return None, f"not compared: {e.message}"
    return report.drift, ""


async def read_backfills(settings: Settings, url: str) -> tuple[backfill.Progress, ...]:
    """The recorded backfill progress, read in a read-only session."""
    table = HistoryTable.parse(settings.history_table)
    conn = await db.connect(url, timeout=settings.connect_timeout, read_only=True)
    try:
        with translate(mask_dsn(url)):
            return await backfill.read_progress(conn, table)
    finally:
        await conn.close()
