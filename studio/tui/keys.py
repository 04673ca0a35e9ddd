"""The studio's keys, one per action on every screen that has the action.

A key means one thing wherever it is bound (`m` applies on the main screen,
the apply screen, the finish screen and a pending migration's review), so
what a user learns on one screen holds on the next. Screens build their
bindings from this table; the README's key table lists it.
"""

from __future__ import annotations

from textual.binding import Binding

# action -> (key, footer label); labels are short so an 80-column footer shows every key
KEYS: dict[str, tuple[str, str]] = {
    "review": ("g", "Generate"),
    "apply": ("m", "Apply"),
    "history": ("h", "History"),
    "locks": ("l", "Locks"),
    "fleet": ("F", "Fleet"),
    "refresh": ("r", "Refresh"),
    "accept_rename": ("R", "Rename"),
    "filter": ("slash", "Filter"),
    "approve": ("a", "Approve"),
    "skip": ("s", "Skip"),
    "toggle_form": ("f", "Form"),
    "split": ("e", "Expand"),
    "approve_all": ("A", "All"),
    "next": ("j", "Next"),
    "previous": ("k", "Previous"),
    "write": ("w", "Write"),
    "contract": ("c", "Contract"),
    "abort": ("x", "Abort"),
    "open": ("enter", "Open"),
    "pause": ("p", "Pause"),
    "back": ("escape", "Back"),
}


def bind(
    action: str, label: str | None = None, *, show: bool = True, priority: bool = False
) -> Binding:
    """The binding of `action`, with its one key (`label` replaces the table's footer label)."""
    k, default = KEYS[action]
    return Binding(k, action, label or default, show=show, priority=priority)


def shown(action: str) -> str:
    """How the key of `action` is written in a sentence (`m`, `enter`, `/`)."""
    k = KEYS[action][0]
    return {"slash": "/", "escape": "esc"}.get(k, k)
