"""Catalog rows -> the parts of tables and views: columns, constraints, indexes, triggers, policies.

Used by `studio.catalog.rows.build_schema`; pure, no I/O. A part whose
pg_get_* text came back NULL (its object dropped since the snapshot) is
skipped. Named parts are sorted by name so that `==` is canonical.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar

from studio.model import (
    QUOTED_KEYWORDS,
    Column,
    Constraint,
    ConstraintKind,
    Identity,
    Index,
    Policy,
    SequenceOptions,
    Table,
    Trigger,
    View,
    make_object_name,
    qualname,
    quote_ident,
)
from studio.sqltext.scan import find_top, paren_items

if TYPE_CHECKING:
    from collections.abc import Mapping

    from studio.catalog.rows import Rows

FK_ACTIONS = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}
FK_MATCH = {"s": "SIMPLE", "f": "FULL", "p": "PARTIAL"}
# what pg_get_constraintdef writes for each match type (MATCH SIMPLE is the default)
_FK_MATCH_TEXT = {"s": "", "f": " MATCH FULL", "p": " MATCH PARTIAL"}
POLICY_COMMANDS = {"*": "ALL", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}
GENERATED_KINDS = {"s": "stored", "v": "virtual"}
REPLICA_IDENTITIES = {"d": "default", "f": "full", "n": "nothing"}
_BY_NAME = attrgetter("name")
_T = TypeVar("_T")
# ConstraintKind(value) goes through EnumMeta.__call__: a dict is ten times faster
_CONSTRAINT_KINDS = {k.value: k for k in ConstraintKind}


class Quoter:
    """quote_ident() as the server does it: with its own keyword list and quote_all_identifiers."""

    def __init__(self, keywords: frozenset[str], *, quote_all: bool = False) -> None:
        self.keywords = keywords
        self.quote_all = quote_all
        self.done: dict[str, str] = {}

    @classmethod
    def from_rows(cls, rows: Rows) -> Quoter:
        """The server's quoting, as the session query read it (the model's list without it)."""
        found = rows.get("quoting")
        if not found:  # rows made by hand (tests): PostgreSQL 18's keywords
            return cls(QUOTED_KEYWORDS)
        return cls(frozenset(found[0]["keywords"]), quote_all=found[0]["quote_all"])

    def __call__(self, name: str) -> str:
        text = self.done.get(name)
        if text is None:
            text = quote_ident(name, keywords=self.keywords, quote_all=self.quote_all)
            self.done[name] = text
        return text


def _positional(cls: type[_T], *names: str) -> type[_T]:
    """`cls`, once its fields are checked to be `names` in this order.

    Tens of thousands of constraints and indexes at thousands of tables: a
    frozen dataclass takes positional arguments in 60% of the time keywords
    take. A field added or moved in the model fails here, at import, rather
    than landing a value in the wrong field.
    """
    fields = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    if fields != names:
        raise TypeError(f"{cls.__name__} fields are {fields}, not {names}")
    return cls


_CONSTRAINT = _positional(
    Constraint,
    "name", "kind", "definition", "columns", "validated", "deferrable", "initially_deferred",
    "no_inherit", "ref_table", "ref_columns", "on_update", "on_delete", "match", "index",
    "comment", "attached_to",
)  # fmt: skip
_INDEX = _positional(
    Index,
    "name", "definition", "unique", "method", "keys", "include", "predicate",
    "nulls_not_distinct", "valid", "tablespace", "comment", "attached_to",
)  # fmt: skip


def sorted_by_name(items: list[Any] | None) -> tuple[Any, ...]:
    """The items sorted by name, as a tuple."""
    if not items:
        return ()
    items.sort(key=_BY_NAME)
    return tuple(items)


class TableParts:
    """The parts that hang off tables and views, grouped by relation oid."""

    def __init__(
        self, rows: Rows, identity_sequences: dict[tuple[int, int], tuple[str, SequenceOptions]]
    ) -> None:
        table_names = {r["oid"]: r["name"] for r in rows["tables"]}
        self.columns: defaultdict[int, list[Column]] = defaultdict(list)
        # attnum -> name per relation, for constraint keys (conkey, confkey)
        self.attnames: defaultdict[int, dict[int, str]] = defaultdict(dict)
        # Columns are immutable values and schemas repeat them (id, created_at,
        # ...): one object per distinct row keeps building and memory small.
        # The key is the row without its relation, unless the column depends
        # on its table (identity options, a NOT NULL constraint's name); an
        # inherited column has a pool of its own.
        interned: dict[tuple[Any, ...], Column] = {}
        interned_inherited: dict[tuple[Any, ...], Column] = {}
        # a partition's columns are not marked inherited: it is made as a table of its
        # own and attached (pg_dump does the same), which leaves them declared by it
        partitions = {r["oid"] for r in rows["tables"] if r["is_partition"]}
        column_rows = rows["columns"]
        if column_rows:
            # tens of thousands of rows at 3,000 tables: fields by position (the
            # select list's order, values() of a Record or of a test's dict)
            at = {k: i for i, k in enumerate(column_rows[0].keys())}
            i_num, i_name, i_options = at["num"], at["name"], at["options"]
            i_identity, i_nn_name, i_local = at["identity"], at["not_null_name"], at["local"]
        last = None
        columns: list[Column] = []
        names: dict[int, str] = {}
        own = True  # whether the relation's non-local columns are inherited
        for r in column_rows:
            values = tuple(r.values())
            oid = values[0]
            if oid != last:  # the rows come grouped by relation: look its lists up once
                last, columns, names = oid, self.columns[oid], self.attnames[oid]
                own = oid not in partitions
            names[values[i_num]] = values[i_name]
            if values[i_options] is not None:  # a list (attoptions): not hashable
                values = tuple(tuple(v) if isinstance(v, list) else v for v in values)
            key = values if values[i_identity] or values[i_nn_name] else values[1:]
            inherited = own and not values[i_local]
            pool = interned_inherited if inherited else interned
            col = pool.get(key)
            if col is None:
                col = pool[key] = self._column(
                    r, table_names.get(oid, ""), identity_sequences, inherited=inherited
                )
            columns.append(col)
        self.quote = Quoter.from_rows(rows)
        self.constraints: defaultdict[int, list[Constraint]] = defaultdict(list)
        for r in rows["constraints"]:
            c = self._constraint(r)
            if c is not None:
                self.constraints[r["table_oid"]].append(c)
        self.indexes: defaultdict[int, list[Index]] = defaultdict(list)
        relations: dict[int, tuple[str, str]] | None = None
        for r in rows["indexes"]:
            definition = r["definition"]
            if definition == "":  # a plain index: its text is written here (index_text.sql)
                if relations is None:
                    every = (*rows["tables"], *rows["views"])
                    relations = {t["oid"]: (t["schema"], t["name"]) for t in every}
                keys = tuple([self.quote(n) for n in self._names(r)])
                definition = _index_text(r, relations[r["table_oid"]], keys, self.quote)
                include: tuple[str, ...] = ()
                predicate = None
            elif definition is None:
                continue  # dropped meanwhile
            else:
                keys, include, predicate = split_index_definition(definition)
            self.indexes[r["table_oid"]].append(
                _INDEX(
                    r["name"],
                    definition,
                    r["unique"],
                    r["method"],
                    keys,
                    include,
                    predicate,
                    r["nulls_not_distinct"],
                    r["valid"],
                    r["tablespace"],
                    r["comment"],
                    _attached(r),
                )  # fmt: skip
            )
        self.triggers: defaultdict[int, list[Trigger]] = defaultdict(list)
        for r in rows["triggers"]:
            if r["definition"] is None:
                continue  # dropped meanwhile
            fn = qualname(r["function_schema"], r["function_name"])
            self.triggers[r["table_oid"]].append(
                Trigger(r["name"], r["definition"], fn, r["enabled"], r["comment"])
            )
        self.policies: defaultdict[int, list[Policy]] = defaultdict(list)
        for r in rows["policies"]:
            self.policies[r["table_oid"]].append(
                Policy(
                    name=r["name"],
                    command=POLICY_COMMANDS[r["command"]],
                    permissive=r["permissive"],
                    roles=tuple(r["roles"]),
                    using=r["using"],
                    with_check=r["with_check"],
                )
            )

    @staticmethod
    def _column(
        r: Mapping[str, Any],
        table: str,
        identity_sequences: dict[tuple[int, int], tuple[str, SequenceOptions]],
        *,
        inherited: bool,
    ) -> Column:
        nn_name = r["not_null_name"]
        if nn_name == make_object_name(table, r["name"], "not_null"):
            nn_name = None  # the default name, cut to fit NAMEDATALEN
        identity = None
        if r["identity"]:
            seq, options = identity_sequences.get((r["oid"], r["num"]), (None, SequenceOptions()))
            identity = Identity(always=r["identity"] == "a", options=options, sequence=seq)
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
            statistics=r["statistics"],
            storage=r["storage"],
            type_storage=r["type_storage"],
            compression=r["compression"],
            options=tuple(sorted(r["options"])) if r["options"] else (),
            position=r["num"],
            inherited=inherited,
        )

    def table(self, r: Mapping[str, Any]) -> Table | None:
        """The Table of one `tables` row, or None when it was dropped meanwhile."""
        if r["kind"] == "p" and r["partition_key"] is None:
            return None
        if r["is_partition"] and r["partition_bound"] is None:
            return None
        oid = r["oid"]
        parents = tuple(
            qualname(s, n)
            for s, n in zip(r["parent_schemas"] or (), r["parent_names"] or (), strict=True)
        )
        partition_of = parents[0] if r["is_partition"] and parents else None
        return Table(
            schema=r["schema"],
            name=r["name"],
            columns=sorted_by_name(self.columns.get(oid)),
            constraints=sorted_by_name(self.constraints.get(oid)),
            indexes=sorted_by_name(self.indexes.get(oid)),
            triggers=sorted_by_name(self.triggers.get(oid)),
            policies=sorted_by_name(self.policies.get(oid)),
            partition_key=r["partition_key"],
            partition_of=partition_of,
            partition_bound=r["partition_bound"],
            inherits=() if r["is_partition"] else parents,
            unlogged=r["unlogged"],
            rls_enabled=r["rls_enabled"],
            rls_forced=r["rls_forced"],
            options=table_options(r["options"], r["toast_options"]),
            replica_identity=_replica_identity(r["replica_identity"], r["replica_index"]),
            replica_index=r["replica_index"],
            access_method=None if r["access_method"] in (None, "heap") else r["access_method"],
            comment=r["comment"],
        )

    def view(self, r: Mapping[str, Any]) -> View | None:
        """The View of one `views` row, or None when it was dropped meanwhile."""
        if r["definition"] is None:
            return None
        oid = r["oid"]
        # a view's columns keep their order: it is the select list's
        names = tuple(c.name for c in sorted(self.columns.get(oid, ()), key=attrgetter("position")))
        rels = [
            qualname(s, n)
            for s, n in zip(r["dep_schemas"] or (), r["dep_names"] or (), strict=True)
        ]
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
                        for rel, c in zip(rels, r["dep_columns"] or (), strict=True)
                        if c is not None
                    }
                )
            ),
            indexes=sorted_by_name(self.indexes.get(oid)),
            triggers=sorted_by_name(self.triggers.get(oid)),
            comment=r["comment"],
        )

    def _constraint(self, r: Mapping[str, Any]) -> Constraint | None:
        definition = r["definition"]
        if definition is None:
            return None  # dropped meanwhile
        kind = _CONSTRAINT_KINDS[r["kind"]]
        names = self.attnames.get(r["table_oid"], {})
        # an expression in an exclusion constraint has attnum 0
        nums = r["columns"]
        columns = tuple([names.get(n, "") for n in nums if n]) if nums else ()
        if kind is not ConstraintKind.FOREIGN_KEY:
            if not definition:  # a plain key: its text is written here (constraint_text.sql)
                definition = self._key_definition(r, kind, names)
            # positional (see _CONSTRAINT); connoinherit is always set on keys, it
            # only says something on a CHECK
            return _CONSTRAINT(
                r["name"], kind, definition, columns,
                r["validated"], r["deferrable"], r["deferred"],
                r["no_inherit"] and kind is ConstraintKind.CHECK,
                None, (), None, None, None,
                r["index"], r["comment"], _attached(r),
            )  # fmt: skip
        if r["ref_table"] is None:
            return None
        ref_table = qualname(r["ref_schema"], r["ref_table"])
        if r["ref_column_names"] is not None:
            ref_columns = tuple(r["ref_column_names"])
        else:
            ref_names = self.attnames.get(r["ref_oid"], {})
            ref_columns = tuple([ref_names.get(n, "") for n in r["ref_columns"]])
        if not definition:
            definition = self._key_definition(r, kind, names)
        return _CONSTRAINT(
            r["name"], kind, definition, columns,
            r["validated"], r["deferrable"], r["deferred"], False,
            ref_table, ref_columns,
            FK_ACTIONS[r["on_update"]], FK_ACTIONS[r["on_delete"]], FK_MATCH[r["match"]],
            r["index"], r["comment"], _attached(r),
        )  # fmt: skip

    def _key_definition(
        self, r: Mapping[str, Any], kind: ConstraintKind, names: dict[int, str]
    ) -> str:
        """pg_get_constraintdef()'s text of a plain key, from the columns' names.

        Only for what constraint_text.sql lets through: a primary key or
        unique constraint without INCLUDE or NULLS NOT DISTINCT, or a foreign
        key to a table in scope without column lists on its actions or PERIOD;
        none deferrable, NOT VALID or NOT ENFORCED, so no clause follows.
        """
        q = self.quote
        columns = ", ".join([q(names[n]) for n in r["columns"]])
        if kind is ConstraintKind.PRIMARY_KEY:
            return f"PRIMARY KEY ({columns})"
        if kind is ConstraintKind.UNIQUE:
            return f"UNIQUE ({columns})"
        ref_names = self.attnames[r["ref_oid"]]
        ref_columns = ", ".join([q(ref_names[n]) for n in r["ref_columns"]])
        text = (
            f"FOREIGN KEY ({columns}) REFERENCES {q(r['ref_schema'])}.{q(r['ref_table'])}"
            f"({ref_columns}){_FK_MATCH_TEXT[r['match']]}"
        )
        if r["on_update"] != "a":  # NO ACTION is the default, left out
            text += " ON UPDATE " + FK_ACTIONS[r["on_update"]]
        if r["on_delete"] != "a":
            text += " ON DELETE " + FK_ACTIONS[r["on_delete"]]
        return text

    def _names(self, r: Mapping[str, Any]) -> list[str]:
        names = self.attnames[r["table_oid"]]
        return [names[n] for n in r["key_columns"]]


def _index_text(
    r: Mapping[str, Any], relation: tuple[str, str], keys: tuple[str, ...], q: Quoter
) -> str:
    """pg_get_indexdef()'s text of a plain btree index, from its columns' quoted names.

    Only for what index_text.sql lets through: plain columns with their types'
    default classes and their own collations, nothing after the column list
    but NULLS NOT DISTINCT.
    """
    schema, table = relation
    text = (
        f"CREATE {'UNIQUE ' if r['unique'] else ''}INDEX {q(r['name'])} ON"
        f" {'ONLY ' if r['partitioned'] else ''}{q(schema)}.{q(table)} USING btree"
        f" ({', '.join(keys)})"
    )
    return text + " NULLS NOT DISTINCT" if r["nulls_not_distinct"] else text


def table_options(options: list[str] | None, toast: list[str] | None) -> tuple[str, ...]:
    """A table's storage parameters and its TOAST table's (as `toast.<name>`), sorted."""
    if not toast:
        return tuple(sorted(options)) if options else ()
    return tuple(sorted([*(options or ()), *(f"toast.{o}" for o in toast)]))


def _replica_identity(kind: str, index: str | None) -> str:
    # 'i' without an index (it was dropped) behaves as NOTHING (RelationGetReplicaIndex)
    if kind == "i":
        return "index" if index else "nothing"
    return REPLICA_IDENTITIES[kind]


def _attached(r: Mapping[str, Any]) -> str | None:
    """The qualified parent index an index (or key constraint's index) is attached to."""
    name = r["attached_name"]
    return None if name is None else qualname(r["attached_schema"], name)


def split_index_definition(definition: str) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
    """Key columns, INCLUDE columns and predicate, cut out of pg_get_indexdef()'s text.

    The text is `CREATE [UNIQUE] INDEX name ON [ONLY] table USING am (keys)
    [INCLUDE (cols)] [NULLS NOT DISTINCT] [WITH (...)] [TABLESPACE t] [WHERE
    pred]`: the first parenthesis outside quotes opens the keys (names before
    it are identifiers, double-quoted when they hold anything unusual), and
    each key already carries its opclass, order and NULLS placement.
    """
    keys, end = paren_items(definition, 0)
    include: tuple[str, ...] = ()
    rest = definition[end:]
    if rest.startswith(" INCLUDE ("):
        include, stop = paren_items(definition, end + len(" INCLUDE "))
        rest = definition[stop:]
    predicate = None
    at = find_top(rest, " WHERE ")
    if at >= 0:
        predicate = rest[at + len(" WHERE ") :]
    return keys, include, predicate
