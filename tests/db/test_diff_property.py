"""Property: for random schema pairs A, B, applying diff(A, B) to a database at A yields B.

A is drawn at random (tables over 17 column types, an enum, defaults, NOT NULL,
statistics targets, storage, compression, attribute options and collations,
primary keys, unique constraints, foreign keys with actions, checks, plain,
partial, expression, multi-column and text search indexes; tables unlogged,
with storage parameters, row level security and a replica identity; beside
them sequences, a composite type and a range type that columns use, a
collation, text search objects, an operator, casts and a rule, see
_property_objects; partitioned tables with their partitions and inheritance
trees, see _property_families); B is A mutated (columns and tables dropped,
added and re-typed, their attributes redrawn, constraints and indexes changed,
enum labels added, removed or reordered, objects dropped, added or redrawn,
composite attributes added, dropped and re-typed, sequences re-bounded or
turned round, partitions attached and detached) or drawn afresh. Two rows
inserted at A must still be there, unchanged, in every column B keeps with
its type.

Rows are chosen so that every constraint either side can draw holds for them
(ids 1 and 2, distinct positive values), so a failure is the differ's.
Runs a few hundred examples in CI; `-m slow` runs many more.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pytest
from _diff_support import apply, connect, differences
from _property_families import (
    Families,
    families,
    families_sql,
    mutated_families,
    without_gaps,
)
from _property_objects import (
    Objects,
    calls_sql,
    composite_value,
    mutated,
    objects,
    objects_after_tables_sql,
    objects_sql,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.catalog.introspect import introspect
from studio.diff import diff, diff_report, parse_rename

if TYPE_CHECKING:
    from studio.sources.devdb.cluster import Cluster


# --- column types: SQL name, default, value of row i, whether btree-unique is fine ---------


@dataclass(frozen=True)
class ColType:
    """A column type the generator uses, with a default and row values that fit every template."""

    sql: str
    default: str
    value: str  # a SQL literal with {i} for the row number (1 or 2)
    family: str  # int, num, text, other: which check and expression templates apply


TYPES: dict[str, ColType] = {
    t.sql: t
    for t in (
        ColType("integer", "0", "{i}", "int"),
        ColType("bigint", "42", "{i}", "int"),
        ColType("smallint", "1", "{i}", "int"),
        ColType("numeric(10,2)", "1.5", "{i}.25", "num"),
        ColType("numeric(12,4)", "2.5", "{i}.5", "num"),
        ColType("text", "'x'", "'v{i}'", "text"),
        ColType("character varying(20)", "'y'", "'w{i}'", "text"),
        ColType("character varying(50)", "'z'", "'u{i}'", "text"),
        ColType("boolean", "true", "{bool}", "other"),
        ColType("timestamp with time zone", "now()", "'2024-01-0{i} 10:00:00+00'", "other"),
        ColType("date", "CURRENT_DATE", "'2024-02-0{i}'", "other"),
        ColType(
            "uuid",
            "'00000000-0000-0000-0000-000000000000'::uuid",
            "'00000000-0000-0000-0000-00000000000{i}'",
            "other",
        ),
        ColType("jsonb", "'{}'::jsonb", "'{{\"k\": {i}}}'", "other"),
        ColType("bytea", "'\\x00'::bytea", "'\\x0{i}'::bytea", "other"),
        ColType("integer[]", "'{}'::integer[]", "'{{{i}}}'", "other"),
        ColType("text[]", "'{a}'::text[]", "'{{t{i}}}'", "other"),
        ColType("inet", "'127.0.0.1'::inet", "'10.0.0.{i}'", "other"),
        ColType("interval", "'1 day'::interval", "'{i} hours'", "other"),
        ColType("mood", "", "", "enum"),  # default and values come from the labels
        # the composite and range types of _property_objects, when the schema has them
        ColType("addr", "", "", "composite"),
        ColType("rng", "'empty'::rng", "", "range"),
    )
}
OBJECT_TYPES = frozenset({"addr", "rng"})
# old type -> types it may become while the rows above still convert
RETYPE: dict[str, tuple[str, ...]] = {
    "integer": ("bigint", "text", "numeric(12,4)"),
    "bigint": ("integer", "text"),
    "smallint": ("integer", "bigint"),
    "numeric(10,2)": ("numeric(12,4)", "text"),
    "text": ("character varying(50)",),
    "character varying(20)": ("text", "character varying(50)"),
    "character varying(50)": ("text", "character varying(20)"),
    "boolean": ("text",),
    "date": ("timestamp with time zone", "text"),
    "timestamp with time zone": ("date",),
    "uuid": ("text",),
    "jsonb": ("text",),
    "integer[]": ("bigint[]",),
    "inet": ("text",),
    "interval": ("text",),
    "mood": ("text",),
    "addr": ("text",),
    "rng": ("text",),
}
TYPES["bigint[]"] = ColType("bigint[]", "'{}'::bigint[]", "'{{{i}}}'", "other")
# types whose storage can be other than PLAIN (variable length)
VARLENA = frozenset({
    "numeric(10,2)", "numeric(12,4)", "text", "character varying(20)", "character varying(50)",
    "jsonb", "bytea", "integer[]", "text[]", "bigint[]", "addr", "rng",
})  # fmt: skip
STATISTICS = (None, None, None, 0, 100, 1000)
STORAGES = (None, None, "main", "external", "plain", "extended")
COMPRESSIONS = (None, None, "pglz")
ATTRIBUTE_OPTIONS = (
    None,
    None,
    "n_distinct=5",
    "n_distinct=-1",
    "n_distinct=-0.5, n_distinct_inherited=10",
)
# table storage parameters: at most one of each name. No toast.* ones: a table rewritten
# (ALTER COLUMN TYPE) whose columns then need no TOAST table loses it, and its parameters
# with it, while the same table created afresh keeps them (tests/cases/table_toast_options)
TABLE_OPTIONS = (
    "fillfactor=70", "fillfactor=90", "autovacuum_enabled=false",
    "autovacuum_vacuum_scale_factor=0.05",
)  # fmt: skip
# row level security: 0 off, 1 enabled, 2 enabled and forced, 3 forced alone
RLS = (0, 0, 1, 2, 3)
ACTIONS = ("NO ACTION", "CASCADE", "SET NULL", "RESTRICT")
LABELS = ("red", "green", "blue", "cyan", "black")


@dataclass
class Col:
    name: str
    type: str
    not_null: bool = False
    default: bool = False
    # its name at A when B renames it (with a rename hint)
    was: str | None = None
    # ALTER COLUMN SET STATISTICS / SET STORAGE (storage only on a varlena type)
    statistics: int | None = None
    storage: str | None = None
    # SET COMPRESSION (varlena only), SET (attribute options), COLLATE coll (text only)
    compression: str | None = None
    options: str | None = None
    collate: bool = False


@dataclass
class Table:
    name: str
    id_type: str = "integer"
    identity: bool = False
    columns: list[Col] = field(default_factory=list)
    uniques: list[tuple[str, ...]] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # column names with a check
    fks: list[tuple[str, str, str]] = field(default_factory=list)  # column, table, on delete
    # (kind, columns): plain, multi, partial, expression, unique, fts (over the text search
    # configuration)
    indexes: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    # created by B: it holds no rows when the migration runs
    fresh: bool = False
    unlogged: bool = False
    rls: int = 0
    options: tuple[str, ...] = ()
    # REPLICA IDENTITY: default, full, nothing, pkey, or index:<n> (a unique index of `indexes`)
    replica: str = "default"
    # CHECK (id === id), over the operator of the objects (an integer id only)
    op_check: bool = False

    def col(self, name: str) -> Col | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass
class Spec:
    labels: tuple[str, ...]
    tables: list[Table]
    # whether rows are inserted at A
    rows: bool = True
    # rename hints (`t.a=t.b`) B was made with
    renames: list[str] = field(default_factory=list)
    objects: Objects = field(default_factory=Objects)
    families: Families = field(default_factory=Families)

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


# --- SQL ------------------------------------------------------------------------------------


def _default(spec: Spec, c: Col) -> str:
    if c.type == "mood":
        return f"'{spec.labels[0]}'::mood"
    return TYPES[c.type].default


def _check(c: Col) -> str | None:
    family = TYPES[c.type].family
    if family in ("int", "num"):
        return f"{c.name} >= 0"
    if family == "text":
        return f"{c.name} <> ''"
    return None


def _index_sql(t: Table, i: int, kind: str, cols: tuple[str, ...]) -> str:
    name = f"{t.name}_i{i}"
    if kind == "expression":
        c = t.col(cols[0])
        assert c is not None
        family = TYPES[c.type].family
        expr = (
            f"lower({c.name})"
            if family == "text"
            else f"({c.name} + 1)"
            if family in ("int", "num")
            else c.name
        )
        return f"CREATE INDEX {name} ON {t.name} ({expr})"
    if kind == "fts":
        return (
            f"CREATE INDEX {name} ON {t.name} USING gin (to_tsvector('cfg'::regconfig, {cols[0]}))"
        )
    if kind == "partial":
        return f"CREATE INDEX {name} ON {t.name} ({cols[0]}) WHERE {cols[-1]} IS NOT NULL"
    unique = "UNIQUE " if kind == "unique" else ""
    return f"CREATE {unique}INDEX {name} ON {t.name} ({', '.join(cols)})"


def to_sql(spec: Spec) -> str:
    """The schema as the SQL a user would write."""
    out = [f"CREATE TYPE mood AS ENUM ({', '.join(repr(v) for v in spec.labels)});"]
    out += objects_sql(spec.objects)
    for t in spec.tables:
        ident = " GENERATED BY DEFAULT AS IDENTITY" if t.identity else ""
        cols = [f"id {t.id_type}{ident} NOT NULL"]
        for c in t.columns:
            text = f"{c.name} {c.type}"
            if c.collate:
                text += " COLLATE coll"
            if c.default:
                text += f" DEFAULT {_default(spec, c)}"
            if c.not_null:
                text += " NOT NULL"
            cols.append(text)
        unlogged = "UNLOGGED " if t.unlogged else ""
        with_ = f" WITH ({', '.join(t.options)})" if t.options else ""
        out.append(f"CREATE {unlogged}TABLE {t.name} ({', '.join(cols)}){with_};")
        for c in t.columns:
            alter = f"ALTER TABLE {t.name} ALTER COLUMN {c.name}"
            if c.statistics is not None:
                out.append(f"{alter} SET STATISTICS {c.statistics};")
            if c.storage is not None and c.type in VARLENA:
                out.append(f"{alter} SET STORAGE {c.storage};")
            if c.compression is not None and c.type in VARLENA:
                out.append(f"{alter} SET COMPRESSION {c.compression};")
            if c.options is not None:
                out.append(f"{alter} SET ({c.options});")
        out.append(f"ALTER TABLE {t.name} ADD CONSTRAINT {t.name}_pkey PRIMARY KEY (id);")
        for n, u in enumerate(t.uniques):
            out.append(
                f"ALTER TABLE {t.name} ADD CONSTRAINT {t.name}_u{n} UNIQUE ({', '.join(u)});"
            )
        for name in t.checks:
            c = t.col(name)
            if c is not None and (check := _check(c)):
                out.append(
                    f"ALTER TABLE {t.name} ADD CONSTRAINT {t.name}_{name}_check CHECK ({check});"
                )
        if t.op_check:
            out.append(f"ALTER TABLE {t.name} ADD CONSTRAINT {t.name}_op CHECK (id === id);")
        for i, (kind, cols_) in enumerate(t.indexes):
            out.append(_index_sql(t, i, kind, cols_) + ";")
        if t.replica == "pkey":
            out.append(f"ALTER TABLE {t.name} REPLICA IDENTITY USING INDEX {t.name}_pkey;")
        elif t.replica.startswith("index:"):
            n = t.replica.removeprefix("index:")
            out.append(f"ALTER TABLE {t.name} REPLICA IDENTITY USING INDEX {t.name}_i{n};")
        elif t.replica != "default":
            out.append(f"ALTER TABLE {t.name} REPLICA IDENTITY {t.replica.upper()};")
        if t.rls in (1, 2):
            out.append(f"ALTER TABLE {t.name} ENABLE ROW LEVEL SECURITY;")
        if t.rls in (2, 3):
            out.append(f"ALTER TABLE {t.name} FORCE ROW LEVEL SECURITY;")
    for t in spec.tables:
        for col, ref, action in t.fks:
            out.append(
                f"ALTER TABLE {t.name} ADD CONSTRAINT {t.name}_{col}_fk FOREIGN KEY ({col})"
                f" REFERENCES {ref} (id) ON DELETE {action};"
            )
    out += families_sql(spec.families)
    out += objects_after_tables_sql(spec.objects)
    return "\n".join(out)


def _value(spec: Spec, c: Col, i: int) -> str:
    if c.type == "mood":
        return f"'{spec.labels[-1]}'"
    if c.type == "addr":
        assert spec.objects.composite is not None
        return composite_value(spec.objects.composite, i)
    if c.type == "rng":
        return spec.objects.range_value(i)
    return TYPES[c.type].value.format(i=i, bool="true" if i == 1 else "false")


def rows_sql(spec: Spec) -> str:
    """Two rows per table, in an order the foreign keys accept (they only reference ids 1 and 2)."""
    out = []
    for t in spec.tables:
        names = ["id", *(c.name for c in t.columns)]
        for i in (1, 2):
            values = [str(i), *(_value(spec, c, i) for c in t.columns)]
            out.append(f"INSERT INTO {t.name} ({', '.join(names)}) VALUES ({', '.join(values)});")
    return (
        "SET session_replication_role = replica;\n"
        + "\n".join(out)
        + "\nRESET session_replication_role;"
    )


# --- strategies -------------------------------------------------------------------------------

NAMES = [f"c{i}" for i in range(8)]
INTS = ("integer", "bigint")
TEXTS = frozenset(t.sql for t in TYPES.values() if t.family == "text")


@st.composite
def columns(
    draw: Any, taken: set[str], objs: Objects, *, empty: bool, min_size: int = 0
) -> list[Col]:
    """New columns; on a table with rows a NOT NULL one needs a default."""
    out = []
    free = [x for x in NAMES if x not in taken]
    if not free:  # every name taken (renames add to them)
        return out
    types = sorted(t for t in TYPES if t not in OBJECT_TYPES or t in objs.types())
    for name in draw(st.lists(st.sampled_from(free), unique=True, min_size=min_size, max_size=4)):
        type_ = draw(st.sampled_from(types))
        default = draw(st.booleans()) and type_ != "addr"
        col = Col(name, type_, draw(st.booleans()) and (empty or default), default)
        out.append(draw(attributes(col, objs)))
    return out


@st.composite
def attributes(draw: Any, c: Col, objs: Objects) -> Col:
    """The column with a statistics target, storage, compression, options and collation drawn."""
    return replace(
        c,
        statistics=draw(st.sampled_from(STATISTICS)),
        storage=draw(st.sampled_from(STORAGES)),
        compression=draw(st.sampled_from(COMPRESSIONS)),
        options=draw(st.sampled_from(ATTRIBUTE_OPTIONS)),
        collate=objs.collation is not None and c.type in TEXTS and draw(st.booleans()),
    )


@st.composite
def table_attributes(draw: Any, t: Table) -> Table:
    """The table unlogged or not, with row level security and storage parameters drawn."""
    options = {}
    for o in draw(st.lists(st.sampled_from(TABLE_OPTIONS), max_size=2, unique=True)):
        options[o.partition("=")[0]] = o
    return replace(
        t,
        unlogged=draw(st.integers(0, 3)) == 0,
        rls=draw(st.sampled_from(RLS)),
        options=tuple(sorted(options.values())),
    )


def _known_gaps(a: Spec, b: Objects) -> Objects:
    """B's objects without the changes the differ is known not to handle (unless asked for).

    A collation changed (dropped and created again) under a composite attribute
    that keeps using it, or a range type changed under a column: PostgreSQL
    refuses to drop it, and the differ has no way yet to move those users off it
    (it moves table columns to a recreated collation, as it re-casts the columns
    of a recreated enum). See tests/db/README or the report of branch i15-prop.
    """
    if GAPS:
        return b
    o = a.objects
    columns = [c for t in a.tables for c in t.columns]
    if o.collation is not None and b.collation is not None and o.collation != b.collation:
        attrs = any(x.collate for x in o.composite or ()) and b.composite is not None
        ranged = o.range == 2 and any(c.type == "rng" for c in columns)
        if attrs or ranged:
            b = replace(b, collation=o.collation)
    ranged = any(c.type == "rng" for c in columns)
    if ranged and None not in (o.range, b.range) and o.range_sql() != b.range_sql():
        b = replace(b, range=o.range, collation=o.collation if o.range == 2 else b.collation)
    return b


def _fit(c: Col, objs: Objects) -> Col:
    """A column B keeps, within what B's objects allow: its type and collation."""
    if c.type in OBJECT_TYPES and c.type not in objs.types():
        c = replace(c, type="text")
    if c.type == "addr" and c.default:  # a composite column has no default drawn
        c = replace(c, default=False, not_null=False)
    if c.collate and (objs.collation is None or c.type not in TEXTS):
        c = replace(c, collate=False)
    return c


