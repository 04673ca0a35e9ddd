"""Comparator for what pg_dump writes after CREATE TABLE: replica identity, access method,
and each column's statistics target, storage, compression and attribute options.

`studio.diff.tables` calls `table_attributes` for every table it creates or
alters, after its columns, constraints and indexes are compared (a REPLICA
IDENTITY USING INDEX needs to know whether its index is built again).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from studio.model import Column, Table
from studio.model.changes import AlterColumnType, DropConstraint, DropIndex
from studio.model.changes.attributes import (
    SetAccessMethod,
    SetColumnCompression,
    SetColumnOptions,
    SetColumnStatistics,
    SetColumnStorage,
    SetReplicaIdentity,
)

if TYPE_CHECKING:
    from studio.diff.context import Context


def table_attributes(ctx: Context, a: Table | None, b: Table, recreated: set[str]) -> None:
    """Changes for the attributes of table `b`, created (`a` None) or altered from `a`."""
    if a is not None and a.access_method != b.access_method:
        # PostgreSQL 14 has no SET ACCESS METHOD: the planner names that as a hazard
        ctx.add(SetAccessMethod(b.key, b.access_method, a.access_method))
    _replica_identity(ctx, a, b)
    parents = _parent_columns(ctx, b) if a is None else {}
    retyped = {c.new.name for c in ctx.out if isinstance(c, AlterColumnType) and c.table == b.key}
    for c in b.columns:
        base = _baseline(a, c, recreated, c.name in retyped)
        _column(ctx, b.key, base, c, parents.get(c.name, ()))


def _replica_identity(ctx: Context, a: Table | None, b: Table) -> None:
    old = (a.replica_identity, a.replica_index) if a else ("default", None)
    new = (b.replica_identity, b.replica_index)
    dropped = a is not None and old[1] is not None and _index_dropped(ctx, b.key, old[1])
    if dropped and new == old:
        # the identity index is built again: released before its drop (USING INDEX on a
        # dropped index leaves 'i' and no index, which is NOTHING), set again once built;
        # in the reverse order this also is what undoes it
        ctx.add(SetReplicaIdentity(b.key, "default", None, *old))
        ctx.add(SetReplicaIdentity(b.key, *new, "default", None))
    elif old != new:
        ctx.add(SetReplicaIdentity(b.key, *new, *old))


def _index_dropped(ctx: Context, table: str, name: str) -> bool:
    for c in ctx.out:
        if isinstance(c, DropIndex) and c.table == table and c.index.name == name:
            return True
        if (
            isinstance(c, DropConstraint)
            and c.table == table
            and name
            in (
                c.constraint.index,
                c.constraint.name,
            )
        ):
            return True
    return False


def _parents(t: Table) -> list[str]:
    return ([t.partition_of] if t.partition_of else []) + list(t.inherits)


def _parent_columns(ctx: Context, t: Table) -> dict[str, tuple[Column, ...]]:
    """The columns of `t`'s parents on either side, by name (a new child copies their storage)."""
    out: dict[str, list[Column]] = {}
    for p in _parents(t):
        for side in (ctx.old, ctx.new):
            pt = side.tables.get(p)
            for c in pt.columns if pt else ():
                out.setdefault(c.name, []).append(c)
    return {k: tuple(v) for k, v in out.items()}


def _baseline(a: Table | None, c: Column, recreated: set[str], retyped: bool) -> Column:
    """What the column's attributes are before this table's attribute changes run."""
    o = a.column(c.name) if a is not None and c.name not in recreated else None
    if o is None:
        return Column(c.name, c.type)
    if retyped:  # AlterColumnType sets the new column's storage and compression again
        return replace(o, storage=c.storage, type_storage=c.type_storage, compression=c.compression)
    if (o.type, o.collation) != (c.type, c.collation):
        # ALTER COLUMN TYPE on a parent gives the column its type's storage, no compression
        return replace(o, storage=None, type_storage=None, compression=None)
    return o


def _column(ctx: Context, table: str, a: Column, b: Column, parents: tuple[Column, ...]) -> None:
    if a.statistics != b.statistics:
        ctx.add(SetColumnStatistics(table, b.name, b.statistics, a.statistics))
    if a.options != b.options:
        ctx.add(SetColumnOptions(table, b.name, b.options, a.options))
    # CREATE TABLE ... PARTITION OF / INHERITS copies the parent's storage and compression
    # as they are when it runs: said explicitly whenever a parent's are not the default
    if a.storage != b.storage or any(p.storage for p in parents):
        # resetting writes the type's own storage (SET STORAGE DEFAULT is PostgreSQL 16+)
        own = next((x.type_storage for x in (a, b, *parents) if x.type_storage), "default")
        ctx.add(SetColumnStorage(table, b.name, b.storage or own, a.storage or own))
    if a.compression != b.compression or any(p.compression for p in parents):
        ctx.add(SetColumnCompression(table, b.name, b.compression, a.compression))
