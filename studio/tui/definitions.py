"""An object's definition as SQL, on one side (pure, no Textual).

The SQL comes from the change vocabulary's own CREATE forms, so what the
detail panel shows is what a migration would write.
"""

from __future__ import annotations

from studio.model import Schema, Table, qualname
from studio.model import changes as ch
from studio.model.changes.base import split_qualified
from studio.model.changes.columns import column_sql


def _statements(sql: tuple[str, ...]) -> str:
    return "\n".join(s.rstrip() + ";" for s in sql)


def _table_of(schema: Schema, rest: str) -> tuple[Table, str] | None:
    """`public.orders.status` -> (the table, `status`)."""
    parts = split_qualified(rest)
    if len(parts) < 3:
        return None
    table = schema.tables.get(qualname(parts[0], parts[1]))
    return (table, parts[2]) if table is not None else None


def definition(schema: Schema, node_id: str) -> str | None:
    """The SQL that creates object `node_id` as `schema` has it, or None when it has not."""
    kind, _, rest = node_id.partition(":")
    if kind == "table":
        t = schema.tables.get(rest)
        if t is None:
            return None
        parts = [_statements(ch.CreateTable(t).sql())]
        parts += [_statements(ch.AddConstraint(t.key, c).sql()) for c in t.constraints]
        parts += [i.definition.rstrip(";") + ";" for i in t.indexes]
        parts += [g.definition.rstrip(";") + ";" for g in t.triggers]
        return "\n".join(parts)
    if kind in ("column", "constraint", "index", "trigger", "policy"):
        found = _table_of(schema, rest)
        if found is None:
            return None
        t, name = found
        if kind == "column":
            c = t.column(name)
            return None if c is None else f"ALTER TABLE {t.key} ADD COLUMN {column_sql(c)};"
        if kind == "constraint":
            k = t.constraint(name)
            return None if k is None else _statements(ch.AddConstraint(t.key, k).sql())
        if kind == "index":
            i = t.index(name)
            return None if i is None else i.definition.rstrip(";") + ";"
        if kind == "trigger":
            g = next((g for g in t.triggers if g.name == name), None)
            return None if g is None else g.definition.rstrip(";") + ";"
        p = next((p for p in t.policies if p.name == name), None)
        return None if p is None else _statements(ch.CreatePolicy(t.key, p).sql())
    if kind == "view":
        v = schema.views.get(rest)
        return None if v is None else _statements(ch.CreateView(v).sql())
    if kind == "enum":
        e = schema.enums.get(rest)
        return None if e is None else _statements(ch.CreateEnum(e).sql())
    if kind == "domain":
        d = schema.domains.get(rest)
        return None if d is None else _statements(ch.CreateDomain(d).sql())
    if kind == "sequence":
        q = schema.sequences.get(rest)
        return None if q is None else _statements(ch.CreateSequence(q).sql())
    if kind == "composite":
        ct = schema.composites.get(rest)
        return None if ct is None else _statements(ch.CreateComposite(ct).sql())
    if kind == "object":
        o = schema.objects.get(rest)
        return None if o is None else _statements(o.statements)
    if kind == "function":
        f = schema.functions.get(rest)
        return None if f is None else f.definition.rstrip().rstrip(";") + ";"
    if kind == "extension":
        x = next((x for x in schema.extensions.values() if x.key == rest), None)
        return None if x is None else _statements(ch.CreateExtension(x).sql())
    if kind == "schema":
        n = next((n for n in schema.namespaces.values() if n.key == rest), None)
        if n is None:
            return (
                f"-- schema {rest}"
                if any(t.schema == rest for t in schema.tables.values())
                else None
            )
        return _statements(ch.CreateSchema(n).sql())
    return None


__all__ = ["definition"]