def _replicas(t: Table) -> list[str]:
    """The replica identities the table may have (an index: unique, over a NOT NULL column)."""
    out = ["default", "full", "nothing", "pkey"]
    for n, (kind, cols) in enumerate(t.indexes):
        c = t.col(cols[0])
        if kind == "unique" and c is not None and c.not_null:
            out.append(f"index:{n}")
    return out


def _references(t: Table, r: Table | None) -> bool:
    """Whether a foreign key of `t` may reference `r`: a logged table only a logged one."""
    return r is not None and (t.unlogged or not r.unlogged)


@st.composite
def constraints(
    draw: Any, tables: list[Table], t: Table, old: Table | None, rows: bool, objs: Objects
) -> Table:
    """Uniques, checks, indexes and foreign keys over the table's columns that its rows satisfy."""
    empty = t.fresh or not rows

    def origin(name: str) -> Col | None:
        c = t.col(name)
        return None if old is None or c is None else old.col(c.was or c.name)

    def had_values(name: str) -> bool:
        # a column whose rows hold the values written at A (not a default shared by both rows)
        return empty or origin(name) is not None

    # both rows hold the same enum label: never part of a key (nor a composite or range:
    # their values change with their type)
    keyable = [
        c.name for c in t.columns if c.type not in ("mood", *OBJECT_TYPES) and had_values(c.name)
    ]
    keyable = [
        n
        for n in keyable
        if empty or (o := origin(n)) is None or o.type not in ("mood", *OBJECT_TYPES)
    ]
    uniques: list[tuple[str, ...]] = []
    for _ in range(draw(st.integers(0, 2)) if keyable else 0):
        cols = tuple(draw(st.lists(st.sampled_from(keyable), min_size=1, max_size=2, unique=True)))
        if cols not in uniques:
            uniques.append(cols)
    checks = [c.name for c in t.columns if _check(c) and draw(st.booleans())]
    names = [c.name for c in t.columns]
    texts = [c.name for c in t.columns if c.type in TEXTS]
    kinds = ["plain", "multi", "partial", "expression", "unique"]
    kinds += ["fts"] * (objs.config is not None and bool(texts))
    indexes: list[tuple[str, tuple[str, ...]]] = []
    for _ in range(draw(st.integers(0, 3)) if names else 0):
        kind = draw(st.sampled_from(kinds))
        if kind == "unique" and keyable:
            indexes.append((kind, (draw(st.sampled_from(keyable)),)))
        elif kind == "multi" and len(names) > 1:
            indexes.append(
                (
                    kind,
                    tuple(
                        draw(st.lists(st.sampled_from(names), min_size=2, max_size=3, unique=True))
                    ),
                )
            )
        elif kind == "fts":
            indexes.append((kind, (draw(st.sampled_from(texts)),)))
        elif kind in ("plain", "partial", "expression"):
            indexes.append((kind, (draw(st.sampled_from(names)),)))
    fks = []
    for c in t.columns:
        # rows reference ids 1 and 2: only from a column holding them, to a table holding them
        if c.type not in INTS or not had_values(c.name) or not draw(st.booleans()):
            continue
        if not empty and (o := origin(c.name)) is not None and o.type not in INTS:
            continue
        targets = [r for r in tables if (empty or not r.fresh) and _references(t, r)]
        if targets:
            action = draw(st.sampled_from(ACTIONS))
            fks.append((c.name, draw(st.sampled_from(targets)).name, action))
    t = replace(t, uniques=uniques, checks=checks, indexes=indexes, fks=fks)
    op_check = objs.operator is not None and t.id_type == "integer" and draw(st.booleans())
    replica = draw(st.sampled_from(["default", "default", *_replicas(t)]))
    return replace(t, op_check=op_check, replica=replica)


