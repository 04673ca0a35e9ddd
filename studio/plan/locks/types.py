"""Whether ALTER COLUMN ... TYPE rewrites the table, from the old and new format_type() spellings.

PostgreSQL skips the rewrite when the conversion is binary-coercible
(varchar -> text) or when a length/precision support function proves the new
typmod accepts every old value unchanged (varchar(n) -> varchar(m >= n),
numeric(p,s) -> numeric(q >= p, s), timestamp(p) -> timestamp(q >= p)).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TYPE = re.compile(
    r"^(?P<base>.*?)(?:\((?P<mods>[0-9, ]*)\))?(?P<tz> with(?:out)? time zone)?(?P<arr>(?:\[\])*)$"
)

_TEXTUAL = {"character varying", "text"}
_LENGTH_TYPES = {"character varying", "bit varying"}
_PRECISION_TYPES = {
    "timestamp without time zone",
    "timestamp with time zone",
    "time without time zone",
    "time with time zone",
    "interval",
}
_BINARY_COERCIBLE = {("cidr", "inet"), ("text", "character varying"), ("character varying", "text")}


@dataclass(frozen=True, slots=True)
class TypeSpelling:
    """A format_type() spelling split: base name, typmods, array dimensions."""

    base: str
    mods: tuple[int, ...]
    dims: int


def split_type(text: str) -> TypeSpelling:
    """Split `timestamp(3) with time zone[]` into its parts."""
    m = _TYPE.match(" ".join(text.split()))
    assert m is not None
    mods = tuple(int(x) for x in m["mods"].replace(" ", "").split(",") if x) if m["mods"] else ()
    base = m["base"] + (m["tz"] or "")
    if base == "timestamp":
        base = "timestamp without time zone"
    elif base == "time":
        base = "time without time zone"
    return TypeSpelling(base, mods, len(m["arr"]) // 2)


def rewrites(old: str, new: str, *, timezone_utc: bool = False, version: int = 180000) -> bool:
    """Whether changing a column from `old` to `new` rewrites the table.

    With no USING, or a trivial one.
    """
    if old == new:
        return False
    a, b = split_type(old), split_type(new)
    if a.dims != b.dims or (a.dims and (a.base, a.mods) != (b.base, b.mods)):
        return True
    if a.base == b.base:
        if a.mods == b.mods or not b.mods and a.base != "character":
            return False
        if a.base in _LENGTH_TYPES or a.base in _PRECISION_TYPES:
            return not (a.mods and b.mods[0] >= a.mods[0])
        if a.base == "numeric":
            # numeric(p,s) -> numeric(q,s), q >= p: same scale, more digits
            if not a.mods:
                return True
            sa = a.mods[1] if len(a.mods) > 1 else 0
            sb = b.mods[1] if len(b.mods) > 1 else 0
            return not (sa == sb and b.mods[0] >= a.mods[0])
        return True
    if a.base in _TEXTUAL and b.base in _TEXTUAL:
        return bool(b.mods)  # to varchar(n): every value is checked and the table rewritten
    if (a.base, b.base) in _BINARY_COERCIBLE:
        return False
    if (a.base, b.base) == ("timestamp without time zone", "timestamp with time zone"):
        # PostgreSQL 12+: the values are the same instants when the session is in UTC
        return not (
            timezone_utc
            and version >= 120000
            and (not b.mods or (a.mods and b.mods[0] >= a.mods[0]))
        )
    return True
