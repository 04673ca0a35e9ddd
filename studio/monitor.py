"""The lock-wait stream: who waits on whom, for how long, on what, in which mode.

`watch()` polls one dedicated, read-only connection with one query
(`queries/monitor.sql`: pg_stat_activity x pg_locks x pg_blocking_pids(),
reading only waiters and their blockers) and yields a `Snapshot` per poll.
Waits are grouped into blocking chains rooted at the sessions that hold
everyone up while waiting on nobody. A dropped connection does not end the
stream: it yields gap snapshots while it reconnects with backoff.

The monitor needs PostgreSQL 14 or later (pg_locks.waitstart).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg

from studio import db, queries
from studio.errors import ConnectionFailed, StudioError, UsageError, translate
from studio.model import qualname

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Iterable, Mapping

APPLICATION_NAME = "schema-studio monitor"
DEFAULT_INTERVAL = 0.25
MIN_SERVER_VERSION = 140000
QUERY_CHARS = 200
MAX_BACKOFF = 5.0

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

# Errors after which the monitor's connection is gone (terminated backend,
# server restart, network): reconnect. Anything else is a real error.
_CONNECTION_LOST = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.AdminShutdownError,  # pg_terminate_backend(), smart/fast shutdown
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,  # "connection is closed"
    OSError,
    TimeoutError,
)


# --- values -----------------------------------------------------------------


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


# --- polling ----------------------------------------------------------------


async def open_connection(
    url: str, *, timeout: float = 10.0, interval: float = DEFAULT_INTERVAL
) -> asyncpg.Connection:
    """The monitor's own connection: read-only, named, bounded so it never hangs or queues."""
    conn = await db.connect(url, timeout=timeout, application_name=APPLICATION_NAME, read_only=True)
    try:
        _check_version(conn)
        # The monitor's query reads catalogs only; it must never wait behind
        # the locks it watches. A generic plan spares re-planning every poll.
        await conn.execute(
            f"SET lock_timeout = {int(max(1.0, interval) * 1000)};"
            f"SET statement_timeout = {int(_query_timeout(interval) * 1000)};"
            "SET plan_cache_mode = force_generic_plan"
        )
    except BaseException:
        conn.terminate()
        raise
    return conn


async def sample(conn: asyncpg.Connection, *, all_databases: bool = False) -> Snapshot:
    """One snapshot of the lock waits seen from `conn` (its database, or the whole server)."""
    _check_version(conn)
    with translate("lock monitor"):
        if conn.is_in_transaction():
            # pg_stat_activity is read once per transaction: make this read fresh
            await conn.execute("SELECT pg_stat_clear_snapshot()")
        return await _sample(conn, all_databases, timeout=None)


async def watch(
    target: str | asyncpg.Connection,
    *,
    interval: float = DEFAULT_INTERVAL,
    all_databases: bool = False,
    connect_timeout: float = 10.0,
) -> AsyncGenerator[Snapshot, None]:
    """Yield a snapshot every `interval` seconds, for as long as the caller iterates.

    `target` is a URL (the monitor opens, and reopens, its own connection) or
    an open connection (the caller's: used as is, never closed; losing it
    ends the stream with `ConnectionFailed`). After a drop, the stream yields
    a gap snapshot per reconnection attempt (backoff up to 5 s), then goes on.
    Close the generator (`contextlib.aclosing`) to release the connection.

    Raises:
        ConnectionFailed: the first connection cannot be opened.
        UsageError: the interval is not positive.
    """
    if not interval > 0:
        raise UsageError(f"the polling interval must be positive, not {interval}")
    url = target if isinstance(target, str) else None
    conn: asyncpg.Connection
    conn = await open_connection(url, timeout=connect_timeout, interval=interval) if url else target
    if url is None:
        _check_version(conn)
    loop = asyncio.get_running_loop()
    try:
        while True:
            started = loop.time()
            try:
                yield await _sample(conn, all_databases, timeout=_query_timeout(interval))
            except asyncpg.QueryCanceledError:
                pass  # someone cancelled this poll (pg_cancel_backend): the connection is fine
            except _CONNECTION_LOST as e:
                reason = _reason(e)
                if url is None:
                    raise ConnectionFailed(f"lock monitor connection lost: {reason}") from None
                conn.terminate()
                yield _gap(f"monitor connection lost: {reason}; reconnecting")
                delay = interval
                while True:
                    await asyncio.sleep(delay)
                    try:
                        conn = await open_connection(
                            url, timeout=connect_timeout, interval=interval
                        )
                        break
                    except ConnectionFailed as e2:
                        delay = min(delay * 2, MAX_BACKOFF)
                        yield _gap(f"reconnecting: {e2.message}; next attempt in {delay:g}s")
                continue
            except asyncpg.PostgresError:
                with translate("lock monitor"):
                    raise
            await asyncio.sleep(max(0.0, interval - (loop.time() - started)))
    finally:
        if url is not None:
            await _close(conn)


