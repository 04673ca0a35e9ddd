"""What must be dropped and created again because something it depends on is.

PostgreSQL refuses to drop an object others depend on, and to re-type a
column a view, policy, trigger or generated column reads; what depended on
an object dropped with CASCADE would go silently. So an object kept on both
sides whose old dependencies (`Schema.dependencies`, from pg_depend) a change
takes away is itself dropped before and created after: a view over a
re-typed column, a policy over a dropped column, a trigger, default, index or
constraint calling a function that is replaced by DROP and CREATE, a function
whose default or body calls one, an index using an operator class that is,
extended statistics over a column dropped and added again. `diff` runs the
comparators again with those objects forced until no more are found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.diff.refs import mentions
from studio.model import qualname
from studio.model.changes.base import (
    col_key,
    con_key,
    def_key,
    fn_key,
    pol_key,
    rel_key,
    trg_key,
    type_key,
)
from studio.model.changes.catalog import object_key
from studio.model.keys import catalog_key

if TYPE_CHECKING:
    from studio.diff.context import Context
    from studio.model import Schema

# what can be dropped and created again without losing data
_REBUILDABLE = frozenset(
    {
        "view",
        "index",
        "constraint",
        "trigger",
        "policy",
        "function",
        "default",
        "generated",
        "statistics",
        "rule",
    }
)
# what PostgreSQL refuses to keep over a column or type changed in place (ALTER
# COLUMN TYPE rebuilds the indexes and constraints of the table itself)
_REFUSES_RETYPE = frozenset({"view", "trigger", "policy", "function", "generated", "rule"})
# the keys of collations (a recreated one is renamed away before its users move)
_COLLATION = "obj:collation:"


def rebuilds(ctx: Context) -> frozenset[str]:
    """Keys of the objects kept on both sides that the changes in `ctx.out` take a dependency of."""
    edges = ctx.old.dependencies
    if not edges:
        return frozenset()
    dropped: set[str] = set()
    retyped: set[str] = set()
    for c in ctx.out:
        provides = c.provides
        for k in c.removes:
            (retyped if k in provides else dropped).add(k)
    retyped -= dropped
    if not dropped and not retyped:
        return frozenset()
    taken = dropped | retyped
    hits = {
        key: refs for key, refs in edges.items() if key not in taken and not taken.isdisjoint(refs)
    }
    if not hits:
        return frozenset()
    old, new = kinds(ctx.old), kinds(ctx.new)
    rebuilt_by_alter = _rebuilt_by_alter(ctx.old, retyped)
    out = set()
    for key, refs in hits.items():
        kind = old.get(key)
        changed = retyped.intersection(refs)
        # what names a recreated collation itself would be built again by ALTER COLUMN
        # TYPE with the old one's new name (studio.model.changes.catalog.RecreateCollation)
        collated = any(k.startswith(_COLLATION) for k in changed)
        if kind not in _REBUILDABLE or new.get(key) != kind:
            continue
        gone = dropped.intersection(refs)
        # ALTER COLUMN TYPE builds it again as it was: still naming what is dropped
        if key in rebuilt_by_alter and not collated and not gone:
            continue
        if gone or collated or _refuses(ctx, key, kind, changed):
            out.add(key)
    return frozenset(out)


def _rebuilt_by_alter(schema: Schema, retyped: set[str]) -> set[str]:
    """Keys of the indexes and constraints over a column re-typed in place.

    ALTER COLUMN TYPE builds them again itself, with the new type's operator
    classes: what the old ones used (an extension's, say) is released by it.
    """
    out: set[str] = set()
    if not retyped:
        return out
    for t in schema.tables.values():
        k = t.key
        names = [c.name for c in t.columns if col_key(k, c.name) in retyped]
        if not names:
            continue
        out.update(con_key(k, c.name) for c in t.constraints if set(c.columns) & set(names))
        out.update(
            rel_key(qualname(t.schema, i.name))
            for i in t.indexes
            if mentions(" ".join((*i.keys, *i.include, i.predicate or "")), names)
        )
    return out


def _refuses(ctx: Context, key: str, kind: str, changed: set[str]) -> bool:
    """True when PostgreSQL refuses to change `changed` in place under the object `key`."""
    if kind in _REFUSES_RETYPE:
        return True
    # a default naming a recreated enum, on a column the recreation does not re-cast
    return (
        kind == "default"
        and any(k.startswith("type:") for k in changed)
        and ("col:" + key.removeprefix("def:") not in ctx.recast_columns)
    )


def kinds(schema: Schema) -> dict[str, str]:
    """Every dependency key of a schema's objects, with the kind of object it names."""
    out: dict[str, str] = {}
    for t in schema.tables.values():
        k = t.key
        out[rel_key(k)] = "table"
        for c in t.columns:
            out[col_key(k, c.name)] = "generated" if c.generated else "column"
            if c.default is not None:
                out[def_key(k, c.name)] = "default"
        out.update((con_key(k, c.name), "constraint") for c in t.constraints)
        out.update((rel_key(qualname(t.schema, i.name)), "index") for i in t.indexes)
        out.update((trg_key(k, g.name), "trigger") for g in t.triggers)
        out.update((pol_key(k, p.name), "policy") for p in t.policies)
    for v in schema.views.values():
        out[rel_key(v.key)] = "view"
        out.update((rel_key(qualname(v.schema, i.name)), "index") for i in v.indexes)
    out.update((rel_key(k), "sequence") for k in schema.sequences)
    out.update((fn_key(k), "function") for k in schema.functions)
    # a rule is kept as its statement (studio.diff.catalog drops and creates it again)
    out.update(
        (catalog_key(o.kind, o.identity), "rule")
        for o in schema.objects.values()
        if o.kind == "rule"
    )
    out.update((type_key(k), "type") for k in schema.enums)
    for k, d in schema.domains.items():
        out[type_key(k)] = "type"
        out.update((con_key(k, c.name), "constraint") for c in d.constraints)
    # extended statistics go with a dropped column or table (studio.diff.catalog rebuilds them)
    out.update((object_key(o), o.kind) for o in schema.objects.values() if o.kind == "statistics")
    return out
