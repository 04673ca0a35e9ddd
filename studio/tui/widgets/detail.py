"""The detail panel: an object's definition on each side, and the changes that concern it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.highlight import highlight
from textual.widgets import Static

from studio.tui.keys import shown

if TYPE_CHECKING:
    from studio.diff import RenameCandidate
    from studio.model.changes import Change
    from studio.tui.objects import Node


def sql_content(sql: str) -> Content:
    """Read-only SQL, highlighted with the theme's colours (never parsed as markup)."""
    return highlight(sql, language="sql")


class DetailPanel(VerticalScroll):
    """Declared and live definitions side by side (stacked when narrow), then the changes."""

    can_focus = True

    def compose(self) -> ComposeResult:
        yield Static(Content("Select an object to see its definitions."), id="detail-title")
        with Horizontal(id="detail-sides"):
            with Vertical(classes="detail-side"):
                yield Static(Content("Declared"), classes="detail-heading")
                yield Static(Content(""), id="detail-declared", classes="detail-sql")
            with Vertical(classes="detail-side"):
                yield Static(Content("Live"), classes="detail-heading")
                yield Static(Content(""), id="detail-live", classes="detail-sql")
        yield Static(Content("Changes"), id="detail-changes-heading", classes="detail-heading")
        yield Static(Content(""), id="detail-changes")

    def show_object(
        self,
        node: Node,
        declared: str | None,
        live: str | None,
        changes: list[Change],
        candidate: RenameCandidate | None = None,
    ) -> None:
        """Show one object: its SQL on both sides and the changes that concern it."""
        title = Content.assemble(
            (f"{node.status.symbol} {node.status.value}", f"$text-{_tone(node.status.value)}"),
            "  ",
            (node.qualified or node.name, "bold"),
            f"  {node.kind}",
        )
        self.query_one("#detail-title", Static).update(title)
        self._side("#detail-declared", declared, "not in the declared schema")
        self._side("#detail-live", live, "not in the live database")
        self._changes(changes, candidate)

    def show_change(self, change: Change, index: int) -> None:
        """Show one change of the diff: what it does and its SQL."""
        self.query_one("#detail-title", Static).update(
            Content.assemble((f"change {index + 1}", "bold"), f"  {change.describe()}")
        )
        self._changes([change], None)

    def show_candidate(
        self, candidate: RenameCandidate, declared: str | None, live: str | None
    ) -> None:
        """Show a rename candidate: both objects, and how to accept it."""
        self.query_one("#detail-title", Static).update(
            Content.assemble(
                ("? possible rename", "$text-secondary"),
                f"  {candidate.old} → {candidate.new}",
            )
        )
        self._side("#detail-declared", declared, "")
        self._side("#detail-live", live, "")
        self._changes([], candidate)

    def _side(self, selector: str, sql: str | None, missing: str) -> None:
        widget = self.query_one(selector, Static)
        if sql is None:
            widget.update(Content(f"— {missing}" if missing else "—"))
            widget.add_class("-missing")
        else:
            widget.update(sql_content(sql))
            widget.remove_class("-missing")

    def _changes(self, changes: list[Change], candidate: RenameCandidate | None) -> None:
        parts: list[Content] = []
        if candidate is not None:
            parts.append(
                Content.assemble(
                    ("? ", "$text-secondary"),
                    f"{candidate.kind} {candidate.old} may be {candidate.new} renamed — press ",
                    (shown("accept_rename"), "bold"),
                    " to accept it as a rename",
                )
            )
        for change in changes:
            mark = "!" if change.destructive else "•"
            parts.append(Content.assemble((f"{mark} ", "bold"), change.describe()))
            sql = "\n".join(s.rstrip() + ";" for s in change.sql())
            parts.append(sql_content(sql))
        if not parts:
            parts.append(Content("No change concerns this object."))
        self.query_one("#detail-changes", Static).update(Content("\n").join(parts))


def _tone(status: str) -> str:
    return {
        "added": "success",
        "removed": "error",
        "changed": "warning",
        "rename": "secondary",
    }.get(status, "muted")
