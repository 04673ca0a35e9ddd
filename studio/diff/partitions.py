"""What partitions share with their parent: attached indexes and keys, ATTACH and DETACH.

A partitioned table's index (or key) has one index on each partition attached
to it (pg_inherits on indexes). PostgreSQL makes and attaches them itself when
the parent's index is created, or when a table is attached; but under names it
chooses. So the diff creates a parent's new index `ON ONLY` the parent, each
partition's under its own name, and attaches them (`ALTER INDEX ... ATTACH
PARTITION`), as pg_dump does; a table to be attached gets its indexes and keys
first, and ATTACH PARTITION takes them as they are. Dropping a parent's index
drops the attached ones (there is no DETACH for an index); DETACH PARTITION
leaves the partition's indexes in place, unattached, and its inherited CHECK
constraints as its own.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from studio.diff.expressions import check_shape
from studio.diff.refs import default_not_null_name
from studio.model import Constraint, ConstraintKind, Index, Table, qualname, quote_ident
from studio.model.changes import AttachIndexPartition, AttachPartition, Deps
from studio.model.changes.base import col_key, con_key, detached_key, rel_key, split_qualified

if TYPE_CHECKING:
    from collections.abc import Callable

    from studio.diff.context import Context

_T = TypeVar("_T", Index, Constraint)

KEYS = (ConstraintKind.PRIMARY_KEY, ConstraintKind.UNIQUE, ConstraintKind.EXCLUSION)


def index_shape(i: Index) -> Index:
    """What decides whether an index is rebuilt: not its comment, nor what it is attached to."""
    return replace(i, comment=None, attached_to=None)


def constraint_shape(c: Constraint) -> Constraint:
    """What decides whether a constraint is rebuilt: not its comment, index name or attachment,
    nor a CHECK's spelling that PostgreSQL reads back as another (studio.diff.expressions)."""
    definition = check_shape(c.definition) if c.kind is ConstraintKind.CHECK else c.definition
    return replace(c, definition=definition, comment=None, index=None, attached_to=None)


def key_index(t: Table, c: Constraint) -> str:
    """Qualified name of the index behind a key constraint."""
    return qualname(t.schema, c.index or c.name)


def prepare(ctx: Context) -> None:
    """Note which partitioned indexes are made or dropped, and which tables (de)attached."""
    old, new = ctx.old.tables, ctx.new.tables
    for k, b in new.items():
        was = old.get(k)
        if b.partition_key is not None:
            ctx.made_indexes |= _changed(b, None if k in ctx.recreated else was)
        if b.partition_of and (was is None or _reparented(ctx, was, b)):
            ctx.attaching.add(k)
    for k, a in old.items():
        now = new.get(k)
        if a.partition_of and now is not None and _reparented(ctx, a, now):
            ctx.detaching.add(k)
        if now is not None and k not in ctx.recreated:
            # and those it is renamed to (a table to be attached takes its parent's)
            ctx.kept_not_null_names.update(
                c.not_null_name for t in (a, now) for c in t.columns if c.not_null_name
            )
        for i in a.indexes:
            if i.attached_to:
                ctx.old_attached.setdefault(i.attached_to, []).append(qualname(a.schema, i.name))
        for c in a.constraints:
            if c.attached_to:
                ctx.old_attached.setdefault(c.attached_to, []).append(key_index(a, c))
        if a.partition_key is not None and now is not None and k not in ctx.recreated:
            ctx.dropped_indexes |= _changed(a, now)
    # what is attached to a dropped index goes with it, down every level
    todo = list(ctx.dropped_indexes)
    while todo:
        below = ctx.old_attached.get(todo.pop(), [])
        todo.extend(x for x in below if x not in ctx.dropped_indexes)
        ctx.dropped_indexes.update(below)


def _reparented(ctx: Context, a: Table, b: Table) -> bool:
    """The table leaves its parent or joins another (a parent created again counts)."""
    return (a.partition_of, a.partition_bound) != (b.partition_of, b.partition_bound) or (
        a.partition_of is not None and a.partition_of in ctx.recreated
    )


def _changed(t: Table, other: Table | None) -> set[str]:
    """Qualified names of `t`'s indexes and keys' indexes that `other` lacks or has otherwise."""
    out = set()
    for i in t.indexes:
        o = other.index(i.name) if other else None
        if o is None or index_shape(o) != index_shape(i):
            out.add(qualname(t.schema, i.name))
    for c in t.constraints:
        if c.kind in KEYS:
            oc = other.constraint(c.name) if other else None
            if oc is None or constraint_shape(oc) != constraint_shape(c):
                out.add(key_index(t, c))
    return out


def pin_taken_names(ctx: Context, t: Table) -> Table:
    """A new table whose default NOT NULL names a kept table holds: named explicitly.

    PostgreSQL 18 picks a NOT NULL constraint's default name unique in the
    schema (`t_id_not_null1` when a detached partition kept `t_id_not_null`
    from the table it left), while an explicit name may repeat another table's.
    """
    if (ctx.server_version or 0) < 180000 or not ctx.kept_not_null_names:
        return t
    cols = []
    for c in t.columns:
        name = default_not_null_name(t.name, c.name)
        if c.not_null and c.not_null_name is None and name in ctx.kept_not_null_names:
            c = replace(c, not_null_name=name)
        cols.append(c)
    return replace(t, columns=tuple(cols))


def below(ctx: Context, index: str) -> tuple[str, ...]:
    """The old side's indexes attached to `index`, at every level (they go with it)."""
    out: list[str] = []
    todo = [index]
    while todo:
        found = ctx.old_attached.get(todo.pop(), [])
        out.extend(found)
        todo.extend(found)
    return tuple(sorted(out))


