"""Read a live database's schema from its catalog into a `Schema`.

A fixed set of bulk catalog queries, one per object kind (`studio/catalog/queries/`),
run in one read-only REPEATABLE READ transaction: the number of queries does
not grow with the number of tables. On a large schema a second connection,
in the same snapshot (exported by the first, as `pg_dump -j` does), reads
some of the relation parts meanwhile: the server works on two cores, and
Python decodes one result while the other query runs. Text forms come from
PostgreSQL itself (`format_type`, `pg_get_expr`, `pg_get_*def`) under a
fixed search_path and time zone, so two databases built the same way give
equal text. The rows are turned into model objects by
`studio.catalog.rows`.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import re
from typing import TYPE_CHECKING, Any

import asyncpg

from studio.catalog import queries
from studio.catalog.connect import startup_version_num
from studio.catalog.rows import Rows, build_schema
from studio.model import quote_literal

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from studio.model import Schema

    # opens another connection to the same database, with the same role
    Connect = Callable[[], Awaitable[asyncpg.Connection]]

# One query per object kind, in this order. Most take the schemas in scope as
# $1 (text[], NULL for every user schema); `extensions` lists every extension
# of the database; the parts of tables and views (RELATION_PARTS) take the
# oids of the tables and views the `tables` and `views` queries returned, so
# the scope is resolved once and each catalog is joined by hash on an oid list.
# Tables and views come first (namespaces just before views: it says whether there
# are any): on a large schema the second connection starts on its relation parts
# while the first reads the other kinds.
QUERIES: tuple[str, ...] = (
    "tables",
    # before the kinds it says there is nothing of (views among them): see _SKIPPABLE
    "namespaces",
    "views",
    "extensions",
    "enums",
    "domains",
    "sequences",
    "columns",
    "constraints",
    "indexes",
    "triggers",
    "policies",
    "functions",
    "aggregates",
    "composites",
    "catalog_objects",
    "unmodelled",
    "dependencies",
)
RELATION_PARTS = frozenset({"columns", "constraints", "indexes", "triggers", "policies"})
PRIVILEGE_QUERIES: tuple[str, ...] = ("privileges", "owners")

# The relation parts a second connection reads when the schema has
# PARALLEL_MIN_RELATIONS tables and views or more, while the first reads the
# rest. In a new backend most of a relation part's time is filling the
# catalog caches its pg_get_* function reads (at 3,000 tables, indexes take
# 0.24 s in a new backend, 0.08 s in a warm one); pg_get_constraintdef and
# pg_get_indexdef read the same ones, so constraints and indexes go to the
# same connection. Since plain keys and indexes are written by the client
# (constraint_text.sql, index_text.sql) those two take less, and `dependencies`
# (one scan of pg_depend) stays on the first: at 3,000 tables the read takes
# 45 ms less wall time than with it on the second (medians of 11). The first
# takes them back only while the second is still opening (or failed to).
SECOND_CONNECTION: tuple[str, ...] = ("constraints", "indexes")
# Measured against a local server on 2 cores (introspect() on a new
# connection, medians of 15): two connections save 5 ms at 50 tables, 12 ms
# at 200, 39 ms at 1,000 and 141 ms at 3,000 (13-20%). Under 200 a few
# milliseconds are not worth another backend on the server.
PARALLEL_MIN_RELATIONS = 200

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


# On a small schema most of a catalog query's server time is planning, not
# running: the planner weighs every order of the 5-10 catalogs each query
# joins (3.6 ms to plan `columns` in a new backend at 100 tables, 1.0 ms to
# run it in the written order). Below SMALL_SCHEMA tables the queries are
# planned in the order they are written (join_collapse_limit = 1), which
# takes a tenth of the server's CPU off a read (62 -> 55 ms at 100 tables,
# measured over 40 reads in new backends; bench/fleet.py reads 50 such
# databases). From SMALL_SCHEMA up the planner's order is the faster one
# again (at 3,000 tables `columns` runs 40 ms longer in the written order).
# The session query counts the database's tables and views (user objects: oids
# from FirstNormalObjectId), so the choice costs no round trip.
SMALL_SCHEMA = 200
_WRITTEN_ORDER = ", ".join(
    f"pg_catalog.set_config('{limit}', CASE WHEN small.yes THEN '1'"
    f" ELSE pg_catalog.current_setting('{limit}') END, true)"
    for limit in ("join_collapse_limit", "from_collapse_limit")
)
_SMALL = (
    " FROM (SELECT pg_catalog.count(*) < "
    f"{SMALL_SCHEMA} AS yes FROM pg_catalog.pg_class"
    " WHERE oid >= 16384 AND relkind IN ('r', 'p', 'v', 'm')) AS small"
)

# The first connection also reads how this server quotes identifiers (the
# words quote_ident() quotes, and quote_all_identifiers): the text of plain
# keys and indexes is written from their columns' names (studio.catalog.tables),
# exactly as pg_get_constraintdef and pg_get_indexdef would, and keyword lists
# differ between versions.
_SESSION_AND_QUOTING = (
    _SESSION + ", " + _WRITTEN_ORDER + ","
    " ARRAY(SELECT word FROM pg_catalog.pg_get_keywords() WHERE catcode <> 'U')::text[]"
    " AS keywords,"
    " pg_catalog.current_setting('quote_all_identifiers')::bool AS quote_all" + _SMALL
)

# reads of the catalog before giving up when concurrent DROPs keep breaking them
_ATTEMPTS = 3
# XX000 errors a catalog function raises for an object dropped since the snapshot
_CONCURRENT_DROP = re.compile(r"cache lookup failed|could not open relation with OID")


async def server_version(conn: asyncpg.Connection) -> int:
    """The server's version as server_version_num (e.g. 180001)."""
    value = await conn.fetchval("SELECT pg_catalog.current_setting('server_version_num')::int")
    return int(value)


