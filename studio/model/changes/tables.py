"""Table changes: create, drop, rename, partitions, inheritance, RLS, persistence, options.

Constraints, indexes, triggers and policies are separate changes (see
constraints.py, routines.py) so that foreign keys can be ordered after every
table they reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from studio.model import (
    Column,
    Constraint,
    ConstraintKind,
    Table,
    make_object_name,
    qualname,
    quote_ident,
    quote_literal,
)
from studio.model.changes.base import (
    NO_DEPS,
    Change,
    Deps,
    alter_table,
    attached_key,
    col_key,
    con_key,
    def_key,
    detached_key,
    nsp_key,
    pol_key,
    rel_key,
    schema_of,
    split_qualified,
    trg_key,
)
from studio.model.changes.columns import column_sql

_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9_.\-]+$")


def _option_sql(option: str) -> str:
    """`key=value` of pg_class.reloptions as SQL (the value quoted when it is not a plain word)."""
    key, _, value = option.partition("=")
    return f"{key}={value if _PLAIN_VALUE.match(value) else quote_literal(value)}"


def _partition_column(c: Column, parent: Table) -> str:
    """A partition's column, as its parent will take it at ATTACH PARTITION.

    PostgreSQL 17+ refuses to attach a table with an identity column (the
    partition takes the parent's), and 18 keeps the NOT NULL constraint names
    the partition has (the syntax is accepted, the name ignored, before 18).
    """
    p = parent.column(c.name)
    if p is not None and p.identity is not None:
        c = replace(c, identity=None)
    text = column_sql(replace(c, not_null=False))
    if c.not_null:
        name = c.not_null_name
        text += f" CONSTRAINT {quote_ident(name)} NOT NULL" if name else " NOT NULL"
    return text


def _inherited_checks(parent: Table) -> list[str]:
    """The parent's CHECK constraints a table must have before ATTACH PARTITION takes it."""
    return [
        f"CONSTRAINT {quote_ident(c.name)} {c.definition}"
        for c in parent.constraints
        if c.kind is ConstraintKind.CHECK and not c.no_inherit
    ]


def _from_parent(c: Column, parents: tuple[Table, ...]) -> Column | None:
    """The parent's column an INHERITS child's column only inherits (not attislocal), if any.

    CREATE TABLE leaves such a column out (naming it would declare it, as pg_dump
    would show); what the child sets on it itself follows (ALTER TABLE ONLY ...).
    """
    if not c.inherited:
        return None
    return next((x for t in parents if (x := t.column(c.name)) is not None), None)


def _inherited_defaults(t: Table, parents: tuple[Table, ...]) -> list[str]:
    """ALTER TABLE ONLY ... SET / DROP DEFAULT for inherited columns.

    For the columns whose default is the child's own.
    """
    out = []
    for c in t.columns:
        p = _from_parent(c, parents)
        if p is not None and p.default != c.default:
            action = f"SET DEFAULT {c.default}" if c.default is not None else "DROP DEFAULT"
            out.append(
                alter_table(t.key, f"ALTER COLUMN {quote_ident(c.name)} {action}", only=True)
            )
    return out


def _inherited_not_nulls(t: Table, parents: tuple[Table, ...]) -> list[str]:
    """NOT NULL on inherited columns that the child has and no parent gives it."""
    out = []
    for c in t.columns:
        if not c.not_null or _from_parent(c, parents) is None:
            continue
        if any((p := x.column(c.name)) is not None and p.not_null for x in parents):
            continue
        if c.not_null_name is None and c.not_null_valid:
            out.append(alter_table(t.key, f"ALTER COLUMN {quote_ident(c.name)} SET NOT NULL"))
            continue
        name = c.not_null_name or make_object_name(t.name, c.name, "not_null")
        tail = "" if c.not_null_valid else " NOT VALID"
        action = f"ADD CONSTRAINT {quote_ident(name)} NOT NULL {quote_ident(c.name)}{tail}"
        out.append(alter_table(t.key, action))
    return out


@dataclass(frozen=True, slots=True)
class CreateTable(Change):
    """CREATE TABLE with its columns (defaults, identity, generation and NOT NULL inline).

    A partition is made as a table of its own (`parent`: the table it goes
    to), with the parent's CHECK constraints, then attached by
    `AttachPartition` once its indexes and keys exist: ATTACH PARTITION takes
    the matching ones as they are, under their names, where CREATE TABLE ...
    PARTITION OF would make its own under names PostgreSQL chooses (pg_dump
    builds partitions the same way). An INHERITS child lists only its own
    columns (`inherits_from`: its parents).

    `constraints`: keys and foreign keys written inside the CREATE TABLE
    instead of added after it (a squash baseline's, see
    `studio.commands.squash_inline`): a foreign key declared there is not checked
    against the rows, where ALTER TABLE ... ADD FOREIGN KEY queries both
    tables even when they are empty.
    """

    table: Table
    # the parent of a partition, the parents of an INHERITS child (context for the SQL)
    parent: Table | None = field(default=None, compare=False, repr=False)
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)
    inherits_from: tuple[Table, ...] = field(default=(), compare=False, repr=False)
    # a partition made attached (CREATE TABLE ... PARTITION OF): the inverse of its
    # drop, where no AttachPartition follows and the parent is not at hand
    attached: bool = False
    constraints: tuple[Constraint, ...] = ()

    def sql(self) -> tuple[str, ...]:
        t = self.table
        if self.attached and t.partition_of is not None:
            return (_partition_of_sql(t),)
        head = f"CREATE {'UNLOGGED ' if t.unlogged else ''}TABLE {t.key}"
        # in the catalog's order (the model keeps columns sorted by name)
        ordered = sorted(t.columns, key=lambda c: c.position)
        if t.partition_of is not None and self.parent is not None:
            cols = [_partition_column(c, self.parent) for c in ordered]
            cols += _inherited_checks(self.parent)
        else:
            cols = [
                column_sql(replace(c, not_null=c.not_null and c.not_null_valid))
                for c in ordered
                if _from_parent(c, self.inherits_from) is None
            ]
        cols += [f"CONSTRAINT {quote_ident(c.name)} {c.definition}" for c in self.constraints]
        text = f"{head} (\n    " + ",\n    ".join(cols) + "\n)" if cols else f"{head} ()"
        if t.inherits:
            text += f" INHERITS ({', '.join(t.inherits)})"
        text += _table_tail(t)
        # PostgreSQL 18: a NOT VALID NOT NULL can only be added to an existing table
        parents = self.inherits_from
        later = [
            alter_table(
                t.key,
                f"ADD CONSTRAINT {quote_ident(c.not_null_name)}"
                f" NOT NULL {quote_ident(c.name)} NOT VALID",
            )
            for c in t.columns
            if c.not_null
            and not c.not_null_valid
            and c.not_null_name
            and t.partition_of is None
            and _from_parent(c, parents) is None
        ]
        later += _inherited_not_nulls(t, parents)
        return (text, *later, *_inherited_defaults(t, parents))

    def describe(self) -> str:
        t = self.table
        if t.partition_of and self.attached:
            return f"create table {t.key} as a partition of {t.partition_of}"
        if t.partition_of:
            return f"create table {t.key}, to be attached to {t.partition_of}"
        return f"create table {t.key}"

    def inverse(self) -> Change:
        return DropTable(self.table)

    @property
    def targets(self) -> tuple[str, ...]:
        t = self.table
        return (t.key, t.partition_of) if self.attached and t.partition_of else (t.key,)

    @property
    def provides(self) -> frozenset[str]:
        t = self.table
        keys = {rel_key(t.key)} | {col_key(t.key, c.name) for c in t.columns}
        keys |= {def_key(t.key, c.name) for c in t.columns if c.default is not None}
        if self.attached and t.partition_of:
            keys.add(attached_key(t.key))
        for c in self.constraints:
            keys.add(con_key(t.key, c.name))
            if c.kind in (ConstraintKind.PRIMARY_KEY, ConstraintKind.UNIQUE):
                keys.add(rel_key(qualname(t.schema, c.name)))
        return frozenset(keys)

    def _structural_requires(self) -> frozenset[str]:
        t = self.table
        keys = {nsp_key(t.schema)} | {rel_key(p) for p in t.inherits}
        if t.partition_of:
            keys.add(rel_key(t.partition_of))
        for c in self.constraints:
            if c.ref_table and c.ref_table != t.key:
                keys.add(rel_key(c.ref_table))
                keys |= {col_key(c.ref_table, n) for n in c.ref_columns}
        return frozenset(keys)


