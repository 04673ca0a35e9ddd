"""Composite types and the catalog objects kept as statements (range types, collations,
text search objects, operators, operator families and classes, casts, rules, extended
statistics): created, dropped, or dropped and created again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.model.changes import (
    AlterComposite,
    CollatedColumn,
    CreateComposite,
    CreateObject,
    Deps,
    DropComposite,
    DropObject,
    RecreateCollation,
)
from studio.model.changes.base import col_key, type_key
from studio.model.changes.catalog import COMMENT_KIND, needed_objects, object_key, object_keys

if TYPE_CHECKING:
    from studio.diff.context import Context
    from studio.model import CatalogObject, CompositeType, Schema

# objects that others name in their statements: a configuration names its
# dictionaries, an attribute or a range type its collation
_NAMED = ("collation", "text search dictionary", "range type")


def _named_in(schema: Schema, obj: CatalogObject) -> frozenset[str]:
    """Keys of the collations, dictionaries and range types an object's statements name."""
    text = "\n".join(obj.statements)
    return frozenset(
        object_key(o)
        for o in schema.objects.values()
        if o.kind in _NAMED and o is not obj and o.identity in text
    )


def _composite_named(schema: Schema, t: CompositeType) -> frozenset[str]:
    collations = {a.collation for a in t.attributes if a.collation}
    return frozenset(
        object_key(o)
        for o in schema.objects.values()
        if o.kind == "collation" and o.identity in collations
    )


def _used_by_a_column(schema: Schema, key: str) -> bool:
    """Whether a column of a table has the composite type (or an array of it)."""
    return any(c.type.removesuffix("[]") == key for t in schema.tables.values() for c in t.columns)


def composites(ctx: Context) -> None:
    """CREATE/DROP TYPE ... AS (...) and ALTER TYPE ... ATTRIBUTE."""
    old, new = ctx.old.composites, ctx.new.composites

    def new_deps(t: CompositeType) -> Deps:
        deps = ctx.new_deps(types=tuple(a.type for a in t.attributes))
        return deps | Deps(requires=_composite_named(ctx.new, t))

    for k in sorted(new.keys() - old.keys()):
        ctx.add(CreateComposite(new[k], new_deps(new[k])))
        ctx.comment("TYPE", k, None, new[k].comment, key=type_key(k), created=True)
    for k in sorted(old.keys() - new.keys()):
        t = old[k]
        uses = ctx.old_deps(types=tuple(a.type for a in t.attributes))
        ctx.add(DropComposite(t, uses | Deps(uses=_composite_named(ctx.old, t))))
    for k in sorted(old.keys() & new.keys()):
        a, b = old[k], new[k]
        if a.attributes != b.attributes:
            # before what the old attributes used goes away, after what the new ones use exists
            old_uses = ctx.old_deps(types=tuple(x.type for x in a.attributes))
            deps = new_deps(b) | old_uses | Deps(uses=_composite_named(ctx.old, a))
            ctx.add(AlterComposite(a, b, _used_by_a_column(ctx.old, k), deps))
        ctx.comment("TYPE", k, a.comment, b.comment, key=type_key(k))


