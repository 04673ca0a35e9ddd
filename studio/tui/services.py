"""What the studio reads and writes: the use cases of `studio.commands`, shaped for the screens.

The studio has no use-case layer of its own: every read and write goes
through `studio.commands`, as the CLI's do, so neither face loses an option.
No Textual here: screens call these from their workers and post the results
as messages. Everything that touches the database is `async` (asyncpg);
pure but heavy work (diffing and building the trees of a large schema) runs
in a thread so the event loop keeps drawing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from studio.commands import draft
from studio.commands.check import check, other_branch
from studio.commands.diff import diff_schemas, load_pair
from studio.commands.fleet.contracts import ContractsWaiting, fleet_confirm, waiting_on_fleet
from studio.commands.fleet.rollout import Abort, MigrateOptions, Policy, fleet_migrate
from studio.commands.fleet.sync import fleet_status
from studio.commands.fleet.targets import target_settings
from studio.commands.migrate import backfill_options, cancel_step, migrate
from studio.commands.schemas import exclusions, in_scope, managed_schemas
from studio.commands.status import status
from studio.config import database_name, mask_dsn
from studio.diff.unmodelled import UnmodelledReport
from studio.errors import ConnectionFailed, StudioError
from studio.run.history import State
from studio.tui.diff_tree import DiffTree, build_diff
from studio.tui.objects import (
    ObjectTree,
    Pair,
    build_side,
    index_side,
    map_old_id,
    rename_map,
)

if TYPE_CHECKING:
    from studio.commands.check import CheckReport
    from studio.commands.draft import PlanInput
    from studio.commands.fleet.report import FleetReport, TargetReport
    from studio.commands.fleet.targets import FleetTarget
    from studio.commands.pending import PendingReview
    from studio.commands.status import StatusReport
    from studio.config import Settings
    from studio.diff import Rename, RenameCandidate
    from studio.migrations.files import Migration
    from studio.model import Schema
    from studio.model.changes import Change
    from studio.plan.estimates import RelationSize, Throughput
    from studio.run.events import Event, EventSink
    from studio.run.history import Status
    from studio.run.inflight import Confirmation
    from studio.run.runner import RunResult
    from studio.sources.spec import Loaded
    from studio.tui.options import StudioOptions


T = TypeVar("T")


async def off_loop(work: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kwargs: Any) -> T:
    """Run a core coroutine on a loop of its own in a thread.

    Reading a large schema builds thousands of Python objects (introspection,
    the materialization cache, the diff): on the studio's loop that would stall
    drawing and keys for as long. Its connections live and die on that loop.
    """
    return await asyncio.to_thread(lambda: asyncio.run(work(*args, **kwargs)))


# --- the target and its migrations ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Overview:
    """What the header shows: the target, its migrations and whether it drifted."""

    target: str
    database: str
    applied: int = 0
    pending: int = 0
    # partial, modified, missing, rolling back: anything that needs a look
    attention: int = 0
    # pending, older than one applied: added on another branch (`check`'s other_branch)
    other_branch: int = 0
    status: Status | None = None
    # why the migrations could not be read (a checksum mismatch, a malformed file)
    problem: str | None = None


def target_of(settings: Settings) -> tuple[str, str]:
    """The masked target URL and its database name."""
    url = settings.database_url()
    assert url is not None
    return mask_dsn(url), database_name(url)


async def overview(settings: Settings) -> Overview:
    """Applied and pending migrations of the target (read-only)."""
    target, name = target_of(settings)
    try:
        report = await status(settings, drift=False)
    except ConnectionFailed:
        raise
    except StudioError as e:
        return Overview(target, name, problem=e.message)
    st = report.status
    return Overview(
        target,
        name,
        applied=len(st.having(State.APPLIED)),
        pending=len(st.having(State.PENDING)),
        attention=len(st.having(State.PARTIAL, State.MODIFIED, State.MISSING, State.ROLLING_BACK)),
        other_branch=len(other_branch(st, report.in_flight.waiting)),
        status=st,
    )


async def drift(settings: Settings) -> CheckReport:
    """`check` against the target: drift from the applied migrations, ungenerated changes."""

    return await off_loop(check, settings, live=True)


async def in_progress(settings: Settings) -> tuple[str, ...]:
    """The migrations the history shows started and not finished, as `version k/n` (read-only).

    While a migration applies step by step, the steps it committed are in the
    database and its history row says so; `check` then finds the database
    unlike the applied migrations, which is a run in progress, not drift.
    """
    st = await history_status(settings)
    return tuple(
        f"{e.version} {e.row.steps_done}/{e.row.steps_total}" if e.row is not None else e.version
        for e in st.having(State.PARTIAL, State.ROLLING_BACK)
    )


# --- the comparison: live database -> declared schema ------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    """Both sides, the diff between them and the trees the three panes show."""

    old: Schema
    new: Schema
    server_version: int
    old_source: str
    new_source: str
    schemas: tuple[str, ...] | None
    hints: tuple[str, ...]
    renames: tuple[Rename, ...]
    changes: tuple[Change, ...]
    candidates: tuple[RenameCandidate, ...]
    left: ObjectTree  # declared
    right: ObjectTree  # live
    diff: DiffTree
    # new-side id -> old-side id, for objects a rename moves
    back: dict[str, str] = field(default_factory=dict)
    # objects of kinds the model lacks, by side: never in `changes`, shown as a warning
    unmodelled: UnmodelledReport = field(default_factory=UnmodelledReport)
    # what the diff says beside its changes (differences no change reaches), one line each
    diff_warnings: tuple[str, ...] = ()
    # objects the `exclude` patterns left out of both sides (None: no pattern given)
    excluded: int | None = None

    def warnings(self) -> tuple[str, ...]:
        """What the changes leave undone: unmodelled objects on one side only, and what the
        diff says beside them, one line each."""
        problems = self.unmodelled.problems(
            self.old_source or "the database", self.new_source or "the declared schema"
        )
        return problems + self.diff_warnings

    def old_id(self, node_id: str) -> str:
        """The id the object has in the old (live) schema."""
        return self.back.get(node_id, node_id)


def compare_schemas(
    old: Schema,
    new: Schema,
    hints: Sequence[str] = (),
    *,
    server_version: int = 0,
    old_source: str = "",
    new_source: str = "",
    schemas: tuple[str, ...] | None = None,
    origins: Mapping[str, str] | None = None,
    excluded: int | None = None,
) -> Comparison:
    """Diff two schemas and build the panes (pure; heavy for large schemas).

    `origins`: where the declared side's objects came from (a composite schema's parts).
    """
    d = diff_schemas(old, new, hints)
    renames = list(d.renames)
    pair = Pair(old, new, d.renames, d.candidates)
    direct = rename_map(renames)
    back: dict[str, str] = {}
    if renames:
        for raw in index_side(old):
            moved = map_old_id(raw, d.renames, direct)
            if moved != raw:
                back[moved] = raw
    return Comparison(
        old,
        new,
        server_version,
        old_source,
        new_source,
        schemas,
        tuple(hints),
        d.renames,
        d.changes,
        d.candidates,
        build_side(pair, "new", origins),
        build_side(pair, "old"),
        build_diff(d.changes, d.candidates, old, new),
        back,
        d.unmodelled,
        d.warnings,
        excluded,
    )


@dataclass(frozen=True, slots=True)
class Sides:
    """The two loaded sides before diffing (kept so accepting a rename needs no reload)."""

    live: Loaded
    declared: Loaded
    schemas: tuple[str, ...] | None
    # both schemas as compared: cut to the managed schemas, `exclude` applied
    compared: tuple[Schema, Schema]
    # objects the `exclude` patterns left out (None: no pattern given)
    excluded: int | None = None

    def restricted(self) -> tuple[Schema, Schema]:
        """Both schemas, restricted to the managed schemas, the excluded objects left out."""
        return self.compared


async def load_sides(settings: Settings) -> Sides:
    """Read the live database and materialize the declared schema (same major version)."""
    exclusions(settings)
    live, declared = await off_loop(load_pair, settings, None, None)
    schemas = managed_schemas(settings, live, declared)
    scoped = in_scope(settings, schemas, live.schema, declared.schema)
    a, b = scoped.sides
    return Sides(live, declared, schemas, (a, b), scoped.excluded if settings.exclude else None)


def start_sides(settings: Settings) -> asyncio.Task[Sides]:
    """`load_sides` started now, for `overview_and_sides` to take later (it raises its failure)."""
    task = asyncio.ensure_future(load_sides(settings))
    # retrieved here too: should the studio exit before a screen takes it, no one else does
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
    return task


async def overview_and_sides(
    settings: Settings,
    told: Callable[[Overview], object],
    started: asyncio.Task[Sides] | None = None,
) -> Sides:
    """The overview (`told` it as soon as it is read) and both sides, read side by side.

    `started`: the read of both sides, when `start_sides` began it earlier.
    A failure is the one reading them one after the other would raise: the
    overview's first (an unreachable target says so once), then the sides'.
    """

    async def tell() -> None:
        told(await overview(settings))

    first = asyncio.ensure_future(tell())
    try:
        # shielded: a cancelled screen leaves the read to finish on its own (its thread does)
        sides = await (asyncio.shield(started) if started is not None else load_sides(settings))
    except asyncio.CancelledError:
        first.cancel()
        raise
    except BaseException:
        (failed,) = await asyncio.gather(first, return_exceptions=True)
        if isinstance(failed, BaseException):
            raise failed from None
        raise
    await first
    return sides


async def compare(sides: Sides, hints: Sequence[str] = ()) -> Comparison:
    """The comparison of loaded sides, diffed in a thread (the loop keeps drawing)."""
    old, new = sides.restricted()
    return await asyncio.to_thread(
        compare_schemas,
        old,
        new,
        tuple(hints),
        server_version=sides.live.server_version,
        old_source=sides.live.source.describe(),
        new_source=sides.declared.source.describe(),
        schemas=sides.schemas,
        origins=sides.declared.origins,
        excluded=sides.excluded,
    )


# --- the plan: replay of the migrations -> declared schema ---------------------------------------


async def plan_input(settings: Settings, hints: Sequence[str], major: int | None) -> PlanInput:
    """What `generate` would write now, under `hints` (read on a loop of its own)."""
    return await off_loop(draft.plan_input, settings, tuple(hints), major)


async def replan(plan: PlanInput, hints: Sequence[str]) -> PlanInput:
    """The plan's changes again for new rename hints (no reload), diffed in a thread."""
    return await asyncio.to_thread(
        draft.replan, plan.old, plan.new, tuple(hints), plan.server_version, plan.existing
    )