@st.composite
def schemas(draw: Any, *, rows: bool = True, fresh: bool = False) -> Spec:
    labels = tuple(draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=4, unique=True)))
    count = draw(st.integers(1, 3))
    spec = Spec(labels, [], rows, objects=draw(objects([f"t{n}" for n in range(count)])))
    spec.families = draw(families())
    for n in range(count):
        t = Table(f"t{n}", draw(st.sampled_from(INTS)), draw(st.booleans()), fresh=fresh)
        t = draw(table_attributes(t))
        t.columns = draw(columns(set(), spec.objects, empty=True, min_size=1))
        spec.tables.append(t)
        spec.tables[-1] = draw(constraints(spec.tables, t, None, rows, spec.objects))
    return spec


def _counterpart(new: Table, name: str) -> Col | None:
    """B's column for A's column `name` (renamed or not)."""
    return next((c for c in new.columns if (c.was or c.name) == name), None)


def _same(old: Table, new: Table, name: str) -> bool:
    a, b = old.col(name), _counterpart(new, name)
    return a is not None and b is not None and a.type == b.type


def _renamed(new: Table, name: str) -> str:
    c = _counterpart(new, name)
    assert c is not None
    return c.name


@st.composite
def mutations(draw: Any, a: Spec) -> Spec:
    """B from A: labels, tables and columns dropped, added or changed.

    Constraints are redrawn or kept.
    """
    labels = list(a.labels)
    how = draw(st.sampled_from(["same", "add", "remove", "reorder"]))
    if how == "add":
        extra = [v for v in LABELS if v not in labels]
        if extra:
            labels.insert(draw(st.integers(0, len(labels))), draw(st.sampled_from(extra)))
    elif how == "remove" and len(labels) > 1:
        labels.pop(draw(st.integers(0, len(labels) - 2)))  # the rows hold the last label
    elif how == "reorder":
        labels = [*draw(st.permutations(labels[:-1])), labels[-1]]
    kept = [t for t in a.tables if draw(st.integers(0, 5))]  # the others are dropped
    added = [f"t{n}" for n in range(len(a.tables), len(a.tables) + draw(st.integers(0, 1)))]
    objs = _known_gaps(a, draw(mutated(a.objects, [t.name for t in kept] + added)))
    b = Spec(tuple(labels), [], a.rows, objects=objs, families=draw(mutated_families(a.families)))
    for t in kept:
        cols = []
        taken = {c.name for c in t.columns}
        for c in t.columns:
            action = draw(
                st.sampled_from(
                    ["keep", "keep", "drop", "retype", "null", "default", "rename", "attributes"]
                )
            )
            if action == "drop":
                continue
            c = replace(c)
            free = [n for n in NAMES if n not in taken]
            if action == "rename" and free:
                c.was, c.name = c.name, draw(st.sampled_from(free))
                taken.add(c.name)
                b.renames.append(f"{t.name}.{c.was}={t.name}.{c.name}")
            elif action == "retype" and c.type in RETYPE:
                c.type = draw(st.sampled_from(RETYPE[c.type]))
            elif action == "null":
                c.not_null = not c.not_null
            elif action == "default":
                c.default = not c.default
            elif action == "attributes":
                c = draw(attributes(c, objs))
            cols.append(_fit(c, objs))
        cols += draw(columns(taken, objs, empty=not a.rows))
        id_type = (
            t.id_type
            if draw(st.integers(0, 4))
            else ("bigint" if t.id_type == "integer" else "integer")
        )
        identity = t.identity if draw(st.integers(0, 4)) else not t.identity
        new = Table(
            t.name, id_type, identity, cols, unlogged=t.unlogged, rls=t.rls, options=t.options
        )
        b.tables.append(new if draw(st.integers(0, 2)) else draw(table_attributes(new)))
    for name in added:
        t = Table(name, draw(st.sampled_from(INTS)), draw(st.booleans()), fresh=True)
        t = draw(table_attributes(t))
        t.columns = draw(columns(set(), objs, empty=True, min_size=1))
        b.tables.append(t)
    out: list[Table] = []
    for t in b.tables:
        old = a.table(t.name)
        if old is not None and draw(st.booleans()):
            # A's constraints where they still apply: unchanged ones must give no change
            t = replace(
                t,
                uniques=[tuple(_renamed(t, x) for x in u) for u in old.uniques
                         if all(_same(old, t, x) for x in u)],
                checks=[_renamed(t, x) for x in old.checks if _same(old, t, x)],
                indexes=[(k, tuple(_renamed(t, x) for x in cs)) for k, cs in old.indexes
                         if all(_same(old, t, x) for x in cs)
                         and (k != "fts" or objs.config is not None)],
                fks=[(_renamed(t, f[0]), f[1], f[2]) for f in old.fks
                     if _same(old, t, f[0]) and _references(t, b.table(f[1]))],
                op_check=old.op_check and objs.operator is not None and t.id_type == "integer",
            )  # fmt: skip
            out.append(
                replace(t, replica=old.replica if old.replica in _replicas(t) else "default")
            )
        else:
            out.append(draw(constraints([*out, *b.tables[len(out) :]], t, old, a.rows, objs)))
    b.tables = out
    return b


