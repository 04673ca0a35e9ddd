"""Comparators for tables and what hangs off them: columns, constraints, indexes,
triggers, policies, partitions, row level security, storage options, comments."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from studio.changes import (
    AddColumn,
    AddConstraint,
    AddIdentity,
    AlterColumnType,
    AlterIdentity,
    AlterPolicy,
    AttachPartition,
    CreateIndex,
    CreatePolicy,
    CreateTable,
    CreateTrigger,
    DetachPartition,
    DropColumn,
    DropConstraint,
    DropDefault,
    DropExpression,
    DropIdentity,
    DropIndex,
    DropNotNull,
    DropPolicy,
    DropTable,
    DropTrigger,
    ForceRowLevelSecurity,
    RenameConstraint,
    SetDefault,
    SetInherit,
    SetLogged,
    SetNotNull,
    SetRowLevelSecurity,
    SetTableOptions,
    SetTriggerEnabled,
    ValidateConstraint,
)
from studio.changes.base import Deps, col_key, con_key, rel_key, schema_of
from studio.diff.refs import default_not_null_name, mentions
from studio.model import Column, Constraint, ConstraintKind, Index, Table, qualname, quote_ident

if TYPE_CHECKING:
    from studio.diff.context import Context
    from studio.model import Schema

_KEYS = (ConstraintKind.PRIMARY_KEY, ConstraintKind.UNIQUE)


def tables(ctx: Context) -> None:
    """Every table: created, dropped, replaced (partitioning changed) or altered."""
    old, new = ctx.old.tables, ctx.new.tables
    kept = sorted(old.keys() & new.keys())
    replaced = [k for k in kept if _must_replace(old[k], new[k])]
    ctx.recreated.update(replaced)
    _released_keys(ctx, kept, replaced)
    for k in sorted(new.keys() - old.keys()) + replaced:
        create_table(ctx, new[k])
    for k in sorted(old.keys() - new.keys()) + replaced:
        _drop_table(ctx, old[k])
    for k in kept:
        if k not in ctx.recreated:
            _alter_table(ctx, old[k], new[k])


def _must_replace(a: Table, b: Table) -> bool:
    # no ALTER turns a table into a partitioned one, or changes a partition key
    return a.partition_key != b.partition_key


def _released_keys(ctx: Context, kept: list[str], replaced: list[str]) -> None:
    """Keys that go away or are rebuilt: the foreign keys referencing them are rebuilt too."""
    for k in kept:
        a, b = ctx.old.tables[k], ctx.new.tables[k]
        for c in a.constraints:
            if c.kind in _KEYS and (
                k in replaced or _comparable(c) != _comparable_or_none(b.constraint(c.name))
            ):
                ctx.released_keys.add((k, c.columns))
        for i in a.indexes:
            if i.unique and (
                k in replaced or _index_comparable(i) != _index_comparable_or_none(b.index(i.name))
            ):
                ctx.released_keys.add((k, tuple(i.keys)))


def _comparable(c: Constraint) -> Constraint:
    return replace(c, comment=None, index=None)


def _comparable_or_none(c: Constraint | None) -> Constraint | None:
    return None if c is None else _comparable(c)


def _index_comparable(i: Index) -> Index:
    return replace(i, comment=None)


def _index_comparable_or_none(i: Index | None) -> Index | None:
    return None if i is None else _index_comparable(i)


def _column_deps(ctx: Context, columns: tuple[Column, ...], *, new: bool) -> Deps:
    texts = [x for c in columns for x in (c.default, c.generated)]
    types = tuple(c.type for c in columns)
    return ctx.new_deps(*texts, types=types) if new else ctx.old_deps(*texts, types=types)


def create_table(ctx: Context, t: Table) -> None:
    """CREATE TABLE and then its constraints, indexes, triggers, policies, RLS and comments."""
    parent = ctx.new.tables.get(t.partition_of) if t.partition_of else None
    ctx.add(CreateTable(t, parent, _column_deps(ctx, t.columns, new=True)))
    for con in t.constraints:
        _add_constraint(ctx, t.key, con, created=True)
    for i in t.indexes:
        _create_index(ctx, t.key, i, created=True)
    for g in t.triggers:
        ctx.add(CreateTrigger(t.key, g))
        ctx.comment(
            "TRIGGER",
            f"{quote_ident(g.name)} ON {t.key}",
            None,
            g.comment,
            key=rel_key(t.key),
            created=True,
        )
    for p in t.policies:
        ctx.add(CreatePolicy(t.key, p, ctx.new_deps(p.using, p.with_check)))
    if t.rls_enabled:
        ctx.add(SetRowLevelSecurity(t.key, True))
    if t.rls_forced:
        ctx.add(ForceRowLevelSecurity(t.key, True))
    ctx.comment("TABLE", t.key, None, t.comment, key=rel_key(t.key), table=t.key, created=True)
    for c in t.columns:
        _column_comment(ctx, t.key, None, c)


def _drop_table(ctx: Context, t: Table) -> None:
    ctx.add(DropTable(t, _column_deps(ctx, t.columns, new=False)))


def _column_comment(ctx: Context, table: str, a: Column | None, b: Column) -> None:
    obj = f"{table}.{quote_ident(b.name)}"
    key = col_key(table, b.name)
    ctx.comment(
        "COLUMN", obj, a.comment if a else None, b.comment, key=key, table=table, created=a is None
    )


def _add_constraint(ctx: Context, table: str, c: Constraint, *, created: bool) -> None:
    deps = ctx.new_deps(c.definition)
    if c.kind is ConstraintKind.FOREIGN_KEY and c.ref_table:
        ref = ctx.new.tables.get(c.ref_table)
        key = _referenced_key(ref, c.ref_columns) if ref else None
        if key:
            deps = deps | Deps(requires=frozenset({key}))
    ctx.add(AddConstraint(table, c, deps))
    ctx.comment(
        "CONSTRAINT",
        f"{quote_ident(c.name)} ON {table}",
        None,
        c.comment,
        key=con_key(table, c.name),
        table=table,
        created=True,
    )


def _referenced_key(t: Table, columns: tuple[str, ...]) -> str | None:
    """Key of the primary key, unique constraint or unique index a foreign key references."""
    for c in t.constraints:
        if c.kind in _KEYS and set(c.columns) == set(columns):
            return con_key(t.key, c.name)
    for i in t.indexes:
        if i.unique and i.predicate is None and set(i.keys) == set(columns):
            return rel_key(qualname(t.schema, i.name))
    return None


def _create_index(ctx: Context, table: str, i: Index, *, created: bool) -> None:
    ctx.add(CreateIndex(table, i, deps=ctx.new_deps(i.definition)))
    ix = _index_qualname(table, i.name)
    ctx.comment("INDEX", ix, None, i.comment, key=rel_key(ix), table=table, created=True)


def _index_qualname(table: str, name: str) -> str:
    return qualname(schema_of(table), name)


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


def _detached(ctx: Context, t: Table) -> Table:
    """A partition as PostgreSQL 18 leaves it once detached: its NOT NULLs keep the parent's names."""
    parent = ctx.old.tables.get(t.partition_of or "")
    if parent is None:
        return t
    cols = []
    for c in t.columns:
        p = parent.column(c.name)
        if c.not_null and c.not_null_name is None and p is not None and p.not_null:
            c = replace(
                c, not_null_name=p.not_null_name or default_not_null_name(parent.name, c.name)
            )
        cols.append(c)
    return replace(t, columns=tuple(cols), partition_of=None, partition_bound=None)


