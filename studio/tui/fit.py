"""Text cut to a width at a word boundary, with an ellipsis (pure, no Textual).

A label cut mid-word ("drop column status destr") reads as a different
word; cut where a word ends ("drop column status…") it reads as what it is,
shortened. A single word longer than the width (an identifier) is cut at a
`.` or `_` inside it when there is one, else where the width ends.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

ELLIPSIS = "…"
# where an identifier may be cut when no space is near: between its parts
_INNER = "._"


def fit(text: str, width: int) -> str:
    """`text` in at most `width` cells: whole, or cut at a word boundary and ended with `…`."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    room = set_cell_size(text, width - 1)
    if text[len(room) : len(room) + 1] == " ":
        cut = len(room)  # the room ends where a word does
    else:
        # the last word boundary: a space, or between a (snake_case, qualified) identifier's parts
        cut = max(room.rfind(" "), *(room.rfind(c) + 1 for c in _INNER))
        if cut < len(room) // 3:
            cut = len(room)  # one long word: cut where the room ends
    return room[:cut].rstrip(" ,;:·(-") + ELLIPSIS


__all__ = ["ELLIPSIS", "fit"]