def catalog_objects(ctx: Context) -> None:
    """CREATE/DROP of the objects kept as statements; a changed one is dropped and created again."""
    old, new = ctx.old.objects, ctx.new.objects

    def create(obj: CatalogObject) -> None:
        deps = ctx.new_deps(types=obj.types) | Deps(requires=_named_in(ctx.new, obj))
        ctx.add(CreateObject(obj, deps))
        ctx.comment(
            COMMENT_KIND[obj.kind],
            obj.identity,
            None,
            obj.comment,
            key=object_key(obj),
            created=True,
        )

    def drop(obj: CatalogObject) -> None:
        deps = ctx.old_deps(types=obj.types) | Deps(uses=_named_in(ctx.old, obj))
        ctx.add(DropObject(obj, deps))

    for k in sorted(new.keys() - old.keys()):
        create(new[k])
    for k in sorted(old.keys() - new.keys()):
        drop(old[k])
    rebuilt = _rebuilt(ctx)
    for k in sorted(old.keys() & new.keys()):
        a, b = old[k], new[k]
        columns = _collated_columns(ctx, a) if k in rebuilt and a.kind == "collation" else ()
        if columns:
            # PostgreSQL refuses to drop a collation a column uses: its columns move over
            deps = ctx.new_deps(types=b.types) | Deps(requires=_named_in(ctx.new, b))
            deps = deps | ctx.old_deps(types=a.types) | Deps(uses=_named_in(ctx.old, a))
            ctx.add(RecreateCollation(a, b, columns, deps))
            ctx.rebuilt_columns.update(col_key(c.table, c.column) for c in columns)
            ctx.comment(COMMENT_KIND[b.kind], b.identity, a.comment, b.comment, key=object_key(b))
        elif k in rebuilt:
            drop(a)
            create(b)
        else:
            ctx.comment(COMMENT_KIND[b.kind], b.identity, a.comment, b.comment, key=object_key(b))


def _collated_columns(ctx: Context, collation: CatalogObject) -> tuple[CollatedColumn, ...]:
    """The table columns using `collation` on both sides, moved to it with their old type.

    A partition's or an inheriting child's inherited column moves with its
    parent's (ALTER TABLE recurses); one that changes collation or goes away
    is changed by its own ALTER, before the old collation is dropped. A column
    that also changes type is moved with its old type, and its own ALTER must
    run after the move: nothing orders the two yet (a known defect, next stop).
    """
    out = []
    for key in sorted(ctx.old.tables.keys() & ctx.new.tables.keys()):
        t_old, t_new = ctx.old.tables[key], ctx.new.tables[key]
        below = t_new.partition_of is not None
        for c in t_old.columns:
            n = t_new.column(c.name)
            if c.collation != collation.identity or n is None or n.collation != c.collation:
                continue
            # a partition's or child's column too: what reads it is built again around it
            moved = not (below or c.inherited or n.inherited)
            out.append(CollatedColumn(key, c.name, c.type, c.storage, c.compression, moved=moved))
    return tuple(out)


def _rebuilt(ctx: Context) -> set[str]:
    """Kept objects to drop and create again: the changed ones, and those over what is.

    A configuration over a recreated dictionary, an operator or a cast over a
    recreated function, an operator class over a recreated operator or family:
    PostgreSQL refuses to drop what they use while they exist (and DROP
    OPERATOR FAMILY takes its classes along). Extended statistics whose table
    or columns are dropped and created again (`ctx.forced`) go with them.
    """
    old, new = ctx.old.objects, ctx.new.objects
    kept = old.keys() & new.keys()
    changed = {k for k in kept if old[k].statements != new[k].statements}
    rebuilt = changed | {k for k in kept if object_key(old[k]) in ctx.forced}
    # a function dropped (its key changes with its argument names too) or recreated
    gone_fns = ctx.recreated_functions | (ctx.old.functions.keys() - ctx.new.functions.keys())
    rebuilt |= {k for k in kept if any(f in gone_fns for f in old[k].functions)}
    # a rule over a column re-typed (studio.diff.depend)
    rebuilt |= {k for k in kept if object_key(old[k]) in ctx.forced}
    # a cast or operator over an enum recreated (renamed away, then dropped)
    rebuilt |= {
        k for k in kept if any(t.removesuffix("[]") in ctx.recast_enums for t in old[k].types)
    }
    while True:
        gone = {g for k in rebuilt | (old.keys() - new.keys()) for g in object_keys(old[k])}
        more = {
            k
            for k in kept - rebuilt
            if (_named_in(ctx.old, old[k]) | needed_objects(old[k])) & gone
        }
        if not more:
            return rebuilt
        rebuilt |= more
