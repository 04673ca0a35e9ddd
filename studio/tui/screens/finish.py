"""The end of a review: the migration (and down) file as it will be written.

Write it, or write it and apply it at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from studio.migrations.files import slugify
from studio.tui import services
from studio.tui.keys import bind
from studio.tui.messages import MigrationsChanged
from studio.tui.review import suggested_name
from studio.tui.screens.base import StudioScreen
from studio.tui.screens.modals import NameScreen
from studio.tui.widgets.detail import sql_content
from studio.tui.widgets.footer import StudioFooter
from studio.tui.widgets.header import StudioHeader
from studio.words import counted

if TYPE_CHECKING:
    from studio.tui.review import Rendered, Review


class FinishScreen(StudioScreen):
    """The whole file before it is written: `w` writes it, `x` writes and applies it at once."""

    AUTO_FOCUS = "#file-up"

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("write"),
        bind("apply", "Write+apply"),
        Binding("tab", "focus_next", "Other file", show=False),
        bind("back"),
    ]

    def __init__(self, review: Review) -> None:
        super().__init__(id="finish")
        self.review = review
        self.name_text = suggested_name(review.approved_changes())
        self.version = ""
        self.rendered: Rendered | None = None
        self._busy = False

    def compose(self) -> ComposeResult:
        yield StudioHeader("new migration")
        yield Static(Content(""), id="finish-title")
        with Horizontal(id="finish-files"):
            with VerticalScroll(id="file-up", classes="file-pane"):
                yield Static(Content(""), id="file-up-sql", classes="file-sql")
            with VerticalScroll(id="file-down", classes="file-pane"):
                yield Static(Content(""), id="file-down-sql", classes="file-sql")
            with VerticalScroll(id="file-contract", classes="file-pane"):
                yield Static(Content(""), id="file-contract-sql", classes="file-sql")
        yield StudioFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#file-up").border_title = "migration"
        self.query_one("#file-down").border_title = "down"
        self.query_one("#file-contract").border_title = "contract"
        self.version = services.next_version(self.studio.options)
        self._show_file(self.name_text)

    def _show_file(self, name: str) -> None:
        self.rendered = self.review.render(self.version, name)
        r = self.rendered
        slug = _slug(name)
        contract = self.query_one("#file-contract")
        contract.display = r.contract_text is not None
        if r.contract_text is not None:
            self.query_one("#file-up").border_title = "expand"
            contract.border_title = f"contract: {r.contract_version}_{slug}_contract.sql"
            self.query_one("#file-contract-sql", Static).update(sql_content(r.contract_text))
            slug += "_expand"
        else:
            self.query_one("#file-up").border_title = "migration"
        self.query_one("#finish-title", Static).update(
            Content.assemble(
                ("migrations/", "$text-muted"),
                (f"{r.version}_{slug}.sql", "bold"),
                f"  ·  {counted(r.steps, 'step')}",
                "  ·  down file: " + ("yes" if r.down_text else f"none ({r.no_down})"),
                "  ·  then a contract migration" if r.contract_text else "",
            )
        )
        self.query_one("#file-up-sql", Static).update(sql_content(r.text))
        self.query_one("#file-down-sql", Static).update(
            sql_content(r.down_text) if r.down_text else Content(f"— no down file: {r.no_down}")
        )

    def action_write(self) -> None:
        """Ask for a name, then write the file (and its down file) and the sum."""
        self._ask(apply=False)

    def action_apply(self) -> None:
        """Ask for a name, write the file, then apply it at once."""
        self._ask(apply=True)

    def _ask(self, *, apply: bool) -> None:
        if self._busy:
            return

        def named(name: str | None) -> None:
            if name:
                self.name_text = name
                self._show_file(name)
                self.write(name, apply)

        self.app.push_screen(NameScreen("Name of the migration", self.name_text), named)

    @work(exclusive=True, group="write", exit_on_error=False)
    async def write(self, name: str, apply: bool) -> None:
        """Write the migration through studio.migrations.files (which updates the sum)."""
        self._busy = True
        try:
            r = self.review.render(self.version, name)
            settings = self.studio.options.settings
            if r.contract_text is not None and r.contract_version is not None:
                m, c = await services.write_phases(
                    settings,
                    r.version,
                    name,
                    r.text,
                    r.down_text,
                    r.contract_version,
                    r.contract_text,
                )
                written = f"wrote {m.path.name} and {c.path.name} (apply the contract later)"
            else:
                m = await services.write_migration(settings, r.version, name, r.text, r.down_text)
                written = f"wrote {m.path.name}" + (" and its down file" if m.down_path else "")
        finally:
            self._busy = False
        self.notify(written, markup=False)
        self.app.post_message(MigrationsChanged())
        self.studio.close_review()
        if apply:
            self.studio.open_apply(start=True)

    def action_back(self) -> None:
        """Back to the review."""
        self.app.pop_screen()


def _slug(name: str) -> str:
    try:
        return slugify(name)
    except Exception:  # noqa: BLE001
        return "?"
