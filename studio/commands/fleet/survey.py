"""Reading the fleet: what every target shares made once, each target read on its own session.

The migrations' replay (and, for `check`, the declared schema) is
materialized once per PostgreSQL major version and set of applied
migrations, however many targets share it: at most one materialization
runs per key, the others wait for it. A target is read on one read-only
connection: its server version, its history and its live schema; its drift
is the diff from the replay of its finished migrations (re-targeted to its
schema in a schema-per-tenant fleet) to what it holds.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from studio.catalog import connect as db
from studio.catalog.introspect import introspect
from studio.commands.check import LiveDrift, compare_live
from studio.commands.diff import migrations_source
from studio.commands.fleet.targets import TEMPLATE_SCHEMA, target_settings
from studio.commands.schemas import in_scope, managed_schemas
from studio.diff import diff_report
from studio.diff.unmodelled import unmodelled
from studio.errors import translate
from studio.model import quote_ident
from studio.model.retarget import retarget
from studio.run import history
from studio.run.history import HistoryTable
from studio.run.inflight import waiting_contracts
from studio.sources.live import read_live
from studio.sources.load import concurrently, load
from studio.sources.spec import Loaded, Source, SourceKind, declared_source

if TYPE_CHECKING:
    import asyncpg

    from studio.commands.fleet.targets import FleetTarget
    from studio.config import Settings
    from studio.migrations.files import Migration

T = TypeVar("T")
K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Shared:
    """What the fleet's comparisons share at one major version: the replay and its scope."""

    # every migration on disk, replayed
    replay: Loaded
    # the managed schemas of a whole-database target (None: every user schema)
    scope: tuple[str, ...] | None
    # the declared schema against the migrations (check only: what `generate` would write)
    ungenerated: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reading:
    """One target as read: the directory against its history, and its live schema."""

    status: history.Status
    server_version: int
    # None: not read (not asked for, or an interrupted migration: see `note`)
    live: Loaded | None = None
    note: str = ""

    @property
    def version(self) -> str | None:
        """The newest migration finished there."""
        finished = [e.version for e in self.status.entries if e.row and e.row.finished]
        return max(finished, default=None)

    @property
    def pending(self) -> int:
        """Migrations not finished there: pending or interrupted."""
        return len(self.status.having(history.State.PENDING, history.State.PARTIAL))

    @property
    def waiting(self) -> tuple[str, ...]:
        """The contract migrations waiting there for confirmation (their expand finished)."""
        ms = [e.migration for e in self.status.entries if e.migration is not None]
        rows = [e.row for e in self.status.entries if e.row is not None]
        return tuple(m.version for m in waiting_contracts(ms, rows))


