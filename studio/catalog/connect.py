"""Connections: one place that opens asyncpg connections, bounded and translated.

Every connection has a connect timeout (an unreachable host fails fast with
one line, not a hang) and an application_name so the lock monitor and the
DBA can tell schema-studio's sessions apart. Read-only commands open their
work in read-only transactions: the session default is a startup parameter,
or, behind a pooler that refuses it (PgBouncer does), a SET once the pooler
is known to give the client one server session (session mode resets it
when the client leaves); a transaction pool would hand that SET to other
clients, so it is refused in one line.
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
            try:
                conn = await asyncpg.connect(url, timeout=timeout, server_settings=settings)
            except asyncpg.PostgresError as e:
                if not (read_only and _UNSUPPORTED in str(e)):
                    raise
                return await _read_only_behind_pooler(url, timeout, application_name)
        except ValueError as e:
            # asyncpg's DSN parser raises ValueError for malformed URLs; its words may quote the URL
            raise ConnectionFailed(f"malformed URL {mask_dsn(url)}: {scrub(str(e), url)}") from None
    return conn


# what to do about a pool that hands each transaction to any server session, wherever one is
# refused (a read-only session here, the migration lock in studio/run/pooling.py)
TRANSACTION_POOL_HINT = (
    "point --db (or the configured URL) at PostgreSQL's own host and port, or at a"
    " session-mode pool; the application can keep its transaction pool"
)


def transaction_pool_refused(url: str, what: str, *, who: str = "") -> str:
    """The line refusing a transaction pool at `url`: `what` would not hold there."""
    to = f"connect {who} to" if who else "connect to"
    return (
        f"{mask_dsn(url)} pools transactions (PgBouncer pool_mode = transaction, or alike):"
        f" {what} would not hold there; {to} PostgreSQL directly"
    )


# what PgBouncer answers a startup parameter it does not pass on
_UNSUPPORTED = "unsupported startup parameter"
_PID = "SELECT pg_catalog.pg_backend_pid()"
# what asyncpg meets when a statement it prepared is looked for on another server session
_MOVED = (asyncpg.InvalidSQLStatementNameError, asyncpg.DuplicatePreparedStatementError)


async def _read_only_behind_pooler(
    url: str, timeout: float, application_name: str
) -> asyncpg.Connection:
    """A read-only session through a pooler that refused the startup parameter: SET, in a
    session pool only (a transaction pool would pass the SET on to other clients)."""
    conn = await asyncpg.connect(
        url, timeout=timeout, server_settings={"application_name": application_name}
    )
    try:
        if await pools_transactions(conn, url, timeout=timeout):
            raise ConnectionFailed(
                transaction_pool_refused(url, "a read-only session"), TRANSACTION_POOL_HINT
            )
        await conn.execute("SET default_transaction_read_only = on")
    except BaseException:
        await conn.close()
        raise
    return conn


async def pools_transactions(conn: asyncpg.Connection, url: str, *, timeout: float) -> bool:
    """Whether `conn` (opened on `url`) goes through a pool handing each transaction to any
    server session (how it tells: studio/run/pooling.py)."""
    try:
        mine = await conn.fetchval(_PID)
        if mine == conn.get_server_pid():
            return False  # PostgreSQL itself answered the startup: a direct connection
        other = await asyncpg.connect(
            url, timeout=timeout, server_settings={"application_name": APPLICATION_NAME}
        )
        try:
            theirs = {await other.fetchval(_PID), await other.fetchval(_PID)}
        finally:
            await other.close()
        again = await conn.fetchval(_PID)
    except _MOVED:
        return True
    return mine in theirs or len(theirs) > 1 or again != mine


def startup_version_num(conn: asyncpg.Connection) -> int:
    """The server's version as server_version_num, from the startup parameters: no round trip."""
    v = conn.get_server_version()
    return int(v.major) * 10000 + int(v.minor if v.major >= 10 else v.micro)


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
