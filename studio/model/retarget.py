"""A schema's objects moved to another namespace, as PostgreSQL prints them after a rename.

Schema-per-tenant fleets apply one set of migrations to many schemas: the
migrations' replay builds one template schema (`public`), and each tenant is
compared with that replay re-targeted to the tenant's schema. PostgreSQL
stores references by oid, so after `ALTER SCHEMA public RENAME TO tenant_a`
it prints `tenant_a.t` wherever it printed `public.t`: in keys, index and
constraint definitions, defaults (`nextval('tenant_a.t_id_seq'::regclass)`),
view bodies and function headers. `retarget` rewrites the model the same way,
without a round trip to the server.

Only names of objects the template schema holds in the model are rewritten:
a type or function an extension installed there (`public.citext`) stays where
it is, as it does on the server. Comments and enum labels are data, never
rewritten. A function body is the text its author wrote: one that names the
template schema explicitly is rewritten too, while the tenant's own copy
keeps naming it; such a body reaches outside its tenant and shows as drift.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from studio.model import Extension, Namespace, Schema, quote_ident

_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
# data, not references: a comment's or an enum label's text means what its author wrote
_KEPT = frozenset({"comment", "labels"})


def retarget(schema: Schema, old: str, new: str) -> Schema:
    """`schema` with the objects of namespace `old` moved to namespace `new` (pure).

    The namespace `old` itself becomes `new`, without a comment: the tenant
    schema is the fleet's, not something the migrations made.
    """
    if old == new:
        return schema
    rewriter = _Rewriter(schema, old, new)
    moved = rewriter.value(schema, "")
    assert isinstance(moved, Schema)
    namespaces = {k: v for k, v in moved.namespaces.items() if v.name != old}
    if any(v.name == old for v in schema.namespaces.values()):
        namespaces[quote_ident(new)] = Namespace(new)
    return dataclasses.replace(moved, namespaces=namespaces)


class _Rewriter:
    """The rewrite of one schema: which names move, and the walk over the model's values."""

    def __init__(self, schema: Schema, old: str, new: str) -> None:
        self.old, self.new = old, new
        self.q_old, self.q_new = quote_ident(old), quote_ident(new)
        self.names = _names_in(schema, old)
        self.pattern = re.compile(rf'(?<![\w$".]){re.escape(self.q_old)}\.({_IDENT})')
        self.memo: dict[int, Any] = {}

    def text(self, value: str) -> str:
        """A text with each qualified reference to a moved object pointing at `new`."""
        if self.q_old not in value:
            return value
        if value == f"nsp:{self.q_old}":
            return f"nsp:{self.q_new}"
        return self.pattern.sub(self._one, value)

    def _one(self, m: re.Match[str]) -> str:
        return f"{self.q_new}.{m[1]}" if m[1] in self.names else m[0]

    def value(self, value: Any, field: str) -> Any:
        """Any part of the model, rewritten (the same object when nothing in it moves)."""
        if isinstance(value, str):
            return value if field in _KEPT else self.text(value)
        if isinstance(value, tuple):
            items = tuple(self.value(v, field) for v in value)
            return value if all(a is b for a, b in zip(items, value, strict=True)) else items
        if isinstance(value, dict):
            return {self.text(k): self.value(v, field) for k, v in value.items()}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self._object(value)
        return value

    def _object(self, obj: Any) -> Any:
        # introspection shares identical parts (columns) between tables: rewrite each once
        key = id(obj)
        if key not in self.memo:
            self.memo[key] = self._fields(obj)
        return self.memo[key]

    def _fields(self, obj: Any) -> Any:
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            before = getattr(obj, f.name)
            if f.name == "schema" and not isinstance(obj, Extension):
                # an extension stays where it was installed; every other object moves
                after = self.new if before == self.old else before
            elif f.name in _KEPT:
                continue
            else:
                after = self.value(before, f.name)
            if after is not before:
                changes[f.name] = after
        return dataclasses.replace(obj, **changes) if changes else obj


def _names_in(schema: Schema, namespace: str) -> frozenset[str]:
    """The quoted names of what the model holds in `namespace`: relations, types, functions."""
    names: set[str] = set()
    for group in (schema.tables, schema.views, schema.sequences, schema.enums, schema.domains):
        names.update(quote_ident(o.name) for o in group.values() if o.schema == namespace)
    names.update(quote_ident(c.name) for c in schema.composites.values() if c.schema == namespace)
    names.update(quote_ident(f.name) for f in schema.functions.values() if f.schema == namespace)
    for table in schema.tables.values():
        if table.schema == namespace:
            names.update(quote_ident(i.name) for i in table.indexes)
    prefix = quote_ident(namespace) + "."
    identities = [o.identity for o in schema.objects.values() if o.schema == namespace]
    identities += [o.identity for o in schema.unmodelled.values() if o.schema == namespace]
    for identity in identities:
        if identity.startswith(prefix) and (m := re.match(_IDENT, identity[len(prefix) :])):
            names.add(m[0])
    # a range type's multirange is a type of its own, named in the range's statement
    multirange = re.compile(rf"MULTIRANGE_TYPE_NAME = {re.escape(prefix)}({_IDENT})")
    for obj in schema.objects.values():
        if obj.kind == "range type" and obj.schema == namespace:
            names.update(m[1] for s in obj.statements for m in multirange.finditer(s))
    return frozenset(names)
