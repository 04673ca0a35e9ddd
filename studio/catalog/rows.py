"""Catalog rows -> model objects: the pure half of introspection.

`build_schema` takes the rows of the queries in `studio/catalog/queries/` (keyed by
query name) and returns a `Schema`. No I/O here, so the tests can feed it rows
as a concurrent DROP leaves them: the pg_get_* functions read the current
catalog, not the snapshot, and print NULL for an object dropped meanwhile;
such an object is skipped rather than reported half-built.

The parts of tables and views are mapped in `studio.catalog.tables`.
"""

from __future__ import annotations

import dataclasses
import gc
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from studio.catalog import objects as introspect_objects
from studio.catalog.depend import dependencies
from studio.catalog.tables import TableParts, sorted_by_name
from studio.model import (
    Domain,
    DomainConstraint,
    EnumType,
    Extension,
    Function,
    Namespace,
    Privilege,
    Schema,
    SequenceOptions,
    Table,
    Unmodelled,
    View,
    make_object_name,
    qualname,
    quote_ident,
    quote_literal,
)
from studio.model import Sequence as SequenceObj

# make_object_name is re-exported: the differ names constraints with it
__all__ = ["Rows", "aggregate_definition", "build_schema", "make_object_name"]

# Rows of each query by query name: asyncpg Records, or dicts in tests (item
# access by column name, and values() in select-list order for `columns`).
Rows = dict[str, Sequence[Mapping[str, Any]]]


def _options(row: Mapping[str, Any]) -> SequenceOptions:
    return SequenceOptions(
        data_type=row["data_type"],
        start=row["start"],
        increment=row["increment"],
        min_value=row["min_value"],
        max_value=row["max_value"],
        cache=row["cache"],
        cycle=row["cycle"],
    )


def build_schema(rows: Rows) -> Schema:
    """Turn the rows of every catalog query into a `Schema`."""
    # Tens of thousands of new objects and no reference cycles among them:
    # the cyclic collector would only walk them over and over (full
    # collections of 30-40 ms at 3,000 tables).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(rows)
    finally:
        if enabled:
            gc.enable()


def _build(rows: Rows) -> Schema:
    namespaces = {
        quote_ident(r["name"]): Namespace(r["name"], r["comment"]) for r in rows["namespaces"]
    }
    extensions = {
        quote_ident(r["name"]): Extension(r["name"], r["schema"], r["version"])
        for r in rows["extensions"]
    }
    enums: dict[str, EnumType] = {}
    for r in rows["enums"]:
        e = EnumType(r["schema"], r["name"], tuple(r["labels"]), r["comment"])
        enums[e.key] = e
    domains: dict[str, Domain] = {}
    checks: defaultdict[str, list[DomainConstraint]] = defaultdict(list)
    for r in rows["domains"]:
        dom = Domain(
            schema=r["schema"],
            name=r["name"],
            base_type=r["base_type"],
            not_null=r["not_null"],
            default=r["default"],
            collation=r["collation"],
            comment=r["comment"],
        )
        domains.setdefault(dom.key, dom)  # one row per CHECK constraint
        # no constraint, or its definition NULL: the domain was dropped meanwhile
        if r["check_name"] is not None and r["check_definition"] is not None:
            check = DomainConstraint(r["check_name"], r["check_definition"], r["check_validated"])
            checks[dom.key].append(check)
    for key, found in checks.items():
        domains[key] = dataclasses.replace(domains[key], constraints=sorted_by_name(found))

    sequences: dict[str, SequenceObj] = {}
    identity_sequences: dict[tuple[int, int], tuple[str, SequenceOptions]] = {}
    for r in rows["sequences"]:
        if r["owner_kind"] == "i":
            # an identity column's sequence: its options belong to the column
            name = qualname(r["schema"], r["name"])
            identity_sequences[r["owner_oid"], r["owner_attnum"]] = (name, _options(r))
            continue
        owned_by = None
        if r["owner_kind"] == "a" and r["owner_column"] is not None:
            owned_by = (
                qualname(r["owner_schema"], r["owner_table"]) + "." + quote_ident(r["owner_column"])
            )
        seq = SequenceObj(r["schema"], r["name"], _options(r), owned_by, r["comment"])
        sequences[seq.key] = seq

    parts = TableParts(rows, identity_sequences)
    tables: dict[str, Table] = {}
    for r in rows["tables"]:
        table = parts.table(r)
        if table is not None:
            tables[table.key] = table
    views: dict[str, View] = {}
    for r in rows["views"]:
        view = parts.view(r)
        if view is not None:
            views[view.key] = view

    functions: dict[str, Function] = {}
    for r in rows["functions"]:
        if r["definition"] is None or r["arguments"] is None:
            continue
        fn = Function(
            schema=r["schema"],
            name=r["name"],
            arguments=r["arguments"],
            kind=r["kind"],
            definition=r["definition"],
            returns=r["returns"],
            language=r["language"],
            comment=r["comment"],
        )
        functions[fn.key] = fn
    for r in rows["aggregates"]:
        if r["arguments"] is None or r["signature"] is None or r["sfunc"] is None:
            continue
        fn = Function(
            schema=r["schema"],
            name=r["name"],
            arguments=r["arguments"],
            kind="a",
            definition=aggregate_definition(r),
            returns=r["returns"],
            language="internal",
            comment=r["comment"],
        )
        functions[fn.key] = fn

    privileges: tuple[Privilege, ...] = ()
    owners: dict[str, str] = {}
    if "privileges" in rows:
        granted = [
            Privilege(
                object_kind=r["kind"],
                object=_object_key(r),
                grantee=r["grantee"],
                privilege=r["privilege"],
                grantable=r["grantable"],
                column=r["column"],
            )
            for r in rows["privileges"]
        ]
        granted.sort(
            key=lambda p: (p.object_kind, p.object, p.column or "", p.grantee, p.privilege)
        )
        privileges = tuple(granted)
    if "owners" in rows:
        owners = {_object_key(r): r["owner"] for r in rows["owners"]}

    return Schema(
        namespaces=namespaces,
        extensions=extensions,
        enums=enums,
        domains=domains,
        sequences=sequences,
        tables=tables,
        views=views,
        functions=functions,
        composites=introspect_objects.composites(rows.get("composites", ())),
        objects=introspect_objects.catalog_objects(rows.get("catalog_objects", ())),
        privileges=privileges,
        owners=owners,
        dependencies=dependencies(rows, parts),
        unmodelled=_unmodelled(rows.get("unmodelled", ())),
    )


