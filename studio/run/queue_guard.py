"""The lock-queue guard: the migrator cancels its own statement before the application piles up.

PostgreSQL grants locks in arrival order, so while a step waits for, say,
ACCESS EXCLUSIVE on a table, every session that wants any lock on that table
queues behind the step, and the application stalls for as long as the step
waits. lock_timeout bounds that wait, but some steps run with a long one. The
guard watches the migrator's backend with the lock monitor while a statement
runs: once the statement has waited for its lock longer than `queue_guard`
seconds while other sessions queue behind it, the guard cancels it
(pg_cancel_backend, from the monitor's connection) and the executor retries
the step later, naming the session that held the lock.

The monitor's connection is opened as the run starts (the first step's
attempts may then wait the whole `lock_timeout`); a statement that finishes
within the grace period costs no poll, and the monitor polls only while a
statement runs (every `queue_guard / 2`,
slower once the statement has held its locks for a second).

While the guard watches (its connection open, its last poll fine), the
executor lets an attempt wait its whole `lock_timeout`: a wait nobody queues
behind costs the application nothing, so a blocker on a quiet table is
waited out instead of retried. Until then, and when the guard is lost, the
attempt's own lock_timeout is `queue_guard` (`studio.config.attempt_lock_timeout`).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

from studio.errors import StudioError
from studio.run import monitor
from studio.run.events import Blocker

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from studio.run.monitor import Snapshot, Wait

# Cancel only a statement that still waits for a lock: the snapshot may be a
# poll old, and a statement that got its lock meanwhile must not be cancelled.
_CANCEL_IF_WAITING = """
SELECT pg_cancel_backend(pid) FROM pg_stat_activity
WHERE pid = $1 AND wait_event_type = 'Lock'
"""


@dataclass(frozen=True, slots=True)
class Trip:
    """Why the guard cancelled a statement: its wait and the sessions queued behind it."""

    wait: Wait
    queued: tuple[Wait, ...]
    # seconds between the snapshot and the cancel (the guard slept to the limit): added to
    # every wait and age the snapshot read
    later: float = 0.0

    @property
    def waited(self) -> float:
        """How long the statement had waited when it was cancelled, in seconds."""
        return self.wait.waited + self.later

    @property
    def blockers(self) -> tuple[Blocker, ...]:
        """The sessions that held the migration up, as event values."""
        return tuple(blocker_event(b, self.wait, self.later) for b in self.wait.blockers)

    @property
    def queued_longest(self) -> float:
        """The longest wait among the sessions queued behind the statement, in seconds."""
        return max((w.waited + self.later for w in self.queued), default=0.0)


def blocker_event(b: monitor.Blocker, wait: Wait, later: float = 0.0) -> Blocker:
    """A monitor blocker as the runner's event value (its age `later` seconds on)."""
    s = b.session
    return Blocker(
        pid=s.pid,
        application_name=s.application,
        user=s.user or "",
        client=s.client or "",
        state=s.state or "",
        query=s.query,
        age=None if s.xact_age is None else s.xact_age + later,
        modes=", ".join(b.modes) if b.granted else "",
        relation=wait.target.description,
    )


class Watch:
    """One guarded statement: its backend and, once the guard cancelled it, why."""

    __slots__ = ("pid", "started", "trip")

    def __init__(self, pid: int, started: float) -> None:
        self.pid = pid
        self.started = started
        self.trip: Trip | None = None


