"""Backfill steps: one UPDATE run in batches by primary-key range, resumable, with progress.

A backfill step (`-- schema-studio:backfill`) holds one UPDATE whose WHERE
clause bounds the primary key with two bind parameters::

    -- schema-studio:step
    -- schema-studio:backfill
    -- backfill public.orders.order_status from status
    -- backfill table=public.orders key=id batch_size=10000
    UPDATE public.orders SET order_status = status::public.order_status
    WHERE id >= $1 AND id <= $2 AND order_status IS NULL AND status IS NOT NULL;

`$1` and `$2` are the first and last key of a batch (both included); the
table and the key are read from the statement itself (parsed with pglast), the
`batch_size=` comment is the default batch size. The backfill walks the keys
up to the largest one present when it started (rows written later went
through the sync trigger): each batch is the next `batch_size` keys, updated
in its own short transaction under lock_timeout (retried after a lock
timeout like any step) together with its progress row in
`<history schema>.backfills`, so an interrupted backfill resumes after its
last finished batch. The transaction sets `schema_studio.backfill = on`,
which the expand's sync trigger reads to step aside.

A batch that fails on a row (a value the conversion refuses, a NOT VALID
constraint it breaks) is rolled back, and the failing row is found by
bisecting the batch inside savepoints of a transaction that is rolled back
too: the error names the row's key and value, and nothing more was changed.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg

from studio.errors import MigrationFileError, StudioError, translate
from studio.model import quote_ident
from studio.plan.expand import BACKFILL_SETTING, DEFAULT_BATCH_SIZE
from studio.run import replicas
from studio.run.events import BackfillProgress, BackfillStarted, StepFinished, StepStarted
from studio.run.executor import LockTimeout
from studio.words import counted

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from studio.migrations.files import Migration, Step
    from studio.run.executor import Executor
    from studio.run.history import HistoryTable

_BATCH_SIZE = re.compile(r"\bbatch_size=(\d+)\b")
PROGRESS_TABLE = "backfills"


class BackfillFailed(StudioError):
    """A backfill batch failed on a row.

    Its key and value are named; nothing of the batch was written.
    """

    def __init__(
        self, message: str, hint: str, key: str | None = None, value: str | None = None
    ) -> None:
        super().__init__(message, hint)
        self.key = key
        self.value = value


@dataclass(frozen=True, slots=True)
class Options:
    """How to run backfill steps: batch size and the pause between batches.

    A batch size of None means the step's default.
    """

    batch_size: int | None = None
    pause: float = 0.0
    # False: `migrate` stops before a backfill step (`schema-studio backfill VERSION` runs it)
    run: bool = True
    # seconds between two looks at the standbys while the batches wait for them
    replica_poll: float = replicas.DEFAULT_POLL


@dataclass(frozen=True, slots=True)
class Spec:
    """What a backfill step's statement says.

    Its table, key column, default batch size and source columns.
    """

    table: str
    key: str
    statement: str
    batch_size: int
    # columns the SET expressions read: shown for a row that fails
    sources: tuple[str, ...]

    @property
    def key_sql(self) -> str:
        """The key column, quoted."""
        return quote_ident(self.key)


# --- the statement (pure) ---------------------------------------------------------------------


def parse_step(step: Step, where: str = "<step>") -> Spec:
    """Read a backfill step: one UPDATE bounded by `key >= $1 AND key <= $2`.

    Raises:
        MigrationFileError: the step is not of that shape.
    """
    from pglast import ast, parse_sql  # deferred: pglast loads its parser only when SQL is parsed

    # deferred: pglast loads its parser only when SQL is parsed
    from pglast.parser import ParseError

    def bad(problem: str) -> MigrationFileError:
        return MigrationFileError(
            where,
            step.line,
            f"backfill step {step.index}: {problem} "
            "(expected one `UPDATE table SET ... WHERE key >= $1 AND key <= $2 ...`)",
        )

    if len(step.statements) != 1:
        raise bad(f"{len(step.statements)} statements")
    sql = step.statements[0].sql
    try:
        tree = parse_sql(sql)
    except ParseError as e:
        raise bad(f"does not parse: {e}") from None
    stmt = tree[0].stmt
    if not isinstance(stmt, ast.UpdateStmt) or stmt.relation is None:
        raise bad("not an UPDATE")
    rel = stmt.relation
    table = ".".join(quote_ident(p) for p in (rel.schemaname, rel.relname) if p)
    lower = upper = None
    for expr in _conjuncts(stmt.whereClause):
        bound = _bound(expr)
        if bound is None:
            continue
        column, op, number = bound
        if number == 1 and op == ">=":
            lower = column
        elif number == 2 and op == "<=":
            upper = column
    if lower is None or upper is None or lower != upper:
        raise bad("its WHERE clause does not bound one key column with $1 and $2")
    sources = sorted({c for target in stmt.targetList or () for c in _columns(target.val)})
    m = _BATCH_SIZE.search("\n".join(step.annotations))
    batch = int(m[1]) if m else DEFAULT_BATCH_SIZE
    return Spec(table, lower, sql, batch, tuple(sources))


def _conjuncts(node: Any) -> list[Any]:
    from pglast import ast  # deferred: pglast loads its parser only when SQL is parsed

    # deferred: pglast loads its parser only when SQL is parsed
    from pglast.enums import BoolExprType

    if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.AND_EXPR:
        return [x for arg in node.args or () for x in _conjuncts(arg)]
    return [node] if node is not None else []


def _bound(node: Any) -> tuple[str, str, int] | None:
    """`column OP $n` (or `$n OP column`, flipped) as (column, op, n)."""
    from pglast import ast  # deferred: pglast loads its parser only when SQL is parsed

    # deferred: pglast loads its parser only when SQL is parsed
    from pglast.enums import A_Expr_Kind

    if not isinstance(node, ast.A_Expr) or node.kind != A_Expr_Kind.AEXPR_OP:
        return None
    names = node.name or ()
    if len(names) != 1 or not isinstance(names[0], ast.String):
        return None
    op = str(names[0].sval)
    flip = {">=": "<=", "<=": ">=", ">": "<", "<": ">"}
    left, right = node.lexpr, node.rexpr
    if isinstance(left, ast.ParamRef) and isinstance(right, ast.ColumnRef):
        left, right, op = right, left, flip.get(op, op)
    if isinstance(left, ast.ColumnRef) and isinstance(right, ast.ParamRef):
        last = (left.fields or ())[-1:]
        if last and isinstance(last[0], ast.String) and last[0].sval:
            return str(last[0].sval), op, int(right.number or 0)
    return None


def _columns(node: Any) -> set[str]:
    from pglast import ast  # deferred: pglast loads its parser only when SQL is parsed
    from pglast.visitors import Visitor  # deferred: pglast loads its parser only when SQL is parsed

    found: set[str] = set()

    class Refs(Visitor):
        def visit_ColumnRef(self, ancestors: object, ref: ast.ColumnRef) -> None:
            last = (ref.fields or ())[-1:]
            if last and isinstance(last[0], ast.String) and last[0].sval:
                found.add(str(last[0].sval))

    if node is not None:
        Refs()(node)
    return found


# --- the progress table ------------------------------------------------------------------------


def progress_table(history: HistoryTable) -> str:
    """The progress table, beside the history table: `<schema>.backfills`."""
    return f"{quote_ident(history.schema)}.{quote_ident(PROGRESS_TABLE)}"


def create_sql(history: HistoryTable) -> list[str]:
    """Statements creating the progress table (idempotent)."""
    return [
        f"CREATE SCHEMA IF NOT EXISTS {quote_ident(history.schema)}",
        f"""CREATE TABLE IF NOT EXISTS {progress_table(history)} (
    version text NOT NULL,
    step integer NOT NULL,
    table_name text NOT NULL,
    key_column text NOT NULL,
    -- the largest key when the backfill began: later rows were written through the sync trigger
    stop_key text,
    -- the last key of the last finished batch (NULL before the first)
    last_key text,
    rows_total bigint NOT NULL DEFAULT 0,
    rows_done bigint NOT NULL DEFAULT 0,
    rows_updated bigint NOT NULL DEFAULT 0,
    batches integer NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (version, step)
)""",
    ]


@dataclass(frozen=True, slots=True)
class Progress:
    """A backfill's recorded progress."""

    version: str
    step: int
    table_name: str
    key_column: str
    stop_key: str | None
    last_key: str | None
    rows_total: int
    rows_done: int
    rows_updated: int
    batches: int
    finished: bool

    @property
    def percent(self) -> float:
        """Share of the rows done, 0-100."""
        if self.finished or self.rows_total <= 0:
            return 100.0 if self.finished else 0.0
        return min(100.0, 100.0 * self.rows_done / self.rows_total)


