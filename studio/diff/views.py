"""Comparator for views and materialized views.

PostgreSQL refuses to drop or re-type what a view reads, and CREATE OR
REPLACE VIEW cannot change a column's type, so a view whose definition
changes, or that reads a column being re-typed or rebuilt, or a relation or
function being recreated, is dropped and created again, and so is every view
that reads a view dropped that way.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from studio.diff.tables import _index_qualname, _triggers
from studio.model import Table, View, qualname
from studio.model.changes import (
    CreateIndex,
    CreateTrigger,
    CreateView,
    DropIndex,
    DropView,
    SetTableOptions,
)
from studio.model.changes.base import col_key, fn_key, rel_key, split_qualified

if TYPE_CHECKING:
    from studio.diff.context import Context


def _reads_rebuilt(ctx: Context, v: View) -> bool:
    for qualified in v.depends_on_columns:
        *table, column = split_qualified(qualified)
        if col_key(qualname(*table), column) in ctx.rebuilt_columns:
            return True
    if set(v.depends_on) & ctx.recreated:
        return True
    calls = ctx.old_refs.expr_deps(v.definition)
    return any(fn_key(f) in calls for f in ctx.recreated_functions)


def _shape(v: View) -> View:
    # what decides a drop and create; options and comments are altered in place
    return replace(
        v, options=(), comment=None, indexes=(), triggers=(), depends_on=(), depends_on_columns=()
    )


def views(ctx: Context) -> None:
    """Views and materialized views, dependents recreated around what they read."""
    old, new = ctx.old.views, ctx.new.views
    drop = set(old.keys() - new.keys())
    create = set(new.keys() - old.keys())
    for k in old.keys() & new.keys():
        if (
            _shape(old[k]) != _shape(new[k])
            or rel_key(k) in ctx.forced
            or _reads_rebuilt(ctx, old[k])
        ):
            drop.add(k)
            create.add(k)
    grown = True
    while grown:
        grown = False
        for k, v in old.items():
            if k not in drop and set(v.depends_on) & drop:
                drop.add(k)
                if k in new:
                    create.add(k)
                grown = True
    ctx.recreated.update(drop & create)
    for k in sorted(drop):
        # a view is dropped before any rename runs: it carries its definition from before them
        v = (ctx.original.views if ctx.original else old).get(k, old[k])
        ctx.add(DropView(v, ctx.old_deps(old[k].definition)))
    for k in sorted(create):
        _create(ctx, new[k])
    for k in sorted((old.keys() & new.keys()) - drop):
        _alter(ctx, old[k], new[k])


def _kind(v: View) -> str:
    return "MATERIALIZED VIEW" if v.materialized else "VIEW"


def _create(ctx: Context, v: View) -> None:
    ctx.add(CreateView(v, ctx.new_deps(v.definition)))
    for i in v.indexes:
        ctx.add(CreateIndex(v.key, i, deps=ctx.new_deps(i.definition)))
        ix = _index_qualname(v.key, i.name)
        ctx.comment("INDEX", ix, None, i.comment, key=rel_key(ix), table=v.key, created=True)
    for g in v.triggers:
        ctx.add(CreateTrigger(v.key, g))
    ctx.comment(_kind(v), v.key, None, v.comment, key=rel_key(v.key), table=v.key, created=True)


def _alter(ctx: Context, a: View, b: View) -> None:
    if a.options != b.options:
        ctx.add(SetTableOptions(b.key, a.options, b.options, _kind(b)))
    old_ix = {i.name: i for i in a.indexes}
    new_ix = {i.name: i for i in b.indexes}
    for name in sorted(old_ix.keys() - new_ix.keys()):
        ctx.add(DropIndex(b.key, old_ix[name]))
    for name in sorted(new_ix):
        i = new_ix[name]
        before = old_ix.get(name)
        if before is not None and replace(before, comment=None) == replace(i, comment=None):
            ix = _index_qualname(b.key, name)
            ctx.comment("INDEX", ix, before.comment, i.comment, key=rel_key(ix), table=b.key)
            continue
        if before is not None:
            ctx.add(DropIndex(b.key, before))
        ctx.add(CreateIndex(b.key, i, deps=ctx.new_deps(i.definition)))
        ix = _index_qualname(b.key, name)
        ctx.comment("INDEX", ix, None, i.comment, key=rel_key(ix), table=b.key, created=True)
    # triggers on views (INSTEAD OF) compare like a table's
    _triggers(
        ctx,
        Table(a.schema, a.name, triggers=a.triggers),
        Table(b.schema, b.name, triggers=b.triggers),
    )
    ctx.comment(_kind(b), b.key, a.comment, b.comment, key=rel_key(b.key), table=b.key)