async def introspect(
    conn: asyncpg.Connection,
    schemas: Sequence[str] | None = None,
    *,
    with_privileges: bool = False,
    connect: Connect | None = None,
) -> Schema:
    """Read the schema of the database `conn` is connected to.

    Args:
        schemas: the namespaces to read; None means every user schema (not
            the system ones, not the tool's own `schema_studio`, not those an
            extension created). Objects an extension owns are always left out.
        with_privileges: also read granted privileges and owners.
        connect: opens a second connection to the same database; given, a
            large schema is read on two connections sharing one snapshot.
            Should that connection or the snapshot's import fail (connection
            limit, a pooler, a standby), everything is read on `conn`.

    An object dropped by another session while the queries run is left out
    (or reported without the parts PostgreSQL could no longer print): the
    pg_get_* functions read the current catalog, not the transaction's
    snapshot, and return NULL for what is gone; the queries guard the two
    that raise an error instead. Should a DROP still land in the instant
    between a guard and its function, the whole read is retried on a new
    snapshot. A plain key or index whose text the client writes
    (constraint_text.sql, index_text.sql) is left out the same way once its
    table is gone; a plain index dropped on its own meanwhile is reported as
    the snapshot has it.
    """
    # Tens of thousands of rows (asyncpg's Records are tracked by the cyclic
    # collector) and no reference cycles among them: the collector would only
    # walk them over and over while they arrive (45 ms at 3,000 tables)
    enabled = gc.isenabled()
    gc.disable()
    try:
        return await _introspect(conn, schemas, with_privileges, connect)
    finally:
        if enabled:
            gc.enable()


async def _introspect(
    conn: asyncpg.Connection,
    schemas: Sequence[str] | None,
    with_privileges: bool,
    connect: Connect | None,
) -> Schema:
    attempt = 0
    while True:
        try:
            rows = await _fetch_all(conn, schemas, with_privileges, connect)
        except _NotExported:
            connect = None  # the transaction is aborted: read again, on `conn` alone
            continue
        except asyncpg.InternalServerError as e:
            attempt += 1
            if attempt == _ATTEMPTS or not _CONCURRENT_DROP.match(str(e)):
                raise
            continue
        return build_schema(rows)


async def _fetch_all(
    conn: asyncpg.Connection,
    schemas: Sequence[str] | None,
    with_privileges: bool,
    connect: Connect | None,
) -> Rows:
    """The rows of every query, in one read-only REPEATABLE READ snapshot."""
    version = startup_version_num(conn)
    scope = list(schemas) if schemas is not None else None
    names = QUERIES + (PRIVILEGE_QUERIES if with_privileges else ())
    rows: Rows = {}
    helper: _Helper | None = None
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            rows["quoting"] = await conn.fetch(_SESSION_AND_QUOTING)
            for name in names:
                if helper is not None and name in SECOND_CONNECTION:
                    continue
                if _none_to_read(name, rows):
                    rows[name] = []
                else:
                    rows[name] = await _fetch(conn, name, version, scope, rows)
                if name == "views" and connect is not None:
                    helper = await _start_helper(conn, connect, version, rows)
            if helper is not None:
                # what the second connection has not started on, while it is not
                # ready (still opening, or failed to), is read here
                while helper.pending and not helper.ready:
                    name = helper.pending.popleft()
                    rows[name] = await _fetch(conn, name, version, scope, rows)
                if helper.ready:
                    rows.update(await helper.task)
    finally:
        if helper is not None:
            await helper.close()
    return rows


# queries the namespaces query says there is nothing for (see namespaces.sql): in a
# database of tables, keys, indexes, enums and sequences, 8 of the 18 are not sent
_SKIPPABLE = {
    "composites": "any_composites",
    "catalog_objects": "any_catalog_objects",
    "views": "any_views",
    "domains": "any_domains",
    "functions": "any_functions",
    "aggregates": "any_aggregates",
    "triggers": "any_triggers",
    "policies": "any_policies",
}


