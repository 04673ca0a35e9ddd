"""Shared by the diff tests against real PostgreSQL: build, introspect, diff, apply.

Paired-test shape: the old schema as SQL in one fresh database, the new one in
another, both introspected; diff; apply the changes to the old database; its
introspection must equal the new schema.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import asyncpg

from studio.diff import diff, parse_rename
from studio.introspect import introspect
from studio.order import steps

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from studio.changes import Change
    from studio.devdb import Cluster
    from studio.model import Schema


async def connect(url: str) -> asyncpg.Connection:
    """A connection to a test database by URL."""
    return await asyncpg.connect(url, ssl=False)


@contextlib.asynccontextmanager
async def database(
    pg: Cluster, sql: str = "", prefix: str = "diff"
) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a fresh database of `pg` holding `sql`, dropped afterwards."""
    async with pg.throwaway(prefix) as url:
        conn = await connect(url)
        try:
            if sql.strip():
                await conn.execute(sql)
            yield conn
        finally:
            await conn.close()


async def apply(conn: asyncpg.Connection, changes: Sequence[Change]) -> None:
    """Run changes as the runner would: one transaction per run, CONCURRENTLY ones alone."""
    for transactional, run in steps(changes):
        statements = [s for c in run for s in c.sql()]
        if transactional:
            async with conn.transaction():
                for s in statements:
                    await conn.execute(s)
        else:
            for s in statements:
                await conn.execute(s)


def differences(got: Schema, want: Schema) -> str:
    """A readable account of where two schemas differ (for assertion messages)."""
    lines = []
    for f in fields(want):
        a, b = getattr(got, f.name), getattr(want, f.name)
        if a == b:
            continue
        if isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                if a.get(k) != b.get(k):
                    lines.append(f"{f.name}[{k}]:\n  got  {a.get(k)}\n  want {b.get(k)}")
        else:
            lines.append(f"{f.name}:\n  got  {a}\n  want {b}")
    return "\n".join(lines)


@dataclass
class Result:
    """What a paired run produced."""

    old: Schema
    new: Schema
    changes: list[Change]
    applied: Schema


async def paired(
    old_conn: asyncpg.Connection,
    pg: Cluster,
    after_sql: str,
    renames: Sequence[str] = (),
    *,
    with_privileges: bool = False,
) -> Result:
    """Diff the database behind `old_conn` against `after_sql` built fresh; apply; re-introspect."""
    old = await introspect(old_conn, with_privileges=with_privileges)
    async with database(pg, after_sql, "target") as new_conn:
        new = await introspect(new_conn, with_privileges=with_privileges)
    hints = [parse_rename(r, old, new) for r in renames]
    version = int(await old_conn.fetchval("SHOW server_version_num"))
    changes = diff(old, new, hints, with_privileges=with_privileges, server_version=version)
    await apply(old_conn, changes)
    applied = await introspect(old_conn, with_privileges=with_privileges)
    return Result(old, new, changes, applied)


def assert_converged(result: Result) -> None:
    """The migrated database introspects equal to the target, and a second diff is empty."""
    assert result.applied == result.new, differences(result.applied, result.new)
    assert diff(result.applied, result.new) == []
    assert diff(result.new, result.new) == []