def gone(ctx: Context, attached_to: str | None) -> bool:
    """True for an old index or key attached to an index this diff drops: it goes with that one."""
    return attached_to is not None and attached_to in ctx.dropped_indexes


def attach_index(ctx: Context, t: Table, attached_to: str | None, index: str) -> None:
    """ALTER INDEX parent ATTACH PARTITION index, for an index of `t` attached to a new one."""
    if attached_to is None or t.partition_of is None:
        return
    ctx.add(AttachIndexPartition(t.partition_of, split_qualified(attached_to)[-1], t.key, index))


def needs_attach(ctx: Context, t: Table, old: str | None, new: str | None) -> bool:
    """True when an index of `t` kept as it is must be attached to its parent's by hand.

    ATTACH PARTITION attaches the matching indexes of the table it takes, and
    an index made on the parent ON ONLY waits for them: only the second needs
    an ALTER INDEX (a no-op when the first already did it).
    """
    if new is None:
        return False
    return new in ctx.made_indexes or (old != new and t.key not in ctx.attaching)


def renamed(old: dict[str, Index], new: dict[str, Index]) -> list[tuple[str, str]]:
    """A partition's index attached to the same parent index on both sides, under another name."""
    return _pairs(old, new, index_shape)


def renamed_keys(old: dict[str, Constraint], new: dict[str, Constraint]) -> list[tuple[str, str]]:
    """The same for keys (a partition's primary key attached to its parent's)."""
    return _pairs(old, new, constraint_shape)


def _pairs(
    old: dict[str, _T], new: dict[str, _T], shape: Callable[[_T], _T]
) -> list[tuple[str, str]]:
    out = []
    taken: set[str] = set()
    for n in sorted(new.keys() - old.keys()):
        y = new[n]
        if y.attached_to is None:
            continue
        for o in sorted(old.keys() - new.keys() - taken):
            x = old[o]
            if x.attached_to == y.attached_to and shape(_named(x, n)) == shape(y):
                out.append((o, n))
                taken.add(o)
                break
    return out


def _named(x: _T, name: str) -> _T:
    """`x` under another name (an index's definition names it too)."""
    if isinstance(x, Index):
        head = f"INDEX {quote_ident(x.name)} ON "
        return replace(
            x, name=name, definition=x.definition.replace(head, f"INDEX {quote_ident(name)} ON ", 1)
        )
    return replace(x, name=name)


def as_attachable(ctx: Context, b: Table) -> Table:
    """A partition as it must be before ATTACH PARTITION: with its parent's CHECK constraints."""
    parent = ctx.new.tables.get(b.partition_of or "")
    if parent is None:
        return b
    mine = {c.name for c in b.constraints}
    checks = tuple(c for c in _inherited_checks(parent) if c.name not in mine)
    return replace(b, constraints=tuple(sorted(b.constraints + checks, key=lambda c: c.name)))


def as_detached(ctx: Context, a: Table, inherited: str | None = None) -> Table:
    """A partition as DETACH PARTITION leaves it, or a child as NO INHERIT `inherited` does:
    its parent's CHECK constraints now its own."""
    parent = ctx.old.tables.get(inherited or a.partition_of or "")
    if parent is None:
        return a
    mine = {c.name for c in a.constraints}
    checks = tuple(c for c in _inherited_checks(parent) if c.name not in mine)
    return replace(a, constraints=tuple(sorted(a.constraints + checks, key=lambda c: c.name)))


def uses_checks(ctx: Context, parent: str) -> Deps:
    """What leaving `parent` runs before: the drop of a CHECK the child keeps as its own."""
    t = ctx.old.tables.get(parent)
    keys = frozenset(con_key(parent, c.name) for c in _inherited_checks(t)) if t else frozenset()
    return Deps(uses=keys)


def _inherited_checks(t: Table) -> tuple[Constraint, ...]:
    return tuple(
        replace(c, comment=None)
        for c in t.constraints
        if c.kind is ConstraintKind.CHECK and not c.no_inherit
    )


def attach_partition(ctx: Context, b: Table) -> None:
    """ATTACH PARTITION, once the table has what it must bring and the parent what it shares."""
    assert b.partition_of is not None
    parent = ctx.new.tables.get(b.partition_of)
    keys: set[str] = set()
    for i in b.indexes:
        if i.attached_to and i.attached_to not in ctx.made_indexes:
            keys.add(rel_key(qualname(b.schema, i.name)))
    for c in as_attachable(ctx, b).constraints:
        if c.kind is ConstraintKind.CHECK or (
            c.attached_to and c.attached_to not in ctx.made_indexes
        ):
            keys.add(con_key(b.key, c.name))
    if parent is not None:
        # a column or CHECK the parent gains would reach the partition twice
        keys |= {col_key(parent.key, c.name) for c in parent.columns}
        keys |= {con_key(parent.key, c.name) for c in _inherited_checks(parent)}
    ctx.add(
        AttachPartition(
            b.partition_of, b.key, b.partition_bound or "DEFAULT", Deps(requires=frozenset(keys))
        )
    )


def after_detach(ctx: Context, t: Table) -> Deps:
    """A drop on a table leaving its parent waits for DETACH PARTITION or NO INHERIT (until
    then the CHECK or index is the parent's, and PostgreSQL refuses to drop it)."""
    now = ctx.new.tables.get(t.key)
    leaves = now is not None and not set(t.inherits) <= set(now.inherits)  # NO INHERIT
    if t.key in ctx.detaching or leaves:
        return Deps(requires=frozenset({detached_key(t.key)}))
    return Deps()
