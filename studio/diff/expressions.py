"""Expressions as PostgreSQL prints them, compared by what they parse back to.

pg_get_constraintdef prints the stored expression of a CHECK, so two spellings
of one check (extra parentheses, CAST or ::, an IN list or = ANY) print the same.
One form does not survive a round trip, though: an IN list on a varchar column
prints as `(v)::text = ANY ((ARRAY['a'::character varying])::text[])`, which
PostgreSQL reads back as `ARRAY[('a'::character varying)::text]`. A schema made
from pg_dump's text (a Rails `structure.sql`) holds the second where the database
it was dumped from holds the first; compared in the second form, they are equal.
"""

from __future__ import annotations

import re

_ARRAY = re.compile(r"\(ARRAY\[")
# `])::type[]` after the elements: a type name, quoted or not, maybe with a modifier
_ARRAY_TYPE = re.compile(r'\]\)::((?:[^\[\]\'"(),]|"(?:[^"]|"")*"|\([0-9, ]*\))+?)\[\]')
_LITERAL_CAST = re.compile(r"'(?:[^']|'')*'::[^,]+")


def check_shape(definition: str) -> str:
    """The CHECK definition with every cast array of literals written as an array of casts."""
    out: list[str] = []
    at = 0
    while (m := _ARRAY.search(definition, at)) is not None:
        end = _closing(definition, m.end())
        tail = None if end is None else _ARRAY_TYPE.match(definition, end)
        items = _split(definition[m.end() : end]) if tail is not None else []
        if tail is None or not items or not all(_LITERAL_CAST.fullmatch(x) for x in items):
            out.append(definition[at : m.end()])
            at = m.end()
            continue
        elements = ", ".join(f"({x})::{tail[1]}" for x in items)
        out.append(f"{definition[at : m.start()]}ARRAY[{elements}]")
        at = tail.end()
    return "".join(out) + definition[at:]


def _closing(text: str, start: int) -> int | None:
    """The index of the `]` that closes the bracket opened just before `start`."""
    depth, quoted = 0, False
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "'":
            quoted = not quoted  # a doubled quote toggles twice
        elif quoted:
            continue
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            if depth == 0:
                return i if ch == "]" else None
            depth -= 1
    return None


def _split(body: str) -> list[str]:
    """The elements of an ARRAY[...] body, split at its own commas."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(body):
        if ch == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[start:i].strip())
            start = i + 1
    parts.append(body[start:].strip())
    return [p for p in parts if p]