_PROGRESS_COLUMNS = (
    "version, step, table_name, key_column, stop_key, last_key, rows_total, rows_done, "
    "rows_updated, batches, finished_at IS NOT NULL AS finished"
)


async def read_progress(conn: asyncpg.Connection, history: HistoryTable) -> tuple[Progress, ...]:
    """Every recorded backfill (none when the table does not exist yet)."""
    table = progress_table(history)
    if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table):
        return ()
    rows = await conn.fetch(f"SELECT {_PROGRESS_COLUMNS} FROM {table} ORDER BY version, step")
    return tuple(Progress(**dict(r)) for r in rows)


async def _progress_of(
    conn: asyncpg.Connection, history: HistoryTable, version: str, index: int
) -> Progress | None:
    row = await conn.fetchrow(
        f"SELECT {_PROGRESS_COLUMNS} FROM {progress_table(history)}"
        " WHERE version = $1 AND step = $2",
        version,
        index,
    )
    return Progress(**dict(row)) if row is not None else None


async def forget(conn: asyncpg.Connection, history: HistoryTable, version: str) -> None:
    """Drop a migration's progress rows (it was rolled back)."""
    table = progress_table(history)
    if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table):
        await conn.execute(f"DELETE FROM {table} WHERE version = $1", version)


# --- running --------------------------------------------------------------------------------------


