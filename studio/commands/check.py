"""`check`: the CI gate, read-only: declared = migrations, live = applied ones, files intact.

The declared schema must equal the replay of the migrations, the live
database the replay of its applied migrations, every migration must be
applied (a database behind its migrations is not in sync), the checksum file
must match and the applied files must be as the target's history recorded them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio.commands.diff import migrations_source
from studio.commands.files import load_migrations
from studio.commands.schemas import exclusions, in_scope, managed_schemas
from studio.commands.target import read_history
from studio.diff import DiffReport, diff_report
from studio.diff.unmodelled import unmodelled
from studio.errors import StudioError
from studio.migrations import files as migrations
from studio.run import history, inflight, runner
from studio.sources.live import live_connection, read_live
from studio.sources.load import concurrently, load, side_by_side
from studio.sources.spec import Loaded, Source, SourceKind, declared_source, major_mismatch

if TYPE_CHECKING:
    from collections.abc import Collection, Coroutine, Sequence

    from studio.config import Settings
    from studio.diff.unmodelled import UnmodelledReport
    from studio.migrations.files import Migration
    from studio.model import Schema
    from studio.model.changes import Change


@dataclass(frozen=True, slots=True)
class CheckReport:
    """`check`: what is out of sync (empty tuples and None when all is well)."""

    # declared schema vs replay of every migration: a migration was not generated
    ungenerated: tuple[Change, ...]
    # live database vs replay of its applied migrations: someone changed it by hand
    drift: tuple[Change, ...]
    # a checksum problem, as the message of the error
    checksum: str | None
    checked_live: bool
    applied: tuple[str, ...] = ()
    # warnings about how it was checked (a dev server of another major than the database's)
    notes: tuple[str, ...] = ()
    # applied migrations whose file changed or went since, by the target's history
    unlike_history: tuple[str, ...] = ()
    # objects of kinds the model lacks on one side only (declared vs migrations,
    # database vs applied migrations), one line each: never migrated, so out of sync
    unmodelled: tuple[str, ...] = ()
    # objects of those kinds on both sides, which were not compared
    not_compared: tuple[str, ...] = ()
    # differences (declared vs migrations, database vs applied migrations) that no
    # change reaches, one line each: out of sync, and no migration can fix them
    unreached: tuple[str, ...] = ()
    # objects the `exclude` patterns left out of every side (None: no pattern given)
    excluded: int | None = None
    # migrations on disk the database has not (wholly) applied, `version_name` each:
    # the database is behind its migrations, which is not in sync
    not_applied: tuple[str, ...] = ()
    # not applied, yet older than a migration applied on the database: added on another
    # branch and merged after it (`migrate` refuses them without --allow-out-of-order)
    other_branch: tuple[str, ...] = ()
    # expand/contract migrations in flight, `version_name: phase` each (a contract waiting
    # for confirmation is a phase, not a migration the database is behind on)
    phases: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether everything is in sync."""
        return (
            not self.ungenerated
            and not self.drift
            and self.checksum is None
            and not self.unlike_history
            and not self.unmodelled
            and not self.unreached
            and not self.not_applied
            and not self.other_branch
        )


def other_branch(status: history.Status, waiting: Collection[str] = frozenset()) -> tuple[str, ...]:
    """The migrations not applied but older than the newest applied one, one line each.

    Contracts waiting for confirmation (`waiting`) aside: later migrations ran past them.
    """
    return tuple(
        f"{e.version}_{e.name}: added on another branch: not applied, and older than"
        f" {status.last_applied}, which is applied"
        for e in status.having(history.State.PENDING)
        if e.out_of_order and e.version not in waiting
    )


def not_applied(status: history.Status, waiting: Collection[str] = frozenset()) -> tuple[str, ...]:
    """`version_name` of each migration on disk the database has not applied, or only in part
    (those added on another branch aside: `other_branch` names them; and the contracts
    waiting for confirmation, a phase of their expand/contract pair)."""
    behind = (history.State.PENDING, history.State.PARTIAL, history.State.ROLLING_BACK)
    squashed = tuple(
        f"{e.version}_{e.name} (a squash baseline of migrations applied here: `migrate` records it)"
        for e in status.having(history.State.SQUASHED)
    )
    return squashed + tuple(
        f"{e.version}_{e.name}"
        for e in status.having(*behind)
        if not (e.state is history.State.PENDING and e.out_of_order) and e.version not in waiting
    )


