"""Catalog rows -> `Schema.dependencies`: pg_depend's edges between model objects.

The `dependencies` query gives each edge's ends by catalog and oid; they are
named here by the dependency keys of studio.model.keys, from the rows the
other queries returned (every object of the model comes with its oid). An end
the model does not hold (out of scope, or of a kind it leaves out) drops its
edge, except objects an extension owns (named as the extension) and objects
of other kinds (`obj:` keys, by pg_identify_object). Pure, no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from studio.model import qualname
from studio.model.keys import (
    catalog_key,
    col_key,
    con_key,
    def_key,
    ext_key,
    fn_key,
    obj_key,
    pol_key,
    rel_key,
    schema_of,
    trg_key,
    type_key,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from studio.catalog.rows import Rows
    from studio.catalog.tables import TableParts


# the catalogs' own oids (fixed in every PostgreSQL release)
PG_TYPE = 1247
PG_REWRITE = 2618


def dependencies(rows: Rows, parts: TableParts) -> dict[str, tuple[str, ...]]:
    """Dependency key -> the keys it depends on, for every edge whose ends the model names.

    `parts`: the columns already built from the columns query (their names by attnum).
    """
    found = rows.get("dependencies")
    if not found:
        return {}
    names = _Names(rows, parts)
    edges: defaultdict[str, set[str]] = defaultdict(set)
    for r in found:
        dep = names.dependent(r)
        if dep is None:
            continue
        ref = names.referenced(r)
        if ref is not None and ref != dep:
            edges[dep].add(ref)
    return {k: tuple(sorted(v)) for k, v in edges.items()}


class _Names:
    """Oid -> key, per catalog: each map built on first use from the other queries' rows."""

    def __init__(self, rows: Rows, parts: TableParts) -> None:
        self.rows = rows
        self.attnames = parts.attnames
        self.columns = parts.columns
        self._rels: dict[int, Mapping[str, Any]] | None = None
        self._rel_keys: dict[int, str] = {}
        self._views: frozenset[int] | None = None
        self._indexes: dict[int, str] | None = None
        self._constraints: dict[int, str] | None = None
        self._triggers: dict[int, str] | None = None
        self._policies: dict[int, str] | None = None
        self._functions: dict[int, str] | None = None
        self._types: dict[int, str] | None = None
        self._composites: dict[int, str] | None = None
        self._objects: dict[tuple[int, int], str] | None = None

    # --- per catalog ------------------------------------------------------------

    def relation(self, oid: int) -> str | None:
        """Qualified name of a table, view or sequence (an identity column's too: what
        depends on it is rebuilt around DROP IDENTITY, see studio.model.changes.identity)."""
        found = self._rel_keys.get(oid)
        if found is not None:
            return found
        if self._rels is None:
            self._rels = {
                r["oid"]: r for k in ("tables", "views", "sequences") for r in self.rows[k]
            }
        r = self._rels.get(oid)
        if r is None:
            return None
        found = self._rel_keys[oid] = qualname(r["schema"], r["name"])
        return found

    def generated(self, oid: int, name: str) -> bool:
        """True for a generated column of relation `oid`."""
        return any(c.name == name and c.generated for c in self.columns.get(oid, ()))

    def is_view(self, oid: int) -> bool:
        if self._views is None:
            self._views = frozenset(r["oid"] for r in self.rows["views"])
        return oid in self._views

    def index(self, oid: int) -> str | None:
        """Key of an index: rel of the index, or con of the constraint it backs."""
        if self._indexes is None:
            out: dict[int, str] = {}
            for r in self.rows["indexes"]:
                table = self.relation(r["table_oid"])
                if table is not None:
                    out[r["oid"]] = rel_key(qualname(schema_of(table), r["name"]))
            for r in self.rows["constraints"]:
                table = self.relation(r["table_oid"])
                if r["index_oid"] and table is not None:
                    out[r["index_oid"]] = con_key(table, r["name"])
            self._indexes = out
        return self._indexes.get(oid)

    def constraint(self, oid: int) -> str | None:
        if self._constraints is None:
            out = self._by_table("constraints", con_key)
            out.update(
                (r["check_oid"], con_key(qualname(r["schema"], r["name"]), r["check_name"]))
                for r in self.rows["domains"]
                if r["check_oid"] is not None
            )
            self._constraints = out
        return self._constraints.get(oid)

    def trigger(self, oid: int) -> str | None:
        if self._triggers is None:
            self._triggers = self._by_table("triggers", trg_key)
        return self._triggers.get(oid)

    def policy(self, oid: int) -> str | None:
        if self._policies is None:
            self._policies = self._by_table("policies", pol_key)
        return self._policies.get(oid)

    def _by_table(self, query: str, key: Callable[[str, str], str]) -> dict[int, str]:
        out = {}
        for r in self.rows[query]:
            table = self.relation(r["table_oid"])
            if table is not None:
                out[r["oid"]] = key(table, r["name"])
        return out

    def function(self, oid: int) -> str | None:
        if self._functions is None:
            self._functions = {
                r["oid"]: fn_key(f"{qualname(r['schema'], r['name'])}({r['arguments']})")
                for k in ("functions", "aggregates")
                for r in self.rows[k]
                if r["arguments"] is not None
            }
        return self._functions.get(oid)

    def type(self, oid: int) -> str | None:
        if self._types is None:
            self._types = {
                r["oid"]: type_key(qualname(r["schema"], r["name"]))
                for k in ("enums", "domains", "composites")
                for r in self.rows.get(k, ())
            }
        return self._types.get(oid)

    def composite(self, relid: int) -> str | None:
        """Key of the composite type whose attributes are relation `relid`'s columns."""
        if self._composites is None:
            self._composites = {
                r["relid"]: type_key(qualname(r["schema"], r["name"]))
                for r in self.rows.get("composites", ())
            }
        return self._composites.get(relid)

    def catalog_object(self, catalog: int, oid: int) -> str | None:
        """Key of a catalog object kept as statements (a range type, an operator class...)."""
        if self._objects is None:
            self._objects = {
                (r["catalog"], r["oid"]): catalog_key(r["kind"], r["identity"])
                for r in self.rows.get("catalog_objects", ())
                if r["identity"] is not None
            }
        return self._objects.get((catalog, oid))

    # --- the two ends -------------------------------------------------------------

    def _relation_or_column(self, oid: int, sub: int) -> str | None:
        rel = self.relation(oid)
        if rel is None:
            # a composite type is altered attribute by attribute: they are the type
            return self.composite(oid) or (self.index(oid) if sub == 0 else None)
        if sub == 0 or self.is_view(oid):
            return rel_key(rel)  # a view is dropped and created whole: its columns are the view
        name = self.attnames.get(oid, {}).get(sub)
        return None if name is None else col_key(rel, name)

    def dependent(self, r: Mapping[str, Any]) -> str | None:
        """The key of the object that depends, or None when the model does not hold it."""
        kind, oid, sub = r["dep_class"], r["dep_oid"], r["dep_sub"]
        if kind == "c":
            return self._relation_or_column(oid, sub)
        if kind == "d":
            rel = self.relation(oid)
            name = self.attnames.get(oid, {}).get(sub)
            if rel is None or name is None:
                return None
            # a generated column's expression is the column itself
            return col_key(rel, name) if self.generated(oid, name) else def_key(rel, name)
        if kind == "k":
            return self.constraint(oid)
        if kind == "t":
            return self.trigger(oid)
        if kind == "p":
            return self.policy(oid)
        if kind == "f":
            return self.function(oid)
        if kind == "y":
            return self.type(oid) or self.catalog_object(PG_TYPE, oid)
        if kind == "r":
            return self.catalog_object(PG_REWRITE, oid)
        return self.catalog_object(r["dep_catalog"], oid) or _other(r["dep_identity"])

    def referenced(self, r: Mapping[str, Any]) -> str | None:
        """The key of the object depended on, or None when the model does not hold it."""
        kind, oid, sub = r["ref_class"], r["ref_oid"], r["ref_sub"]
        if kind == "e":
            return ext_key(r["ref_ext"]) if r["ref_ext"] else None
        if kind == "c":
            return self._relation_or_column(oid, sub)
        if kind == "k":
            return self.constraint(oid)
        if kind == "f":
            return self.function(oid)
        if kind == "y":
            return self.type(oid) or self.catalog_object(PG_TYPE, oid)
        return self.catalog_object(r["ref_catalog"], oid) or _other(r["ref_identity"])


def _other(identity: list[str | None] | None) -> str | None:
    """The obj: key of an object of a kind the model does not hold (type, schema, identity)."""
    if not identity or identity[0] is None or identity[2] is None:
        return None
    return obj_key(identity[0], identity[2])