async def _close(conn: asyncpg.Connection) -> None:
    """Close politely (the server logs no broken connection), or drop the socket."""
    if conn.is_closed():
        return
    try:
        await asyncio.wait_for(conn.close(), 1.0)
    except (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresError):
        conn.terminate()
    except asyncio.CancelledError:
        conn.terminate()
        raise


def _check_version(conn: asyncpg.Connection) -> None:
    v = conn.get_server_version()
    num = v.major * 10000 + v.minor
    if num < MIN_SERVER_VERSION:
        raise StudioError(
            f"the lock monitor needs PostgreSQL 14 or later (server is {v.major})",
            "pg_locks.waitstart, which tells how long a session has waited, appeared in 14",
        )


def _query_timeout(interval: float) -> float:
    return max(5.0, 4 * interval)


def _reason(e: BaseException) -> str:
    text = str(e).splitlines()[0] if str(e) else ""
    return text or e.__class__.__name__


def _gap(error: str) -> Snapshot:
    return Snapshot(taken_at=datetime.now(UTC), gap=True, error=error)


async def _sample(conn: asyncpg.Connection, all_databases: bool, timeout: float | None) -> Snapshot:
    rows = await conn.fetch(queries.get("monitor"), all_databases, timeout=timeout)
    return build_snapshot(rows, datetime.now(UTC))


# --- rows -> snapshot -----------------------------------------------------------


def build_snapshot(rows: Iterable[Mapping[str, Any]], taken_at: datetime) -> Snapshot:
    """Group the monitor query's (waiter, blocker) rows into waits and chains."""
    by_pid: dict[int, list[Mapping[str, Any]]] = {}
    for r in rows:
        by_pid.setdefault(r["pid"], []).append(r)
    waits = tuple(_wait(group) for _, group in sorted(by_pid.items()))
    return Snapshot(taken_at=taken_at, waits=waits, chains=_chains(waits))


def _wait(rows: list[Mapping[str, Any]]) -> Wait:
    r = rows[0]
    return Wait(
        session=_session(r, ""),
        mode=r["mode"],
        target=_target(r),
        waited=_seconds(r["waited"]) or 0.0,
        since=r["wait_start"],
        blockers=tuple(_blocker(b) for b in rows),
    )


def _blocker(r: Mapping[str, Any]) -> Blocker:
    granted, queued = r["blocker_granted_modes"] or [], r["blocker_queued_modes"] or []
    modes = granted or queued
    return Blocker(
        session=_session(r, "blocker_"),
        modes=tuple(sorted(modes, key=_strength, reverse=True)),
        granted=bool(granted) or not queued,
        waiting=bool(r["blocker_waiting"]),
    )


def _session(r: Mapping[str, Any], prefix: str) -> Session:
    pid = r[f"{prefix}pid"]
    if pid == 0:
        return Session(pid=0, backend_type="prepared transaction")
    addr, port = r[f"{prefix}client_addr"], r[f"{prefix}client_port"]
    if addr is not None:
        client: str | None = f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"
    else:
        client = "local" if port == -1 else None
    return Session(
        pid=pid,
        application=r[f"{prefix}application_name"] or "",
        user=r[f"{prefix}usename"],
        client=client,
        database=r[f"{prefix}datname"],
        state=r[f"{prefix}state"],
        query=trim_query(r[f"{prefix}query"] or ""),
        xact_age=_seconds(r[f"{prefix}xact_age"]),
        backend_type=r[f"{prefix}backend_type"],
    )


