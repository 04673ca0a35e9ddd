"""Applying and rolling back migrations, cautiously, with a stream of events.

- One migrator at a time: a session-level advisory lock keyed by the history
  table's name (`history.acquire`). It is a *session* lock, so it does not
  hold behind a transaction-pooling proxy (PgBouncer in transaction mode hands
  each transaction to any server session): the runner refuses such a target
  (`studio.run.pooling`) and says to connect to PostgreSQL directly.
- A migration whose steps are all transactional runs in one transaction
  together with its history row: it is applied entirely or not at all.
- A migration with any non-transactional step runs step by step: each
  transactional step commits together with its history update; a
  non-transactional one (it cannot run in a transaction) is followed at once
  by its history update. The history row is written with the first step (in
  its transaction), so a migration whose first step fails, SQL or Python, is
  left pending as a failed one-transaction migration is. A rerun after a
  crash resumes after the last recorded step. Because a crash can fall between a non-transactional
  statement and its history update, such steps should be idempotent (IF [NOT]
  EXISTS); `CREATE INDEX CONCURRENTLY` is taken care of (`studio.run.executor`).
- Every step runs under `lock_timeout` and `statement_timeout`, with bounded
  retries on lock timeouts (`studio.run.executor`).
- Each migrator session sets `client_connection_check_interval` (PostgreSQL
  14+): when the migrator process dies, its server session notices within a
  second and stops, instead of finishing a statement nobody will record while
  keeping the migration lock. It also sets `idle_in_transaction_session_timeout`
  (`idle_in_transaction_timeout`, 5 s): a migrator stopped inside a transaction
  (SIGSTOP, a suspended terminal, a blocked output pipe) has its session ended
  by the server, which releases its locks and the application queued behind
  them. The runner itself never idles inside a transaction: retry backoffs and
  backfill pauses sleep between transactions.
- While a step runs, the lock-queue guard (`studio.run.queue_guard`) watches it
  with the lock monitor: a step waiting for its lock past `queue_guard`
  seconds while the application queues behind it is cancelled and retried.
  The guard opens its own connection, so it needs a URL as the target.
- Events (`studio.run.events`) go to an `on_event` sink: the CLI prints them, the
  studio draws them; `studio.run.events.stream` makes an async iterator of a run.
- Expand/contract (`studio.plan.expand`): a migration with a phase or a backfill
  step always runs step by step; a backfill step runs in batches
  (`studio.run.backfill`), each batch committed with its progress; a contract
  migration runs only once its expand is applied and `confirm_contract` says
  the old application version is gone (`studio.run.phases.gate`); until then
  it waits, and the later migrations run past it unless they use what it drops
  or renames (`studio.run.inflight.schedule`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

from studio.catalog import connect as db
from studio.config import mask_dsn
from studio.errors import ChecksumMismatch, StudioError, translate
from studio.run import backfill, history, inflight, python_steps
from studio.run.events import (
    BackfillDeferred,
    Direction,
    MigrationFailed,
    MigrationFinished,
    MigrationStarted,
    RunFinished,
    RunStarted,
    emit,
)
from studio.run.executor import Backoff, Executor, StatementTimeout
from studio.run.history import HistoryRow, HistoryTable, State
from studio.run.pooling import refuse_transaction_pooling
from studio.run.queue_guard import QueueGuard
from studio.run.replicas import ReplicaLagHidden
from studio.run.stalls import Stalls
from studio.words import counted

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence
    from typing import TypeAlias

    from studio.config import Settings
    from studio.migrations.files import Migration
    from studio.run.events import EventSink

    Target: TypeAlias = str | asyncpg.Connection

__all__ = [
    "Backoff",
    "OutOfOrder",
    "RunResult",
    "StatementTimeout",
    "apply",
    "backfill_only",
    "baseline",
    "migrations_to_run",
    "record_squash",
    "rollback",
    "rollback_plan",
    "status",
]

APPLICATION_NAME = "schema-studio migrate"
SQUASH_HINT = (
    "apply the rest with a checkout from before the squash (git), then migrate with this one"
)
DEFAULT_BACKOFF = Backoff()


class OutOfOrder(StudioError):
    """A pending migration is older than the newest applied one."""

    hint = (
        "added on another branch? renumber it after the applied ones with"
        " `schema-studio rebase VERSION`, or pass --allow-out-of-order"
    )


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a run did."""

    direction: Direction
    # versions applied (or rolled back), in the order they ran
    versions: tuple[str, ...]
    duration: float
    # in the history but not on disk (reported, not an error)
    missing: tuple[str, ...] = ()