class _Batch:
    """Keys of one batch: native values for the statement, text for the progress row."""

    __slots__ = ("first", "first_text", "last", "last_text", "rows")

    def __init__(self, row: asyncpg.Record) -> None:
        self.first, self.last = row["first"], row["last"]
        self.first_text, self.last_text = row["first_text"], row["last_text"]
        self.rows = int(row["n"])


async def run(
    ex: Executor,
    m: Migration,
    step: Step,
    total: int,
    record: Callable[[int], Awaitable[None]],
    options: Options,
) -> None:
    """Run a backfill step to the end (resuming from its progress row), then `record(duration_ms)`.

    The last transaction marks the progress row finished and records the
    step, so the history says the step is done exactly when every batch is.
    """

    conn, history = ex.conn, ex.table
    spec = parse_step(step, m.filename)
    batch_size = options.batch_size or spec.batch_size
    ex.current = step.index
    await ex.emit(
        StepStarted,
        version=m.version,
        index=step.index,
        steps_total=total,
        title=step.title,
        transactional=True,
    )
    t0 = ex.clock()
    with translate(f"backfill step {step.index} of {m.filename}"):
        key_type = await _key_type(conn, spec)
        progress = await _start(conn, history, m, step, spec)
        await ex.emit(
            BackfillStarted,
            version=m.version,
            index=step.index,
            table=spec.table,
            key=spec.key,
            rows_total=progress.rows_total,
            rows_done=progress.rows_done,
            batches=progress.batches,
            batch_size=batch_size,
        )
        walker = _Walker(ex, m, step, spec, key_type, batch_size, progress)
        if ex.settings.max_replica_lag > 0:
            walker.throttle = replicas.ReplicaThrottle(
                conn, ex.settings.max_replica_lag, poll=options.replica_poll, clock=ex.clock
            )
        await walker.walk(options.pause)
        async with conn.transaction():
            await conn.execute(
                f"UPDATE {progress_table(history)} SET finished_at = clock_timestamp(), "
                "updated_at = clock_timestamp() WHERE version = $1 AND step = $2",
                m.version,
                step.index,
            )
            await record(int((ex.clock() - t0) * 1000))
    await ex.emit(
        StepFinished,
        version=m.version,
        index=step.index,
        steps_total=total,
        duration=ex.clock() - t0,
    )


