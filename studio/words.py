"""Counts in messages, with the noun agreeing: `1 step`, `2 steps`, never `1 steps` or `step(s)`.

The lowest layer: every stage that words a message may use it.
"""

from __future__ import annotations

# words whose plural the rules below do not make
_IRREGULAR = {"is": "are", "was": "were", "has": "have", "it": "they", "this": "these"}


def plural(n: int, noun: str, many: str | None = None) -> str:
    """`noun` as it agrees with `n` (`many` when its plural is not regular)."""
    if n == 1:
        return noun
    if many is not None:
        return many
    if noun in _IRREGULAR:
        return _IRREGULAR[noun]
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"  # batches, indexes
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"  # entries, queries
    return noun + "s"


def counted(n: int, noun: str, many: str | None = None) -> str:
    """`n noun`, the noun in the plural unless `n` is 1: `1 step`, `3 steps`, `0 changes`."""
    return f"{n:,} {plural(n, noun, many)}"
