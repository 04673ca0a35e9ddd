"""What the studio reads and writes, over the core: async functions and the values they return.

No Textual here: screens call these from their workers and post the results
as messages. Everything that touches the database is `async` (asyncpg);
pure but heavy work (diffing and building the trees of a large schema) runs
in a thread so the event loop keeps drawing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from studio.catalog import connect as db
from studio.commands.diff import load_pair
from studio.commands.schemas import managed_schemas
from studio.config import database_name, mask_dsn
from studio.diff.unmodelled import UnmodelledReport, unmodelled
from studio.errors import ConnectionFailed, StudioError, translate
from studio.migrations import files as migrations
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
    from studio.config import Settings
    from studio.diff import Rename, RenameCandidate
    from studio.migrations.files import Migration
    from studio.model import Schema
    from studio.model.changes import Change
    from studio.plan.estimates import RelationSize, Throughput
    from studio.run.events import EventSink
    from studio.run.history import Status
    from studio.run.runner import RunResult
    from studio.sources import Loaded


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
    from studio.run.history import State

    target, name = target_of(settings)
    try:
        st = await history_status(settings)
    except ConnectionFailed:
        raise
    except StudioError as e:
        return Overview(target, name, problem=e.message)
    return Overview(
        target,
        name,
        applied=len(st.having(State.APPLIED)),
        pending=len(st.having(State.PENDING)),
        attention=len(st.having(State.PARTIAL, State.MODIFIED, State.MISSING, State.ROLLING_BACK)),
        status=st,
    )


async def drift(settings: Settings) -> CheckReport:
    """`check` against the target: drift from the applied migrations, ungenerated changes."""
    from studio.commands.check import check

    return await off_loop(check, settings, live=True)


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

    def warnings(self) -> tuple[str, ...]:
        """What the changes leave undone: unmodelled objects on one side only, one line each."""
        return self.unmodelled.problems(
            self.old_source or "the database", self.new_source or "the declared schema"
        )

    def old_id(self, node_id: str) -> str:
        """The id the object has in the old (live) schema."""
        return self.back.get(node_id, node_id)


def parse_hints(hints: Sequence[str], old: Schema, new: Schema) -> list[Rename]:
    """The accepted renames that apply to this pair of schemas.

    A rename accepted while reviewing the plan (migrations -> declared) may
    name nothing in the live database, and the other way round: it is left
    out of this comparison, not an error.
    """
    from studio.diff import parse_rename
    from studio.errors import UsageError

    out = []
    for text in hints:
        try:
            out.append(parse_rename(text, old, new))
        except UsageError:
            continue
    return out


def compare_schemas(
    old: Schema,
    new: Schema,
    hints: Sequence[str] = (),
    *,
    server_version: int = 0,
    old_source: str = "",
    new_source: str = "",
    schemas: tuple[str, ...] | None = None,
) -> Comparison:
    """Diff two schemas and build the panes (pure; heavy for large schemas)."""
    from studio.diff import diff, rename_candidates

    renames = parse_hints(hints, old, new)
    changes = tuple(diff(old, new, renames))
    candidates = tuple(rename_candidates(old, new, renames))
    pair = Pair(old, new, tuple(renames), candidates)
    direct = rename_map(renames)
    back: dict[str, str] = {}
    if renames:
        for raw in index_side(old):
            moved = map_old_id(raw, tuple(renames), direct)
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
        tuple(renames),
        changes,
        candidates,
        build_side(pair, "new"),
        build_side(pair, "old"),
        build_diff(changes, candidates, old, new),
        back,
        unmodelled(old, new),
    )


@dataclass(frozen=True, slots=True)
class Sides:
    """The two loaded sides before diffing (kept so accepting a rename needs no reload)."""

    live: Loaded
    declared: Loaded
    schemas: tuple[str, ...] | None

    def restricted(self) -> tuple[Schema, Schema]:
        """Both schemas, restricted to the managed schemas."""
        a, b = self.live.schema, self.declared.schema
        if self.schemas is None:
            return a, b
        return a.restrict(self.schemas), b.restrict(self.schemas)


async def load_sides(settings: Settings) -> Sides:
    """Read the live database and materialize the declared schema (same major version)."""
    live, declared = await off_loop(load_pair, settings, None, None)
    return Sides(live, declared, managed_schemas(settings, live, declared))


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
    )


# --- the plan: replay of the migrations -> declared schema ---------------------------------------


@dataclass(frozen=True, slots=True)
class PlanInput:
    """What `generate` would write now: the changes from the migrations to the declared schema."""

    old: Schema
    new: Schema
    server_version: int
    hints: tuple[str, ...]
    renames: tuple[Rename, ...]
    changes: tuple[Change, ...]
    candidates: tuple[RenameCandidate, ...]
    existing: tuple[str, ...]


async def plan_input(settings: Settings, hints: Sequence[str], major: int | None) -> PlanInput:
    """Replay the migrations and materialize the declared schema; diff them with `hints`."""
    return await off_loop(_plan_input, settings, tuple(hints), major)


async def _plan_input(settings: Settings, hints: Sequence[str], major: int | None) -> PlanInput:
    from studio.commands.diff import migrations_source
    from studio.sources import declared_source, load

    directory = settings.migrations_dir
    existing = migrations.load_directory(directory) if directory.is_dir() else ()
    if existing:
        migrations.verify_sum(directory)
    replay = await load(migrations_source(settings), settings, major=major)
    declared = await load(declared_source(settings), settings, major=major)
    schemas = managed_schemas(settings, replay, declared)
    a = replay.schema if schemas is None else replay.schema.restrict(schemas)
    b = declared.schema if schemas is None else declared.schema.restrict(schemas)
    version = declared.server_version or replay.server_version or (major or 0) * 10000
    return replan(a, b, tuple(hints), version, tuple(m.version for m in existing))


def replan(
    old: Schema, new: Schema, hints: tuple[str, ...], server_version: int, existing: tuple[str, ...]
) -> PlanInput:
    """The plan's changes for a new set of rename hints (pure)."""
    from studio.diff import diff, rename_candidates

    renames = parse_hints(hints, old, new)
    changes = tuple(diff(old, new, renames))
    candidates = tuple(rename_candidates(old, new, renames))
    return PlanInput(old, new, server_version, hints, tuple(renames), changes, candidates, existing)


