"""A migration's name from its changes, when none is given: `add_orders_status_and_2_more`.

The first change names it, by its verb and its object (the schema left out),
and the count says how many follow; two changes that fit are both named. The
name is kept under `LIMIT` characters by whole words (`_`-separated), never
cut inside one.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from studio.model.changes import Change

LIMIT = 50
# words of a description that say what kind of object follows, not which one
_KINDS = frozenset(
    {
        "a", "as", "column", "table", "index", "unique", "foreign", "key", "primary", "check",
        "exclusion", "constraint", "enum", "type", "view", "materialized", "function",
        "procedure", "aggregate", "sequence", "schema", "extension", "domain", "trigger",
        "policy", "partition", "of", "on", "to", "from", "for", "only", "concurrently",
    }
)  # fmt: skip
# words of a description that say what about the object changes: kept in the name
_ASPECTS = frozenset(
    {
        "not", "null", "default", "identity", "expression", "generation", "compression",
        "storage", "options", "value", "comment", "owner", "privileges",
    }
)  # fmt: skip
_NAME = re.compile(r'^"?[A-Za-z_][\w$]*"?(?:\."?[\w$]+"?)*$')


def name_from(changes: Sequence[Change], limit: int = LIMIT) -> str:
    """A short, whole-word name for a migration of `changes` (at least one)."""
    first = _words(changes[0])
    if len(changes) == 1:
        return _fit(first, [], limit)
    if len(changes) == 2:
        both = [*first, "and", *_words(changes[1])]
        if len("_".join(both)) <= limit:
            return "_".join(both)
    return _fit(first, ["and", str(len(changes) - 1), "more"], limit)


def _words(change: Change) -> list[str]:
    """`add column public.orders.status text` -> add, orders, status."""
    verb, *rest = change.describe().split()
    words = [verb]
    for token in rest:
        bare = token.rstrip(":,")
        if bare in _ASPECTS:
            words.append(bare)
        elif bare in _KINDS:
            continue
        elif _NAME.match(bare):
            parts = [p.strip('"') for p in bare.split(".")]
            words += parts[1:] if len(parts) > 1 else parts  # the schema left out
            break
    return [w for word in words for w in _slug_words(word)]


def _slug_words(text: str) -> list[str]:
    return [w for w in re.sub(r"[^a-z0-9]+", "_", text.lower()).split("_") if w]


def _fit(words: list[str], tail: list[str], limit: int) -> str:
    """`words` then `tail`, words dropped from the end of `words` (keeping two) until it fits."""
    keep = len(words)
    while keep > 2 and len("_".join(words[:keep] + tail)) > limit:
        keep -= 1
    return "_".join(words[:keep] + tail)
