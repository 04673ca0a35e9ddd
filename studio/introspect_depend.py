"""Catalog rows -> `Schema.dependencies`: pg_depend's edges between model objects.

The `dependencies` query gives each edge's ends by catalog and oid; they are
named here by the dependency keys of studio.changes.base, from the rows the
other queries returned (every object of the model comes with its oid). An end
the model does not hold (out of scope, or of a kind it leaves out) drops its
edge, except objects an extension owns (named as the extension) and objects
of other kinds (`obj:` keys, by pg_identify_object). Pure, no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from studio.changes.base import (
    col_key,
    con_key,
    def_key,
    ext_key,
    fn_key,
    obj_key,
    pol_key,
    rel_key,
    trg_key,
    type_key,
)
from studio.model import qualname

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from studio.introspect_rows import Rows


def dependencies(
    rows: Rows, attnames: Mapping[int, Mapping[int, str]]
) -> dict[str, tuple[str, ...]]:
    """Dependency key -> the keys it depends on, for every edge whose ends the model names.

    `attnames`: column names by relation oid and attnum (from the columns query).
    """
    found = rows.get("dependencies")
    if not found:
        return {}
    names = _Names(rows, attnames)
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
    """Oid -> key, per catalog, built on first use from the other queries' rows."""

    def __init__(self, rows: Rows, attnames: Mapping[int, Mapping[int, str]]) -> None:
        self.rows = rows
        self.attnames = attnames
        self._maps: dict[str, dict[int, str]] = {}
        self._generated: set[tuple[int, int]] | None = None

    def _map(self, name: str, build: Callable[[], dict[int, str]]) -> dict[int, str]:
        found = self._maps.get(name)
        if found is None:
            found = self._maps[name] = build()
        return found

    # --- per catalog ------------------------------------------------------------

    def relations(self) -> dict[int, str]:
        """Tables, views and sequences by oid -> qualified name."""
        return self._map("rel", self._relations)

    def _relations(self) -> dict[int, str]:
        out = {r["oid"]: qualname(r["schema"], r["name"]) for r in self.rows["tables"]}
        out.update((r["oid"], qualname(r["schema"], r["name"])) for r in self.rows["views"])
        out.update(
            (r["oid"], qualname(r["schema"], r["name"]))
            for r in self.rows["sequences"]
            if r["owner_kind"] != "i"
        )
        return out

    def views(self) -> dict[int, str]:
        return self._map("views", lambda: {r["oid"]: "" for r in self.rows["views"]})

    def schemas(self) -> dict[int, str]:
        """Schema of each table and view by oid (an index lives in its table's)."""
        return self._map(
            "schemas",
            lambda: {r["oid"]: r["schema"] for k in ("tables", "views") for r in self.rows[k]},
        )

    def indexes(self) -> dict[int, str]:
        """Index oid -> key: rel of the index, or con of the constraint it backs."""
        return self._map("indexes", self._indexes)

    def _indexes(self) -> dict[int, str]:
        rels, schemas = self.relations(), self.schemas()
        out = {
            r["oid"]: rel_key(qualname(schemas[r["table_oid"]], r["name"]))
            for r in self.rows["indexes"]
            if r["table_oid"] in schemas
        }
        out.update(
            (r["index_oid"], con_key(rels[r["table_oid"]], r["name"]))
            for r in self.rows["constraints"]
            if r["index_oid"] and r["table_oid"] in rels
        )
        return out

    def constraints(self) -> dict[int, str]:
        return self._map("con", self._constraints)

    def _constraints(self) -> dict[int, str]:
        rels = self.relations()
        out = {
            r["oid"]: con_key(rels[r["table_oid"]], r["name"])
            for r in self.rows["constraints"]
            if r["table_oid"] in rels
        }
        out.update(
            (r["check_oid"], con_key(qualname(r["schema"], r["name"]), r["check_name"]))
            for r in self.rows["domains"]
            if r["check_oid"] is not None
        )
        return out

    def _by_table(self, query: str, key: Callable[[str, str], str]) -> dict[int, str]:
        rels = self.relations()
        return {
            r["oid"]: key(rels[r["table_oid"]], r["name"])
            for r in self.rows[query]
            if r["table_oid"] in rels
        }

    def functions(self) -> dict[int, str]:
        return self._map(
            "fn",
            lambda: {
                r["oid"]: fn_key(f"{qualname(r['schema'], r['name'])}({r['arguments']})")
                for k in ("functions", "aggregates")
                for r in self.rows[k]
                if r["arguments"] is not None
            },
        )

    def types(self) -> dict[int, str]:
        return self._map(
            "type",
            lambda: {
                r["oid"]: type_key(qualname(r["schema"], r["name"]))
                for k in ("enums", "domains")
                for r in self.rows[k]
            },
        )

    def generated(self, oid: int, num: int) -> bool:
        """True for a generated column (its pg_attrdef is the column's expression)."""
        if self._generated is None:
            self._generated = {(r["oid"], r["num"]) for r in self.rows["columns"] if r["generated"]}
        return (oid, num) in self._generated

    # --- the two ends -------------------------------------------------------------

    def _relation_or_column(self, oid: int, sub: int) -> str | None:
        rel = self.relations().get(oid)
        if rel is None:
            return self.indexes().get(oid) if sub == 0 else None
        if sub == 0 or oid in self.views():
            return rel_key(rel)  # a view is dropped and created whole: its columns are the view
        name = self.attnames.get(oid, {}).get(sub)
        return None if name is None else col_key(rel, name)

    def dependent(self, r: Mapping[str, Any]) -> str | None:
        """The key of the object that depends, or None when the model does not hold it."""
        kind, oid, sub = r["dep_class"], r["dep_oid"], r["dep_sub"]
        if kind == "c":
            return self._relation_or_column(oid, sub)
        if kind == "d":
            rel = self.relations().get(oid)
            name = self.attnames.get(oid, {}).get(sub)
            if rel is None or name is None:
                return None
            # a generated column's expression is the column itself
            return col_key(rel, name) if self.generated(oid, sub) else def_key(rel, name)
        if kind == "k":
            return self.constraints().get(oid)
        if kind == "t":
            return self._map("trg", lambda: self._by_table("triggers", trg_key)).get(oid)
        if kind == "p":
            return self._map("pol", lambda: self._by_table("policies", pol_key)).get(oid)
        if kind == "f":
            return self.functions().get(oid)
        if kind == "y":
            return self.types().get(oid)
        if kind == "r":
            return None  # a table's rule: not in the model
        return _other(r["dep_identity"])

    def referenced(self, r: Mapping[str, Any]) -> str | None:
        """The key of the object depended on, or None when the model does not hold it."""
        kind, oid, sub = r["ref_class"], r["ref_oid"], r["ref_sub"]
        if kind == "e":
            return ext_key(r["ref_ext"]) if r["ref_ext"] else None
        if kind == "c":
            return self._relation_or_column(oid, sub)
        if kind == "k":
            return self.constraints().get(oid)
        if kind == "f":
            return self.functions().get(oid)
        if kind == "y":
            return self.types().get(oid)
        return _other(r["ref_identity"])


def _other(identity: list[str | None] | None) -> str | None:
    """The obj: key of an object of a kind the model does not hold (type, schema, identity)."""
    if not identity or identity[0] is None or identity[2] is None:
        return None
    return obj_key(identity[0], identity[2])
