"""Table families the property test draws beside its plain tables: a partitioned table
with its partitions, and an inheritance tree.

A partitioned table `p0` (by range, list or hash on `k`) has partitions, some
of them tables of their own with the parent's columns (detached, or not yet
attached), a primary key and indexes on the parent. An inheritance parent `h0`
has children that inherit it or are tables of their own with its columns. B
changes the strategy, the parent's columns, key and indexes, attaches and
detaches partitions, moves their bounds, and makes children inherit or leave.
They hold no rows: a bound a partition moves to or a table attached must not
be refused for rows, which is not the differ's to decide.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

STRATEGIES = ("range", "list", "hash")
# extra columns of a parent, and the types they may change to
EXTRA = {"text": "character varying(20)", "character varying(20)": "text", "integer": "bigint"}
EXTRA_NAMES = ("v0", "v1", "v2")
DEFAULT = -1  # the DEFAULT partition's bound (range and list)


@dataclass(frozen=True)
class Part:
    """A partition by the index of its bound, or a table of its own with the parent's columns."""

    name: str
    bound: int
    attached: bool = True
    # an index of its own (on id), beside those it shares with the parent
    index: bool = False


@dataclass(frozen=True)
class Partitioned:
    """A partitioned table keyed on `k`, with `id` and extra columns."""

    name: str
    strategy: str
    extra: tuple[tuple[str, str], ...] = ()
    pk: bool = False
    # extra columns with an index on the parent (made on every partition)
    indexes: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()


@dataclass(frozen=True)
class Child:
    """A table inheriting the parent, or one of its own with the parent's columns."""

    name: str
    inherits: bool = True
    own: tuple[tuple[str, str], ...] = ()
    # a table of its own: with the parent's CHECK (as NO INHERIT leaves it) or without
    check: bool = True


@dataclass(frozen=True)
class Tree:
    """An inheritance parent with `id`, extra columns, a CHECK its children share."""

    name: str
    extra: tuple[tuple[str, str], ...] = ()
    check: bool = False
    children: tuple[Child, ...] = ()


@dataclass(frozen=True)
class Families:
    """The families of a schema."""

    partitioned: tuple[Partitioned, ...] = ()
    trees: tuple[Tree, ...] = ()


# --- SQL ------------------------------------------------------------------------------------


def _bound(strategy: str, n: int) -> str:
    if n == DEFAULT:
        return "DEFAULT"
    if strategy == "range":
        return f"FOR VALUES FROM ({n * 10}) TO ({n * 10 + 10})"
    if strategy == "list":
        return f"FOR VALUES IN ({n * 2}, {n * 2 + 1})"
    return f"FOR VALUES WITH (MODULUS 4, REMAINDER {n})"


