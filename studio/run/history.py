"""The history table, the one-migrator-at-a-time lock, and status (applied, pending, ...).

The history table (default `schema_studio.migrations`) has one row per
migration applied: version, name, checksum, steps done of steps total,
started/finished, duration, who applied it from where, and the tool version.
A step-by-step migration's row is written in its first step's transaction
(before that step when it commits on its own: no transaction, a backfill) and
updated in the same transaction as each transactional step (right after each
non-transactional one), so `steps_done` says where a rerun resumes, and a
migration whose first step failed has no row: it is pending, not partial.

The migration lock is a session-level advisory lock keyed by the history
table's name. Being a session lock, it does not hold behind a
transaction-pooling proxy (PgBouncer in transaction mode hands each
transaction to any server session): point migrations at a direct connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import random
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import asyncpg

from studio import __version__
from studio.config import split_table_name
from studio.errors import StudioError
from studio.model import quote_ident
from studio.run.events import Blocker, WaitingForMigrator, emit
from studio.words import counted, plural

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from studio.migrations.files import Migration
    from studio.run.events import EventSink

# Columns the runner reads and writes; a table altered by hand is refused, not guessed at.
COLUMNS = (
    "version",
    "name",
    "checksum",
    "kind",
    "steps_done",
    "steps_total",
    "down_steps_done",
    "started_at",
    "finished_at",
    "duration_ms",
    "applied_by",
    "client_host",
    "tool_version",
)


class Kind(enum.StrEnum):
    """How a history row came to be."""

    MIGRATE = "migrate"
    BASELINE = "baseline"
    # a squash baseline recorded where the migrations it replaced were applied (not run)
    SQUASH = "squash"


class MigratorBusy(StudioError):
    """Another migrator holds the migration lock."""

    hint = "wait for it to finish, or pass --wait SECONDS to queue behind it"

    def __init__(self, table: str, holder: Blocker | None, waited: float) -> None:
        who = holder.describe() if holder else "a session that could not be identified"
        waited_text = f" (waited {waited:.0f}s)" if waited >= 1 else ""
        super().__init__(
            f"another migrator holds the migration lock of {table}{waited_text}: {who}"
        )
        self.holder = holder


@dataclass(frozen=True, slots=True)
class HistoryTable:
    """The history table's schema and name."""

    schema: str
    name: str

    @classmethod
    def parse(cls, text: str) -> HistoryTable:
        """`schema.table` (or `table`, in public)."""
        return cls(*split_table_name(text))

    @property
    def sql(self) -> str:
        """The quoted, qualified name for SQL."""
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def lock_key(self) -> int:
        """The advisory lock key (a signed bigint) derived from the table's name."""
        digest = hashlib.sha256(f"schema-studio:{self}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One migration as the database recorded it."""

    version: str
    name: str
    checksum: str
    kind: Kind
    steps_done: int
    steps_total: int
    down_steps_done: int
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    applied_by: str
    client_host: str | None
    tool_version: str

    @property
    def finished(self) -> bool:
        """Every step is done and no rollback is half-way."""
        return self.finished_at is not None and self.down_steps_done == 0


def create_sql(table: HistoryTable) -> list[str]:
    """Statements creating the history schema and table (idempotent)."""
    return [
        f"CREATE SCHEMA IF NOT EXISTS {quote_ident(table.schema)}",
        f"""CREATE TABLE IF NOT EXISTS {table.sql} (
    version text PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    kind text NOT NULL DEFAULT 'migrate',
    steps_done integer NOT NULL DEFAULT 0,
    steps_total integer NOT NULL,
    down_steps_done integer NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    duration_ms bigint,
    applied_by text NOT NULL DEFAULT current_user,
    client_host text,
    tool_version text NOT NULL
)""",
    ]


async def exists(conn: asyncpg.Connection, table: HistoryTable) -> bool:
    """Whether the history table is there."""
    return bool(await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table.sql))


async def ensure(conn: asyncpg.Connection, table: HistoryTable) -> None:
    """Create the history table on first use; refuse one that lacks the runner's columns.

    The privileges this needs are checked first, so a role without them gets
    one line naming the privilege rather than PostgreSQL's "permission denied
    for database".
    """
    if not await exists(conn, table):
        schema_exists = await _check_can_create(conn, table)
        # CREATE SCHEMA IF NOT EXISTS still needs CREATE on the database: skip it when there
        statements = create_sql(table)[1 if schema_exists else 0 :]
        async with conn.transaction():
            for statement in statements:
                await conn.execute(statement)
    await _check_columns(conn, table)
    await _check_can_write(conn, table)