# --- planning (pure) --------------------------------------------------------------------------


def migrations_to_run(
    migrations: Sequence[Migration],
    rows: Sequence[HistoryRow],
    *,
    to: str | None = None,
    allow_out_of_order: bool = False,
) -> tuple[tuple[Migration, HistoryRow | None], ...]:
    """What `apply` will run, in order: interrupted migrations first, then pending ones up to `to`.

    Raises:
        ChecksumMismatch: an applied migration's file was changed.
        OutOfOrder: a pending migration is older than the newest applied one.
        StudioError: `to` is unknown, a rollback is half-way, or a migration has no SQL.
    """
    status = history.compare(migrations, rows)
    if changed := changed_after_applied(status):
        raise changed[0]
    if unapplied := history.squash_unapplied(migrations, rows):
        raise StudioError(unapplied, SQUASH_HINT)
    for entry in status.having(State.ROLLING_BACK):
        raise StudioError(
            f"{entry.version}_{entry.name} is half rolled back",
            "run `schema-studio rollback` again to finish rolling it back",
        )
    if to is not None and to not in {e.version for e in status.entries}:
        raise StudioError(
            f"no migration with version {to}", "see `schema-studio status` for the versions"
        )
    todo: list[tuple[Migration, HistoryRow | None]] = []
    # a contract that waited while later migrations ran past it is not out of order
    waiting = {m.version for m in inflight.waiting_contracts(migrations, rows)}
    for entry in status.having(State.PARTIAL):
        assert entry.migration is not None
        todo.append((entry.migration, entry.row))
    for entry in status.having(State.PENDING):
        assert entry.migration is not None
        if to is not None and entry.version > to:
            continue
        if entry.out_of_order and not allow_out_of_order and entry.version not in waiting:
            raise OutOfOrder(
                f"{entry.migration.filename} is older than the last applied migration"
                f" ({status.last_applied}): refusing to apply it out of order"
            )
        todo.append((entry.migration, None))
    for m, _ in todo:
        if not m.steps:
            raise StudioError(
                f"{m.path} has no SQL",
                "write its statements, or delete the file and run `schema-studio hash`",
            )
    return tuple(todo)


def changed_after_applied(status: history.Status) -> tuple[ChecksumMismatch, ...]:
    """An error per applied migration whose file's checksum is no longer the recorded one.

    The one its history row recorded.
    """
    return tuple(_modified(e.migration) for e in status.having(State.MODIFIED) if e.migration)


def _modified(m: Migration) -> ChecksumMismatch:
    err = ChecksumMismatch(str(m.path))
    err.message = (
        f"{m.path} was changed after it was applied (its checksum differs from the history's)"
    )
    err.args = (err.message,)
    err.hint = (
        "an applied migration is immutable: restore the file,"
        " and write a new migration for the change"
    )
    return err


# --- sessions ------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _session(
    target: Target, settings: Settings, *, read_only: bool = False
) -> AsyncIterator[asyncpg.Connection]:
    if not isinstance(target, str):
        # the caller's connection: the idle limit set for the run (`session_limits`)
        # is undone after it
        before = await target.fetchval(
            "SELECT current_setting('idle_in_transaction_session_timeout')"
        )
        try:
            yield target
        finally:
            if not target.is_closed():
                with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                    await target.execute(_SET_IDLE, before)
        return
    conn = await db.connect(
        target,
        timeout=settings.connect_timeout,
        application_name=APPLICATION_NAME,
        read_only=read_only,
    )
    try:
        if not read_only:
            # the migration lock is a session lock: refuse a pool that shares sessions
            await refuse_transaction_pooling(conn, target, timeout=settings.connect_timeout)
        yield conn
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.close(), timeout=5)


