"""`inspect`: the live schema of the target, with where it came from.

Each use case takes `Settings` and plain values and returns data; printing
is the face's job (alembic's command.py shape).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.catalog import connect as db
from studio.catalog.introspect import introspect
from studio.config import mask_dsn, split_table_name
from studio.errors import UsageError, translate

if TYPE_CHECKING:
    import asyncpg

    from studio.config import Settings
    from studio.model import Schema


@dataclass(frozen=True, slots=True)
class Inspection:
    """A live schema with where it came from."""

    url: str
    server_version: int
    schemas: tuple[str, ...]
    schema: Schema


def history_schema(settings: Settings) -> str:
    """The schema of the tool's history table (always left out of comparisons)."""
    return split_table_name(settings.history_table)[0]


async def resolve_schemas(
    conn: asyncpg.Connection, settings: Settings, declared: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The one set of managed schemas for this command, checked against the database.

    Order of precedence: --schema, else `schemas` from config, else the
    schemas a declared SQLAlchemy source uses, else every user schema; minus
    --exclude-schema and the tool's own history schema.
    """
    existing = await db.schema_names(conn)
    own = history_schema(settings)
    chosen = settings.schemas or declared
    if chosen:
        unknown = [s for s in chosen if s not in existing]
        if unknown and not declared:
            raise UsageError(
                f"unknown schema {unknown[0]!r}",
                f"schemas in this database: {', '.join(existing) or '(none)'}",
            )
        names = tuple(chosen)
    else:
        names = tuple(existing)
    for s in settings.exclude_schemas:
        if s not in existing and s not in names:
            raise UsageError(f"unknown schema {s!r} in --exclude-schema")
    return tuple(s for s in names if s not in settings.exclude_schemas and s != own)


async def inspect(settings: Settings, *, with_privileges: bool = False) -> Inspection:
    """Read the live schema of the target database (its grants and owners too, if asked)."""
    url = settings.database_url()
    assert url is not None
    conn = await db.connect(url, timeout=settings.connect_timeout, read_only=True)
    try:
        with translate(mask_dsn(url)):
            version = await db.server_version_num(conn)
            schemas = await resolve_schemas(conn, settings)
            # a large schema is read on a second connection too (same snapshot)
            schema = await introspect(
                conn,
                schemas,
                with_privileges=with_privileges,
                connect=lambda: db.connect(url, timeout=settings.connect_timeout, read_only=True),
            )
    finally:
        await conn.close()
    return Inspection(url=url, server_version=version, schemas=schemas, schema=schema)
