"""Comparators for tables and what hangs off them: columns, constraints, indexes,
triggers, policies, partitions, row level security, storage options, comments."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from studio.diff import partitions
from studio.diff.attributes import table_attributes
from studio.diff.columns import column_comment, column_deps, compare_columns
from studio.diff.refs import mentions
from studio.model import Constraint, ConstraintKind, Index, Table, qualname, quote_ident
from studio.model.changes import (
    AddConstraint,
    AlterPolicy,
    CreateIndex,
    CreatePolicy,
    CreateTable,
    CreateTrigger,
    DetachPartition,
    DropConstraint,
    DropIndex,
    DropPolicy,
    DropTable,
    DropTrigger,
    ForceRowLevelSecurity,
    RenameConstraint,
    RenameIndex,
    SetInherit,
    SetLogged,
    SetRowLevelSecurity,
    SetTableOptions,
    SetTriggerEnabled,
    ValidateConstraint,
)
from studio.model.changes.base import (
    NO_DEPS,
    Deps,
    col_key,
    con_key,
    def_key,
    pol_key,
    rel_key,
    schema_of,
    trg_key,
    valid_key,
)
from studio.model.changes.tables import partition_of, persistence_key

if TYPE_CHECKING:
    from studio.diff.context import Context

_KEYS = (ConstraintKind.PRIMARY_KEY, ConstraintKind.UNIQUE)


def tables(ctx: Context) -> None:
    """Every table: created, dropped, replaced (partitioning changed) or altered."""
    old, new = ctx.old.tables, ctx.new.tables
    kept = sorted(old.keys() & new.keys())
    replaced = [k for k in kept if _must_replace(old[k], new[k])]
    ctx.recreated.update(replaced)
    partitions.prepare(ctx)
    _released_keys(ctx, kept, replaced)
    for k in sorted(new.keys() - old.keys()) + replaced:
        create_table(ctx, new[k])
    for k in sorted(old.keys() - new.keys()):
        _drop_table(ctx, old[k])
    for k in replaced:
        _drop_table(ctx, old[k], _why_recreated(old[k], new[k]))
    for k in kept:
        if k not in ctx.recreated and not _untouched(ctx, old[k], new[k]):
            _alter_table(ctx, old[k], new[k])


def _untouched(ctx: Context, a: Table, b: Table) -> bool:
    """True for a table equal on both sides that nothing else forces to rebuild a part of."""
    if a != b or _recast_here(ctx, a.key):
        return False
    if any(
        c.kind is ConstraintKind.FOREIGN_KEY
        and (c.ref_table or "", c.ref_columns) in ctx.released_keys
        for c in a.constraints
    ):
        return False
    if any(f"{g.function}()" in ctx.recreated_functions for g in a.triggers):
        return False
    if ctx.forced and _has_forced_part(ctx, a):
        return False
    # what calls a function dropped and created again goes and comes back with it
    return not ctx.calls_recreated(
        *(c.default for c in a.columns),
        *(c.generated for c in a.columns),
        *(c.definition for c in a.constraints),
        *(i.definition for i in a.indexes),
        *(p.using for p in a.policies),
        *(p.with_check for p in a.policies),
    )


def _has_forced_part(ctx: Context, t: Table) -> bool:
    """True when a part of the table is rebuilt around a dependency (studio.diff.depend)."""
    k = t.key
    keys = {col_key(k, c.name) for c in t.columns} | {def_key(k, c.name) for c in t.columns}
    keys |= {con_key(k, c.name) for c in t.constraints}
    keys |= {rel_key(_index_qualname(k, i.name)) for i in t.indexes}
    keys |= {trg_key(k, g.name) for g in t.triggers} | {pol_key(k, p.name) for p in t.policies}
    return not ctx.forced.isdisjoint(keys)


def _must_replace(a: Table, b: Table) -> bool:
    # no ALTER turns a table into a partitioned one, or changes a partition key
    return a.partition_key != b.partition_key


def _why_recreated(a: Table, b: Table) -> str:
    if b.partition_key is None:
        return "as a plain table"
    if a.partition_key is None:
        return f"partitioned by {b.partition_key}"
    return f"partitioned by {b.partition_key} instead of {a.partition_key}"


def _released_keys(ctx: Context, kept: list[str], replaced: list[str]) -> None:
    """Keys that go away or are rebuilt: the foreign keys referencing them are rebuilt too."""
    for k in kept:
        a, b = ctx.old.tables[k], ctx.new.tables[k]
        # equal values are equal in shape: the shapes (copies) only for the few that differ
        for c in a.constraints:
            other = b.constraint(c.name) if c.kind in _KEYS else c
            if c.kind in _KEYS and (
                k in replaced or (c != other and _comparable(c) != _comparable_or_none(other))
            ):
                ctx.released_keys.add((k, c.columns))
        for i in a.indexes:
            twin = b.index(i.name) if i.unique else i
            if i.unique and (
                k in replaced
                or (i != twin and _index_comparable(i) != _index_comparable_or_none(twin))
            ):
                ctx.released_keys.add((k, tuple(i.keys)))


def _comparable(c: Constraint) -> Constraint:
    return partitions.constraint_shape(c)


def _comparable_or_none(c: Constraint | None) -> Constraint | None:
    return None if c is None else _comparable(c)


def _index_comparable(i: Index) -> Index:
    return partitions.index_shape(i)


def _index_comparable_or_none(i: Index | None) -> Index | None:
    return None if i is None else _index_comparable(i)


def create_table(ctx: Context, t: Table) -> None:
    """CREATE TABLE and then its constraints, indexes, triggers, policies, RLS and comments."""
    deps = column_deps(ctx, t.columns, new=True)
    named = partitions.pin_taken_names(ctx, t)
    if t.partition_of:
        create, _ = partition_of(named, ctx.new.tables.get(t.partition_of))
        ctx.add(replace(create, deps=deps))
        partitions.attach_partition(ctx, t)
    else:
        parents = tuple(x for k in t.inherits if (x := ctx.new.tables.get(k)))
        # the columns it inherits must be on its parents first
        inherited = {col_key(x.key, c.name) for x in parents for c in x.columns}
        deps = deps | Deps(requires=frozenset(inherited))
        ctx.add(CreateTable(named, None, deps, inherits_from=parents))
    for con in t.constraints:
        _add_constraint(ctx, t, con)
    for i in t.indexes:
        _create_index(ctx, t, i)
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
    table_attributes(ctx, None, t, set())
    ctx.comment("TABLE", t.key, None, t.comment, key=rel_key(t.key), table=t.key)
    for c in t.columns:
        column_comment(ctx, t.key, None, c)


def _drop_table(ctx: Context, t: Table, recreated: str | None = None) -> None:
    deps = column_deps(ctx, t.columns, new=False)
    # its foreign keys hold the keys they reference: the table goes before those
    for c in t.constraints:
        ref = ctx.old.tables.get(c.ref_table or "")
        key = _referenced_key(ref, c.ref_columns) if ref and ref.key != t.key else None
        if key and ref:
            # and, for a partitioned table, the partitions' keys attached to it
            below = partitions.below(ctx, _referenced_index(ref, key))
            deps = deps | Deps(uses=frozenset({key, *map(rel_key, below)}))
    ctx.add(DropTable(t, deps, recreated))


def _add_constraint(ctx: Context, t: Table, c: Constraint) -> None:
    table = t.key
    deps = ctx.new_deps(c.definition)
    if c.kind is ConstraintKind.FOREIGN_KEY and c.ref_table:
        ref = ctx.new.tables.get(c.ref_table)
        key = _referenced_key(ref, c.ref_columns) if ref else None
        if key:
            deps = deps | Deps(requires=frozenset({key}))
        # after both ends have their new persistence (the new state allows the key)
        deps = deps | Deps(requires=frozenset(map(persistence_key, (table, c.ref_table))))
        if ref and ref.partition_key and key:
            # a partitioned key is usable once every partition's is attached to it
            deps = deps | Deps(requires=frozenset({valid_key(_referenced_index(ref, key))}))
    only = t.partition_key is not None and c.kind in partitions.KEYS
    ctx.add(AddConstraint(table, c, deps, only=only))
    if c.kind in partitions.KEYS and c.attached_to in ctx.made_indexes:
        partitions.attach_index(ctx, t, c.attached_to, c.index or c.name)
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


def _referenced_index(t: Table, key: str) -> str:
    """Qualified name of the index behind a key found by `_referenced_key`."""
    for c in t.constraints:
        if key == con_key(t.key, c.name):
            return partitions.key_index(t, c)
    return key.removeprefix("rel:")


def _create_index(ctx: Context, t: Table, i: Index) -> None:
    table = t.key
    # a partitioned table's index: made on it alone, each partition's attached to it
    only = t.partition_key is not None
    ctx.add(CreateIndex(table, i, deps=ctx.new_deps(i.definition), only=only))
    if i.attached_to in ctx.made_indexes:
        partitions.attach_index(ctx, t, i.attached_to, i.name)
    ix = _index_qualname(table, i.name)
    ctx.comment("INDEX", ix, None, i.comment, key=rel_key(ix), table=table)


def _index_qualname(table: str, name: str) -> str:
    return qualname(schema_of(table), name)


def _alter_table(ctx: Context, a: Table, b: Table) -> None:
    key = b.key
    # partitions and inheritance
    if key in ctx.detaching:
        assert a.partition_of is not None
        ctx.add(DetachPartition(a.partition_of, key, a.partition_bound or "DEFAULT"))
        a = partitions.as_detached(ctx, a)
    if key in ctx.attaching:
        partitions.attach_partition(ctx, b)
        b = partitions.as_attachable(ctx, b)
    for p in b.inherits:
        if p not in a.inherits:
            ctx.add(SetInherit(key, p, True))
    for p in a.inherits:
        if p not in b.inherits:
            # before the parent's CHECKs it keeps go (dropped on the parent, they go from it too)
            ctx.add(SetInherit(key, p, False, partitions.uses_checks(ctx, p)))
            a = partitions.as_detached(ctx, a, p)
    recreated = compare_columns(ctx, a, b)
    _constraints(ctx, a, b, recreated)
    _indexes(ctx, a, b, recreated)
    _triggers(ctx, a, b)
    _policies(ctx, a, b, recreated)
    if a.rls_enabled != b.rls_enabled:
        ctx.add(SetRowLevelSecurity(key, b.rls_enabled))
    if a.rls_forced != b.rls_forced:
        ctx.add(ForceRowLevelSecurity(key, b.rls_forced))
    if a.unlogged != b.unlogged:
        ctx.add(SetLogged(key, b.unlogged, deps=_persistence_order(ctx, key, b.unlogged)))
    if a.options != b.options:
        ctx.add(SetTableOptions(key, a.options, b.options))
    table_attributes(ctx, a, b, recreated)
    ctx.comment("TABLE", key, a.comment, b.comment, key=rel_key(key), table=key)


# --- constraints, indexes, triggers, policies ---------------------------------------


def _constraints(ctx: Context, a: Table, b: Table, recreated: set[str]) -> None:
    table = b.key
    old = {c.name: c for c in a.constraints if not partitions.gone(ctx, c.attached_to)}
    new = {c.name: c for c in b.constraints}
    for was, now in partitions.renamed_keys(old, new):
        ctx.add(RenameConstraint(table, was, now))
        old[now] = new[now]
        del old[was]
    for name in sorted(new.keys() - old.keys()):
        _add_constraint(ctx, b, new[name])
    for name in sorted(old.keys() - new.keys()):
        _drop_constraint(ctx, a, old[name])
    for name in sorted(old.keys() & new.keys()):
        x, y = old[name], new[name]
        forced = (
            bool(recreated & set(x.columns))
            or (
                x.kind is ConstraintKind.FOREIGN_KEY
                and (x.ref_table or "", x.ref_columns) in ctx.released_keys
            )
            or any(e in x.definition for e in ctx.recast_enums if _recast_here(ctx, table))
            or ctx.calls_recreated(x.definition)
            or con_key(table, name) in ctx.forced
        )
        if not forced and _comparable(x) == _comparable(y):
            if partitions.needs_attach(ctx, b, x.attached_to, y.attached_to):
                partitions.attach_index(ctx, b, y.attached_to, y.index or y.name)
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
        _drop_constraint(ctx, a, x)
        _add_constraint(ctx, b, y)


def _read_columns(t: Table, names: set[str]) -> Deps:
    """An index or constraint is dropped before the columns it reads: a column's drop takes
    it along, and a DROP held back (by a replica identity moving off the index) then fails."""
    keys = frozenset(col_key(t.key, n) for n in names if t.column(n) is not None)
    return Deps(uses=keys) if keys else Deps()


def _drop_constraint(ctx: Context, a: Table, c: Constraint) -> None:
    deps = ctx.old_deps(c.definition) | partitions.after_detach(ctx, a)
    deps |= _read_columns(a, set(c.columns))
    below = partitions.below(ctx, partitions.key_index(a, c)) if c.kind in partitions.KEYS else ()
    ctx.add(DropConstraint(a.key, c, deps, attached=below))


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
    old = {i.name: i for i in a.indexes if not partitions.gone(ctx, i.attached_to)}
    new = {i.name: i for i in b.indexes}
    for was, now in partitions.renamed(old, new):
        ctx.add(RenameIndex(table, was, now))
        old[now] = new[now]
        del old[was]
    for name in sorted(new.keys() - old.keys()):
        _create_index(ctx, b, new[name])
    for name in sorted(old.keys() - new.keys()):
        _drop_index(ctx, a, old[name])
    for name in sorted(old.keys() & new.keys()):
        x, y = old[name], new[name]
        forced = (
            mentions(" ".join((*x.keys, *x.include, x.predicate or "")), recreated)
            or any(e in x.definition for e in ctx.recast_enums if _recast_here(ctx, table))
            or ctx.calls_recreated(x.definition)
            or rel_key(_index_qualname(table, name)) in ctx.forced
        )
        if not forced and _index_comparable(x) == _index_comparable(y):
            if partitions.needs_attach(ctx, b, x.attached_to, y.attached_to):
                partitions.attach_index(ctx, b, y.attached_to, name)
            ix = _index_qualname(table, name)
            ctx.comment("INDEX", ix, x.comment, y.comment, key=rel_key(ix), table=table)
            continue
        _drop_index(ctx, a, x)
        _create_index(ctx, b, y)


def _drop_index(ctx: Context, a: Table, i: Index) -> None:
    deps = ctx.old_deps(i.definition) | partitions.after_detach(ctx, a)
    text = " ".join((*i.keys, *i.include, i.predicate or ""))
    deps |= _read_columns(a, {c.name for c in a.columns if mentions(text, [c.name])})
    below = partitions.below(ctx, qualname(a.schema, i.name))
    ctx.add(DropIndex(a.key, i, deps=deps, attached=below))


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
        if (
            x.definition != y.definition
            or f"{y.function}()" in ctx.recreated_functions
            or trg_key(table, name) in ctx.forced
        ):
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
        stale = (
            mentions(x.using, rebuilt)
            or mentions(x.with_check, rebuilt)
            or pol_key(table, name) in ctx.forced
        )
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


def _persistence_order(ctx: Context, key: str, unlogged: bool) -> Deps:
    """The SET LOGGED / UNLOGGED of tables a foreign key joins to `key` that must run first.

    PostgreSQL keeps permanent tables from referencing unlogged ones at every
    step: going unlogged, the tables that reference `key` go first; going
    logged, the tables `key` references do (either schema's keys: the order
    only matters between tables that both change). And a foreign key at either
    end of `key` that goes away (its constraint, column or table dropped) goes
    first: it may join `key` to a table whose persistence stays as it was.
    """
    gone = frozenset(
        con_key(k, c.name)
        for k, t in ctx.old.tables.items()
        for c in t.constraints
        if c.ref_table is not None and c.ref_table != k and key in (k, c.ref_table)
    )
    return _persistence_after(ctx, key, unlogged) | Deps(gone=gone)


def _persistence_after(ctx: Context, key: str, unlogged: bool) -> Deps:
    changing = {
        k
        for k, t in ctx.new.tables.items()
        if k != key
        and (old := ctx.old.tables.get(k)) is not None
        and old.unlogged != t.unlogged
        and t.unlogged == unlogged
    }
    if not changing:
        return NO_DEPS
    first = set()
    for schema in (ctx.old, ctx.new):
        for k, t in schema.tables.items():
            for c in t.constraints:
                if c.ref_table is None or k == c.ref_table:
                    continue
                if unlogged and c.ref_table == key and k in changing:
                    first.add(k)
                if not unlogged and k == key and c.ref_table in changing:
                    first.add(c.ref_table)
    return Deps(requires=frozenset(persistence_key(k) for k in first))