def _target(r: Mapping[str, Any]) -> LockTarget:
    kind = r["locktype"]
    rel: str | None = None
    if r["rel_name"] is not None:
        rel = qualname(r["rel_schema"], r["rel_name"])
    rel_text = rel or (f"relation {r['relation']}" if r["relation"] is not None else "")
    if not r["lock_here"] and r["relation"] is not None:
        rel_text += f" in database {r['lock_datid']}"
    match kind:
        case "relation":
            text = rel_text
        case "extend":
            text = f"extension of {rel_text}"
        case "page":
            text = f"page {r['page']} of {rel_text}"
        case "tuple":
            text = f"tuple ({r['page']},{r['tuple']}) of {rel_text}"
        case "transactionid":
            text = f"transaction {r['transactionid']}"
        case "virtualxid":
            text = f"virtual transaction {r['virtualxid']}"
        case "object":
            text = r["object"] or f"object {r['classid']}/{r['objid']}/{r['objsubid']}"
        case "advisory":
            text = "advisory lock " + _advisory_key(r["classid"], r["objid"], r["objsubid"])
        case _:
            text = kind
    return LockTarget(kind=kind, description=text, relation=rel)


def _advisory_key(classid: int, objid: int, objsubid: int) -> str:
    # pg_advisory_lock(bigint) splits the key over classid (high) and objid
    # (low) with objsubid 1; the (int4, int4) form uses objsubid 2.
    if objsubid == 2:
        return f"({_int4(classid)}, {_int4(objid)})"
    key = (classid << 32) | objid
    return str(key - (1 << 64) if key >= 1 << 63 else key)


def _int4(v: int) -> int:
    return v - (1 << 32) if v >= 1 << 31 else v


def _strength(mode: str) -> int:
    return LOCK_MODES.index(mode) if mode in LOCK_MODES else -1


def _seconds(d: timedelta | None) -> float | None:
    return None if d is None else max(0.0, d.total_seconds())


_WS = re.compile(r"\s+")


def trim_query(query: str, limit: int = QUERY_CHARS) -> str:
    """A query on one line, cut to `limit` characters (an ellipsis marks the cut)."""
    text = _WS.sub(" ", query).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _chains(waits: tuple[Wait, ...]) -> tuple[Chain, ...]:
    """Connected groups of waits, each with its roots and its waits level by level."""
    by_pid = {w.pid: w for w in waits}
    # union-find over waiter and blocker pids
    parent: dict[int, int] = {}

    def find(p: int) -> int:
        parent.setdefault(p, p)
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    for w in waits:
        for b in w.blockers:
            parent[find(w.pid)] = find(b.session.pid)
    groups: dict[int, list[Wait]] = {}
    for w in waits:
        groups.setdefault(find(w.pid), []).append(w)

    chains = []
    for members in groups.values():
        roots: dict[int, Session] = {}
        for w in members:
            for b in w.blockers:
                if b.session.pid not in by_pid:
                    roots.setdefault(b.session.pid, b.session)
        ordered, depth = _levels(members, set(roots))
        chains.append(
            Chain(roots=tuple(roots[p] for p in sorted(roots)), waits=ordered, depth=depth)
        )
    chains.sort(key=lambda c: (-c.longest_wait, min(w.pid for w in c.waits)))
    return tuple(chains)


def _levels(members: list[Wait], roots: set[int]) -> tuple[tuple[Wait, ...], int]:
    """Waits ordered breadth-first from the roots, and the chain's depth in sessions."""
    placed: set[int] = set()
    frontier = set(roots)
    ordered: list[Wait] = []
    depth = 1 if roots else 0
    while True:
        level = sorted(
            (w for w in members if w.pid not in placed and frontier & set(w.blocker_pids)),
            key=lambda w: w.pid,
        )
        if not level:
            break
        ordered += level
        placed |= {w.pid for w in level}
        frontier = {w.pid for w in level}
        depth += 1
    # a cycle, or waits only reachable through one: append them as they are
    rest = sorted((w for w in members if w.pid not in placed), key=lambda w: w.pid)
    if rest and not roots:
        depth = len(rest)
    return tuple(ordered + rest), depth