class MissingPrivilege(StudioError):
    """The migrating role lacks a privilege the history table needs."""


async def _check_can_create(conn: asyncpg.Connection, table: HistoryTable) -> bool:
    """Whether the history schema exists.

    MissingPrivilege when the role cannot create what is missing.
    """
    row = await conn.fetchrow(
        """SELECT current_user AS role, current_database() AS db,
                  n.oid IS NOT NULL AS schema_exists,
                  has_database_privilege(current_database(), 'CREATE') AS on_db,
                  n.oid IS NOT NULL AND has_schema_privilege(n.oid, 'CREATE') AS on_schema
           FROM (SELECT 1) AS one LEFT JOIN pg_namespace n ON n.nspname = $1""",
        table.schema,
    )
    role, dbname = quote_ident(row["role"]), quote_ident(row["db"])
    schema = quote_ident(table.schema)
    if not row["schema_exists"] and not row["on_db"]:
        raise MissingPrivilege(
            f"role {role} lacks the CREATE privilege on database {dbname}, "
            f"needed to create the history schema {schema}",
            f"GRANT CREATE ON DATABASE {dbname} TO {role}; or create schema {schema} "
            f"AUTHORIZATION {role} once as an administrator",
        )
    if row["schema_exists"] and not row["on_schema"]:
        raise MissingPrivilege(
            f"role {role} lacks the CREATE privilege on schema {schema}, "
            f"needed to create the history table {table}",
            f"GRANT CREATE ON SCHEMA {schema} TO {role}",
        )
    return bool(row["schema_exists"])


async def _check_can_write(conn: asyncpg.Connection, table: HistoryTable) -> None:
    missing = [
        p
        for p in ("SELECT", "INSERT", "UPDATE", "DELETE")
        if not await conn.fetchval("SELECT has_table_privilege($1, $2)", table.sql, p)
    ]
    if missing:
        role = quote_ident(await conn.fetchval("SELECT current_user"))
        raise MissingPrivilege(
            f"role {role} lacks the {', '.join(missing)} {plural(len(missing), 'privilege')}"
            f" on the history table {table}",
            f"GRANT {', '.join(missing)} ON {table.sql} TO {role}",
        )


# the types the runner reads each column as (format_type spelling); a column of another type
# was altered by hand, and would fail half-way through a run instead of before it
_TEXT = ("text", "character varying")
_INTEGER = ("integer", "bigint", "smallint")
_TIMESTAMP = ("timestamp with time zone", "timestamp without time zone")
COLUMN_TYPES: dict[str, tuple[str, ...]] = {
    "version": _TEXT,
    "name": _TEXT,
    "checksum": _TEXT,
    "kind": _TEXT,
    "steps_done": _INTEGER,
    "steps_total": _INTEGER,
    "down_steps_done": _INTEGER,
    "started_at": _TIMESTAMP,
    "finished_at": _TIMESTAMP,
    "duration_ms": _INTEGER,
    "applied_by": _TEXT,
    "client_host": _TEXT,
    "tool_version": _TEXT,
}
_ALTERED_HINT = (
    "it was altered by hand or made by another tool: restore it, or point history_table elsewhere"
)


class HistoryCorrupted(StudioError):
    """The history table, or a row of it, is not what the runner wrote."""

    hint = _ALTERED_HINT


# whether the table is there, and its columns' names and types: one round trip for both
# (a table without columns is there, with none)
_COLUMNS = (
    "SELECT c.oid IS NOT NULL, a.attname, pg_catalog.format_type(a.atttypid, NULL)"
    " FROM (SELECT pg_catalog.to_regclass($1) AS oid) c"
    " LEFT JOIN pg_catalog.pg_attribute a"
    " ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
)


async def _check_columns(conn: asyncpg.Connection, table: HistoryTable) -> bool:
    """Whether the table is there; a HistoryCorrupted when it lacks a column or has another type."""
    rows = await conn.fetch(_COLUMNS, table.sql)
    if not rows[0][0]:
        return False
    present = {r[1]: r[2] for r in rows if r[1] is not None}
    missing = [c for c in COLUMNS if c not in present]
    if missing:
        raise HistoryCorrupted(
            f"the history table {table} lacks {plural(len(missing), 'column')} {', '.join(missing)}"
        )
    for column in COLUMNS:
        if present[column] not in COLUMN_TYPES[column]:
            raise HistoryCorrupted(
                f"the history table {table}: column {column} is {present[column]}, "
                f"expected {COLUMN_TYPES[column][0]}"
            )
    return True


