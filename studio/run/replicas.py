"""The replica throttle: backfill batches wait while a hot standby falls behind in replay.

A backfill writes as fast as the primary takes it; its WAL reaches each
standby at once, but a standby replays it with one process, and one that
also serves long queries (or is slowed on purpose, `recovery_min_apply_delay`)
falls behind: its readers see older data, and the primary keeps the WAL it
has not confirmed. Before each batch the runner reads `pg_stat_replication`
on the primary, on the migrator's own session between two transactions
(`catalog/queries/standbys.sql`). While any standby is more than
`max_replica_lag` seconds behind, the batches wait (outside any transaction,
looking again every second); they resume once every standby is under half
of it, so the backfill does not stop and start at every batch around the
limit.

How far behind a standby is, in seconds: how long ago the primary had WAL
that the standby has not replayed yet. The throttle keeps its own timeline
of the primary's WAL position (`pg_current_wal_flush_lsn()` at each look:
every batch, and every second of a pause) and compares the standby's
`replay_lsn` with it:

- 0 when the standby has replayed all the primary has flushed;
- else the time since the first look whose WAL position is past the
  standby's replay position: the standby lacks data the primary had then.
  This is WAL bytes behind turned into time by the WAL's own history, not
  by a rate: the primary's WAL rate is what the throttle changes (nothing is
  written while it waits), so a rate would read the same bytes as another
  lag before and during a pause.
- a standby that was already behind at the run's first look, and has not
  caught up with any look since, is at least as far behind as
  pg_stat_replication's `replay_lag` says (the walsender's own measure,
  which it interpolates for a stuck replay); that one is not used otherwise,
  because it keeps its last value after a standby caught up, until new WAL
  crosses one of its samples or two idle reports in a row clear it: right
  after a pause it would read as the lag the pause just waited out.
- not known for a standby in `catchup` or `startup`, and for one the run saw
  earlier that is gone from pg_stat_replication (disconnected, restarting):
  both count as behind, and the events say so, so the batches wait until it
  streams again and catches up. A standby gone for good (decommissioned)
  keeps the run waiting: stop it (the backfill resumes after its last batch)
  and run it again, which watches only the standbys streaming then.

A standby reports its replay position each time it receives WAL, and at
least every `wal_receiver_status_interval` (10 s by default): while the
batches wait, no WAL arrives, so a pause can last that long after the
standby has caught up. Only standbys connected to the target are seen (a
cascaded standby is at least as far behind as the one it streams from);
logical walsenders (subscribers) and pg_basebackup's are not standbys here.
`max_replica_lag = 0` turns the throttle off.

Without pg_monitor (or pg_read_all_stats), pg_stat_replication hides all but
a walsender's pid: a backfill then refuses to start rather than run blind.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from studio.catalog import queries
from studio.errors import StudioError
from studio.run.events import BackfillPaused, BackfillResumed, Standby
from studio.words import counted

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    import asyncpg

# seconds between two looks at the standbys while the batches wait
DEFAULT_POLL = 1.0


class Report(Protocol):
    """Emits one of the throttle's events with the backfill's own fields added."""

    def __call__(self, event_type: type, **fields: Any) -> Awaitable[None]: ...  # noqa: D102


class ReplicaLagHidden(StudioError):
    """The migrating role cannot read its standbys' replay lag."""


@dataclass(frozen=True, slots=True)
class _Row:
    """One row of standbys.sql: the primary's WAL position, and one standby (pid None: none)."""

    at_lsn: int
    pid: int | None
    visible: bool
    name: str
    state: str | None
    replay_at: int | None
    replay_lag: float | None
    role: str


async def _read(conn: asyncpg.Connection) -> tuple[int, tuple[_Row, ...]]:
    """The primary's flushed WAL position and its standbys' rows.

    Raises:
        ReplicaLagHidden: the role sees walsenders but not where they are.
    """
    rows = [_Row(**dict(r)) for r in await conn.fetch(queries.get("standbys"))]
    here = rows[0].at_lsn
    senders = tuple(r for r in rows if r.pid is not None)
    hidden = [r for r in senders if not r.visible]
    if hidden:
        role = hidden[0].role
        raise ReplicaLagHidden(
            "cannot read the replay lag of"
            f" {counted(len(hidden), 'standby', 'standbys')} streaming from the target:"
            f" pg_stat_replication hides it from role {role}",
            f"GRANT pg_monitor TO {role}; or set max_replica_lag = 0 to backfill without"
            " watching the standbys",
        )
    return here, senders


