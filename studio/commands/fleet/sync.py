"""`status --fleet` and `check --fleet`: every target read, read-only, in a bounded pool.

The declared schema and the migrations' replay are materialized once for the
whole fleet (`survey.Baseline`); then each target costs one read-only
session: its history and its live schema, diffed against the replay of its
finished migrations. Each target's report is handed to `on_target` as soon
as it is read, so a face prints it at once.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from studio.commands.check import history_problems
from studio.commands.files import load_migrations
from studio.commands.fleet.report import FleetReport, TargetReport, TargetState
from studio.commands.fleet.survey import READ_PARALLEL, Baseline, bounded, read_target
from studio.commands.fleet.targets import fleet_of, fleet_targets, target_settings
from studio.commands.schemas import exclusions
from studio.errors import ConnectionFailed, ConnectionLost, StudioError
from studio.migrations import files as migrations
from studio.sources.load import concurrently

if TYPE_CHECKING:
    from collections.abc import Callable

    from studio.commands.fleet.targets import FleetTarget
    from studio.config import Settings

    TargetSink = Callable[[TargetReport], None]


async def fleet_status(
    settings: Settings, *, parallel: int | None = None, on_target: TargetSink | None = None
) -> FleetReport:
    """Each target's migrations and drift (as `status`: drift that cannot be told is a note)."""
    return await _survey(settings, "status", parallel, on_target)


async def fleet_check(
    settings: Settings, *, parallel: int | None = None, on_target: TargetSink | None = None
) -> FleetReport:
    """`check` over the fleet: the files once, then each target's drift and history."""
    return await _survey(settings, "check", parallel, on_target)


async def _survey(
    settings: Settings, command: str, parallel: int | None, on_target: TargetSink | None
) -> FleetReport:
    started = time.monotonic()
    exclusions(settings)
    problems: list[str] = []
    if command == "check":
        try:
            migrations.verify_sum(settings.migrations_dir)
        except StudioError as e:
            problems.append(f"checksums: {e.message}")
    ms = load_migrations(settings, verify=command != "check")
    targets = await fleet_targets(settings)
    baseline = Baseline(settings, ms, declared=True)
    pool = bounded(parallel or fleet_of(settings).parallel or READ_PARALLEL)

    async def one(target: FleetTarget) -> TargetReport:
        async with pool:
            report = await _read_one(baseline, target, command)
        if on_target is not None:
            on_target(report)
        return report

    reports = await concurrently(*(one(t) for t in targets))
    if command == "check":
        problems += await _ungenerated(baseline, reports)
    return FleetReport(command, tuple(reports), tuple(problems), time.monotonic() - started)


async def _read_one(baseline: Baseline, target: FleetTarget, command: str) -> TargetReport:
    """One target's report: never raises for what the target says (unreachable, drift, ...)."""
    started = time.monotonic()
    try:
        reading = await read_target(baseline, target, live=True)
    except StudioError as e:
        return error_report(target, e, started)
    notes: list[str] = [reading.note] if reading.note else []
    drift = None
    problems = history_problems(target_settings(baseline.settings, target), reading.status)
    if reading.live is not None:
        try:
            found = await baseline.drift(target, reading.status, reading.live)
        except StudioError as e:
            if command == "check":
                return error_report(target, e, started)
            notes.append(f"drift not compared: {e.message}")  # as `status` says it
        else:
            drift = found.report.changes
            problems += found.problems()
            notes += found.notes + found.report.cycles
    state = (
        TargetState.DRIFT
        if drift or problems
        else TargetState.PENDING
        if reading.pending
        else TargetState.IN_SYNC
    )
    return TargetReport(
        target, state, reading.version, reading.pending, drift,
        problems=problems, notes=tuple(notes), duration=time.monotonic() - started,
        server_version=reading.server_version, waiting=reading.waiting,
    )  # fmt: skip


async def _ungenerated(baseline: Baseline, reports: list[TargetReport]) -> list[str]:
    """The declared schema against the migrations, once for the fleet (what `generate` writes)."""
    majors = [r.server_version // 10000 for r in reports if r.server_version]
    major = max(set(majors), key=majors.count) if majors else None
    if major is None:
        return []
    shared = await baseline.shared(major)
    return [f"declared schema differs from the migrations: {line}" for line in shared.ungenerated]


def error_report(target: FleetTarget, e: StudioError, started: float) -> TargetReport:
    """A target that could not be read or run: unreachable, or the error that stopped it."""
    state = TargetState.UNREACHABLE if _unreachable(e) else TargetState.ERROR
    return TargetReport(
        target, state, message=e.message, hint=e.hint, duration=time.monotonic() - started
    )


def _unreachable(e: StudioError) -> bool:
    # a connection lost mid-run is a failure of that run, not of reaching the target
    return isinstance(e, ConnectionFailed) and not isinstance(e, ConnectionLost)