async def plan_sizes(
    settings: Settings, relations: Sequence[str], wanted: Sequence[tuple[str, ...]] = ()
) -> tuple[dict[str, RelationSize], Throughput, dict[tuple[str, ...], str]]:
    """Sizes of the relations a plan locks, the target's throughput, what its rows say.

    Read-only.
    """
    return await draft.plan_sizes(settings, relations, wanted)


def next_version(options: StudioOptions) -> str:
    """The version a migration written now gets."""
    return draft.next_version(options.settings, options.now())


async def write_migration(
    settings: Settings, version: str, name: str, text: str, down_text: str | None
) -> Migration:
    """Write a reviewed migration (and its down file) and update the sum file, in a thread."""
    return await asyncio.to_thread(draft.write_migration, settings, version, name, text, down_text)


async def write_phases(
    settings: Settings,
    version: str,
    name: str,
    text: str,
    down_text: str | None,
    contract_version: str,
    contract_text: str,
) -> tuple[Migration, Migration]:
    """Write an expand migration (and its down file) and its contract migration, in a thread."""
    return await asyncio.to_thread(
        draft.write_phases,
        settings,
        version,
        name,
        text,
        down_text,
        contract_version,
        contract_text,
    )


# --- applying -----------------------------------------------------------------------------------


async def apply_pending(
    options: StudioOptions,
    sink: EventSink,
    on_backend: Callable[[int], None],
    *,
    to: str | None = None,
    confirm_contract: Confirmation = False,
    settings: Settings | None = None,
) -> RunResult:
    """`migrate` with the studio's options, telling the migrator's backend pid first.

    The pid lets the studio highlight its own migration in the lock tail and
    cancel the running step (`abort_step`) when the user aborts. `settings`: another
    target's (one of the fleet), instead of the studio's.
    """
    settings = settings or options.settings
    return await migrate(
        settings,
        to=to,
        wait=options.wait,
        allow_out_of_order=options.allow_out_of_order,
        on_event=sink,
        backfills=backfill_options(
            settings, options.batch_size, options.pause, run=not options.no_backfill
        ),
        confirm_contract=confirm_contract,
        on_backend=on_backend,
    )


