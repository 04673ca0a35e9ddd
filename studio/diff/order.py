"""Statement order, decided in one place, and the migration script.

`order()` is a topological sort of the changes on their dependency keys
(`Change.provides/requires/removes/uses/after_removal`): a change runs after
whatever creates what it needs (or removes what must be gone first), a drop
runs before the drop of anything its object used, and an object is dropped
before one of the same name is created. The
catalog's dependency edges of both sides (`Schema.dependencies`) add to
those: what a change creates needs what the new side says it depends on,
and what a change drops goes before what the old side says it depended on.
Among
the changes that are free to run, the one earliest in `PHASES` goes first,
then by target and SQL text, so the same input always gives the same output.
A dependency cycle (which only hand-made inputs produce) is broken by taking
the earliest of its changes in that same order, and reported: `order_report`
names the changes of each cycle it broke, and the diff's warnings say so.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.model import ConstraintKind
from studio.model.changes import (
    AddColumn,
    AddConstraint,
    AddDomainConstraint,
    AddEnumValue,
    AddIdentity,
    AlterColumnType,
    AlterComposite,
    AlterExtensionSchema,
    AlterIdentity,
    AlterOwner,
    AlterPolicy,
    AlterSequence,
    AttachIndexPartition,
    AttachPartition,
    Change,
    CreateComposite,
    CreateDomain,
    CreateEnum,
    CreateExtension,
    CreateFunction,
    CreateIndex,
    CreateObject,
    CreatePolicy,
    CreateSchema,
    CreateSequence,
    CreateTable,
    CreateTrigger,
    CreateView,
    DetachPartition,
    DropColumn,
    DropComposite,
    DropConstraint,
    DropDefault,
    DropDomain,
    DropDomainConstraint,
    DropEnum,
    DropExpression,
    DropExtension,
    DropFunction,
    DropIdentity,
    DropIndex,
    DropNotNull,
    DropObject,
    DropPolicy,
    DropSchema,
    DropSequence,
    DropTable,
    DropTrigger,
    DropView,
    ForceRowLevelSecurity,
    GrantPrivilege,
    RecreateCollation,
    RecreateEnum,
    RenameColumn,
    RenameConstraint,
    RenameIndex,
    RenameTable,
    RevokePrivilege,
    SetAccessMethod,
    SetColumnCompression,
    SetColumnOptions,
    SetColumnStatistics,
    SetColumnStorage,
    SetComment,
    SetDefault,
    SetDomainDefault,
    SetDomainNotNull,
    SetInherit,
    SetLogged,
    SetNotNull,
    SetReplicaIdentity,
    SetRowLevelSecurity,
    SetSequenceOwner,
    SetTableOptions,
    SetTriggerEnabled,
    ValidateConstraint,
    ValidateDomainConstraint,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    Edges = Mapping[str, tuple[str, ...]]

# A foreign key is placed apart from other constraints: dropped first (it
# holds the unique key it references), added last (after that key exists).
_FK = "foreign key"
# SetInherit(inherit=False) leaves with the drops, SetInherit(inherit=True) joins late
_NO_INHERIT = "no inherit"

# The preferred order, top to bottom. Dependencies override it where needed.
PHASES: tuple[tuple[type[Change] | str, ...], ...] = (
    # --- 1. take away what depends on other things, dependents first
    (RevokePrivilege,),
    (DropPolicy, DropTrigger, "drop rule"),
    (DropView,),
    (_FK,),  # DropConstraint of a foreign key
    (DropConstraint,),
    (DropIndex, "drop statistics"),  # statistics go with the columns they read
    (DetachPartition, _NO_INHERIT),  # before the parent's columns change
    (DropColumn,),
    (DropTable,),
    ("drop operator", "drop cast"),
    (DropFunction,),
    (DropSequence,),
    (DropDomain, DropComposite, "drop type"),
    (DropEnum,),
    (DropExtension,),
    (DropSchema,),
    # --- 2. namespaces, then renames (everything after uses the new names)
    (CreateSchema,),
    (CreateExtension, AlterExtensionSchema),
    (RenameTable,),
    (RenameColumn,),
    (RenameConstraint, RenameIndex),
    # --- 3. types and sequences, before the tables using them
    ("create type",),  # collations and text search objects, which types and columns name
    (CreateEnum, AddEnumValue, CreateComposite, AlterComposite),
    (CreateDomain, SetDomainDefault, SetDomainNotNull, DropDomainConstraint),
    (AddDomainConstraint, ValidateDomainConstraint),
    (CreateSequence, AlterSequence),
    # --- 4. tables and columns
    (CreateTable,),
    (AddColumn,),
    (AlterColumnType, RecreateEnum, RecreateCollation),
    # a serial becoming an identity loses its default first; an identity needs NOT NULL
    (DropExpression, DropIdentity, DropDefault),
    (DropNotNull, SetNotNull),
    (AddIdentity, AlterIdentity, SetDefault),
    # a table joins a parent once its columns match the parent's
    (AttachPartition, SetInherit),
    (SetLogged, SetAccessMethod, SetTableOptions, SetRowLevelSecurity),
    (SetColumnStorage, SetColumnCompression, SetColumnStatistics, SetColumnOptions),
    (ForceRowLevelSecurity,),
    (SetSequenceOwner,),
    # --- 5. code, keys, indexes, then what reads them
    (CreateFunction,),
    # over functions; operator families and classes over operators; exclusion
    # constraints and indexes use them
    ("create operator", "create cast"),
    (AddConstraint,),  # primary keys, unique, check, exclusion
    (CreateIndex, "create statistics"),
    (AttachIndexPartition,),  # a partition's index or key to its parent's, made ON ONLY
    (_FK,),  # AddConstraint of a foreign key, after the keys it references
    (ValidateConstraint,),
    # USING INDEX needs the index (or key constraint) built first
    (SetReplicaIdentity,),
    (CreateView,),
    (CreateTrigger, SetTriggerEnabled, "create rule"),
    (CreatePolicy, AlterPolicy),
    # --- 6. annotations
    (SetComment,),
    (GrantPrivilege,),
    (AlterOwner,),
)


# "create operator" -> its group in PHASES, for the changes of catalog objects
_OBJECT_PHASE: dict[str, int] = {}
# a catalog object's kind -> the word its group is named by
_OBJECT_STAGE = {
    "operator": "operator",
    "operator family": "operator",
    "operator class": "operator",
    "cast": "cast",
    "rule": "rule",
    "statistics": "statistics",
}


def _phase_table() -> dict[tuple[type[Change], bool], int]:
    table: dict[tuple[type[Change], bool], int] = {}
    fk_seen = 0
    for i, group in enumerate(PHASES):
        for entry in group:
            if entry == _FK:
                cls = DropConstraint if fk_seen == 0 else AddConstraint
                table[cls, True] = i
                fk_seen += 1
            elif entry == _NO_INHERIT:
                table[SetInherit, True] = i
            elif isinstance(entry, str):
                _OBJECT_PHASE[entry] = i
            elif isinstance(entry, type):
                table.setdefault((entry, False), i)
    return table


_PHASE = _phase_table()


def phase(change: Change) -> int:
    """Index of the change's group in `PHASES`."""
    if isinstance(change, (CreateObject, DropObject)):
        verb = "create" if isinstance(change, CreateObject) else "drop"
        return _OBJECT_PHASE[f"{verb} {_OBJECT_STAGE.get(change.obj.kind, 'type')}"]
    flag = (
        isinstance(change, (AddConstraint, DropConstraint))
        and change.constraint.kind is ConstraintKind.FOREIGN_KEY
    ) or (isinstance(change, SetInherit) and not change.inherit)
    return _PHASE.get((type(change), flag), len(PHASES))