def _columns(*groups: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{n} {t}" for g in groups for n, t in g)


def families_sql(f: Families) -> list[str]:
    """The families as a user would write them."""
    out = []
    for p in f.partitioned:
        cols = _columns((("id", "integer NOT NULL"), ("k", "integer NOT NULL")), p.extra)
        out.append(f"CREATE TABLE {p.name} ({cols}) PARTITION BY {p.strategy.upper()} (k);")
        if p.pk:
            out.append(f"ALTER TABLE {p.name} ADD CONSTRAINT {p.name}_pkey PRIMARY KEY (id, k);")
        out += [f"CREATE INDEX {p.name}_{c} ON {p.name} ({c});" for c in p.indexes]
        for part in p.parts:
            if part.attached:
                out.append(
                    f"CREATE TABLE {part.name} PARTITION OF {p.name}"
                    f" {_bound(p.strategy, part.bound)};"
                )
            else:
                out.append(f"CREATE TABLE {part.name} ({cols});")
            if part.index:
                out.append(f"CREATE INDEX {part.name}_own ON {part.name} (id);")
    for t in f.trees:
        out.append(f"CREATE TABLE {t.name} ({_columns((('id', 'integer NOT NULL'),), t.extra)});")
        if t.check:
            out.append(f"ALTER TABLE {t.name} ADD CONSTRAINT {t.name}_check CHECK (id > 0);")
        for c in t.children:
            if c.inherits:
                own = f"({_columns(c.own)})" if c.own else "()"
                out.append(f"CREATE TABLE {c.name} {own} INHERITS ({t.name});")
            else:
                cols = _columns((("id", "integer NOT NULL"),), t.extra, c.own)
                out.append(f"CREATE TABLE {c.name} ({cols});")
                if t.check and c.check:
                    out.append(
                        f"ALTER TABLE {c.name} ADD CONSTRAINT {t.name}_check CHECK (id > 0);"
                    )
    return out


# --- strategies -------------------------------------------------------------------------------


@st.composite
def _extra(draw: Any) -> tuple[tuple[str, str], ...]:
    names = draw(st.lists(st.sampled_from(EXTRA_NAMES), max_size=2, unique=True))
    return tuple((n, draw(st.sampled_from(sorted(EXTRA)))) for n in names)


@st.composite
def _parts(draw: Any, name: str, strategy: str, taken: set[int]) -> list[Part]:
    """Up to three partitions with bounds not in `taken`, some detached."""
    bounds = [0, 1, 2, 3] + [DEFAULT] * (strategy != "hash")
    free = [b for b in bounds if b not in taken]
    chosen = draw(st.lists(st.sampled_from(free), max_size=3, unique=True)) if free else []
    return [
        Part(f"{name}_{i}", b, draw(st.integers(0, 3)) > 0, draw(st.integers(0, 3)) == 0)
        for i, b in enumerate(chosen)
    ]


@st.composite
def partitioned(draw: Any, name: str) -> Partitioned:
    """A partitioned table drawn afresh."""
    strategy = draw(st.sampled_from(STRATEGIES))
    extra = draw(_extra())
    indexes = tuple(n for n, _ in extra if draw(st.booleans()))
    parts = draw(_parts(name, strategy, set()))
    return Partitioned(name, strategy, extra, draw(st.booleans()), indexes, tuple(parts))


@st.composite
def tree(draw: Any, name: str) -> Tree:
    """An inheritance tree drawn afresh."""
    children = []
    for i in range(draw(st.integers(1, 2))):
        own = (("x", draw(st.sampled_from(["integer", "text"]))),) if draw(st.booleans()) else ()
        children.append(
            Child(f"{name}_c{i}", draw(st.integers(0, 3)) > 0, own, draw(st.booleans()))
        )
    return Tree(name, draw(_extra()), draw(st.booleans()), tuple(children))


@st.composite
def families(draw: Any) -> Families:
    """None, a partitioned table, an inheritance tree, or both."""
    p = (draw(partitioned("p0")),) if draw(st.booleans()) else ()
    t = (draw(tree("h0")),) if draw(st.integers(0, 2)) == 0 else ()
    return Families(p, t)


@st.composite
def _mutated_extra(draw: Any, extra: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """A parent's extra columns with one added, dropped or re-typed (or as they are)."""
    out = list(extra)
    how = draw(st.sampled_from(["keep", "keep", "add", "drop", "retype"]))
    free = [n for n in EXTRA_NAMES if all(n != x for x, _ in out)]
    if how == "add" and free:
        out.append((draw(st.sampled_from(free)), draw(st.sampled_from(sorted(EXTRA)))))
    elif how == "drop" and out:
        out.pop(draw(st.integers(0, len(out) - 1)))
    elif how == "retype" and out:
        i = draw(st.integers(0, len(out) - 1))
        out[i] = (out[i][0], EXTRA[out[i][1]])
    return tuple(out)


@st.composite
def _mutated_partitioned(draw: Any, a: Partitioned) -> Partitioned:
    strategy = a.strategy if draw(st.integers(0, 4)) else draw(st.sampled_from(STRATEGIES))
    extra = draw(_mutated_extra(a.extra))
    names = [n for n, _ in extra]
    indexes = tuple(n for n in a.indexes if n in names)
    if draw(st.integers(0, 2)) == 0:
        indexes = tuple(n for n in names if draw(st.booleans()))
    pk = a.pk if draw(st.integers(0, 3)) else not a.pk
    parts: list[Part] = []
    for part in a.parts:
        how = draw(st.sampled_from(["keep", "keep", "drop", "toggle", "move", "index"]))
        if how == "drop":
            continue
        if how == "toggle":
            part = replace(part, attached=not part.attached)
        elif how == "move":
            part = replace(part, bound=draw(st.sampled_from([0, 1, 2, 3, DEFAULT])))
        elif how == "index":
            part = replace(part, index=not part.index)
        parts.append(part)
    # bounds that still fit the strategy, and no two attached partitions on one
    used: set[int] = set()
    fitted = []
    for part in parts:
        if part.bound == DEFAULT and strategy == "hash":  # no DEFAULT partition by hash
            free = [b for b in range(4) if b not in used]
            part = replace(
                part, bound=free[0] if free else 0, attached=part.attached and bool(free)
            )
        if part.attached and part.bound in used:
            part = replace(part, attached=False)
        if part.attached:
            used.add(part.bound)
        fitted.append(part)
    if draw(st.integers(0, 2)) == 0:
        more = draw(_parts(a.name, strategy, used))[:1]
        fitted += [replace(p, name=f"{a.name}_{len(a.parts) + 1}") for p in more]
    return Partitioned(a.name, strategy, extra, pk, indexes, tuple(fitted))


@st.composite
def _mutated_tree(draw: Any, a: Tree) -> Tree:
    extra = draw(_mutated_extra(a.extra))
    check = a.check if draw(st.integers(0, 3)) else not a.check
    children = []
    for c in a.children:
        how = draw(st.sampled_from(["keep", "keep", "drop", "toggle", "own"]))
        if how == "drop":
            continue
        if how == "toggle":
            c = replace(c, inherits=not c.inherits, check=draw(st.booleans()))
        elif how == "own":
            c = replace(c, own=() if c.own else (("x", "integer"),))
        children.append(c)
    if draw(st.integers(0, 3)) == 0:
        children.append(Child(f"{a.name}_c{len(a.children) + 1}", draw(st.booleans())))
    return Tree(a.name, extra, check, tuple(children))


@st.composite
def mutated_families(draw: Any, a: Families) -> Families:
    """B's families from A's: each changed, dropped, or kept; one may be added."""
    out_p = []
    for p in a.partitioned:
        how = draw(st.sampled_from(["keep", "change", "change", "drop"]))
        if how != "drop":
            out_p.append(p if how == "keep" else draw(_mutated_partitioned(p)))
    out_t = []
    for t in a.trees:
        how = draw(st.sampled_from(["keep", "change", "change", "drop"]))
        if how != "drop":
            out_t.append(t if how == "keep" else draw(_mutated_tree(t)))
    if not a.partitioned and draw(st.integers(0, 3)) == 0:
        out_p.append(draw(partitioned("p0")))
    if not a.trees and draw(st.integers(0, 3)) == 0:
        out_t.append(draw(tree("h0")))
    return Families(tuple(out_p), tuple(out_t))


def without_gaps(a: Families, b: Families) -> Families:
    """B without what the differ is known not to do: a table of its own made to INHERIT a
    parent with a CHECK. PostgreSQL wants the CHECK on the table first, and then it is the
    table's own too, which CREATE TABLE ... INHERITS does not make it (the same for the
    columns, which pg_dump writes then as the child's own)."""
    trees = []
    for t in b.trees:
        was = {c.name: c for x in a.trees if x.name == t.name for c in x.children}
        if t.check:
            t = replace(t, children=tuple(
                replace(c, inherits=False) if c.inherits and c.name in was
                and not was[c.name].inherits else c
                for c in t.children
            ))  # fmt: skip
        trees.append(t)
    return replace(b, trees=tuple(trees))
