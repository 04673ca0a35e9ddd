"""What a column type change costs: widening (no USING, no data at risk) or not.

Types are compared in format_type()'s spelling (`character varying(255)`,
`numeric(10,2)`, `timestamp(3) with time zone`, `integer[]`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TYPE = re.compile(
    r"^(?P<base>.*?)(?:\((?P<mods>[^()]*)\))?(?P<tz> with(?:out)? time zone)?(?P<arr>(?:\[\])*)$"
)

# integer-like types, in widening order
_INT_RANK = {"smallint": 1, "integer": 2, "bigint": 3}
_FLOAT_RANK = {"real": 1, "double precision": 2}
_TEXT_TYPES = {"character varying", "text", "character"}


@dataclass(frozen=True, slots=True)
class TypeName:
    """A format_type() spelling split into base name, modifiers and array dimensions."""

    base: str
    mods: tuple[int, ...]
    dims: int

    @property
    def element(self) -> TypeName:
        """The element type of an array type (itself otherwise)."""
        return TypeName(self.base, self.mods, 0)


def parse_type(text: str) -> TypeName:
    """Split a format_type() spelling."""
    m = _TYPE.match(text.strip())
    assert m is not None  # the pattern matches any string
    base = m["base"] + (m["tz"] or "")
    mods: tuple[int, ...] = ()
    if m["mods"]:
        try:
            mods = tuple(int(x) for x in m["mods"].split(","))
        except ValueError:  # a type whose modifier is not numeric: keep it in the name
            base = text.strip().removesuffix(m["arr"])
    return TypeName(base, mods, len(m["arr"]) // 2)


def is_widening(old: str, new: str) -> bool:
    """True when every value of `old` fits `new` unchanged and PostgreSQL needs no USING.

    varchar(n)->varchar(m>=n), varchar->text, smallint->integer->bigint,
    integer->numeric, numeric(p,s)->numeric(p',s') with room, real->double, and
    the same for arrays of them.
    """
    if old == new:
        return True
    a, b = parse_type(old), parse_type(new)
    if a.dims != b.dims:
        return False
    return _widening_element(a.element, b.element)


def _widening_element(a: TypeName, b: TypeName) -> bool:
    if a.base in _TEXT_TYPES and b.base in ("character varying", "text"):
        if a.base == "character":  # char(n) -> varchar/text strips trailing blanks
            return False
        if b.base == "text" or not b.mods:
            return True
        return bool(a.mods) and b.mods[0] >= a.mods[0]
    if a.base in _INT_RANK:
        if b.base in _INT_RANK:
            return _INT_RANK[b.base] >= _INT_RANK[a.base]
        if b.base == "numeric":
            digits = {"smallint": 5, "integer": 10, "bigint": 19}[a.base]
            return not b.mods or b.mods[0] - (b.mods[1] if len(b.mods) > 1 else 0) >= digits
        return b.base == "double precision" and a.base != "bigint"
    if a.base == "numeric" and b.base == "numeric":
        if not b.mods:
            return True
        if not a.mods:
            return False
        ap, as_ = a.mods[0], a.mods[1] if len(a.mods) > 1 else 0
        bp, bs = b.mods[0], b.mods[1] if len(b.mods) > 1 else 0
        return bs >= as_ and bp - bs >= ap - as_
    if a.base in _FLOAT_RANK and b.base in _FLOAT_RANK:
        return _FLOAT_RANK[b.base] >= _FLOAT_RANK[a.base]
    if a.base == b.base and a.base in (
        "bit varying",
        "time without time zone",
        "time with time zone",
        "timestamp without time zone",
        "timestamp with time zone",
        "interval",
    ):
        # a larger length or fractional-second precision, or none (unbounded)
        return not b.mods or (bool(a.mods) and b.mods[0] >= a.mods[0])
    return False


def is_lossless(old: str, new: str) -> bool:
    """True when no value can be lost or refused: widening, or anything to unbounded text."""
    if is_widening(old, new):
        return True
    a, b = parse_type(old), parse_type(new)
    return a.dims == b.dims and b.base in ("text", "character varying") and not b.mods


_STRINGS = {"text", "character varying", "character", '"char"', "name"}
_CAST_FAMILIES = (
    {"smallint", "integer", "bigint", "numeric", "real", "double precision"},
    {"date", "timestamp without time zone", "timestamp with time zone"},
    {"time without time zone", "time with time zone", "interval"},
    {"json", "jsonb"},
    {"inet", "cidr"},
    {"bit", "bit varying"},
    {"integer", "boolean"},
)
# one-way casts: jsonb scalars to numbers and booleans
_FROM_JSONB = {"smallint", "integer", "bigint", "numeric", "real", "double precision", "boolean"}


def has_direct_cast(old: str, new: str) -> bool:
    """True when `old::new` is a cast PostgreSQL has (directly or through a string type's I/O)."""
    a, b = parse_type(old), parse_type(new)
    if a.dims != b.dims:
        return False
    if a.base == b.base or a.base in _STRINGS or b.base in _STRINGS:
        return True
    if a.base == "jsonb" and b.base in _FROM_JSONB:
        return True
    return any(a.base in family and b.base in family for family in _CAST_FAMILIES)


def using_expression(column: str, old: str, new: str) -> str:
    """`col::new`, or `col::text::new` where no cast leads from one type to the other."""
    if has_direct_cast(old, new):
        return f"{column}::{new}"
    return f"{column}::text::{new}"