async def abort_step(settings: Settings, pid: int) -> bool:
    """Cancel the statement the studio's migration runs now: it rolls back, the session lives."""
    return await cancel_step(settings, pid)


async def history_status(settings: Settings) -> Status:
    """Applied, pending, partial, modified and missing migrations (read-only).

    The directory (checked against its sum) and the history table only: drift
    is the drift badge's worker, which is much slower.
    """
    return (await status(settings, drift=False)).status


async def history_report(settings: Settings) -> StatusReport:
    """`history_status` with each expand/contract migration's phase (the history screen)."""
    return await status(settings, drift=False)


async def pending_review(settings: Settings, version: str) -> PendingReview:
    """A pending migration, analysed as `migrate` previews it and `lint` reports it (read-only)."""
    # deferred: pglast (the lock analysis), loaded when a pending migration is reviewed
    from studio.commands.pending import review_pending

    return await off_loop(review_pending, settings, version)


def migration_text(m: Migration) -> tuple[str, str | None]:
    """The up file's text and the down file's, when there is one."""
    up = m.path.read_text(encoding="utf-8")
    down = m.down_path.read_text(encoding="utf-8") if m.down_path and m.down_path.exists() else None
    return up, down


# --- the fleet ----------------------------------------------------------------------------------


def fleet_configured(settings: Settings) -> bool:
    """Whether the project names a fleet (`[tool.schema-studio.fleet]`)."""
    return settings.fleet is not None


