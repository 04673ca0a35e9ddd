"""Constraint and index changes: add, drop, validate, rename, create, drop concurrently."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from studio.model import Constraint, ConstraintKind, Index, qualname, quote_ident
from studio.model.changes.base import (
    NO_DEPS,
    Change,
    Deps,
    alter_table,
    attached_key,
    col_key,
    con_key,
    rel_key,
    schema_of,
    strip_statement,
    valid_key,
)

_INDEX_HEAD = re.compile(r"^CREATE (UNIQUE )?INDEX ", re.IGNORECASE)


def _index_backed(c: Constraint) -> bool:
    return c.kind in (ConstraintKind.PRIMARY_KEY, ConstraintKind.UNIQUE, ConstraintKind.EXCLUSION)


@dataclass(frozen=True, slots=True)
class AddConstraint(Change):
    """ALTER TABLE ... ADD CONSTRAINT name <pg_get_constraintdef()> (NOT VALID kept as it is).

    `only`: a key of a partitioned table made on the parent alone (ALTER TABLE
    ONLY), its index invalid until each partition's key is attached to it.
    """

    table: str
    constraint: Constraint
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)
    only: bool = False

    def sql(self) -> tuple[str, ...]:
        c = self.constraint
        action = f"ADD CONSTRAINT {quote_ident(c.name)} {c.definition}"
        return (alter_table(self.table, action, only=self.only),)

    def describe(self) -> str:
        c = self.constraint
        return f"add {c.kind.name.lower().replace('_', ' ')} {quote_ident(c.name)} on {self.table}"

    def inverse(self) -> Change:
        return DropConstraint(self.table, self.constraint)

    @property
    def targets(self) -> tuple[str, ...]:
        ref = self.constraint.ref_table
        return (self.table,) if ref is None or ref == self.table else (self.table, ref)

    @property
    def provides(self) -> frozenset[str]:
        keys = {con_key(self.table, self.constraint.name)}
        if _index_backed(self.constraint):
            keys.add(rel_key(qualname(schema_of(self.table), self.constraint.name)))
        return frozenset(keys)

    def _structural_requires(self) -> frozenset[str]:
        c = self.constraint
        keys = {rel_key(self.table)} | {col_key(self.table, n) for n in c.columns}
        if c.ref_table:
            keys.add(rel_key(c.ref_table))
            keys |= {col_key(c.ref_table, n) for n in c.ref_columns}
        return frozenset(keys)


@dataclass(frozen=True, slots=True)
class DropConstraint(Change):
    """ALTER TABLE ... DROP CONSTRAINT name (a key takes its partitions' attached keys along)."""

    table: str
    constraint: Constraint
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)
    # qualified names of the partitions' indexes attached to the key's index
    attached: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.table, f"DROP CONSTRAINT {quote_ident(self.constraint.name)}"),)

    def describe(self) -> str:
        c = self.constraint
        return f"drop {c.kind.name.lower().replace('_', ' ')} {quote_ident(c.name)} on {self.table}"

    def inverse(self) -> Change:
        return AddConstraint(self.table, self.constraint)

    @property
    def targets(self) -> tuple[str, ...]:
        ref = self.constraint.ref_table
        return (self.table,) if ref is None or ref == self.table else (self.table, ref)

    @property
    def removes(self) -> frozenset[str]:
        keys = {con_key(self.table, self.constraint.name)}
        if _index_backed(self.constraint):
            keys.add(rel_key(qualname(schema_of(self.table), self.constraint.name)))
        return frozenset(keys | {rel_key(i) for i in self.attached})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})

    def _structural_uses(self) -> frozenset[str]:
        c = self.constraint
        keys = {col_key(self.table, n) for n in c.columns}
        if c.ref_table:
            keys.add(rel_key(c.ref_table))
            keys |= {col_key(c.ref_table, n) for n in c.ref_columns}
        return frozenset(keys)


@dataclass(frozen=True, slots=True)
class ValidateConstraint(Change):
    """ALTER TABLE ... VALIDATE CONSTRAINT (scans, but lets reads and writes go on)."""

    table: str
    name: str

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.table, f"VALIDATE CONSTRAINT {quote_ident(self.name)}"),)

    def describe(self) -> str:
        return f"validate constraint {quote_ident(self.name)} on {self.table}"

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({con_key(self.table, self.name)})


@dataclass(frozen=True, slots=True)
class RenameConstraint(Change):
    """ALTER TABLE ... RENAME CONSTRAINT (the backing index of a key follows)."""

    _renames = True

    table: str
    old_name: str
    new_name: str

    def sql(self) -> tuple[str, ...]:
        return (
            alter_table(
                self.table,
                f"RENAME CONSTRAINT {quote_ident(self.old_name)} TO {quote_ident(self.new_name)}",
            ),
        )

    def describe(self) -> str:
        return (
            f"rename constraint {quote_ident(self.old_name)} on {self.table}"
            f" to {quote_ident(self.new_name)}"
        )

    def inverse(self) -> Change:
        return RenameConstraint(self.table, self.new_name, self.old_name)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({con_key(self.table, self.new_name)})

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({con_key(self.table, self.old_name)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})


