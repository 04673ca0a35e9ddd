"""One key per action across the studio's screens, and one action per key (no database)."""

from __future__ import annotations

from textual.binding import Binding

from studio.tui.app import StudioApp
from studio.tui.keys import KEYS
from studio.tui.screens.apply import ApplyScreen
from studio.tui.screens.finish import FinishScreen
from studio.tui.screens.history import HistoryScreen
from studio.tui.screens.locks import LocksScreen
from studio.tui.screens.review import ReviewScreen
from studio.tui.screens.studio import MainScreen

SCREENS = (
    StudioApp,
    MainScreen,
    ReviewScreen,
    FinishScreen,
    ApplyScreen,
    HistoryScreen,
    LocksScreen,
)
# keys that mean "leave" or "move" on every screen, whatever the screen calls that
NAVIGATION = {"escape", "enter", "tab"}


def test_one_key_per_action_and_one_action_per_key() -> None:
    keys_of: dict[str, set[str]] = {}
    actions_of: dict[str, set[str]] = {}
    for cls in SCREENS:
        for b in cls.BINDINGS:
            assert isinstance(b, Binding)
            name = b.action.partition("(")[0]
            for k in b.key.split(","):
                keys_of.setdefault(b.action, set()).add(k)  # pane('live') and pane('diff') differ
                if k not in NAVIGATION:
                    actions_of.setdefault(k, set()).add(name)  # pause(True) and (False): one
    twice = {a: k for a, k in keys_of.items() if len(k) > 1}
    assert not twice, f"actions with more than one key: {twice}"
    shared = {k: a for k, a in actions_of.items() if len(a) > 1}
    assert not shared, f"keys meaning different actions on different screens: {shared}"
    # and the table the README's key list is written from is the one the screens use
    for action, (k, _) in KEYS.items():
        if action in keys_of:
            assert keys_of[action] == {k}, action
