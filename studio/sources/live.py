"""Live sources: a read-only connection to a database URL, and its schema read there."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from studio.catalog import connect as db
from studio.catalog.introspect import introspect
from studio.config import mask_dsn, split_table_name
from studio.errors import translate
from studio.sources.spec import Loaded

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import asyncpg

    from studio.config import Settings
    from studio.sources.spec import Source


async def load_url(source: Source, settings: Settings, with_privileges: bool = False) -> Loaded:
    """Read the database of a URL source (the live load)."""
    async with live_connection(source, settings) as (conn, version):
        return await read_live(conn, source, settings, version, with_privileges)


@contextlib.asynccontextmanager
async def live_connection(
    source: Source, settings: Settings
) -> AsyncIterator[tuple[asyncpg.Connection, int]]:
    """A read-only connection to a URL source, and its server_version_num."""
    conn = await db.connect(source.spec, timeout=settings.connect_timeout, read_only=True)
    try:
        with translate(mask_dsn(source.spec)):
            version = await db.server_version_num(conn)
        yield conn, version
    finally:
        await conn.close()


async def read_live(
    conn: asyncpg.Connection,
    source: Source,
    settings: Settings,
    version: int,
    with_privileges: bool = False,
) -> Loaded:
    """Read a live database (except the migration history's schema) on `conn`."""
    with translate(mask_dsn(source.spec)):
        # every user schema but the history's: when that is the tool's own schema, the
        # catalog queries' own scope (None) leaves out the same ones, without a query
        own = _history_schema(settings)
        names = None if own == TOOL_SCHEMA else [n for n in await db.schema_names(conn) if n != own]
        schema = await introspect(
            conn,
            names,
            with_privileges=with_privileges,
            # a large schema is read on a second connection too (same snapshot)
            connect=lambda: db.connect(
                source.spec, timeout=settings.connect_timeout, read_only=True
            ),
        )
    return Loaded(source, schema, server_version=version)


# the schema the catalog queries leave out of every user schema (queries/scope.sql),
# as connect.schema_names does
TOOL_SCHEMA = "schema_studio"


def _history_schema(settings: Settings) -> str:
    """The schema of the migration history table, which a live read leaves out."""
    return split_table_name(settings.history_table)[0]
