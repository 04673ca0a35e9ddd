"""`migrate --fleet` and `rollback --fleet`: each target migrated by its own runner, under a policy.

Each target is a run of its own: its own session, migration lock, history
and events, so a rerun resumes each target where it stopped. Before it runs,
a target is read (one read-only session) and refused if its live schema has
drifted from its applied migrations: the replay that tells it is made once
for the fleet. At most `parallel` targets are worked on at once.

The policy decides what one target's failure does to the others:
`canary` targets run first, alone, and the rest only once every canary
succeeded; with `halt`, no target starts after one failed (drift, an error,
a migrator holding its lock, unreachable), while those already running
finish; with `continue`, the others go on. No target is ever stopped half-way
by another's failure: a migration runs whole in one transaction, or step by
step with each step recorded, as `migrate` runs it.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from studio.commands.files import load_migrations
from studio.commands.fleet.progress import TargetProgress
from studio.commands.fleet.report import FleetReport, TargetReport, TargetState
from studio.commands.fleet.survey import RUN_PARALLEL, Baseline, Reading, bounded, read_target
from studio.commands.fleet.sync import error_report
from studio.commands.fleet.targets import fleet_of, fleet_targets, target_settings
from studio.commands.migrate import cancel_step
from studio.config import duration_seconds
from studio.errors import StudioError
from studio.run import runner
from studio.run.events import Direction, LockTimeoutRetry, StepStarted, emit
from studio.run.history import MigratorBusy, State
from studio.run.inflight import Confirmation
from studio.run.phases import ContractNotConfirmed
from studio.sources.load import concurrently
from studio.words import counted

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from studio.commands.fleet.targets import FleetTarget
    from studio.config import Settings
    from studio.migrations.files import Migration
    from studio.model.changes import Change
    from studio.run import backfill
    from studio.run.events import Event

    TargetSink = Callable[[TargetReport], None]
    # a runner event, and the target whose runner sent it
    FleetEventSink = Callable[[FleetTarget, Event], Awaitable[None] | None]
    Work = Callable[[FleetTarget], Awaitable[TargetReport]]
    # one target's runner: `runner.apply` or `runner.rollback` with the command's options
    TargetRun = Callable[
        [FleetTarget, Settings, Callable[[Event], Awaitable[None]]], Awaitable[None]
    ]


@dataclass(frozen=True, slots=True)
class Policy:
    """How the fleet is worked through: how many at once, canaries, and what a failure stops."""

    parallel: int = RUN_PARALLEL
    # the first `canary` targets run alone first; the rest only when each of them succeeded
    canary: int = 0
    # True: no target starts once one failed; False: the others go on
    halt: bool = True


@dataclass(frozen=True, slots=True)
class MigrateOptions:
    """`migrate`'s options, the same for every target."""

    to: str | None = None
    wait: float = 0.0
    allow_out_of_order: bool = False
    confirm_contract: Confirmation = False
    backfills: backfill.Options | None = None


class Aborted(StudioError):
    """The user stopped the fleet's run (the studio's abort)."""

    hint = "migrate the fleet again to resume each target where it stopped"


class Abort:
    """A way to stop a fleet run from outside it (the studio's `x`).

    Once requested, no target starts; each running target stops at its next
    step boundary (or lock retry), as the apply screen's abort stops one
    target; and the statement each runs now is cancelled, so it rolls back
    and the runner records where it stopped. A rerun resumes each target.
    """

    def __init__(self) -> None:
        self.requested = False
        # each running target's migrator session: its name -> (its settings, the backend pid)
        self.sessions: dict[str, tuple[Settings, int]] = {}

    async def request(self) -> int:
        """Stop the run; how many running statements were cancelled."""
        self.requested = True
        cancelled = 0
        for settings, pid in list(self.sessions.values()):
            with contextlib.suppress(StudioError):  # a target gone away stops by itself
                cancelled += await cancel_step(settings, pid)
        return cancelled


def policy_of(
    settings: Settings, parallel: int | None, canary: int = 0, on_error: str = "halt"
) -> Policy:
    """The policy from the options given, `parallel` defaulting to the fleet's."""
    chosen = parallel or fleet_of(settings).parallel or RUN_PARALLEL
    return Policy(chosen, canary, on_error != "continue")


async def fleet_migrate(
    settings: Settings,
    policy: Policy,
    options: MigrateOptions,
    *,
    on_event: FleetEventSink | None = None,
    on_target: TargetSink | None = None,
    targets: Sequence[FleetTarget] | None = None,
    abort: Abort | None = None,
) -> FleetReport:
    """Apply the pending migrations to every target, under `policy` (`abort` stops it)."""
    ms = load_migrations(settings)

    async def run(
        target: FleetTarget, settings_t: Settings, sink: Callable[[Event], Awaitable[None]]
    ) -> None:
        def backend(pid: int) -> None:
            if abort is not None:
                abort.sessions[target.name] = (settings_t, pid)

        try:
            await runner.apply(
                target.url, settings_t, ms, to=options.to, wait=options.wait,
                allow_out_of_order=options.allow_out_of_order, on_event=sink,
                backfills=options.backfills, confirm_contract=options.confirm_contract,
                on_backend=backend,
            )  # fmt: skip
        finally:
            if abort is not None:
                abort.sessions.pop(target.name, None)

    return await _rollout(
        settings, "migrate", ms, policy, run, on_event, on_target, targets, abort, options.wait
    )


