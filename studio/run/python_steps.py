"""Python steps: a data migration written as an async function, run like any step.

A step `-- schema-studio:python package.module:function key=value ...`
(`studio.migrations.format.PythonCall`) holds no SQL. The runner imports the
module with the project root first on `sys.path` and awaits
`function(conn, options)`: `conn` is the migrator's asyncpg connection, inside
the step's own transaction under the configured `lock_timeout` and
`statement_timeout` (SET LOCAL), and `options` the directive's `key=value`
pairs as a dict of text. The step's history update commits in that same
transaction, so a step that raises leaves nothing behind. A lock timeout rolls
the step back and calls the function again after a backoff, `retries` times,
as for a SQL step.

Resumable work goes through `batches(conn, table, body, size=...)`, the
backfill's walker (`studio.run.backfill`) with `body(batch)` in place of its
UPDATE: the table is walked by primary key up to the largest key present when
the walk began, each batch (`batch.first`..`batch.last`, both included) in
its own transaction together with its progress row in
`<history schema>.backfills`, retried alone on a lock timeout. What the
function did before `batches` commits as the walk begins, what it does after
commits with the step's history row. A step that fails mid-walk keeps the
batches it finished: a rerun calls the function again from the top and the walk
resumes after the last finished batch (so the work before `batches` should be
idempotent).

Every Python step of the migrations about to run is imported and looked up
before anything runs (`check`), so a missing module or function refuses the
run, and `lint` names it too.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg

from studio.errors import StudioError
from studio.migrations.python_calls import check, on_path, one_line, refuse_irreversible, resolve
from studio.model import quote_ident
from studio.run import backfill, replicas
from studio.run.events import BackfillStarted, Direction
from studio.run.executor import LockTimeout

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from studio.migrations.files import Migration
    from studio.migrations.format import Step
    from studio.migrations.python_calls import StepFunction
    from studio.run.executor import Executor

__all__ = ["Batch", "PythonStepFailed", "batches", "check", "refuse_irreversible", "run"]

DEFAULT_BATCH_SIZE = 1000


class PythonStepFailed(StudioError):
    """A Python step raised: its transaction was rolled back."""


@dataclass(frozen=True, slots=True)
class Batch:
    """One batch of `batches`: keys `first`..`last` (both included), as the key's Python values."""

    first: Any
    last: Any
    # rows with a key in the range when the batch was read
    rows: int
    # 1-based, counting the batches a resumed walk already finished
    number: int


# --- running the step ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Running:
    """The Python step running now, for `batches` (a context variable holds it)."""

    ex: Executor
    m: Migration
    step: Step
    direction: Direction
    # the step's open transaction: `batches` commits it and opens the one after the walk
    tx: Any
    walked: bool = False


_RUNNING: contextvars.ContextVar[_Running | None] = contextvars.ContextVar(
    "schema_studio_python_step", default=None
)