@contextlib.asynccontextmanager
async def _queue_guard(target: Target, settings: Settings) -> AsyncIterator[QueueGuard | None]:
    """The lock-queue guard of a run (none on a caller's connection: the guard needs a URL)."""
    if not isinstance(target, str) or settings.queue_guard <= 0:
        yield None
        return
    async with QueueGuard.running(
        target, limit=settings.queue_guard, connect_timeout=settings.connect_timeout
    ) as guard:
        yield guard


def _where(target: Target) -> str:
    return mask_dsn(target) if isinstance(target, str) else ""


_SET_IDLE = "SELECT set_config('idle_in_transaction_session_timeout', $1, false)"


async def session_limits(conn: asyncpg.Connection, settings: Settings) -> None:
    """The migrator session's own limits.

    A dead client is noticed, a frozen one's transaction ended.
    """
    # PostgreSQL 14+; a dead migrator's session stops at the next check instead of running on
    if await db.server_version_num(conn) >= 140000:
        await conn.execute("SELECT set_config('client_connection_check_interval', '1s', false)")
    # a stopped migrator (SIGSTOP, a suspended terminal, a blocked output pipe) idle in its
    # transaction would keep its locks, and the application queued behind them, until it wakes
    await conn.execute(_SET_IDLE, settings.idle_in_transaction_timeout)


# --- apply ----------------------------------------------------------------------------------------


async def apply(
    target: Target,
    settings: Settings,
    migrations: Sequence[Migration],
    *,
    to: str | None = None,
    wait: float = 0.0,
    allow_out_of_order: bool = False,
    on_event: EventSink | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
    backfills: backfill.Options | None = None,
    confirm_contract: inflight.Confirmation = False,
    on_backend: Callable[[int], None] | None = None,
) -> RunResult:
    """Apply pending migrations (resuming an interrupted one first), up to `to`.

    `target` is a database URL or an open connection (kept open). The
    migration lock is taken first; `wait` seconds is how long to queue
    behind another migrator. The checksum file is the caller's to verify.
    `on_backend` is told the migrator session's backend pid before anything
    runs (the studio highlights its session in the lock tail and cancels its
    running statement on abort).

    `confirm_contract`: True applies every contract that comes up, a version
    only that contract; the others wait, and the migrations after them run
    past them unless they use what a waiting one drops or renames.

    Raises:
        ContractNotConfirmed: once the run is over, when contracts wait for
            confirmation (its `waiting` names them, `passed` what ran past them).
        ContractBlocked: a contract migration whose expand is not finished.
        ContractConflict: a migration uses what a waiting contract drops or
            renames (refused before anything runs).
    """
    options = backfills or backfill.Options()
    table = HistoryTable.parse(settings.history_table)
    started = clock()
    with translate(_where(target)):
        async with (
            _session(target, settings) as conn,
            _queue_guard(target, settings) as guard,
            Stalls.ticking() as stalls,
        ):
            if on_backend is not None:
                on_backend(conn.get_server_pid())
            await session_limits(conn, settings)
            await history.acquire(conn, table, wait=wait, on_event=on_event, clock=clock)
            try:
                await history.ensure(conn, table)
                rows = await history.read(conn, table)
                todo = migrations_to_run(
                    migrations, rows, to=to, allow_out_of_order=allow_out_of_order
                )
                # a Python step whose function is missing refuses the run before anything runs
                python_steps.check([m for m, _ in todo], settings.root)
                # unconfirmed contracts wait; what follows runs past them unless it conflicts
                plan = inflight.schedule(
                    todo, migrations, {r.version for r in rows if r.finished}, confirm_contract
                )
                missing = tuple(
                    e.version for e in history.compare(migrations, rows).having(State.MISSING)
                )
                runner = Executor(
                    conn,
                    settings,
                    table,
                    on_event,
                    clock,
                    backoff,
                    rng or random.Random(),
                    await history.client_host(conn),
                    guard,
                    stalls=stalls,
                )
                await emit(
                    on_event,
                    RunStarted(
                        at=clock(),
                        direction=Direction.UP,
                        migrations=tuple((m.version, m.name, len(m.steps)) for m, _ in plan.run),
                    ),
                )
                done: list[str] = []
                waiting = plan.waiting
                for m, row in plan.run:
                    if not await _apply_one(runner, m, row, options):
                        waiting = ()  # stopped before a backfill step (--no-backfill)
                        break
                    done.append(m.version)
            finally:
                await history.release(conn, table)
    result = RunResult(Direction.UP, tuple(done), clock() - started, missing)
    if waiting and not done:
        # only contracts waiting: not "up to date", a question (as before anything ran)
        raise inflight.not_confirmed(waiting, migrations)
    await emit(
        on_event,
        RunFinished(
            at=clock(), direction=Direction.UP, versions=result.versions, duration=result.duration
        ),
    )
    if waiting:
        raise inflight.not_confirmed(waiting, migrations, applied=result.versions)
    return result