def _table_tail(t: Table) -> str:
    """PARTITION BY, USING and WITH of a CREATE TABLE, as the table has them."""
    text = f" PARTITION BY {t.partition_key}" if t.partition_key else ""
    if t.access_method:
        text += f" USING {quote_ident(t.access_method)}"
    if t.options:
        text += f" WITH ({', '.join(_option_sql(o) for o in t.options)})"
    return text


def _partition_of_sql(t: Table) -> str:
    """CREATE TABLE ... PARTITION OF parent FOR VALUES ...: the parent's columns, keys,
    indexes and CHECK constraints come with it; its own defaults and NOT NULLs follow."""
    options = []
    for c in sorted(t.columns, key=lambda c: c.position):
        parts = []
        if c.default is not None and c.generated is None and c.identity is None:
            parts.append(f"DEFAULT {c.default}")
        if c.not_null and c.not_null_valid:
            named = f"CONSTRAINT {quote_ident(c.not_null_name)} " if c.not_null_name else ""
            parts.append(f"{named}NOT NULL")
        if parts:
            options.append(f"{quote_ident(c.name)} WITH OPTIONS {' '.join(parts)}")
    head = f"CREATE {'UNLOGGED ' if t.unlogged else ''}TABLE {t.key} PARTITION OF {t.partition_of}"
    if options:
        head += " (\n    " + ",\n    ".join(options) + "\n)"
    return f"{head} {t.partition_bound or 'DEFAULT'}{_table_tail(t)}"


