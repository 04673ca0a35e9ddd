"""The core of the migration commands: migrate, status, new, baseline, hash, rollback.

Each function takes `Settings` and plain values and returns data; printing
and asking are the CLI's job. Every command that reads the migrations
directory verifies the checksum file first, so an edited migration is
refused by name before anything connects.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.catalog import connect as db
from studio.commands import diff as commands
from studio.config import mask_dsn
from studio.errors import DevDbError, StudioError, UsageError, translate
from studio.migrations import files as migrations
from studio.run import backfill, history, phases, runner
from studio.run.events import Direction, StepFinished, emit
from studio.run.history import HistoryTable

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from studio.config import Settings
    from studio.migrations.files import Migration
    from studio.model.changes import Change
    from studio.run.events import Event, EventSink
    from studio.run.history import HistoryRow, Status


def load(settings: Settings, *, verify: bool = True) -> tuple[Migration, ...]:
    """The migrations directory, checked against its sum file first (unless `verify` is off)."""
    directory = settings.migrations_dir
    if verify:
        migrations.verify_sum(directory)
    return migrations.load_directory(directory)


def _url(settings: Settings) -> str:
    url = settings.database_url()
    assert url is not None
    return url


async def _target(settings: Settings) -> str:
    """The target URL, once each --schema and --exclude-schema names a schema (as `diff` requires)."""
    url = _url(settings)
    named = {*settings.schemas, *settings.exclude_schemas}
    if named:
        present, major = await _schema_names(settings, url)
        if not named <= present:
            # a schema the migrations create is known too: the replay is looked at only now
            present |= await _replayed_schemas(settings, major)
        commands.refuse_unknown_schemas(settings, present)
    return url


async def _schema_names(settings: Settings, url: str) -> tuple[set[str], int]:
    """The target's user schemas and its major version, read in a read-only session."""
    conn = await db.connect(url, timeout=settings.connect_timeout, read_only=True)
    try:
        with translate(mask_dsn(url)):
            return set(await db.schema_names(conn)), await db.server_version_num(conn) // 10000
    finally:
        await conn.close()


async def _replayed_schemas(settings: Settings, major: int) -> set[str]:
    """The schemas the migrations' replay holds (none when no dev server can run it here)."""
    from studio.commands.generate import (
        migrations_source,
    )  # defers the planner and the dev server's modules
    from studio.sources.load import load as load_source

    try:
        replay = await load_source(migrations_source(settings), settings, major=major)
    except DevDbError:
        return set()  # a deploy host without a dev server: the target alone decides
    return commands.schemas_in(replay)


async def read_history(settings: Settings, url: str) -> tuple[tuple[HistoryRow, ...], int, bool]:
    """History rows, server version and whether the table exists, read in a read-only session."""
    table = HistoryTable.parse(settings.history_table)
    conn = await db.connect(url, timeout=settings.connect_timeout, read_only=True)
    try:
        with translate(mask_dsn(url)):
            version = await db.server_version_num(conn)
            exists = await history.exists(conn, table)
            rows = await history.read(conn, table) if exists else ()
    finally:
        await conn.close()
    return rows, version, exists


# the name generate/check/push imported first
_history = read_history


def unlike_history(settings: Settings, rows: tuple[HistoryRow, ...]) -> tuple[str, ...]:
    """Why the files no longer match the target's history: an applied migration changed, or gone."""
    status = history.compare(load(settings, verify=False), rows)
    # the very check `migrate` and `rollback` refuse on, so `check` cannot pass what they refuse
    changed = tuple(e.message for e in runner.changed_after_applied(status))
    gone = tuple(
        f"{e.version}_{e.name} is applied but not in {settings.migrations_dir}"
        for e in status.having(history.State.MISSING)
    )
    return changed + gone


@dataclass(frozen=True, slots=True)
class StatusReport:
    """`status`: the directory against the target's history."""

    url: str
    directory: Path
    status: Status
    # expand/contract pairs and where each stands
    pairs: tuple[phases.Pair, ...] = ()
    # the live schema against the replay of its applied migrations (None: not compared)
    drift: tuple[Change, ...] | None = None
    drift_note: str = ""


async def status(settings: Settings) -> StatusReport:
    """Applied, pending, partial, modified and missing migrations (read-only)."""
    ms = load(settings)
    url = await _target(settings)
    rows, _, exists = await read_history(settings, url)
    progress = await read_backfills(settings, url) if exists else ()
    drift, note = await _drift(settings)
    return StatusReport(
        url,
        settings.migrations_dir,
        history.compare(ms, rows, table_exists=exists),
        phases.pairs(ms, rows, progress),
        drift,
        note,
    )


async def _drift(settings: Settings) -> tuple[tuple[Change, ...] | None, str]:
    """Whether the live schema matches the replay of its applied migrations (as `check` computes it)."""
    from studio.commands.generate import check

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


@dataclass(frozen=True, slots=True)
class Plan:
    """What `migrate` (or `rollback`) would run, computed read-only for the confirmation prompt."""

    url: str
    direction: Direction
    migrations: tuple[Migration, ...]
    # per migration: steps already done (resuming) — 0 for a fresh one
    done: tuple[int, ...]