def _row_opener(runner: Executor, m: Migration) -> Callable[[], Awaitable[None]]:
    """Writes the history row of a migration run step by step, no step done yet.

    Called in its first step's transaction (SQL or Python, `Executor.step` and
    `python_steps.run` alike): a first step that fails leaves no row, and the
    migration stays pending, as a failed one-transaction migration does. A
    first step that commits before its record (no transaction, a backfill's or
    a walk's batches) commits the row first, so a rerun resumes it; an attempt
    retried after that keeps it.
    """

    async def open_row() -> None:
        await history.insert(
            runner.conn,
            runner.table,
            m,
            steps_done=0,
            finished=False,
            duration_ms=0,
            host=runner.host,
            if_absent=True,
        )

    return open_row


def _one_transaction(m: Migration) -> bool:
    """Whether a migration runs whole in one transaction (phased and backfilling ones never do)."""
    return m.one_transaction


async def _apply_one(
    runner: Executor, m: Migration, row: HistoryRow | None, options: backfill.Options
) -> bool:
    """Apply one migration; False when it stopped before a backfill step (`options.run` off)."""
    conn, table = runner.conn, runner.table
    done = row.steps_done if row else 0
    whole = row is None and _one_transaction(m)
    total = len(m.steps)
    await runner.emit(
        MigrationStarted,
        version=m.version,
        name=m.name,
        steps_total=total,
        steps_done=done,
        transactional=whole,
    )
    started = runner.clock()
    runner.current = None
    try:
        with translate(m.filename):
            if whole:

                async def record_all(ms: int) -> None:
                    await history.insert(
                        conn,
                        table,
                        m,
                        steps_done=total,
                        finished=True,
                        duration_ms=ms,
                        host=runner.host,
                    )

                await runner.transactional(m, m.steps, Direction.UP, record_all)
            else:
                # no row yet: written with the first step, so a first step that fails leaves none
                begin = None if row is not None else _row_opener(runner, m)
                for step in m.steps[done:]:
                    first, begin = begin, None

                    async def record(ms: int, index: int = step.index) -> None:
                        await history.record_step(
                            conn, table, m.version, index, ms, last=index == total
                        )

                    if step.backfill:
                        if not options.run:
                            await runner.emit(
                                BackfillDeferred, version=m.version, name=m.name, index=step.index
                            )
                            return False
                        if first is not None:
                            await first()  # its batches commit before its record
                        await backfill.run(runner, m, step, total, record, options)
                        continue
                    if step.python is not None:
                        await python_steps.run(
                            runner,
                            m,
                            step,
                            total,
                            Direction.UP,
                            record,
                            runner.settings.root,
                            begin=first,
                        )
                        continue
                    if m.phase is not None:
                        await runner.wait_for_autovacuum(m, step)
                    await runner.step(
                        m,
                        step,
                        total,
                        Direction.UP,
                        record,
                        resuming=row is not None and step.index == done + 1,
                        begin=first,
                    )
    except StudioError as e:
        current = runner.current
        # a failed backfill's hint already says where it resumes; a blind throttle's, the GRANT
        if (
            not whole
            and current is not None
            and current > 1
            and not isinstance(e, backfill.BackfillFailed | ReplicaLagHidden)
        ):
            committed = "step 1 is" if current == 2 else f"steps 1-{current - 1} are"
            e.hint = (
                f"{committed} committed and recorded; fix the cause, then run migrate again "
                f"to resume at step {current}"
            )
        await runner.emit(
            MigrationFailed,
            version=m.version,
            name=m.name,
            index=current,
            message=e.message,
            hint=e.hint,
        )
        raise
    await runner.emit(
        MigrationFinished, version=m.version, name=m.name, duration=runner.clock() - started
    )
    return True