@st.composite
def pairs(draw: Any) -> tuple[Spec, Spec]:
    """Mostly B = A mutated; sometimes an unrelated B.

    Then no rows: its keys know nothing of them.
    """
    if draw(st.integers(0, 4)) == 0:
        a, b = draw(schemas(rows=False)), draw(schemas(rows=False, fresh=True))
        b.objects = _known_gaps(a, b.objects)
        # B's columns were drawn under B's own objects, which that may have changed
        # (B's range type under A's collation, or none)
        for t in b.tables:
            t.columns = [_fit(c, b.objects) for c in t.columns]
    else:
        a = draw(schemas())
        b = draw(mutations(a))
    if not GAPS:
        b.families = without_gaps(a.families, b.families)
    return a, b


# --- the property -------------------------------------------------------------------------------


def _run(coro: Any) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


async def _check_pair(pg: Cluster, a: Spec, b: Spec) -> None:
    async with pg.throwaway("prop_b") as url_b:
        conn_b = await connect(url_b)
        try:
            await conn_b.execute(to_sql(b))
            want = await introspect(conn_b)
        finally:
            await conn_b.close()
    async with pg.throwaway("prop_a") as url_a:
        conn = await connect(url_a)
        try:
            await conn.execute(to_sql(a))
            if calls := calls_sql(a.objects):
                await conn.execute("\n".join(calls))
            if a.rows:
                await conn.execute(rows_sql(a))
            before = {t.name: await _rows(conn, t.name) for t in a.tables}
            old = await introspect(conn)
            assert diff(old, old) == []
            hints = [parse_rename(h, old, want) for h in b.renames]
            report = diff_report(old, want, hints, server_version=pg.server_version_num)
            changes = list(report.changes)
            try:
                await apply(conn, changes)
            except Exception as e:
                script = "\n".join(s for c in changes for s in c.sql())
                raise AssertionError(
                    f"{e}\n--- A\n{to_sql(a)}\n--- B\n{to_sql(b)}\n--- renames {b.renames}"
                    f"\n--- diff\n{script}"
                ) from e
            got = await introspect(conn)
            if report.unreached:
                # what no SQL reaches (a column's attislocal, say) is named, never passed
                # over: the rest is reached, and the diff still names what is left
                assert diff(got, want) == [], report.unreached
                assert diff_report(got, want).unreached, report.unreached
            else:
                assert got == want, (
                    differences(got, want) + f"\n--- A\n{to_sql(a)}\n--- B\n{to_sql(b)}"
                )
                assert diff(got, want) == []
            assert diff(want, want) == []
            # rows survive in every column B keeps with its type
            for t in b.tables:
                ta = a.table(t.name)
                if ta is None:
                    continue
                after = await _rows(conn, t.name)
                kept = [("id", "id")] * (ta.id_type == t.id_type) + [
                    (c.was or c.name, c.name)
                    for c in t.columns
                    if (o := ta.col(c.was or c.name)) is not None
                    and o.type == c.type
                    and _kept_values(a, b, c.type)
                ]
                for was, name in kept:
                    assert [r[name] for r in after] == [r[was] for r in before[t.name]], (
                        t.name,
                        name,
                    )
        finally:
            await conn.close()


