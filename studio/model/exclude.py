"""`exclude` patterns: objects left out of a schema before it is compared (pure).

A pattern is `[kind:]glob`. The glob is matched (fnmatch, case-sensitive)
against an object's unquoted dotted name: `schema.name` for what lives in a
schema (tables, views, sequences, functions by name whatever their arguments,
types, indexes, collations, ...), `schema.table.name` for what belongs to a
table (constraints, triggers, policies, rules). A glob without a dot matches
the object's own name in any schema (`legacy_*` is `*.legacy_*` for a table).
Without a kind, a pattern matches objects of every kind; with one, only that
kind (`view:reporting.*`). Leaving a table out leaves out what hangs on it:
its columns, constraints, indexes, triggers, policies, rules and statistics,
its partitions and the sequences it owns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Protocol, TypeVar

from studio.errors import UsageError
from studio.model.keys import split_qualified

if TYPE_CHECKING:
    from studio.model import CatalogObject, Schema, Table, View

# the kinds a pattern may name: what the model holds, a catalog object's kind with `_` for spaces
KINDS: tuple[str, ...] = (
    "table",
    "view",
    "materialized_view",
    "sequence",
    "function",
    "type",
    "enum",
    "domain",
    "composite_type",
    "index",
    "constraint",
    "trigger",
    "policy",
    "extension",
    "range_type",
    "collation",
    "text_search_dictionary",
    "text_search_configuration",
    "operator",
    "operator_family",
    "operator_class",
    "cast",
    "rule",
    "statistics",
)
# tells whether an object (kind, dotted name) is left out, noting it when it is
_Out = Callable[[str, str], bool]


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_Member = TypeVar("_Member", bound=_Named)

# kinds a pattern names that stand for several of the model's
_ALSO = {"type": frozenset({"enum", "domain", "composite_type", "range_type"})}


@dataclass(frozen=True, slots=True)
class ExcludePattern:
    """One `[kind:]glob` pattern, as written."""

    text: str
    kind: str | None
    glob: str

    @classmethod
    def parse(cls, text: str) -> ExcludePattern:
        """Read a pattern; a kind the model does not have is a UsageError."""
        kind, sep, glob = text.partition(":")
        if not sep:
            kind, glob = "", text
        kind = kind.strip().lower().replace(" ", "_").replace("-", "_")
        glob = glob.strip()
        if sep and kind not in KINDS:
            raise UsageError(
                f"exclude pattern {text!r}: no object kind {kind!r}",
                f"kinds: {', '.join(KINDS)}",
            )
        if not glob:
            raise UsageError(
                f"exclude pattern {text!r} names nothing",
                "e.g. public.legacy_* or view:reporting.*",
            )
        return cls(text, kind or None, glob)

    def matches(self, kind: str, name: str) -> bool:
        """Whether an object of `kind` named `name` (dotted, unquoted) is left out."""
        if self.kind is not None and kind != self.kind and kind not in _ALSO.get(self.kind, ()):
            return False
        if "." not in self.glob:
            name = name.rpartition(".")[2]
        return fnmatchcase(name, self.glob)


def parse_patterns(texts: Iterable[str]) -> tuple[ExcludePattern, ...]:
    """The patterns of `exclude` (config and --exclude), each checked."""
    return tuple(ExcludePattern.parse(t) for t in texts)


@dataclass(frozen=True, slots=True)
class Excluded:
    """A schema with the excluded objects left out, and what the patterns matched."""

    schema: Schema
    # `kind name` of each object a pattern matched (what hangs on it is not listed)
    matched: frozenset[str]


def exclude(schema: Schema, patterns: tuple[ExcludePattern, ...]) -> Excluded:
    """`schema` without the objects the patterns match and what hangs on them."""
    if not patterns:
        return Excluded(schema, frozenset())
    matched: set[str] = set()

    def out(kind: str, name: str) -> bool:
        if any(p.matches(kind, name) for p in patterns):
            matched.add(f"{kind} {name}")
            return True
        return False

    tables = {k: t for k, t in schema.tables.items() if not out("table", _dotted(t.schema, t.name))}
    # a partition goes with its parent, however deep
    gone = set(schema.tables) - set(tables)
    while more := {k for k, t in tables.items() if t.partition_of in gone}:
        gone |= more
        tables = {k: t for k, t in tables.items() if k not in more}
    tables = {k: _table_members(t, out) for k, t in tables.items()}
    views = {
        k: _view_members(v, out)
        for k, v in schema.views.items()
        if not out("materialized_view" if v.materialized else "view", _dotted(v.schema, v.name))
    }
    gone |= set(schema.views) - set(views)
    cut = dataclasses.replace(
        schema,
        tables=tables,
        views=views,
        sequences={
            k: q
            for k, q in schema.sequences.items()
            if not _owned_by(q.owned_by, gone) and not out("sequence", _dotted(q.schema, q.name))
        },
        functions={
            k: f
            for k, f in schema.functions.items()
            if not out("function", _dotted(f.schema, f.name))
        },
        enums={k: e for k, e in schema.enums.items() if not out("enum", _dotted(e.schema, e.name))},
        domains={
            k: d for k, d in schema.domains.items() if not out("domain", _dotted(d.schema, d.name))
        },
        composites={
            k: c
            for k, c in schema.composites.items()
            if not out("composite_type", _dotted(c.schema, c.name))
        },
        extensions={
            k: x
            for k, x in schema.extensions.items()
            if not out("extension", _dotted(x.schema, x.name))
        },
        objects={
            k: o
            for k, o in schema.objects.items()
            if not (set(o.relations) & gone and o.kind in ("rule", "statistics"))
            and not out(o.kind.replace(" ", "_"), _object_name(o))
        },
    )
    kept = {*cut.tables, *cut.views, *cut.sequences, *cut.functions, *cut.enums, *cut.domains}
    kept |= {*cut.composites}
    removed = _keys(schema) - kept
    if removed and (schema.privileges or schema.owners):
        cut = dataclasses.replace(
            cut,
            privileges=tuple(p for p in cut.privileges if p.object not in removed),
            owners={k: v for k, v in cut.owners.items() if k not in removed},
        )
    return Excluded(cut, frozenset(matched))


def _keys(schema: Schema) -> set[str]:
    return {
        *schema.tables,
        *schema.views,
        *schema.sequences,
        *schema.functions,
        *schema.enums,
        *schema.domains,
        *schema.composites,
    }


def _dotted(*parts: str) -> str:
    return ".".join(parts)


def _owned_by(owned_by: str | None, gone: set[str]) -> bool:
    """Whether a sequence is owned by a column of a table left out."""
    if owned_by is None:
        return False
    parts = split_qualified(owned_by)
    return len(parts) == 3 and any(split_qualified(k) == parts[:2] for k in gone)


def _object_name(o: CatalogObject) -> str:
    """A catalog object's dotted name: `schema.name`; a rule's `schema.table.rule`; a cast's own."""
    if o.kind == "rule":
        rule, _, table = o.identity.partition(" ON ")
        return _dotted(*split_qualified(table), *split_qualified(rule))
    if o.schema is None:
        return o.identity
    # `public.=== (integer, integer)`, `public.my_ops USING btree`: the name before the rest
    head = o.identity.split(" (", 1)[0].split(" USING ", 1)[0]
    return _dotted(*split_qualified(head))


def _members(
    schema: str, table: str, items: Iterable[_Member], kind: str, out: _Out
) -> Iterator[_Member]:
    for item in items:
        name = _dotted(schema, item.name) if kind == "index" else _dotted(schema, table, item.name)
        if not out(kind, name):
            yield item


def _table_members(t: Table, out: _Out) -> Table:
    if not any((t.constraints, t.indexes, t.triggers, t.policies)):
        return t
    s, n = t.schema, t.name
    return dataclasses.replace(
        t,
        constraints=tuple(_members(s, n, t.constraints, "constraint", out)),
        indexes=tuple(_members(s, n, t.indexes, "index", out)),
        triggers=tuple(_members(s, n, t.triggers, "trigger", out)),
        policies=tuple(_members(s, n, t.policies, "policy", out)),
    )


def _view_members(v: View, out: _Out) -> View:
    if not (v.indexes or v.triggers):
        return v
    s, n = v.schema, v.name
    return dataclasses.replace(
        v,
        indexes=tuple(_members(s, n, v.indexes, "index", out)),
        triggers=tuple(_members(s, n, v.triggers, "trigger", out)),
    )
