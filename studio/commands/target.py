"""The target database as every migration command reads it: its URL, checked, and its history.

Shared by migrate, status, rollback, baseline, check, push, lint and trace;
every read here is a read-only session of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.catalog import connect as db
from studio.commands.schemas import refuse_unknown_schemas
from studio.config import mask_dsn
from studio.errors import translate
from studio.run import history
from studio.run.history import HistoryTable

if TYPE_CHECKING:
    from studio.config import Settings
    from studio.run.history import HistoryRow


def target_url(settings: Settings) -> str:
    """The target's URL (the caller has made sure one is configured)."""
    url = settings.database_url()
    assert url is not None
    return url


async def checked_target(settings: Settings) -> str:
    """The target URL, once every --schema and --exclude-schema names a schema (as in `diff`)."""
    url = target_url(settings)
    named = {*settings.schemas, *settings.exclude_schemas}
    if named:
        present, major = await _schema_names(settings, url)
        if not named <= present:
            # deferred: the sources and the dev server load only when a named schema is missing
            from studio.commands.diff import replayed_schemas

            # a schema the migrations create is known too: the replay is looked at only now
            present |= await replayed_schemas(settings, major)
        refuse_unknown_schemas(settings, present)
    return url


async def _schema_names(settings: Settings, url: str) -> tuple[set[str], int]:
    """The target's user schemas and its major version, read in a read-only session."""
    conn = await db.connect(url, timeout=settings.connect_timeout, read_only=True)
    try:
        with translate(mask_dsn(url)):
            return set(await db.schema_names(conn)), await db.server_version_num(conn) // 10000
    finally:
        await conn.close()


async def read_history(settings: Settings, url: str) -> tuple[tuple[HistoryRow, ...], int, bool]:
    """History rows, server version and whether the table exists, read in a read-only session."""
    table = HistoryTable.parse(settings.history_table)
    conn = await db.connect(url, timeout=settings.connect_timeout, read_only=True)
    try:
        with translate(mask_dsn(url)):
            version = await db.server_version_num(conn)
            exists, rows = await history.read_table(conn, table)
    finally:
        await conn.close()
    return rows, version, exists
