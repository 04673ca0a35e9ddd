"""Catalog rows -> model objects: the pure half of introspection.

`build_schema` takes the rows of the queries in `studio/queries/` (keyed by
query name) and returns a `Schema`. No I/O here, so the tests can feed it rows
as a concurrent DROP leaves them: the pg_get_* functions read the current
catalog, not the snapshot, and print NULL for an object dropped meanwhile;
such an object is skipped rather than reported half-built.

Named parts (columns, constraints, indexes, triggers, policies) are sorted by
name so that `==` compares what PostgreSQL would treat as a change; lists
whose order means something (key columns, labels, a view's columns) keep it.
"""

from __future__ import annotations

import dataclasses
import gc
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import Any

from studio.model import (
    Column,
    Constraint,
    ConstraintKind,
    Domain,
    DomainConstraint,
    EnumType,
    Extension,
    Function,
    Identity,
    Index,
    Namespace,
    Policy,
    Privilege,
    Schema,
    SequenceOptions,
    Table,
    Trigger,
    View,
    qualname,
    quote_ident,
    quote_literal,
)
from studio.model import Sequence as SequenceObj

# Rows of each query by query name (asyncpg Records, or tuples/dicts in tests:
# only item access by column name is used).
Rows = dict[str, Sequence[Mapping[str, Any]]]

NAMEDATALEN = 64

FK_ACTIONS = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}
FK_MATCH = {"s": "SIMPLE", "f": "FULL", "p": "PARTIAL"}
POLICY_COMMANDS = {"*": "ALL", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}
GENERATED_KINDS = {"s": "stored", "v": "virtual"}
_BY_NAME = attrgetter("name")
# ConstraintKind(value) goes through EnumMeta.__call__: a dict is ten times faster
_CONSTRAINT_KINDS = {k.value: k for k in ConstraintKind}


def make_object_name(name1: str, name2: str, label: str) -> str:
    """The name PostgreSQL chooses for `<name1>_<name2>_<label>` (makeObjectName).

    The longer part is cut, a byte at a time, until the whole fits in
    NAMEDATALEN - 1 bytes, without splitting a multibyte character.
    """
    b1, b2 = name1.encode(), name2.encode()
    avail = NAMEDATALEN - 1 - (len(label) + 2)
    n1, n2 = len(b1), len(b2)
    while n1 + n2 > avail:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    part1 = b1[:n1].decode(errors="ignore")
    part2 = b2[:n2].decode(errors="ignore")
    return f"{part1}_{part2}_{label}"


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
            r["schema"],
            r["name"],
            r["base_type"],
            r["not_null"],
            r["default"],
            r["collation"],
            (),
            r["comment"],
        )
        domains.setdefault(dom.key, dom)
        if (
            r["check_name"] is not None and r["check_definition"] is not None
        ):  # NULL: dropped meanwhile
            checks[dom.key].append(
                DomainConstraint(r["check_name"], r["check_definition"], r["check_validated"])
            )
    for key, found in checks.items():
        domains[key] = dataclasses.replace(domains[key], constraints=_sorted(found))

    sequences: dict[str, SequenceObj] = {}
    identity_options: dict[tuple[int, int], SequenceOptions] = {}
    for r in rows["sequences"]:
        if r["owner_kind"] == "i":
            # an identity column's sequence: its options belong to the column
            identity_options[r["owner_oid"], r["owner_attnum"]] = _options(r)
            continue
        owned_by = None
        if r["owner_kind"] == "a" and r["owner_column"] is not None:
            owned_by = (
                qualname(r["owner_schema"], r["owner_table"]) + "." + quote_ident(r["owner_column"])
            )
        seq = SequenceObj(r["schema"], r["name"], _options(r), owned_by, r["comment"])
        sequences[seq.key] = seq

    parts = _TableParts(rows, identity_options)
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
            r["schema"],
            r["name"],
            r["arguments"],
            r["kind"],
            r["definition"],
            r["returns"],
            r["language"],
            r["comment"],
        )
        functions[fn.key] = fn
    for r in rows["aggregates"]:
        if r["arguments"] is None or r["signature"] is None or r["sfunc"] is None:
            continue
        fn = Function(
            r["schema"],
            r["name"],
            r["arguments"],
            "a",
            aggregate_definition(r),
            r["returns"],
            "internal",
            r["comment"],
        )
        functions[fn.key] = fn

    privileges: tuple[Privilege, ...] = ()
    owners: dict[str, str] = {}
    if "privileges" in rows:
        privileges = tuple(
            sorted(
                (
                    Privilege(
                        r["kind"],
                        _object_key(r),
                        r["grantee"],
                        r["privilege"],
                        r["grantable"],
                        r["column"],
                    )
                    for r in rows["privileges"]
                ),
                key=lambda p: (p.object_kind, p.object, p.column or "", p.grantee, p.privilege),
            )
        )
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
        privileges=privileges,
        owners=owners,
    )


def _object_key(r: Mapping[str, Any]) -> str:
    if r["kind"] == "schema":
        return quote_ident(r["schema"])
    key = qualname(r["schema"], r["name"])
    return key if r["arguments"] is None else f"{key}({r['arguments']})"


