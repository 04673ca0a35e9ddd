"""The runner's events on the terminal: progress lines on stderr, or JSON lines on stdout.

`ProgressPrinter` is an `EventHandler` (one method per kind of event, found
by `studio.run.events.on`), the shape the studio's apply screen has too. On
a terminal a step's line is completed in place; off one (a log, a pipe) a
step's line is printed whole when it finishes, and backfill progress every
10% (or 10 s).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from studio.cli import json_line
from studio.run.events import (
    BackfillDeferred,
    BackfillPaused,
    BackfillProgress,
    BackfillResumed,
    BackfillStarted,
    Direction,
    EventHandler,
    InvalidIndexDropped,
    LockTimeoutRetry,
    MigrationFailed,
    MigrationFinished,
    MigrationStarted,
    QueueGuardTripped,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    WaitingForAutovacuum,
    WaitingForMigrator,
    on,
    to_dict,
)
from studio.words import counted

if TYPE_CHECKING:
    from collections.abc import Callable

    from studio.run.events import Event

# no session held a lock on the step's tables (or an older snapshot) since before it waited
_UNSEEN = "a session not found once the wait was over"


def ms(seconds: float) -> str:
    """A duration as progress lines show it: milliseconds under 10 s, else seconds."""
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def event_sink(fmt: str) -> Callable[[Event], None]:
    """Where a command's runner events go: JSON lines on stdout, else progress lines on stderr."""
    if fmt == "json":
        return lambda event: json_line(to_dict(event))
    return ProgressPrinter().handle