def _alter_table(ctx: Context, a: Table, b: Table) -> None:
    key = b.key
    # partitions and inheritance
    if (a.partition_of, a.partition_bound) != (b.partition_of, b.partition_bound):
        if a.partition_of and a.partition_bound:
            ctx.add(DetachPartition(a.partition_of, key, a.partition_bound))
            if (ctx.server_version or 0) >= 180000:
                a = _detached(ctx, a)
        if b.partition_of and b.partition_bound:
            ctx.add(AttachPartition(b.partition_of, key, b.partition_bound))
    for p in b.inherits:
        if p not in a.inherits:
            ctx.add(SetInherit(key, p, True))
    for p in a.inherits:
        if p not in b.inherits:
            ctx.add(SetInherit(key, p, False))
    recreated = _columns(ctx, a, b)
    _constraints(ctx, a, b, recreated)
    _indexes(ctx, a, b, recreated)
    _triggers(ctx, a, b)
    _policies(ctx, a, b, recreated)
    if a.rls_enabled != b.rls_enabled:
        ctx.add(SetRowLevelSecurity(key, b.rls_enabled))
    if a.rls_forced != b.rls_forced:
        ctx.add(ForceRowLevelSecurity(key, b.rls_forced))
    if a.unlogged != b.unlogged:
        ctx.add(SetLogged(key, b.unlogged))
    if a.options != b.options:
        ctx.add(SetTableOptions(key, a.options, b.options))
    ctx.comment("TABLE", key, a.comment, b.comment, key=rel_key(key), table=key)