class _TableParts:
    """The parts that hang off tables and views, grouped by relation oid."""

    def __init__(
        self, rows: Rows, identity_options: dict[tuple[int, int], SequenceOptions]
    ) -> None:
        table_names = {r["oid"]: r["name"] for r in rows["tables"]}
        self.columns: defaultdict[int, list[Column]] = defaultdict(list)
        # attnum -> name per relation, for constraint keys (conkey, confkey)
        self.attnames: defaultdict[int, dict[int, str]] = defaultdict(dict)
        # Columns are immutable values and schemas repeat them (id, created_at,
        # ...): one object per distinct row keeps building and memory small.
        # The key is the row without its relation, unless the column depends
        # on its table (identity options, a NOT NULL constraint's name).
        interned: dict[tuple[Any, ...], Column] = {}
        for r in rows["columns"]:
            values = tuple(r.values())
            oid = values[0]
            self.attnames[oid][r["num"]] = r["name"]
            key = values if r["identity"] or r["not_null_name"] else values[1:]
            col = interned.get(key)
            if col is None:
                col = interned[key] = self._column(r, table_names.get(oid, ""), identity_options)
            self.columns[oid].append(col)
        self.constraints: defaultdict[int, list[Constraint]] = defaultdict(list)
        for r in rows["constraints"]:
            c = self._constraint(r)
            if c is not None:
                self.constraints[r["table_oid"]].append(c)
        self.indexes: defaultdict[int, list[Index]] = defaultdict(list)
        for r in rows["indexes"]:
            if r["definition"] is None:
                continue  # dropped meanwhile
            keys, include, predicate = split_index_definition(r["definition"])
            self.indexes[r["table_oid"]].append(
                Index(
                    r["name"],
                    r["definition"],
                    r["unique"],
                    r["method"],
                    keys,
                    include,
                    predicate,
                    r["nulls_not_distinct"],
                    r["valid"],
                    r["tablespace"],
                    r["comment"],
                )
            )
        self.triggers: defaultdict[int, list[Trigger]] = defaultdict(list)
        for r in rows["triggers"]:
            if r["definition"] is None:
                continue
            fn = qualname(r["function_schema"], r["function_name"])
            self.triggers[r["table_oid"]].append(
                Trigger(r["name"], r["definition"], fn, r["enabled"], r["comment"])
            )
        self.policies: defaultdict[int, list[Policy]] = defaultdict(list)
        for r in rows["policies"]:
            self.policies[r["table_oid"]].append(
                Policy(
                    r["name"],
                    POLICY_COMMANDS[r["command"]],
                    r["permissive"],
                    tuple(r["roles"]),
                    r["using"],
                    r["with_check"],
                )
            )

    @staticmethod
    def _column(
        r: Mapping[str, Any], table: str, identity_options: dict[tuple[int, int], SequenceOptions]
    ) -> Column:
        nn_name = r["not_null_name"]
        if nn_name == make_object_name(table, r["name"], "not_null"):
            nn_name = None  # the default name, cut to fit NAMEDATALEN
        identity = None
        if r["identity"]:
            options = identity_options.get((r["oid"], r["num"]), SequenceOptions())
            identity = Identity(always=r["identity"] == "a", options=options)
        generated = r["generated"]
        return Column(
            name=r["name"],
            type=r["type"],
            not_null=r["not_null"],
            default=None if generated else r["expr"],
            identity=identity,
            generated=r["expr"] if generated else None,
            generated_kind=GENERATED_KINDS.get(generated, generated) if generated else None,
            collation=r["collation"],
            comment=r["comment"],
            not_null_name=nn_name,
            not_null_valid=r["not_null_valid"] is not False,
            position=r["num"],
        )

    def table(self, r: Mapping[str, Any]) -> Table | None:
        """The Table of one `tables` row, or None when it was dropped meanwhile."""
        if r["kind"] == "p" and r["partition_key"] is None:
            return None
        if r["is_partition"] and r["partition_bound"] is None:
            return None
        oid = r["oid"]
        parents = tuple(
            qualname(s, n) for s, n in zip(r["parent_schemas"] or (), r["parent_names"] or ())
        )
        partition_of = parents[0] if r["is_partition"] and parents else None
        return Table(
            schema=r["schema"],
            name=r["name"],
            columns=_sorted(self.columns.get(oid)),
            constraints=_sorted(self.constraints.get(oid)),
            indexes=_sorted(self.indexes.get(oid)),
            triggers=_sorted(self.triggers.get(oid)),
            policies=_sorted(self.policies.get(oid)),
            partition_key=r["partition_key"],
            partition_of=partition_of,
            partition_bound=r["partition_bound"],
            inherits=() if r["is_partition"] else parents,
            unlogged=r["unlogged"],
            rls_enabled=r["rls_enabled"],
            rls_forced=r["rls_forced"],
            options=tuple(sorted(r["options"] or ())),
            comment=r["comment"],
        )

    def view(self, r: Mapping[str, Any]) -> View | None:
        """The View of one `views` row, or None when it was dropped meanwhile."""
        if r["definition"] is None:
            return None
        oid = r["oid"]
        # a view's columns keep their order: it is the select list's
        names = tuple(c.name for c in sorted(self.columns.get(oid, ()), key=attrgetter("position")))
        rels = [qualname(s, n) for s, n in zip(r["dep_schemas"] or (), r["dep_names"] or ())]
        return View(
            schema=r["schema"],
            name=r["name"],
            definition=r["definition"],
            materialized=r["materialized"],
            columns=names,
            options=tuple(sorted(r["options"] or ())),
            depends_on=tuple(sorted(set(rels))),
            depends_on_columns=tuple(
                sorted(
                    {
                        f"{rel}.{quote_ident(c)}"
                        for rel, c in zip(rels, r["dep_columns"] or ())
                        if c is not None
                    }
                )
            ),
            indexes=_sorted(self.indexes.get(oid)),
            triggers=_sorted(self.triggers.get(oid)),
            comment=r["comment"],
        )

    def _constraint(self, r: Mapping[str, Any]) -> Constraint | None:
        if r["definition"] is None:
            return None  # dropped meanwhile
        kind = _CONSTRAINT_KINDS[r["kind"]]
        names = self.attnames.get(r["table_oid"], {})
        # an expression in an exclusion constraint has attnum 0
        columns = tuple(names.get(n, "") for n in r["columns"] or () if n)
        fk = kind is ConstraintKind.FOREIGN_KEY
        ref_table = None
        ref_columns: tuple[str, ...] = ()
        if fk:
            if r["ref_table"] is None:
                return None
            ref_table = qualname(r["ref_schema"], r["ref_table"])
            if r["ref_column_names"] is not None:
                ref_columns = tuple(r["ref_column_names"])
            else:
                ref_names = self.attnames.get(r["ref_oid"], {})
                ref_columns = tuple(ref_names.get(n, "") for n in r["ref_columns"])
        return Constraint(
            name=r["name"],
            kind=kind,
            definition=r["definition"],
            columns=columns,
            validated=r["validated"],
            deferrable=r["deferrable"],
            initially_deferred=r["deferred"],
            # connoinherit is always set on keys; it only says something on a CHECK
            no_inherit=r["no_inherit"] and kind is ConstraintKind.CHECK,
            ref_table=ref_table,
            ref_columns=ref_columns,
            on_update=FK_ACTIONS[r["on_update"]] if fk else None,
            on_delete=FK_ACTIONS[r["on_delete"]] if fk else None,
            match=FK_MATCH[r["match"]] if fk else None,
            index=r["index"],
            comment=r["comment"],
        )


