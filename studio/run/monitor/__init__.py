"""The lock-wait stream: who waits on whom, for how long, on what, in which mode.

`watch()` polls one dedicated, read-only connection with one query
(`queries/monitor.sql`: pg_stat_activity x pg_locks x pg_blocking_pids(),
reading only waiters and their blockers) and yields a `Snapshot` per poll.
Waits are grouped into blocking chains rooted at the sessions that hold
everyone up while waiting on nobody (`build`). A dropped connection does not
end the stream: it yields gap snapshots while it reconnects with backoff.

The monitor needs PostgreSQL 14 or later (pg_locks.waitstart).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import asyncpg

from studio.catalog import connect as db
from studio.catalog import queries
from studio.errors import ConnectionFailed, StudioError, UsageError, translate
from studio.run.monitor.build import build_snapshot, trim_query
from studio.run.monitor.snapshot import (
    LOCK_MODES,
    Blocker,
    Chain,
    LockTarget,
    Session,
    Snapshot,
    Wait,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

__all__ = [
    "APPLICATION_NAME",
    "DEFAULT_INTERVAL",
    "LOCK_MODES",
    "Blocker",
    "Chain",
    "LockTarget",
    "Session",
    "Snapshot",
    "Wait",
    "build_snapshot",
    "open_connection",
    "sample",
    "trim_query",
    "watch",
]

APPLICATION_NAME = "schema-studio monitor"
DEFAULT_INTERVAL = 0.25
MIN_SERVER_VERSION = 140000
MAX_BACKOFF = 5.0

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
