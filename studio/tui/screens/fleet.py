"""The fleet screen: every target of `[tool.schema-studio.fleet]` as a row, live during a run.

Each row: the target, its newest migration, how many are pending, its drift,
its state, the longest its migrator waited for a lock, and the step it runs.
The fleet is read when the screen opens (`status --fleet`, read-only);
`m` migrates it (`migrate --fleet`, under the policy picked then), each
target's runner events updating its row as they come; `x` aborts the run
(no target starts any more; each running one stops at its next step
boundary, its running statement cancelled and rolled back). A target where
a contract migration waits for confirmation says so; `c` confirms those
contracts once the user says the old application version is gone
(`migrate --fleet --confirm-contract`, on those targets only), live as `m`.
Enter opens a target's apply screen, pointed at that target.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Static

from studio.commands.fleet.progress import TargetProgress
from studio.commands.fleet.report import TargetState
from studio.commands.fleet.rollout import Abort, policy_of
from studio.config import duration_seconds
from studio.tui import services
from studio.tui.keys import bind, shown
from studio.tui.messages import FleetDone, FleetStepEvent, FleetTargetDone
from studio.tui.screens.base import StudioScreen
from studio.tui.screens.fleet_questions import CHOICES, confirm_question, migrate_question
from studio.tui.widgets.footer import StudioFooter
from studio.tui.widgets.header import StudioHeader
from studio.tui.widgets.steps import Col, StyledTable
from studio.words import counted

if TYPE_CHECKING:
    from studio.commands.fleet.contracts import ContractsWaiting
    from studio.commands.fleet.report import FleetReport, TargetReport
    from studio.commands.fleet.rollout import Policy
    from studio.commands.fleet.targets import FleetTarget
    from studio.run.events import Event

# state -> the component class that colours it
_TONE = {
    TargetState.IN_SYNC: "done",
    TargetState.UP_TO_DATE: "done",
    TargetState.DONE: "done",
    TargetState.PENDING: "pending",
    TargetState.DRIFT: "danger",
    TargetState.FAILED: "failed",
    TargetState.BUSY: "warning",
    TargetState.UNREACHABLE: "failed",
    TargetState.ERROR: "failed",
    TargetState.SKIPPED: "warning",
    TargetState.ABORTED: "warning",
}

# states whose row tells why the target stopped rather than what waits there
_STOPPED = frozenset({TargetState.DRIFT, TargetState.SKIPPED, TargetState.ABORTED})


class FleetScreen(StudioScreen):
    """The fleet's targets: where each stands, and a fleet-wide migrate, live."""

    ESSENTIAL = frozenset({"fleet"})
    AUTO_FOCUS = "#fleet-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open target", priority=True),
        Binding("m", "migrate", "Migrate fleet"),
        bind("contract", "Contracts"),
        Binding("r", "refresh", "Refresh"),
        bind("abort"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__(id="fleet")
        self.running = False
        self.targets: dict[str, FleetTarget] = {}
        self.reports: dict[str, TargetReport] = {}
        self.progress: dict[str, TargetProgress] = {}
        self.abort: Abort | None = None
        # the fleet's targets in their configured order (a confirm runs on some of them only)
        self.order: list[str] = []
        self._read_once = False

    def compose(self) -> ComposeResult:
        yield StudioHeader("fleet")
        yield StyledTable(id="fleet-table")
        yield Static(Content(""), id="fleet-detail")
        yield Static(Content("Reading the fleet…"), id="fleet-status")
        yield StudioFooter()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#fleet-table", StyledTable)
        # the step cell takes the room left, cut at a word boundary: the detail line says it whole
        table.define(
            Col("target", "target"),
            Col("version", "version", least=14),
            Col("pending", "pend"),
            Col("drift", "drift"),
            Col("state", "state", least=max(len(s.value) for s in TargetState)),
            Col("wait", "wait", least=6),
            Col("step", "step", flex=True),
        )
        table.loading = True
        self.survey()

    def has_data(self) -> bool:
        return bool(self.reports)

    def worker_failed(self, group: str, error: BaseException) -> None:
        self.query_one("#fleet-table", StyledTable).loading = False
        if group == "fleet-run":
            self.running = False
            self.refresh_bindings()

    # --- workers ------------------------------------------------------------------------

    @work(exclusive=True, group="fleet", exit_on_error=False)
    async def survey(self) -> None:
        """Read every target (read-only): its migrations and drift."""
        report = await services.fleet_survey(self.studio.options.settings, self._told)
        self.post_message(FleetDone(report, "read"))

    @work(exclusive=True, group="fleet-run", exit_on_error=False)
    async def run_fleet(self, policy: Policy, contracts: ContractsWaiting | None = None) -> None:
        """`migrate --fleet` under `policy` (confirming `contracts`, on their targets only);
        every target's events come back as messages."""
        self.running = True
        self.refresh_bindings()

        def on_event(target: FleetTarget, event: Event) -> None:
            self.post_message(FleetStepEvent(target.name, event))

        self.abort = Abort()
        try:
            report = await services.fleet_apply(
                self.studio.options, policy, on_event, self._told, self.abort, contracts
            )
        finally:
            self.running = False
            self.refresh_bindings()
        self.post_message(FleetDone(report, "migrate" if contracts is None else "confirm"))

    @work(exclusive=True, group="fleet-contracts", exit_on_error=False)
    async def ask_contracts(self) -> None:
        """Which contracts wait where, then the question: confirm them, under which policy?"""
        # in the fleet's order once it was read whole; as they came while the first read goes on
        reports = [self.reports[n] for n in self.order or self.reports if n in self.reports]
        waiting = await services.fleet_contracts(self.studio.options.settings, reports)
        if not waiting.contracts:
            self.notify("no contract waits for confirmation on any target", severity="warning")
            return
        parallel = policy_of(self.studio.options.settings, None).parallel

        def answered(choice: int | None) -> None:
            if not choice or choice > len(CHOICES):  # None (escape) or 0: no
                return
            if self.running:  # a run started meanwhile: not queued behind it
                self._refuse_while_running()
                return
            self._start(CHOICES[choice - 1].policy(parallel), waiting)

        self.app.push_screen(confirm_question(waiting, parallel), answered)

    def _told(self, report: TargetReport) -> None:
        # called from the survey's own thread too: post_message is thread-safe
        self.post_message(FleetTargetDone(report))

    # --- drawing ------------------------------------------------------------------------

    @on(FleetTargetDone)
    def _target_done(self, message: FleetTargetDone) -> None:
        report = message.report
        name = report.target.name
        before = self.reports.get(name)
        if before is not None:
            # a run does not read drift again unless it found some, nor what waits on a target
            # it could not read: keep what the last read said
            report = _carried(report, before)
        self.reports[name] = report
        self.targets[name] = report.target
        self._draw(name)
        table = self.query_one("#fleet-table", StyledTable)
        table.loading = False
        self._show_selected()

    @on(FleetStepEvent)
    def _step(self, message: FleetStepEvent) -> None:
        progress = self.progress.get(message.target)
        if progress is None:
            return
        progress.handle(message.event)
        self._draw(message.target, running=True)
        self._show_selected()

    @on(FleetDone)
    def _done(self, message: FleetDone) -> None:
        report = message.report
        if message.kind != "confirm":  # a read or a migrate covers the whole fleet
            self.order = [r.target.name for r in report.targets]
        # rows came in as targets finished: put them in the fleet's own order
        table = self.query_one("#fleet-table", StyledTable)
        # the first read starts at the first target; later ones keep the user's place
        selected = self._selected() if self._read_once else None
        self._read_once = True
        table.clear_rows()
        for name in self.order:
            self._draw(name)
        table.move_cursor(row=table.get_row_index(selected) if selected is not None else 0)
        self._status(*self._summary(message.kind, report))
        self.refresh_bindings()

    def _summary(self, kind: str, report: FleetReport) -> list[str | tuple[str, str]]:
        """`confirm: 3 targets: 1 done, 2 busy — not confirmed on B (busy) — ...`."""
        parts: list[str | tuple[str, str]] = [(f"{kind}: ", "bold"), report.summary()]
        if kind == "confirm" and (left := [r for r in report.targets if not r.state.ok]):
            named = ", ".join(f"{r.target.name} ({r.state.value})" for r in left)
            parts += ["  —  ", ("not confirmed on ", "bold $text-warning"), named]
        waiting = sum(1 for r in self.reports.values() if r.waiting)
        if waiting:
            on = counted(waiting, "target")
            parts += ["  —  ", (f"a contract waits on {on}", "$text-warning")]
        parts += ["  —  ", ("m", "bold"), " migrates the fleet"]
        if waiting:
            parts += [", ", (shown("contract"), "bold"), " confirms the contracts"]
        return parts

    def _draw(self, name: str, *, running: bool = False) -> None:
        """One target's row, added or updated."""
        opts = self.studio.options
        report = self.reports.get(name)
        progress = self.progress.get(name)
        state = "running" if running else report.state.value if report else "…"
        tone = "running" if running else _TONE.get(report.state, "") if report else "muted"
        if not running and report is not None and _only_contracts(report):
            state, tone = "waiting", "warning"  # nothing else to apply there: c confirms it
        wait = progress.longest_wait if progress else report.lock_wait if report else 0.0
        step = (progress.current if progress else "") or (_step_cell(report) if report else "")
        step = opts.said(step)
        cells = {
            "target": (name, ""),
            "version": ((report.version or "—") if report else "", ""),
            "pending": (str(report.pending) if report else "", ""),
            "drift": (_drift(report), "danger" if report and report.drift else "muted"),
            "state": (state, tone),
            "wait": (opts.duration(wait) if wait else "—", "muted"),
            "step": (step, "muted"),
        }
        table = self.query_one("#fleet-table", StyledTable)
        if not table.has_row(name):
            table.put_row(name, *(table.cell(t, s) for t, s in cells.values()))
            return
        for column, (text, style) in cells.items():
            table.put_cell(name, column, table.cell(text, style))

    def _selected(self) -> str | None:
        table = self.query_one("#fleet-table", StyledTable)
        if not table.row_count or table.cursor_row < 0:
            return None
        key = table.ordered_rows[table.cursor_row].key.value
        return key if key in self.targets else None

    def _show_selected(self) -> None:
        """The selected target's whole story under the table (the row cuts it short)."""
        name = self._selected()
        report = self.reports.get(name) if name else None
        if name is None or report is None:
            return
        progress = self.progress.get(name)
        where = "" if self.studio.options.snapshot else f" {report.target.where}"
        why = self.studio.options.said((progress.current if progress else "") or _story(report))
        self.query_one("#fleet-detail", Static).update(
            Content.assemble((name, "bold"), where, f" — {report.state.value}: {why}")
        )

    @on(StyledTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_selected()

    def _status(self, *parts: str | tuple[str, str]) -> None:
        self.query_one("#fleet-status", Static).update(Content.assemble(*parts))

    # --- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Migrate, refresh, open a target and go back only while no run is going on.

        Confirming contracts: while a contract waits; during a run too, to be told why not.
        """
        if action in ("migrate", "refresh", "back", "open"):
            return (not self.running) or None
        if action == "contract":
            return (self.running or any(r.waiting for r in self.reports.values())) or None
        if action == "abort":  # in the footer only while a run can be aborted
            return self.running and self.abort is not None and not self.abort.requested
        return True

    def action_open(self) -> None:
        """The apply screen of the selected target."""
        name = self._selected()
        if name is None:
            return
        target = self.targets[name]
        settings = services.fleet_target_settings(self.studio.options.settings, target)
        self.studio.open_apply(settings=settings, label=name)

    def action_migrate(self) -> None:
        """Migrate the fleet, under the policy picked."""
        if self.running or not self.targets:
            return
        n = len(self.targets)
        parallel = policy_of(self.studio.options.settings, None).parallel

        def answered(choice: int | None) -> None:
            if choice is None or choice >= len(CHOICES):
                return
            self._start(CHOICES[choice].policy(parallel))

        self.app.push_screen(migrate_question(n, parallel), answered)

    def action_contract(self) -> None:
        """Confirm the contracts waiting across the fleet, once the user says so."""
        if self.running:
            self._refuse_while_running()
            return
        if not any(r.waiting for r in self.reports.values()):
            self.notify("no contract waits for confirmation on any target", severity="warning")
            return
        self.ask_contracts()

    def _refuse_while_running(self) -> None:
        self.notify(
            "the fleet is migrating: confirm the contracts once this run is over (or abort it, x)",
            severity="warning",
        )

    def _start(self, policy: Policy, contracts: ContractsWaiting | None = None) -> None:
        names = list(contracts.targets) if contracts is not None else list(self.targets)
        lock_timeout = duration_seconds(self.studio.options.settings.lock_timeout)
        self.progress = {name: TargetProgress(lock_timeout) for name in names}
        table = self.query_one("#fleet-table", StyledTable)
        for name in names:
            self._draw(name)
            table.put_cell(name, "state", table.cell("queued", "muted"))
        verb = "migrating " if contracts is None else "confirming the contracts on "
        self._status((verb, "bold"), f"{counted(len(names), 'target')}…")
        self.run_fleet(policy, contracts)

    def action_abort(self) -> None:
        """Stop the fleet's run: no target starts; each running one stops at a step boundary."""
        if not self.running or self.abort is None or self.abort.requested:
            return
        self._status(
            ("aborting: ", "bold $text-warning"),
            "no target starts any more; each running one stops at its next step boundary…",
        )
        self.cancel_running(self.abort)
        self.refresh_bindings()

    @work(exclusive=True, group="fleet-abort", exit_on_error=False)
    async def cancel_running(self, abort: Abort) -> None:
        """Ask the run to stop, cancelling the statement each running target runs now."""
        await abort.request()

    def action_refresh(self) -> None:
        """Read the fleet again."""
        self.progress = {}
        self._status("Reading the fleet…")
        self.survey()

    def action_back(self) -> None:
        """Back to the studio (not while the fleet is migrating)."""
        if self.running:
            self.notify(
                "the fleet is migrating: abort it (x) or wait for it to finish",
                severity="warning",
            )
            return
        self.app.pop_screen()


def _story(report: TargetReport) -> str:
    """What a row cuts short: why a target stopped, its drift, where its migrations stand."""
    if report.message:
        return report.message
    if report.drift:
        more = f" (and {len(report.drift) - 1} more)" if len(report.drift) > 1 else ""
        return report.drift[0].describe() + more
    at = f"at {report.version}" if report.version else "no migration applied"
    if report.ran:  # what this run applied there
        at = f"applied {', '.join(report.ran)}; {at}"
    if report.waiting:
        return (
            f"{at}, {report.pending} pending; contract {', '.join(report.waiting)} waits for"
            f" confirmation ({shown('contract')} confirms it once the old application is gone)"
        )
    return f"{at}, {report.pending} pending"


def _step_cell(report: TargetReport) -> str:
    """The step cell of a target not running: why it stopped, else what waits there."""
    if report.waiting and not report.state.error and report.state not in _STOPPED:
        return f"contract waiting: {', '.join(report.waiting)}"
    return report.message


def _only_contracts(report: TargetReport) -> bool:
    """Whether all that is pending on a target is contracts waiting for confirmation."""
    waiting = len(report.waiting or ())
    return report.state is TargetState.PENDING and waiting > 0 and report.pending <= waiting


def _drift(report: TargetReport | None) -> str:
    if report is None or report.drift is None:
        return "—"
    return str(len(report.drift)) if report.drift else "none"


def _carried(report: TargetReport, before: TargetReport) -> TargetReport:
    """`report` with what an earlier report read and it did not: drift, waiting contracts."""
    drift = before.drift if report.drift is None else report.drift
    waiting = before.waiting if report.waiting is None else report.waiting
    return replace(report, drift=drift, waiting=waiting)
