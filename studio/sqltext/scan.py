"""Quotes and parentheses in SQL text PostgreSQL printed (pg_get_indexdef, pg_get_constraintdef).

Such text is regular: strings are `'...'` with `''` inside, identifiers
`"..."` with `""` inside, and there is no comment or dollar quote, so a
quote character opens or closes a quote and a parenthesis outside quotes
nests. Cutting it at its top-level commas or keywords needs no lexer, and
introspection does it for every index of a schema: a regex skips the
characters that matter to none of this.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


@functools.cache
def _marks(mark: str) -> re.Pattern[str]:
    """A quoted run (to the text's end when unterminated), a parenthesis, or `mark`."""
    quoted = r"""'[^']*(?:'|\Z)|"[^"]*(?:"|\Z)"""
    return re.compile(quoted + "|[()]" + (f"|{re.escape(mark)}" if mark else ""))


def _outside_quotes(
    text: str, start: int = 0, mark: str = ""
) -> Iterator[tuple[re.Match[str], int]]:
    """Each `(`, `)` and `mark` of `text` from `start` outside quotes, with its depth.

    The depth is the number of parentheses open around it: before a `(`,
    after a `)`. A doubled quote inside a quoted run closes and reopens it,
    which comes to the same.
    """
    depth = 0
    for m in _marks(mark).finditer(text, start):
        ch = m[0][0]
        if ch == "(":
            yield m, depth
            depth += 1
        elif ch == ")":
            depth -= 1
            yield m, depth
        elif ch not in "'\"":
            yield m, depth


def _unbalanced(text: str) -> ValueError:
    return ValueError(f"unbalanced parentheses in {text!r}")


def paren_end(text: str, start: int) -> int:
    """The index just past the parenthesis that closes the one at `text[start]`."""
    for m, depth in _outside_quotes(text, start):
        if depth == 0 and m[0] == ")":
            return m.end()
    raise _unbalanced(text)


def paren_items(text: str, start: int) -> tuple[tuple[str, ...], int]:
    """The items of the first parenthesized list at or after `text[start]`, and its end."""
    items: list[str] = []
    item_start = start
    for m, depth in _outside_quotes(text, start, ","):
        ch = m[0]
        if ch == "(" and depth == 0:
            item_start = m.end()
        elif ch == ")" and depth == 0:
            items.append(text[item_start : m.start()].strip())
            return tuple(items), m.end()
        elif ch == "," and depth == 1:
            items.append(text[item_start : m.start()].strip())
            item_start = m.end()
    raise _unbalanced(text)


def split_top(text: str, sep: str = ",") -> list[str]:
    """`text` split at `sep` outside quotes and parentheses, each part stripped."""
    parts: list[str] = []
    start = 0
    for m, depth in _outside_quotes(text, 0, sep):
        if depth == 0 and m[0] == sep:
            parts.append(text[start : m.start()].strip())
            start = m.end()
    parts.append(text[start:].strip())
    return parts


def find_top(text: str, needle: str) -> int:
    """The index of `needle` in `text` outside quotes and parentheses, or -1."""
    for m, depth in _outside_quotes(text, 0, needle):
        if depth == 0 and m[0] == needle:
            return m.start()
    return -1