async def read(conn: asyncpg.Connection, table: HistoryTable) -> tuple[HistoryRow, ...]:
    """Every history row in version order (none when the table does not exist yet).

    Raises:
        HistoryCorrupted: a column missing or of another type, or a row no run could have written.
    """
    return (await read_table(conn, table))[1]


async def read_table(
    conn: asyncpg.Connection, table: HistoryTable
) -> tuple[bool, tuple[HistoryRow, ...]]:
    """Whether the history table is there, and its rows as `read` returns them (two queries)."""
    if not await _check_columns(conn, table):
        return False, ()
    rows = await conn.fetch(f"SELECT {', '.join(COLUMNS)} FROM {table.sql} ORDER BY version")
    return True, tuple(_row(table, dict(r)) for r in rows)


def _row(table: HistoryTable, r: dict[str, object]) -> HistoryRow:
    """A history row, checked: a row edited by hand is refused before it misleads a run."""
    version = r["version"]
    kind = r["kind"]
    if kind not in {k.value for k in Kind}:
        raise HistoryCorrupted(
            f"the history table {table}: row {version} has kind {kind!r} "
            f"(expected {' or '.join(k.value for k in Kind)})"
        )
    done, total, down = r["steps_done"], r["steps_total"], r["down_steps_done"]
    assert isinstance(done, int) and isinstance(total, int) and isinstance(down, int)
    if not 0 <= done <= total or down < 0 or (r["finished_at"] is not None and done != total):
        raise HistoryCorrupted(
            f"the history table {table}: row {version} records {done} of"
            f" {counted(total, 'step')} done"
            f"{' and finished' if r['finished_at'] is not None else ''}, which no run writes"
        )
    return HistoryRow(**{**r, "kind": Kind(kind)})  # type: ignore[arg-type]


async def client_host(conn: asyncpg.Connection) -> str:
    """The client address as the server sees it, or this machine's name over a Unix socket."""
    addr = await conn.fetchval("SELECT host(inet_client_addr())")
    return str(addr) if addr else socket.gethostname()


async def insert(
    conn: asyncpg.Connection,
    table: HistoryTable,
    migration: Migration,
    *,
    steps_done: int,
    finished: bool,
    duration_ms: int | None,
    host: str,
    kind: Kind = Kind.MIGRATE,
    if_absent: bool = False,
) -> None:
    """Record a migration: started now, finished now when `finished`.

    `if_absent`: keep the row already there (a step retried after its walk committed it).
    """
    keep = " ON CONFLICT (version) DO NOTHING" if if_absent else ""
    await conn.execute(
        f"""INSERT INTO {table.sql} (version, name, checksum, kind, steps_done, steps_total,
                started_at, finished_at, duration_ms, applied_by, client_host, tool_version)
            VALUES ($1, $2, $3, $4, $5, $6, now(), CASE WHEN $7 THEN clock_timestamp() END,
                    $8, current_user, $9, $10){keep}""",
        migration.version,
        migration.name,
        migration.checksum,
        kind.value,
        steps_done,
        len(migration.steps),
        finished,
        duration_ms,
        host,
        __version__,
    )


async def record_squash(conn: asyncpg.Connection, table: HistoryTable, baseline: Migration) -> None:
    """The row of a squash baseline's version becomes the baseline's, applied when that one was."""
    await conn.execute(
        f"""UPDATE {table.sql} SET name = $2, checksum = $3, kind = $4, steps_done = $5,
                steps_total = $5, tool_version = $6
            WHERE version = $1""",
        baseline.version,
        baseline.name,
        baseline.checksum,
        Kind.SQUASH.value,
        len(baseline.steps),
        __version__,
    )


async def record_step(
    conn: asyncpg.Connection,
    table: HistoryTable,
    version: str,
    steps_done: int,
    step_ms: int,
    *,
    last: bool,
) -> None:
    """A step is done: count it, add its time, and finish the row with the last step."""
    await conn.execute(
        f"""UPDATE {table.sql} SET steps_done = $2, duration_ms = coalesce(duration_ms, 0) + $3,
                finished_at = CASE WHEN $4 THEN clock_timestamp() ELSE finished_at END
            WHERE version = $1""",
        version,
        steps_done,
        step_ms,
        last,
    )


