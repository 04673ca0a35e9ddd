"""Comparator for the columns of a table kept on both sides (studio.diff.tables calls it)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from studio.diff.refs import default_not_null_name, mentions
from studio.model import Column, Table, quote_ident
from studio.model.changes import (
    AddColumn,
    AddIdentity,
    AlterColumnType,
    AlterIdentity,
    AttachPartition,
    DetachPartition,
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
from studio.model.changes.base import Deps, col_key, def_key

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


def _kept_children(ctx: Context, table: str) -> list[tuple[Table, Table]]:
    """The INHERITS children (old, new) of `table` that inherit from it on both sides."""
    out = []
    for child in ctx.new_children.get(table, ()):
        old = ctx.old.tables.get(child.key)
        if old is not None and table in old.inherits:
            out.append((old, child))
    return out


def _drop_only(ctx: Context, table: str, column: str) -> bool:
    """Whether the table's DROP COLUMN must leave its children's column (ALTER TABLE ONLY).

    So when a child keeps a column it only inherited: PostgreSQL then makes it
    the child's own (attislocal), as the target declares it.
    """
    return any(
        (oc := old.column(column)) is not None and oc.inherited and new.column(column) is not None
        for old, new in _kept_children(ctx, table)
    )


def _add_deps(ctx: Context, table: str, c: Column) -> Deps:
    """A new column of a parent after the same column added to the children that declare it.

    ADD COLUMN on a parent merges into a child's column of that name, which stays
    the child's own (attislocal); added by the parent, it would only be inherited.
    """
    keys = frozenset(
        col_key(new.key, c.name)
        for old, new in _kept_children(ctx, table)
        if old.column(c.name) is None and (nc := new.column(c.name)) and not nc.inherited
    )
    return Deps(requires=keys) if keys else Deps()


def _drop_deps(ctx: Context, table: str, c: Column) -> Deps:
    """A parent's column dropped before the children that drop their own copy of it.

    A child's column it declares itself (or that an ONLY drop leaves it) outlives
    the parent's DROP COLUMN; it cannot be dropped while it is still inherited.
    """
    only = _drop_only(ctx, table, c.name)
    keys = frozenset(
        col_key(new.key, c.name)
        for old, new in _kept_children(ctx, table)
        if new.column(c.name) is None
        and (oc := old.column(c.name)) is not None
        and (only or not oc.inherited)
    )
    return Deps(uses=keys) if keys else Deps()


def _drops_own(ctx: Context, a: Table, c: Column, kept: list[str]) -> bool:
    """Whether a child drops a column its parents drop: the parent's DROP leaves it behind."""
    if a.partition_of is not None:
        return False  # a partition's columns go with its parent's
    return not c.inherited or any(_drop_only(ctx, p, c.name) for p in kept)


def _local_differences(ctx: Context, a: Table, b: Table, kept: list[str]) -> None:
    """Warn of the columns whose attislocal the migration leaves unlike the target's.

    No ALTER TABLE changes whether an inherited column is also the table's own:
    a column becomes its own when added to the table itself, or when it stops
    being inherited (NO INHERIT, a parent's ALTER TABLE ONLY ... DROP COLUMN),
    and never stops being so.
    """
    if b.partition_of is not None or not (a.inherits or b.inherits):
        return
    old_has, new_has = _parent_columns(ctx.old, kept), _parent_columns(ctx.new, kept)
    for c in b.columns:
        o = a.column(c.name)
        stays = c.name in old_has and c.name in new_has  # from a parent kept, on both sides
        if o is None:
            local = c.name not in new_has or not c.inherited  # added to the table itself
        elif o.inherited:
            local = not stays
        else:
            local = True
        if local == (not c.inherited):
            continue
        col = f"{b.key}.{quote_ident(c.name)}"
        ctx.warn(
            f"column {col} stays the table's own (attislocal) where the target only inherits it"
            if local
            else f"column {col} stays only inherited where the target declares it too (attislocal)"
        )


def compare_columns(ctx: Context, a: Table, b: Table) -> set[str]:
    """Compare columns; returns the names of columns dropped and added again."""
    key = b.key
    kept = _kept_parents(a, b)
    if key in ctx.detaching:  # detached first (to be attached again): the parent's ALTERs miss it
        kept = [p for p in kept if p != a.partition_of]
    old_parent, new_parent = _parent_columns(ctx.old, kept), _parent_columns(ctx.new, kept)
    recreated: set[str] = set()
    for c in b.columns:
        # a column the child declares itself is added to it before its parent's merges in
        own = not c.inherited and b.partition_of is None
        if a.column(c.name) is None and (c.name not in new_parent or own):
            deps = column_deps(ctx, (c,), new=True, table=b) | _add_deps(ctx, key, c)
            ctx.add(AddColumn(key, c, deps))
            column_comment(ctx, key, None, c)
    for c in a.columns:
        if b.column(c.name) is None and (
            c.name not in old_parent or (c.name not in new_parent and _drops_own(ctx, a, c, kept))
        ):
            deps = column_deps(ctx, (c,), new=False, table=a) | _drop_deps(ctx, key, c)
            only = _drop_only(ctx, key, c.name)
            ctx.add(DropColumn(key, c, deps, only=only))
    _local_differences(ctx, a, b, kept)
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
            seq = a.identity.sequence  # in the old schema with the renames done
            altered = AlterIdentity(table, b.name, b.type, a.identity, b.identity, seq)
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
    _not_null(ctx, t, a, b, parent_does("not_null"), parents)
    column_comment(ctx, table, a, b)
    return False


