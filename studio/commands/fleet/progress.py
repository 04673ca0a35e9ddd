"""One target's run as its runner events tell it: the current step, what ran, the longest wait.

Both faces keep one `TargetProgress` per target: the fleet run fills its
report from it, the studio's fleet screen draws its rows from it.

A lock wait is time the migrator spent queued for a lock: for the migration
lock behind another migrator (from `WaitingForMigrator` to the run's start),
and for a step's table locks (each attempt that gave up after `lock_timeout`
waited that long; one the queue guard cancelled, as long as it says). A
step's attempts add up; the longest step's total (or the migration lock's
wait) is the target's longest lock wait.
"""

from __future__ import annotations

from collections import defaultdict

from studio.run import events as ev


class TargetProgress(ev.EventHandler):
    """What one target's runner has done so far, from its events."""

    def __init__(self, lock_timeout: float) -> None:
        self.lock_timeout = lock_timeout
        # the step running now, in words ("" when none)
        self.current = ""
        # migrations finished (applied or rolled back) by this run, in order
        self.ran: list[str] = []
        # a migration began: whatever stops the run now stops it part-way through its work
        self.started = False
        self.longest_wait = 0.0
        self._waits: defaultdict[tuple[str, int], float] = defaultdict(float)
        self._queued_at: float | None = None

    def _waited(self, version: str, index: int, seconds: float) -> None:
        self._waits[(version, index)] += seconds
        self.longest_wait = max(self.longest_wait, self._waits[(version, index)])

    @ev.on(ev.WaitingForMigrator)
    def _queued(self, e: ev.WaitingForMigrator) -> None:
        self._queued_at = e.at
        holder = f" (pid {e.holder.pid})" if e.holder else ""
        self.current = f"waiting for another migrator{holder}"

    @ev.on(ev.RunStarted)
    def _run_started(self, e: ev.RunStarted) -> None:
        if self._queued_at is not None:
            self.longest_wait = max(self.longest_wait, e.at - self._queued_at)
            self._queued_at = None
        self.current = ""

    @ev.on(ev.MigrationStarted)
    def _migration_started(self, e: ev.MigrationStarted) -> None:
        self.started = True
        self.current = f"{e.version} starting"

    @ev.on(ev.StepStarted)
    def _step_started(self, e: ev.StepStarted) -> None:
        retry = f" (attempt {e.attempt})" if e.attempt > 1 else ""
        self.current = f"{e.version} step {e.index}/{e.steps_total}: {e.title}{retry}"

    @ev.on(ev.LockTimeoutRetry)
    def _retry(self, e: ev.LockTimeoutRetry) -> None:
        if e.cause == "lock_timeout":  # the queue guard's wait came with QueueGuardTripped
            # the attempt's own lock_timeout: queue_guard's until the guard watched
            waited = self.lock_timeout if e.waited is None else e.waited
            self._waited(e.version, e.index, waited)
        self.current = f"{e.version} step {e.index}: lock wait, retry {e.attempt}/{e.retries}"

    @ev.on(ev.QueueGuardTripped)
    def _guard(self, e: ev.QueueGuardTripped) -> None:
        self._waited(e.version, e.index, e.waited)

    @ev.on(ev.BackfillProgress)
    def _backfill(self, e: ev.BackfillProgress) -> None:
        self.current = f"{e.version} step {e.index}: backfill {e.percent:.0f}%"

    @ev.on(ev.MigrationFinished)
    def _migration_finished(self, e: ev.MigrationFinished) -> None:
        self.ran.append(e.version)
        self.current = ""

    @ev.on(ev.MigrationFailed)
    def _migration_failed(self, e: ev.MigrationFailed) -> None:
        step = f" step {e.index}" if e.index is not None else ""
        self.current = f"{e.version}{step} failed"

    @ev.on(ev.RunFinished)
    def _run_finished(self, e: ev.RunFinished) -> None:
        self.current = ""