# --- columns -----------------------------------------------------------------------


def _columns(ctx: Context, a: Table, b: Table) -> set[str]:
    """Compare columns; returns the names of columns dropped and added again."""
    key = b.key
    kept = _kept_parents(a, b)
    old_parent, new_parent = _parent_columns(ctx.old, kept), _parent_columns(ctx.new, kept)
    recreated: set[str] = set()
    for c in b.columns:
        if a.column(c.name) is None and c.name not in new_parent:
            ctx.add(AddColumn(key, c, _column_deps(ctx, (c,), new=True)))
            _column_comment(ctx, key, None, c)
    for c in a.columns:
        if b.column(c.name) is None and c.name not in old_parent:
            ctx.add(DropColumn(key, c, _column_deps(ctx, (c,), new=False)))
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
            and mentions(c.generated, retyped)
        )
        if _alter_column(ctx, b, kept if inherited else [], o, c, stale):
            recreated.add(c.name)
    return recreated


def _alter_column(
    ctx: Context, t: Table, parents: list[str], a: Column, b: Column, stale: bool
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
            ctx.add(DropColumn(table, a, _column_deps(ctx, (a,), new=False)))
            ctx.add(AddColumn(table, b, _column_deps(ctx, (b,), new=True)))
            ctx.rebuilt_columns.add(key)
            _column_comment(ctx, table, None, b)
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
            ctx.add(AlterIdentity(table, b.name, b.type, a.identity, b.identity))
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
    _not_null(ctx, t, a, b, parent_does("not_null"))
    _column_comment(ctx, table, a, b)
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
    if not b.not_null:
        return
    # PostgreSQL 18: NOT NULL is a named constraint, possibly NOT VALID
    old_name = a.not_null_name or default_not_null_name(t.name, a.name)
    new_name = b.not_null_name or default_not_null_name(t.name, b.name)
    if a.not_null_name != b.not_null_name and old_name != new_name:
        ctx.add(RenameConstraint(table, old_name, new_name))
    if a.not_null_valid != b.not_null_valid:
        if b.not_null_valid:
            ctx.add(ValidateConstraint(table, new_name))
        else:
            ctx.add(DropNotNull(table, b.name), SetNotNull(table, b.name, b.not_null_name, False))


# --- constraints, indexes, triggers, policies ---------------------------------------


def _constraints(ctx: Context, a: Table, b: Table, recreated: set[str]) -> None:
    table = b.key
    old = {c.name: c for c in a.constraints}
    new = {c.name: c for c in b.constraints}
    for name in sorted(new.keys() - old.keys()):
        _add_constraint(ctx, table, new[name], created=True)
    for name in sorted(old.keys() - new.keys()):
        ctx.add(DropConstraint(table, old[name], ctx.old_deps(old[name].definition)))
    for name in sorted(old.keys() & new.keys()):
        x, y = old[name], new[name]
        forced = (
            bool(recreated & set(x.columns))
            or (
                x.kind is ConstraintKind.FOREIGN_KEY
                and (x.ref_table or "", x.ref_columns) in ctx.released_keys
            )
            or any(e in x.definition for e in ctx.recast_enums if _recast_here(ctx, table))
        )
        if not forced and _comparable(x) == _comparable(y):
            ctx.comment(
                "CONSTRAINT",
                f"{quote_ident(name)} ON {table}",
                x.comment,
                y.comment,
                key=con_key(table, name),
                table=table,
            )
            continue
        if not forced and _only_validation(x, y):
            ctx.add(ValidateConstraint(table, name))
            ctx.comment(
                "CONSTRAINT",
                f"{quote_ident(name)} ON {table}",
                x.comment,
                y.comment,
                key=con_key(table, name),
                table=table,
            )
            continue
        ctx.add(DropConstraint(table, x, ctx.old_deps(x.definition)))
        _add_constraint(ctx, table, y, created=True)


def _recast_here(ctx: Context, table: str) -> bool:
    prefix = f"col:{table}."
    return any(k.startswith(prefix) for k in ctx.recast_columns)


def _only_validation(x: Constraint, y: Constraint) -> bool:
    """The old constraint is NOT VALID and the new one the same, validated."""
    if x.validated or not y.validated:
        return False
    return replace(
        _comparable(x), validated=True, definition=x.definition.removesuffix(" NOT VALID")
    ) == _comparable(y)


def _indexes(ctx: Context, a: Table, b: Table, recreated: set[str]) -> None:
    table = b.key
    old = {i.name: i for i in a.indexes}
    new = {i.name: i for i in b.indexes}
    for name in sorted(new.keys() - old.keys()):
        _create_index(ctx, table, new[name], created=True)
    for name in sorted(old.keys() - new.keys()):
        ctx.add(DropIndex(table, old[name]))
    for name in sorted(old.keys() & new.keys()):
        x, y = old[name], new[name]
        forced = mentions(" ".join((*x.keys, *x.include, x.predicate or "")), recreated) or any(
            e in x.definition for e in ctx.recast_enums if _recast_here(ctx, table)
        )
        if not forced and _index_comparable(x) == _index_comparable(y):
            ix = _index_qualname(table, name)
            ctx.comment("INDEX", ix, x.comment, y.comment, key=rel_key(ix), table=table)
            continue
        ctx.add(DropIndex(table, x))
        _create_index(ctx, table, y, created=True)


def _triggers(ctx: Context, a: Table, b: Table) -> None:
    table = b.key
    old = {g.name: g for g in a.triggers}
    new = {g.name: g for g in b.triggers}

    def create(name: str) -> None:
        g = new[name]
        ctx.add(CreateTrigger(table, g))
        ctx.comment(
            "TRIGGER",
            f"{quote_ident(name)} ON {table}",
            None,
            g.comment,
            key=rel_key(table),
            created=True,
        )

    for name in sorted(new.keys() - old.keys()):
        create(name)
    for name in sorted(old.keys() - new.keys()):
        ctx.add(DropTrigger(table, old[name]))
    for name in sorted(old.keys() & new.keys()):
        x, y = old[name], new[name]
        if x.definition != y.definition or f"{y.function}()" in ctx.recreated_functions:
            ctx.add(DropTrigger(table, x))
            create(name)
            continue
        if x.enabled != y.enabled:
            ctx.add(SetTriggerEnabled(table, name, y.enabled, x.enabled))
        ctx.comment(
            "TRIGGER", f"{quote_ident(name)} ON {table}", x.comment, y.comment, key=rel_key(table)
        )


def _policies(ctx: Context, a: Table, b: Table, recreated: set[str]) -> None:
    table = b.key
    old = {p.name: p for p in a.policies}
    new = {p.name: p for p in b.policies}
    rebuilt = {
        c.name for c in b.columns if col_key(table, c.name) in ctx.rebuilt_columns
    } | recreated
    for name in sorted(new.keys() - old.keys()):
        p = new[name]
        ctx.add(CreatePolicy(table, p, ctx.new_deps(p.using, p.with_check)))
    for name in sorted(old.keys() - new.keys()):
        ctx.add(DropPolicy(table, old[name], ctx.old_deps(old[name].using, old[name].with_check)))
    for name in sorted(old.keys() & new.keys()):
        x, y = old[name], new[name]
        # PostgreSQL refuses to re-type or drop a column a policy reads
        stale = mentions(x.using, rebuilt) or mentions(x.with_check, rebuilt)
        if x == y and not stale:
            continue
        if (
            stale
            or x.command != y.command
            or x.permissive != y.permissive
            or (x.using is not None and y.using is None)
            or (x.with_check is not None and y.with_check is None)
        ):
            ctx.add(DropPolicy(table, x, ctx.old_deps(x.using, x.with_check)))
            ctx.add(CreatePolicy(table, y, ctx.new_deps(y.using, y.with_check)))
        else:
            ctx.add(AlterPolicy(table, x, y, ctx.new_deps(y.using, y.with_check)))