async def fleet_survey(
    settings: Settings, on_target: Callable[[TargetReport], None]
) -> FleetReport:
    """`status --fleet`, read on a loop of its own (each target's report as soon as it is read)."""
    return await off_loop(fleet_status, settings, on_target=on_target)


async def fleet_apply(
    options: StudioOptions,
    policy: Policy,
    on_event: Callable[[FleetTarget, Event], None],
    on_target: Callable[[TargetReport], None],
    abort: Abort | None = None,
    contracts: ContractsWaiting | None = None,
) -> FleetReport:
    """`migrate --fleet` with the studio's options, every target's events tagged with it.

    With `contracts`: `migrate --fleet --confirm-contract` of those contracts, on the
    targets they wait on only.
    """
    settings = options.settings
    run_options = MigrateOptions(
        wait=options.wait,
        allow_out_of_order=options.allow_out_of_order,
        backfills=backfill_options(
            settings, options.batch_size, options.pause, run=not options.no_backfill
        ),
    )
    if contracts is not None:
        return await fleet_confirm(
            settings, policy, run_options, contracts, on_event=on_event, on_target=on_target,
            abort=abort,
        )  # fmt: skip
    return await fleet_migrate(
        settings, policy, run_options, on_event=on_event, on_target=on_target, abort=abort
    )


async def fleet_contracts(settings: Settings, reports: Sequence[TargetReport]) -> ContractsWaiting:
    """The contracts waiting across the fleet, as the targets' reports read them.

    In a thread: the migration files are read and their statements parsed.
    """
    return await asyncio.to_thread(waiting_on_fleet, settings, reports)


def fleet_target_settings(settings: Settings, target: FleetTarget) -> Settings:
    """The settings that point every screen at one target of the fleet."""
    return target_settings(settings, target)