def split_index_definition(definition: str) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
    """Key columns, INCLUDE columns and predicate, cut out of pg_get_indexdef()'s text.

    The text is `CREATE [UNIQUE] INDEX name ON [ONLY] table USING am (keys)
    [INCLUDE (cols)] [NULLS NOT DISTINCT] [WITH (...)] [TABLESPACE t] [WHERE
    pred]`: the first parenthesis outside quotes opens the keys (names before
    it are identifiers, double-quoted when they hold anything unusual), and
    each key already carries its opclass, order and NULLS placement.
    """
    keys, end = _paren_list(definition, 0)
    include: tuple[str, ...] = ()
    rest = definition[end:]
    if rest.startswith(" INCLUDE ("):
        include, stop = _paren_list(definition, end + len(" INCLUDE "))
        rest = definition[stop:]
    predicate = None
    at = _top_level_find(rest, " WHERE ")
    if at >= 0:
        predicate = rest[at + len(" WHERE ") :]
    return keys, include, predicate


# the only characters that matter when cutting pg_get_indexdef()'s text apart
_SPECIAL = re.compile(r"""[()'",]|\sWHERE\s""")


def _paren_list(text: str, start: int) -> tuple[tuple[str, ...], int]:
    """The items of the first parenthesized list at or after text[start] (outside quotes), and its end."""
    items: list[str] = []
    depth = 0
    quote = ""
    item_start = start
    for m in _SPECIAL.finditer(text, start):
        ch = m.group()
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
            if depth == 1:
                item_start = m.end()
        elif ch == ")":
            depth -= 1
            if depth == 0:
                items.append(text[item_start : m.start()].strip())
                return tuple(items), m.end()
        elif ch == "," and depth == 1:
            items.append(text[item_start : m.start()].strip())
            item_start = m.end()
    raise ValueError(f"unbalanced parentheses in {text!r}")


def _top_level_find(text: str, needle: str) -> int:
    """Index of ` WHERE ` in `text` outside quotes and parentheses, or -1."""
    depth = 0
    quote = ""
    for m in _SPECIAL.finditer(text):
        ch = m.group()
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch == needle:
            return m.start()
    return -1


def _sorted(items: list[Any] | None) -> tuple[Any, ...]:
    if not items:
        return ()
    items.sort(key=_BY_NAME)
    return tuple(items)


def aggregate_definition(r: Mapping[str, Any]) -> str:
    """A CREATE AGGREGATE statement rebuilt from pg_aggregate (pg_get_functiondef rejects aggregates)."""
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
