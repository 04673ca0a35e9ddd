"""The apply screen: pending migrations step by step, live, over a tail of lock waits.

A run is aborted safely: the running step rolls back and the history says where it stopped.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from studio.config import mask_dsn
from studio.errors import StudioError
from studio.migrations.files import Phase
from studio.run import events as ev
from studio.run import monitor
from studio.run.history import State
from studio.run.inflight import Confirmation
from studio.run.phases import ContractNotConfirmed
from studio.tui import services
from studio.tui.keys import bind, shown
from studio.tui.messages import (
    BackendKnown,
    HistoryLoaded,
    LocksSampled,
    MigrationsChanged,
    OverviewLoaded,
    StepEvent,
)
from studio.tui.options import MASK
from studio.tui.screens.base import StudioScreen
from studio.tui.screens.modals import ChoiceScreen
from studio.tui.state import RunProgress, failure_state
from studio.tui.widgets.footer import StudioFooter
from studio.tui.widgets.header import StudioHeader
from studio.tui.widgets.lock_tail import LockLog, LockTable, describe_snapshot
from studio.tui.widgets.steps import Col, StyledTable
from studio.words import counted

if TYPE_CHECKING:
    from studio.config import Settings
    from studio.migrations.files import Migration
    from studio.run.history import Status
    from studio.tui.services import Overview


class Aborted(StudioError):
    """The user aborted the run."""

    hint = "apply again to resume"


class ApplyScreen(StudioScreen, ev.EventHandler):
    """Apply the pending migrations with a live view of their steps and of lock waits."""

    ESSENTIAL = frozenset({"pending"})
    AUTO_FOCUS = "#apply-steps"

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("apply"),
        bind("contract"),
        bind("abort"),
        bind("back"),
    ]

    def __init__(
        self,
        *,
        start: bool = False,
        to: str | None = None,
        settings: Settings | None = None,
        label: str | None = None,
    ) -> None:
        super().__init__(id="apply")
        self.start = start
        # apply up to this version only (a migration reviewed on its own), else every pending one
        self.to = to
        # one target of the fleet (None: the studio's own target)
        self.target = settings
        self.label = label
        self.target_overview: Overview | None = None
        self.running = False
        self.aborting = False
        self.own_pid: int | None = None
        self.pending: tuple[Migration, ...] = ()
        self.progress = RunProgress()
        self._rows: set[str] = set()
        # step key -> what walks its table in batches ("backfill", or "walk" for a Python step)
        self._walks: dict[str, str] = {}
        self._opened = 0.0

    @property
    def settings(self) -> Settings:
        """The settings of the target this screen applies to."""
        return self.target or self.studio.options.settings

    def refresh_header(self) -> None:
        """The studio's header; a fleet target's URL and name in it instead, when it is one."""
        if self.target is None:
            super().refresh_header()
            return
        opts = self.studio.options
        url = self.target.database_url()
        label = MASK if opts.snapshot or url is None else mask_dsn(url)
        for header in self.query(StudioHeader):
            # its drift is the fleet screen's to show: not read here
            header.show(replace(opts, target_label=label), self.target_overview, 0, None, "")

    def compose(self) -> ComposeResult:
        yield StudioHeader(f"apply · {self.label}" if self.label else "apply")
        yield StyledTable(id="apply-steps")
        yield Static(Content("Reading pending migrations…"), id="apply-status")
        with Vertical(id="tail"):
            yield Static(Content("Lock waits"), id="tail-title")
            yield LockTable(id="tail-table")
            yield LockLog(id="tail-log")
        yield StudioFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self._opened = self.studio.options.clock()
        table = self.query_one("#apply-steps", StyledTable)
        retries = self.studio.options.settings.retries
        states = ("waiting", "running", f"retry {retries + 1}", f"retried {retries}/{retries}")
        table.define(
            Col("state", "state", least=max(len(s) for s in states)),
            Col("what", "migration / step", flex=True),
            Col("elapsed", "elapsed", drop=2),
            Col("progress", "progress", drop=1, least=len("backfill 100%")),
        )
        self.load_pending()
        if self.target is not None:
            self.load_pending_after()
        self.watch_locks()
        self.set_interval(0.25, self._tick)

    def has_data(self) -> bool:
        return bool(self._rows)

    # --- workers ------------------------------------------------------------------------

    @work(exclusive=True, group="pending", exit_on_error=False)
    async def load_pending(self) -> None:
        """Read the pending (and interrupted) migrations."""
        self.post_message(HistoryLoaded(await services.history_status(self.settings)))

    @work(exclusive=True, group="monitor", exit_on_error=False)
    async def watch_locks(self) -> None:
        """The lock monitor, on a connection of its own, for as long as the screen is open."""
        url = self.settings.database_url()
        assert url is not None
        stream = monitor.watch(url, interval=self.studio.options.monitor_interval)
        async with contextlib.aclosing(stream) as snapshots:
            async for snap in snapshots:
                self.post_message(LocksSampled(snap))

    def _runs_past_contracts(self, to: str | None = None) -> bool:
        """Whether something other than a contract is pending (up to `to`)."""
        return any(
            m.phase is not Phase.CONTRACT for m in self.pending if to is None or m.version <= to
        )

    def _first_contract(self) -> int | None:
        """The index in `pending` of the first contract migration, if any."""
        return next((i for i, m in enumerate(self.pending) if m.phase is Phase.CONTRACT), None)

    @work(exclusive=True, group="apply", exit_on_error=False)
    async def run_apply(
        self, to: str | None = None, confirm_contract: Confirmation = False
    ) -> None:
        """Apply the pending migrations (up to `to`).

        The runner's events and the migrator's backend pid come back as messages.
        """
        self.running = True
        self.aborting = False
        self.progress = RunProgress()
        self.refresh_bindings()

        def sink(event: ev.Event) -> None:
            # an abort stops the run at the next step boundary (or retry), safely
            if self.aborting and isinstance(event, (ev.StepStarted, ev.LockTimeoutRetry)):
                raise Aborted("aborted by the user")
            self.post_message(StepEvent(event))

        def backend(pid: int) -> None:
            self.post_message(BackendKnown(pid))

        try:
            await services.apply_pending(
                self.studio.options,
                sink,
                backend,
                to=to,
                confirm_contract=confirm_contract,
                settings=self.target,
            )
        except ContractNotConfirmed as e:
            # not a failure: the contracts wait, what came after them ran past them
            self.notify(
                f"waiting: {e.message} (press {shown('contract')} once the old version is gone)",
                severity="warning",
                markup=False,
            )
        finally:
            self.running = False
            self.studio.set_applying(None)
            self.refresh_bindings()
            if self.target is None:  # a fleet target's run leaves the studio's target as it was
                self.app.post_message(MigrationsChanged())
            self.load_pending_after()
            self.load_pending()

    @work(exclusive=True, group="after", exit_on_error=False)
    async def load_pending_after(self) -> None:
        """Re-read the history once a run ended (the header's counts too)."""
        overview = await services.overview(self.settings)
        if self.target is None:
            self.app.post_message(OverviewLoaded(overview))
        else:
            self.target_overview = overview
            self.refresh_header()

    @work(exclusive=True, group="abort", exit_on_error=False)
    async def cancel_step(self, pid: int) -> None:
        """Cancel the statement the migration runs now (it rolls back; the session lives)."""
        await services.abort_step(self.settings, pid)

    # --- drawing ------------------------------------------------------------------------

    @on(HistoryLoaded)
    def _pending_loaded(self, message: HistoryLoaded) -> None:
        todo = message.status.having(State.PARTIAL, State.PENDING)
        self.pending = tuple(e.migration for e in todo if e.migration is not None)
        self.refresh_bindings()
        if self.running or self.progress.version:
            return  # keep showing the run that just happened
        self._fill(message.status)
        if self.start:
            self.start = False
            self.action_apply()

    def _fill(self, status: Status) -> None:
        table = self.query_one("#apply-steps", StyledTable)
        table.clear_rows()
        self._rows.clear()
        todo = [e for e in status.entries if e.state in (State.PENDING, State.PARTIAL)]
        self.pending = tuple(e.migration for e in todo if e.migration is not None)
        for entry in todo:
            m = entry.migration
            if m is None:
                continue
            done = entry.row.steps_done if entry.row else 0
            whole = m.transactional and not any(s.python for s in m.steps)
            mode = "one transaction" if whole else "step by step"
            self._add(
                m.version,
                "waiting",
                f"{m.version}_{m.name}  ({counted(len(m.steps), 'step')}, {mode})",
                "migration",
            )
            for step in m.steps:
                state = "done" if step.index <= done else "waiting"
                what = f"  {step.index}. {step.title}"
                progress = "backfill —" if step.backfill else ""
                self._add(f"{m.version}:{step.index}", state, what, "", progress)
        status_line = self.query_one("#apply-status", Static)
        if not todo:
            status_line.update(Content("Nothing to apply: every migration is applied."))
        else:
            status_line.update(
                Content.assemble(
                    f"{counted(len(todo), 'migration')} to apply — press ",
                    (shown("apply"), "bold"),
                    " to apply, ",
                    (shown("abort"), "bold"),
                    " aborts a run safely",
                )
            )

    def _add(self, key: str, state: str, what: str, kind: str, progress: str = "") -> None:
        table = self.query_one("#apply-steps", StyledTable)
        table.put_row(
            key,
            table.cell(state, state),
            table.cell(what, kind),
            table.cell("", "muted"),
            table.cell(progress, "muted"),
        )
        self._rows.add(key)

    def _set(self, key: str, state: str | None = None, elapsed: str | None = None) -> None:
        if key not in self._rows:
            return
        table = self.query_one("#apply-steps", StyledTable)
        if state is not None:
            word = state.split()[0]
            # an aborted step is shown as a failed one is: it did not finish
            table.put_cell(key, "state", table.cell(state, "failed" if word == "aborted" else word))
        if elapsed is not None:
            table.put_cell(key, "elapsed", table.cell(elapsed, "muted"))

    def _set_progress(self, key: str, done: int, total: int) -> None:
        if key not in self._rows:
            return
        table = self.query_one("#apply-steps", StyledTable)
        text = f"{100 * done // total}%" if total else "—"
        kind = self._walks.get(key, "backfill")
        table.put_cell(key, "progress", table.cell(f"{kind} {text}", "running"))

    def _status(self, *parts: str | tuple[str, str]) -> None:
        self.query_one("#apply-status", Static).update(Content.assemble(*parts))

    @on(BackendKnown)
    def _backend(self, message: BackendKnown) -> None:
        self.own_pid = message.pid

    @on(StepEvent)
    def _event(self, message: StepEvent) -> None:
        self.handle(message.event)

    # --- the runner's events, one method each (`EventHandler` finds it by the event's class) ---

    @ev.on(ev.WaitingForMigrator)
    def _waiting(self, e: ev.WaitingForMigrator) -> None:
        holder = e.holder.describe() if e.holder else "another migrator"
        self._status(("waiting: ", "bold"), f"{holder} holds the migration lock")

    @ev.on(ev.RunStarted)
    def _run_started(self, e: ev.RunStarted) -> None:
        self._status(f"applying {counted(len(e.migrations), 'migration')}…")

    @ev.on(ev.MigrationStarted)
    def _migration_started(self, e: ev.MigrationStarted) -> None:
        p = self.progress
        p.version, p.name, p.transactional = e.version, e.name, e.transactional
        p.done_steps = list(range(1, e.steps_done + 1))
        p.started[e.version] = e.at
        self._set(e.version, "running")

    @ev.on(ev.StepStarted)
    def _step_started(self, e: ev.StepStarted) -> None:
        p = self.progress
        p.current, p.current_transactional, p.current_title = e.index, e.transactional, e.title
        key = f"{e.version}:{e.index}"
        p.started[key] = e.at
        self.studio.set_applying(f"{e.version} {e.index}/{e.steps_total}")
        self._set(key, "running" if e.attempt == 1 else f"retry {e.attempt}")
        attempt = f" (attempt {e.attempt} of {e.attempts})" if e.attempt > 1 else ""
        self._status(
            ("running ", "bold"),
            f"step {e.index}/{e.steps_total} of {e.version}: {e.title}{attempt}",
        )

    @ev.on(ev.LockTimeoutRetry)
    def _retry(self, e: ev.LockTimeoutRetry) -> None:
        opts = self.studio.options
        p = self.progress
        key = f"{e.version}:{e.index}"
        self._set(key, f"retried {e.attempt}/{e.retries}")
        if e.whole_migration:
            for done in p.done_steps:
                self._set(f"{e.version}:{done}", "waiting", "")
            p.done_steps = []
        who = "; ".join(b.describe() for b in e.blockers) or "another session"
        gave_up = "the queue guard's limit" if e.cause == "queue_guard" else "lock_timeout"
        wait = f"; each attempt waits {e.lock_wait}" if e.lock_wait else ""
        self._status(
            ("lock wait: ", "bold $text-warning"),
            f"step {e.index} gave up its lock after {gave_up}, retrying in "
            f"{opts.duration(e.delay)} (retry {e.attempt} of {e.retries}, {e.left} left{wait});"
            f" blocked by {opts.said(who)}",
        )

    @ev.on(ev.StepFinished)
    def _step_finished(self, e: ev.StepFinished) -> None:
        self.progress.done_steps.append(e.index)
        self._set(f"{e.version}:{e.index}", "done", self.studio.options.duration(e.duration))

    @ev.on(ev.MigrationFinished)
    def _migration_finished(self, e: ev.MigrationFinished) -> None:
        self.progress.finished.append(e.version)
        self._set(e.version, "done", self.studio.options.duration(e.duration))

    @ev.on(ev.MigrationFailed)
    def _migration_failed(self, e: ev.MigrationFailed) -> None:
        # the user's abort is no failure: the row says which it was
        state = "aborted" if self.aborting else "failed"
        if e.index is not None:
            self._set(f"{e.version}:{e.index}", state)
        self._set(e.version, state)
        self._status(*self._failure_state(e))

    @ev.on(ev.BackfillStarted)
    def _backfill_started(self, e: ev.BackfillStarted) -> None:
        # a backfill step's UPDATE, or a Python step's walk: its batches are told alike
        self._walks[f"{e.version}:{e.index}"] = e.kind
        self._set_progress(f"{e.version}:{e.index}", e.rows_done, e.rows_total)

    @ev.on(ev.BackfillProgress)
    def _backfill_progress(self, e: ev.BackfillProgress) -> None:
        opts = self.studio.options
        key = f"{e.version}:{e.index}"
        self._set_progress(key, e.rows_done, e.rows_total)
        eta = "" if e.eta is None else f", {opts.duration(e.eta)} left"
        self._status(
            (f"{self._walks.get(key, 'backfill')} ", "bold"),
            f"{e.table}: batch {e.batch}, {e.rows_done:,}/{e.rows_total:,} rows, "
            f"{e.rows_per_second:,.0f} rows/s{eta}"
            if not opts.snapshot
            else f"{e.table}: batch {e.batch}",
        )

    @ev.on(ev.BackfillPaused)
    def _backfill_paused(self, e: ev.BackfillPaused) -> None:
        opts, s = self.studio.options, e.standby
        self._set(f"{e.version}:{e.index}", "paused")
        behind = (
            f"{s.state}, counted as behind until it streams again"
            if s.lag is None
            else f"{opts.duration(s.lag)} behind in replay"
        )
        self._status(
            ("paused ", "bold $text-warning"),
            f"backfill of {e.table}: standby {s.name} {behind}"
            f" (max_replica_lag {opts.duration(e.limit)}); resuming once every standby is under"
            f" {opts.duration(e.resume_below)}, waited {opts.duration(e.waited)}",
        )

    @ev.on(ev.BackfillResumed)
    def _backfill_resumed(self, e: ev.BackfillResumed) -> None:
        self._set(f"{e.version}:{e.index}", "running")
        self._status(
            ("backfill ", "bold"),
            f"{e.table}: resumed after a pause of {self.studio.options.duration(e.paused_for)}"
            " for the standbys",
        )

    @ev.on(ev.BackfillDeferred)
    def _backfill_deferred(self, e: ev.BackfillDeferred) -> None:
        # the run ends here: the status line says so once it has
        self.progress.deferred = (
            f"stopped before the backfill of {e.version} (step {e.index}):"
            f" `schema-studio backfill {e.version}` fills it"
        )

    @ev.on(ev.RunFinished)
    def _run_finished(self, e: ev.RunFinished) -> None:
        deferred = self.progress.deferred
        self._status(
            ("done: ", "bold $text-success"),
            f"applied {counted(len(e.versions), 'migration')}"
            f" in {self.studio.options.duration(e.duration)}",
            f"; {deferred}" if deferred else "",
        )

    def _failure_state(self, e: ev.MigrationFailed) -> list[str | tuple[str, str]]:
        """What state the database is in after a failed (or aborted) migration."""
        return failure_state(self.progress, e, aborted=self.aborting)

    @on(LocksSampled)
    def _locks(self, message: LocksSampled) -> None:
        snap = message.snapshot
        opts = self.studio.options
        self.query_one("#tail-table", LockTable).show(snap, opts, self.own_pid)
        stamp = opts.duration(opts.clock() - self._opened) if not opts.snapshot else "··"
        line = describe_snapshot(snap, opts, self.own_pid)
        self.query_one("#tail-log", LockLog).record(snap, line, f"+{stamp}")
        title = self.query_one("#tail-title", Static)
        own_waits = self.own_pid is not None and snap.wait_of(self.own_pid) is not None
        behind = bool(self.own_pid and snap.queued_behind(self.own_pid))
        title.update(Content(f"Lock waits — {line}"))
        title.set_class(own_waits, "-own-waits")
        title.set_class(behind, "-queued-behind")

    def _tick(self) -> None:
        """Elapsed time of the running step and migration."""
        if not self.running:
            return
        p = self.progress
        now = self.studio.options.clock()
        for key in (p.version, f"{p.version}:{p.current}"):
            if key in p.started and key in self._rows:
                self._set(key, None, self.studio.options.duration(now - p.started[key]))

    # --- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Apply when idle with something pending; abort only while running; back when idle."""
        if action == "apply":
            return (not self.running and self._runs_past_contracts()) or None
        if action == "contract":
            return (not self.running and self._first_contract() is not None) or None
        if action == "abort":
            return self.running or None
        if action == "back":
            return not self.running
        return True

    def action_apply(self) -> None:
        """Apply the pending migrations now."""
        if self.running:
            return
        if not self.pending:
            self.notify("nothing to apply", severity="warning")
            return
        first = self._first_contract()
        to, self.to = self.to, None  # once: a later press applies every pending migration
        if first is not None and to is not None and self.pending[first].version > to:
            first = None  # the contract comes after the migration asked for
        if first is not None and not self._runs_past_contracts(to):
            self.notify(
                f"only contracts are pending: press {shown('contract')} to confirm"
                f" {self.pending[first].filename}",
                severity="warning",
                markup=False,
            )
            return
        # a contract waits for the user's word; the runner applies the others past it
        self.run_apply(to=to)

    def action_contract(self) -> None:
        """Apply the next contract migration, once the user says the old application is gone."""
        first = self._first_contract()
        if self.running or first is None:
            return
        m = self.pending[first]

        def answered(choice: int | None) -> None:
            if choice == 0:
                self.run_apply(to=m.version, confirm_contract=m.version)

        self.app.push_screen(
            ChoiceScreen(
                f"{m.filename} drops what the old application version still uses. "
                "Is every instance of the old version gone?",
                ["Yes: apply the contract now", "No: not yet"],
            ),
            answered,
        )

    def action_abort(self) -> None:
        """Cancel the running step: it rolls back, the run stops, the history says where."""
        if not self.running:
            self.notify("nothing is running", severity="warning")
            return
        self.aborting = True
        self._status(("aborting: ", "bold $text-warning"), "cancelling the running step…")
        if self.own_pid is not None:
            self.cancel_step(self.own_pid)

    def action_back(self) -> None:
        """Back to the studio (not while a run is going on)."""
        if self.running:
            self.notify("a run is going on: abort it (x) first", severity="warning")
            return
        self.app.pop_screen()

    def worker_failed(self, group: str, error: BaseException) -> None:
        if group == "apply" and isinstance(error, StudioError):
            # the status line already says what state the database is in
            return