def phase_lines(ms: Sequence[Migration], rows: Sequence[history.HistoryRow]) -> tuple[str, ...]:
    """`version_name: phase` of each expand/contract migration not done, and what passed what."""
    flight = inflight.in_flight(ms, rows, ())
    return tuple(
        f"{m.version}_{m.name}: {text}"
        for m in ms
        if (text := flight.describe(m.version))
        and flight.stages.get(m.version) is not inflight.Stage.DONE
    )


def unlike_history(settings: Settings, status: history.Status) -> tuple[str, ...]:
    """Why the files no longer match the target's history: an applied migration changed, or gone."""
    return history_problems(settings, status)


def history_problems(settings: Settings, status: history.Status) -> tuple[str, ...]:
    """`unlike_history`, by the name the fleet uses."""
    # the very check `migrate` and `rollback` refuse on, so `check` cannot pass what they refuse
    changed = tuple(e.message for e in runner.changed_after_applied(status))
    gone = tuple(
        f"{e.version}_{e.name} is applied but not in {settings.migrations_dir}"
        for e in status.having(history.State.MISSING)
    )
    return changed + gone


@dataclass(frozen=True, slots=True)
class LiveDrift:
    """A live database against the replay of its applied migrations: `check`'s drift half."""

    report: DiffReport
    unmodelled: UnmodelledReport
    # a dev server of another major than the database's read the replay
    notes: tuple[str, ...] = ()

    def problems(self) -> tuple[str, ...]:
        """Differences beside the changes: unmodelled objects on one side, unreached ones."""
        return (
            self.unmodelled.problems("the applied migrations", "the database")
            + self.report.unreached
        )


def compare_live(
    applied_schema: Schema, live_schema: Schema, applied: Loaded, live: Loaded
) -> LiveDrift:
    """Drift: the changes from the applied migrations' replay to the live schema (both scoped)."""
    # equal schemas have no changes: the fleet's usual case, at a fifth of a diff's cost
    report = (
        DiffReport(())
        if applied_schema == live_schema
        else diff_report(applied_schema, live_schema, server_version=live.server_version)
    )
    mismatch = major_mismatch(live.server_version, applied.server_version)
    return LiveDrift(
        report, unmodelled(applied_schema, live_schema), (mismatch,) if mismatch else ()
    )


@dataclass(frozen=True, slots=True)
class _TargetRead:
    """What `check` reads of the target database, and what its history says of the files."""

    loaded: Loaded
    applied: tuple[str, ...]
    unlike: tuple[str, ...]
    behind: tuple[str, ...]
    elsewhere: tuple[str, ...]
    in_flight: tuple[str, ...]


