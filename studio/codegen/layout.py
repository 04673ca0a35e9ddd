"""Python source laid out the way black would: calls flat when they fit, one argument a line else.

The renderer builds each statement as a tree of `Call`s and `Kw`s over
strings of Python, and `stmt` lays it out within `WIDTH` columns; `py_str`
and `sql_str` write the string literals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

WIDTH = 88
INDENT = "    "


@dataclass(slots=True)
class Call:
    """`func(args)`, or with other brackets (`{...}` for a dict, `(...)` with no func a tuple)."""

    func: str
    args: list[Node] = field(default_factory=list)
    opener: str = "("
    closer: str = ")"
    # a one-element tuple needs its trailing comma even when flat
    tuple_: bool = False


@dataclass(slots=True)
class Kw:
    """`name=value` (or `name: value` in a dict, with `sep`)."""

    name: str
    value: Node
    sep: str = "="


Node = str | Call | Kw


def flat(node: Node) -> str:
    """`node` on one line."""
    if isinstance(node, str):
        return node
    if isinstance(node, Kw):
        return f"{node.name}{node.sep}{flat(node.value)}"
    inner = ", ".join(flat(a) for a in node.args)
    if node.tuple_ and len(node.args) == 1:
        inner += ","
    return f"{node.func}{node.opener}{inner}{node.closer}"


def fmt(node: Node, indent: int, used: int, tail: int) -> str:
    """`node` placed after `used` characters of a line indented by `indent`, `tail` after it."""
    one_line = flat(node)
    if isinstance(node, str) or indent + used + len(one_line) + tail <= WIDTH:
        return one_line
    if isinstance(node, Kw):
        head = f"{node.name}{node.sep}"
        return head + fmt(node.value, indent, used + len(head), tail)
    pad = " " * (indent + 4)
    lines = [f"{node.func}{node.opener}"]
    for arg in node.args:
        lines.append(pad + fmt(arg, indent + 4, 0, 1) + ",")
    lines.append(" " * indent + node.closer)
    return "\n".join(lines)


def stmt(indent: int, head: str, node: Node) -> str:
    """A statement `head` + `node` (`x = `, `Call(...)`), indented by `indent`."""
    return " " * indent + head + fmt(node, indent, len(head), 0)


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def py_str(value: str) -> str:
    """A Python string literal, quoted as black would (double quotes unless that escapes more)."""
    quote = "'" if value.count('"') > value.count("'") else '"'
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch == quote:
            out.append("\\" + ch)
        elif not ch.isprintable():
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return quote + "".join(out) + quote


# SQLAlchemy's text() reads `:name` as a bind parameter; a backslash escapes it.
_BIND = re.compile(r"(?<![:\w\\]):(?=\w)")


def sql_str(value: str) -> str:
    """A Python literal of SQL text handed to text() (or a construct that wraps it)."""
    return py_str(_BIND.sub(r"\\:", value))


def text_call(value: str) -> Call:
    """`text("<SQL>")`."""
    return Call("text", [sql_str(value)])