def _none_to_read(name: str, rows: Rows) -> bool:
    """Whether the database holds no object query `name` reads (none in scope, or none at all)."""
    flag = _SKIPPABLE.get(name)
    return flag is not None and not any(r[flag] for r in rows.get("namespaces", ()))


async def _fetch(
    conn: asyncpg.Connection, name: str, version: int, scope: list[str] | None, rows: Rows
) -> list[Any]:
    """The rows of query `name`, given the rows read before it."""
    sql = queries.get(name, version)
    if name in RELATION_PARTS:
        return await conn.fetch(sql, _relations(rows))  # type: ignore[no-any-return]
    if "$1" in sql:
        return await conn.fetch(sql, scope)  # type: ignore[no-any-return]
    return await conn.fetch(sql)  # type: ignore[no-any-return]


def _relations(rows: Rows) -> list[int]:
    """The oids of the tables and views in scope, which the relation parts take as $1."""
    return [r["oid"] for r in rows["tables"]] + [r["oid"] for r in rows["views"]]


class _NotExported(Exception):
    """pg_export_snapshot() failed, which aborts the transaction it ran in."""


async def _start_helper(
    conn: asyncpg.Connection, connect: Connect, version: int, rows: Rows
) -> _Helper | None:
    """A second connection reading SECOND_CONNECTION in `conn`'s snapshot, when that pays."""
    if len(rows["tables"]) + len(rows["views"]) < PARALLEL_MIN_RELATIONS:
        return None
    try:
        # not from a subtransaction (PostgreSQL refuses): a failure here aborts the read
        (row,) = await conn.fetch(_EXPORT)
    except asyncpg.PostgresError as e:
        raise _NotExported from e
    snapshot, free, limit = row
    if free < max(MIN_FREE_CONNECTIONS, int(limit * MIN_FREE_SHARE)):
        return None  # the application may need those connection slots more than we do
    return _Helper(connect, snapshot, version, _relations(rows))


# The snapshot, and the connection slots still free for non-superusers. A
# second connection is opened only while MIN_FREE_CONNECTIONS (or the
# MIN_FREE_SHARE of max_connections, if more) are free: on a busy production
# server it must not take a slot the application needs.
_EXPORT = """
SELECT pg_catalog.pg_export_snapshot(),
       pg_catalog.current_setting('max_connections')::int
       - pg_catalog.current_setting('superuser_reserved_connections')::int
       - coalesce(nullif(pg_catalog.current_setting('reserved_connections', true), '')::int, 0)
       - (SELECT count(*) FROM pg_catalog.pg_stat_activity
          WHERE backend_type = 'client backend')::int,
       pg_catalog.current_setting('max_connections')::int
"""
MIN_FREE_CONNECTIONS = 5
MIN_FREE_SHARE = 0.1


class _Helper:
    """The second connection, as a task: opens, imports the snapshot, reads `pending`."""

    def __init__(self, connect: Connect, snapshot: str, version: int, relations: list[int]) -> None:
        self.pending = collections.deque(SECOND_CONNECTION)
        self.conn: asyncpg.Connection | None = None
        # set once the snapshot is imported: from then on its failures are the read's
        self.ready = False
        self.task = asyncio.ensure_future(self._run(connect, snapshot, version, relations))

    async def _run(
        self, connect: Connect, snapshot: str, version: int, relations: list[int]
    ) -> Rows:
        try:
            self.conn = await connect()
            # SET TRANSACTION SNAPSHOT must come before any query of the transaction;
            # one simple-protocol message, one round trip
            await self.conn.execute(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
                f" SET TRANSACTION SNAPSHOT {quote_literal(snapshot)}; {_SESSION}"
            )
        except Exception:  # noqa: BLE001  (any failure to set up means: read on the first connection)
            if self.conn is not None:
                self.conn.terminate()
                self.conn = None
            return {}
        self.ready = True
        rows: Rows = {}
        while self.pending:
            name = self.pending.popleft()
            sql = queries.get(name, version)
            # the relation parts take the relations' oids; `dependencies` reads all of pg_depend
            args = (relations,) if "$1" in sql else ()
            rows[name] = await self.conn.fetch(sql, *args)
        return rows

    async def close(self) -> None:
        """Stop it if it still runs (still opening), and close its connection."""
        if not self.task.done():
            self.task.cancel()
        try:
            await asyncio.wait([self.task])
        finally:
            conn, self.conn = self.conn, None
            done = self.task.done() and not self.task.cancelled()
            # retrieved here too: when the first connection failed, no one else reads it
            if done and self.task.exception() is None and conn is not None:
                try:
                    await conn.close(timeout=5)
                except Exception:  # noqa: BLE001  (the rows are read; only the goodbye failed)
                    conn.terminate()
            elif conn is not None:
                conn.terminate()  # possibly mid-query: no goodbye
