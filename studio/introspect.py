"""Read a live database's schema from its catalog into a `Schema`.

A fixed set of bulk catalog queries, one per object kind (`studio/queries/`),
run in one read-only REPEATABLE READ transaction: the number of queries does
not grow with the number of tables. Text forms come from PostgreSQL itself
(`format_type`, `pg_get_expr`, `pg_get_*def`) under a fixed search_path and
time zone, so two databases built the same way give equal text. The rows are
turned into model objects by `studio.introspect_rows`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import asyncpg

from studio import queries
from studio.introspect_rows import Rows, build_schema

if TYPE_CHECKING:
    from collections.abc import Sequence

    from studio.model import Schema

# One query per object kind, in this order. Most take the schemas in scope as
# $1 (text[], NULL for every user schema); `extensions` lists every extension
# of the database; the parts of tables and views (RELATION_PARTS) take the
# oids of the tables and views the `tables` and `views` queries returned, so
# the scope is resolved once and each catalog is joined by hash on an oid list.
QUERIES: tuple[str, ...] = (
    "namespaces",
    "extensions",
    "enums",
    "domains",
    "sequences",
    "tables",
    "views",
    "columns",
    "constraints",
    "indexes",
    "triggers",
    "policies",
    "functions",
    "aggregates",
)
RELATION_PARTS = frozenset({"columns", "constraints", "indexes", "triggers", "policies"})
PRIVILEGE_QUERIES: tuple[str, ...] = ("privileges", "owners")

# Session settings that change the text the pg_get_* functions print, pinned
# for the transaction (is_local) the way pg_dump pins them: with an empty
# search_path every non-pg_catalog name is schema-qualified (types, functions,
# relations in view bodies), and timestamptz partition bounds and defaults
# print in UTC whatever the server's or role's TimeZone. work_mem: the hash
# joins over a large catalog (pg_attribute at thousands of tables) would
# otherwise spill to disk at the 4MB default.
_SESSION = (
    "SELECT pg_catalog.set_config('search_path', '', true),"
    " pg_catalog.set_config('work_mem', '64MB', true),"
    " pg_catalog.set_config('TimeZone', 'UTC', true),"
    " pg_catalog.set_config('DateStyle', 'ISO', true),"
    " pg_catalog.set_config('IntervalStyle', 'postgres', true)"
)


# reads of the catalog before giving up when concurrent DROPs keep breaking them
_ATTEMPTS = 3
# XX000 errors a catalog function raises for an object dropped since the snapshot
_CONCURRENT_DROP = re.compile(r"cache lookup failed|could not open relation with OID")


async def server_version(conn: asyncpg.Connection) -> int:
    """The server's version as server_version_num (e.g. 180001)."""
    value = await conn.fetchval("SELECT pg_catalog.current_setting('server_version_num')::int")
    return int(value)


def _version_num(conn: asyncpg.Connection) -> int:
    # asyncpg parses server_version from the startup parameters: no round trip
    v = conn.get_server_version()
    return int(v.major) * 10000 + int(v.minor if v.major >= 10 else v.micro)


async def introspect(
    conn: asyncpg.Connection,
    schemas: Sequence[str] | None = None,
    *,
    with_privileges: bool = False,
) -> Schema:
    """Read the schema of the database `conn` is connected to.

    Args:
        schemas: the namespaces to read; None means every user schema (not
            the system ones, not the tool's own `schema_studio`, not those an
            extension created). Objects an extension owns are always left out.
        with_privileges: also read granted privileges and owners.

    An object dropped by another session while the queries run is left out
    (or reported without the parts PostgreSQL could no longer print): the
    pg_get_* functions read the current catalog, not the transaction's
    snapshot, and return NULL for what is gone; the queries guard the two
    that raise an error instead. Should a DROP still land in the instant
    between a guard and its function, the whole read is retried on a new
    snapshot.
    """
    for attempt in range(_ATTEMPTS):
        try:
            rows = await _fetch_all(conn, schemas, with_privileges)
        except asyncpg.InternalServerError as e:
            if attempt + 1 == _ATTEMPTS or not _CONCURRENT_DROP.match(str(e)):
                raise
            continue
        return build_schema(rows)
    raise AssertionError("unreachable")


async def _fetch_all(
    conn: asyncpg.Connection, schemas: Sequence[str] | None, with_privileges: bool
) -> Rows:
    """The rows of every query, in one read-only REPEATABLE READ snapshot."""
    version = _version_num(conn)
    scope = list(schemas) if schemas is not None else None
    names = QUERIES + (PRIVILEGE_QUERIES if with_privileges else ())
    rows: Rows = {}
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        await conn.execute(_SESSION)
        for name in names:
            sql = queries.get(name, version)
            if name in RELATION_PARTS:
                relations = [r["oid"] for r in rows["tables"]] + [r["oid"] for r in rows["views"]]
                rows[name] = await conn.fetch(sql, relations)
            elif "$1" in sql:
                rows[name] = await conn.fetch(sql, scope)
            else:
                rows[name] = await conn.fetch(sql)
    return rows