def _unmodelled(rows: Sequence[Mapping[str, Any]]) -> dict[str, Unmodelled]:
    """The objects of kinds the model lacks, by key, in key order."""
    found = (Unmodelled(r["kind"], r["identity"], r["schema"]) for r in rows)
    return {u.key: u for u in sorted(found, key=lambda u: u.key)}


def _object_key(r: Mapping[str, Any]) -> str:
    if r["kind"] == "schema":
        return quote_ident(r["schema"])
    key = qualname(r["schema"], r["name"])
    return key if r["arguments"] is None else f"{key}({r['arguments']})"


def aggregate_definition(r: Mapping[str, Any]) -> str:
    """A CREATE AGGREGATE statement rebuilt from pg_aggregate.

    pg_get_functiondef rejects aggregates.
    """
    ordered_set = r["aggkind"] in ("o", "h")
    opts = [f"SFUNC = {r['sfunc']}", f"STYPE = {r['stype']}"]
    if r["sspace"]:
        opts.append(f"SSPACE = {r['sspace']}")
    if r["finalfunc"]:
        opts.append(f"FINALFUNC = {r['finalfunc']}")
        if r["finalfunc_extra"]:
            opts.append("FINALFUNC_EXTRA")
        # READ_ONLY is the default of a plain aggregate, READ_WRITE of an ordered-set one
        if r["finalfunc_modify"] != ("w" if ordered_set else "r"):
            opts.append(f"FINALFUNC_MODIFY = {_MODIFY[r['finalfunc_modify']]}")
    for key in ("combinefunc", "serialfunc", "deserialfunc"):
        if r[key]:
            opts.append(f"{key.upper()} = {r[key]}")
    if r["initcond"] is not None:
        opts.append(f"INITCOND = {quote_literal(r['initcond'])}")
    if r["msfunc"]:
        opts += [
            f"MSFUNC = {r['msfunc']}",
            f"MINVFUNC = {r['minvfunc']}",
            f"MSTYPE = {r['mstype']}",
        ]
        if r["msspace"]:
            opts.append(f"MSSPACE = {r['msspace']}")
        if r["mfinalfunc"]:
            opts.append(f"MFINALFUNC = {r['mfinalfunc']}")
            if r["mfinalfunc_extra"]:
                opts.append("MFINALFUNC_EXTRA")
            if r["mfinalfunc_modify"] != "r":
                opts.append(f"MFINALFUNC_MODIFY = {_MODIFY[r['mfinalfunc_modify']]}")
        if r["minitcond"] is not None:
            opts.append(f"MINITCOND = {quote_literal(r['minitcond'])}")
    if r["sortop"]:
        opts.append(f"SORTOP = {r['sortop']}")
    if r["parallel"] in _PARALLEL:
        opts.append(f"PARALLEL = {_PARALLEL[r['parallel']]}")
    if r["aggkind"] == "h":
        opts.append("HYPOTHETICAL")
    args = r["signature"] or "*"
    body = ",\n    ".join(opts)
    return (
        f"CREATE OR REPLACE AGGREGATE {qualname(r['schema'], r['name'])}({args}) (\n    {body}\n)"
    )


_MODIFY = {"r": "READ_ONLY", "s": "SHAREABLE", "w": "READ_WRITE"}
_PARALLEL = {"s": "SAFE", "r": "RESTRICTED"}
