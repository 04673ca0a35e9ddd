"""`migrate`: apply the pending migrations, or try them (on a throwaway database or the target).

Each function takes `Settings` and plain values and returns data; printing
and asking are the face's job. The migrations directory is checked against
its sum file first (`studio.commands.files`), so an edited migration is
refused by name before anything connects.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

from studio.catalog import connect as db
from studio.commands.files import load_migrations
from studio.commands.target import checked_target, read_history, target_url
from studio.config import mask_dsn
from studio.errors import StudioError, translate
from studio.migrations import python_calls
from studio.run import backfill, history, runner
from studio.run.events import Direction, StepFinished, emit
from studio.run.inflight import Confirmation

if TYPE_CHECKING:
    from collections.abc import Callable

    from studio.config import Settings
    from studio.migrations.files import Migration
    from studio.migrations.format import Step
    from studio.run.events import Event, EventSink


@dataclass(frozen=True, slots=True)
class Plan:
    """What `migrate` (or `rollback`) would run, computed read-only for the confirmation prompt."""

    url: str
    direction: Direction
    migrations: tuple[Migration, ...]
    # per migration: steps already done (resuming) — 0 for a fresh one
    done: tuple[int, ...]
    # squash baselines `migrate` records without running them (their migrations are applied)
    to_record: tuple[Migration, ...] = ()


def configured_backfill(
    settings: Settings,
    batch_size: int | None = None,
    pause: float | None = None,
    *,
    run: bool = True,
) -> backfill.Options:
    """Backfill options: the values given, else the config (backfill_batch_size, backfill_pause)."""
    size = batch_size or settings.backfill_batch_size
    wait = pause if pause is not None else settings.backfill_pause
    return backfill.Options(batch_size=size, pause=float(wait or 0.0), run=run)


async def migrate_plan(
    settings: Settings, *, to: str | None = None, allow_out_of_order: bool = False
) -> Plan:
    """The pending migrations `migrate` would run now (it re-plans under the migration lock)."""
    ms = load_migrations(settings)
    url = await checked_target(settings)
    rows, _, _ = await read_history(settings, url)
    todo = runner.migrations_to_run(ms, rows, to=to, allow_out_of_order=allow_out_of_order)
    python_calls.check([m for m, _ in todo], settings.root)
    squashed = history.compare(ms, rows).having(history.State.SQUASHED)
    return Plan(
        url,
        Direction.UP,
        tuple(m for m, _ in todo),
        tuple(r.steps_done if r else 0 for _, r in todo),
        tuple(e.migration for e in squashed if e.migration is not None),
    )


async def migrate(
    settings: Settings,
    *,
    to: str | None = None,
    wait: float = 0.0,
    allow_out_of_order: bool = False,
    on_event: EventSink | None = None,
    backfills: backfill.Options | None = None,
    confirm_contract: Confirmation = False,
    on_backend: Callable[[int], None] | None = None,
) -> runner.RunResult:
    """Apply the pending migrations to the target.

    A squash baseline whose replaced migrations the target applied is
    recorded first, without running it, once the live schema matches the
    replay (`studio.commands.squash.record_squashed`).

    `on_backend` is told the migrator session's backend pid once it is
    connected (the studio highlights it in the lock tail and can cancel its
    running step).
    """
    ms = load_migrations(settings)
    url = await checked_target(settings)
    if any(m.squashes for m in ms):
        # deferred: recording a squash baseline replays on the dev server, which `migrate`
        # of a project without one never loads
        from studio.commands.squash import record_squashed

        await record_squashed(settings, url, ms, wait=wait)
    return await runner.apply(
        url,
        settings,
        ms,
        to=to,
        wait=wait,
        allow_out_of_order=allow_out_of_order,
        on_event=on_event,
        backfills=backfills,
        confirm_contract=confirm_contract,
        on_backend=on_backend,
    )


def backfill_options(
    settings: Settings,
    batch_size: int | None = None,
    pause: float | None = None,
    *,
    run: bool = True,
) -> backfill.Options:
    """`migrate`'s backfill options: those given, else the config's.

    `run=False` stops before a backfill step.
    """
    size = batch_size or settings.backfill_batch_size
    wait = pause if pause is not None else settings.backfill_pause
    return backfill.Options(batch_size=size, pause=float(wait or 0.0), run=run)


async def cancel_step(settings: Settings, pid: int) -> bool:
    """Cancel the statement the migrator session `pid` runs (pg_cancel_backend).

    The step rolls back and the session lives: the runner records where it stopped.
    """
    url = target_url(settings)
    conn = await db.connect(url, timeout=settings.connect_timeout)
    try:
        with translate(mask_dsn(url)):
            return bool(await conn.fetchval("SELECT pg_cancel_backend($1)", pid))
    finally:
        await conn.close()


async def run_backfill(
    settings: Settings,
    version: str,
    *,
    wait: float = 0.0,
    on_event: EventSink | None = None,
    options: backfill.Options | None = None,
) -> int:
    """Run the backfill step(s) of migration `version` alone; how many ran (0: already done)."""
    ms = load_migrations(settings)
    url = await checked_target(settings)
    return await runner.backfill_only(
        url, settings, ms, version, wait=wait, on_event=on_event, options=options
    )


@dataclass(frozen=True, slots=True)
class DryRunStep:
    """One step as it ran on the scratch database."""

    version: str
    index: int
    duration: float


@dataclass(frozen=True, slots=True)
class DryRun:
    """`migrate --dry-run`: the pending migrations tried on a scratch copy of the history."""

    url: str
    replayed: tuple[str, ...]
    tried: tuple[str, ...]
    steps: tuple[DryRunStep, ...]
    # the error that stopped the run, if any (the target was never touched)
    error: StudioError | None
    duration: float


async def dry_run(
    settings: Settings,
    *,
    to: str | None = None,
    allow_out_of_order: bool = False,
    on_event: EventSink | None = None,
) -> DryRun:
    """Run the pending migrations on a throwaway database of the dev server, never the target.

    The target is only read (its history and server version). The scratch
    database first gets the migrations the target has finished, replayed,
    then the pending ones run with the same runner and settings, so steps
    are timed and errors reported; the scratch tables are empty, so timings
    say nothing about the target's data sizes. An interrupted migration is
    tried from its first step.
    """
    # deferred: the dev server's modules load only for a dry run, not for `migrate` itself
    from studio.sources.devdb.lease import dev_database

    ms = load_migrations(settings)
    url = await checked_target(settings)
    rows, version, _ = await read_history(settings, url)
    finished = {r.version for r in rows if r.finished}
    pending = [m for m in ms if m.version not in finished]
    # the same refusals (modified, out of order, unknown --to) as a real run
    runner.migrations_to_run(ms, rows, to=to, allow_out_of_order=allow_out_of_order)
    replay = [m for m in ms if m.version in finished]
    steps: list[DryRunStep] = []

    async def sink(event: Event) -> None:
        if isinstance(event, StepFinished):
            steps.append(DryRunStep(event.version, event.index, event.duration))
        await emit(on_event, event)

    started = time.monotonic()
    error: StudioError | None = None
    tried: tuple[str, ...] = ()
    async with dev_database(settings, version // 10000) as conn:
        # a throwaway database has no old application version: contracts need no confirmation
        await runner.apply(conn, settings, replay, confirm_contract=True)
        try:
            result = await runner.apply(
                conn,
                settings,
                [*replay, *pending],
                to=to,
                allow_out_of_order=True,
                on_event=sink,
                confirm_contract=True,
            )
            tried = result.versions
        except StudioError as e:
            error = e
            tried = tuple(dict.fromkeys(s.version for s in steps))
    return DryRun(
        url,
        tuple(m.version for m in replay),
        tried,
        tuple(steps),
        error,
        time.monotonic() - started,
    )


@dataclass(frozen=True, slots=True)
class TargetTry:
    """One step of `migrate --dry-run --on-target`: tried and rolled back, or not tried and why."""

    version: str
    index: int
    title: str
    duration: float | None
    error: str | None = None
    skipped: str | None = None


async def dry_run_on_target(
    settings: Settings, *, to: str | None = None, allow_out_of_order: bool = False
) -> tuple[TargetTry, ...]:
    """Run each pending migration inside a transaction on the target, then roll it back.

    Every step runs under the configured lock_timeout and statement_timeout,
    so a busy table fails the try instead of queueing the application.
    Non-transactional steps (CONCURRENTLY) and backfills cannot be rolled
    back: they are listed as not tried. A migration whose step fails stops
    there; nothing of it stays, and the next migration is tried from a clean
    state (it may depend on the failed one).
    """
    ms = load_migrations(settings)
    url = await checked_target(settings)
    rows, _, _ = await read_history(settings, url)
    todo = runner.migrations_to_run(ms, rows, to=to, allow_out_of_order=allow_out_of_order)
    out: list[TargetTry] = []
    conn = await db.connect(
        url, timeout=settings.connect_timeout, application_name="schema-studio dry-run"
    )
    try:
        for m, _row in todo:
            out += await _try_on_target(conn, settings, m)
    finally:
        await conn.close()
    return tuple(out)


_TRY_LIMITS = (
    "SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)"
)


async def _try_on_target(
    conn: asyncpg.Connection, settings: Settings, m: Migration
) -> list[TargetTry]:
    """One migration's steps, tried in a transaction that is rolled back whatever happens."""
    out: list[TargetTry] = []
    tx = conn.transaction()
    await tx.start()
    try:
        await conn.execute(_TRY_LIMITS, settings.lock_timeout, settings.statement_timeout)
        failed = gap = False
        for step in m.steps:
            why = _not_tried(step, failed=failed)
            if why is not None:
                gap = gap or not failed
                out.append(TargetTry(m.version, step.index, step.title, None, skipped=why))
                continue
            tried = await _try_step(conn, m.version, step, gap=gap)
            out.append(tried)
            failed = tried.error is not None
    finally:
        await tx.rollback()
    return out


def _not_tried(step: Step, *, failed: bool) -> str | None:
    """Why a step is not tried on the target (None: it is)."""
    if failed:
        return "an earlier step failed"
    if step.python is not None:
        return f"a Python step ({step.python.target}) runs only in migrate"
    if step.backfill:
        return "a backfill changes data in batches"
    if not step.transactional:
        return "it cannot run in a transaction"
    return None


async def _try_step(conn: asyncpg.Connection, version: str, step: Step, *, gap: bool) -> TargetTry:
    """A step run in a savepoint: an error leaves the migration's transaction usable."""
    started = time.monotonic()
    try:
        async with conn.transaction():
            for st in step.statements:
                await conn.execute(st.sql)
    except asyncpg.PostgresError as e:
        error = str(e) + (" (it may depend on a step that was not tried)" if gap else "")
        return TargetTry(version, step.index, step.title, time.monotonic() - started, error)
    return TargetTry(version, step.index, step.title, time.monotonic() - started)
