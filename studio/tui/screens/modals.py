"""Small modal screens: an error, a name to ask for, a choice, a file to read."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from studio.tui.widgets.detail import sql_content

if TYPE_CHECKING:
    from collections.abc import Sequence


class ErrorScreen(ModalScreen[None]):
    """An error that leaves the screen without what it needs: message, hint, dismiss."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "dismiss", "Close"),
    ]

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(classes="modal")
        self.message = message
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box -error"):
            yield Static(Content("Error"), classes="modal-title")
            yield Static(Content(self.message), id="error-message")
            if self.hint:
                yield Static(Content(f"hint: {self.hint}"), id="error-hint")
        yield Footer()


class NameScreen(ModalScreen[str | None]):
    """Ask for a migration's name; enter confirms, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str, value: str = "") -> None:
        super().__init__(classes="modal")
        self.prompt = prompt
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(Content(self.prompt), classes="modal-title")
            yield Input(self.value, placeholder="e.g. order status enum", id="name-input")
            yield Static(Content("enter to confirm · escape to cancel"), classes="modal-help")
        yield Footer()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        """Close without a name."""
        self.dismiss(None)


class ChoiceScreen(ModalScreen[int | None]):
    """Pick one of a few options (e.g. which rename candidate to accept).

    `detail`, when given, is shown under the prompt (scrolled when long): what
    the choice is about. The first option is the one highlighted: a question
    whose safe answer is no lists "No" first.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    # the answers, not the detail above them: enter picks the highlighted one at once
    AUTO_FOCUS = "OptionList"

    def __init__(self, prompt: str, options: Sequence[str], detail: Content | None = None) -> None:
        super().__init__(classes="modal")
        self.prompt = prompt
        self.options = list(options)
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(Content(self.prompt), classes="modal-title")
            if self.detail is not None:
                with VerticalScroll(classes="modal-detail"):
                    yield Static(self.detail)
            yield OptionList(
                *[Option(Content(text), id=str(i)) for i, text in enumerate(self.options)]
            )
        yield Footer()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)


class SqlScreen(ModalScreen[None]):
    """A migration file (and its down file), highlighted, read-only."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, title: str, up: str, down: str | None) -> None:
        super().__init__(classes="modal")
        self.title_text = title
        self.up = up
        self.down = down

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box -wide"):
            yield Static(Content(self.title_text), classes="modal-title")
            with VerticalScroll(id="sql-scroll"):
                yield Static(sql_content(self.up), classes="file-sql")
                if self.down is not None:
                    yield Static(Content("down file"), classes="detail-heading")
                    yield Static(sql_content(self.down), classes="file-sql")
        yield Footer()
