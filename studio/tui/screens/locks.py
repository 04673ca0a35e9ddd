"""The locks screen: the lock monitor on its own, like `top` for lock waits."""

from __future__ import annotations

import contextlib
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Static

from studio.run import monitor
from studio.tui.keys import KEYS, bind
from studio.tui.messages import LocksSampled
from studio.tui.screens.base import StudioScreen
from studio.tui.widgets.footer import StudioFooter
from studio.tui.widgets.header import StudioHeader
from studio.tui.widgets.lock_tail import LockLog, LockTable, describe_snapshot
from studio.words import counted


class LocksScreen(StudioScreen):
    """Every lock wait on the target, chain by chain, refreshed several times a second."""

    AUTO_FOCUS = "#locks-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        # one key, its footer label saying what it does now: pause when live, resume when paused
        Binding(KEYS["pause"][0], "pause(True)", "Pause"),
        Binding(KEYS["pause"][0], "pause(False)", "Resume"),
        bind("back"),
    ]

    def __init__(self) -> None:
        super().__init__(id="locks")
        self.paused = False
        self.samples = 0
        self._opened = 0.0
        # the summary of the picture shown (kept while paused, to say what is frozen)
        self._summary: Content = Content("")

    def compose(self) -> ComposeResult:
        yield StudioHeader("locks")
        yield Static(Content("Connecting the lock monitor…"), id="locks-summary")
        yield LockTable(id="locks-table")
        yield Static(Content("What changed"), id="locks-log-title")
        yield LockLog(id="locks-log")
        yield StudioFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self._opened = self.studio.options.clock()
        self.watch_locks()

    @work(exclusive=True, group="monitor", exit_on_error=False)
    async def watch_locks(self) -> None:
        """Poll the target's locks on a read-only connection of the monitor's own."""
        url = self.studio.options.settings.database_url()
        assert url is not None
        stream = monitor.watch(url, interval=self.studio.options.monitor_interval)
        async with contextlib.aclosing(stream) as snapshots:
            async for snap in snapshots:
                self.post_message(LocksSampled(snap))

    @on(LocksSampled)
    def _sampled(self, message: LocksSampled) -> None:
        if self.paused:
            return
        snap = message.snapshot
        opts = self.studio.options
        self.samples += 1
        self.query_one("#locks-table", LockTable).show(snap, opts)
        line = describe_snapshot(snap, opts, None)
        chains = len(snap.chains)
        summary = self.query_one("#locks-summary", Static)
        self._summary = Content.assemble(
            (f"{len(snap.waits)} waiting", "bold"),
            f" in {counted(chains, 'chain')}" if chains else "",
            f" · deepest {counted(max((c.depth for c in snap.chains), default=0), 'level')}"
            if chains
            else "",
            f" · polling every {opts.monitor_interval:g} s",
        )
        self._show_summary()
        summary.set_class(bool(snap.waits), "-waits")
        summary.set_class(snap.gap, "-gap")
        stamp = opts.duration(opts.clock() - self._opened) if not opts.snapshot else "··"
        self.query_one("#locks-log", LockLog).record(snap, line, f"+{stamp}")

    def _show_summary(self) -> None:
        """The summary line: what the picture shows, and that it is frozen when paused."""
        summary = self.query_one("#locks-summary", Static)
        if self.paused:
            summary.update(Content.assemble(("paused", "bold reverse"), " · ", self._summary))
        else:
            summary.update(self._summary)
        summary.set_class(self.paused, "-paused")
        for header in self.query(StudioHeader):
            header.set_title("locks · paused" if self.paused else "locks")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`p` pauses when live and resumes when paused (the footer shows the one that applies)."""
        if action == "pause":
            return parameters[0] is not self.paused
        return True

    def action_pause(self, pause: bool) -> None:
        """Freeze the picture, or let it follow the monitor again (which keeps polling)."""
        self.paused = pause
        self._show_summary()
        self.refresh_bindings()

    def action_back(self) -> None:
        """Back to the studio."""
        self.app.pop_screen()
