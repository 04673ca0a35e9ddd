"""Refusing a transaction-pooling proxy: the migration lock is a session lock, and would not hold.

The runner keeps one migrator at a time with a session-level advisory lock
(`history.acquire`). Behind PgBouncer in `pool_mode = transaction` (or any
pooler in that mode: pgcat, Odyssey, Supavisor, RDS Proxy...), the session
the client sees is not one server session: each transaction goes to
whichever server connection is free. The lock stays on the server session
that ran `pg_try_advisory_lock`, which then serves other clients (who could
take or release it), while the migration's next transactions run elsewhere:
two migrators can run at once, and the lock outlives the run. A
session-mode pool gives a client one server session for its whole
connection, so the lock holds there.

How the runner tells, before it takes the lock:

1. The backend pid PostgreSQL sent at connection (BackendKeyData, what a
   cancel request names) against `pg_backend_pid()`: equal on a direct
   connection, always. A pooler answers the startup itself and makes up its
   own key (it cannot hand out one server session's: the client is not
   bound to it), so they differ behind one. Equal: nothing more is asked.
2. They differ: a proxy. A second connection through it runs two
   transactions, and the first connection one more, each reading
   `pg_backend_pid()`. In session mode each client keeps its own server
   session: the first connection's pid never changes and the second never
   sees it. In transaction mode a server session goes back to the pool
   after each transaction, so the second client gets the first one's
   session (PgBouncer reuses the last one freed, by default), or two
   different ones in a row (`server_round_robin`), or the first client
   moves: any of these is pooling. So is asyncpg's prepared statement
   failing to be found on the next transaction's server session.

The second connection is opened only behind a proxy; it is closed at once.
"""

from __future__ import annotations

import asyncpg

from studio.catalog import connect as db
from studio.errors import StudioError


class TransactionPooling(StudioError):
    """The target hands each transaction to any server session: a session lock would not hold."""

    hint = db.TRANSACTION_POOL_HINT


def _refusal(url: str) -> TransactionPooling:
    return TransactionPooling(
        db.transaction_pool_refused(
            url, "the migration lock, a session advisory lock,", who="the migrator"
        )
    )


async def refuse_transaction_pooling(
    conn: asyncpg.Connection, url: str, *, timeout: float = 10.0
) -> None:
    """Raise `TransactionPooling` when `conn` (opened on `url`) goes through a transaction pool."""
    if await db.pools_transactions(conn, url, timeout=timeout):
        raise _refusal(url)