class ProgressPrinter(EventHandler):
    """Prints runner events as progress lines on stderr (a step's line ends in place on a tty)."""

    def __init__(self, *, tty: bool | None = None, dry_run: bool = False, prefix: str = "") -> None:
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.dry_run = dry_run
        # before each line: the target's name when several targets' lines interleave (the fleet)
        self.prefix = prefix
        self.open_line = False
        # off a terminal, a step's line is printed whole when it finishes
        self.pending = ""
        # off a terminal, backfill progress is printed every 10% (or 10 s)
        self.progress_mark: tuple[int, float] = (-1, 0.0)
        # off a terminal, a backfill's pause for a standby: the standby (name, state) last
        # printed, and when
        self.pause_mark: tuple[tuple[str, str], float] = (("", ""), 0.0)

    def _line(self, text: str) -> None:
        self._close()
        click.echo(self.prefix + text, err=True)

    def _close(self) -> None:
        if self.open_line:
            click.echo("", err=True)
            self.open_line = False

    @on(WaitingForMigrator)
    def waiting_for_migrator(self, event: WaitingForMigrator) -> None:
        who = event.holder.describe() if event.holder else "another migrator"
        self._line(f"waiting up to {event.wait:g}s for the migration lock, held by {who}")

    @on(RunStarted)
    def run_started(self, event: RunStarted) -> None:
        if event.migrations:
            verb = "rolling back" if event.direction is Direction.DOWN else "applying"
            self._line(f"{verb} {counted(len(event.migrations), 'migration')}")

    @on(MigrationStarted)
    def migration_started(self, event: MigrationStarted) -> None:
        how = "one transaction" if event.transactional else "step by step"
        resume = f", resuming after step {event.steps_done}" if event.steps_done else ""
        self._line(
            f"{event.version}_{event.name}: {counted(event.steps_total, 'step')}, {how}{resume}"
        )

    @on(StepStarted)
    def step_started(self, event: StepStarted) -> None:
        head = f"  [{event.index}/{event.steps_total}] {event.title}"
        if event.attempt > 1:
            head += f" (attempt {event.attempt} of {event.attempts})"
        if self.tty:
            self._close()
            click.echo(head + " ...", err=True, nl=False)
            self.open_line = True
        else:
            self.pending = head

    @on(StepFinished)
    def step_finished(self, event: StepFinished) -> None:
        tail = "already done" if event.skipped else ms(event.duration)
        if self.open_line:
            click.echo(f" {tail}", err=True)
            self.open_line = False
        else:
            self._line(f"{self.pending or f'  [{event.index}/{event.steps_total}]'} ... {tail}")

    @on(QueueGuardTripped)
    def queue_guard_tripped(self, event: QueueGuardTripped) -> None:
        by = "; ".join(b.describe() for b in event.blockers) or _UNSEEN
        self._line(
            f"  step {event.index} waited {event.waited:.1f}s for {event.mode} on {event.target} "
            f"while {counted(event.queued, 'session')} queued behind it: cancelled; blocked by {by}"
        )

    @on(LockTimeoutRetry)
    def lock_timeout_retry(self, event: LockTimeoutRetry) -> None:
        what = "the migration" if event.whole_migration else f"step {event.index}"
        retry = f"retry {event.attempt} of {event.retries}, {event.left} left"
        wait = f"; it waits {event.lock_wait}" if event.lock_wait else ""
        if event.cause == "queue_guard":  # the guard's event just named the blockers
            self._line(f"  retrying {what} in {event.delay:.1f}s ({retry}{wait})")
            return
        by = "; ".join(b.describe() for b in event.blockers) or _UNSEEN
        self._line(
            f"  lock timeout on step {event.index} ({retry}); "
            f"blocked by {by}; retrying {what} in {event.delay:.1f}s{wait}"
        )

    @on(BackfillStarted)
    def backfill_started(self, event: BackfillStarted) -> None:
        if not self.tty and self.pending:
            self._line(self.pending)  # the step's line first, its time when it ends
            self.pending = ""
        resume = (
            f", resuming after {counted(event.batches, 'batch')}"
            f" ({counted(event.rows_done, 'row')})"
            if event.batches
            else ""
        )
        self._line(
            f"    {event.kind} {event.table} by {event.key}: {counted(event.rows_total, 'row')} "
            f"in batches of {event.batch_size:,}{resume}"
        )
        self.progress_mark = (-1, event.at)

    @on(BackfillProgress)
    def backfill_progress(self, event: BackfillProgress) -> None:
        eta = f", {event.eta:.0f}s left" if event.eta is not None else ""
        text = (
            f"    batch {event.batch}: {event.rows_done:,}/{counted(event.rows_total, 'row')} "
            f"({event.percent:.0f}%), {event.rows_per_second:,.0f} rows/s{eta}"
        )
        if self.tty:
            click.echo("\r" + text + "\x1b[K", err=True, nl=False)
            self.open_line = True
            return
        tenth, last_at = int(event.percent // 10), self.progress_mark[1]
        if tenth != self.progress_mark[0] or event.at - last_at >= 10:
            self._line(text)
            self.progress_mark = (tenth, event.at)

    @on(BackfillPaused)
    def backfill_paused(self, event: BackfillPaused) -> None:
        text = (
            f"    paused: {event.standby.describe()} (max_replica_lag {event.limit:g} s);"
            f" resuming once every standby is under {event.resume_below:g} s"
        )
        if self.tty:
            waited = f", waited {event.waited:.0f} s" if event.waited >= 1 else ""
            click.echo("\r" + text + waited + "\x1b[K", err=True, nl=False)
            self.open_line = True
        else:
            # off a terminal: the pause, a standby that changes (or changes state), and how it
            # stands every 10 s
            seen = (event.standby.name, event.standby.state)
            if (
                event.waited == 0
                or seen != self.pause_mark[0]
                or event.at - self.pause_mark[1] >= 10
            ):
                self._line(text + (f", waited {event.waited:.0f} s" if event.waited >= 1 else ""))
                self.pause_mark = (seen, event.at)

    @on(BackfillResumed)
    def backfill_resumed(self, event: BackfillResumed) -> None:
        now = f": {event.standby.describe()}" if event.standby else ""
        self._line(f"    resumed after {ms(event.paused_for)}{now}")

    @on(BackfillDeferred)
    def backfill_deferred(self, event: BackfillDeferred) -> None:
        self._line(
            f"  stopped before the backfill (step {event.index}): "
            f"run `schema-studio backfill {event.version}` to fill it"
        )

    @on(WaitingForAutovacuum)
    def waiting_for_autovacuum(self, event: WaitingForAutovacuum) -> None:
        pids = ", ".join(map(str, event.pids))
        self._line(
            f"  autovacuum works on {', '.join(event.tables)} (pid {pids}): "
            f"waiting up to {event.limit:.0f}s for it outside the lock queue, "
            "the application is not blocked"
        )

    @on(InvalidIndexDropped)
    def invalid_index_dropped(self, event: InvalidIndexDropped) -> None:
        self._line(
            f"  dropped invalid index {event.index_name} left by an interrupted build; "
            "rebuilding it"
        )

    @on(MigrationFinished)
    def migration_finished(self, event: MigrationFinished) -> None:
        self._line(f"  done in {ms(event.duration)}")

    @on(MigrationFailed)
    def migration_failed(self, event: MigrationFailed) -> None:
        at = f" at step {event.index}" if event.index else ""
        self._line(f"  failed{at}")

    @on(RunFinished)
    def run_finished(self, event: RunFinished) -> None:
        if not event.versions:
            self._line(
                "nothing to do: the database is up to date"
                if event.direction is Direction.UP
                else "nothing rolled back"
            )
            return
        done = "rolled back" if event.direction is Direction.DOWN else "applied"
        done = f"dry run: {done} (on the throwaway database)" if self.dry_run else done
        self._line(f"{done} {counted(len(event.versions), 'migration')} in {ms(event.duration)}")