def _priority(change: Change) -> tuple[int, str, str, int, str]:
    target = change.targets[0] if change.targets else ""
    # columns are added in the order the new schema lists them (they cannot move later)
    position = change.column.position if isinstance(change, AddColumn) else 0
    return (phase(change), target, change.kind, position, "\n".join(change.sql()))


def _reached(edges: Edges | None, keys: frozenset[str]) -> frozenset[str]:
    """The keys that the objects `keys` depend on, by `edges`."""
    if not edges or not keys:
        return frozenset()
    out: set[str] = set()
    for k in keys:
        out.update(edges.get(k, ()))
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class OrderReport:
    """The changes in order, and the dependency cycles broken to order them."""

    changes: tuple[Change, ...]
    # each cycle broken: its changes, in the order they run
    cycles: tuple[tuple[Change, ...], ...] = ()

    def warnings(self) -> tuple[str, ...]:
        """One line per cycle broken, naming what is in it."""
        return tuple(
            f"a dependency cycle among {len(cycle)} changes was broken to order them, so their"
            " order may not be one PostgreSQL accepts: " + "; ".join(c.describe() for c in cycle)
            for cycle in self.cycles
        )


def order(
    changes: Iterable[Change], old_edges: Edges | None = None, new_edges: Edges | None = None
) -> list[Change]:
    """The changes in an order PostgreSQL accepts, the same for a given set (`order_report`)."""
    return list(order_report(changes, old_edges, new_edges).changes)