def partition_of(table: Table, parent: Table | None) -> tuple[CreateTable, AttachPartition]:
    """A new partition: made as a table of its own, then attached (see CreateTable)."""
    assert table.partition_of is not None
    return CreateTable(table, parent), AttachPartition(
        table.partition_of, table.key, table.partition_bound or "DEFAULT"
    )


@dataclass(frozen=True, slots=True)
class DropTable(Change):
    """DROP TABLE (its indexes, constraints, triggers, policies and owned sequences go with it).

    `recreated`: why the table is dropped to be created again (no ALTER makes
    a table partitioned, or plain, or changes its partition key): its rows go.
    """

    table: Table
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)
    recreated: str | None = None

    def sql(self) -> tuple[str, ...]:
        return (f"DROP TABLE {self.table.key}",)

    def describe(self) -> str:
        if self.recreated:
            return (
                f"drop table {self.table.key} to create it again {self.recreated}"
                " (its rows are not carried over)"
            )
        return f"drop table {self.table.key}"

    _destructive = True

    def inverse(self) -> Change:
        # a partition comes back attached, with what its parent gives its partitions
        return CreateTable(self.table, attached=self.table.partition_of is not None)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table.key,)

    @property
    def removes(self) -> frozenset[str]:
        t = self.table
        schema = t.schema
        keys = {rel_key(t.key)} | {col_key(t.key, c.name) for c in t.columns}
        keys |= {def_key(t.key, c.name) for c in t.columns if c.default is not None}
        keys |= {con_key(t.key, c.name) for c in t.constraints}
        keys |= {rel_key(qualname(schema, c.index)) for c in t.constraints if c.index}
        keys |= {rel_key(qualname(schema, i.name)) for i in t.indexes}
        # its triggers and policies go with it
        keys |= {trg_key(t.key, g.name) for g in t.triggers}
        keys |= {pol_key(t.key, p.name) for p in t.policies}
        return frozenset(keys)

    def _structural_uses(self) -> frozenset[str]:
        t = self.table
        keys = {rel_key(p) for p in t.inherits}
        if t.partition_of:
            keys.add(rel_key(t.partition_of))
        for c in t.constraints:
            if c.ref_table and c.ref_table != t.key:
                keys.add(rel_key(c.ref_table))
        return frozenset(keys)