async def run(
    ex: Executor,
    m: Migration,
    step: Step,
    total: int,
    direction: Direction,
    record: Callable[[int], Awaitable[None]],
    root: Path | None,
    *,
    begin: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Run a Python step: `begin()`, the function and `record(duration_ms)` in one transaction.

    `begin` writes the migration's history row when this is its first step, as
    `Executor.step` does for a SQL step. Retried whole on a lock timeout (a
    resumed walk skips its finished batches).
    """
    call = step.python
    assert call is not None
    fn = resolve(call, root)
    file = m.down_path.name if direction is Direction.DOWN and m.down_path else m.filename
    where = f"step {step.index} of {file} (python: {call.target})"

    async def once(attempt: int) -> bool:
        await _attempt(ex, m, step, direction, fn, where, record, root, begin)
        return False

    await ex.attempts(m, step, total, direction, once)


async def _attempt(
    ex: Executor,
    m: Migration,
    step: Step,
    direction: Direction,
    fn: StepFunction,
    where: str,
    record: Callable[[int], Awaitable[None]],
    root: Path | None,
    begin: Callable[[], Awaitable[None]] | None,
) -> None:
    """One call of the function in the step's transaction; rolled back on any failure."""
    assert step.python is not None
    conn, t0 = ex.conn, ex.clock()
    state = _Running(ex, m, step, direction, ex.conn.transaction())
    token = _RUNNING.set(state)
    await state.tx.start()
    try:
        await ex._timeouts(local=True)
        # the function's errors and the step's bookkeeping around it are told as the step's
        with ex.talking(where):
            if begin is not None:
                await begin()
            with on_path(root):
                sent = time.monotonic()
                try:
                    await fn(conn, dict(step.python.options))
                except asyncpg.LockNotAvailableError:
                    raise LockTimeout(step, "", sent=sent) from None
                except (StudioError, LockTimeout, asyncpg.InterfaceError):
                    raise
                except asyncpg.PostgresError as e:
                    if ended := _ended(conn, where, e):
                        raise ended from None
                    raise
                except Exception as e:
                    raise _ended(conn, where, e) or PythonStepFailed(
                        f"{where} raised {one_line(e)}", _rolled_back(state)
                    ) from None
            if ended := _ended(conn, where):
                raise ended
            await record(int((ex.clock() - t0) * 1000))
    except BaseException as e:
        if not conn.is_closed():
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await state.tx.rollback()
        if isinstance(e, StudioError) and not isinstance(e, PythonStepFailed) and state.walked:
            e.hint = _rolled_back(state)
        raise
    finally:
        _RUNNING.reset(token)
    await state.tx.commit()


def _ended(
    conn: asyncpg.Connection, where: str, e: BaseException | None = None
) -> PythonStepFailed | None:
    """The error to raise when the function ended the step's transaction itself, else None.

    After its own COMMIT (or ROLLBACK) every statement it ran committed alone:
    that work stays whatever the runner does, and the step must not be
    recorded as if it were one transaction.
    """
    if conn.is_closed() or conn.is_in_transaction():
        return None
    raised = f" and raised {one_line(e)}" if e is not None else ""
    return PythonStepFailed(
        f"{where} ended the step's transaction itself (COMMIT or ROLLBACK){raised}",
        "what it ran after that committed statement by statement and stays; the step is not"
        " recorded: undo that by hand, and leave the transaction to the runner (batches()"
        " commits work in parts)",
    )


def _rolled_back(state: _Running) -> str:
    if state.walked:
        return (
            "the step's open transaction was rolled back; its finished batches are committed and"
            " recorded: fix the cause and run it again to resume after the last one"
        )
    return "the step's transaction was rolled back: nothing of it was changed"


# --- batches -----------------------------------------------------------------------------------


async def batches(
    conn: asyncpg.Connection,
    table: str,
    body: Callable[[Batch], Awaitable[int | None]],
    *,
    size: int = DEFAULT_BATCH_SIZE,
    key: str | None = None,
) -> int:
    """Walk `table` by primary key in batches of `size` keys, `await body(batch)` for each.

    Each batch runs in its own transaction with its progress row, under
    lock_timeout (a timed-out batch is retried alone); inside a Python step a
    rerun resumes after the last finished batch. `table` is `schema.table`
    (as written in SQL), `key` its key column (default: its one-column
    primary key). `body` may return the number of rows it changed, for the
    progress report. Returns the number of batches run now. Outside a
    migration (a test, a shell) it walks the whole table with no progress row.

    Raises:
        StudioError: no such table, no one-column primary key, or a second
            walk in one step.
    """
    if size < 1:
        raise StudioError(f"batches(): size must be at least 1, not {size}")
    column = key or await _primary_key(conn, table)
    state = _RUNNING.get()
    if state is None:
        return await _walk_alone(conn, table, column, body, size)
    if state.walked:
        raise StudioError(
            f"step {state.step.index} of {state.m.filename} calls batches() twice:"
            " one walk per Python step (split the work into two steps)"
        )
    if state.ex.conn is not conn:
        raise StudioError("batches() must be given the connection the step was called with")
    state.walked = True
    await state.tx.commit()  # what the function did before the walk
    try:
        ran, slot = await _walk(state, table, column, body, size)
    finally:
        # the step's last transaction: what follows the walk, then the history row
        state.tx = conn.transaction()
        await state.tx.start()
        await state.ex._timeouts(local=True)
    # finished together with the step's history row: both or neither
    await conn.execute(
        f"UPDATE {backfill.progress_table(state.ex.table)} SET finished_at = clock_timestamp(),"
        " updated_at = clock_timestamp() WHERE version = $1 AND step = $2",
        state.m.version,
        slot,
    )
    return ran


async def _primary_key(conn: asyncpg.Connection, table: str) -> str:
    rows = await conn.fetch(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
        " ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)"
        " WHERE i.indrelid = to_regclass($1) AND i.indisprimary",
        table,
    )
    if len(rows) != 1:
        exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table)
        what = "no such table" if not exists else f"{len(rows)} primary-key columns"
        raise StudioError(
            f"batches(): cannot walk {table} by primary key ({what})",
            "pass key= with a unique, indexed column",
        )
    return str(rows[0]["attname"])