def _kept_values(a: Spec, b: Spec, type_: str) -> bool:
    """Whether values of the type read the same at B (a composite's or range's may not)."""
    if type_ == "addr":
        # an attribute whose type or collation changes is dropped and added again while
        # a column uses the type (PostgreSQL refuses to alter it): the diff says so
        attrs = [(x.name, x.type, x.collate) for x in a.objects.composite or ()]
        return attrs == [(x.name, x.type, x.collate) for x in b.objects.composite or ()]
    if type_ == "rng":
        return a.objects.range_sql() == b.objects.range_sql()
    return True


async def _rows(conn: Any, table: str) -> list[dict[str, Any]]:
    cols = await conn.fetch(
        "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass"
        " AND attnum > 0 AND NOT attisdropped",
        table,
    )
    # format() prints with the type's output function, whatever casts to text the schema makes
    select = ", ".join(f"format('%s', {r['attname']}) AS {r['attname']}" for r in cols)
    return [dict(r) for r in await conn.fetch(f"SELECT {select} FROM {table} ORDER BY id")]


CI_EXAMPLES = int(os.environ.get("STUDIO_PROPERTY_EXAMPLES", "120"))
# STUDIO_PROPERTY_GAPS=1 also draws the changes the differ is known to fail (_known_gaps)
GAPS = os.environ.get("STUDIO_PROPERTY_GAPS") == "1"
CI = settings(
    max_examples=CI_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
SLOW = settings(
    max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


@CI
@given(pair=pairs())
def test_diff_applied_reaches_the_target(pg: Cluster, pair: tuple[Spec, Spec]) -> None:
    _run(_check_pair(pg, *pair))


@pytest.mark.slow
def test_diff_applied_reaches_the_target_many(pg: Cluster, request: pytest.FixtureRequest) -> None:
    """The same property over many more examples: `pytest -m slow`."""

    @SLOW
    @given(pair=pairs())
    def run(pair: tuple[Spec, Spec]) -> None:
        _run(_check_pair(pg, *pair))

    run()
