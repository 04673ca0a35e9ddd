"""The studio app: composes the screens and routes what they share (header state, errors).

Screens do their own work in workers; what several screens show (the
target's migrations, drift, the comparison and accepted renames) lives here
so a screen opened later starts from it.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import App
from textual.binding import Binding, BindingType

from studio.tui import services
from studio.tui.messages import DriftChecked, MigrationsChanged, OverviewLoaded
from studio.tui.palette import StudioCommands
from studio.tui.screens.apply import ApplyScreen
from studio.tui.screens.base import StudioScreen, describe_error
from studio.tui.screens.finish import FinishScreen
from studio.tui.screens.fleet import FleetScreen
from studio.tui.screens.history import HistoryScreen
from studio.tui.screens.locks import LocksScreen
from studio.tui.screens.modals import ErrorScreen
from studio.tui.screens.pending import PendingScreen
from studio.tui.screens.review import ReviewScreen
from studio.tui.screens.studio import MainScreen
from studio.tui.widgets.loading import StudioLoading

if TYPE_CHECKING:
    from textual.widget import Widget

    from studio.commands.check import CheckReport
    from studio.config import Settings
    from studio.tui.options import StudioOptions
    from studio.tui.services import Comparison, Overview, Sides
    from studio.tui.state import Studio


class StudioApp(App[None]):
    """schema-studio's terminal studio."""

    CSS_PATH = Path(__file__).with_name("studio.tcss")
    TITLE = "schema-studio"
    # the palette lists the studio's actions, not Textual's generic commands sorted among them
    COMMANDS = {StudioCommands}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, options: StudioOptions) -> None:
        super().__init__()
        self.options = options
        self.overview: Overview | None = None
        self.drift_report: CheckReport | None = None
        self.drift_error: str | None = None
        # migrations half-applied when drift was checked, and the studio's own run (`version k/n`)
        self.drift_running: tuple[str, ...] = ()
        self.applying: str | None = None
        self.server_version = 0
        self.sides: Sides | None = None
        self.comparison: Comparison | None = None
        # rename hints the user accepted (`old=new`), used by the comparison and the plan
        self.hints: tuple[str, ...] = ()
        # the error of the last dialog shown: the studio then exits 1, as the CLI does
        self.failure: BaseException | None = None

    def on_load(self) -> None:
        """Start reading both sides now, while Textual draws the screen that shows them.

        At 1,000 tables the main screen was mounted, and its read started, 0.07-0.1 s
        after the app was made: on a cold start the dev server's work waited that long.
        """
        self._main = MainScreen(services.start_sides(self.options.settings))

    def on_mount(self) -> None:
        """Open the main screen."""
        self.push_screen(self._main)

    def get_loading_widget(self) -> Widget:
        """What a widget shows while it loads: a loading indicator redrawn 4 times a second."""
        return StudioLoading()

    def on_unmount(self) -> None:
        """What the studio held is the collector's again."""
        gc.unfreeze()

    # --- shared state -----------------------------------------------------------------

    @on(OverviewLoaded)
    def _overview(self, message: OverviewLoaded) -> None:
        self.overview = message.overview
        if message.overview.problem:
            self.notify(message.overview.problem, severity="warning", markup=False)
        self.refresh_headers()

    @on(DriftChecked)
    def _drift(self, message: DriftChecked) -> None:
        self.drift_report = message.report
        self.drift_error = message.error
        self.drift_running = message.running
        self.refresh_headers()
        self.settle()

    @on(MigrationsChanged)
    def _migrations_changed(self) -> None:
        """A migration was written or applied: re-read the overview, drift and the live side."""
        self.comparison = None
        self.sides = None
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.load()

    def refresh_headers(self) -> None:
        """Redraw the header of every open screen."""
        for screen in self.screen_stack:
            if isinstance(screen, StudioScreen):
                screen.refresh_header()

    def settle(self) -> None:
        """What the studio holds now stays until the next read: the collector stops walking it.

        Both sides of a large schema are hundreds of thousands of objects, and Python's
        cyclic collector walked them all every few hundred keys (0.2-0.7 s each on a busy
        machine), in the middle of a key's repaint, and several times while they were
        read. Frozen, they are still freed when dropped; a cycle among them waits for
        `unsettle`.
        """
        gc.freeze()

    def unsettle(self) -> None:
        """A new read replaces what the studio held: free what the last one left behind."""
        if gc.get_freeze_count():
            gc.unfreeze()
            gc.collect()

    def set_applying(self, what: str | None) -> None:
        """Say in every header that the studio applies `what` now (None: it stopped)."""
        self.applying = what
        self.refresh_headers()

    def accept_rename(self, hint: str) -> None:
        """Remember an accepted rename; the main screen diffs again (the plan is the review's)."""
        if hint in self.hints:
            return
        self.hints = (*self.hints, hint)
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.rediff()

    # --- routing ------------------------------------------------------------------------

    def open_review(self) -> None:
        """The review screen (generate)."""
        self.push_screen(ReviewScreen())

    def close_review(self) -> None:
        """Back to the studio, past the review and its finish screen."""
        while isinstance(self.screen, (FinishScreen, ReviewScreen)):
            self.pop_screen()

    def open_apply(
        self,
        *,
        start: bool = False,
        to: str | None = None,
        settings: Settings | None = None,
        label: str | None = None,
    ) -> None:
        """The apply screen; `start` applies at once (up to `to`, when given); `settings`: a
        fleet target's instead of the studio's own."""
        self.push_screen(ApplyScreen(start=start, to=to, settings=settings, label=label))

    def open_pending(self, version: str) -> None:
        """The review of pending migration `version`."""
        self.push_screen(PendingScreen(version))

    def open_fleet(self) -> None:
        """The fleet screen."""
        self.push_screen(FleetScreen())

    def open_history(self) -> None:
        """The history screen."""
        self.push_screen(HistoryScreen())

    def open_locks(self) -> None:
        """The locks screen."""
        self.push_screen(LocksScreen())

    def show_error(self, error: BaseException, *, fatal: bool) -> None:
        """A notification for what can be recovered from, a modal otherwise."""
        message, hint = describe_error(error)
        if fatal:
            self.failure = error
            self.push_screen(ErrorScreen(message, hint))
        else:
            self.notify(
                f"{message}\nhint: {hint}" if hint else message,
                severity="error",
                timeout=8,
                markup=False,
            )


if TYPE_CHECKING:

    def _seen_by_screens(app: StudioApp) -> Studio:
        """Screens see the app as a `Studio`: mypy checks the app is one."""
        return app