async def fleet_rollback(
    settings: Settings,
    policy: Policy,
    *,
    count: int = 1,
    to: str | None = None,
    wait: float = 0.0,
    on_event: FleetEventSink | None = None,
    on_target: TargetSink | None = None,
    targets: Sequence[FleetTarget] | None = None,
) -> FleetReport:
    """Run the down files of the last `count` migrations (or those after `to`) on each target."""
    ms = load_migrations(settings)

    async def run(
        target: FleetTarget, settings_t: Settings, sink: Callable[[Event], Awaitable[None]]
    ) -> None:
        await runner.rollback(
            target.url, settings_t, ms, count=count, to=to, wait=wait, on_event=sink
        )

    return await _rollout(settings, "rollback", ms, policy, run, on_event, on_target, targets)


async def _rollout(
    settings: Settings,
    command: str,
    ms: tuple[Migration, ...],
    policy: Policy,
    run: TargetRun,
    on_event: FleetEventSink | None,
    on_target: TargetSink | None,
    targets: Sequence[FleetTarget] | None,
    abort: Abort | None = None,
    wait: float = 0.0,
) -> FleetReport:
    started = time.monotonic()
    chosen = tuple(targets) if targets is not None else await fleet_targets(settings)
    baseline = Baseline(settings, ms, declared=False)
    direction = Direction.UP if command == "migrate" else Direction.DOWN

    async def work(target: FleetTarget) -> TargetReport:
        return await _one(baseline, target, direction, run, on_event, abort, wait)

    reports = await run_under(policy, chosen, work, on_target, abort)
    return FleetReport(command, tuple(reports), duration=time.monotonic() - started)


async def _one(
    baseline: Baseline,
    target: FleetTarget,
    direction: Direction,
    run: TargetRun,
    on_event: FleetEventSink | None,
    abort: Abort | None = None,
    wait: float = 0.0,
) -> TargetReport:
    """One target: read, refused if it drifted, then run; its report, whatever happened.

    Migrating, a squash baseline whose replaced migrations the target applied
    is recorded in their place first, as `migrate` records it on one target:
    once the live schema matches the replay of the migrations applied there
    (the drift check just made), and not while a migration is interrupted
    there (the live schema is not read then).
    """
    started = time.monotonic()
    settings = target_settings(baseline.settings, target)
    notes: tuple[str, ...] = ()
    try:
        reading = await read_target(baseline, target, live=True)
        if reading.live is not None:
            drift = await baseline.drift(target, reading.status, reading.live)
            if drift.report.changes or drift.problems():
                return _drifted(target, reading, drift.report.changes, drift.problems(), started)
            if direction is Direction.UP:
                notes = await _record_squashed(baseline, target, settings, reading, wait)
    except StudioError as e:
        return error_report(target, e, started)
    progress = TargetProgress(duration_seconds(settings.lock_timeout))

    async def sink(event: Event) -> None:
        # an abort stops the target at its next step boundary (or lock retry), safely
        if abort is not None and abort.requested and isinstance(event, _BOUNDARIES):
            raise Aborted("aborted by the user")
        progress.handle(event)
        if on_event is not None:
            await emit(lambda e: on_event(target, e), event)

    try:
        await run(target, settings, sink)
    except StudioError as e:
        # a statement cancelled by the abort fails as a cancelled query: it is the abort too
        aborted = isinstance(e, Aborted) or (abort is not None and abort.requested)
        return _stopped(target, reading, progress, direction, e, started, aborted=aborted)
    ran = tuple(progress.ran)
    if direction is Direction.UP:
        state, message = (TargetState.DONE if ran or notes else TargetState.UP_TO_DATE), ""
    else:
        state, message = TargetState.DONE, "" if ran else "nothing to roll back"
    report = _report(target, reading, state, ran, direction, started, progress, message)
    # a migrate that ends without ContractNotConfirmed leaves no contract waiting
    waiting = () if direction is Direction.UP else None
    return replace(report, notes=report.notes + notes, waiting=waiting)


async def _record_squashed(
    baseline: Baseline, target: FleetTarget, settings: Settings, reading: Reading, wait: float
) -> tuple[str, ...]:
    """Record the squash baselines the target awaits (its live schema checked); a note each."""
    squashed = [e for e in reading.status.having(State.SQUASHED) if e.migration is not None]
    if not squashed:
        return ()
    versions = [e.version for e in squashed]
    recorded = await runner.record_squash(
        target.url, settings, baseline.migrations, versions, wait=wait
    )
    return tuple(
        f"{e.migration.filename} recorded in place of the"
        f" {counted(len(e.migration.squashes), 'migration')} it squashes (nothing of it run)"
        for e in squashed
        if e.migration is not None and e.version in recorded
    )


