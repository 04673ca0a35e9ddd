"""The bench databases: the N-table schema, its changed copies, and the referee.

- `bench_n<N>`: the synthetic schema (bench/introspect.py makes and keeps it);
- `bench_n<N>_<label>`: the same with a `ChangeSet` applied by plain ALTERs,
  made from `bench_n<N>` as a template and kept like it;
- throwaway copies of `bench_n<N>` to apply a tool's SQL to.

The referee of "the SQL a tool wrote turns the old database into the new
one" is `pg_dump --schema-only` of both, compared as text: neither our
introspector nor a peer's judges itself.
"""

from __future__ import annotations

import contextlib
import difflib
import subprocess
from typing import TYPE_CHECKING

import asyncpg

from bench.introspect import database_name, ensure_database
from studio.model import quote_ident, quote_literal

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from bench.changes import ChangeSet
    from studio.sources.devdb.cluster import Cluster

CHANGED_VERSION = 1  # bumped when bench/changes.py changes what a label holds


def changed_name(cs: ChangeSet) -> str:
    """The database holding the N-table schema with `cs` applied."""
    return f"{database_name(cs.n)}_{cs.label}"


async def _note(cluster: Cluster, name: str) -> str | None:
    admin = await cluster.connect()
    try:
        return await admin.fetchval(
            "SELECT pg_catalog.shobj_description(oid, 'pg_database')"
            " FROM pg_catalog.pg_database WHERE datname = $1",
            name,
        )
    finally:
        await admin.close()


async def ensure_changed(cluster: Cluster, cs: ChangeSet) -> str:
    """The URL of `bench_n<N>_<label>`, created from `bench_n<N>` unless a previous run left it."""
    await ensure_database(cluster, cs.n)
    name = changed_name(cs)
    marker = f"schema-studio bench changed v{CHANGED_VERSION}: {cs!r}"[:1000]
    note = await _note(cluster, name)
    if note == marker:
        return cluster.url(name)
    if note is not None or await _exists(cluster, name):
        await cluster.drop_database(name)
    url = await cluster.create_database(name, template=database_name(cs.n))
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(";\n".join(cs.sql()))
        await conn.execute("ANALYZE")
        await conn.execute(f"COMMENT ON DATABASE {quote_ident(name)} IS {quote_literal(marker)}")
    finally:
        await conn.close()
    return url


async def _exists(cluster: Cluster, name: str) -> bool:
    admin = await cluster.connect()
    try:
        return bool(await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def copy_of(cluster: Cluster, n: int, label: str) -> AsyncIterator[str]:
    """A throwaway copy of `bench_n<N>`."""
    async with cluster.throwaway(f"bench_apply_{label}", template=database_name(n)) as url:
        yield url


def apply_sql(psql: str, url: str, script: str) -> str | None:
    """Run a script with psql (stop at the first error); None, or the error."""
    proc = subprocess.run(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url],
        input=script, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        return (proc.stderr.strip().splitlines() or ["psql failed"])[-1]
    return None


def dump(pg_dump: str, url: str) -> str:
    """`pg_dump --schema-only`, without comments, SET lines and blank lines."""
    out = subprocess.run(
        [pg_dump, "--schema-only", "--no-owner", "--no-privileges", "--dbname", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    lines = []
    for line in out.splitlines():
        if not line.strip() or line.startswith(("--", "SET ", "SELECT pg_catalog.set_config")):
            continue
        if line.startswith(("\\restrict", "\\unrestrict")):  # a random key per dump (PG 17.6+)
            continue
        lines.append(line)
    return "\n".join(lines)


def dump_difference(pg_dump: str, url_a: str, url_b: str) -> list[str]:
    """The lines by which the two schemas' dumps differ (empty: the same schema)."""
    a, b = dump(pg_dump, url_a), dump(pg_dump, url_b)
    if a == b:
        return []
    return [
        ln
        for ln in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
        if ln.startswith(("+", "-")) and not ln.startswith(("+++", "---"))
    ]
