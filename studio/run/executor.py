"""Running steps on one locked migrator session: timeouts, lock-timeout retries, leftovers.

The runner (`studio.run.runner`) decides what runs and records it; this module
runs one step, or one whole transactional migration, and reports it:

- `SET LOCAL lock_timeout/statement_timeout` inside a transaction; a session
  `SET`, reset afterwards, around a non-transactional step (SET LOCAL would
  do nothing there).
- Attempts are short where the application could queue behind them: while
  the lock-queue guard watches, an attempt may wait `lock_timeout` (1 s) for
  its lock, and the guard cancels it `queue_guard` (30 ms) into a wait that
  others queue behind; until the guard watches, the attempt's own
  lock_timeout is `queue_guard` (`studio.config.attempt_lock_timeout`). A
  non-transactional step (CONCURRENTLY) keeps `lock_timeout` whole: it waits
  for older snapshots, not in a lock queue the application joins.
- A step that locks several tables (a foreign key: its table and the one it
  references) takes them first with `LOCK TABLE`, in the order of their
  names, each in the strongest mode the step needs (`lock_order`); a timeout
  on any rolls the step back, every lock with it.
- On a lock timeout (SQLSTATE 55P03) the step, or the whole transactional
  migration, is rolled back and retried after an exponential backoff with
  jitter (slept outside any transaction), `retries` times; each retry names
  the sessions that held it up, asked right after the timeout by what it
  waited for (`queries/step_blockers.sql`): locks on the tables the statement
  names, and for a concurrent index build the older snapshots it waits for,
  held since before the wait began (the application's sessions that queued
  behind the step and got their lock once it gave up are not blockers).
- statement_timeout (57014) fails the step with the step and the limit.
- With a lock-queue guard (`studio.run.queue_guard`), a statement that waits for
  its lock past `queue_guard` while other sessions queue behind it is
  cancelled by the guard and retried like a lock timeout; the events name
  the sessions it waited for.
- `wait_for_autovacuum`: before an expand/contract step, wait while an
  autovacuum worker holds a lock on the step's tables. Autovacuum yields to
  a waiting lock only after deadlock_timeout (1 s), longer than lock_timeout:
  the step would time out and retry, each attempt queueing the application
  behind it, for as long as the vacuum runs (a backfill leaves one due).
  Waiting outside the lock queue costs the application nothing.
- Before a `CREATE INDEX CONCURRENTLY` step, an invalid index of that name
  (left by an interrupted build: the build is not transactional) is dropped
  with `DROP INDEX CONCURRENTLY IF EXISTS`, so the step rebuilds it; a valid
  one found when resuming means the crashed run built it: the step is done.
  A build that gives up (its retries spent) drops the invalid index it left
  at once, or, when that is held up too, names it and the statement to drop it.
- A session lost inside a transaction while this process stood still past
  `idle_in_transaction_timeout` (`studio.run.stalls`) was ended by the server for
  idling: the error says so, and for how long the process was stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

from studio.catalog import queries
from studio.config import attempt_lock_timeout, duration_seconds
from studio.errors import (
    ConnectionLost,
    IdleSessionEnded,
    LockTimeoutExceeded,
    StudioError,
    translate,
)
from studio.plan.locks.facts import Role
from studio.plan.locks.modes import LockMode
from studio.plan.locks.statements import facts_for_statement
from studio.run.events import (
    Blocker,
    Direction,
    InvalidIndexDropped,
    LockTimeoutRetry,
    QueueGuardTripped,
    StepFinished,
    StepStarted,
    WaitingForAutovacuum,
    emit,
)
from studio.sqltext.statements import concurrent_index, relations
from studio.sqltext.syntax_errors import SqlSyntaxError

if TYPE_CHECKING:
    import random
    from collections.abc import Awaitable, Callable, Iterator, Sequence

    from studio.config import Settings
    from studio.migrations.files import Migration, Statement, Step
    from studio.run.events import EventSink
    from studio.run.history import HistoryTable
    from studio.run.queue_guard import QueueGuard, Trip
    from studio.run.stalls import Stalls


class StatementTimeout(StudioError):
    """A step ran longer than statement_timeout (or was cancelled by another session)."""

    hint = (
        "the step was rolled back; raise statement_timeout in [tool.schema-studio]"
        " or make the step cheaper"
    )


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter between lock-timeout retries.

    Attempts are short (tens of milliseconds while the application queues behind
    them), so they are retried often: the cap keeps a blocker's release from
    being noticed seconds late, and the retries' count (`retries`, default 30)
    bounds how long a step tries: 27-53 s of backoff by default.
    """

    base: float = 0.1
    cap: float = 2.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before retry number `attempt` (1-based): half fixed, half random."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return float(ceiling / 2 + rng.uniform(0, ceiling / 2))


