"""Table changes: create, drop, rename, partitions, inheritance, RLS, persistence, options.

Constraints, indexes, triggers and policies are separate changes (see
constraints.py, routines.py) so that foreign keys can be ordered after every
table they reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from studio.changes.base import (
    NO_DEPS,
    Change,
    Deps,
    alter_table,
    col_key,
    con_key,
    def_key,
    nsp_key,
    pol_key,
    rel_key,
    schema_of,
    split_qualified,
    trg_key,
)
from studio.changes.columns import column_sql
from studio.model import Column, Table, qualname, quote_ident, quote_literal

_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9_.\-]+$")


def _option_sql(option: str) -> str:
    """`key=value` of pg_class.reloptions as SQL (the value quoted when it is not a plain word)."""
    key, _, value = option.partition("=")
    return f"{key}={value if _PLAIN_VALUE.match(value) else quote_literal(value)}"


def _partition_column_sql(c: Column, parent: Column | None) -> str | None:
    """`col WITH OPTIONS ...` for a partition column that differs from its parent's, else None."""
    if parent is None:
        return None
    opts = []
    if c.default is not None and c.default != parent.default and c.identity is None:
        opts.append(f"DEFAULT {c.default}")
    if c.not_null and not parent.not_null:
        opts.append("NOT NULL")
    if not opts:
        return None
    return f"{quote_ident(c.name)} WITH OPTIONS {' '.join(opts)}"


@dataclass(frozen=True, slots=True)
class CreateTable(Change):
    """CREATE TABLE with its columns (defaults, identity, generation and NOT NULL inline).

    A partition is created `PARTITION OF` its parent (`parent` given): its
    columns come from the parent, and only those that differ are listed.
    """

    table: Table
    # the parent of a partition (context for the SQL, not part of the change's identity)
    parent: Table | None = field(default=None, compare=False, repr=False)
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        t = self.table
        head = f"CREATE {'UNLOGGED ' if t.unlogged else ''}TABLE {t.key}"
        if t.partition_of is not None:
            cols = [
                s
                for c in t.columns
                if (
                    s := _partition_column_sql(
                        c, self.parent.column(c.name) if self.parent else None
                    )
                )
            ]
            body = " (\n    " + ",\n    ".join(cols) + "\n)" if cols else ""
            text = f"{head} PARTITION OF {t.partition_of}{body} {t.partition_bound or 'DEFAULT'}"
        else:
            # in the catalog's order (the model keeps columns sorted by name)
            ordered = sorted(t.columns, key=lambda c: c.position)
            cols = [
                column_sql(replace(c, not_null=c.not_null and c.not_null_valid)) for c in ordered
            ]
            text = f"{head} (\n    " + ",\n    ".join(cols) + "\n)" if cols else f"{head} ()"
            if t.inherits:
                text += f" INHERITS ({', '.join(t.inherits)})"
        if t.partition_key:
            text += f" PARTITION BY {t.partition_key}"
        if t.options:
            text += f" WITH ({', '.join(_option_sql(o) for o in t.options)})"
        # PostgreSQL 18: a NOT VALID NOT NULL can only be added to an existing table
        later = [
            alter_table(
                t.key,
                f"ADD CONSTRAINT {quote_ident(c.not_null_name)} NOT NULL {quote_ident(c.name)} NOT VALID",
            )
            for c in t.columns
            if c.not_null and not c.not_null_valid and c.not_null_name and t.partition_of is None
        ]
        return (text, *later)

    def describe(self) -> str:
        what = "partition" if self.table.partition_of else "table"
        return f"create {what} {self.table.key}"

    def inverse(self) -> Change:
        return DropTable(self.table)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table.key,)

    @property
    def provides(self) -> frozenset[str]:
        t = self.table
        keys = {rel_key(t.key)} | {col_key(t.key, c.name) for c in t.columns}
        keys |= {def_key(t.key, c.name) for c in t.columns if c.default is not None}
        return frozenset(keys)

    def _structural_requires(self) -> frozenset[str]:
        t = self.table
        keys = {nsp_key(t.schema)} | {rel_key(p) for p in t.inherits}
        if t.partition_of:
            keys.add(rel_key(t.partition_of))
        return frozenset(keys)


@dataclass(frozen=True, slots=True)
class DropTable(Change):
    """DROP TABLE (its indexes, constraints, triggers, policies and owned sequences go with it)."""

    table: Table
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        return (f"DROP TABLE {self.table.key}",)

    def describe(self) -> str:
        return f"drop table {self.table.key}"

    _destructive = True

    def inverse(self) -> Change:
        return CreateTable(self.table)

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


@dataclass(frozen=True, slots=True)
class AttachPartition(Change):
    """ALTER TABLE parent ATTACH PARTITION child FOR VALUES ..."""

    parent: str
    child: str
    bound: str

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.parent, f"ATTACH PARTITION {self.child} {self.bound}"),)

    def describe(self) -> str:
        return f"attach partition {self.child} to {self.parent}"

    def inverse(self) -> Change:
        return DetachPartition(self.parent, self.child, self.bound)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.parent, self.child)

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

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.parent), rel_key(self.child)})

    def _structural_uses(self) -> frozenset[str]:
        return frozenset({rel_key(self.parent)})


@dataclass(frozen=True, slots=True)
class SetInherit(Change):
    """ALTER TABLE ... INHERIT parent / NO INHERIT parent (legacy inheritance)."""

    table: str
    parent: str
    inherit: bool

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.table, f"{'' if self.inherit else 'NO '}INHERIT {self.parent}"),)

    def describe(self) -> str:
        return f"{'inherit' if self.inherit else 'stop inheriting'} {self.parent} in {self.table}"

    def inverse(self) -> Change:
        return SetInherit(self.table, self.parent, not self.inherit)

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
    """ALTER TABLE ... SET LOGGED / SET UNLOGGED (rewrites the table)."""

    table: str
    unlogged: bool

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.table, "SET UNLOGGED" if self.unlogged else "SET LOGGED"),)

    def describe(self) -> str:
        return f"make {self.table} {'unlogged' if self.unlogged else 'logged'}"

    def inverse(self) -> Change:
        return SetLogged(self.table, not self.unlogged)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})


@dataclass(frozen=True, slots=True)
class SetTableOptions(Change):
    """ALTER TABLE / VIEW / MATERIALIZED VIEW ... SET (storage parameters) and RESET (removed ones)."""

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