def furthest_behind(standbys: Sequence[Standby]) -> Standby | None:
    """The standby furthest behind: an unknown lag counts as the furthest."""
    return max(standbys, key=_lag, default=None)


def _lag(s: Standby | None) -> float:
    return 0.0 if s is None else math.inf if s.lag is None else s.lag


class ReplicaThrottle:
    """Holds backfill batches back while a standby is behind; one per backfill step."""

    def __init__(
        self,
        conn: asyncpg.Connection,
        limit: float,
        *,
        poll: float = DEFAULT_POLL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.conn, self.limit, self.poll, self.clock = conn, limit, poll, clock
        # (clock, the primary's flushed WAL position) at each look, oldest first; pruned to
        # what a standby still needs: one position it has replayed, and those it has not
        self._marks: deque[tuple[float, int]] = deque()
        # how many standbys of each name the run has seen at once: fewer now means one is gone
        self._seen: dict[str, int] = {}
        # the longest lag seen over the step (the bench reports it)
        self.max_lag = 0.0

    async def sample(self) -> tuple[Standby, ...]:
        """The standbys now, with those the run saw that are gone counted as disconnected."""
        here, rows = await _read(self.conn)
        now = self.clock()
        self._marks.append((now, here))
        now_standbys = tuple(self._standby(r, here, now) for r in rows)
        self._prune([r.replay_at for r in rows if r.replay_at is not None])
        counts: dict[str, int] = {}
        for s in now_standbys:
            counts[s.name] = counts.get(s.name, 0) + 1
        gone: list[Standby] = []
        for name, most in self._seen.items():
            gone += [Standby(name, "disconnected", None)] * max(most - counts.get(name, 0), 0)
        for name, n in counts.items():
            self._seen[name] = max(self._seen.get(name, 0), n)
        self.max_lag = max([self.max_lag, *(s.lag for s in now_standbys if s.lag is not None)])
        return (*now_standbys, *gone)

    def _standby(self, row: _Row, here: int, now: float) -> Standby:
        """A standby with its lag: the time since the primary had WAL it has not replayed."""
        state, replayed = row.state or "unknown", row.replay_at
        behind = None if replayed is None else max(here - replayed, 0)
        if replayed is None or state in ("startup", "catchup"):
            return Standby(row.name, state, None, behind)
        if replayed >= here:
            return Standby(row.name, state, 0.0, 0)
        # the first look past what it replayed: it lacks data the primary had then
        since = next(t for t, lsn in self._marks if lsn > replayed)
        lag = now - since
        if self._marks[0][1] > replayed:
            # behind at every look: as far behind as the walsender measured, if more
            lag = max(lag, row.replay_lag or 0.0)
        return Standby(row.name, state, lag, behind)

    def _prune(self, replayed: Sequence[int]) -> None:
        """Forget the looks every standby has replayed past, but the last of them."""
        slowest = min(replayed, default=self._marks[-1][1])
        while len(self._marks) > 1 and self._marks[1][1] <= slowest:
            self._marks.popleft()

    async def wait(self, report: Report) -> None:
        """Return at once when every standby is within the limit, else when all are under half.

        `report` gets a `BackfillPaused` when the wait begins and at each look
        while it lasts, and a `BackfillResumed` when it ends.
        """
        standbys = await self.sample()
        worst = furthest_behind(standbys)
        if _lag(worst) <= self.limit:
            return
        started = self.clock()
        resume_below = self.limit / 2
        while _lag(worst) >= resume_below:
            assert worst is not None
            await report(
                BackfillPaused,
                standby=worst,
                limit=self.limit,
                resume_below=resume_below,
                waited=self.clock() - started,
                standbys=len(standbys),
            )
            await asyncio.sleep(self.poll)
            standbys = await self.sample()
            worst = furthest_behind(standbys)
        await report(BackfillResumed, standby=worst, paused_for=self.clock() - started)
