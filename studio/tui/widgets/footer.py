"""The footer every studio screen shows: its keys, compact, the palette's key when there is room."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual import events

# below this width the footer leaves out `^p palette` so that every key of the screen shows
PALETTE_HINT_WIDTH = 100


class StudioFooter(Footer):
    """Textual's footer; on a narrow terminal compact and without the palette's hint."""

    def on_resize(self, event: events.Resize) -> None:
        """At 80 columns every key of the screen is worth more than spacing and the hint."""
        wide = event.size.width >= PALETTE_HINT_WIDTH
        self.compact = not wide
        self.show_command_palette = wide
