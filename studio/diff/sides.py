"""A difference said by the side that has it: `column public.t.c: in the database, not in ...`.

A change of the diff says what turns one side into the other (`add column
public.tags.color`); said to someone comparing two sides (drift, above all),
it does not say which side has the column. A change that adds names what the
`new` side has; one that drops, what only the `old` side has; any other, what
the `new` side has that the `old` one does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.model.changes import Change

_ADDS = ("add ", "create ")
_DROPS = ("drop ", "remove ")


def sided(change: Change, *, new: str, old: str) -> str:
    """`change` as a difference between the `new` side (where it leads) and the `old` one."""
    text = change.describe()
    for verb in _ADDS:
        if text.startswith(verb):
            return f"{text.removeprefix(verb)}: in {new}, not in {old}"
    for verb in _DROPS:
        if text.startswith(verb):
            return f"{text.removeprefix(verb)}: in {old}, not in {new}"
    return f"{text}: in {new}, not in {old}"
