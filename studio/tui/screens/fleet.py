"""The fleet screen: every target of `[tool.schema-studio.fleet]` as a row, live during a run.

Each row: the target, its newest migration, how many are pending, its drift,
its state, the longest its migrator waited for a lock, and the step it runs.
The fleet is read when the screen opens (`status --fleet`, read-only);
`m` migrates it (`migrate --fleet`, under the policy picked then), each
target's runner events updating its row as they come; `x` aborts the run
(no target starts any more; each running one stops at its next step
boundary, its running statement cancelled and rolled back). Enter opens a
target's apply screen, pointed at that target.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Footer, Static

from studio.commands.fleet.progress import TargetProgress
from studio.commands.fleet.report import TargetState
from studio.commands.fleet.rollout import Abort, Policy, policy_of
from studio.config import duration_seconds
from studio.tui import services
from studio.tui.keys import bind
from studio.tui.messages import FleetDone, FleetStepEvent, FleetTargetDone
from studio.tui.screens.base import StudioScreen
from studio.tui.screens.modals import ChoiceScreen
from studio.tui.widgets.header import StudioHeader
from studio.tui.widgets.steps import StyledTable
from studio.words import counted

if TYPE_CHECKING:
    from studio.commands.fleet.report import TargetReport
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

# the choices `m` offers, and the policy each runs under (canary, halt)
_POLICIES: tuple[tuple[str, int, bool], ...] = (
    ("Migrate the first target alone, then the rest; stop at a failure", 1, True),
    ("Migrate every target; stop starting others at a failure", 0, True),
    ("Migrate every target; go on past a failure", 0, False),
)


class FleetScreen(StudioScreen):
    """The fleet's targets: where each stands, and a fleet-wide migrate, live."""

    ESSENTIAL = frozenset({"fleet"})
    AUTO_FOCUS = "#fleet-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open target", priority=True),
        Binding("m", "migrate", "Migrate fleet"),
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
        self._read_once = False

    def compose(self) -> ComposeResult:
        yield StudioHeader("fleet")
        yield StyledTable(id="fleet-table")
        yield Static(Content(""), id="fleet-detail")
        yield Static(Content("Reading the fleet…"), id="fleet-status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#fleet-table", StyledTable)
        for label, key, width in (
            ("target", "target", 14),
            ("version", "version", 14),
            ("pend", "pending", 4),
            ("drift", "drift", 5),
            ("state", "state", 11),
            ("wait", "wait", 6),
            ("step", "step", None),
        ):
            table.add_column(label, key=key, width=width)
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
        self.post_message(FleetDone(report, run=False))

    @work(exclusive=True, group="fleet-run", exit_on_error=False)
    async def run_fleet(self, policy: Policy) -> None:
        """`migrate --fleet` under `policy`; every target's events come back as messages."""
        self.running = True
        self.refresh_bindings()

        def on_event(target: FleetTarget, event: Event) -> None:
            self.post_message(FleetStepEvent(target.name, event))

        self.abort = Abort()
        try:
            report = await services.fleet_apply(
                self.studio.options, policy, on_event, self._told, self.abort
            )
        finally:
            self.running = False
            self.refresh_bindings()
        self.post_message(FleetDone(report, run=True))

    def _told(self, report: TargetReport) -> None:
        # called from the survey's own thread too: post_message is thread-safe
        self.post_message(FleetTargetDone(report))

    # --- drawing ------------------------------------------------------------------------

    @on(FleetTargetDone)
    def _target_done(self, message: FleetTargetDone) -> None:
        report = message.report
        name = report.target.name
        before = self.reports.get(name)
        if before is not None and report.drift is None:
            # a run does not read drift again unless it found some: keep what the survey read
            report = _with_drift(report, before)
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
        # rows came in as targets finished: put them in the fleet's own order
        table = self.query_one("#fleet-table", StyledTable)
        # the first read starts at the first target; later ones keep the user's place
        selected = self._selected() if self._read_once else None
        self._read_once = True
        table.clear()
        for r in report.targets:
            self._draw(r.target.name)
        table.move_cursor(row=table.get_row_index(selected) if selected is not None else 0)
        verb = "migrate" if message.run else "read"
        self._status(
            (f"{verb}: ", "bold"),
            report.summary(),
            "  —  ",
            ("m", "bold"),
            " migrates the fleet",
        )

    def _draw(self, name: str, *, running: bool = False) -> None:
        """One target's row, added or updated."""
        opts = self.studio.options
        report = self.reports.get(name)
        progress = self.progress.get(name)
        state = "running" if running else report.state.value if report else "…"
        tone = "running" if running else _TONE.get(report.state, "") if report else "muted"
        wait = progress.longest_wait if progress else report.lock_wait if report else 0.0
        step = (progress.current if progress else "") or (report.message if report else "")
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
        if name not in table.rows:
            table.add_row(*(table.cell(t, s) for t, s in cells.values()), key=name)
            return
        for column, (text, style) in cells.items():
            table.update_cell(name, column, table.cell(text, style))

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
        why = (progress.current if progress else "") or _story(report)
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
        """Migrate, refresh, open a target and go back only while no run is going on."""
        if action in ("migrate", "refresh", "back", "open"):
            return (not self.running) or None
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
            if choice is None or choice >= len(_POLICIES):
                return
            _, canary, halt = _POLICIES[choice]
            self._start(Policy(parallel, canary, halt))

        self.app.push_screen(
            ChoiceScreen(
                f"Apply the pending migrations to {counted(n, 'target')}, {parallel} at a time?",
                [label for label, _, _ in _POLICIES] + ["Cancel"],
            ),
            answered,
        )

    def _start(self, policy: Policy) -> None:
        lock_timeout = duration_seconds(self.studio.options.settings.lock_timeout)
        self.progress = {name: TargetProgress(lock_timeout) for name in self.targets}
        table = self.query_one("#fleet-table", StyledTable)
        for name in self.targets:
            self._draw(name)
            table.update_cell(name, "state", table.cell("queued", "muted"))
        self._status(("migrating ", "bold"), f"{counted(len(self.targets), 'target')}…")
        self.run_fleet(policy)

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
    return f"{at}, {report.pending} pending"


def _drift(report: TargetReport | None) -> str:
    if report is None or report.drift is None:
        return "—"
    return str(len(report.drift)) if report.drift else "none"


def _with_drift(report: TargetReport, before: TargetReport) -> TargetReport:
    """`report` with the drift an earlier report read (a run reads it only when it finds some)."""
    return replace(report, drift=before.drift)