# --- backfill alone -------------------------------------------------------------------------------


async def backfill_only(
    target: Target,
    settings: Settings,
    migrations: Sequence[Migration],
    version: str,
    *,
    wait: float = 0.0,
    on_event: EventSink | None = None,
    options: backfill.Options | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> int:
    """Run the backfill step(s) `version` stopped at, and nothing else; the number of steps run.

    The steps before the backfill must be applied (`migrate` or `migrate
    --no-backfill` does that); the run stops at the first step after the
    backfill that is not one, which `migrate` applies.

    Raises:
        StudioError: no such migration, no backfill step, or steps before it pending.
    """
    m = next((x for x in migrations if x.version == version), None)
    if m is None:
        raise StudioError(
            f"no migration with version {version} on disk", "see `schema-studio status`"
        )
    if not any(s.backfill for s in m.steps):
        raise StudioError(f"{m.filename} has no backfill step")
    table = HistoryTable.parse(settings.history_table)
    with translate(_where(target)):
        async with _session(target, settings) as conn, Stalls.ticking() as stalls:
            await session_limits(conn, settings)
            await history.acquire(conn, table, wait=wait, on_event=on_event, clock=clock)
            try:
                await history.ensure(conn, table)
                rows = {r.version: r for r in await history.read(conn, table)}
                row = rows.get(version)
                if row is not None and row.checksum != m.checksum:
                    raise _modified(m)
                if row is not None and row.finished:
                    return 0
                done = row.steps_done if row else 0
                nxt = m.steps[done] if done < len(m.steps) else None
                if row is None or nxt is None or not nxt.backfill:
                    first = next(s.index for s in m.steps if s.backfill)
                    raise StudioError(
                        f"{m.filename}: {done} of {counted(len(m.steps), 'step')} applied;"
                        f" its backfill is step {first}",
                        "run `schema-studio migrate`"
                        " (with --no-backfill to stop before the backfill)",
                    )
                runner = Executor(
                    conn,
                    settings,
                    table,
                    on_event,
                    clock,
                    backoff,
                    rng or random.Random(),
                    await history.client_host(conn),
                    stalls=stalls,
                )
                ran = 0
                total = len(m.steps)
                with translate(m.filename):
                    for step in m.steps[done:]:
                        if not step.backfill:
                            break

                        async def record(ms: int, index: int = step.index) -> None:
                            await history.record_step(
                                conn, table, m.version, index, ms, last=index == total
                            )

                        await backfill.run(
                            runner, m, step, total, record, options or backfill.Options()
                        )
                        ran += 1
                return ran
            finally:
                await history.release(conn, table)


# --- rollback -------------------------------------------------------------------------------------


def rollback_plan(
    migrations: Sequence[Migration],
    rows: Sequence[HistoryRow],
    *,
    count: int = 1,
    to: str | None = None,
    only: str | None = None,
) -> tuple[tuple[Migration, HistoryRow], ...]:
    """The applied migrations to roll back, newest first; refuses before anything runs.

    `only`: that one expand migration alone, while its contract waits and no
    later applied migration depends on its expanded state (`inflight.refuse_lone_rollback`).

    Raises:
        StudioError: a partially applied migration, an unknown `to`, or a
            migration to undo that is missing, modified or has no down file.
    """
    status = history.compare(migrations, rows)
    for entry in status.having(State.PARTIAL):
        raise StudioError(
            f"{entry.version}_{entry.name} is partially applied",
            "run `schema-studio migrate` to finish it first",
        )
    applied = [e for e in reversed(status.entries) if e.row is not None]
    if only is not None:
        chosen = [e for e in applied if e.version == only]
        if not chosen or chosen[0].migration is None:
            raise StudioError(f"{only} is not an applied migration", "see `schema-studio status`")
        after = [e.migration for e in applied if e.version > only and e.migration is not None]
        inflight.refuse_lone_rollback(chosen[0].migration, migrations, after)
    elif to is not None:
        if to not in {e.version for e in applied}:
            raise StudioError(f"{to} is not an applied migration", "see `schema-studio status`")
        chosen = [e for e in applied if e.version > to]
    else:
        if count < 1:
            raise StudioError("--count must be at least 1")
        chosen = applied[:count]
    out: list[tuple[Migration, HistoryRow]] = []
    for entry in chosen:
        if entry.state is State.MISSING or entry.migration is None:
            raise StudioError(
                f"{entry.version}_{entry.name} is applied but not on disk; nothing was rolled back"
            )
        m = entry.migration
        if entry.state is State.MODIFIED:
            raise _modified(m)
        python_steps.refuse_irreversible(m)
        if m.down_steps is None:
            raise StudioError(
                f"{m.filename} has no down file ({m.version}_{m.name}.down.sql);"
                " nothing was rolled back",
                "write the down file and run `schema-studio hash`,"
                " or write a new migration that undoes it",
            )
        assert entry.row is not None
        out.append((m, entry.row))
    return tuple(out)


async def rollback(
    target: Target,
    settings: Settings,
    migrations: Sequence[Migration],
    *,
    count: int = 1,
    to: str | None = None,
    only: str | None = None,
    wait: float = 0.0,
    on_event: EventSink | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> RunResult:
    """Run the down files of the last `count` applied migrations, newest first.

    Or of those after `to`, or of the expand `only` alone (see `rollback_plan`).
    """
    table = HistoryTable.parse(settings.history_table)
    started = clock()
    with translate(_where(target)):
        async with (
            _session(target, settings) as conn,
            _queue_guard(target, settings) as guard,
            Stalls.ticking() as stalls,
        ):
            await session_limits(conn, settings)
            await history.acquire(conn, table, wait=wait, on_event=on_event, clock=clock)
            try:
                rows = await history.read(conn, table)
                todo = rollback_plan(migrations, rows, count=count, to=to, only=only)
                python_steps.check([m for m, _ in todo], settings.root, down=True)
                runner = Executor(
                    conn,
                    settings,
                    table,
                    on_event,
                    clock,
                    backoff,
                    rng or random.Random(),
                    await history.client_host(conn),
                    guard,
                    stalls=stalls,
                )
                await emit(
                    on_event,
                    RunStarted(
                        at=clock(),
                        direction=Direction.DOWN,
                        migrations=tuple(
                            (m.version, m.name, len(m.down_steps or ())) for m, _ in todo
                        ),
                    ),
                )
                done: list[str] = []
                for m, row in todo:
                    await _rollback_one(runner, m, row)
                    done.append(m.version)
            finally:
                await history.release(conn, table)
    result = RunResult(Direction.DOWN, tuple(done), clock() - started)
    await emit(
        on_event,
        RunFinished(
            at=clock(), direction=Direction.DOWN, versions=result.versions, duration=result.duration
        ),
    )
    return result


async def _rollback_one(runner: Executor, m: Migration, row: HistoryRow) -> None:
    conn, table = runner.conn, runner.table
    steps = m.down_steps or ()
    total, done = len(steps), row.down_steps_done
    whole = done == 0 and all(s.transactional and s.python is None for s in steps)
    await runner.emit(
        MigrationStarted,
        version=m.version,
        name=m.name,
        steps_total=total,
        steps_done=done,
        transactional=whole,
        direction=Direction.DOWN,
    )
    started = runner.clock()
    runner.current = None
    try:
        with translate(m.filename):
            if whole:

                async def forget(ms: int) -> None:
                    await history.delete(conn, table, m.version)
                    await backfill.forget(conn, table, m.version)

                await runner.transactional(m, steps, Direction.DOWN, forget)
            else:
                for step in steps[done:]:

                    async def record(ms: int, index: int = step.index) -> None:
                        if index == total:
                            await history.delete(conn, table, m.version)
                            await backfill.forget(conn, table, m.version)
                        else:
                            await history.record_down_step(conn, table, m.version, index)

                    if step.python is not None:
                        await python_steps.run(
                            runner, m, step, total, Direction.DOWN, record, runner.settings.root
                        )
                        continue
                    await runner.step(
                        m,
                        step,
                        total,
                        Direction.DOWN,
                        record,
                        resuming=done > 0 and step.index == done + 1,
                    )
    except StudioError as e:
        await runner.emit(
            MigrationFailed,
            version=m.version,
            name=m.name,
            index=runner.current,
            message=e.message,
            hint=e.hint,
            direction=Direction.DOWN,
        )
        raise
    await runner.emit(
        MigrationFinished,
        version=m.version,
        name=m.name,
        duration=runner.clock() - started,
        direction=Direction.DOWN,
    )


# --- baseline and status --------------------------------------------------------------------------


async def baseline(
    target: Target,
    settings: Settings,
    migrations: Sequence[Migration],
    version: str,
    *,
    wait: float = 0.0,
) -> tuple[str, ...]:
    """Record every migration up to `version` as applied, without running SQL.

    For a database that already has the schema those migrations build.
    Refuses a database whose history already has rows.
    """
    table = HistoryTable.parse(settings.history_table)
    chosen = [m for m in migrations if m.version <= version]
    if version not in {m.version for m in migrations}:
        raise StudioError(
            f"no migration with version {version} on disk",
            "see `schema-studio status` for the versions",
        )
    with translate(_where(target)):
        async with _session(target, settings) as conn:
            await history.acquire(conn, table, wait=wait)
            try:
                await history.ensure(conn, table)
                rows = await history.read(conn, table)
                if rows:
                    raise StudioError(
                        f"the history table {table} already records"
                        f" {counted(len(rows), 'migration')}",
                        "baseline is for a database without history;"
                        " use migrate (or rollback) instead",
                    )
                host = await history.client_host(conn)
                async with conn.transaction():
                    for m in chosen:
                        await history.insert(
                            conn,
                            table,
                            m,
                            steps_done=len(m.steps),
                            finished=True,
                            duration_ms=0,
                            host=host,
                            kind=history.Kind.BASELINE,
                        )
            finally:
                await history.release(conn, table)
    return tuple(m.version for m in chosen)


async def record_squash(
    target: Target,
    settings: Settings,
    migrations: Sequence[Migration],
    versions: Sequence[str],
    *,
    wait: float = 0.0,
) -> tuple[str, ...]:
    """Record the squash baselines `versions` as applied in place of the migrations they replaced.

    The caller has checked the live schema against the replay; under the
    migration lock the history is read again and only baselines still
    SQUASHED there are recorded: the row of the baseline's version becomes the
    baseline's (name, checksum, steps, kind `squash`), the rows of the
    migrations it replaced stay as they were applied.
    """
    table = HistoryTable.parse(settings.history_table)
    with translate(_where(target)):
        async with _session(target, settings) as conn:
            await history.acquire(conn, table, wait=wait)
            try:
                rows = await history.read(conn, table)
                if unapplied := history.squash_unapplied(migrations, rows):
                    raise StudioError(unapplied, SQUASH_HINT)
                squashed = history.compare(migrations, rows).having(State.SQUASHED)
                chosen = [e.migration for e in squashed if e.version in versions and e.migration]
                async with conn.transaction():
                    for m in chosen:
                        await history.record_squash(conn, table, m)
            finally:
                await history.release(conn, table)
    return tuple(m.version for m in chosen)


async def status(
    target: Target, settings: Settings, migrations: Sequence[Migration]
) -> history.Status:
    """The directory against the history (read-only; nothing is created)."""
    table = HistoryTable.parse(settings.history_table)
    with translate(_where(target)):
        async with _session(target, settings, read_only=True) as conn:
            exists, rows = await history.read_table(conn, table)
    return history.compare(migrations, rows, table_exists=exists)
