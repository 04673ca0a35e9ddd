"""Rows of the composite types and the catalog objects kept as statements, as model values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.model import CatalogObject, CompositeAttribute, CompositeType

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any


def composites(rows: Sequence[Mapping[str, Any]]) -> dict[str, CompositeType]:
    """Composite types by qualified name."""
    out: dict[str, CompositeType] = {}
    for r in rows:
        attributes = tuple(
            CompositeAttribute(name, type_, collation)
            for name, type_, collation in zip(
                r["attribute_names"], r["attribute_types"], r["attribute_collations"], strict=True
            )
        )
        t = CompositeType(r["schema"], r["name"], attributes, r["comment"])
        out[t.key] = t
    return out


def catalog_objects(rows: Sequence[Mapping[str, Any]]) -> dict[str, CatalogObject]:
    """The catalog objects kept as statements (catalog_objects.sql) by kind and identity."""
    out: dict[str, CatalogObject] = {}
    for r in rows:
        if r["identity"] is None or any(s is None for s in r["statements"]):
            continue  # dropped since the snapshot began, or a function it names was
        obj = CatalogObject(
            kind=r["kind"],
            identity=r["identity"],
            statements=tuple(r["statements"]),
            schema=r["schema"],
            types=tuple(dict.fromkeys(r["types"])),  # an operator class's may repeat
            functions=tuple(r["functions"]),
            relations=tuple(r["relations"]),
            objects=tuple(r["objects"]),
            comment=r["comment"],
            makes_family=r["makes_family"],
        )
        out[obj.key] = obj
    return dict(sorted(out.items()))