async def record_down_step(
    conn: asyncpg.Connection, table: HistoryTable, version: str, down_steps_done: int
) -> None:
    """A down step is done (a step-by-step rollback resumes after it)."""
    await conn.execute(
        f"UPDATE {table.sql} SET down_steps_done = $2 WHERE version = $1", version, down_steps_done
    )


async def delete(conn: asyncpg.Connection, table: HistoryTable, version: str) -> None:
    """Forget a migration (it was rolled back)."""
    await conn.execute(f"DELETE FROM {table.sql} WHERE version = $1", version)


# --- the migration lock -----------------------------------------------------------------

_HOLDER_SQL = """
SELECT a.pid, coalesce(a.application_name, '') AS application_name, coalesce(a.usename, '') AS user,
       coalesce(host(a.client_addr), '') AS client, coalesce(a.state, '') AS state,
       coalesce(left(a.query, 200), '') AS query,
       extract(epoch FROM now() - a.backend_start)::float8 AS age
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid::int8 = $1 AND l.objid::int8 = $2 AND l.objsubid = 1
LIMIT 1
"""


async def lock_holder(conn: asyncpg.Connection, key: int) -> Blocker | None:
    """The session holding the advisory lock `key` (pg_locks splits a bigint key in two oids)."""
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    row = await conn.fetchrow(_HOLDER_SQL, unsigned >> 32, unsigned & 0xFFFFFFFF)
    if row is None:
        return None
    # the holder's query is only this tool's own bookkeeping: show it as idle/active, not the SQL
    return Blocker(**{**dict(row), "query": ""})