class Baseline:
    """What the whole fleet shares, each part made once: the migrations and their replays.

    `declared`: the declared schema is loaded too (check, status): it decides
    the managed schemas as `check` decides them, and what `generate` would
    write is reported once for the fleet.
    """

    def __init__(
        self, settings: Settings, migrations: tuple[Migration, ...], *, declared: bool
    ) -> None:
        self.settings = settings
        self.migrations = migrations
        self.declared = declared
        self._shared: dict[int, asyncio.Future[Shared]] = {}
        self._replays: dict[tuple[int, tuple[str, ...] | None], asyncio.Future[Loaded]] = {}

    async def shared(self, major: int) -> Shared:
        """The replay of every migration and the managed schemas, at `major` (made once)."""
        return await _once(self._shared, major, lambda: self._make_shared(major))

    async def replay(self, major: int, versions: tuple[str, ...] | None) -> Loaded:
        """The replay of `versions` (None: every migration) at `major` (made once)."""
        source = migrations_source(self.settings, versions)
        return await _once(
            self._replays,
            (major, versions),
            lambda: load(source, self.settings, major=major),
        )

    async def _make_shared(self, major: int) -> Shared:
        if not self.declared:
            replay = await self.replay(major, None)
            return Shared(replay, managed_schemas(self.settings, replay))
        replay, declared = await concurrently(
            self.replay(major, None),
            load(declared_source(self.settings), self.settings, major=major),
        )
        scope = managed_schemas(self.settings, replay, declared)
        replayed, wanted = in_scope(self.settings, scope, replay.schema, declared.schema).sides
        report = diff_report(replayed, wanted, server_version=replay.server_version or None)
        lines = [f"{c.describe()}" for c in report.changes]
        lines += unmodelled(replayed, wanted).problems("the migrations", "the declared schema")
        return Shared(replay, scope, tuple(lines) + report.unreached)

    def applied_versions(self, status: history.Status) -> tuple[str, ...] | None:
        """The finished migrations to replay (None: every one on disk, the fleet's usual case)."""
        finished = {e.version for e in status.entries if e.row is not None and e.row.finished}
        on_disk = {m.version for m in self.migrations}
        return None if on_disk <= finished else tuple(sorted(finished & on_disk))

    async def drift(self, target: FleetTarget, status: history.Status, live: Loaded) -> LiveDrift:
        """The changes from the replay of the target's finished migrations to its live schema."""
        major = live.server_version // 10000
        shared = await self.shared(major)
        applied = await self.replay(major, self.applied_versions(status))
        settings = target_settings(self.settings, target)
        expected, scope = applied.schema, shared.scope
        if target.schema is not None:
            expected = retarget(
                expected.restrict([TEMPLATE_SCHEMA]), TEMPLATE_SCHEMA, target.schema
            )
            # the tenant's schema itself is the fleet's: its comment or owner is not drift
            key = quote_ident(target.schema)
            namespaces = {k: v for k, v in expected.namespaces.items() if k != key}
            if key in live.schema.namespaces:
                namespaces[key] = live.schema.namespaces[key]
            expected = dataclasses.replace(expected, namespaces=namespaces)
            scope = (target.schema,)
        sides = in_scope(settings, scope, expected, live.schema).sides
        return compare_live(sides[0], sides[1], applied, live)


async def read_target(baseline: Baseline, target: FleetTarget, *, live: bool) -> Reading:
    """Read one target on one read-only session: its history, and its live schema if asked.

    A target with an interrupted migration is not read live: its schema is
    part-way between two replays, so drift cannot be told until it is finished.
    """
    settings = target_settings(baseline.settings, target)
    table = HistoryTable.parse(settings.history_table)
    conn = await db.connect(target.url, timeout=settings.connect_timeout, read_only=True)
    try:
        with translate(target.where):
            # from the startup parameters, and one query for the table and its columns:
            # each round trip saved is saved once per target
            version = db.startup_version_num(conn)
            exists, rows = await history.read_table(conn, table)
            status = history.compare(baseline.migrations, rows, table_exists=exists)
            if not live:
                return Reading(status, version)
            if any(not r.finished for r in rows):
                note = "an interrupted migration: drift is compared once it is finished"
                return Reading(status, version, None, note)
            return Reading(status, version, await _read_live(conn, target, settings, version))
    finally:
        await conn.close()


async def _read_live(
    conn: asyncpg.Connection, target: FleetTarget, settings: Settings, version: int
) -> Loaded:
    source = Source(SourceKind.URL, target.url)
    if target.schema is None:
        return await read_live(conn, source, settings, version)
    return Loaded(source, await introspect(conn, [target.schema]), server_version=version)


async def _once(made: dict[K, asyncio.Future[T]], key: K, make: Callable[[], Awaitable[T]]) -> T:
    """`make()`'s result for `key`, made by the first caller; the others wait for it."""
    future = made.get(key)
    if future is None:
        future = made[key] = asyncio.ensure_future(_call(make))
        # its error is every waiter's; retrieved here too, should they all be cancelled
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
    # a caller cancelled (its target halted) must not cancel the others' shared work
    return await asyncio.shield(future)


async def _call(make: Callable[[], Awaitable[Any]]) -> Any:
    return await make()


# targets read at once by default: a read-only session costs the server its catalog queries
# (most of a target's time, which the client overlaps with decoding another's rows)
READ_PARALLEL = 8
# targets migrated at once by default: each holds a migrator session and takes locks
RUN_PARALLEL = 4


def bounded(parallel: int) -> asyncio.Semaphore:
    """The pool's bound: at most `parallel` targets have sessions open at once."""
    return asyncio.Semaphore(max(1, parallel))
