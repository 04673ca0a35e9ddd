"""What the two reviews of a migration share: its steps beside the one under the cursor.

The review of a plan (`g`, `ReviewScreen`) and of a pending migration file
(`PendingScreen`) lay out the same widgets: a banner, the steps' table (a
mark, the number, the worst hazard, the step), the step's title, SQL and
facts, and a summary bar. Each screen says what its marks are, what the
title reads while it loads and after a failed load, and draws the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Static

from studio.tui.screens.base import StudioScreen
from studio.tui.widgets.footer import StudioFooter
from studio.tui.widgets.header import StudioHeader
from studio.tui.widgets.steps import Col, StyledTable

if TYPE_CHECKING:
    from textual.app import ComposeResult


class StepReviewScreen(StudioScreen):
    """A migration's steps in a table, the step under the cursor beside it; loads on mount."""

    AUTO_FOCUS = "#steps"
    # the table's first column: what was decided of each step, or whether it is done
    MARK: ClassVar[Col]
    # the step's title once loading failed
    NO_DATA: ClassVar[str]

    def loading_title(self) -> str:
        """The step's title while the steps load."""
        raise NotImplementedError

    def load(self) -> object:
        """Start the worker that reads the steps (it posts the message that draws them)."""
        raise NotImplementedError

    def _show_step(self) -> None:
        """Draw the step under the cursor."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        yield StudioHeader("review")
        yield Static(Content(""), id="review-banner")
        with Horizontal(id="review-body"):
            yield StyledTable(id="steps")
            with VerticalScroll(id="step-detail"):
                yield Static(Content(self.loading_title()), id="step-title")
                yield Static(Content(""), id="step-sql")
                yield Static(Content(""), id="step-facts")
        yield Static(Content(""), id="summary-bar")
        yield StudioFooter()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#steps", StyledTable)
        table.define(self.MARK, Col("n", "#"), Col("hazard", ""), Col("step", "step", flex=True))
        table.loading = True
        self.load()

    def worker_failed(self, group: str, error: BaseException) -> None:
        self.query_one("#steps", StyledTable).loading = False
        if not self.has_data():
            self.query_one("#step-title", Static).update(Content(self.NO_DATA))

    @property
    def cursor(self) -> int:
        """The index of the step under the cursor."""
        return max(0, self.query_one("#steps", StyledTable).cursor_row)

    @on(DataTable.RowHighlighted, "#steps")
    def _row_highlighted(self) -> None:
        self._show_step()

    def action_next(self) -> None:
        """The next step."""
        self.query_one("#steps", StyledTable).action_cursor_down()

    def action_previous(self) -> None:
        """The previous step."""
        self.query_one("#steps", StyledTable).action_cursor_up()
