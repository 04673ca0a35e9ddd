"""What the property test draws beside its tables: sequences, a composite type and
catalog objects (a collation, a range type, text search objects, an operator, casts, a rule).

Each object kind is absent or one of a few variants; B redraws or drops them.
The tables use them (columns of the composite and range types, text columns
and composite attributes under the collation, an index over the text search
configuration, a check calling the operator, a rule on a table), so a change
of variant under a user is what the differ must order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

# --- sequences --------------------------------------------------------------------------------

_TOP = {"smallint": 32767, "integer": 2147483647, "bigint": 9223372036854775807}


@dataclass(frozen=True)
class Seq:
    """A sequence with some options given (None: PostgreSQL's default)."""

    name: str
    type: str | None = None
    increment: int = 1
    min: int | None = None
    max: int | None = None
    start: int | None = None
    cycle: bool = False
    # nextval() calls made at A (within its bounds)
    calls: int = 0
    # the table whose id column owns it
    owned: str | None = None

    def bounds(self) -> tuple[int, int]:
        """The effective MINVALUE and MAXVALUE."""
        top = _TOP[self.type or "bigint"]
        if self.increment > 0:
            return (1 if self.min is None else self.min, top if self.max is None else self.max)
        return (-top - 1 if self.min is None else self.min, -1 if self.max is None else self.max)

    def first(self) -> int:
        """The first value nextval() hands out."""
        lo, hi = self.bounds()
        return self.start if self.start is not None else lo if self.increment > 0 else hi

    def sql(self) -> list[str]:
        """CREATE SEQUENCE with the options given."""
        opts = [f"AS {self.type}"] if self.type else []
        opts.append(f"INCREMENT BY {self.increment}")
        if self.min is not None:
            opts.append(f"MINVALUE {self.min}")
        if self.max is not None:
            opts.append(f"MAXVALUE {self.max}")
        if self.start is not None:
            opts.append(f"START WITH {self.start}")
        if self.cycle:
            opts.append("CYCLE")
        return [f"CREATE SEQUENCE {self.name} {' '.join(opts)};"]


@st.composite
def sequences(draw: Any, name: str) -> Seq:
    """A sequence going up or down, within bounds its type holds, with a start inside them."""
    type_ = draw(st.sampled_from([None, "integer", "smallint", "bigint"]))
    if draw(st.integers(0, 3)):
        inc = draw(st.sampled_from([1, 1, 5]))
        lo = draw(st.sampled_from([None, 1, 10, 100]))
        hi = draw(st.sampled_from([None, 50, 200, 30000]))
    else:
        inc = draw(st.sampled_from([-1, -3]))
        lo = draw(st.sampled_from([None, -30000, -200]))
        hi = draw(st.sampled_from([None, -1, -10, -50]))
    s = Seq(name, type_, inc, lo, hi, cycle=draw(st.booleans()))
    a, b = s.bounds()
    if a >= b:
        s = replace(s, min=None, max=None)
        a, b = s.bounds()
    if draw(st.booleans()):
        s = replace(s, start=draw(st.sampled_from([a, a + 1, b - 1, b])))
    return s


def with_calls(s: Seq, calls: int) -> Seq:
    """The sequence with `calls` nextval() calls at A, as many as it can hand out."""
    lo, hi = s.bounds()
    room = (hi - s.first()) // s.increment if s.increment > 0 else (s.first() - lo) // -s.increment
    return replace(s, calls=calls if s.cycle else min(calls, room + 1))


# --- the composite type -----------------------------------------------------------------------


@dataclass(frozen=True)
class Attr:
    """An attribute of the composite type `addr`."""

    name: str
    type: str
    collate: bool = False  # COLLATE coll (text only)


ATTR_TYPES = ("integer", "bigint", "text", "numeric", "date", "character varying(20)")
ATTR_NAMES = ("a0", "a1", "a2", "a3", "a4")


def attr_value(a: Attr, i: int) -> str:
    """Row i's value of the attribute, a literal its type takes."""
    return {
        "integer": f"{i}",
        "bigint": f"{i}",
        "numeric": f"{i}.5",
        "date": f"'2024-03-0{i}'::date",
    }.get(a.type, f"'a{i}'")


def composite_value(attrs: tuple[Attr, ...], i: int) -> str:
    """A row of the composite type."""
    return f"ROW({', '.join(attr_value(a, i) for a in attrs)})::addr"


@st.composite
def attributes(draw: Any, collation: bool) -> tuple[Attr, ...]:
    names = draw(st.lists(st.sampled_from(ATTR_NAMES), min_size=1, max_size=3, unique=True))
    return tuple(draw(attribute(n, collation)) for n in names)


@st.composite
def attribute(draw: Any, name: str, collation: bool) -> Attr:
    type_ = draw(st.sampled_from(ATTR_TYPES))
    return Attr(name, type_, collation and type_ == "text" and draw(st.booleans()))


@st.composite
def altered(draw: Any, attrs: tuple[Attr, ...], collation: bool) -> tuple[Attr, ...]:
    """The attributes with one dropped, added (anywhere), re-typed or re-collated."""
    out = list(attrs)
    how = draw(st.sampled_from(["drop", "add", "retype", "collate", "redraw"]))
    free = [n for n in ATTR_NAMES if all(a.name != n for a in out)]
    if how == "drop" and len(out) > 1:
        out.pop(draw(st.integers(0, len(out) - 1)))
    elif how == "add" and free:
        out.insert(
            draw(st.integers(0, len(out))), draw(attribute(draw(st.sampled_from(free)), collation))
        )
    elif how == "retype":
        n = draw(st.integers(0, len(out) - 1))
        out[n] = draw(attribute(out[n].name, collation))
    elif how == "collate":
        n = draw(st.integers(0, len(out) - 1))
        out[n] = replace(out[n], collate=collation and out[n].type == "text" and not out[n].collate)
    elif how == "redraw":
        return draw(attributes(collation))
    return tuple(out)


# --- catalog objects --------------------------------------------------------------------------

COLLATIONS = (
    "(provider = libc, locale = 'C')",
    "(provider = libc, locale = 'POSIX')",
    "(provider = libc, lc_collate = 'C', lc_ctype = 'POSIX')",
)
# the last two over text: with the collation when there is one
RANGES = ("(SUBTYPE = float8)", "(SUBTYPE = float8, SUBTYPE_DIFF = float8mi)", "(SUBTYPE = text)")
DICTIONARIES = (
    "(TEMPLATE = pg_catalog.simple)",
    "(TEMPLATE = pg_catalog.simple, STOPWORDS = english)",
    "(TEMPLATE = pg_catalog.simple, STOPWORDS = english, ACCEPT = false)",
)
OPERATORS = (
    "(FUNCTION = int_eq, LEFTARG = integer, RIGHTARG = integer)",
    "(FUNCTION = int_eq, LEFTARG = integer, RIGHTARG = integer, COMMUTATOR = ===)",
    "(FUNCTION = int_eq, LEFTARG = integer, RIGHTARG = integer,"
    " RESTRICT = eqsel, JOIN = eqjoinsel)",
)
OPERATOR_BODIES = ("SELECT $1 = $2", "SELECT $1 IS NOT DISTINCT FROM $2")
MOOD_CASTS = ("WITH INOUT", "WITH INOUT AS ASSIGNMENT", "WITH INOUT AS IMPLICIT")
RULES = (
    "ON DELETE TO {t} DO INSTEAD NOTHING",
    "ON UPDATE TO {t} WHERE old.id < 0 DO INSTEAD NOTHING",
    "ON UPDATE TO {t} DO ALSO NOTIFY {t}_changed",
)


@dataclass(frozen=True)
class Objects:
    """The catalog objects of a schema: each absent (None) or the index of its variant."""

    collation: int | None = None
    range: int | None = None
    dictionary: int | None = None
    # 0 a copy of english, 1 a parser's mappings, 2 a copy with a mapping to the dictionary
    config: int | None = None
    # (operator variant, its function's body variant)
    operator: tuple[int, int] | None = None
    mood_cast: int | None = None
    composite: tuple[Attr, ...] | None = None
    # a cast of the composite type to text through a function (AS ASSIGNMENT when True)
    composite_cast: bool | None = None
    sequences: tuple[Seq, ...] = ()
    # (table, variant)
    rule: tuple[str, int] | None = None

    def range_sql(self) -> str:
        """The range type's definition (text under the collation when there is one)."""
        body = RANGES[self.range or 0]
        if self.range == 2 and self.collation is not None:
            body = "(SUBTYPE = text, COLLATION = coll)"
        return body

    def range_value(self, i: int) -> str:
        """Row i's value of a column of the range type."""
        return f"'[a{i},z)'" if self.range == 2 else f"'[{i},10)'"

    def types(self) -> tuple[str, ...]:
        """The column types these objects make."""
        return ("addr",) * (self.composite is not None) + ("rng",) * (self.range is not None)


def objects_sql(o: Objects) -> list[str]:
    """The objects as a user would write them, before the tables."""
    out = []
    if o.collation is not None:
        out.append(f"CREATE COLLATION coll {COLLATIONS[o.collation]};")
    if o.range is not None:
        out.append(f"CREATE TYPE rng AS RANGE {o.range_sql()};")
    if o.dictionary is not None:
        out.append(f"CREATE TEXT SEARCH DICTIONARY dict {DICTIONARIES[o.dictionary]};")
    if o.config is not None:
        if o.config == 1:
            out.append("CREATE TEXT SEARCH CONFIGURATION cfg (PARSER = pg_catalog.default);")
            out.append(
                "ALTER TEXT SEARCH CONFIGURATION cfg ADD MAPPING FOR asciiword, word WITH simple;"
            )
        else:
            out.append("CREATE TEXT SEARCH CONFIGURATION cfg (COPY = pg_catalog.english);")
        if o.config == 2:
            out.append("ALTER TEXT SEARCH CONFIGURATION cfg ALTER MAPPING FOR asciiword WITH dict;")
    if o.operator is not None:
        op, body = o.operator
        out.append(
            "CREATE FUNCTION int_eq(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE"
            f" AS '{OPERATOR_BODIES[body]}';"
        )
        out.append(f"CREATE OPERATOR === {OPERATORS[op]};")
    if o.mood_cast is not None:
        out.append(f"CREATE CAST (mood AS integer) {MOOD_CASTS[o.mood_cast]};")
    if o.composite is not None:
        attrs = ", ".join(
            f"{a.name} {a.type}" + (" COLLATE coll" if a.collate else "") for a in o.composite
        )
        out.append(f"CREATE TYPE addr AS ({attrs});")
        if o.composite_cast is not None:
            out.append(
                "CREATE FUNCTION addr_text(addr) RETURNS text LANGUAGE sql IMMUTABLE"
                " AS $$SELECT 'addr'::text$$;"
            )
            how = " AS ASSIGNMENT" if o.composite_cast else ""
            out.append(f"CREATE CAST (addr AS text) WITH FUNCTION addr_text(addr){how};")
    for s in o.sequences:
        out += s.sql()
    return out


def objects_after_tables_sql(o: Objects) -> list[str]:
    """What comes after the tables: sequence owners and the rule."""
    out = [f"ALTER SEQUENCE {s.name} OWNED BY {s.owned}.id;" for s in o.sequences if s.owned]
    if o.rule is not None:
        table, n = o.rule
        out.append(f"CREATE RULE {table}_rule AS {RULES[n].format(t=table)};")
    return out


def calls_sql(o: Objects) -> list[str]:
    """The nextval() calls made at A."""
    return [
        f"SELECT nextval('{s.name}') FROM generate_series(1, {s.calls});"
        for s in o.sequences
        if s.calls
    ]


def _maybe(draw: Any, n: int) -> int | None:
    """Absent one time in two, else one of `n` variants."""
    return draw(st.sampled_from([None, None, None, *range(n)]))


@st.composite
def objects(draw: Any, tables: list[str]) -> Objects:
    """Catalog objects drawn afresh (the rule goes on one of `tables`)."""
    o = Objects(
        collation=_maybe(draw, len(COLLATIONS)),
        range=_maybe(draw, len(RANGES)),
        dictionary=_maybe(draw, len(DICTIONARIES)),
        config=_maybe(draw, 3),
        operator=draw(st.none() | st.tuples(st.integers(0, 2), st.integers(0, 1))),
        mood_cast=_maybe(draw, len(MOOD_CASTS)),
    )
    if draw(st.booleans()):
        o = replace(o, composite=draw(attributes(o.collation is not None)))
        o = replace(o, composite_cast=draw(st.sampled_from([None, False, True])))
    seqs = [draw(sequences(f"s{n}")) for n in range(draw(st.integers(0, 2)))]
    seqs = [with_calls(s, draw(st.sampled_from([0, 1, 3, 60]))) for s in seqs]
    o = replace(o, sequences=tuple(seqs))
    return consistent(draw(with_users(o, tables)))


@st.composite
def with_users(draw: Any, o: Objects, tables: list[str]) -> Objects:
    """The rule and sequence owners on tables that exist."""
    rule = None
    if tables and draw(st.integers(0, 2)) == 0:
        rule = (draw(st.sampled_from(tables)), draw(st.integers(0, len(RULES) - 1)))
    seqs = tuple(
        replace(s, owned=draw(st.sampled_from([None, *tables])) if tables else None)
        for s in o.sequences
    )
    return replace(o, rule=rule, sequences=seqs)


def consistent(o: Objects) -> Objects:
    """Objects without what they need: a configuration mapped to a missing dictionary, ..."""
    if o.config == 2 and o.dictionary is None:
        o = replace(o, config=0)
    if o.composite is None:
        o = replace(o, composite_cast=None)
    elif o.collation is None:
        o = replace(o, composite=tuple(replace(a, collate=False) for a in o.composite))
    return o


@st.composite
def mutated(draw: Any, a: Objects, tables: list[str]) -> Objects:
    """B's objects from A's: each kept, dropped, redrawn or added."""

    def kind(value: Any, n: int) -> Any:
        how = draw(st.sampled_from(["keep", "keep", "keep", "redraw", "toggle"]))
        if how == "keep":
            return value
        if how == "toggle" and value is not None:
            return None
        return draw(st.integers(0, n - 1))

    b = Objects(
        collation=kind(a.collation, len(COLLATIONS)),
        range=kind(a.range, len(RANGES)),
        dictionary=kind(a.dictionary, len(DICTIONARIES)),
        config=kind(a.config, 3),
        mood_cast=kind(a.mood_cast, len(MOOD_CASTS)),
    )
    op = kind(a.operator, 3)
    if isinstance(op, int):
        op = (op, draw(st.integers(0, 1)))
    elif op is not None and draw(st.booleans()):
        op = (op[0], 1 - op[1])  # the function's body only: CREATE OR REPLACE
    collation = b.collation is not None
    how = draw(st.sampled_from(["keep", "alter", "alter", "toggle"]))
    composite = a.composite
    if how == "alter" and composite is not None:
        composite = draw(altered(composite, collation))
    elif how == "toggle":
        composite = None if composite is not None else draw(attributes(collation))
    cast = a.composite_cast
    if composite is not None and (cast is None or draw(st.integers(0, 3)) == 0):
        cast = draw(st.sampled_from([None, False, True]))
    seqs = []
    for s in a.sequences:
        how = draw(st.sampled_from(["keep", "keep", "drop", "redraw", "cycle", "restart"]))
        if how == "drop":
            continue
        if how == "redraw":
            s = replace(draw(sequences(s.name)), calls=s.calls, owned=s.owned)
        elif how == "cycle":
            s = replace(s, cycle=not s.cycle)
        elif how == "restart":  # the other direction: ALTER SEQUENCE ... RESTART
            s = replace(s, increment=-s.increment, min=None, max=None, start=None, calls=s.calls)
        seqs.append(s)
    if draw(st.integers(0, 3)) == 0:
        seqs.append(draw(sequences(f"s{len(a.sequences) + 2}")))
    b = replace(b, operator=op, composite=composite, composite_cast=cast, sequences=tuple(seqs))
    # the rule and owners: kept where their table is, else redrawn
    rule = a.rule if a.rule and a.rule[0] in tables and draw(st.integers(0, 2)) else None
    fresh = draw(with_users(b, tables))
    seqs2 = tuple(
        replace(s, owned=s.owned if s.owned in tables and draw(st.integers(0, 2)) else f.owned)
        for s, f in zip(b.sequences, fresh.sequences, strict=True)
    )
    return consistent(replace(b, rule=rule or fresh.rule, sequences=seqs2))
