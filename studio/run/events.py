"""What the runner reports while it works: frozen events with monotonic timestamps.

The runner takes an `EventSink` (a plain or async callable): the CLI passes a
printer, the studio posts each event as a Textual message. `stream()` turns a
run into an async iterator of events for consumers that prefer `async for`.
Every event carries `at`, a `time.monotonic()` reading (or the injected
clock's), so a consumer can draw elapsed times without a wall clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable

    EventSink = Callable[["Event"], Awaitable[None] | None]


class Direction(enum.StrEnum):
    """Applying a migration or rolling it back."""

    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class Blocker:
    """A session that held a lock the step needed."""

    pid: int
    application_name: str = ""
    user: str = ""
    client: str = ""
    state: str = ""
    query: str = ""
    # seconds since the blocker's transaction (or, for a migrator, its session) began
    age: float | None = None
    # lock modes it held on `relation`
    modes: str = ""
    relation: str = ""
    # it held a snapshot older than a concurrent index build, which waits for every such one
    snapshot: bool = False

    def describe(self) -> str:
        """One line.

        E.g. `pid 123 (psql, alice@10.0.0.5) idle in transaction for 12s, holds
        AccessShareLock on public.t`.
        """
        who = ", ".join(
            x
            for x in (
                self.application_name,
                f"{self.user}@{self.client}" if self.client else self.user,
            )
            if x
        )
        text = f"pid {self.pid}" + (f" ({who})" if who else "")
        if self.state:
            text += f" {self.state}"
        if self.age is not None:
            text += f" for {self.age:.0f}s"
        if self.modes and self.relation:
            text += f", holds {self.modes} on {self.relation}"
        if self.snapshot:
            text += ", holds a snapshot older than the index build"
        if self.query:
            query = " ".join(self.query.split())
            # an idle session's query is the last one it ran, not what it is doing
            lead = "; last query: " if self.state.startswith("idle") else ": "
            text += f"{lead}{query[:60]}{'...' if len(query) > 60 else ''}"
        return text


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every runner event."""

    # monotonic clock reading when the event happened
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitingForMigrator(Event):
    """Another migrator holds the migration lock; this one waits (up to `wait` seconds)."""

    holder: Blocker | None
    wait: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted(Event):
    """The migrations about to run, in order: (version, name, steps) each."""

    direction: Direction
    migrations: tuple[tuple[str, str, int], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrationStarted(Event):
    """A migration begins (or resumes after `steps_done` finished steps)."""

    version: str
    name: str
    steps_total: int
    steps_done: int = 0
    # True: every step in one transaction; False: step by step
    transactional: bool = True
    direction: Direction = Direction.UP


@dataclass(frozen=True, slots=True, kw_only=True)
class StepStarted(Event):
    """A step begins (attempt > 1 after lock-timeout retries)."""

    version: str
    index: int
    steps_total: int
    title: str
    transactional: bool = True
    attempt: int = 1
    direction: Direction = Direction.UP
    # the step's budget: the most attempts it makes (retries + 1) before it gives up
    attempts: int = 1
    # how long this attempt may wait for its lock (`Executor.lock_wait`)
    lock_wait: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class StepFinished(Event):
    """A step is done (committed, step by step). `skipped`: found done on resume."""

    version: str
    index: int
    steps_total: int
    duration: float
    skipped: bool = False
    direction: Direction = Direction.UP


@dataclass(frozen=True, slots=True, kw_only=True)
class InvalidIndexDropped(Event):
    """An invalid index an interrupted CREATE INDEX CONCURRENTLY left was dropped, to be rebuilt."""

    version: str
    index: int
    index_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LockTimeoutRetry(Event):
    """A step hit lock_timeout; it (or its transactional migration) was rolled back, to retry."""

    version: str
    index: int
    attempt: int
    retries: int
    delay: float
    blockers: tuple[Blocker, ...] = ()
    # the whole migration is retried (one transaction), not only the step
    whole_migration: bool = False
    # "lock_timeout", or "queue_guard" when the lock-queue guard cancelled the step
    cause: str = "lock_timeout"
    # how long the next attempt may wait for its lock (`Executor.lock_wait`)
    lock_wait: str = ""
    # seconds the attempt waited before it gave up (its lock_timeout, or the guard's limit)
    waited: float | None = None

    @property
    def left(self) -> int:
        """Retries left after this one: the budget left."""
        return max(0, self.retries - self.attempt)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueGuardTripped(Event):
    """A step waited for its lock past queue_guard while sessions queued behind it: cancelled.

    A `LockTimeoutRetry` (cause "queue_guard") follows. `blockers` are the
    sessions the step waited for: the ones to stop.
    """

    version: str
    index: int
    attempt: int
    # how long the step had waited, the lock mode it asked for and on what
    waited: float
    mode: str
    target: str
    # sessions queued behind the step, and the longest of their waits
    queued: int
    queued_longest: float
    blockers: tuple[Blocker, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrationFinished(Event):
    """A migration is done and recorded (or, rolling back, removed from the history)."""

    version: str
    name: str
    duration: float
    direction: Direction = Direction.UP


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrationFailed(Event):
    """A migration stopped; `index` is the failing step (None before any step ran)."""

    version: str
    name: str
    index: int | None
    message: str
    hint: str = ""
    direction: Direction = Direction.UP


@dataclass(frozen=True, slots=True, kw_only=True)
class BackfillStarted(Event):
    """A backfill step begins, or resumes after `rows_done` rows in `batches` finished batches."""

    version: str
    index: int
    table: str
    key: str
    rows_total: int
    rows_done: int = 0
    batches: int = 0
    batch_size: int = 0
    # what walks the table: a backfill step's UPDATE, or a Python step's `batches()` ("walk")
    kind: str = "backfill"


@dataclass(frozen=True, slots=True, kw_only=True)
class BackfillProgress(Event):
    """A backfill batch committed: keys `first`..`last` (as text), and where the whole stands."""

    version: str
    index: int
    table: str
    batch: int
    first: str
    last: str
    # rows of the batch's key range, and of them those the UPDATE changed
    rows: int
    updated: int
    rows_done: int
    rows_total: int
    # over this run (a resumed backfill counts from where it resumed)
    rows_per_second: float
    # seconds left at that rate (None before the rate is known)
    eta: float | None = None

    @property
    def percent(self) -> float:
        """Share of the rows done, 0-100."""
        return (
            100.0 if self.rows_total <= 0 else min(100.0, 100.0 * self.rows_done / self.rows_total)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BackfillDeferred(Event):
    """`migrate --no-backfill` stopped before a backfill step (`schema-studio backfill` runs it)."""

    version: str
    name: str
    index: int


@dataclass(frozen=True, slots=True)
class Standby:
    """A standby streaming from the target, as the throttle last saw it (`studio.run.replicas`)."""

    # its walreceiver's application_name (its cluster_name, or `walreceiver`) @ client address
    name: str
    # pg_stat_replication's state, or "disconnected" (seen earlier in the run, gone now)
    state: str
    # seconds behind in replay; None: not known (disconnected)
    lag: float | None
    # WAL bytes written on the target and not yet replayed there (None: not known)
    bytes_behind: int | None = None

    @property
    def disconnected(self) -> bool:
        """Whether the standby is gone from pg_stat_replication since the run saw it."""
        return self.state == "disconnected"

    def describe(self) -> str:
        """`standby replica1@10.0.0.7 12.3 s behind in replay (48 MB)`, or why it is behind."""
        if self.lag is None:
            return (
                f"standby {self.name} {self.state}: counted as behind until it streams again"
                " and catches up"
            )
        if self.lag == 0:
            return f"standby {self.name} caught up"
        lag = f"{self.lag * 1000:.0f} ms" if self.lag < 1 else f"{self.lag:.1f} s"
        behind = f" ({_bytes(self.bytes_behind)})" if self.bytes_behind else ""
        return f"standby {self.name} {lag} behind in replay{behind}"


def _bytes(n: int | None) -> str:
    if n is None:
        return "?"
    for unit, size in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if n >= size:
            return f"{n / size:.0f} {unit}"
    return f"{n} B"


@dataclass(frozen=True, slots=True, kw_only=True)
class BackfillPaused(Event):
    """Backfill batches wait: a standby's replay lag is above max_replica_lag (or it is gone).

    Emitted when the pause begins (`waited` 0) and again at each look while it
    lasts; a `BackfillResumed` ends it. `standby` is the one furthest behind.
    """

    version: str
    index: int
    table: str
    standby: Standby
    # max_replica_lag, and the lag every standby must be under for the batches to resume
    limit: float
    resume_below: float
    waited: float = 0.0
    # standbys watched (those streaming, and those gone since the run saw them)
    standbys: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class BackfillResumed(Event):
    """Every standby is back under half of max_replica_lag: the backfill goes on."""

    version: str
    index: int
    table: str
    # the standby furthest behind now
    standby: Standby | None
    paused_for: float


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitingForAutovacuum(Event):
    """An expand/contract step waits, outside the lock queue, for autovacuum to leave its tables."""

    version: str
    index: int
    tables: tuple[str, ...]
    pids: tuple[int, ...]
    # the longest it will wait before queueing for its lock anyway
    limit: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFinished(Event):
    """Every planned migration ran; `versions` are those applied (or rolled back)."""

    direction: Direction
    versions: tuple[str, ...]
    duration: float


_E = TypeVar("_E", bound=Event)
_Handler = Callable[[Any, _E], None]


def on(*kinds: type[Event]) -> Callable[[_Handler[_E]], _Handler[_E]]:
    """Mark a method of an `EventHandler` as the one that handles events of `kinds`."""

    def mark(method: _Handler[_E]) -> _Handler[_E]:
        method._handles = kinds  # type: ignore[attr-defined]
        return method

    return mark


class EventHandler:
    """A consumer of runner events: one method per kind of event it draws, found by a table.

    The CLI's progress printer and the studio's apply screen are both one of
    these: each marks its methods with `@on(StepStarted)` and so on, and
    `handle(event)` calls the method for the event's class. Events a
    consumer has no method for are ignored. The table is built once per
    class, from the class and its bases (a subclass's method wins).
    """

    _handlers: ClassVar[dict[type[Event], str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table: dict[type[Event], str] = {}
        for klass in reversed(cls.__mro__):
            for name, member in vars(klass).items():
                for kind in getattr(member, "_handles", ()):
                    table[kind] = name
        cls._handlers = table

    def handle(self, event: Event) -> None:
        """Call the method marked for `event`'s class, if any."""
        name = self._handlers.get(type(event))
        if name is not None:
            getattr(self, name)(event)


def to_dict(event: Event) -> dict[str, Any]:
    """The event as JSON-ready data: `{"event": "StepFinished", ...fields}`."""
    data: dict[str, Any] = {"event": type(event).__name__}
    data.update(dataclasses.asdict(event))
    return data


async def emit(sink: EventSink | None, event: Event) -> None:
    """Hand `event` to `sink`, awaiting it when it is async."""
    if sink is None:
        return
    result = sink(event)
    if inspect.isawaitable(result):
        await result


async def stream(run: Callable[[EventSink], Awaitable[object]]) -> AsyncIterator[Event]:
    """Run `run(sink)` and yield the events it emits; its exception, if any, is raised at the end.

    Example: ``async for ev in stream(lambda sink: apply(url, settings, ms, on_event=sink))``.
    """
    queue: asyncio.Queue[Event | None] = asyncio.Queue()
    task = asyncio.ensure_future(run(queue.put_nowait))
    task.add_done_callback(lambda _: queue.put_nowait(None))
    try:
        while (event := await queue.get()) is not None:
            yield event
        task.result()
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