def _drifted(
    target: FleetTarget,
    reading: Reading,
    changes: tuple[Change, ...],
    problems: tuple[str, ...],
    started: float,
) -> TargetReport:
    found = len(changes) + len(problems)
    return TargetReport(
        target,
        TargetState.DRIFT,
        reading.version,
        reading.pending,
        changes,
        message=f"{counted(found, 'difference')} from its applied migrations: not run",
        hint="see `schema-studio check` on this target; bring it back in line first",
        problems=problems,
        duration=time.monotonic() - started,
        server_version=reading.server_version,
        waiting=reading.waiting,
    )


def _stopped(
    target: FleetTarget,
    reading: Reading,
    progress: TargetProgress,
    direction: Direction,
    e: StudioError,
    started: float,
    *,
    aborted: bool = False,
) -> TargetReport:
    """A target whose run raised: aborted, busy, stopped before a contract, failed or
    unreachable."""
    if aborted:
        report = _report(target, reading, TargetState.ABORTED, tuple(progress.ran), direction,
                         started, progress)  # fmt: skip
        return replace(report, message="aborted by the user", hint=Aborted.hint)
    if isinstance(e, MigratorBusy):
        state = TargetState.BUSY
    elif isinstance(e, ContractNotConfirmed):
        state = TargetState.PENDING
    elif progress.started:
        state = TargetState.FAILED
    else:
        return error_report(target, e, started)
    report = _report(target, reading, state, tuple(progress.ran), direction, started, progress)
    if isinstance(e, ContractNotConfirmed):  # the contracts it names wait there now
        report = replace(report, waiting=e.waiting)
    return replace(report, message=e.message, hint=e.hint)


def _report(
    target: FleetTarget,
    reading: Reading,
    state: TargetState,
    ran: tuple[str, ...],
    direction: Direction,
    started: float,
    progress: TargetProgress,
    message: str = "",
) -> TargetReport:
    """Where the target's migrations stand after the run: the reading, moved by what ran.

    Migrating, the contracts that waited there still do, but those it ran; a rollback
    does not tell (rolling an expand back takes its contract out of waiting).
    """
    finished = {e.version for e in reading.status.entries if e.row is not None and e.row.finished}
    finished = finished | set(ran) if direction is Direction.UP else finished - set(ran)
    pending = (
        reading.pending - len(ran) if direction is Direction.UP else reading.pending + len(ran)
    )
    return TargetReport(
        target,
        state,
        max(finished, default=None),
        max(pending, 0),
        ran=ran,
        message=message,
        duration=time.monotonic() - started,
        server_version=reading.server_version,
        lock_wait=progress.longest_wait,
        waiting=tuple(v for v in reading.waiting if v not in ran)
        if direction is Direction.UP
        else None,
    )


async def run_under(
    policy: Policy,
    targets: Sequence[FleetTarget],
    work: Work,
    on_target: TargetSink | None,
    abort: Abort | None = None,
) -> list[TargetReport]:
    """Run `work` on each target under `policy` (none starts once `abort` is requested)."""
    pool = bounded(policy.parallel)
    halted: list[str] = []
    done: dict[int, TargetReport] = {}

    def finish(i: int, report: TargetReport) -> None:
        done[i] = report
        if on_target is not None:
            on_target(report)

    async def one(i: int, target: FleetTarget) -> None:
        async with pool:
            if abort is not None and abort.requested:
                report = skipped(target, "aborted by the user before it started")
            elif halted:
                report = skipped(target, f"halted: {halted[0]} failed first")
            else:
                report = await work(target)
                if policy.halt and failed(report) and not halted:
                    halted.append(target.name)
        finish(i, report)

    canaries = list(enumerate(targets))[: policy.canary]
    rest = list(enumerate(targets))[policy.canary :]
    await concurrently(*(one(i, t) for i, t in canaries))
    bad = [done[i].target.name for i, _ in canaries if failed(done[i])]
    if bad:
        for i, t in rest:
            finish(i, skipped(t, f"canary {', '.join(bad)} did not succeed"))
    else:
        await concurrently(*(one(i, t) for i, t in rest))
    return [done[i] for i in range(len(targets))]


# where a run can stop safely: before a step starts, or before a lock retry
_BOUNDARIES = (StepStarted, LockTimeoutRetry)


def failed(report: TargetReport) -> bool:
    """Whether a target's outcome stops a halting run: an error or drift (not a pause)."""
    return report.state.error or report.state is TargetState.DRIFT


def skipped(target: FleetTarget, why: str) -> TargetReport:
    """A target never started."""
    return TargetReport(target, TargetState.SKIPPED, message=why)
