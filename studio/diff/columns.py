"""Comparator for the columns of a table kept on both sides (studio.diff.tables calls it)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from studio.changes import (
    AddColumn,
    AddIdentity,
    AlterColumnType,
    AlterIdentity,
    DropColumn,
    DropDefault,
    DropExpression,
    DropIdentity,
    DropNotNull,
    RenameConstraint,
    SetDefault,
    SetNotNull,
    ValidateConstraint,
)
from studio.changes.base import Deps, col_key, def_key
from studio.diff.refs import default_not_null_name, mentions
from studio.model import Column, Table, quote_ident

if TYPE_CHECKING:
    from studio.diff.context import Context
    from studio.model import Schema


def column_deps(
    ctx: Context, columns: tuple[Column, ...], *, new: bool, table: Table | None = None
) -> Deps:
    """What the columns' types, defaults and generation expressions refer to.

    With `table`, a generated column also depends on the columns of the table
    its expression reads (added after them, dropped before them).
    """
    texts = [x for c in columns for x in (c.default, c.generated)]
    types = tuple(c.type for c in columns)
    deps = ctx.new_deps(*texts, types=types) if new else ctx.old_deps(*texts, types=types)
    if table is not None:
        keys = frozenset(
            col_key(table.key, other.name)
            for c in columns
            if c.generated
            for other in table.columns
            if other.name != c.name and mentions(c.generated, [other.name])
        )
        if keys:
            deps = deps | (Deps(requires=keys) if new else Deps(uses=keys))
    return deps


def column_comment(ctx: Context, table: str, a: Column | None, b: Column) -> None:
    obj = f"{table}.{quote_ident(b.name)}"
    key = col_key(table, b.name)
    ctx.comment(
        "COLUMN", obj, a.comment if a else None, b.comment, key=key, table=table, created=a is None
    )


def _parents(t: Table) -> list[str]:
    return ([t.partition_of] if t.partition_of else []) + list(t.inherits)


def _kept_parents(a: Table, b: Table) -> list[str]:
    """Parents the table has on both sides: what an ALTER on them does reaches this table."""
    return [p for p in _parents(b) if p in _parents(a)]


def _parent_columns(schema: Schema, parents: list[str]) -> set[str]:
    return {c.name for p in parents if (pt := schema.tables.get(p)) for c in pt.columns}


def _parent_column(schema: Schema, parents: list[str], name: str) -> Column | None:
    for p in parents:
        pt = schema.tables.get(p)
        if pt and (c := pt.column(name)):
            return c
    return None


def compare_columns(ctx: Context, a: Table, b: Table) -> set[str]:
    """Compare columns; returns the names of columns dropped and added again."""
    key = b.key
    kept = _kept_parents(a, b)
    if key in ctx.detaching:  # detached first (to be attached again): the parent's ALTERs miss it
        kept = [p for p in kept if p != a.partition_of]
    old_parent, new_parent = _parent_columns(ctx.old, kept), _parent_columns(ctx.new, kept)
    recreated: set[str] = set()
    for c in b.columns:
        if a.column(c.name) is None and c.name not in new_parent:
            ctx.add(AddColumn(key, c, column_deps(ctx, (c,), new=True, table=b)))
            column_comment(ctx, key, None, c)
    for c in a.columns:
        if b.column(c.name) is None and c.name not in old_parent:
            ctx.add(DropColumn(key, c, column_deps(ctx, (c,), new=False, table=a)))
    retyped = {c.name for c in b.columns if (o := a.column(c.name)) and o.type != c.type}
    for c in b.columns:
        o = a.column(c.name)
        if o is None:
            continue
        inherited = c.name in new_parent and c.name in old_parent
        # a generated column over a re-typed column must be rebuilt (PostgreSQL refuses the ALTER)
        stale = (
            c.generated is not None
            and o.generated == c.generated
            and (mentions(c.generated, retyped) or col_key(key, c.name) in ctx.forced)
        )
        if _alter_column(ctx, a, b, kept if inherited else [], o, c, stale):
            recreated.add(c.name)
    return recreated


def _alter_column(
    ctx: Context,
    old_table: Table,
    t: Table,
    parents: list[str],
    a: Column,
    b: Column,
    stale: bool,
) -> bool:
    """Changes for one column kept by name; True when it is dropped and added again.

    `parents` are the tables it inherits the column from on both sides: their
    ALTERs recurse here, so what they do is not repeated.
    """
    table = t.key
    inherited = bool(parents)
    key = col_key(table, b.name)
    if (
        stale
        or a.generated != b.generated
        or (a.generated and a.generated_kind != b.generated_kind)
    ):
        if a.generated and not b.generated and a.generated_kind != "virtual" and not stale:
            ctx.add(DropExpression(table, b.name, a.generated))
            a = replace(a, generated=None, generated_kind=None)
        elif not inherited:
            ctx.add(DropColumn(table, a, column_deps(ctx, (a,), new=False, table=old_table)))
            ctx.add(AddColumn(table, b, column_deps(ctx, (b,), new=True, table=t)))
            ctx.rebuilt_columns.add(key)
            column_comment(ctx, table, None, b)
            return True
    default_done = key in ctx.recast_columns
    if (
        (a.type != b.type or a.collation != b.collation)
        and not inherited
        and key not in ctx.recast_columns
    ):
        deps = ctx.new_deps(b.default, types=(b.type,)) | ctx.old_deps(a.default, types=(a.type,))
        change = AlterColumnType(table, a, b, deps)
        ctx.add(change)
        ctx.rebuilt_columns.add(key)
        default_done = change.needs_using
    parent = _parent_column(ctx.new, parents, b.name)
    old_parent = _parent_column(ctx.old, parents, a.name)

    def parent_does(attr: str) -> bool:
        # an ALTER on the parent recurses to its partitions and children
        return (
            parent is not None
            and old_parent is not None
            and getattr(old_parent, attr) == getattr(a, attr)
            and getattr(parent, attr) == getattr(b, attr)
        )

    if a.identity != b.identity:
        if a.identity and not b.identity:
            ctx.add(DropIdentity(table, b.name, a.type, a.identity))
        elif b.identity and not a.identity:
            ctx.add(AddIdentity(table, b.name, b.type, b.identity))
        elif a.identity and b.identity:
            altered = AlterIdentity(table, b.name, b.type, a.identity, b.identity)
            if altered.actions:
                ctx.add(altered)
    if not default_done and a.default != b.default and not parent_does("default"):
        if b.default is None:
            assert a.default is not None
            ctx.add(DropDefault(table, b.name, a.default, ctx.old_deps(a.default)))
        else:
            ctx.add(
                SetDefault(
                    table,
                    b.name,
                    b.default,
                    a.default,
                    ctx.new_deps(b.default) | ctx.old_deps(a.default),
                )
            )
    elif (
        not default_done
        and b.default is not None
        and (ctx.calls_recreated(a.default) or def_key(table, b.name) in ctx.forced)
    ):
        # the function it calls is dropped and created again: the default goes and comes back
        assert a.default is not None
        ctx.add(DropDefault(table, b.name, a.default, ctx.old_deps(a.default)))
        ctx.add(SetDefault(table, b.name, b.default, None, ctx.new_deps(b.default)))
    _not_null(ctx, t, a, b, parent_does("not_null"))
    column_comment(ctx, table, a, b)
    return False


def _not_null(ctx: Context, t: Table, a: Column, b: Column, by_parent: bool) -> None:
    table = t.key
    if a.not_null != b.not_null:
        if by_parent:
            return
        if b.not_null:
            ctx.add(SetNotNull(table, b.name, b.not_null_name, b.not_null_valid))
        else:
            ctx.add(DropNotNull(table, b.name))
        return
    if not b.not_null or (a.not_null_name, a.not_null_valid) == (b.not_null_name, b.not_null_valid):
        return
    # PostgreSQL 18: NOT NULL is a named constraint, possibly NOT VALID
    old_name = a.not_null_name or default_not_null_name(t.name, a.name)
    new_name = b.not_null_name or default_not_null_name(t.name, b.name)
    if old_name != new_name:
        ctx.add(RenameConstraint(table, old_name, new_name))
    if a.not_null_valid != b.not_null_valid:
        if b.not_null_valid:
            ctx.add(ValidateConstraint(table, new_name))
        else:
            ctx.add(DropNotNull(table, b.name), SetNotNull(table, b.name, b.not_null_name, False))