@dataclass(frozen=True, slots=True)
class RenameTable(Change):
    """ALTER TABLE ... RENAME TO (and SET SCHEMA when it moves), only from a rename hint."""

    _renames = True

    old: str
    new: str

    def sql(self) -> tuple[str, ...]:
        (old_schema, old_name), (new_schema, new_name) = (
            split_qualified(self.old),
            split_qualified(self.new),
        )
        out = []
        current = self.old
        if old_schema != new_schema:
            out.append(alter_table(current, f"SET SCHEMA {quote_ident(new_schema)}"))
            current = f"{quote_ident(new_schema)}.{quote_ident(old_name)}"
        if old_name != new_name:
            out.append(alter_table(current, f"RENAME TO {quote_ident(new_name)}"))
        return tuple(out)

    def describe(self) -> str:
        return f"rename table {self.old} to {self.new}"

    def inverse(self) -> Change:
        return RenameTable(self.new, self.old)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.old,)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({rel_key(self.new)})

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({rel_key(self.old)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({nsp_key(schema_of(self.new))})

    def _structural_uses(self) -> frozenset[str]:
        # a table moving out of a schema the migration drops leaves it first
        return frozenset({nsp_key(schema_of(self.old))})


@dataclass(frozen=True, slots=True)
class AttachPartition(Change):
    """ALTER TABLE parent ATTACH PARTITION child FOR VALUES ...

    PostgreSQL attaches the child's matching indexes and keys to the
    parent's (and makes the missing ones): `deps` requires the child's own,
    so that they exist first and keep their names.
    """

    parent: str
    child: str
    bound: str
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.parent, f"ATTACH PARTITION {self.child} {self.bound}"),)

    def describe(self) -> str:
        return f"attach partition {self.child} to {self.parent}"

    def inverse(self) -> Change:
        return DetachPartition(self.parent, self.child, self.bound)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.parent, self.child)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({attached_key(self.child)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.parent), rel_key(self.child)})


@dataclass(frozen=True, slots=True)
class DetachPartition(Change):
    """ALTER TABLE parent DETACH PARTITION child."""

    parent: str
    child: str
    bound: str

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.parent, f"DETACH PARTITION {self.child}"),)

    def describe(self) -> str:
        return f"detach partition {self.child} from {self.parent}"

    def inverse(self) -> Change:
        return AttachPartition(self.parent, self.child, self.bound)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.parent, self.child)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({detached_key(self.child)})

    def _structural_requires(self) -> frozenset[str]:
        # not the parent: the old one it leaves, which may be dropped and made again after
        return frozenset({rel_key(self.child)})

    def _structural_uses(self) -> frozenset[str]:
        return frozenset({rel_key(self.parent)})


@dataclass(frozen=True, slots=True)
class SetInherit(Change):
    """ALTER TABLE ... INHERIT parent / NO INHERIT parent (legacy inheritance)."""

    table: str
    parent: str
    inherit: bool
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.table, f"{'' if self.inherit else 'NO '}INHERIT {self.parent}"),)

    def describe(self) -> str:
        return f"{'inherit' if self.inherit else 'stop inheriting'} {self.parent} in {self.table}"

    def inverse(self) -> Change:
        return SetInherit(self.table, self.parent, not self.inherit)

    @property
    def provides(self) -> frozenset[str]:
        # what the child drops of its parent's waits for NO INHERIT (until then it is inherited)
        return frozenset() if self.inherit else frozenset({detached_key(self.table)})

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table, self.parent)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table), rel_key(self.parent)})

    def _structural_uses(self) -> frozenset[str]:
        return frozenset() if self.inherit else frozenset({rel_key(self.parent)})