def _not_null_name(t: Table, column: str) -> str | None:
    """The name of the table's NOT NULL on `column` (PostgreSQL 18), None when it has none."""
    c = t.column(column)
    if c is None or not c.not_null:
        return None
    return c.not_null_name or default_not_null_name(t.name, column)


def _blocking_children(ctx: Context, table: str, column: str, names: tuple[str, str]) -> list[str]:
    """The INHERITS children whose inherited NOT NULL on `column` the parent's rename
    (`names`: old, new) would not bring where the target has it.

    PostgreSQL 18's RENAME CONSTRAINT on a parent renames its children's inherited
    NOT NULL of the same name, fails on a child whose is named otherwise, and an
    inherited constraint cannot be renamed by itself. Only leaving the inheritance
    (NO INHERIT) would let it through, which makes the child's inherited columns and
    CHECKs its own: the rename is not made, and the diff says so.
    """
    return [
        new.key
        for old, new in _kept_children(ctx, table)
        if (_not_null_name(old, column), _not_null_name(new, column)) not in (names, (None, None))
    ]


def _kept_partitions(ctx: Context, table: str) -> list[tuple[Table, Table]]:
    """The partitions (old, new) of `table` that are its partitions on both sides."""
    out = []
    for part in ctx.new_partitions.get(table, ()):
        old = ctx.old.tables.get(part.key)
        if old is not None and old.partition_of == table and part.key not in ctx.detaching:
            out.append((old, part))
    return out


def _partitions_apart(ctx: Context, table: str, column: str, names: tuple[str, str]) -> None:
    """Detach, around the table's NOT NULL rename (`names`), the partitions it would fail
    on (named otherwise) or rename where the target does not; the rest go with it."""
    for old, new in _kept_partitions(ctx, table):
        own = (_not_null_name(old, column), _not_null_name(new, column))
        if own == names:
            _partitions_apart(ctx, new.key, column, names)  # renamed by the recursion
        elif own[0] is not None and own[1] is not None:
            _renamed_apart(ctx, new, table, own[0], own[1])


def _renamed_apart(ctx: Context, t: Table, parent: str, old_name: str, new_name: str) -> None:
    """A partition detached around NOT NULL renames and attached again: an inherited
    constraint cannot be renamed, and a parent's rename fails on a partition whose
    constraint is named otherwise (PostgreSQL 18)."""
    if t.key not in ctx.reattached:
        ctx.reattached.add(t.key)
        bound = t.partition_bound or "DEFAULT"
        ctx.add(DetachPartition(parent, t.key, bound), AttachPartition(parent, t.key, bound))
    if old_name != new_name:
        ctx.add(RenameConstraint(t.key, old_name, new_name))


def _inherited_not_null(
    ctx: Context, t: Table, column: str, names: tuple[str, str], parents: list[str]
) -> bool:
    """Handle the rename of a NOT NULL the column inherits; False when it inherits none.

    When the parent's is renamed, the parent's rename does what it takes below it.
    """
    for p in parents:
        old, new = ctx.old.tables.get(p), ctx.new.tables.get(p)
        if old is None or new is None:
            continue
        parent_names = (_not_null_name(old, column), _not_null_name(new, column))
        if None in parent_names:
            continue
        if parent_names[0] != parent_names[1] or names[0] == names[1]:
            return True
        if t.partition_of == p:
            _renamed_apart(ctx, t, p, *names)
        else:
            ctx.warn(
                f"NOT NULL {quote_ident(names[0])} on {t.key}.{quote_ident(column)}, inherited"
                f" from {p}, is not renamed to {quote_ident(names[1])}: PostgreSQL renames an"
                " inherited constraint only with its parent's"
            )
        return True
    return False


def _rename_not_null(ctx: Context, table: str, column: str, names: tuple[str, str]) -> None:
    """RENAME CONSTRAINT of a table's own NOT NULL, with what that takes below it."""
    blocked = _blocking_children(ctx, table, column, names)
    if blocked:
        ctx.warn(
            f"NOT NULL {quote_ident(names[0])} on {table}.{quote_ident(column)} is not renamed"
            f" to {quote_ident(names[1])}: PostgreSQL renames its inheriting tables' too, and"
            f" cannot bring {', '.join(blocked)} where the target has it"
        )
        return
    _partitions_apart(ctx, table, column, names)
    ctx.add(RenameConstraint(table, *names))


def _not_null(
    ctx: Context, t: Table, a: Column, b: Column, by_parent: bool, parents: list[str]
) -> None:
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
        return  # (kept under a renamed parent: the parent's rename does what it takes)
    # PostgreSQL 18: NOT NULL is a named constraint, possibly NOT VALID
    old_name = a.not_null_name or default_not_null_name(t.name, a.name)
    new_name = b.not_null_name or default_not_null_name(t.name, b.name)
    renamed = _inherited_not_null(ctx, t, b.name, (old_name, new_name), parents)
    if not renamed and old_name != new_name:
        _rename_not_null(ctx, table, b.name, (old_name, new_name))
    if a.not_null_valid != b.not_null_valid:
        if b.not_null_valid:
            ctx.add(ValidateConstraint(table, new_name))
        else:
            ctx.add(DropNotNull(table, b.name), SetNotNull(table, b.name, b.not_null_name, False))
