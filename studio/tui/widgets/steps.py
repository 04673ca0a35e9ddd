"""Tables of steps: the review's plan and the apply screen's migrations, styled by state."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.widgets import DataTable


class StyledTable(DataTable[Text]):
    """A row-cursor table whose cells are styled by named component classes (see studio.tcss)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = DataTable.COMPONENT_CLASSES | {
        "styled-table--approved",
        "styled-table--skipped",
        "styled-table--pending",
        "styled-table--danger",
        "styled-table--warning",
        "styled-table--info",
        "styled-table--running",
        "styled-table--done",
        "styled-table--failed",
        "styled-table--retried",
        "styled-table--retry",
        "styled-table--waiting",
        "styled-table--muted",
        "styled-table--own",
        "styled-table--queued",
        "styled-table--migration",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)

    def cell(self, text: str, *styles: str) -> Text:
        """A cell's text, never parsed as markup, styled by component class names."""
        style = None
        for name in styles:
            if name and f"styled-table--{name}" in self.COMPONENT_CLASSES:
                s = self.get_component_rich_style(f"styled-table--{name}", partial=True)
                style = s if style is None else style + s
        return Text(text, style=style or "", no_wrap=True, overflow="ellipsis")