def _components(after: list[set[int]], done: list[bool]) -> tuple[list[list[int]], list[int]]:
    """The strongly connected components of the changes not done (Tarjan's, iterative),
    and each change's component."""
    n = len(after)
    index, low, on_stack, component = [-1] * n, [0] * n, [False] * n, [-1] * n
    stack: list[int] = []
    components: list[list[int]] = []
    visited = 0

    def visit(v: int) -> Iterator[int]:
        nonlocal visited
        index[v] = low[v] = visited
        visited += 1
        stack.append(v)
        on_stack[v] = True
        return iter(sorted(w for w in after[v] if not done[w]))

    for root in (i for i in range(n) if not done[i]):
        if index[root] >= 0:
            continue
        work = [(root, visit(root))]
        while work:
            v, targets = work[-1]
            w = next((w for w in targets if index[w] < 0 or on_stack[w]), None)
            if w is not None and index[w] < 0:
                work.append((w, visit(w)))
            elif w is not None:
                low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    members = [stack.pop()]
                    while members[-1] != v:
                        members.append(stack.pop())
                    for m in members:
                        on_stack[m], component[m] = False, len(components)
                    components.append(members)
    return components, component


def _stuck_cycle(
    after: list[set[int]], done: list[bool], rank: Callable[[int], tuple[object, ...]]
) -> list[int]:
    """A cycle among the changes not done when none is free to run: a strongly connected
    component that nothing outside it waits on; of several, the one whose earliest
    change by `rank` is earliest."""
    components, component = _components(after, done)
    entered = {
        component[j]
        for i, targets in enumerate(after)
        if not done[i]
        for j in targets
        if not done[j] and component[j] != component[i]
    }
    sources = [c for k, c in enumerate(components) if k not in entered and len(c) > 1]
    if not sources:  # cannot be: a change nothing waits on would be free to run
        return [i for i in range(len(after)) if not done[i]]
    return min(sources, key=lambda c: min(rank(i) for i in c))


