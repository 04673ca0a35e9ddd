"""The header every screen shows: target (masked), server, migrations, drift; the demo banner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Static

from studio.config import mask_dsn

if TYPE_CHECKING:
    from textual import events

    from studio.commands.check import CheckReport
    from studio.tui.options import StudioOptions
    from studio.tui.services import Overview


class StudioHeader(Vertical):
    """Target database, server version, migrations applied/pending and a drift badge."""

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.screen_title = title
        self.overview: Overview | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="header-bar"):
            yield Static(Content(self.screen_title), id="header-title")
            yield Static(Content(""), id="header-target")
            yield Static(Content(""), id="header-server")
            yield Static(Content(""), id="header-migrations")
            yield Static(Content("drift …"), id="header-drift", classes="-checking")
        yield Static(Content(""), id="header-demo")

    def on_resize(self, event: events.Resize) -> None:
        """On a narrow terminal the title gives its room to the target."""
        self._draw_title()
        self._draw_migrations()

    def set_title(self, title: str) -> None:
        """Change the screen's title (a state the screen is in: `locks · paused`)."""
        self.screen_title = title
        self._draw_title()

    def _draw_title(self) -> None:
        short = self.screen_title.removeprefix("schema-")
        title = self.screen_title if self.size.width >= 100 else short
        self.query_one("#header-title", Static).update(Content(title))

    def _draw_migrations(self) -> None:
        text = _migrations(self.overview, wide=self.size.width >= 100)
        self.query_one("#header-migrations", Static).update(Content(text))

    def show(
        self,
        options: StudioOptions,
        overview: Overview | None,
        server_version: int,
        drift: CheckReport | None,
        drift_error: str | None,
        running: tuple[str, ...] = (),
    ) -> None:
        """Draw the header from what the app knows now.

        `running`: migrations being applied (`version k/n`): the database is
        between two migrations, which the drift badge must not call drift.
        """
        target = options.target_label or (overview.target if overview else _target(options))
        self.query_one("#header-target", Static).update(Content(target))
        self.query_one("#header-server", Static).update(
            Content(options.server_version(server_version) if server_version else "")
        )
        self.overview = overview
        self._draw_migrations()
        badge = self.query_one("#header-drift", Static)
        text, cls = _drift(drift, drift_error, running)
        badge.update(Content(text))
        badge.set_classes(cls)
        demo = self.query_one("#header-demo", Static)
        demo.display = options.demo
        if options.demo:
            note = f" — {options.demo_note}" if options.demo_note else ""
            demo.update(Content(f"This is the embedded demo database, not one of yours{note}"))


def _target(options: StudioOptions) -> str:
    url = options.settings.database_url(required=False)
    return mask_dsn(url) if url else "(no database)"


def _migrations(overview: Overview | None, *, wide: bool) -> str:
    if overview is None:
        return "migrations …"
    if overview.problem:
        return "migrations: unreadable"
    text = f"{overview.applied} applied · {overview.pending} pending"
    if n := overview.other_branch:
        # as `check` words it (`migrate` refuses them unless applying out of order is allowed);
        # at 80 columns in short, so the drift badge keeps its room (the history says it whole)
        text += f" · {n} added on another branch" if wide else f" ({n} branch)"
    if overview.attention:
        text += f" · {overview.attention} need a look"
    return text


def _drift(
    report: CheckReport | None, error: str | None, running: tuple[str, ...]
) -> tuple[str, str]:
    if running:
        more = f" +{len(running) - 1}" if len(running) > 1 else ""
        return f"⟳ applying {running[0]}{more}", "-applying"
    if error is not None:
        return "drift ?", "-unknown"
    if report is None:
        return "drift …", "-checking"
    if report.drift:
        return f"✗ drift {len(report.drift)}", "-drift"
    return "✓ no drift", "-ok"
