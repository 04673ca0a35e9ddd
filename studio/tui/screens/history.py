"""The history screen: applied, pending, partial, modified and missing migrations.

Each one's SQL opens from it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.content import Content
from textual.widgets import Static

from studio.commands.check import other_branch
from studio.run.history import State
from studio.run.inflight import Stage
from studio.tui import services
from studio.tui.keys import bind, shown
from studio.tui.messages import HistoryLoaded
from studio.tui.screens.base import StudioScreen
from studio.tui.screens.modals import SqlScreen
from studio.tui.widgets.footer import StudioFooter
from studio.tui.widgets.header import StudioHeader
from studio.tui.widgets.steps import Col, StyledTable

if TYPE_CHECKING:
    from studio.run.history import Entry, Status
    from studio.run.inflight import InFlight

# state -> the component class that colours it
_TONE = {
    "applied": "done",
    "pending": "pending",
    "partial": "warning",
    "rolling back": "warning",
    "modified": "danger",
    "missing": "danger",
}


def _state(e: Entry, in_flight: InFlight | None) -> tuple[str, str]:
    """The state cell: `applied · backfilled`, `contract waiting`, `pending · past 2026…`."""
    stage = in_flight.stages.get(e.version) if in_flight else None
    if stage is Stage.CONTRACT_WAITING:
        return stage.value, "warning"
    # older than one applied (`check`'s other_branch): `migrate` refuses it unless allowed
    state = e.state.value + (" (added on another branch)" if e.out_of_order else "")
    phase = in_flight.describe(e.version) if in_flight else ""
    if phase and stage is not Stage.DONE:
        state += f" · {phase}"
    return state, _TONE.get(e.state.value, "")


class HistoryScreen(StudioScreen):
    """Every migration the directory or the history knows, with checksums, timings and who."""

    ESSENTIAL = frozenset({"history"})
    AUTO_FOCUS = "#history-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("open", priority=True),
        bind("refresh"),
        bind("back"),
    ]

    def __init__(self) -> None:
        super().__init__(id="history")
        self.status: Status | None = None

    def compose(self) -> ComposeResult:
        yield StudioHeader("history")
        yield StyledTable(id="history-table")
        yield Static(Content("Reading the history…"), id="history-status")
        yield StudioFooter()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#history-table", StyledTable)
        # at 80 columns: state, version, name, steps and when; the rest as the width allows,
        # the checksum, who and how long giving way to a whole name
        table.define(
            Col("state", "state"),
            Col("version", "version"),
            Col("name", "name", flex=True),
            Col("checksum", "checksum", drop=5, yields=True),
            Col("steps", "steps"),
            Col("at", "applied at", drop=2),
            Col("took", "took", drop=4, yields=True),
            Col("by", "by", drop=3, yields=True),
        )
        table.loading = True
        self.load()

    def has_data(self) -> bool:
        return self.status is not None

    def worker_failed(self, group: str, error: BaseException) -> None:
        self.query_one("#history-table", StyledTable).loading = False

    @work(exclusive=True, group="history", exit_on_error=False)
    async def load(self) -> None:
        """Read the directory and the target's history table (read-only)."""
        report = await services.history_report(self.studio.options.settings)
        self.post_message(HistoryLoaded(report.status, report.in_flight))

    @on(HistoryLoaded)
    def _loaded(self, message: HistoryLoaded) -> None:
        self.status = message.status
        opts = self.studio.options
        table = self.query_one("#history-table", StyledTable)
        table.loading = False
        table.clear_rows()
        table.focus()
        for e in message.status.entries:
            row = e.row
            checksum = (row.checksum if row else e.migration.checksum if e.migration else "")[:12]
            if e.state.value == "modified" and e.migration is not None:
                checksum = f"{e.migration.checksum[:5]}≠{checksum[:6]}"
            steps = ""
            if row is not None:
                steps = f"{row.steps_done}/{row.steps_total}"
            elif e.migration is not None:
                steps = f"0/{len(e.migration.steps)}"
            by = ""
            if row is not None:
                host = opts.host(row.client_host)
                by = row.applied_by + (f"@{host}" if host else "")
            state, tone = _state(e, message.in_flight)
            table.put_row(
                e.version,
                table.cell(state, tone),
                table.cell(e.version, ""),
                table.cell(e.name, ""),
                table.cell(checksum, "muted"),
                table.cell(steps, ""),
                table.cell(
                    opts.timestamp(row.finished_at or row.started_at) if row else "—", "muted"
                ),
                table.cell(
                    opts.duration(row.duration_ms / 1000)
                    if row and row.duration_ms is not None
                    else "—",
                    "muted",
                ),
                table.cell(by, "muted"),
            )
        counts: dict[str, int] = {}
        for e in message.status.entries:
            counts[e.state.value] = counts.get(e.state.value, 0) + 1
        summary = " · ".join(f"{n} {state}" for state, n in counts.items()) or "no migrations"
        waiting = message.in_flight.waiting if message.in_flight else frozenset()
        if elsewhere := other_branch(message.status, waiting):
            summary += f" · {len(elsewhere)} added on another branch"
        if not message.status.table_exists:
            summary += " · the history table does not exist yet (nothing applied)"
        self.query_one("#history-status", Static).update(
            Content.assemble(
                summary,
                " — ",
                (shown("open"), "bold"),
                ": review a pending one, see an applied one's SQL",
            )
        )

    def _entry(self) -> Entry | None:
        if self.status is None or not self.status.entries:
            return None
        table = self.query_one("#history-table", StyledTable)
        row = table.cursor_row
        if row < 0 or row >= len(self.status.entries):
            return None
        return self.status.entries[row]

    def action_open(self) -> None:
        """Review the selected migration when pending (then apply it), else show its SQL."""
        entry = self._entry()
        if entry is None:
            return
        if entry.state in (State.PENDING, State.PARTIAL) and entry.migration is not None:
            self.studio.open_pending(entry.version)
            return
        if entry.migration is None:
            self.notify(
                f"{entry.version}_{entry.name} is in the history but its file is missing",
                severity="warning",
                markup=False,
            )
            return
        self.open_file(entry)

    @work(exclusive=True, group="file", exit_on_error=False)
    async def open_file(self, entry: Entry) -> None:
        """Read the file off the event loop, then show it."""
        assert entry.migration is not None
        up, down = await asyncio.to_thread(services.migration_text, entry.migration)
        title = f"{entry.migration.filename} — {entry.state.value}"
        self.app.push_screen(SqlScreen(title, up, down))

    def action_refresh(self) -> None:
        """Read the history again."""
        self.load()

    def action_back(self) -> None:
        """Back to the studio."""
        self.app.pop_screen()
