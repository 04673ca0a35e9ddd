"""A squash baseline's keys and foreign keys, written inside the CREATE TABLEs they belong to.

The diff adds every constraint after the tables (as pg_dump does), so that a
foreign key comes after the table it references whatever their order. For a
baseline run on an empty database that costs: ALTER TABLE ... ADD FOREIGN KEY
checks the existing rows with a query joining both tables (RI_Initial_Check),
empty or not, 2.5-4.8 s of server time for 999 foreign keys, where a foreign
key declared inside CREATE TABLE is taken as valid without a look (the table
is new). So, in the baseline only:

- a primary key, unique or check constraint of a plain table (not
  partitioned, not a partition, no INHERITS parent or child) moves into its
  CREATE TABLE when all it depends on exists there (a check calling a
  function made later stays after);
- a foreign key of such a table moves into its CREATE TABLE when the table it
  references was created earlier in the baseline with the referenced key
  inside its own CREATE TABLE. A self-reference, a cycle, a key left out and
  a NOT VALID foreign key stay ALTER TABLE ... ADD CONSTRAINT.

`squash` replays the baseline and compares the schema it builds with the
migrations' replay, so a constraint that would come out differently is caught
before anything is written.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from studio.model import ConstraintKind
from studio.model.changes import AddConstraint, CreateTable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from studio.model import Constraint
    from studio.model.changes import Change

_KEYS = (ConstraintKind.PRIMARY_KEY, ConstraintKind.UNIQUE)
_INLINE = (*_KEYS, ConstraintKind.CHECK, ConstraintKind.FOREIGN_KEY)


def _plain(changes: Sequence[Change]) -> dict[str, int]:
    """The position of each plain table's CREATE TABLE (no partitioning, no inheritance)."""
    creates = {c.table.key: (i, c) for i, c in enumerate(changes) if isinstance(c, CreateTable)}
    related: set[str] = set()
    for _, c in creates.values():
        t = c.table
        if t.inherits or t.partition_of or t.partition_key:
            related |= {t.key, *t.inherits, *((t.partition_of,) if t.partition_of else ())}
    return {
        key: i
        for key, (i, c) in creates.items()
        if key not in related and not c.constraints and not c.attached
    }


class _Baseline:
    """The baseline's changes as positions: where each table is made, where each key first is."""

    def __init__(self, changes: Sequence[Change]) -> None:
        self.changes = changes
        self.created = _plain(changes)
        self.first: dict[str, int] = {}
        for i, c in enumerate(changes):
            for key in c.provides:
                self.first.setdefault(key, i)
        # the keys (as column sets) each table declares inside its CREATE TABLE, which from
        # then exist (with their indexes) where the table is made
        self.keys: dict[str, set[frozenset[str]]] = {}
        for c in changes:
            if isinstance(c, AddConstraint) and c.constraint.kind in _KEYS and self.inlined(c):
                self.keys.setdefault(c.table, set()).add(frozenset(c.constraint.columns))
                for key in c.provides:
                    self.first[key] = min(self.first[key], self.created[c.table])

    def inlined(self, a: AddConstraint) -> bool:
        """Whether `a` goes inside its table's CREATE TABLE.

        Everything it needs must exist there: what the CREATE TABLE makes, what
        the baseline makes before it, or what it does not make (the server's).
        A check calling a function made after the table stays where it is.
        """
        c = a.constraint
        at = self.created.get(a.table)
        if at is None or a.only or not c.validated or c.kind not in _INLINE:
            return False
        if any(self.first.get(k, -1) > at for k in a.requires):
            return False
        if c.kind is not ConstraintKind.FOREIGN_KEY:
            return True
        ref = c.ref_table
        return (
            ref is not None
            and ref != a.table
            and self.created.get(ref, at) < at
            and frozenset(c.ref_columns) in self.keys.get(ref, set())
        )


def inline_constraints(changes: Sequence[Change]) -> list[Change]:
    """The baseline's changes with keys, checks and foreign keys moved into their CREATE TABLEs."""
    baseline = _Baseline(changes)
    moved: dict[str, list[Constraint]] = {}
    out: list[Change] = []
    for c in changes:
        if isinstance(c, AddConstraint) and baseline.inlined(c):
            moved.setdefault(c.table, []).append(c.constraint)
        else:
            out.append(c)
    return [
        replace(c, constraints=tuple(moved[c.table.key]))
        if isinstance(c, CreateTable) and c.table.key in moved
        else c
        for c in out
    ]
