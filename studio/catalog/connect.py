"""Connections: one place that opens asyncpg connections, bounded and translated.

Every connection has a connect timeout (an unreachable host fails fast with
one line, not a hang) and an application_name so the lock monitor and the
DBA can tell schema-studio's sessions apart. Read-only commands open their
work in read-only transactions.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from studio.config import mask_dsn, scrub, url_problem
from studio.errors import ConnectionFailed, translate

APPLICATION_NAME = "schema-studio"


async def connect(
    url: str,
    *,
    timeout: float = 10.0,
    application_name: str = APPLICATION_NAME,
    read_only: bool = False,
) -> asyncpg.Connection:
    """Open a connection to `url`, failing with one clear line.

    With `read_only`, the session defaults to read-only transactions, so
    nothing the command runs can write to the target.
    """
    if not url.startswith(("postgresql://", "postgres://")):
        raise ConnectionFailed(
            f"not a PostgreSQL URL: {mask_dsn(url)}",
            "use the form postgresql://user@host:5432/dbname",
        )
    if (problem := url_problem(url)) is not None:
        raise ConnectionFailed(
            f"malformed URL {mask_dsn(url)}: {problem}",
            "use the form postgresql://user@host:5432/dbname",
        )
    settings: dict[str, Any] = {"application_name": application_name}
    if read_only:
        settings["default_transaction_read_only"] = "on"
    with translate(mask_dsn(url)):
        try:
            conn = await asyncpg.connect(url, timeout=timeout, server_settings=settings)
        except ValueError as e:
            # asyncpg's DSN parser raises ValueError for malformed URLs; its words may quote the URL
            raise ConnectionFailed(f"malformed URL {mask_dsn(url)}: {scrub(str(e), url)}") from None
    return conn


async def server_version_num(conn: asyncpg.Connection) -> int:
    """The server's version as an integer (e.g. 180001)."""
    return int(await conn.fetchval("SELECT current_setting('server_version_num')::int"))


async def schema_names(conn: asyncpg.Connection) -> list[str]:
    """The user schemas of the database (system and the tool's own left out)."""
    rows = await conn.fetch(
        """
        SELECT n.nspname FROM pg_namespace n
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'schema_studio')
          AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
                          AND d.objid = n.oid AND d.deptype = 'e')
        ORDER BY 1
        """
    )
    return [r[0] for r in rows]