class QueueGuard:
    """Watches the migrator's statements on a monitor connection of its own.

    Cancels them when they queue others.
    """

    def __init__(
        self,
        url: str,
        *,
        limit: float,
        interval: float = monitor.DEFAULT_INTERVAL,
        connect_timeout: float = 10.0,
    ) -> None:
        self.url, self.limit, self.connect_timeout = url, limit, connect_timeout
        self.interval = min(interval, limit / 2)
        # a statement done within this never reaches the monitor
        self.grace = min(limit / 2, 0.5)
        # why the guard is not watching (PostgreSQL < 14, no connection), if so
        self.error: str | None = None
        self._current: Watch | None = None
        self._armed = asyncio.Event()
        # set once the first connection and snapshot were tried (answered, or failed)
        self._started = asyncio.Event()
        self._conn: asyncpg.Connection | None = None
        self._connecting: asyncio.Task[asyncpg.Connection] | None = None
        self._stream: AsyncGenerator[Snapshot, None] | None = None
        self._retry = 1.0

    @classmethod
    @contextlib.asynccontextmanager
    async def running(
        cls,
        url: str,
        *,
        limit: float,
        interval: float = monitor.DEFAULT_INTERVAL,
        connect_timeout: float = 10.0,
    ) -> AsyncIterator[QueueGuard]:
        """A guard whose watcher runs in the background for the duration of the block."""
        guard = cls(url, limit=limit, interval=interval, connect_timeout=connect_timeout)
        task = asyncio.create_task(guard._run(), name="schema-studio queue guard")
        try:
            yield guard
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await guard._disconnect()

    @contextlib.asynccontextmanager
    async def watch(self, conn: asyncpg.Connection) -> AsyncIterator[Watch]:
        """Guard the statement `conn` runs inside the block.

        The `Watch` tells whether it was cancelled.
        """
        w = Watch(conn.get_server_pid(), asyncio.get_running_loop().time())
        self._current = w
        self._armed.set()
        try:
            yield w
        finally:
            self._armed.clear()
            self._current = None

    async def started(self) -> None:
        """Wait until the guard has answered once, or failed to (at most `connect_timeout`), so
        that a run's first attempt waits as a watching guard allows, not cut short by a race."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._started.wait(), self.connect_timeout)

    @property
    def watching(self) -> bool:
        """Whether the guard can cancel a wait now: its connection is open and answered."""
        return self._stream is not None and self.error is None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            # connected before the first step asks for its lock, so that its first attempt may
            # already wait the whole lock_timeout (see `watching`)
            await self._poll()
        except Exception as e:  # noqa: BLE001
            # a safety net, as below: the attempts stay short (queue_guard) without it
            self.error = e.message if isinstance(e, StudioError) else f"{type(e).__name__}: {e}"
            await self._disconnect()
        finally:
            self._started.set()
        while True:
            await self._armed.wait()
            w = self._current
            if w is None:
                continue
            if (early := w.started + self.grace - loop.time()) > 0:
                await asyncio.sleep(early)
                continue
            try:
                snap = await self._poll()
                if w is self._current and w.trip is None:
                    await self._check(w, snap)
                if snap.wait_of(w.pid) is None and loop.time() - w.started > 1.0:
                    # it holds its locks and works (a rewrite, a validation): nobody can
                    # queue behind a wait of it, poll as the lock monitor does
                    await asyncio.sleep(monitor.DEFAULT_INTERVAL)
            except Exception as e:  # noqa: BLE001
                # The guard is a safety net: losing it must not fail the migration
                # (lock_timeout still bounds every wait). Try again a little later.
                self.error = e.message if isinstance(e, StudioError) else f"{type(e).__name__}: {e}"
                await self._disconnect()
                await asyncio.sleep(self._retry)
                self._retry = min(self._retry * 2, 30.0)

    async def _poll(self) -> Snapshot:
        if self._stream is None:
            self._connecting = asyncio.ensure_future(
                monitor.open_connection(
                    self.url, timeout=self.connect_timeout, interval=self.interval
                )
            )
            # shielded: asyncpg cancelled mid-handshake (the run ended meanwhile) leaves a
            # future failing unseen, which asyncio reports on stderr when it is collected
            self._conn = await asyncio.shield(self._connecting)
            self._connecting = None
            self._stream = monitor.watch(self._conn, interval=self.interval)
        snap = await anext(self._stream)
        # a gap: the monitor lost its connection and reconnects; not watching meanwhile
        self.error, self._retry = (snap.error or "no snapshot") if snap.gap else None, 1.0
        return snap

    async def _check(self, w: Watch, snap: Snapshot) -> None:
        wait = snap.wait_of(w.pid)
        if wait is None:
            return
        queued = snap.queued_behind(w.pid)
        if not queued:
            return  # waiting hurts nobody yet: lock_timeout decides
        if (early := self.limit - wait.waited) > 0:
            if early > self.interval:
                return  # the next poll comes first
            # due before the next poll would see it: cancel on time, not a poll late (the
            # cancel itself asks whether it still waits)
            await asyncio.sleep(early)
            if w is not self._current or w.trip is not None:
                return
        w.trip = Trip(wait, queued, max(0.0, early))
        assert self._conn is not None
        try:
            cancelled = await self._conn.fetchval(_CANCEL_IF_WAITING, w.pid)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as e:
            self.error = str(e)
            cancelled = False
        if not cancelled:
            w.trip = None  # it got its lock (or finished) in the meantime

    async def _disconnect(self) -> None:
        if (connecting := self._connecting) is not None:
            self._connecting = None
            # let a connection under way finish (briefly), to close it properly
            done, _ = await asyncio.wait([connecting], timeout=1.0)
            if not done:
                connecting.cancel()
            elif connecting.exception() is None:
                self._conn = connecting.result()
        stream, conn = self._stream, self._conn
        self._stream = self._conn = None
        if stream is not None:
            await stream.aclose()
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), 1.0)
            except (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresError):
                conn.terminate()
