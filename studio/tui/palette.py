"""The command palette's one provider: the studio's actions first, then Textual's few app-wide ones.

Textual's own provider sorts every command by name and lists the focused
widget's bindings too ("Cursor Down", "Scroll Home"...), so the studio's
actions drowned among them. This one lists the bindings of the current
screen (and the app's), in the order the screen declares them, each with its
key; the focused widget's cursor keys are left out; Textual's app-wide
commands (theme, keys, screenshot) come last.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.app import App
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# Textual's commands of no use here: quitting has its key, and the palette opened itself
_LEFT_OUT = frozenset({"quit", "command_palette"})
# a generic command's fuzzy score counts this much of a studio action's (they rank after)
_GENERIC = 0.5


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    """One line of the palette: a title, its help (the key), what it runs."""

    title: str
    help: str
    run: Callable[[], object]
    studio: bool = True


def studio_commands(app: App[object], screen: Screen[object]) -> Iterator[PaletteCommand]:
    """The current screen's and the app's keyed actions, in declaration order, then app-wide."""
    seen: set[str] = set()
    shown: list[PaletteCommand] = []
    hidden: list[PaletteCommand] = []
    for active in screen.active_bindings.values():
        binding = active.binding
        if not isinstance(active.node, (Screen, App)) or not binding.description:
            continue  # a widget's own keys (cursor moves): not the studio's actions
        if not active.enabled or binding.action in seen or binding.action in _LEFT_OUT:
            continue
        seen.add(binding.action)
        command = PaletteCommand(
            binding.description,
            f"key: {app.get_key_display(binding)}",
            partial(app.run_action, binding.action, active.node),
        )
        (shown if binding.show else hidden).append(command)
    yield from shown
    yield from hidden
    for system in App.get_system_commands(app, screen):
        if system.title.lower() != "quit":
            yield PaletteCommand(system.title, system.help, system.callback, studio=False)


class StudioCommands(Provider):
    """The studio's actions for the palette (see the module's docstring)."""

    def _commands(self) -> list[PaletteCommand]:
        return list(studio_commands(self.app, self.screen))

    async def discover(self) -> Hits:
        """Every command, the studio's first, in order."""
        for c in self._commands():
            yield DiscoveryHit(c.title, c.run, help=c.help)

    async def search(self, query: str) -> Hits:
        """The commands matching `query`, a studio action before a generic one of equal match."""
        matcher = self.matcher(query)
        for c in self._commands():
            score = matcher.match(c.title)
            if score > 0:
                weight = 1.0 if c.studio else _GENERIC
                yield Hit(score * weight, matcher.highlight(c.title), c.run, help=c.help)