async def _read_target(
    settings: Settings, url: str, major: asyncio.Future[int | None]
) -> _TargetRead:
    """The live schema and the history; `major` is set as soon as the server has said it."""
    source = Source(SourceKind.URL, url)
    async with live_connection(source, settings) as (conn, version):
        # the replays start on the dev server meanwhile (unless they already failed: a
        # task cancelled while it awaits a future cancels the future too)
        if not major.done():
            major.set_result(version // 10000)
        loaded = await read_live(conn, source, settings, version)
    rows, _, _ = await read_history(settings, url)
    applied = tuple(r.version for r in rows)
    # the sum file only says the files are as last hashed; the history, as applied. Parsed
    # in a thread (the event loop sends the replays' batches), once with the replay's (memo)
    on_disk_ms = await asyncio.to_thread(load_migrations, settings, verify=False)
    status = history.compare(on_disk_ms, rows)
    waiting = {m.version for m in inflight.waiting_contracts(on_disk_ms, rows)}
    return _TargetRead(
        loaded,
        applied,
        unlike_history(settings, status),
        not_applied(status, waiting),
        other_branch(status, waiting),
        phase_lines(on_disk_ms, rows),
    )


async def _replays(
    settings: Settings,
    major: asyncio.Future[int | None],
    target: asyncio.Future[_TargetRead | None],
) -> tuple[Loaded, Loaded, Loaded | None]:
    """The migrations' replay and the declared schema's, on the dev server of the target's major;
    the replay of the applied migrations too when some on disk are not (None without a target).
    """
    m = await major

    async def applied_replay() -> Loaded | None:
        if (read := await target) is None:
            return None
        on_disk = set(migrations.taken_versions(settings.migrations_dir))
        if on_disk <= set(read.applied):
            return None  # every file applied: the same replay, made once
        return await load(migrations_source(settings, read.applied), settings, major=m)

    # the replays run on the dev server while the models import (one server, shared)
    coros: list[Coroutine[Any, Any, Loaded | None]] = []
    try:
        coros.append(load(migrations_source(settings), settings, major=m))
        coros.append(load(declared_source(settings), settings, major=m))
        coros.append(applied_replay())
        replay, declared, applied = await concurrently(*coros)
    finally:
        # one never started (the target's read failed first, or a source could not be
        # made) would warn "never awaited" at exit; closing a finished one does nothing
        for coro in coros:
            coro.close()
    assert isinstance(replay, Loaded) and isinstance(declared, Loaded)
    return replay, declared, applied


async def check(settings: Settings, *, live: bool | None = None) -> CheckReport:
    """Compare declared vs migrations, live vs applied migrations, and the checksums.

    Read-only on the target. Without a database URL (or with `live=False`)
    only the first and the last are checked. The replays start on the dev
    server as soon as the target has said its major version, while the target
    is read.
    """
    exclusions(settings)
    checksum = None
    try:
        migrations.verify_sum(settings.migrations_dir)
    except StudioError as e:
        checksum = e.message
    url = settings.database_url(required=bool(live))
    loop = asyncio.get_running_loop()
    major: asyncio.Future[int | None] = loop.create_future()
    target: asyncio.Future[_TargetRead | None] = loop.create_future()
    read: _TargetRead | None = None
    drift: tuple[Change, ...] = ()
    if url and live is not False:

        async def read_target() -> _TargetRead:
            got = await _read_target(settings, url, major)
            # the replays may have failed first, cancelling it: their error is the one told
            if not target.done():
                target.set_result(got)
            return got

        read, (replay, declared, applied_replay) = await side_by_side(
            read_target(), _replays(settings, major, target)
        )
    else:
        major.set_result(None)
        target.set_result(None)
        replay, declared, applied_replay = await _replays(settings, major, target)
    live_loaded = read.loaded if read is not None else None
    applied_replay = applied_replay or replay
    schemas = managed_schemas(settings, replay, declared)
    version = replay.server_version or declared.server_version or None
    compared = [replay.schema, declared.schema]
    if live_loaded is not None:
        compared += [applied_replay.schema, live_loaded.schema]
    scoped = in_scope(settings, schemas, *compared)
    replayed, wanted = scoped.sides[:2]
    generated_report = diff_report(replayed, wanted, server_version=version)
    ungenerated, unreached = generated_report.changes, generated_report.unreached
    cycles = generated_report.cycles
    reports = [(unmodelled(replayed, wanted), "the migrations", "the declared schema")]
    notes: tuple[str, ...] = ()
    if live_loaded is not None:
        applied_schema, live_schema = scoped.sides[2:]
        live_drift = compare_live(applied_schema, live_schema, applied_replay, live_loaded)
        drift, unreached = live_drift.report.changes, unreached + live_drift.report.unreached
        cycles += live_drift.report.cycles
        reports.append((live_drift.unmodelled, "the applied migrations", "the database"))
        notes = live_drift.notes
    problems = tuple(line for r, old, new in reports for line in r.problems(old, new))
    not_compared = tuple(note for r, _, _ in reports if (note := r.note()) is not None)
    notes += cycles
    return CheckReport(
        ungenerated, drift, checksum, live_loaded is not None, read.applied if read else (), notes,
        unlike_history=read.unlike if read else (), unmodelled=problems, not_compared=not_compared,
        unreached=unreached, excluded=scoped.excluded if settings.exclude else None,
        not_applied=read.behind if read else (),
        other_branch=read.elsewhere if read else (),
        phases=read.in_flight if read else (),
    )  # fmt: skip
