"""The studio: a Textual app over the core (declared | live | diff, review, apply, history, locks).

Importing this package does not import Textual; `run()` does, so the CLI
pays for the studio only when it opens it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.tui.options import StudioOptions

if TYPE_CHECKING:
    from studio.config import Settings
    from studio.demo.workspace import Demo


def run(settings: Settings, *, demo: bool = False, demo_note: str = "") -> None:
    """Open the studio on the target of `settings` and return when the user quits.

    `demo` shows a banner saying this is the embedded demo database;
    `demo_note` is a line shown in it (for example how to reopen the demo).

    Raises:
        BaseException: the error of the last error dialog the studio showed, once it is
            closed: the CLI prints it as one line and exits 1, as after any command.
    """
    from studio.tui.app import StudioApp  # deferred: textual, paid only when the studio opens

    app = StudioApp(StudioOptions(settings=settings, demo=demo, demo_note=demo_note))
    app.run()
    if app.failure is not None:
        raise app.failure


def open_demo(demo: Demo) -> None:
    """Open the studio on a running demo (`schema-studio demo`), with the demo banner."""
    run(
        demo.settings,
        demo=True,
        demo_note="q quits and stops it; `schema-studio demo` opens it again",
    )


def make_app(options: StudioOptions) -> object:
    """The app, not yet running (for tests, screenshots and embedding)."""
    from studio.tui.app import StudioApp  # deferred: textual, paid only when the studio opens

    return StudioApp(options)


__all__ = ["make_app", "open_demo", "run"]
