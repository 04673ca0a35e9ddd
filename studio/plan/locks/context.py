"""What lock analysis knows about the database a statement will run on.

Most answers of the knowledge base depend on more than the statement's text:
whether the column altered is an int or a varchar(20), whether a validated
CHECK (col IS NOT NULL) exists, which table an index belongs to, whether the
table was created in the same migration (so nobody else can see it yet).
`Context` carries that, from a `Schema` (the target's, for plans) or built up
statement by statement (`studio.plan.locks.replay`, for lint). Every question has a
conservative answer when the context does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pglast import ast, parse_sql

from studio.model import ConstraintKind, qualname, quote_ident
from studio.model.keys import split_qualified

if TYPE_CHECKING:
    from studio.model import Column, Constraint, Domain, Schema, Table

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Context:
    """The schema a statement runs against, plus what the schema alone does not say."""

    schema: Schema | None = None
    # tables created by the same migration (or transaction): empty, and unseen by other sessions
    new_tables: AbstractSet[str] = frozenset()
    # (table, quoted constraint name) added by the same migration: dropping one takes no
    # guarantee away (the temporary CHECK of a safe SET NOT NULL)
    new_constraints: AbstractSet[tuple[str, str]] = frozenset()
    # session TimeZone is UTC: timestamp -> timestamptz needs no rewrite (12+)
    timezone_utc: bool = False
    # function name -> pg_proc.provolatile ('i', 's', 'v') for functions the schema defines
    volatility: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    # index key -> table key
    index_tables: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    default_schema: str = "public"
    # table key -> the publications it is in (logical subscribers receive its rows); a key
    # `schema.*` for FOR TABLES IN SCHEMA, `*` for FOR ALL TABLES (`publications_of`)
    publications: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # hot standbys streaming from the target; None: not known (no database was read)
    standbys: int | None = None

    @classmethod
    def of(
        cls,
        schema: Schema | None = None,
        *,
        new_tables: frozenset[str] = frozenset(),
        timezone_utc: bool = False,
        default_schema: str = "public",
        publications: Mapping[str, tuple[str, ...]] | None = None,
        standbys: int | None = None,
    ) -> Context:
        """A context over `schema`, with its lookups precomputed.

        `publications` and `standbys` are read from the target (the table
        keys in each publication, the standbys streaming from it) when a
        database is given.
        """
        index_tables: dict[str, str] = {}
        volatility: dict[str, str] = {}
        if schema is not None:
            for t in schema.tables.values():
                for i in t.indexes:
                    index_tables[qualname(t.schema, i.name)] = t.key
                for c in t.constraints:
                    if c.kind in (
                        ConstraintKind.PRIMARY_KEY,
                        ConstraintKind.UNIQUE,
                        ConstraintKind.EXCLUSION,
                    ):
                        index_tables[qualname(t.schema, c.index or c.name)] = t.key
            for v in schema.views.values():
                for i in v.indexes:
                    index_tables[qualname(v.schema, i.name)] = v.key
            for f in schema.functions.values():
                volatility[f.name.lower()] = _volatility(f.definition)
        return cls(
            schema,
            new_tables=new_tables,
            timezone_utc=timezone_utc,
            volatility=MappingProxyType(volatility),
            index_tables=MappingProxyType(index_tables),
            default_schema=default_schema,
            publications=MappingProxyType(dict(publications or {})),
            standbys=standbys,
        )

    # --- tables and columns ---------------------------------------------------

    def table(self, key: str) -> Table | None:
        """The table `key` (qualified), if known."""
        return self.schema.tables.get(key) if self.schema is not None else None

    def column(self, table: str, name: str) -> Column | None:
        """The column `name` of `table`, if known."""
        t = self.table(table)
        return t.column(name) if t is not None else None

    def publications_of(self, table: str) -> tuple[str, ...]:
        """The publications `table` is in: by name, by its schema, or for all tables."""
        if not self.publications:
            return ()
        parts = split_qualified(table)
        by_schema = self.publications.get(f"{quote_ident(parts[0])}.*", ()) if parts else ()
        found = (*self.publications.get(table, ()), *by_schema, *self.publications.get("*", ()))
        return tuple(dict.fromkeys(found))

    def is_new(self, table: str) -> bool:
        """Whether `table` was created by the same migration (empty, unseen by others)."""
        return table in self.new_tables

    def is_partitioned(self, table: str) -> bool:
        """Whether `table` is a partitioned table."""
        t = self.table(table)
        return t is not None and t.partition_key is not None

    def partitions(self, parent: str) -> tuple[str, ...]:
        """The partitions of `parent`."""
        if self.schema is None:
            return ()
        return tuple(k for k, t in self.schema.tables.items() if t.partition_of == parent)

    def default_partition(self, parent: str) -> str | None:
        """The DEFAULT partition of `parent`, if it has one."""
        if self.schema is None:
            return None
        return next(
            (
                k
                for k, t in self.schema.tables.items()
                if t.partition_of == parent and t.partition_bound == "DEFAULT"
            ),
            None,
        )

    # --- indexes and constraints ------------------------------------------------

    def index_table(self, index: str) -> str | None:
        """The table (or materialized view) index `index` belongs to."""
        return self.index_tables.get(index)

    def statistics_table(self, name: str) -> str | None:
        """The table extended statistics `name` (qualified) are on, if known."""
        o = self.schema.objects.get(f"statistics:{name}") if self.schema is not None else None
        return o.relations[0] if o is not None and o.relations else None

    def table_indexes(self, table: str) -> tuple[str, ...]:
        """Every index of `table`, constraint-backed ones included."""
        return tuple(sorted(i for i, t in self.index_tables.items() if t == table))

    def constraint(self, table: str, name: str) -> Constraint | None:
        """The constraint `name` of `table`, if known."""
        t = self.table(table)
        return t.constraint(name) if t is not None else None

    def references(self, table: str) -> tuple[str, ...]:
        """Tables the foreign keys of `table` point at (itself left out)."""
        t = self.table(table)
        if t is None:
            return ()
        return tuple(
            sorted({c.ref_table for c in t.constraints if c.ref_table and c.ref_table != table})
        )

    def referencing(self, table: str) -> tuple[str, ...]:
        """Tables with a foreign key pointing at `table` (itself left out)."""
        if self.schema is None:
            return ()
        return tuple(sorted(
            k for k, t in self.schema.tables.items()
            if k != table and any(c.ref_table == table for c in t.constraints)
        ))  # fmt: skip

    def not_null_proven(self, table: str, column: str) -> bool:
        """Whether a validated CHECK constraint proves `column` has no NULL.

        SET NOT NULL then skips its scan.
        """
        t = self.table(table)
        if t is None:
            return False
        return any(
            c.kind is ConstraintKind.CHECK
            and c.validated
            and column in _checked_not_null(c.definition)
            for c in t.constraints
        )

    def has_not_valid_not_null(self, table: str, column: str) -> bool:
        """PostgreSQL 18: whether the column has a NOT NULL ... NOT VALID constraint."""
        c = self.column(table, column)
        return c is not None and c.not_null and not c.not_null_valid

    # --- types, views, functions ----------------------------------------------------

    def domain_constraints(self, type_name: str) -> bool | None:
        """Whether the domain `type_name` has constraints (None: not a known domain)."""
        d = self._domain(type_name)
        if d is None:
            return None
        return bool(d.constraints) or d.not_null

    def domain_users(self, domain: str) -> tuple[str, ...]:
        """Tables with a column of type `domain`."""
        if self.schema is None:
            return ()
        d = self._domain(domain)
        names = {domain} | ({d.key, quote_ident(d.name)} if d is not None else set())
        return tuple(
            sorted(
                k for k, t in self.schema.tables.items() if any(c.type in names for c in t.columns)
            )
        )

    def _domain(self, name: str) -> Domain | None:
        if self.schema is None:
            return None
        if name in self.schema.domains:
            return self.schema.domains[name]
        key = qualname(self.default_schema, name) if "." not in name else name
        return self.schema.domains.get(key)

    def enum_key(self, name: str) -> str | None:
        """The key of the enum type called `name` (qualified or not), if known."""
        if self.schema is None:
            return None
        key = name if name in self.schema.enums else qualname(self.default_schema, name)
        return key if key in self.schema.enums else None

    def view_sources(self, view: str) -> tuple[str, ...]:
        """Relations a (materialized) view reads."""
        if self.schema is None or view not in self.schema.views:
            return ()
        return self.schema.views[view].depends_on


def _volatility(definition: str) -> str:
    """pg_proc.provolatile of a CREATE FUNCTION text ('v' unless it says STABLE or IMMUTABLE)."""
    try:
        (raw,) = parse_sql(definition)
    except Exception:  # noqa: BLE001 - a body pglast cannot parse: the conservative answer
        return "v"
    opts: Any = getattr(raw.stmt, "options", None) or ()
    for opt in opts:
        if (
            isinstance(opt, ast.DefElem)
            and opt.defname == "volatility"
            and isinstance(opt.arg, ast.String)
        ):
            return str(opt.arg.sval)[0]
    return "v"


def _checked_not_null(definition: str) -> frozenset[str]:
    """Columns a CHECK definition (`CHECK ((a IS NOT NULL) AND ...)`) proves NOT NULL."""
    try:
        (raw,) = parse_sql(f"ALTER TABLE x ADD {definition}")
    except Exception:  # noqa: BLE001
        return frozenset()
    stmt: Any = raw.stmt
    cmd = stmt.cmds[0]
    expr = getattr(cmd.def_, "raw_expr", None)
    return frozenset(proven_not_null(expr))


def proven_not_null(node: object) -> set[str]:
    """Columns `expr IS NOT NULL` tests, at the top level or under a top-level AND."""
    out: set[str] = set()
    expr: Any = node  # pglast's nodes type every field Optional: read them untyped
    kind = type(node).__name__
    if (
        kind == "NullTest"
        and expr.nulltesttype.name == "IS_NOT_NULL"
        and type(expr.arg).__name__ == "ColumnRef"
    ):
        last: Any = expr.arg.fields[-1]
        if type(last).__name__ == "String":
            out.add(last.sval)
    elif kind == "BoolExpr" and expr.boolop.name == "AND_EXPR":
        for a in expr.args:
            out |= proven_not_null(a)
    return out