def _spec(table: str, column: str, size: int) -> backfill.Spec:
    return backfill.Spec(table, column, "", size, ())


async def _walk(
    state: _Running,
    table: str,
    column: str,
    body: Callable[[Batch], Awaitable[int | None]],
    size: int,
) -> tuple[int, int]:
    """The backfill's walker over `table`, `body` per batch: batches run, the progress slot."""
    ex, m, step = state.ex, state.m, state.step
    spec = _spec(table, column, size)
    # a down step's batches have a progress row of their own (the up step's is finished)
    slot = -step.index if state.direction is Direction.DOWN else step.index
    key_type = await backfill._key_type(ex.conn, spec)
    progress = await backfill._start(ex.conn, ex.table, m, step, spec, slot)
    await ex.emit(
        BackfillStarted,
        version=m.version,
        index=step.index,
        table=table,
        key=column,
        rows_total=progress.rows_total,
        rows_done=progress.rows_done,
        batches=progress.batches,
        batch_size=size,
        kind="walk",
    )
    walker = backfill._Walker(ex, m, step, spec, key_type, size, progress)
    walker.slot, walker.sync_bypass = slot, "off"
    before = walker.batches

    async def one(b: backfill._Batch) -> int | None:
        return await body(Batch(b.first, b.last, b.rows, walker.batches + 1))

    walker.body = one
    if ex.settings.max_replica_lag > 0:
        walker.throttle = replicas.ReplicaThrottle(
            ex.conn, ex.settings.max_replica_lag, clock=ex.clock
        )
    await walker.walk(0.0)
    return walker.batches - before, slot


async def _walk_alone(
    conn: asyncpg.Connection,
    table: str,
    column: str,
    body: Callable[[Batch], Awaitable[int | None]],
    size: int,
) -> int:
    """Outside a migration: every batch in its own transaction, no progress row."""
    col = quote_ident(column)
    last: object = None
    for number in itertools.count(1):
        after = "" if last is None else f" WHERE {col} > $2"
        args = (size,) if last is None else (size, last)
        rows = await conn.fetch(
            f"SELECT min(k) AS first, max(k) AS last, count(*) AS n FROM"
            f" (SELECT {col} AS k FROM {table}{after} ORDER BY {col} LIMIT $1) s",
            *args,
        )
        first, last, n = rows[0]["first"], rows[0]["last"], int(rows[0]["n"])
        if n == 0:
            return number - 1
        async with conn.transaction():
            await body(Batch(first, last, n, number))
    raise AssertionError("unreachable")
