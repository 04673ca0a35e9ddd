"""What every studio screen shares: the header, and the one place worker failures surface."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import events, on
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from studio.errors import StudioError
from studio.tui.widgets.header import StudioHeader

if TYPE_CHECKING:
    from studio.tui.state import Studio

# under these sizes (an 80x24 terminal) the screens tighten their layout and their words
NARROW = 100
SHORT = 30


def describe_error(error: BaseException) -> tuple[str, str]:
    """A one-line message and a hint for any error a worker raised."""
    if isinstance(error, StudioError):
        return error.message.splitlines()[0] if error.message else type(error).__name__, error.hint
    first = str(error).splitlines()[0] if str(error) else ""
    return (
        f"internal error: {type(error).__name__}{': ' + first if first else ''}",
        "this is a bug in schema-studio; rerun with STUDIO_DEBUG=1 for the traceback",
    )


class StudioScreen(Screen[None]):
    """A screen of the studio: shows the header and surfaces its workers' failures."""

    # worker groups without whose result the screen has nothing to show: a modal, not a toast
    ESSENTIAL: ClassVar[frozenset[str]] = frozenset()

    @property
    def studio(self) -> Studio:
        """The app, as screens see it (its shared state and routes)."""
        return cast("Studio", self.app)

    def on_mount(self) -> None:
        """Draw the header from what the app knows."""
        self.refresh_header()

    @on(events.Resize)
    def _fit_to_size(self, event: events.Resize) -> None:
        """`-narrow` under 100 columns, `-short` under 30 lines: studio.tcss tightens the layout."""
        self.set_class(event.size.width < NARROW, "-narrow")
        self.set_class(event.size.height < SHORT, "-short")

    def refresh_header(self) -> None:
        """Redraw this screen's header (the app calls it when what it shows changes)."""
        for header in self.query(StudioHeader):
            app = self.studio
            header.show(
                app.options,
                app.overview,
                app.server_version,
                app.drift_report,
                app.drift_error,
                (app.applying,) if app.applying else app.drift_running,
            )

    def has_data(self) -> bool:
        """Whether the screen already shows something (a failed refresh is then recoverable)."""
        return True

    def worker_failed(self, group: str, error: BaseException) -> None:
        """Hook: put the screen back in a usable state after a worker of `group` failed."""

    @on(Worker.StateChanged)
    def _surface_failure(self, event: Worker.StateChanged) -> None:
        """The one handler of worker failures: a notification if recoverable, else a modal."""
        if event.state is not WorkerState.ERROR:
            return
        worker = event.worker
        error = worker.error
        assert error is not None
        fatal = not isinstance(error, StudioError) or (
            worker.group in self.ESSENTIAL and not self.has_data()
        )
        self.worker_failed(worker.group, error)
        self.studio.show_error(error, fatal=fatal)