async def acquire(
    conn: asyncpg.Connection,
    table: HistoryTable,
    *,
    wait: float = 0.0,
    on_event: EventSink | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Take the migration lock, waiting up to `wait` seconds for another migrator.

    Raises:
        MigratorBusy: naming the holder (pid, application, client) when the wait is over.
    """
    key = table.lock_key
    start = time.monotonic()
    told = False
    vanished = 0
    while True:
        if await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
            return
        waited = time.monotonic() - start
        holder = await lock_holder(conn, key)
        if holder is None and vanished < 5:
            # the holder let go between our two queries: the lock may be free now
            vanished += 1
            continue
        if waited >= wait:
            raise MigratorBusy(str(table), holder, waited)
        if not told:
            await emit(on_event, WaitingForMigrator(at=clock(), holder=holder, wait=wait))
            told = True
        # jitter: ten migrators queued behind one do not retry in lockstep
        await asyncio.sleep(min(wait - waited, 0.1 + random.random() * 0.2))


async def release(conn: asyncpg.Connection, table: HistoryTable) -> None:
    """Let the next migrator in (closing the session releases it too)."""
    if conn.is_closed():
        return
    # a broken session lost the lock with itself; do not mask the error that broke it
    with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        await conn.execute("SELECT pg_advisory_unlock($1)", table.lock_key)


# --- status -----------------------------------------------------------------------------------


class State(enum.StrEnum):
    """Where a migration stands, comparing the directory with the history."""

    APPLIED = "applied"
    PENDING = "pending"
    # started step by step and interrupted: `migrate` resumes it
    PARTIAL = "partial"
    # a rollback stopped half-way: `rollback` resumes it
    ROLLING_BACK = "rolling back"
    # applied, but the file's checksum differs from the one recorded
    MODIFIED = "modified"
    # in the history, not on disk
    MISSING = "missing"
    # a squash baseline where the migrations it replaced were applied: `migrate` records it
    SQUASHED = "squashed"


@dataclass(frozen=True, slots=True)
class Entry:
    """One migration's state, with its file and/or history row."""

    version: str
    name: str
    state: State
    migration: Migration | None = None
    row: HistoryRow | None = None
    # pending, but older than the newest applied migration
    out_of_order: bool = False


@dataclass(frozen=True, slots=True)
class Status:
    """The directory against the history, in version order."""

    entries: tuple[Entry, ...]
    table_exists: bool = True

    def having(self, *states: State) -> tuple[Entry, ...]:
        """The entries in any of `states`."""
        return tuple(e for e in self.entries if e.state in states)

    @property
    def last_applied(self) -> str | None:
        """The newest version the history records."""
        versions = [e.version for e in self.entries if e.row is not None]
        return max(versions, default=None)


def compare(
    migrations: Sequence[Migration], rows: Sequence[HistoryRow], *, table_exists: bool = True
) -> Status:
    """Pure: the state of every migration, on disk or in the history.

    A squash baseline stands for every migration up to its version: their
    rows, gone from disk, are not reported missing, and the baseline's
    version, recorded by the migration it replaced, is SQUASHED until
    `migrate` records the baseline in its place.
    """
    by_version = {m.version: m for m in migrations}
    recorded = {r.version: r for r in rows}
    last = max(recorded, default=None)
    covered = max((m.version for m in migrations if m.squashes), default="")
    entries = []
    for version in sorted(by_version.keys() | recorded.keys()):
        m, row = by_version.get(version), recorded.get(version)
        if row is None:
            assert m is not None
            entries.append(
                Entry(version, m.name, State.PENDING, m, None, last is not None and version < last)
            )
            continue
        if m is None:
            if version <= covered:
                continue  # replaced by a squash baseline
            state = State.MISSING
        elif m.checksum != row.checksum:
            state = State.SQUASHED if replaced_by(m, row) else State.MODIFIED
        elif row.down_steps_done:
            state = State.ROLLING_BACK
        elif row.finished_at is None:
            state = State.PARTIAL
        else:
            state = State.APPLIED
        name = m.name if m is not None and state is State.SQUASHED else row.name
        entries.append(Entry(version, name, state, m, row))
    return Status(tuple(entries), table_exists)


def replaced_by(baseline: Migration, row: HistoryRow) -> bool:
    """Whether `row` records the migration of its version that the squash `baseline` replaced."""
    return any(s.version == row.version and s.checksum == row.checksum for s in baseline.squashes)


def squash_unapplied(migrations: Sequence[Migration], rows: Sequence[HistoryRow]) -> str | None:
    """Why a squash baseline can neither run nor be recorded here, or None.

    A database that applied some of the migrations a baseline replaced, but
    not all of them, has part of its schema: running the baseline would fail
    on what exists, and recording it would skip what does not.
    """
    done = {r.version: r for r in rows if r.finished}
    for m in migrations:
        if not m.squashes or m.version in {r.version for r in rows if r.checksum == m.checksum}:
            continue
        applied = [s for s in m.squashes if s.version in done]
        if not applied:
            continue
        lacking = [
            s for s in m.squashes if s.version not in done or done[s.version].checksum != s.checksum
        ]
        if lacking:
            first = lacking[0]
            return (
                f"{m.filename} squashes {counted(len(m.squashes), 'migration')}; this database"
                f" applied {len(m.squashes) - len(lacking)} of them, not"
                f" {first.version}_{first.name}"
                + (f" and {len(lacking) - 1} more" if len(lacking) > 1 else "")
            )
    return None


# --- pushes -------------------------------------------------------------------------------------
#
# `push` changes a development database without a migration. It records when, by whom and how
# many changes in a table beside the history (`<history>_pushes`), so `status` can say why such
# a database differs from its applied migrations rather than call it unexplained drift.


@dataclass(frozen=True, slots=True)
class PushRow:
    """The last `push` to a database."""

    pushed_at: datetime
    pushed_by: str
    changes: int
    tool_version: str


def pushes_table(table: HistoryTable) -> HistoryTable:
    """The table of pushes, beside the history table (in the schema the diff never reads)."""
    return HistoryTable(table.schema, f"{table.name}_pushes")


async def record_push(conn: asyncpg.Connection, table: HistoryTable, changes: int) -> None:
    """Record a push of `changes` changes (creating the table on first use)."""
    pushes = pushes_table(table)
    async with conn.transaction():
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(pushes.schema)}")
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {pushes.sql} ("
            " pushed_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
            " pushed_by text NOT NULL DEFAULT current_user,"
            " changes integer NOT NULL,"
            " tool_version text NOT NULL)"
        )
        await conn.execute(
            f"INSERT INTO {pushes.sql} (changes, tool_version) VALUES ($1, $2)",
            changes,
            __version__,
        )


async def last_push(conn: asyncpg.Connection, table: HistoryTable) -> PushRow | None:
    """The last recorded push, if any (None too when the table is not there)."""
    pushes = pushes_table(table)
    if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", pushes.sql):
        return None
    row = await conn.fetchrow(
        f"SELECT pushed_at, pushed_by, changes, tool_version FROM {pushes.sql}"
        " ORDER BY pushed_at DESC LIMIT 1"
    )
    return None if row is None else PushRow(**dict(row))
