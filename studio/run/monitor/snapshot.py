"""What the lock monitor sees: sessions, waits, blockers and chains, as frozen values."""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Lock modes from weakest to strongest (PostgreSQL's conflict table order).
LOCK_MODES = (
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
)


@dataclass(frozen=True, slots=True)
class Session:
    """A backend taking part in a wait: what it is, who runs it, what it does."""

    pid: int
    application: str = ""
    user: str | None = None
    # "addr:port", "local" (Unix socket), or None for a background process
    client: str | None = None
    database: str | None = None
    # None when the backend is gone or is a prepared transaction (pid 0)
    state: str | None = None
    query: str = ""
    # seconds since its transaction started (None outside a transaction)
    xact_age: float | None = None
    backend_type: str | None = None

    @property
    def label(self) -> str:
        """`pid 123 (app)`, for messages."""
        if self.pid == 0:
            return "a prepared transaction"
        return f"pid {self.pid}" + (f" ({self.application})" if self.application else "")


@dataclass(frozen=True, slots=True)
class LockTarget:
    """What a backend waits for: a relation, a transaction, a tuple, an advisory lock, ..."""

    # pg_locks.locktype
    kind: str
    # human description: `public.orders`, `transaction 1234`, `advisory lock 42`, ...
    description: str
    # qualified relation name, for relation, tuple, page and extend locks in this database
    relation: str | None = None

    def __str__(self) -> str:
        return self.description


@dataclass(frozen=True, slots=True)
class Blocker:
    """A session that blocks a wait, and how: holding a conflicting lock or queued ahead."""

    session: Session
    # lock modes on the waited-for object, strongest first: held when `granted`,
    # else requested by a session queued ahead of the waiter
    modes: tuple[str, ...] = ()
    granted: bool = True
    # the blocker itself waits on a lock (so it is not the root of its chain)
    waiting: bool = False

    @property
    def mode(self) -> str | None:
        """The strongest mode involved, if known."""
        return self.modes[0] if self.modes else None


@dataclass(frozen=True, slots=True)
class Wait:
    """A backend waiting for a heavyweight lock, with the sessions blocking it."""

    session: Session
    mode: str
    target: LockTarget
    # seconds it has waited for this lock, when the snapshot was taken
    waited: float
    since: datetime | None
    blockers: tuple[Blocker, ...]

    @property
    def pid(self) -> int:
        """The waiting backend's pid."""
        return self.session.pid

    @property
    def blocker_pids(self) -> tuple[int, ...]:
        """The pids of the blocking sessions."""
        return tuple(b.session.pid for b in self.blockers)


@dataclass(frozen=True, slots=True)
class Chain:
    """A connected group of waits and the sessions at its root."""

    # blockers that wait on nobody: the sessions to look at. Empty for a cycle
    # (a deadlock PostgreSQL has not broken yet: it checks after deadlock_timeout).
    roots: tuple[Session, ...]
    # waits from the root outwards (level by level), each once
    waits: tuple[Wait, ...]
    # levels of sessions, root included: holder -> DDL -> SELECT behind the DDL is 3
    depth: int

    @property
    def cycle(self) -> bool:
        """True when every session of the chain waits (a deadlock in the making)."""
        return not self.roots

    @property
    def longest_wait(self) -> float:
        """The longest time any session of the chain has waited, in seconds."""
        return max((w.waited for w in self.waits), default=0.0)

    def blocked_by(self, pid: int) -> tuple[Wait, ...]:
        """The waits `pid` blocks directly (its children when drawn as a tree)."""
        return tuple(w for w in self.waits if pid in w.blocker_pids)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The waits seen by one poll, or a gap while the monitor reconnects."""

    taken_at: datetime
    waits: tuple[Wait, ...] = ()
    chains: tuple[Chain, ...] = ()
    # True: nothing could be read (connection lost, reconnecting); `error` says why
    gap: bool = False
    error: str | None = None

    def wait_of(self, pid: int) -> Wait | None:
        """The wait of backend `pid`, if it waits."""
        return next((w for w in self.waits if w.pid == pid), None)

    def queued_behind(self, pid: int) -> tuple[Wait, ...]:
        """Every wait `pid` holds up, directly or through other waiters."""
        seen: set[int] = set()
        todo = deque([pid])
        out: list[Wait] = []
        while todo:
            p = todo.popleft()
            for w in self.waits:
                if p in w.blocker_pids and w.pid not in seen and w.pid != pid:
                    seen.add(w.pid)
                    out.append(w)
                    todo.append(w.pid)
        return tuple(out)

    @property
    def shape(self) -> tuple[object, ...]:
        """What changes when the picture changes: who waits on whom, in which mode, on what.

        Durations and query texts are left out, so two polls of the same
        situation have the same shape.
        """
        return (
            self.gap,
            self.error,
            tuple(
                (
                    w.pid,
                    w.mode,
                    w.target.description,
                    tuple((b.session.pid, b.modes, b.granted) for b in w.blockers),
                )
                for w in self.waits
            ),
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (times in ISO 8601, durations in seconds)."""
        out = _jsonable(self)
        assert isinstance(out, dict)
        return out


def _jsonable(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value
