"""Tables of steps, migrations and lock waits, styled by state, their columns fitted to the width.

A column's width comes from its content; one column (the step, the name, the
session) takes the room left and its text is cut at a word boundary when it
must be; when even that does not fit (80 columns), the columns that matter
least are left out, so what is shown is whole and no table scrolls sideways.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable

from studio.tui.fit import fit

if TYPE_CHECKING:
    from collections.abc import Sequence

    from textual import events

# the flexible column never gets less than this (its text cut at a word boundary)
MIN_FLEX = 12


@dataclass(frozen=True, slots=True)
class Col:
    """A column: its key, its header, how it is sized."""

    key: str
    label: str
    # the flexible column takes the room the others leave
    flex: bool = False
    # left out when the table is too narrow: the highest first (0: always shown)
    drop: int = 0
    # the least width (a state column wide enough for every state it will show)
    least: int = 0
    # also left out (in `drop` order) when the flexible column would be cut: what it shows
    # matters more (a migration's whole name beside its checksum)
    yields: bool = False


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
        "styled-table--paused",
        "styled-table--waiting",
        "styled-table--muted",
        "styled-table--own",
        "styled-table--queued",
        "styled-table--migration",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._cols: tuple[Col, ...] = ()
        self._rows_data: dict[str, dict[str, Text]] = {}
        self._layout: tuple[tuple[str, int], ...] = ()

    def cell(self, text: str, *styles: str) -> Text:
        """A cell's text, never parsed as markup, styled by component class names."""
        style = None
        for name in styles:
            if name and f"styled-table--{name}" in self.COMPONENT_CLASSES:
                s = self.get_component_rich_style(f"styled-table--{name}", partial=True)
                style = s if style is None else style + s
        return Text(text, style=style or "", no_wrap=True, overflow="ellipsis")

    # --- fitted columns -------------------------------------------------------------------

    def define(self, *cols: Col) -> None:
        """The table's columns (sized to the content and the width as rows come)."""
        self._cols = cols
        self._layout = ()
        self._relayout()

    def put_row(self, key: str, *cells: Text) -> None:
        """Add a row (one cell per column, in order)."""
        self._rows_data[key] = {c.key: t for c, t in zip(self._cols, cells, strict=True)}
        if not self._relayout() and self._layout:
            self.add_row(*self._shown(key), key=key)

    def put_cell(self, row: str, col: str, text: Text) -> None:
        """Change one cell (the columns are sized again if it no longer fits)."""
        if row not in self._rows_data:
            return
        self._rows_data[row][col] = text
        if not self._relayout() and col in dict(self._layout):
            self.update_cell(row, col, self._fitted(text, dict(self._layout)[col]))

    def has_row(self, key: str) -> bool:
        """Whether a row of that key was put."""
        return key in self._rows_data

    def next_key(self) -> str:
        """A key no row has yet (rows without a name of their own)."""
        return str(len(self._rows_data))

    def clear_rows(self) -> None:
        """Remove every row (the columns stay)."""
        self._rows_data.clear()
        self.clear()
        self._relayout()

    def _on_resize(self, event: events.Resize) -> None:
        super()._on_resize(event)
        self.call_after_refresh(self._relayout)

    def _widths(self, width: int) -> tuple[tuple[str, int], ...]:
        """The columns shown and their widths, for a table `width` cells wide."""
        pad = 2 * self.cell_padding
        natural = {
            c.key: max(
                c.least,
                cell_len(c.label),
                *(cell_len(row[c.key].plain) for row in self._rows_data.values() if c.key in row),
            )
            for c in self._cols
        }
        labels = {c.key: c.label for c in self._cols}
        shown = list(self._cols)
        while True:
            fixed = sum(natural[c.key] + pad for c in shown if not c.flex)
            flex = [c for c in shown if c.flex]
            room = width - fixed - pad * len(flex)
            droppable = [c for c in shown if c.drop]
            if (room >= MIN_FLEX * len(flex) and (flex or room >= 0)) or not droppable:
                break
            shown.remove(max(droppable, key=lambda c: c.drop))
        while flex and room < sum(natural[c.key] for c in flex):
            yielding = [c for c in shown if c.yields and c.drop]
            if not yielding:
                break
            gone = max(yielding, key=lambda c: c.drop)
            shown.remove(gone)
            room += natural[gone.key] + pad
        widths = {c.key: natural[c.key] for c in shown if not c.flex}
        # still too wide: the widest other columns give room too (cut at a word boundary)
        over = MIN_FLEX * len(flex) - room if flex else -room
        while over > 0:
            widest = max(widths, key=lambda k: widths[k], default=None)
            floor = min(natural[widest], max(cell_len(labels[widest]), MIN_FLEX)) if widest else 0
            if widest is None or widths[widest] <= floor:
                break
            widths[widest] -= 1
            over -= 1
        freed = sum(natural[k] - w for k, w in widths.items())
        each = max(MIN_FLEX, (room + freed) // len(flex)) if flex else 0
        return tuple((c.key, each if c.flex else widths[c.key]) for c in shown)

    def _relayout(self) -> bool:
        """Size the columns for the width and content now; True when the table was rebuilt."""
        width = self.scrollable_content_region.width
        if not self._cols or width <= 0:
            return False
        layout = self._widths(width)
        if layout == self._layout:
            return False
        self._layout = layout
        cursor = self.cursor_row
        self.clear(columns=True)
        labels = {c.key: c.label for c in self._cols}
        for key, w in layout:
            self.add_column(labels[key], key=key, width=w)
        for key in self._rows_data:
            self.add_row(*self._shown(key), key=key)
        if 0 <= cursor < self.row_count:
            self.move_cursor(row=cursor, animate=False)
        return True

    def _shown(self, key: str) -> list[Text]:
        row = self._rows_data[key]
        return [self._fitted(row.get(col, Text("")), w) for col, w in self._layout]

    @staticmethod
    def _fitted(text: Text, width: int) -> Text:
        """The cell cut at a word boundary when it does not fit its column."""
        if text.cell_len <= width:
            return text
        return Text(fit(text.plain, width), style=text.style, no_wrap=True, overflow="ellipsis")

    def rows_text(self) -> Sequence[str]:
        """Each row as the table holds it (whole, before fitting), for tests and logs."""
        return [" ".join(t.plain for t in row.values()) for row in self._rows_data.values()]
