"""State one diff run shares between the per-kind comparators."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from studio.diff.refs import RefIndex
from studio.model.changes import Change, Deps, SetComment
from studio.model.changes.base import fn_key

if TYPE_CHECKING:
    from studio.model import Schema, Table


@dataclass
class Context:
    """The two schemas, their reference indexes, and what earlier comparators decided."""

    old: Schema
    new: Schema
    with_privileges: bool = False
    server_version: int | None = None
    # the old schema before rename hints were applied (what drops that run first carry)
    original: Schema | None = None
    out: list[Change] = field(default_factory=list)
    # columns (col keys) whose type changes or that are dropped and added again:
    # views reading them must be dropped before and created after
    rebuilt_columns: set[str] = field(default_factory=set)
    # relations (qualified) and functions (keys) dropped and created again
    recreated: set[str] = field(default_factory=set)
    recreated_functions: set[str] = field(default_factory=set)
    # enums recreated (qualified) and the columns they re-cast (col keys)
    recast_enums: set[str] = field(default_factory=set)
    recast_columns: set[str] = field(default_factory=set)
    # (table, columns) of primary keys, unique constraints and unique indexes dropped
    # or replaced: foreign keys referencing them must be dropped first and re-added
    released_keys: set[tuple[str, tuple[str, ...]]] = field(default_factory=set)
    # dependency keys of objects kept on both sides that are dropped and created
    # again because something they depend on is (studio.diff.depend)
    forced: frozenset[str] = frozenset()
    # partitioned indexes (qualified; a key's index too) created / dropped here, the
    # indexes attached to each on the old side, and the tables attached / detached
    # as partitions (studio.diff.partitions)
    made_indexes: set[str] = field(default_factory=set)
    dropped_indexes: set[str] = field(default_factory=set)
    old_attached: dict[str, list[str]] = field(default_factory=dict)
    attaching: set[str] = field(default_factory=set)
    detaching: set[str] = field(default_factory=set)
    # PostgreSQL 18: NOT NULL constraint names that tables kept hold
    kept_not_null_names: set[str] = field(default_factory=set)
    # differences no change reaches (no SQL makes them): named by the diff's report
    unreached: list[str] = field(default_factory=list)
    # partitions detached and attached again around a NOT NULL rename (PostgreSQL 18)
    reattached: set[str] = field(default_factory=set)
    old_refs: RefIndex = field(init=False)
    new_refs: RefIndex = field(init=False)
    # the INHERITS children and the partitions of each table of the new side
    new_children: dict[str, list[Table]] = field(init=False)
    new_partitions: dict[str, list[Table]] = field(init=False)

    def __post_init__(self) -> None:
        self.old_refs = RefIndex(self.old)
        self.new_refs = RefIndex(self.new)
        self.new_children, self.new_partitions = {}, {}
        for t in self.new.tables.values():
            for parent in t.inherits:
                self.new_children.setdefault(parent, []).append(t)
            if t.partition_of:
                self.new_partitions.setdefault(t.partition_of, []).append(t)

    def warn(self, unreached: str) -> None:
        """Name a difference between the schemas that no change reaches."""
        self.unreached.append(unreached)

    def add(self, *changes: Change) -> None:
        """Append changes to the result."""
        self.out.extend(changes)

    def calls_recreated(self, *texts: str | None) -> bool:
        """True when an old expression calls a function that is dropped and created again."""
        if not self.recreated_functions:
            return False
        calls = self.old_refs.expr_deps(*texts)
        return any(fn_key(f) in calls for f in self.recreated_functions)

    def new_deps(self, *texts: str | None, types: tuple[str, ...] = ()) -> Deps:
        """What expressions and types of the new schema need created first."""
        keys = self.new_refs.expr_deps(*texts)
        for t in types:
            keys |= self.new_refs.type_deps(t)
        return Deps(requires=frozenset(keys)) if keys else Deps()

    def old_deps(self, *texts: str | None, types: tuple[str, ...] = ()) -> Deps:
        """What expressions and types of the old schema used (dropped only after)."""
        keys = self.old_refs.expr_deps(*texts)
        for t in types:
            keys |= self.old_refs.type_deps(t)
        return Deps(uses=frozenset(keys)) if keys else Deps()

    def comment(
        self,
        kind: str,
        obj: str,
        old: str | None,
        new: str | None,
        *,
        key: str = "",
        table: str | None = None,
        created: bool = False,
    ) -> None:
        """A SetComment when the comment differs (or, on a (re)created object, when it has one)."""
        if created:
            if new is not None:
                self.add(SetComment(kind, obj, new, None, key, table))
        elif old != new:
            self.add(SetComment(kind, obj, new, old, key, table))