class LockTimeout(Exception):
    """A statement hit lock_timeout (internal: becomes a retry, or LockTimeoutExceeded)."""

    def __init__(
        self, step: Step, statement: str, trip: Trip | None = None, *, sent: float | None = None
    ) -> None:
        super().__init__(statement)
        self.step = step
        self.statement = statement
        # set when the lock-queue guard cancelled the statement, not lock_timeout
        self.trip = trip
        # when the statement was sent (time.monotonic()): its blockers were there before
        self.sent = time.monotonic() if sent is None else sent


# --- the executor ---------------------------------------------------------------------------------


class Executor:
    """Runs steps on one locked session and reports them."""

    def __init__(
        self,
        conn: asyncpg.Connection,
        settings: Settings,
        table: HistoryTable,
        sink: EventSink | None,
        clock: Callable[[], float],
        backoff: Backoff,
        rng: random.Random,
        host: str,
        guard: QueueGuard | None = None,
        *,
        stalls: Stalls | None = None,
    ) -> None:
        self.conn, self.settings, self.table, self.sink = conn, settings, table, sink
        self.clock, self.backoff, self.rng, self.host = clock, backoff, rng, host
        self.guard, self.stalls = guard, stalls
        # the step running now (or the last one that ran), for failure reports
        self.current: int | None = None
        # when the last statement was sent (time.monotonic())
        self._sent = time.monotonic()
        # the lock_timeout the current attempt runs under
        self._lock_timeout = settings.lock_timeout

    async def emit(self, event_type: type, **fields: object) -> None:
        await emit(self.sink, event_type(at=self.clock(), **fields))

    # statements and timeouts

    def attempt_lock_timeout(self, *, transactional: bool = True) -> str:
        """The lock_timeout of the next attempt (`studio.config.attempt_lock_timeout`).

        While the guard watches, an attempt may wait the whole `lock_timeout`:
        the guard cancels it `queue_guard` seconds into a wait that queues
        someone. Otherwise (no guard, or its connection not open yet) the
        server itself must end the wait that soon.
        """
        watching = self.guard is not None and self.guard.watching
        return attempt_lock_timeout(self.settings, watching=watching or not transactional)

    def lock_wait(self, *, transactional: bool) -> str:
        """How long an attempt may wait for its lock, in words, for the events."""
        whole = self.settings.lock_timeout
        if not transactional:
            return (
                f"lock_timeout {whole} (CONCURRENTLY waits for older snapshots,"
                " not in a lock queue the application joins)"
            )
        short = self.attempt_lock_timeout()
        if short != whole:
            return f"lock_timeout {short} (queue guard not watching yet)"
        guard = self.settings.queue_guard
        if self.guard is not None and 0 < guard < duration_seconds(whole):
            return f"{guard * 1000:.0f} ms while others queue behind it, up to {whole} alone"
        return f"lock_timeout {whole}"

    async def _timeouts(self, *, local: bool) -> None:
        # a non-transactional step (CONCURRENTLY) waits for snapshots, not in a queue the
        # application joins: it keeps lock_timeout whole
        if local and self.guard is not None:
            await self.guard.started()
        self._lock_timeout = self.attempt_lock_timeout(transactional=local)
        await self.conn.execute(
            "SELECT set_config('lock_timeout', $1, $3), set_config('statement_timeout', $2, $3)",
            self._lock_timeout,
            self.settings.statement_timeout,
            local,
        )

    @contextlib.contextmanager
    def talking(self, where: str) -> Iterator[None]:
        """Errors of the statement run inside, translated for `where`.

        A session ended while idle in its transaction says so.
        """
        in_transaction, previous = self.conn.is_in_transaction(), self._sent
        self._sent = time.monotonic()
        try:
            with translate(where):
                yield
        except ConnectionLost as e:
            raise (self._idle_ended(e, where, previous) if in_transaction else e) from None

    def _idle_ended(self, e: ConnectionLost, where: str, since: float) -> ConnectionLost:
        """`e`, or why the server ended the session.

        It was idle in its transaction while this process stood still past the limit.
        """
        limit = self.settings.idle_in_transaction_timeout
        stalled = self.stalls.longest_since(since) if self.stalls else 0.0
        past = 0 < duration_seconds(limit) <= stalled
        if not past and not isinstance(e, IdleSessionEnded):
            return e
        stood = f" while this process was stopped for {stalled:.1f} s" if stalled >= 1 else ""
        return IdleSessionEnded(
            f"lost the connection to the server ({where}): the server ended the session, idle in "
            f"its transaction{stood}, past idle_in_transaction_timeout ({limit})"
        )

    async def _exec(self, m: Migration, step: Step, sql: str, line: int, path: str) -> None:
        where = f"step {step.index} of {path}, line {line}"
        guarded = self.guard.watch(self.conn) if self.guard else contextlib.nullcontext(None)
        with self.talking(where):
            try:
                async with guarded as watch:
                    await self.conn.execute(sql)
            except asyncpg.LockNotAvailableError:
                raise LockTimeout(step, sql, sent=self._sent) from None
            except asyncpg.QueryCanceledError as e:
                if watch is not None and watch.trip is not None:
                    raise LockTimeout(step, sql, watch.trip, sent=self._sent) from None
                limit = self.settings.statement_timeout
                if "statement timeout" in str(e) and limit not in ("0", ""):
                    raise StatementTimeout(
                        f"{where} ran longer than statement_timeout ({limit}) and was cancelled"
                    ) from None
                raise StatementTimeout(
                    f"{where} was cancelled by another session ({e})",
                    "the step was rolled back; run migrate again when the cause is gone",
                ) from None

    @staticmethod
    def _file(m: Migration, direction: Direction) -> str:
        down = direction is Direction.DOWN and m.down_path is not None
        return m.down_path.name if down and m.down_path else m.path.name

    async def _statements(self, m: Migration, step: Step, direction: Direction) -> None:
        if self.conn.is_in_transaction():
            for table, mode in await self.lock_order(step):
                # quoted by the lock knowledge base's qualname(); the mode is an enum's label
                # ONLY: the statement itself decides whether it reaches partitions or children
                lock = f"LOCK TABLE ONLY {table} IN {mode} MODE"
                await self._exec(m, step, lock, step.statements[0].line, self._file(m, direction))
        for stmt in step.statements:
            await self._exec(m, step, stmt.sql, stmt.line, self._file(m, direction))

    async def lock_order(self, step: Step) -> tuple[tuple[str, str], ...]:
        """The tables a multi-table step locks, each with its strongest mode, by name.

        A step that locks two tables (a foreign key: the table and the one it
        references) takes them one statement at a time in the order PostgreSQL
        reaches them, holding the first while it waits for the second. Taken
        up front by `LOCK TABLE`, in the order of their qualified names, each
        wait is one the guard and lock_timeout bound, the order is the same
        for every step, and a timeout on any rolls the step back whole.
        Tables the step itself creates (not there yet) are left to it.
        """
        v = self.conn.get_server_version()
        strongest: dict[str, int] = {}
        try:
            for stmt in step.statements:
                for f in facts_for_statement(stmt.sql, v.major * 10000 + v.minor):
                    if f.role in _ORDERED_ROLES and not f.placeholder:
                        strongest[f.relation] = max(strongest.get(f.relation, 0), f.mode)
        except SqlSyntaxError:
            return ()  # the server will say what is wrong with it
        if len(strongest) < 2:
            return ()
        there = await self.conn.fetch(
            _TABLES_THERE_SQL, list(strongest), [int(m) for m in strongest.values()]
        )
        if not all(r["lockable"] for r in there):
            # LOCK TABLE asks for more than the statement may (UPDATE, DELETE or TRUNCATE for a
            # SHARE ROW EXCLUSIVE that a foreign key takes with REFERENCES): PostgreSQL's order
            return ()
        names = sorted(r["name"] for r in there)
        if len(names) < 2:
            return ()
        return tuple((n, LockMode(strongest[n]).label) for n in names)

    async def blockers(self, lt: LockTimeout) -> tuple[Blocker, ...]:
        """The sessions that held a timed-out statement up.

        Asked right after the timeout (`step_blockers.sql`).
        """
        names = relations(lt.statement)
        build = concurrent_index(lt.statement) is not None
        if not names and not build:
            return ()
        lock_timeout = duration_seconds(self._lock_timeout)
        # a transaction begun in the instant before the statement was sent may have asked
        # for its lock after it, and queued behind it: a blocker began a while before
        margin = min(0.1, lock_timeout / 4)
        since = time.monotonic() - lt.sent
        rows = await self.conn.fetch(
            queries.get("step_blockers"), list(names), build, since + margin, lock_timeout, since
        )
        return tuple(Blocker(**dict(r)) for r in rows)

    async def _lock_timed_out(
        self,
        m: Migration,
        lt: LockTimeout,
        attempt: int,
        *,
        whole: bool,
        transactional: bool = True,
    ) -> None:
        """Retry after a backoff, or give up when the retries are spent."""
        if (trip := lt.trip) is not None:
            # the monitor saw whom the statement waited for: name them, not guesses
            blockers = trip.blockers
            await self.emit(
                QueueGuardTripped,
                version=m.version,
                index=lt.step.index,
                attempt=attempt,
                waited=trip.waited,
                mode=trip.wait.mode,
                target=str(trip.wait.target),
                queued=len(trip.queued),
                queued_longest=trip.queued_longest,
                blockers=blockers,
            )
        else:
            blockers = await self.blockers(lt)
        if attempt > self.settings.retries:
            limit = (
                f"queue_guard {self.settings.queue_guard:g}s"
                if trip is not None
                else f"lock_timeout {self._lock_timeout}"
            )
            raise LockTimeoutExceeded(
                f"{lt.step.index} of {m.filename} ({limit}, {attempt} attempts)",
                [b.describe() for b in blockers],
            )
        delay = self.backoff.delay(attempt, self.rng)
        await self.emit(
            LockTimeoutRetry,
            version=m.version,
            index=lt.step.index,
            attempt=attempt,
            retries=self.settings.retries,
            delay=delay,
            blockers=blockers,
            whole_migration=whole,
            cause="lock_timeout" if trip is None else "queue_guard",
            lock_wait=self.lock_wait(transactional=transactional),
            waited=duration_seconds(self._lock_timeout) if trip is None else trip.waited,
        )
        await asyncio.sleep(delay)

    async def wait_for_autovacuum(self, m: Migration, step: Step, limit: float = 600.0) -> None:
        """Wait while autovacuum works on the step's tables.

        Up to `limit` seconds, holding no lock.
        """
        names = sorted({n for st in step.statements for n in relations(st.sql)})
        if not names:
            return
        deadline = time.monotonic() + limit
        told = False
        while time.monotonic() < deadline:
            pids = await self.conn.fetch(_AUTOVACUUM_SQL, names)
            if not pids:
                return
            if not told:
                await self.emit(
                    WaitingForAutovacuum,
                    version=m.version,
                    index=step.index,
                    tables=tuple(names),
                    pids=tuple(r["pid"] for r in pids),
                    limit=limit,
                )
                told = True
            await asyncio.sleep(0.5)

    # a whole migration in one transaction

    async def transactional(
        self,
        m: Migration,
        steps: Sequence[Step],
        direction: Direction,
        record: Callable[[int], Awaitable[None]],
    ) -> None:
        """All `steps` and `record(duration_ms)` in one transaction.

        Retried whole on lock timeouts.
        """
        for attempt in itertools.count(1):
            started = self.clock()
            try:
                async with self.conn.transaction():
                    await self._timeouts(local=True)
                    for step in steps:
                        self.current = step.index
                        await self.emit(
                            StepStarted,
                            version=m.version,
                            index=step.index,
                            steps_total=len(steps),
                            title=step.title,
                            transactional=True,
                            attempt=attempt,
                            direction=direction,
                            attempts=self.settings.retries + 1,
                            lock_wait=self.lock_wait(transactional=True),
                        )
                        t0 = self.clock()
                        await self._statements(m, step, direction)
                        await self.emit(
                            StepFinished,
                            version=m.version,
                            index=step.index,
                            steps_total=len(steps),
                            duration=self.clock() - t0,
                            direction=direction,
                        )
                    await record(int((self.clock() - started) * 1000))
                return
            except LockTimeout as lt:
                await self._lock_timed_out(m, lt, attempt, whole=True)

    # one step on its own

    async def step(
        self,
        m: Migration,
        step: Step,
        total: int,
        direction: Direction,
        record: Callable[[int], Awaitable[None]],
        *,
        resuming: bool = False,
        begin: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """One step committed on its own, then `record(duration_ms)`.

        The record is in the step's transaction when it has one, and so is
        `begin()` (the migration's history row, written with its first step);
        a step without one commits `begin()` alone before its statements, so a
        crash between them and the record still finds the row on the rerun.
        """
        if begin is not None and not step.transactional:
            await begin()
            begin = None

        async def once(attempt: int) -> bool:
            t0 = self.clock()
            if step.transactional:
                async with self.conn.transaction():
                    await self._timeouts(local=True)
                    if begin is not None:
                        await begin()
                    await self._statements(m, step, direction)
                    await record(int((self.clock() - t0) * 1000))
                return False
            skipped = await self._outside_transaction(m, step, direction, resuming and attempt == 1)
            await record(int((self.clock() - t0) * 1000))
            return skipped

        await self.attempts(m, step, total, direction, once)

    async def attempts(
        self,
        m: Migration,
        step: Step,
        total: int,
        direction: Direction,
        once: Callable[[int], Awaitable[bool]],
    ) -> None:
        """A step's attempts and their events: `once(attempt)` (True: found already done) until
        no lock timeout stops it, backed off between them; SQL and Python steps alike."""
        self.current = step.index
        for attempt in itertools.count(1):
            await self.emit(
                StepStarted,
                version=m.version,
                index=step.index,
                steps_total=total,
                title=step.title,
                transactional=step.transactional,
                attempt=attempt,
                direction=direction,
                attempts=self.settings.retries + 1,
                lock_wait=self.lock_wait(transactional=step.transactional),
            )
            t0 = self.clock()
            try:
                skipped = await once(attempt)
            except LockTimeout as lt:
                try:
                    await self._lock_timed_out(
                        m, lt, attempt, whole=False, transactional=step.transactional
                    )
                except LockTimeoutExceeded as e:
                    if not step.transactional:
                        await self._build_left(m, step, direction, e)
                    raise
                continue
            await self.emit(
                StepFinished,
                version=m.version,
                index=step.index,
                steps_total=total,
                duration=self.clock() - t0,
                skipped=skipped,
                direction=direction,
            )
            return

    async def _outside_transaction(
        self, m: Migration, step: Step, direction: Direction, resuming: bool
    ) -> bool:
        """Run a non-transactional step under session timeouts; True when found already done."""
        await self._timeouts(local=False)
        try:
            skipped = await self._index_leftovers(m, step, direction, resuming)
            if not skipped:
                await self._statements(m, step, direction)
        except BaseException:
            if not self.conn.is_closed():
                with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                    await self.conn.execute("RESET lock_timeout; RESET statement_timeout")
            raise
        await self.conn.execute("RESET lock_timeout; RESET statement_timeout")
        return skipped

    async def _index_leftovers(
        self, m: Migration, step: Step, direction: Direction, resuming: bool
    ) -> bool:
        """Drop an invalid index an interrupted CREATE INDEX CONCURRENTLY left.

        True if a valid one is there on resume.
        """
        stmt: Statement = step.statements[0]
        name = concurrent_index(stmt.sql)
        if name is None:
            return False
        valid = await self._index_valid(name)
        if valid is None:
            return False
        if valid:
            # built by the run that crashed before recording it
            return resuming
        try:
            await self._drop_index(m, step, direction, name)
        except LockTimeout as lt:
            # held up by what holds the build up: its blockers are the build table's
            raise LockTimeout(step, stmt.sql, lt.trip, sent=lt.sent) from None
        await self.emit(InvalidIndexDropped, version=m.version, index=step.index, index_name=name)
        return False

    async def _drop_index(self, m: Migration, step: Step, direction: Direction, name: str) -> None:
        # `name` comes from the parsed statement, quoted by quote_ident()
        drop = f"DROP INDEX CONCURRENTLY IF EXISTS {name}"
        await self._exec(m, step, drop, step.statements[0].line, self._file(m, direction))

    async def _build_left(
        self, m: Migration, step: Step, direction: Direction, e: LockTimeoutExceeded
    ) -> None:
        """After a concurrent build gave up: drop the invalid index it left.

        Or name the index and the fix in `e`.
        """
        name = concurrent_index(step.statements[0].sql)
        if name is None or await self._index_valid(name) is not False:
            return
        # the build that gave up made it: writes keep maintaining it until it is dropped
        await self._timeouts(local=False)
        try:
            await self._drop_index(m, step, direction, name)
            e.message += f"; the invalid index {name} its build left was dropped"
        except (LockTimeout, StudioError):
            e.hint = (
                f"its build left the invalid index {name}, which writes keep updating: once the"
                f" blocking session is gone, run `DROP INDEX CONCURRENTLY {name}` (the next migrate"
                " drops it first)"
            )
        finally:
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await self.conn.execute("RESET lock_timeout; RESET statement_timeout")
        e.args = (e.message,)

    async def _index_valid(self, name: str) -> bool | None:
        """Whether index `name` is valid (None: there is no such index)."""
        valid = await self.conn.fetchval(
            "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass($1)", name
        )
        return None if valid is None else bool(valid)


# the tables a statement locks as tables: the one it alters, the ones its foreign keys name
_ORDERED_ROLES = frozenset({Role.TABLE, Role.REFERENCED, Role.REFERENCING})

# the tables (plain or partitioned) of these names that exist now, and whether this role may
# LOCK each in its mode ($2, LockMode's numbers): ACCESS SHARE needs SELECT, ROW EXCLUSIVE one
# of INSERT, UPDATE, DELETE or TRUNCATE, the others UPDATE, DELETE or TRUNCATE
_TABLES_THERE_SQL = """
SELECT u.n AS name,
       CASE u.m WHEN 1 THEN has_table_privilege(c.oid, 'SELECT')
                WHEN 3 THEN has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
                ELSE has_table_privilege(c.oid, 'UPDATE, DELETE, TRUNCATE') END AS lockable
FROM unnest($1::text[], $2::int[]) AS u(n, m)
JOIN pg_class c ON c.oid = to_regclass(u.n)
WHERE c.relkind IN ('r', 'p')
"""

_AUTOVACUUM_SQL = """
SELECT DISTINCT a.pid
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'relation' AND l.granted AND a.backend_type = 'autovacuum worker'
  AND l.relation IN (SELECT to_regclass(n) FROM unnest($1::text[]) AS n)
"""