@dataclass(frozen=True, slots=True)
class CreateIndex(Change):
    """CREATE INDEX from pg_get_indexdef().

    `concurrently` (set by the planner) leaves the transaction.

    `only` (set by the planner, for a partitioned table) keeps `ON ONLY parent`:
    the index is made in the catalog only, invalid until an index of every
    partition is attached to it (`AttachIndexPartition`).
    """

    table: str
    index: Index
    concurrently: bool = False
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)
    only: bool = False

    def sql(self) -> tuple[str, ...]:
        text = strip_statement(self.index.definition)
        # an index of a partitioned table reads `ON ONLY parent`: build it on the partitions too
        text = text.replace(" ON ONLY ", " ON ", 1)
        if self.only:
            text = text.replace(" ON ", " ON ONLY ", 1)
        if self.concurrently:
            text = _INDEX_HEAD.sub(lambda m: f"CREATE {m[1] or ''}INDEX CONCURRENTLY ", text, 1)
        return (text,)

    def describe(self) -> str:
        unique = "unique " if self.index.unique else ""
        only = "only " if self.only else ""
        tail = " (invalid until its partitions' indexes are attached)" if self.only else ""
        return f"create {unique}index {quote_ident(self.index.name)} on {only}{self.table}{tail}"

    @property
    def transactional(self) -> bool:
        return not self.concurrently

    def inverse(self) -> Change:
        return DropIndex(self.table, self.index, self.concurrently)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({rel_key(qualname(schema_of(self.table), self.index.name))})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})


@dataclass(frozen=True, slots=True)
class AttachIndexPartition(Change):
    """ALTER INDEX parent_index ATTACH PARTITION partition_index (catalog only).

    The partitioned table's index (made `ON ONLY`) becomes valid once an
    index of each of its partitions is attached. There is no DETACH for an
    index: dropping the parent index drops the attached ones.
    """

    table: str
    index: str
    partition: str
    partition_index: str

    def sql(self) -> tuple[str, ...]:
        parent = qualname(schema_of(self.table), self.index)
        child = qualname(schema_of(self.partition), self.partition_index)
        return (f"ALTER INDEX {parent} ATTACH PARTITION {child}",)

    def describe(self) -> str:
        return (
            f"attach index {quote_ident(self.partition_index)} of {self.partition} "
            f"to index {quote_ident(self.index)} of {self.table}"
        )

    def inverse(self) -> Change | None:
        return None  # PostgreSQL has no DETACH for an index

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table, self.partition)

    @property
    def provides(self) -> frozenset[str]:
        # the parent index is whole (valid) once every partition's index is attached:
        # a foreign key referencing it waits for all of them
        return frozenset({valid_key(qualname(schema_of(self.table), self.index))})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset(
            {
                rel_key(qualname(schema_of(self.table), self.index)),
                rel_key(qualname(schema_of(self.partition), self.partition_index)),
                # only an index of a partition can be attached
                attached_key(self.partition),
            }
        )


@dataclass(frozen=True, slots=True)
class DropIndex(Change):
    """DROP INDEX [CONCURRENTLY] (a partitioned index takes its partitions' attached ones along)."""

    table: str
    index: Index
    concurrently: bool = False
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)
    # qualified names of the partitions' indexes attached to it
    attached: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        how = "CONCURRENTLY " if self.concurrently else ""
        return (f"DROP INDEX {how}{qualname(schema_of(self.table), self.index.name)}",)

    def describe(self) -> str:
        return f"drop index {quote_ident(self.index.name)} on {self.table}"

    @property
    def transactional(self) -> bool:
        return not self.concurrently

    def inverse(self) -> Change:
        return CreateIndex(self.table, self.index, self.concurrently)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def removes(self) -> frozenset[str]:
        own = rel_key(qualname(schema_of(self.table), self.index.name))
        return frozenset({own} | {rel_key(i) for i in self.attached})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})


@dataclass(frozen=True, slots=True)
class RenameIndex(Change):
    """ALTER INDEX ... RENAME TO (only from a rename hint)."""

    _renames = True

    table: str
    old_name: str
    new_name: str

    def sql(self) -> tuple[str, ...]:
        old = qualname(schema_of(self.table), self.old_name)
        return (f"ALTER INDEX {old} RENAME TO {quote_ident(self.new_name)}",)

    def describe(self) -> str:
        return (
            f"rename index {quote_ident(self.old_name)} on {self.table}"
            f" to {quote_ident(self.new_name)}"
        )

    def inverse(self) -> Change:
        return RenameIndex(self.table, self.new_name, self.old_name)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({rel_key(qualname(schema_of(self.table), self.new_name))})

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({rel_key(qualname(schema_of(self.table), self.old_name))})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})