async def plan_sizes(
    settings: Settings, relations: Sequence[str], wanted: Sequence[tuple[str, ...]] = ()
) -> tuple[dict[str, RelationSize], Throughput, dict[tuple[str, ...], str]]:
    """Sizes of the relations a plan locks, the target's read throughput, and what its
    rows say of the plan's requirements (`preview.data_findings`); read-only."""
    from studio.plan import probe
    from studio.plan.preview import data_findings

    url = settings.database_url()
    assert url is not None
    conn = await db.connect(url, timeout=settings.connect_timeout, read_only=True)
    try:
        with translate(mask_dsn(url)):
            sizes = await probe.read_sizes(conn, relations)
            rate = await probe.throughput_for(conn, sizes)
            findings = await data_findings(conn, wanted)
    finally:
        await conn.close()
    return sizes, rate, findings


def write_migration(
    settings: Settings, version: str, name: str, text: str, down_text: str | None
) -> Migration:
    """Write a reviewed migration (and its down file) and update the sum file."""
    directory = settings.migrations_dir
    path = migrations.write_migration(directory, version, migrations.slugify(name), text, down_text)
    return migrations.parse_file(path)


def write_phases(
    settings: Settings,
    version: str,
    name: str,
    text: str,
    down_text: str | None,
    contract_version: str,
    contract_text: str,
) -> tuple[Migration, Migration]:
    """Write an expand migration (and its down file) and its contract migration; update the sum."""
    slug = migrations.slugify(name)
    directory = settings.migrations_dir
    up = migrations.write_migration(directory, version, f"{slug}_expand", text, down_text)
    contract = migrations.write_migration(
        directory, contract_version, f"{slug}_contract", contract_text
    )
    return migrations.parse_file(up), migrations.parse_file(contract)


def next_version(settings: Settings, now: object) -> str:
    """The version a migration written now gets."""
    return migrations.next_version(migrations.taken_versions(settings.migrations_dir), now)  # type: ignore[arg-type]


# --- applying -----------------------------------------------------------------------------------


async def apply_pending(
    settings: Settings,
    sink: EventSink,
    on_backend: Callable[[int], None],
    *,
    to: str | None = None,
    confirm_contract: bool = False,
) -> RunResult:
    """Apply the pending migrations on a connection of our own, telling its backend pid first.

    The pid lets the studio highlight its own migration in the lock tail and
    cancel the running step (`cancel_backend`) when the user aborts.
    """
    from studio.commands.files import load_migrations
    from studio.run import runner

    ms = load_migrations(settings)
    url = settings.database_url()
    assert url is not None
    conn = await db.connect(
        url, timeout=settings.connect_timeout, application_name=runner.APPLICATION_NAME
    )
    try:
        on_backend(conn.get_server_pid())
        return await runner.apply(
            conn, settings, ms, to=to, on_event=sink, confirm_contract=confirm_contract
        )
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.close(), timeout=5)


async def cancel_backend(settings: Settings, pid: int) -> bool:
    """Cancel the statement backend `pid` runs (pg_cancel_backend): it rolls back, the session lives."""
    url = settings.database_url()
    assert url is not None
    conn = await db.connect(url, timeout=settings.connect_timeout)
    try:
        with translate(mask_dsn(url)):
            return bool(await conn.fetchval("SELECT pg_cancel_backend($1)", pid))
    finally:
        await conn.close()


async def history_status(settings: Settings) -> Status:
    """Applied, pending, partial, modified and missing migrations (read-only).

    The directory (checked against its sum) and the history table only: drift
    is the drift badge's worker, which is much slower.
    """
    from studio.commands.files import load_migrations
    from studio.commands.target import read_history
    from studio.run import history

    ms = load_migrations(settings)
    url = settings.database_url()
    assert url is not None
    rows, _, exists = await read_history(settings, url)
    return history.compare(ms, rows, table_exists=exists)


def migration_text(m: Migration) -> tuple[str, str | None]:
    """The up file's text and the down file's, when there is one."""
    up = m.path.read_text(encoding="utf-8")
    down = m.down_path.read_text(encoding="utf-8") if m.down_path and m.down_path.exists() else None
    return up, down