@dataclass(frozen=True, slots=True)
class SetRowLevelSecurity(Change):
    """ALTER TABLE ... ENABLE / DISABLE ROW LEVEL SECURITY."""

    table: str
    enabled: bool

    def sql(self) -> tuple[str, ...]:
        return (
            alter_table(
                self.table, f"{'ENABLE' if self.enabled else 'DISABLE'} ROW LEVEL SECURITY"
            ),
        )

    def describe(self) -> str:
        return f"{'enable' if self.enabled else 'disable'} row level security on {self.table}"

    def inverse(self) -> Change:
        return SetRowLevelSecurity(self.table, not self.enabled)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})


@dataclass(frozen=True, slots=True)
class ForceRowLevelSecurity(Change):
    """ALTER TABLE ... [NO] FORCE ROW LEVEL SECURITY (policies apply to the owner too)."""

    table: str
    forced: bool

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.table, f"{'' if self.forced else 'NO '}FORCE ROW LEVEL SECURITY"),)

    def describe(self) -> str:
        return f"{'force' if self.forced else 'stop forcing'} row level security on {self.table}"

    def inverse(self) -> Change:
        return ForceRowLevelSecurity(self.table, not self.forced)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})


@dataclass(frozen=True, slots=True)
class SetLogged(Change):
    """ALTER TABLE ... SET LOGGED / SET UNLOGGED (rewrites the table).

    A permanent table may not reference an unlogged one, at every step: tables
    a foreign key joins that change together go unlogged referencing side first,
    and logged referenced side first. `deps` requires the `persist:` keys of
    the changes that must come first; each provides its own. The foreign keys
    on the table (either end) that go away are gone first (`deps.gone`), and
    a foreign key added waits for both its ends' `persist:` keys.
    """

    table: str
    unlogged: bool
    deps: Deps = field(default=NO_DEPS, compare=False)

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.table, "SET UNLOGGED" if self.unlogged else "SET LOGGED"),)

    def describe(self) -> str:
        return f"make {self.table} {'unlogged' if self.unlogged else 'logged'}"

    def inverse(self) -> Change:
        return SetLogged(self.table, not self.unlogged)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({persistence_key(self.table)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})


def persistence_key(table: str) -> str:
    """The ordering key of `table`'s SET LOGGED / UNLOGGED (see SetLogged)."""
    return f"persist:{table}"


@dataclass(frozen=True, slots=True)
class SetTableOptions(Change):
    """ALTER TABLE / VIEW / MATERIALIZED VIEW ... SET / RESET storage parameters.

    RESET for the removed ones.
    """

    table: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    relkind: str = "TABLE"

    def sql(self) -> tuple[str, ...]:
        old_keys = {o.partition("=")[0]: o for o in self.old}
        new_keys = {o.partition("=")[0]: o for o in self.new}
        out = []
        reset = [k for k in old_keys if k not in new_keys]
        if reset:
            out.append(f"ALTER {self.relkind} {self.table} RESET ({', '.join(reset)})")
        set_ = [o for k, o in new_keys.items() if old_keys.get(k) != o]
        if set_:
            out.append(
                f"ALTER {self.relkind} {self.table} SET ({', '.join(map(_option_sql, set_))})"
            )
        return tuple(out)

    def describe(self) -> str:
        return f"set storage options of {self.table} to ({', '.join(self.new)})"

    def inverse(self) -> Change:
        return SetTableOptions(self.table, self.new, self.old, self.relkind)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})