def order_report(
    changes: Iterable[Change], old_edges: Edges | None = None, new_edges: Edges | None = None
) -> OrderReport:
    """The changes in an order PostgreSQL accepts, and the dependency cycles broken for it.

    Args:
        old_edges: the old schema's `dependencies`: a drop runs before the drops of
            what its object depended on.
        new_edges: the new schema's: a creation runs after the creations of what its
            object depends on.
    """
    items = list(changes)
    n = len(items)
    providers: defaultdict[str, list[int]] = defaultdict(list)
    removers: defaultdict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(items):
        for k in c.provides:
            providers[k].append(i)
        for k in c.removes:
            removers[k].append(i)
    after: list[set[int]] = [set() for _ in range(n)]  # after[i]: what must wait for i

    def edge(first: int, then: int) -> None:
        if first != then:
            after[first].add(then)

    for i, c in enumerate(items):
        for k in c.requires | _reached(new_edges, c.creates):
            for j in providers.get(k, ()):
                edge(j, i)
        for k in c.uses | _reached(old_edges, c.removes):
            for j in removers.get(k, ()):
                edge(i, j)
        for k in c.after_removal:
            for j in removers.get(k, ()):
                edge(j, i)
        for k in c.removes:
            if k in c.provides:
                continue  # rebuilt in place (a type change), not dropped and created
            for j in providers.get(k, ()):
                edge(i, j)
    waiting = [0] * n
    for targets in after:
        for j in targets:
            waiting[j] += 1
    prio = [_priority(c) for c in items]
    ready = [(prio[i], i) for i in range(n) if waiting[i] == 0]
    heapq.heapify(ready)
    done = [False] * n
    out: list[Change] = []
    position: dict[int, int] = {}
    cycles: list[list[int]] = []
    while len(out) < n:
        if not ready:  # a cycle: release its earliest change
            cycle = _stuck_cycle(after, done, lambda i: (prio[i], i))
            i = min(cycle, key=lambda i: (prio[i], i))
            waiting[i] = 0
            heapq.heappush(ready, (prio[i], i))
            # a cycle left within one already broken is part of it
            if not any(set(cycle) <= set(c) for c in cycles):
                cycles.append(cycle)
        _, i = heapq.heappop(ready)
        if done[i]:
            continue
        done[i] = True
        position[i] = len(out)
        out.append(items[i])
        for j in after[i]:
            waiting[j] -= 1
            if waiting[j] == 0 and not done[j]:
                heapq.heappush(ready, (prio[j], j))
    named = tuple(tuple(items[i] for i in sorted(c, key=position.__getitem__)) for c in cycles)
    return OrderReport(tuple(out), named)


def steps(changes: Sequence[Change]) -> list[tuple[bool, list[Change]]]:
    """Split ordered changes into runs of one transaction or of one change alone.

    A run is (True, changes) for one transaction, (False, [change]) for a change alone.

    A non-transactional change (CONCURRENTLY) stands alone, outside any
    transaction; a change whose result is usable only once committed (a new
    enum value) ends its transaction, together with the ones like it that
    directly follow (several values may be added in one transaction).
    """
    out: list[tuple[bool, list[Change]]] = []
    current: list[Change] = []
    for i, c in enumerate(changes):
        if not c.transactional:
            if current:
                out.append((True, current))
                current = []
            out.append((False, [c]))
            continue
        current.append(c)
        following = changes[i + 1] if i + 1 < len(changes) else None
        if c.commit_before_use and not (following is not None and following.commit_before_use):
            out.append((True, current))
            current = []
    if current:
        out.append((True, current))
    return out


def render_script(changes: Sequence[Change], *, comments: bool = True) -> str:
    """A plain SQL script psql can run as it is: BEGIN/COMMIT around each transactional run.

    `changes` are taken in the order given (see `order`).
    """
    lines: list[str] = []
    for transactional, run in steps(changes):
        if transactional:
            lines.append("BEGIN;")
        for c in run:
            if comments:
                note = " [data loss]" if c.destructive else ""
                lines.append("-- " + " ".join(c.describe().splitlines()) + note)
            lines.extend(f"{s};" for s in c.sql())
        if transactional:
            lines.append("COMMIT;")
        lines.append("")
    return "\n".join(lines)
