"""The planner: ordered changes rewritten into their online-safe forms, by default.

Each change of the diff becomes one `PlanItem` holding its plain form and,
when one exists, a safe form: a few changes that reach the same schema while
holding the strong locks only briefly (CONCURRENTLY, NOT VALID + VALIDATE,
NOT NULL through a validated CHECK, UNIQUE/PRIMARY KEY through an index built
concurrently). The safe form is chosen unless the user switches the item to
its plain form. Objects created in the same migration are new and empty, so
they keep their plain form: there is nothing to protect.

Pure: no I/O. Lock facts and hazards come from `studio.locks`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.changes import (
    AddConstraint,
    Change,
    CreateIndex,
    CreateTable,
    DropConstraint,
    DropIndex,
    SetNotNull,
    ValidateConstraint,
)
from studio.model import Constraint, ConstraintKind, Index, quote_ident

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from studio.model import Schema


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One change of the diff, in its plain form and (when there is one) its safe form."""

    plain: tuple[Change, ...]
    safe: tuple[Change, ...] | None = None
    use_safe: bool = True
    # why the safe form is safer, one line (shown beside the item)
    why: str = ""

    @property
    def changes(self) -> tuple[Change, ...]:
        """The form that will run."""
        return self.safe if (self.use_safe and self.safe is not None) else self.plain

    @property
    def has_safe_form(self) -> bool:
        """Whether the item can be switched between a plain and a safe form."""
        return self.safe is not None

    def toggled(self) -> PlanItem:
        """The same item switched to its other form."""
        return dataclasses.replace(self, use_safe=not self.use_safe)

    def describe(self) -> str:
        """The plain change's description (what the item achieves)."""
        return self.plain[0].describe()


@dataclass(frozen=True, slots=True)
class Plan:
    """Planned items in order; `changes` flattens the chosen forms."""

    items: tuple[PlanItem, ...]
    server_version: int = 0

    @property
    def changes(self) -> tuple[Change, ...]:
        """Every change that will run, in order."""
        return tuple(c for item in self.items for c in item.changes)

    def with_item(self, index: int, item: PlanItem) -> Plan:
        """A copy with item `index` replaced."""
        items = list(self.items)
        items[index] = item
        return dataclasses.replace(self, items=tuple(items))


def plan(changes: Sequence[Change], old: Schema | None = None, *, server_version: int = 0, safe: bool = True) -> Plan:
    """Plan ordered `changes`: each gets its safe form when one exists (chosen when `safe`)."""
    created = {c.table.key for c in changes if isinstance(c, CreateTable)}
    items = []
    for change in changes:
        form, why = _safe_form(change, created, old, server_version)
        items.append(PlanItem((change,), form, safe and form is not None, why))
    return Plan(tuple(items), server_version)


def _safe_form(
    change: Change, created: set[str], old: Schema | None, server_version: int
) -> tuple[tuple[Change, ...] | None, str]:
    table = getattr(change, "table", None)
    if not isinstance(table, str) or table in created:
        return None, ""  # a table made in this migration is empty and unseen: plain is fine
    if isinstance(change, CreateIndex) and not change.concurrently:
        if _partitioned(old, table):
            return None, ""  # CONCURRENTLY is refused on a partitioned table
        return (dataclasses.replace(change, concurrently=True),), "builds the index without blocking writes"
    if isinstance(change, DropIndex) and not change.concurrently:
        if _partitioned(old, table):
            return None, ""
        return (dataclasses.replace(change, concurrently=True),), "waits for running queries instead of blocking them"
    if isinstance(change, AddConstraint):
        return _safe_constraint(change)
    if isinstance(change, SetNotNull) and change.valid and change.name is None:
        return _safe_not_null(change, old)
    return None, ""


def _partitioned(old: Schema | None, table: str) -> bool:
    t = old.tables.get(table) if old is not None else None
    return t is not None and t.partition_key is not None


def _safe_constraint(change: AddConstraint) -> tuple[tuple[Change, ...] | None, str]:
    c = change.constraint
    if c.kind in (ConstraintKind.FOREIGN_KEY, ConstraintKind.CHECK) and c.validated and not c.no_inherit:
        not_valid = dataclasses.replace(c, definition=f"{c.definition} NOT VALID", validated=False)
        return (
            (dataclasses.replace(change, constraint=not_valid), ValidateConstraint(change.table, c.name)),
            "adds the constraint NOT VALID (brief lock), then validates it without blocking writes",
        )
    if c.kind in (ConstraintKind.UNIQUE, ConstraintKind.PRIMARY_KEY) and _plain_key(c):
        kind = "PRIMARY KEY" if c.kind is ConstraintKind.PRIMARY_KEY else "UNIQUE"
        cols = ", ".join(quote_ident(n) for n in c.columns)
        index = Index(
            name=c.name,
            definition=f"CREATE UNIQUE INDEX {quote_ident(c.name)} ON {change.table} USING btree ({cols})",
            unique=True,
            keys=c.columns,
        )
        using = dataclasses.replace(c, definition=f"{kind} USING INDEX {quote_ident(c.name)}")
        return (
            (CreateIndex(change.table, index, concurrently=True), dataclasses.replace(change, constraint=using)),
            "builds the unique index concurrently, then attaches it as the constraint",
        )
    return None, ""


def _plain_key(c: Constraint) -> bool:
    """A key whose definition is exactly `UNIQUE (cols)` / `PRIMARY KEY (cols)`: USING INDEX can make it."""
    head = "PRIMARY KEY" if c.kind is ConstraintKind.PRIMARY_KEY else "UNIQUE"
    plain = f"{head} ({', '.join(quote_ident(n) for n in c.columns)})"
    return bool(c.columns) and c.definition == plain and not c.deferrable


def _safe_not_null(change: SetNotNull, old: Schema | None) -> tuple[tuple[Change, ...] | None, str]:
    # SET NOT NULL skips its full scan (PostgreSQL 12+) when a validated
    # CHECK (col IS NOT NULL) exists: add it NOT VALID, validate it under
    # SHARE UPDATE EXCLUSIVE, set NOT NULL (catalog only), drop the check.
    name = _check_name(change.table, change.column)
    check = Constraint(
        name=name,
        kind=ConstraintKind.CHECK,
        definition=f"CHECK (({quote_ident(change.column)} IS NOT NULL)) NOT VALID",
        columns=(change.column,),
        validated=False,
    )
    valid_check = dataclasses.replace(check, definition=f"CHECK (({quote_ident(change.column)} IS NOT NULL))", validated=True)
    return (
        (
            AddConstraint(change.table, check),
            ValidateConstraint(change.table, name),
            change,
            DropConstraint(change.table, valid_check),
        ),
        "proves NOT NULL with a CHECK validated without blocking writes, so SET NOT NULL skips its scan",
    )


def _check_name(table: str, column: str) -> str:
    base = table.rsplit(".", 1)[-1].strip('"')
    return f"{base}_{column}_not_null_check"[:63]


def toggle_all(p: Plan, *, safe: bool) -> Plan:
    """Every item switched to its safe (or plain) form."""
    return dataclasses.replace(p, items=tuple(dataclasses.replace(i, use_safe=safe) for i in p.items))


def flatten(items: Iterable[PlanItem]) -> tuple[Change, ...]:
    """The chosen forms of `items`, in order."""
    return tuple(c for item in items for c in item.changes)
