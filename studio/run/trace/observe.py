"""Run one statement and read, from pg_locks, the relation locks its own backend took.

- A statement that can run in a transaction runs in one of its own; before
  it commits, the same backend reads its own rows of pg_locks: every lock the
  statement took is still held then (relation locks are kept until the end of
  the transaction), so the observation is complete.
- A statement that cannot (CREATE INDEX CONCURRENTLY, VACUUM, ...) commits
  on its own: a second connection polls pg_locks for its backend while it
  runs. To catch it mid-flight, a third connection holds ROW EXCLUSIVE on
  its table in an open transaction; the concurrent forms wait for such
  transactions after taking their own lock, so the observer reads the locks
  while the statement waits, then lets it go. What a statement locks after
  that moment (DROP INDEX CONCURRENTLY's final ACCESS EXCLUSIVE on the index)
  is not seen.

Only in a throwaway database: the statement really runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import asyncpg

from studio.catalog import connect as db
from studio.catalog import queries
from studio.plan.locks.modes import LockMode
from studio.run.trace.compare import How, Observation, Relation

POLL = 0.005  # seconds between two reads of pg_locks while a statement runs
STALL_WAIT = 30.0  # seconds to wait for a non-transactional statement to show its locks


@dataclass(frozen=True, slots=True)
class _Rel:
    oid: int
    name: str
    kind: str
    filenode: int
    table_oid: int | None


async def _relations(conn: asyncpg.Connection) -> dict[int, _Rel]:
    rows = await conn.fetch(queries.get("trace_relations"))
    return {
        r["oid"]: _Rel(r["oid"], r["name"], r["kind"], r["filenode"], r["table_oid"]) for r in rows
    }


def _named(rels: Mapping[int, _Rel]) -> dict[str, Relation]:
    out = {}
    for r in rels.values():
        table = rels.get(r.table_oid) if r.table_oid is not None else None
        out[r.name] = Relation(r.name, r.kind, r.filenode, table.name if table else None)
    return out


async def _locks(conn: asyncpg.Connection, pid: int) -> list[tuple[int, LockMode]]:
    return [
        (r["oid"], LockMode.from_pg(r["mode"]))
        for r in await conn.fetch(queries.get("trace_locks"), pid)
        if r["mode"] in _PG_MODES
    ]


_PG_MODES = frozenset(m.pg_name for m in LockMode)


def _observation(
    how: How,
    held: Iterable[tuple[int, LockMode]],
    before: dict[int, _Rel],
    during: dict[int, _Rel],
    after: dict[int, _Rel],
) -> Observation:
    locks: dict[str, set[LockMode]] = {}
    for oid, mode in held:
        rel = before.get(oid) or during.get(oid)
        if rel is not None:  # a system catalog otherwise
            locks.setdefault(rel.name, set()).add(mode)
    rewritten = frozenset(
        r.name
        for oid, r in before.items()
        if r.kind in ("r", "m") and oid in after and after[oid].filenode != r.filenode
    )
    return Observation(
        how,
        {rel: frozenset(modes) for rel, modes in locks.items()},
        _named(before),
        rewritten,
        frozenset(r.name for oid, r in before.items() if oid in after),
    )


async def in_transaction(conn: asyncpg.Connection, sql: str) -> Observation:
    """Run `sql` in a transaction of its own and read its backend's locks before the commit."""
    before = await _relations(conn)
    async with conn.transaction():
        await conn.execute(sql)
        held = await _locks(conn, conn.get_server_pid())
        during = await _relations(conn)
    after = await _relations(conn)
    return _observation(How.IN_TRANSACTION, held, before, during, after)


async def while_running(
    conn: asyncpg.Connection, url: str, sql: str, tables: Iterable[str], *, wait: float = STALL_WAIT
) -> Observation:
    """Run `sql` (outside a transaction) and read its locks from a second connection meanwhile.

    The first of `tables` that exists as a table is held in ROW EXCLUSIVE by a
    third connection until the statement is seen waiting (or `wait` seconds).
    """
    observer = await db.connect(url)
    blocker: asyncpg.Connection | None = None
    try:
        before = await _relations(observer)
        by_name = {r.name: r for r in before.values()}
        table = next((t for t in tables if t in by_name and by_name[t].kind in ("r", "p")), None)
        if table is not None:
            blocker = await db.connect(url)
            await blocker.execute("BEGIN")
            await blocker.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")
        pid = conn.get_server_pid()
        task = asyncio.ensure_future(conn.execute(sql))
        held: set[tuple[int, LockMode]] = set()
        waited = False
        deadline = time.monotonic() + wait
        try:
            while not task.done() and time.monotonic() < deadline:
                held.update(await _locks(observer, pid))
                state = await observer.fetchval(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid
                )
                if state == "Lock" and held:
                    held.update(await _locks(observer, pid))
                    waited = True
                    break
                await asyncio.sleep(POLL)
        finally:
            if blocker is not None:
                with contextlib.suppress(asyncpg.PostgresError):
                    await blocker.execute("ROLLBACK")
        await task
        after = await _relations(observer)
    finally:
        if blocker is not None:
            await blocker.close()
        await observer.close()
    how = How.WHILE_WAITING if waited else How.WHILE_RUNNING
    return _observation(how, held, before, {}, after)
