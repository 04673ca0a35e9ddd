"""Shared by the diff tests against real PostgreSQL: build, introspect, diff, apply.

Paired-test shape: the old schema as SQL in one fresh database, the new one in
another, both introspected; diff; apply the changes to the old database; its
introspection must equal the new schema.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import re
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

import asyncpg

from studio.catalog.introspect import introspect
from studio.diff import diff, parse_rename
from studio.diff.order import steps
from studio.sources.devdb.binaries import available_servers

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from studio.model import Schema
    from studio.model.changes import Change
    from studio.sources.devdb.cluster import Cluster


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
    # `pg_dump --schema-only` of the target and of the migrated database, normalized
    new_dump: list[str] = field(default_factory=list)
    applied_dump: list[str] = field(default_factory=list)


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
        new_dump = await schema_dump(pg, new_conn, with_privileges=with_privileges)
    hints = [parse_rename(r, old, new) for r in renames]
    version = int(await old_conn.fetchval("SHOW server_version_num"))
    changes = diff(old, new, hints, with_privileges=with_privileges, server_version=version)
    await apply(old_conn, changes)
    applied = await introspect(old_conn, with_privileges=with_privileges)
    applied_dump = await schema_dump(pg, old_conn, with_privileges=with_privileges)
    return Result(old, new, changes, applied, new_dump, applied_dump)


def _pg_dump() -> str:
    """The newest pg_dump the machine has (the embedded server's): it dumps every older server."""
    servers = [b for b in available_servers() if (b.bindir / "pg_dump").is_file()]
    return str(max(servers, key=lambda b: b.major).bindir / "pg_dump")


# What pg_dump writes that says nothing of the schema: settings, comments, psql's \restrict
_NOISE = re.compile(r"^(--.*|SET .*|SELECT pg_catalog\.set_config\(.*|\\(un)?restrict .*|)$")


async def schema_dump(pg: Cluster, conn: asyncpg.Connection, *, with_privileges: bool) -> list[str]:
    """`pg_dump --schema-only` of the connection's database as sorted statements.

    Columns in a CREATE TABLE are sorted too: a column added by a migration
    comes last, and no ALTER can move it, so physical order is not compared
    (the model does not compare it either).
    """
    name = await conn.fetchval("SELECT current_database()")
    argv = [
        _pg_dump(),
        "--schema-only",
        "--no-owner",
        "-h",
        pg.host,
        "-p",
        str(pg.port),
        "-U",
        pg.user,
    ]
    argv += [] if with_privileges else ["--no-privileges"]
    proc = await asyncio.create_subprocess_exec(
        *argv, name, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    lines = [ln for ln in out.decode().splitlines() if not _NOISE.match(ln)]
    return sorted(_normalized(st) for st in "\n".join(lines).split(";\n") if st.strip())


def _normalized(statement: str) -> str:
    # storage parameters are a set: PostgreSQL keeps them in the order last written
    statement = re.sub(
        r"WITH \(([^()]*)\)",
        lambda m: "WITH (" + ", ".join(sorted(m[1].split(", "))) + ")",
        statement,
    )
    head, sep, rest = statement.partition(" (\n")
    if not sep or not re.match(r"CREATE (UNLOGGED )?TABLE ", head):
        return statement.strip()
    body, close, tail = rest.rpartition("\n)")
    items = sorted(line.strip().rstrip(",") for line in body.splitlines())
    return f"{head} (\n    " + ",\n    ".join(items) + close + tail


def dump_differences(got: list[str], want: list[str]) -> str:
    """What pg_dump shows differently, as a unified diff of the sorted statements."""
    return "\n".join(difflib.unified_diff(want, got, "target", "migrated", lineterm="", n=0))


def assert_converged(result: Result) -> None:
    """The migrated database introspects equal to the target, and a second diff is empty."""
    assert result.applied == result.new, differences(result.applied, result.new)
    assert diff(result.applied, result.new) == []
    assert diff(result.new, result.new) == []
    assert result.applied_dump == result.new_dump, (
        "pg_dump --schema-only differs:\n" + dump_differences(result.applied_dump, result.new_dump)
    )