async def _key_type(conn: asyncpg.Connection, spec: Spec) -> str:
    key_type = await conn.fetchval(
        "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped",
        spec.table,
        spec.key,
    )
    if key_type is None:
        raise StudioError(
            f"backfill: {spec.table} has no column {quote_ident(spec.key)}",
            "the backfill step names a table or key that does not exist",
        )
    return str(key_type)


async def _start(
    conn: asyncpg.Connection,
    history: HistoryTable,
    m: Migration,
    step: Step,
    spec: Spec,
    slot: int | None = None,
) -> Progress:
    """The progress row, created with the key range and row count on the first run.

    `slot` is the row's step number (a down step's Python batches use minus its index).
    """
    slot = step.index if slot is None else slot
    for statement in create_sql(history):
        await conn.execute(statement)
    found = await _progress_of(conn, history, m.version, slot)
    if found is not None:
        return found
    key, table = spec.key_sql, spec.table
    # one snapshot: the rows up to the stop key
    # (a row committed later below it is done, not counted)
    stop, rows = await conn.fetchrow(f"SELECT max({key})::text, count(*) FROM {table}")
    await conn.execute(
        f"""INSERT INTO {progress_table(history)}
            (version, step, table_name, key_column, stop_key, rows_total)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
        m.version,
        slot,
        spec.table,
        spec.key,
        stop,
        rows,
    )
    found = await _progress_of(conn, history, m.version, slot)
    assert found is not None
    return found


class _Walker:
    """Walks the key range batch by batch, each batch one transaction with its progress update."""

    def __init__(
        self,
        ex: Executor,
        m: Migration,
        step: Step,
        spec: Spec,
        key_type: str,
        batch_size: int,
        progress: Progress,
    ) -> None:
        self.ex, self.m, self.step, self.spec = ex, m, step, spec
        self.key_type, self.batch_size, self.progress = key_type, batch_size, progress
        key, table = spec.key_sql, spec.table
        self.rows_done, self.batches = progress.rows_done, progress.batches
        # rows the last batch's UPDATE changed
        self.updated = 0
        # holds the batches back while a standby lags (None: max_replica_lag = 0)
        self.throttle: replicas.ReplicaThrottle | None = None
        # the progress row's step number (`_start`'s slot)
        self.slot = step.index
        # a Python step's work per batch (studio.run.python_steps), instead of the statement;
        # it returns the rows it changed (or None)
        self.body: Callable[[_Batch], Awaitable[int | None]] | None = None
        # 'on': the expand's sync trigger steps aside (a Python step's writes go through it)
        self.sync_bypass = "on"
        # the next `batch_size` keys after the last finished batch, up to the stop key
        inner = f"SELECT {key} AS k FROM {table} WHERE {key} <= $1::text::{key_type}"
        self.first_sql = self._bounds(f"{inner} ORDER BY {key} LIMIT $2")
        self.next_sql = self._bounds(
            f"{inner} AND {key} > $3::text::{key_type} ORDER BY {key} LIMIT $2"
        )

    @staticmethod
    def _bounds(inner: str) -> str:
        return (
            "SELECT min(k) AS first, max(k) AS last, min(k)::text AS first_text, "
            f"max(k)::text AS last_text, count(*) AS n FROM ({inner}) s"
        )

    async def walk(self, pause: float) -> None:
        if self.progress.stop_key is None:
            return  # the table was empty when the backfill began
        last = self.progress.last_key
        started, done_here = self.ex.clock(), 0
        while True:
            if self.throttle is not None:
                await self.throttle.wait(self._report)
            batch = await self._one(last)
            if batch is None:
                return
            last = batch.last_text
            done_here += batch.rows
            elapsed = max(self.ex.clock() - started, 1e-6)
            rate = done_here / elapsed
            left = max(self.progress.rows_total - self.rows_done, 0)
            await self.ex.emit(
                BackfillProgress,
                version=self.m.version,
                index=self.step.index,
                table=self.spec.table,
                batch=self.batches,
                first=batch.first_text,
                last=batch.last_text,
                rows=batch.rows,
                updated=self.updated,
                rows_done=self.rows_done,
                rows_total=max(self.progress.rows_total, self.rows_done),
                rows_per_second=rate,
                eta=left / rate if rate > 0 else None,
            )
            if pause > 0:
                await asyncio.sleep(pause)

    async def _report(self, event_type: type, **fields: object) -> None:
        """A throttle event, with the step's own fields."""
        await self.ex.emit(
            event_type, version=self.m.version, index=self.step.index, table=self.spec.table,
            **fields,
        )  # fmt: skip

    async def _one(self, last: str | None) -> _Batch | None:
        """One batch in its own transaction, retried on lock timeouts.

        None when the walk is over.
        """
        ex = self.ex
        # a failure names the batch, as a step's names its line
        where = f"step {self.step.index} of {self.m.filename}, batch {self.batches + 1}"
        for attempt in itertools.count(1):
            try:
                # outside: a COMMIT the connection's end interrupts names the batch too
                with translate(where):
                    async with ex.conn.transaction():
                        with ex.talking(where):
                            batch = await self._batch(last)
                if batch is not None:
                    self.rows_done += batch.rows
                    self.batches += 1
                return batch
            except _RowFailure as f:
                raise await self._name_the_row(f.batch, f.error) from None
            except LockTimeout as lt:
                await ex._lock_timed_out(self.m, lt, attempt, whole=False)
        raise AssertionError("unreachable")

    async def _batch(self, last: str | None) -> _Batch | None:
        """The next batch's UPDATE and its progress row, in the caller's transaction.

        None when none is left.
        """
        conn, ex = self.ex.conn, self.ex
        await conn.execute(
            "SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2,"
            " true), set_config($3, $4, true)",
            ex.settings.lock_timeout,
            ex.settings.statement_timeout,
            BACKFILL_SETTING,
            self.sync_bypass,
        )
        if last is None:
            row = await conn.fetchrow(self.first_sql, self.progress.stop_key, self.batch_size)
        else:
            row = await conn.fetchrow(self.next_sql, self.progress.stop_key, self.batch_size, last)
        assert row is not None
        batch = _Batch(row)
        if batch.rows == 0:
            return None
        sent = time.monotonic()
        if self.body is not None:
            try:
                self.updated = await self.body(batch) or 0
            except _CONTENTION:
                raise LockTimeout(self.step, "", sent=sent) from None
            return await self._advance(batch)
        try:
            status = await conn.execute(self.spec.statement, batch.first, batch.last)
        except _CONTENTION:
            # a lock timeout, or a deadlock with the application: the batch is retried
            raise LockTimeout(self.step, self.spec.statement, sent=sent) from None
        except (asyncpg.QueryCanceledError, asyncpg.InterfaceError, OSError):
            raise
        except asyncpg.PostgresError as e:
            # leave the transaction (rolled back) before looking for the row
            raise _RowFailure(batch, e) from None
        self.updated = int(status.split()[-1]) if status else 0
        return await self._advance(batch)

    async def _advance(self, batch: _Batch) -> _Batch:
        """The progress row moved past `batch`, in the batch's transaction."""
        ex = self.ex
        await ex.conn.execute(
            f"""UPDATE {progress_table(ex.table)} SET last_key = $3, rows_done = rows_done + $4,
                    rows_updated = rows_updated + $5, batches = batches + 1,
                    updated_at = clock_timestamp()
                WHERE version = $1 AND step = $2""",
            self.m.version,
            self.slot,
            batch.last_text,
            batch.rows,
            self.updated,
        )
        return batch

    async def _name_the_row(self, batch: _Batch, error: asyncpg.PostgresError) -> StudioError:
        """Bisect the failed batch in savepoints (all rolled back) to name the row that fails."""
        conn, spec = self.ex.conn, self.spec
        found: tuple[str, str] | None = None
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute(
                "SELECT set_config('lock_timeout', $1, true), set_config($2, 'on', true)",
                self.ex.settings.lock_timeout,
                BACKFILL_SETTING,
            )
            keys = await conn.fetch(
                f"SELECT {spec.key_sql} AS k, {spec.key_sql}::text AS t FROM {spec.table} "
                f"WHERE {spec.key_sql} >= $1 AND {spec.key_sql} <= $2 ORDER BY {spec.key_sql}",
                batch.first,
                batch.last,
            )

            async def fails(i: int, j: int) -> asyncpg.PostgresError | None:
                sp = conn.transaction()
                await sp.start()
                try:
                    await conn.execute(spec.statement, keys[i]["k"], keys[j]["k"])
                except _CONTENTION:
                    raise
                except asyncpg.PostgresError as e:
                    return e
                finally:
                    await sp.rollback()
                return None

            lo, hi = 0, len(keys) - 1
            if keys and await fails(lo, hi):
                while lo < hi:
                    mid = (lo + hi) // 2
                    if await fails(lo, mid):
                        hi = mid
                    else:
                        lo = mid + 1
                row_error = await fails(lo, lo)
                if row_error is not None:
                    error = row_error
                    found = (keys[lo]["t"], await self._values(keys[lo]["k"]))
        except _CONTENTION:
            pass  # the application holds rows of the batch: report the batch, not a row
        finally:
            await tx.rollback()
        done = (
            f"{self.rows_done:,} of {counted(self.progress.rows_total, 'row')}"
            f" done in {counted(self.batches, 'batch')}"
        )
        hint = (
            "fix the row (or the conversion), then run `schema-studio migrate` again (or "
            f"`schema-studio backfill {self.m.version}`):"
            f" it resumes after the last finished batch ({done})"
        )
        message = str(error).splitlines()[0]
        if found is None:
            return BackfillFailed(
                f"backfill of {spec.table} failed in the batch of keys"
                f" {batch.first_text}..{batch.last_text}: {error.__class__.__name__}: {message};"
                " nothing of that batch was written",
                hint,
            )
        key, values = found
        return BackfillFailed(
            f"backfill of {spec.table} stopped at the row {quote_ident(spec.key)} = {key}"
            f" ({values}): {message}; nothing of that batch was written",
            hint,
            key,
            values,
        )

    async def _values(self, key: object) -> str:
        spec = self.spec
        if not spec.sources:
            return "no source column"
        cols = ", ".join(f"{quote_ident(c)}::text AS {quote_ident(c)}" for c in spec.sources)
        row = await self.ex.conn.fetchrow(
            f"SELECT {cols} FROM {spec.table} WHERE {spec.key_sql} = $1", key
        )
        if row is None:
            return "row gone"
        return ", ".join(
            f"{quote_ident(c)} = {'NULL' if row[c] is None else repr(row[c])}" for c in spec.sources
        )


# errors of contention with the application, not of the data: the batch is retried
_CONTENTION = (
    asyncpg.LockNotAvailableError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
)


class _RowFailure(Exception):
    """A batch's UPDATE failed on the data (internal: leaves the batch's transaction first)."""

    def __init__(self, batch: _Batch, error: asyncpg.PostgresError) -> None:
        super().__init__(str(error))
        self.batch = batch
        self.error = error
