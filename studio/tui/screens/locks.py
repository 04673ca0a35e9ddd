"""The locks screen: the lock monitor on its own, like `top` for lock waits."""

from __future__ import annotations

import contextlib
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Footer, Static

from studio.run import monitor
from studio.tui.messages import LocksSampled
from studio.tui.screens.base import StudioScreen
from studio.tui.widgets.header import StudioHeader
from studio.tui.widgets.lock_tail import LockLog, LockTable, describe_snapshot
from studio.words import counted


class LocksScreen(StudioScreen):
    """Every lock wait on the target, chain by chain, refreshed several times a second."""

    AUTO_FOCUS = "#locks-table"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "pause", "Pause"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__(id="locks")
        self.paused = False
        self.samples = 0
        self._opened = 0.0

    def compose(self) -> ComposeResult:
        yield StudioHeader("locks")
        yield Static(Content("Connecting the lock monitor…"), id="locks-summary")
        yield LockTable(id="locks-table")
        yield Static(Content("What changed"), id="locks-log-title")
        yield LockLog(id="locks-log")
        yield Footer()

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
        summary.update(
            Content.assemble(
                (f"{len(snap.waits)} waiting", "bold"),
                f" in {counted(chains, 'chain')}" if chains else "",
                f" · deepest {counted(max((c.depth for c in snap.chains), default=0), 'level')}"
                if chains
                else "",
                f" · polling every {opts.monitor_interval:g} s",
            )
        )
        summary.set_class(bool(snap.waits), "-waits")
        summary.set_class(snap.gap, "-gap")
        stamp = opts.duration(opts.clock() - self._opened) if not opts.snapshot else "··"
        self.query_one("#locks-log", LockLog).record(snap, line, f"+{stamp}")

    def action_pause(self) -> None:
        """Freeze the picture (the monitor keeps polling)."""
        self.paused = not self.paused
        self.notify("paused" if self.paused else "live", timeout=1.5)

    def action_back(self) -> None:
        """Back to the studio."""
        self.app.pop_screen()