async def migrate_plan(
    settings: Settings, *, to: str | None = None, allow_out_of_order: bool = False
) -> Plan:
    """The pending migrations `migrate` would run now (it re-plans under the migration lock)."""
    ms = load(settings)
    url = await _target(settings)
    rows, _, _ = await read_history(settings, url)
    todo = runner.plan(ms, rows, to=to, allow_out_of_order=allow_out_of_order)
    return Plan(
        url,
        Direction.UP,
        tuple(m for m, _ in todo),
        tuple(r.steps_done if r else 0 for _, r in todo),
    )


async def migrate(
    settings: Settings,
    *,
    to: str | None = None,
    wait: float = 0.0,
    allow_out_of_order: bool = False,
    on_event: EventSink | None = None,
    backfills: backfill.Options | None = None,
    confirm_contract: bool = False,
) -> runner.RunResult:
    """Apply the pending migrations to the target."""
    ms = load(settings)
    return await runner.apply(
        await _target(settings),
        settings,
        ms,
        to=to,
        wait=wait,
        allow_out_of_order=allow_out_of_order,
        on_event=on_event,
        backfills=backfills,
        confirm_contract=confirm_contract,
    )


async def run_backfill(
    settings: Settings,
    version: str,
    *,
    wait: float = 0.0,
    on_event: EventSink | None = None,
    options: backfill.Options | None = None,
) -> int:
    """Run the backfill step(s) of migration `version` alone; how many ran (0: already done)."""
    ms = load(settings)
    url = await _target(settings)
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
    from studio.sources.devdb.lease import dev_database

    ms = load(settings)
    url = await _target(settings)
    rows, version, _ = await read_history(settings, url)
    finished = {r.version for r in rows if r.finished}
    pending = [m for m in ms if m.version not in finished]
    # the same refusals (modified, out of order, unknown --to) as a real run
    runner.plan(ms, rows, to=to, allow_out_of_order=allow_out_of_order)
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


def new(settings: Settings, name: str, *, now: datetime | None = None) -> Path:
    """Write an empty migration for hand-written SQL (and record it in the sum)."""
    directory = settings.migrations_dir
    slug = migrations.slugify(name)
    version = migrations.next_version(migrations.taken_versions(directory), now)
    return migrations.write_migration(
        directory, version, slug, migrations.render_new(version, name)
    )


async def baseline(settings: Settings, version: str, *, wait: float = 0.0) -> tuple[str, ...]:
    """Record the target as being at `version` without running SQL."""
    ms = load(settings)
    return await runner.baseline(await _target(settings), settings, ms, version, wait=wait)


def rehash(settings: Settings) -> Path:
    """Rewrite the sum file from the files as they are (after a deliberate edit)."""
    directory = settings.migrations_dir
    if not directory.is_dir():
        raise UsageError(
            f"no migrations directory at {directory}", "create one with `schema-studio new NAME`"
        )
    migrations.load_directory(directory)  # a malformed file is refused, not blessed
    return migrations.write_sum(directory)


async def rollback_plan(settings: Settings, *, count: int = 1, to: str | None = None) -> Plan:
    """The migrations `rollback` would undo, newest first (read-only)."""
    ms = load(settings)
    url = await _target(settings)
    rows, _, _ = await read_history(settings, url)
    todo = runner.rollback_plan(ms, rows, count=count, to=to)
    return Plan(
        url, Direction.DOWN, tuple(m for m, _ in todo), tuple(r.down_steps_done for _, r in todo)
    )


async def rollback(
    settings: Settings,
    *,
    count: int = 1,
    to: str | None = None,
    wait: float = 0.0,
    on_event: EventSink | None = None,
) -> runner.RunResult:
    """Run the down files of the last `count` applied migrations (or of those after `to`)."""
    ms = load(settings)
    return await runner.rollback(
        await _target(settings), settings, ms, count=count, to=to, wait=wait, on_event=on_event
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
    import asyncpg

    ms = load(settings)
    url = await _target(settings)
    rows, _, _ = await read_history(settings, url)
    todo = runner.plan(ms, rows, to=to, allow_out_of_order=allow_out_of_order)
    out: list[TargetTry] = []
    conn = await db.connect(
        url, timeout=settings.connect_timeout, application_name="schema-studio dry-run"
    )
    try:
        for m, _row in todo:
            tx = conn.transaction()
            await tx.start()
            try:
                await conn.execute(
                    "SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)",
                    settings.lock_timeout,
                    settings.statement_timeout,
                )
                failed = gap = False
                for step in m.steps:
                    if failed or not step.transactional or step.backfill:
                        gap = gap or not failed
                        why = (
                            "an earlier step failed"
                            if failed
                            else (
                                "a backfill changes data in batches"
                                if step.backfill
                                else "it cannot run in a transaction"
                            )
                        )
                        out.append(TargetTry(m.version, step.index, step.title, None, skipped=why))
                        continue
                    started = time.monotonic()
                    try:
                        async with (
                            conn.transaction()
                        ):  # a savepoint: the error leaves the outer one usable
                            for st in step.statements:
                                await conn.execute(st.sql)
                        out.append(
                            TargetTry(m.version, step.index, step.title, time.monotonic() - started)
                        )
                    except asyncpg.PostgresError as e:
                        error = str(e) + (
                            " (it may depend on a step that was not tried)" if gap else ""
                        )
                        out.append(
                            TargetTry(
                                m.version, step.index, step.title, time.monotonic() - started, error
                            )
                        )
                        failed = True
            finally:
                await tx.rollback()
    finally:
        await conn.close()
    return tuple(out)
