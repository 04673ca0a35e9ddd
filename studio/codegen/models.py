"""`pull`: a live schema written out as SQLAlchemy 2.0 typed declarative models.

`render(schema)` is pure: it turns a `Schema` into the text of a Python module
(`class Base(DeclarativeBase)`, one class per table, `Mapped[...]` and
`mapped_column`) that, materialized the way `studio.sources` materializes any
SQLAlchemy source (create_all on a mock engine, checkfirst=False, in an empty
database), introspects equal to the schema for everything SQLAlchemy can
declare. What it cannot declare (views, functions, triggers, policies,
partitions, NOT VALID, extensions, some comments...) is returned as
`NotExpressible` items and listed, object by object, in a comment block at
the top of the module. Every expression is PostgreSQL's own text (defaults,
checks, index keys), so nothing is re-spelled and nothing drifts.

`pull(settings, out)` is the command's core: read the live schema with the
managed-schema rules, render, write the file atomically.
"""

from __future__ import annotations

import keyword
import os
import re
import tempfile
import textwrap
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from studio.errors import UsageError
from studio.model import (
    Column,
    Constraint,
    ConstraintKind,
    Domain,
    Index,
    Schema,
    Sequence,
    SequenceOptions,
    Table,
    quote_ident,
)
from studio.model.changes.base import split_qualified
from studio.sqltext.scan import paren_end, split_top

if TYPE_CHECKING:
    from studio.config import Settings


@dataclass(frozen=True, slots=True)
class NotExpressible:
    """An object, or part of one, that the models cannot declare, and what was written instead."""

    kind: str
    name: str
    detail: str = ""

    def line(self) -> str:
        """`kind name: detail`, as listed in the file and by the CLI."""
        return f"{self.kind} {self.name}" + (f": {self.detail}" if self.detail else "")

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"kind": self.kind, "name": self.name, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Rendered:
    """The module text, the tables it declares and what it could not declare."""

    source: str
    tables: tuple[str, ...]
    not_expressible: tuple[NotExpressible, ...]


@dataclass(frozen=True, slots=True)
class PullResult:
    """What `pull` wrote, from where."""

    path: Path
    database: str  # masked URL
    server_version: int
    schemas: tuple[str, ...]
    tables: tuple[str, ...]
    not_expressible: tuple[NotExpressible, ...]


# --- layout: a tiny formatter for calls, black-like -------------------------------

WIDTH = 88
_INDENT = "    "


@dataclass(slots=True)
class _Call:
    func: str
    args: list[_Node] = field(default_factory=list)
    opener: str = "("
    closer: str = ")"
    # a one-element tuple needs its trailing comma even when flat
    tuple_: bool = False


@dataclass(slots=True)
class _Kw:
    name: str
    value: _Node
    sep: str = "="


_Node = str | _Call | _Kw


def _flat(node: _Node) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, _Kw):
        return f"{node.name}{node.sep}{_flat(node.value)}"
    inner = ", ".join(_flat(a) for a in node.args)
    if node.tuple_ and len(node.args) == 1:
        inner += ","
    return f"{node.func}{node.opener}{inner}{node.closer}"


def _fmt(node: _Node, indent: int, used: int, tail: int) -> str:
    """`node` placed after `used` characters of a line indented by `indent`, `tail` after it."""
    flat = _flat(node)
    if isinstance(node, str) or indent + used + len(flat) + tail <= WIDTH:
        return flat
    if isinstance(node, _Kw):
        head = f"{node.name}{node.sep}"
        return head + _fmt(node.value, indent, used + len(head), tail)
    pad = " " * (indent + 4)
    lines = [f"{node.func}{node.opener}"]
    for arg in node.args:
        lines.append(pad + _fmt(arg, indent + 4, 0, 1) + ",")
    lines.append(" " * indent + node.closer)
    return "\n".join(lines)


def _stmt(indent: int, head: str, node: _Node) -> str:
    return " " * indent + head + _fmt(node, indent, len(head), 0)


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _q(value: str) -> str:
    """A Python string literal, quoted the way black would (double quotes unless that escapes more)."""
    quote = "'" if value.count('"') > value.count("'") else '"'
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch == quote:
            out.append("\\" + ch)
        elif not ch.isprintable():
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return quote + "".join(out) + quote


# SQLAlchemy's text() reads `:name` as a bind parameter; a backslash escapes it.
_BIND = re.compile(r"(?<![:\w\\]):(?=\w)")


def _sql(value: str) -> str:
    """A Python literal of SQL text handed to text() (or a construct that wraps it)."""
    return _q(_BIND.sub(r"\\:", value))


def _text(value: str) -> _Call:
    return _Call("text", [_sql(value)])


# --- PostgreSQL naming --------------------------------------------------------------

NAMEDATALEN = 64


def default_name(table: str, column: str | None, label: str) -> str:
    """The name PostgreSQL picks for `<table>[_<column>]_<label>` (makeObjectName)."""
    b1 = table.encode()
    b2 = column.encode() if column is not None else b""
    sep = 1 if column is not None else 0
    avail = NAMEDATALEN - 1 - (len(label) + 1 + sep)
    n1, n2 = len(b1), len(b2)
    while n1 + n2 > avail:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    part1 = b1[:n1].decode(errors="ignore")
    if column is None:
        return f"{part1}_{label}"
    return f"{part1}_{b2[:n2].decode(errors='ignore')}_{label}"


# --- types -----------------------------------------------------------------------------

_INT_MAX = {"smallint": 32767, "integer": 2147483647, "bigint": 9223372036854775807}
_INT_TYPES = {"smallint": "SmallInteger", "integer": "Integer", "bigint": "BigInteger"}

# format_type() text -> (SQLAlchemy type expression, Python annotation)
_SIMPLE_TYPES: dict[str, tuple[str, str]] = {
    "integer": ("Integer", "int"),
    "bigint": ("BigInteger", "int"),
    "smallint": ("SmallInteger", "int"),
    "numeric": ("Numeric", "Decimal"),
    "real": ("REAL", "float"),
    "double precision": ("Double", "float"),
    "text": ("Text", "str"),
    "character varying": ("String", "str"),
    "boolean": ("Boolean", "bool"),
    "timestamp without time zone": ("DateTime", "datetime"),
    "timestamp with time zone": ("DateTime(timezone=True)", "datetime"),
    "date": ("Date", "date"),
    "time without time zone": ("Time", "time"),
    "time with time zone": ("Time(timezone=True)", "time"),
    "interval": ("Interval", "timedelta"),
    "uuid": ("Uuid", "uuid.UUID"),
    "jsonb": ("postgresql.JSONB", "Any"),
    "json": ("JSON", "Any"),
    "bytea": ("LargeBinary", "bytes"),
    "inet": ("postgresql.INET", "str"),
    "cidr": ("postgresql.CIDR", "str"),
    "macaddr": ("postgresql.MACADDR", "str"),
    "macaddr8": ("postgresql.MACADDR8", "str"),
    "tsvector": ("postgresql.TSVECTOR", "str"),
}
_PATTERN_TYPES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"numeric\((\d+),(-?\d+)\)"), "Numeric({0}, {1})", "Decimal"),
    (re.compile(r"character varying\((\d+)\)"), "String({0})", "str"),
    (re.compile(r"character\((\d+)\)"), "CHAR({0})", "str"),
    (
        re.compile(r"timestamp\((\d)\) with time zone"),
        "postgresql.TIMESTAMP(timezone=True, precision={0})",
        "datetime",
    ),
    (
        re.compile(r"timestamp\((\d)\) without time zone"),
        "postgresql.TIMESTAMP(precision={0})",
        "datetime",
    ),
    (
        re.compile(r"time\((\d)\) with time zone"),
        "postgresql.TIME(timezone=True, precision={0})",
        "time",
    ),
    (re.compile(r"time\((\d)\) without time zone"), "postgresql.TIME(precision={0})", "time"),
)
# the types that take `collation=` in their constructor
_COLLATABLE = re.compile(r"^(Text|String|CHAR)(\((.*)\))?$")
_QUALIFIED = re.compile(r'^(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\.')

# Names the module binds at top level (imports, Base, the type helper): a class
# attribute of the same name would shadow it for the rest of the class body.
_MODULE_NAMES = frozenset(
    """
    annotations Any date datetime time timedelta Decimal uuid ARRAY BigInteger Boolean CHAR
    CheckConstraint Column Computed Date DateTime Double Enum ForeignKey ForeignKeyConstraint
    Identity Index Integer Interval JSON LargeBinary Numeric PrimaryKeyConstraint REAL Sequence
    SmallInteger String Table Text Time UniqueConstraint UserDefinedType Uuid quoted_name text
    postgresql DeclarativeBase Mapped mapped_column Base PgType
    """.split()  # noqa: SIM905 -- a word list reads better than 47 quoted names
)
_NO_SCHEMA = "its schema holds no table, so it does not exist where the models are created"

# attribute names declarative reserves for itself
_DECLARATIVE_NAMES = frozenset({"metadata", "registry", "type_annotation_map"})

_PG_TYPE_CLASS = '''\
class PgType(UserDefinedType[Any]):
    """A PostgreSQL type SQLAlchemy has no class for, as PostgreSQL prints it."""

    cache_ok = True

    def __init__(self, spec: str) -> None:
        self.spec = spec

    def get_col_spec(self, **kw: Any) -> str:
        return self.spec'''


@dataclass(frozen=True, slots=True)
class _Type:
    expr: str
    py: str
    # (module, name) imports the expression needs; "" module: `import name`
    needs: tuple[tuple[str, str], ...] = ()
    pg_type: bool = False


# --- expressions ---------------------------------------------------------------------

# What an expression may name besides pg_catalog: string literals are skipped
# (except 'name'::regclass), quoted identifiers are consumed whole, and a
# schema-qualified name is a function, operator or type of a user schema or
# an extension (search_path is empty when PostgreSQL prints them).
_EXPR_TOKENS = re.compile(
    r"""
      (?P<lit>[Ee]?'(?:[^']|'')*')
    | OPERATOR\((?P<op>[^)]*)\)
    | (?P<qual>(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\.(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))
    | "(?:[^"]|"")*"
    | [A-Za-z_][A-Za-z0-9_$]*
    """,
    re.VERBOSE,
)
_NEXTVAL = re.compile(r"nextval\('((?:[^']|'')*)'::regclass\)")
_BUILTIN_INDEX_METHODS = frozenset({"btree", "hash", "gist", "gin", "spgist", "brin"})


def _cols(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(quote_ident(n) for n in names)


# --- the renderer -----------------------------------------------------------------------


def render(schema: Schema) -> Rendered:
    """The models module for `schema`, and what it could not declare."""
    return _Renderer(schema).render()


class _Renderer:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.notes: list[NotExpressible] = []
        self.imports: defaultdict[str, set[str]] = defaultdict(set)
        self.uses_pg_type = False
        self.module_names: set[str] = set(_MODULE_NAMES)
        self.tables = [t for _, t in sorted(schema.tables.items()) if t.partition_of is None]
        self.table_keys = {t.key for t in self.tables}
        # the schemas that exist where the models are created: their tables' (created
        # beforehand, as SQLAlchemy does not create schemas) and public
        self.schemas = {t.schema for t in self.tables} | {"public"}
        # (table key, column) -> the SERIAL sequence PostgreSQL makes for it
        self.serial: dict[tuple[str, str], Sequence] = {}
        self.enum_vars: dict[str, str] = {}
        self.domain_types: dict[str, _Type] = {}
        self.class_names: dict[str, str] = {}
        # relations the models create: what a 'name'::regclass may name
        self.relations: set[str] = set(self.table_keys)

    # -- notes --

    def note(self, kind: str, name: str, detail: str = "") -> None:
        self.notes.append(NotExpressible(kind, name, detail))

    def imp(self, module: str, *names: str) -> None:
        self.imports[module].update(names)

    # -- the whole module --

    def render(self) -> Rendered:
        s = self.schema
        for ext in sorted(s.extensions.values(), key=lambda e: e.name):
            self.note("extension", quote_ident(ext.name), f"in schema {quote_ident(ext.schema)}")
        used_schemas = {t.schema for t in self.tables}
        for ns in sorted(s.namespaces.values(), key=lambda n: n.name):
            if ns.name == "public":
                if ns.comment not in (None, "standard public schema"):
                    self.note("schema", "public", f"comment {ns.comment!r}")
                continue
            if ns.name not in used_schemas:
                self.note(
                    "schema", quote_ident(ns.name), "holds no table, so the models do not create it"
                )
            elif ns.comment is not None:
                self.note("schema", quote_ident(ns.name), f"comment {ns.comment!r}")

        self._find_serials()
        self.relations |= {seq.key for seq in self.serial.values()}
        body: list[str] = []
        body += self._sequences()
        body += self._enums()
        body += self._domains()
        self._name_classes()
        after: list[str] = []
        for table in self.tables:
            body.append(self._table(table, after))
        for t in sorted(s.tables.values(), key=lambda t: t.key):
            if t.partition_of is not None:
                self.note("table", t.key, f"partition of {t.partition_of} {t.partition_bound}")
        for v in sorted(s.views.values(), key=lambda v: v.key):
            self.note("materialized view" if v.materialized else "view", v.key)
        kinds = {"f": "function", "p": "procedure", "a": "aggregate", "w": "window function"}
        for fn in sorted(s.functions.values(), key=lambda f: f.key):
            self.note(kinds.get(fn.kind, "function"), fn.key)
        for c in sorted(s.composites.values(), key=lambda c: c.key):
            self.note("composite type", c.key)
        # range types, collations, operators, operator classes, statistics...
        for o in s.objects.values():
            self.note(o.kind, o.identity)
        return Rendered(
            self._assemble(body, after), tuple(t.key for t in self.tables), tuple(self.notes)
        )

    def _assemble(self, body: list[str], after: list[str]) -> str:
        head = [
            "# Generated by `schema-studio pull`: SQLAlchemy 2.0 models of a live PostgreSQL schema.",
            "#",
        ]
        if self.notes:
            head += [
                "# Materialized (metadata.create_all), these models introspect equal to that",
                "# database, except for what SQLAlchemy cannot express, listed here object by",
                "# object (keep those in hand-written migrations):",
                "#",
            ]
            for n in self.notes:
                text = n.line().replace("\n", "\\n")
                wrapped = textwrap.wrap(
                    text,
                    WIDTH - 4,
                    subsequent_indent="    ",
                    break_long_words=False,
                    break_on_hyphens=False,
                )
                head += [f"#   {part}" for part in wrapped]
        else:
            head += [
                "# Materialized (metadata.create_all), these models introspect equal to that",
                "# database: SQLAlchemy expresses every object of it.",
            ]
        self.imp("sqlalchemy.orm", "DeclarativeBase", "Mapped", "mapped_column")
        lines = [*head, "", "from __future__ import annotations", ""]
        plain = sorted(n for n in self.imports.pop("", set()))
        froms = {m: n for m, n in self.imports.items() if not m.startswith("sqlalchemy")}
        sa = {m: n for m, n in self.imports.items() if m.startswith("sqlalchemy")}
        std = [f"import {n}" for n in plain] + [
            self._import_line(m, n) for m, n in sorted(froms.items())
        ]
        if std:
            lines += [*std, ""]
        lines += [self._import_line(module, names) for module, names in sorted(sa.items())]
        lines += ["", ""]
        if self.uses_pg_type:
            lines += [_PG_TYPE_CLASS, "", ""]
        lines += [
            "class Base(DeclarativeBase):",
            '    """Declarative base of the pulled models."""',
        ]
        for block in body:
            lines += ["", "", block]
        if after:
            lines += ["", "", "# Inheritance is not a foreign key: create the parents first."]
            lines += after
        return "\n".join(lines).rstrip() + "\n"

    @staticmethod
    def _import_line(module: str, names: set[str]) -> str:
        # isort's order: CONSTANTS, Classes, functions
        ordered = sorted(
            names, key=lambda n: (0 if n.isupper() else 1 if n[:1].isupper() else 2, n)
        )
        flat = f"from {module} import {', '.join(ordered)}"
        if len(flat) <= WIDTH:
            return flat
        inner = "".join(f"{_INDENT}{n},\n" for n in ordered)
        return f"from {module} import (\n{inner})"

    # -- names --

    def _attr_name(self, base: str, taken: set[str]) -> str:
        name = base
        if name.startswith("_sa_") or (name.startswith("__") and name.endswith("__")):
            name = "c" + name  # declarative's own attributes
        while name in taken or keyword.iskeyword(name) or name in self.module_names:
            name += "_"
        return name

    def _module_name(self, base: str, *, suffix: str = "_") -> str:
        name = _identifier(base)
        n = 1
        while name in self.module_names or keyword.iskeyword(name):
            n += 1
            name = f"{_identifier(base)}{suffix}" if n == 2 else f"{_identifier(base)}{suffix}{n}"
        self.module_names.add(name)
        return name

    def _name_classes(self) -> None:
        counts: defaultdict[str, int] = defaultdict(int)
        for t in self.tables:
            counts[_camel(t.name)] += 1
        for t in self.tables:
            if not t.primary_key:
                base = "t_" + _identifier(t.name)
            else:
                base = _camel(t.name)
                if counts[base] > 1 and t.schema != "public":
                    base = _camel(t.schema) + base
            self.class_names[t.key] = self._module_name(
                base, suffix="Table" if t.primary_key else "_"
            )

    # -- sequences --

    def _find_serials(self) -> None:
        for table in self.tables:
            pk = table.primary_key
            pk_cols = pk.columns if pk else ()
            serial_pk = False
            for col in sorted(table.columns, key=lambda c: c.position):
                seq = self._serial_sequence(table, col)
                # SQLAlchemy renders SERIAL for one primary-key column per table only
                if seq is not None and col.name in pk_cols and not serial_pk:
                    self.serial[table.key, col.name] = seq
                    serial_pk = True

    def _serial_sequence(self, table: Table, col: Column) -> Sequence | None:
        """The sequence of a column PostgreSQL would have made for `serial`, if it is one."""
        if col.type not in _INT_TYPES or col.identity or col.generated or not col.default:
            return None
        m = _NEXTVAL.fullmatch(col.default)
        if m is None:
            return None
        seq = self.schema.sequences.get(m[1].replace("''", "'"))
        if seq is None or seq.owned_by != f"{table.key}.{quote_ident(col.name)}":
            return None
        if seq.schema != table.schema or seq.name != default_name(table.name, col.name, "seq"):
            return None
        if seq.options != SequenceOptions(data_type=col.type, max_value=_INT_MAX[col.type]):
            return None
        return seq

    def _sequences(self) -> list[str]:
        serials = {seq.key for seq in self.serial.values()}
        out = []
        for key, seq in sorted(self.schema.sequences.items()):
            if key in serials:
                if seq.comment is not None:
                    self.note("sequence", key, f"comment {seq.comment!r}")
                continue
            if seq.schema not in self.schemas:
                self.note("sequence", key, _NO_SCHEMA)
                continue
            self.imp("sqlalchemy", "Sequence")
            var = self._module_name(
                _snake(seq.name if seq.name.endswith("_seq") else f"{seq.name}_seq")
            )
            self.relations.add(key)
            args: list[_Node] = [_q(seq.name), *self._sequence_options(seq.options, with_type=True)]
            if seq.schema != "public":
                args.append(_Kw("schema", _q(seq.schema)))
            args.append(_Kw("metadata", "Base.metadata"))
            out.append(_stmt(0, f"{var} = ", _Call("Sequence", args)))
            if seq.owned_by is not None:
                self.note("sequence", key, f"OWNED BY {seq.owned_by}")
            if seq.comment is not None:
                self.note("sequence", key, f"comment {seq.comment!r}")
        return out

    def _sequence_options(self, o: SequenceOptions, *, with_type: bool) -> list[_Node]:
        """Keyword arguments for the options that differ from PostgreSQL's defaults."""
        top = _INT_MAX.get(o.data_type, _INT_MAX["bigint"])
        ascending = o.increment > 0
        d_min = 1 if ascending else -top - 1
        d_max = top if ascending else -1
        d_start = o.min_value if ascending else o.max_value
        out: list[_Node] = []
        if with_type and o.data_type != "bigint" and o.data_type in _INT_TYPES:
            self.imp("sqlalchemy", _INT_TYPES[o.data_type])
            out.append(_Kw("data_type", _INT_TYPES[o.data_type]))
        if o.start != d_start:
            out.append(_Kw("start", str(o.start)))
        if o.increment != 1:
            out.append(_Kw("increment", str(o.increment)))
        if o.min_value != d_min:
            out.append(_Kw("minvalue", str(o.min_value)))
        if o.max_value != d_max:
            out.append(_Kw("maxvalue", str(o.max_value)))
        if o.cache != 1:
            out.append(_Kw("cache", str(o.cache)))
        if o.cycle:
            out.append(_Kw("cycle", "True"))
        return out

    # -- enums and domains --

    def _enums(self) -> list[str]:
        out = []
        for key, e in sorted(self.schema.enums.items()):
            if e.schema not in self.schemas:
                self.note("enum", key, _NO_SCHEMA)
                continue
            self.imp("sqlalchemy", "Enum")
            var = self._module_name(_snake(f"{e.name}_enum"))
            self.enum_vars[key] = var
            args: list[_Node] = [_q(label) for label in e.labels]
            args.append(_Kw("name", _q(e.name)))
            if e.schema != "public":
                args.append(_Kw("schema", _q(e.schema)))
            # metadata: created by create_all even when no column uses it
            args.append(_Kw("metadata", "Base.metadata"))
            out.append(_stmt(0, f"{var} = ", _Call("Enum", args)))
            if e.comment is not None:
                self.note("enum", key, f"comment {e.comment!r}")
        return out

    def _domains(self) -> list[str]:
        out: list[str] = []
        pending = dict(sorted(self.schema.domains.items()))
        # a domain over another domain comes after it: emit in rounds
        while pending:
            progress = False
            for key, dom in list(pending.items()):
                base = dom.base_type.removesuffix("[]")
                if base in pending and base != key:
                    continue
                del pending[key]
                progress = True
                block = self._domain(dom)
                if block:
                    out.append(block)
            if not progress:  # a cycle cannot happen in PostgreSQL; stay safe
                for dom in pending.values():
                    self.note("domain", dom.key, "not declared")
                break
        return out

    def _domain(self, dom: Domain) -> str | None:
        why = self._domain_problem(dom)
        if why:
            self.note("domain", dom.key, why)
            return None
        base = self._use(self._type(dom.base_type))
        self.imp("sqlalchemy.dialects", "postgresql")
        args: list[_Node] = [_q(dom.name), base.expr]
        if dom.collation is not None:
            args.append(_Kw("collation", _q(split_qualified(dom.collation)[-1])))
        if dom.default is not None:
            self.imp("sqlalchemy", "text")
            args.append(_Kw("default", _text(dom.default)))
        if dom.constraints:
            (check,) = dom.constraints
            # SQLAlchemy writes CONSTRAINT <name> before NOT NULL, naming that one instead
            if not dom.not_null:
                args.append(_Kw("constraint_name", _q(check.name)))
        if dom.not_null:
            args.append(_Kw("not_null", "True"))
        if dom.constraints:
            self.imp("sqlalchemy", "text")
            args.append(
                _Kw("check", _text(_check_expression(dom.constraints[0].definition)[0][1:-1]))
            )
        if dom.schema != "public":
            args.append(_Kw("schema", _q(dom.schema)))
        args.append(_Kw("metadata", "Base.metadata"))
        var = self._module_name(_snake(f"{dom.name}_domain"))
        self.domain_types[dom.key] = _Type(var, base.py)
        if dom.comment is not None:
            self.note("domain", dom.key, f"comment {dom.comment!r}")
        return _stmt(0, f"{var} = ", _Call("postgresql.DOMAIN", args))

    def _domain_problem(self, dom: Domain) -> str:
        """Why `dom` cannot be declared with postgresql.DOMAIN, or ''."""
        if dom.schema not in self.schemas:
            return _NO_SCHEMA
        if self._type(dom.base_type) is None:
            return f"its base type {dom.base_type} is not created by the models"
        if len(dom.constraints) > 1:
            return "more than one CHECK constraint"
        if dom.collation is not None and len(split_qualified(dom.collation)) > 1:
            return f"collation {dom.collation} is not created by the models"
        for c in dom.constraints:
            if not c.validated:
                return f"CHECK constraint {quote_ident(c.name)} is NOT VALID"
            expr, rest = _check_expression(c.definition)
            if rest:
                return f"CHECK constraint {quote_ident(c.name)}: {c.definition}"
            if dom.not_null and c.name != default_name(dom.name, None, "check"):
                return f"NOT NULL with a CHECK constraint not named {default_name(dom.name, None, 'check')}"
            if refs := self._unknown_refs(expr):
                return f"its CHECK constraint uses {', '.join(refs)}"
        if dom.default is not None and (refs := self._unknown_refs(dom.default)):
            return f"its default uses {', '.join(refs)}"
        return ""

    # -- column types --

    def _type(self, text: str) -> _Type | None:
        """The SQLAlchemy type of a format_type() text, or None when the models cannot create it."""
        array = text.endswith("[]")
        base = text[:-2] if array else text
        if _QUALIFIED.match(base):
            if base in self.enum_vars:
                item = _Type(self.enum_vars[base], "str")
            elif base in self.domain_types:
                item = self.domain_types[base]
            else:
                return None
        elif base in _SIMPLE_TYPES:
            expr, py = _SIMPLE_TYPES[base]
            item = _Type(expr, py, (_type_import(expr),))
        else:
            for pattern, template, py in _PATTERN_TYPES:
                if m := pattern.fullmatch(base):
                    expr = template.format(*m.groups())
                    item = _Type(expr, py, (_type_import(expr),))
                    break
            else:
                return _pg_type(text)
        if not array:
            return item
        return _Type(
            f"ARRAY({item.expr})",
            f"list[{item.py}]",
            (*item.needs, ("sqlalchemy", "ARRAY")),
            item.pg_type,
        )

    def _use(self, t: _Type | None) -> _Type:
        """Record the imports a type needs (and the PgType helper)."""
        assert t is not None
        for module, name in t.needs:
            self.imp(module, name)
        if t.pg_type:
            self.uses_pg_type = True
            self.imp("sqlalchemy.types", "UserDefinedType")
            self.imp("typing", "Any")
        return t

    def _fallback_type(self, text: str) -> tuple[_Type, str]:
        """A type the models can create for a column whose own type they cannot: the domain's base, else Text."""
        array = text.endswith("[]")
        base = text.removesuffix("[]")
        dom = self.schema.domains.get(base)
        while dom is not None:
            t = self._type(
                dom.base_type + ("[]" if array and not dom.base_type.endswith("[]") else "")
            )
            if t is not None:
                return self._use(t), dom.base_type
            base = dom.base_type.removesuffix("[]")
            dom = self.schema.domains.get(base)
        t = self._use(self._type("text[]" if array else "text"))
        return t, "text[]" if array else "text"

    # -- tables --

    def _table(self, table: Table, after: list[str]) -> str:
        name = self.class_names[table.key]
        by_quoted = {quote_ident(c.name): c.name for c in table.columns}
        # an inherited column is declared again only when the child's own keys and
        # indexes name it (SQLAlchemy resolves those names among the table's columns)
        named = {c for con in table.constraints for c in con.columns}
        named |= {by_quoted.get(k, k) for i in table.indexes for k in (*i.keys, *i.include)}
        inherited = self._inherited_columns(table)
        cols = [
            c
            for c in sorted(table.columns, key=lambda c: c.position)
            if c.name not in inherited or c.name in named
        ]
        pk = table.primary_key
        pk_inline = pk is not None and self._pk_inline(table, pk)
        single_fk: dict[str, list[_Node]] = defaultdict(list)
        unique_inline: set[str] = set()
        table_args: list[_Node] = []

        if pk is not None and not pk_inline:
            table_args.append(self._pk_constraint(table, pk))
        for con in table.constraints:
            if con.kind is ConstraintKind.FOREIGN_KEY:
                node = self._foreign_key(table, con, single=len(con.columns) == 1)
                if node is None:
                    continue
                if len(con.columns) == 1 and isinstance(node, _Call) and node.func == "ForeignKey":
                    single_fk[con.columns[0]].append(node)
                else:
                    table_args.append(node)
            elif con.kind is ConstraintKind.UNIQUE:
                if self._unique_inline(table, con):
                    unique_inline.add(con.columns[0])
                else:
                    table_args.append(self._unique(table, con))
            elif con.kind is ConstraintKind.CHECK:
                node = self._check(table, con)
                if node is not None:
                    table_args.append(node)
            elif con.kind is ConstraintKind.EXCLUSION:
                node = self._exclusion(table, con, by_quoted)
                if node is not None:
                    table_args.append(node)
            if con.comment is not None:
                self.note(
                    "constraint",
                    f"{quote_ident(con.name)} on {table.key}",
                    f"comment {con.comment!r}",
                )
        for index in table.indexes:
            node = self._index(table, index, by_quoted)
            if node is not None:
                table_args.append(node)
        for trig in table.triggers:
            self.note("trigger", f"{quote_ident(trig.name)} on {table.key}")
        for pol in table.policies:
            self.note("policy", f"{quote_ident(pol.name)} on {table.key}")
        if table.rls_enabled or table.rls_forced:
            flags = ", ".join(
                f for f, on in (("enabled", table.rls_enabled), ("forced", table.rls_forced)) if on
            )
            self.note("table", table.key, f"row-level security {flags}")

        options = self._table_options(table, after)
        column_nodes = [
            (
                col,
                self._column(
                    table, col, pk_inline, single_fk.get(col.name, []), col.name in unique_inline
                ),
            )
            for col in cols
        ]
        if pk is None:
            return self._table_construct(table, name, column_nodes, table_args, options)

        lines = [f"class {name}(Base):", f"{_INDENT}__tablename__ = {_q(table.name)}"]
        entries: list[_Node] = [_Kw(_q(k), v, ": ") for k, v in options]
        if table_args:
            items: list[_Node] = list(table_args)
            if options:
                items.append(_Call("", entries, "{", "}"))
            lines.append(_stmt(4, "__table_args__ = ", _Call("", items, tuple_=True)))
        elif options:
            lines.append(_stmt(4, "__table_args__ = ", _Call("", entries, "{", "}")))
        lines.append("")
        taken: set[str] = set()
        for col, (call, py) in column_nodes:
            attr = self._attr_name(_identifier(col.name), taken | _DECLARATIVE_NAMES)
            taken.add(attr)
            if attr != col.name:
                call.args.insert(0, _q(col.name))
            self.imp_py(py)
            lines.append(_stmt(4, f"{attr}: Mapped[{py}] = ", call))
        return "\n".join(lines)

    def _table_construct(
        self,
        table: Table,
        name: str,
        column_nodes: list[tuple[Column, tuple[_Call, str]]],
        table_args: list[_Node],
        options: list[tuple[str, _Node]],
    ) -> str:
        """A table without a primary key: a Table, since a mapped class needs one."""
        self.imp("sqlalchemy", "Table", "Column")
        args: list[_Node] = [_q(table.name), "Base.metadata"]
        for col, (call, _py) in column_nodes:
            call.func = "Column"
            call.args.insert(0, _q(col.name))
            if col.not_null:
                call.args.append(_Kw("nullable", "False"))
            args.append(call)
        args += table_args
        args += [_Kw(k, v) for k, v in options]
        return _stmt(0, f"{name} = ", _Call("Table", args))

    def _table_options(self, table: Table, after: list[str]) -> list[tuple[str, _Node]]:
        """Keyword arguments of the Table (entries of the __table_args__ dict)."""
        out: list[tuple[str, _Node]] = []
        if table.schema != "public":
            out.append(("schema", _q(table.schema)))
        if table.comment is not None:
            out.append(("comment", _q(table.comment)))
        if table.unlogged:
            out.append(("prefixes", '["UNLOGGED"]'))
        if table.partition_key is not None:
            refs = self._unknown_refs(table.partition_key)
            if refs:
                self.note(
                    "table", table.key, f"PARTITION BY {table.partition_key} uses {', '.join(refs)}"
                )
            else:
                out.append(("postgresql_partition_by", _sql(table.partition_key)))
        if table.options:
            pairs = [opt.partition("=") for opt in table.options]
            items: list[_Node] = [_Kw(_q(k), _option_value(v), ": ") for k, _, v in pairs]
            out.append(("postgresql_with", _Call("", items, "{", "}")))
        if table.inherits:
            parents = [p for p in table.inherits if p in self.table_keys]
            if len(parents) != len(table.inherits):
                self.note(
                    "table",
                    table.key,
                    f"INHERITS ({', '.join(table.inherits)}): a parent is not declared",
                )
            if parents:
                self.imp("sqlalchemy.sql", "quoted_name")
                # quote=False: the qualified name is already quoted as PostgreSQL needs
                names = [_Call("quoted_name", [_sql(p), _Kw("quote", "False")]) for p in parents]
                value: _Node = names[0] if len(names) == 1 else _Call("", list(names), tuple_=True)
                out.append(("postgresql_inherits", value))
                me = self._table_ref(table.key)
                for p in parents:
                    after.append(f"{me}.add_is_dependent_on({self._table_ref(p)})")
        return out

    def _table_ref(self, key: str) -> str:
        table = self.schema.tables[key]
        if not table.primary_key:
            return self.class_names[key]
        # a class's __table__ is typed as a FromClause; the metadata's entry is a Table
        sa_key = table.name if table.schema == "public" else f"{table.schema}.{table.name}"
        return f"Base.metadata.tables[{_q(sa_key)}]"

    def _inherited_columns(self, table: Table) -> dict[str, Column]:
        """Columns a declared parent gives this table (the child does not declare them again)."""
        out: dict[str, Column] = {}
        for p in table.inherits:
            parent = self.schema.tables.get(p)
            if parent is None or p not in self.table_keys:
                continue
            for c in parent.columns:
                own = table.column(c.name)
                if own is not None and _same_column(own, c):
                    out[c.name] = own
        return out

    # -- columns --

    def _column(
        self, table: Table, col: Column, pk_inline: bool, fks: list[_Node], unique: bool
    ) -> tuple[_Call, str]:
        """mapped_column(...) of a column, and its Python type."""
        where = f"{table.key}.{quote_ident(col.name)}"
        found = self._type(col.type)
        if found is None:
            typ, written = self._fallback_type(col.type)
            self.note(
                "column",
                where,
                f"type {col.type} is not created by the models; declared as {written}",
            )
        else:
            typ = self._use(found)
        args: list[_Node] = [self._collated(typ.expr, col, where)]
        args += fks
        serial = (table.key, col.name) in self.serial
        if col.identity is not None:
            self.imp("sqlalchemy", "Identity")
            opts = self._sequence_options(col.identity.options, with_type=False)
            args.append(_Call("Identity", [_Kw("always", str(col.identity.always)), *opts]))
        if col.generated is not None:
            refs = self._unknown_refs(col.generated)
            if refs:
                self.note(
                    "column",
                    where,
                    f"GENERATED ALWAYS AS {col.generated} uses {', '.join(refs)}; declared as a plain column",
                )
            else:
                self.imp("sqlalchemy", "Computed")
                persisted = "True" if col.generated_kind != "virtual" else "False"
                args.append(_Call("Computed", [_sql(col.generated), _Kw("persisted", persisted)]))
        pk = table.primary_key
        in_pk = pk is not None and col.name in pk.columns
        if pk_inline and in_pk:
            args.append(_Kw("primary_key", "True"))
        if serial:
            args.append(_Kw("autoincrement", "True"))
        elif (
            in_pk
            and pk is not None
            and len(pk.columns) == 1
            and col.default is None
            and col.identity is None
            and (col.type in _INT_TYPES or col.type.startswith("numeric"))
        ):
            # SQLAlchemy would make a lone integer primary key SERIAL
            args.append(_Kw("autoincrement", "False"))
        if unique:
            args.append(_Kw("unique", "True"))
        if col.default is not None and not serial:
            refs = self._unknown_refs(col.default)
            if refs:
                self.note(
                    "column",
                    where,
                    f"DEFAULT {col.default} uses {', '.join(refs)}; declared without it",
                )
            else:
                self.imp("sqlalchemy", "text")
                args.append(_Kw("server_default", _text(col.default)))
        if col.comment is not None:
            args.append(_Kw("comment", _q(col.comment)))
        if col.not_null_name is not None:
            self.note(
                "column", where, f"NOT NULL constraint named {quote_ident(col.not_null_name)}"
            )
        if not col.not_null_valid:
            self.note("column", where, "NOT NULL is NOT VALID; declared as valid")
        py = typ.py if col.not_null or in_pk else f"{typ.py} | None"
        return _Call("mapped_column", args), py

    def imp_py(self, py: str) -> None:
        for name, module in (
            ("Decimal", "decimal"),
            ("datetime", "datetime"),
            ("date", "datetime"),
            ("timedelta", "datetime"),
            ("time", "datetime"),
            ("Any", "typing"),
        ):
            if re.search(rf"\b{name}\b", py):
                self.imp(module, name)
        if "uuid." in py:
            self.imp("", "uuid")

    def _collated(self, expr: str, col: Column, where: str) -> str:
        if col.collation is None:
            return expr
        parts = split_qualified(col.collation)
        if len(parts) > 1 and parts[0] != "pg_catalog":
            self.note(
                "column",
                where,
                f"COLLATE {col.collation} is not created by the models; declared without it",
            )
            return expr
        m = _COLLATABLE.match(expr)
        if m:
            inner = m[3]
            args = f"{inner}, " if inner else ""
            return f"{m[1]}({args}collation={_q(parts[-1])})"
        # any other collatable type (arrays of text, ...): the type text with its COLLATE
        return self._use(_pg_type(f"{col.type} COLLATE {col.collation}")).expr

    # -- constraints --

    def _pk_inline(self, table: Table, pk: Constraint) -> bool:
        """Whether `primary_key=True` on the columns gives exactly this primary key."""
        order = [
            c.name for c in sorted(table.columns, key=lambda c: c.position) if c.name in pk.columns
        ]
        # SQLAlchemy puts the autoincrement column first in a primary key it builds itself
        serial = [c for c in pk.columns if (table.key, c) in self.serial]
        return (
            pk.name == default_name(table.name, None, "pkey")
            and list(pk.columns) == order
            and (not serial or serial[0] == pk.columns[0])
            and pk.definition == f"PRIMARY KEY ({_cols(pk.columns)})"
        )

    def _pk_constraint(self, table: Table, pk: Constraint) -> _Call:
        self.imp("sqlalchemy", "PrimaryKeyConstraint")
        args: list[_Node] = [_q(c) for c in pk.columns]
        if pk.name != default_name(table.name, None, "pkey"):
            args.append(_Kw("name", _q(pk.name)))
        include = _include(pk.definition)
        if include:
            args.append(_Kw("postgresql_include", "[" + ", ".join(_q(c) for c in include) + "]"))
        args += _deferrable(pk)
        expected = (
            f"PRIMARY KEY ({_cols(pk.columns)})" + _include_sql(include) + _deferrable_sql(pk)
        )
        self._exact(table, pk, expected)
        return _Call("PrimaryKeyConstraint", args)

    def _unique_inline(self, table: Table, con: Constraint) -> bool:
        return (
            len(con.columns) == 1
            and con.name == default_name(table.name, con.columns[0], "key")
            and con.definition == f"UNIQUE ({_cols(con.columns)})"
        )

    def _unique(self, table: Table, con: Constraint) -> _Call:
        self.imp("sqlalchemy", "UniqueConstraint")
        args: list[_Node] = [_q(c) for c in con.columns]
        args.append(_Kw("name", _q(con.name)))
        nnd = con.definition.startswith("UNIQUE NULLS NOT DISTINCT ")
        if nnd:
            args.append(_Kw("postgresql_nulls_not_distinct", "True"))
        include = _include(con.definition)
        if include:
            args.append(_Kw("postgresql_include", "[" + ", ".join(_q(c) for c in include) + "]"))
        args += _deferrable(con)
        expected = (
            f"UNIQUE {'NULLS NOT DISTINCT ' if nnd else ''}({_cols(con.columns)})"
            + _include_sql(include)
            + _deferrable_sql(con)
        )
        self._exact(table, con, expected)
        return _Call("UniqueConstraint", args)

    def _foreign_key(self, table: Table, con: Constraint, *, single: bool) -> _Node | None:
        where = f"{quote_ident(con.name)} on {table.key}"
        if con.ref_table not in self.table_keys:
            self.note(
                "constraint",
                where,
                f"references {con.ref_table}, which the models do not declare; left out",
            )
            return None
        assert con.ref_table is not None
        ref_schema, ref_name = split_qualified(con.ref_table)
        if any("." in n for n in (ref_schema, ref_name, *con.ref_columns)):
            self.note(
                "constraint",
                where,
                "names with a dot cannot be written as a foreign key target; left out",
            )
            return None
        prefix = ref_name if ref_schema == "public" else f"{ref_schema}.{ref_name}"
        targets = [_q(f"{prefix}.{c}") for c in con.ref_columns]
        opts: list[_Node] = []
        default = default_name(table.name, "_".join(con.columns), "fkey")
        if con.name != default or not single:
            opts.append(_Kw("name", _q(con.name)))
        if con.on_update not in (None, "NO ACTION"):
            opts.append(_Kw("onupdate", _q(con.on_update)))
        if con.on_delete not in (None, "NO ACTION"):
            opts.append(_Kw("ondelete", _q(con.on_delete)))
        if con.match == "FULL":
            opts.append(_Kw("match", _q("FULL")))
        opts += _deferrable(con)
        expected = (
            f"FOREIGN KEY ({_cols(con.columns)}) REFERENCES {con.ref_table}({_cols(con.ref_columns)})"
            + (" MATCH FULL" if con.match == "FULL" else "")
            + (f" ON UPDATE {con.on_update}" if con.on_update not in (None, "NO ACTION") else "")
            + (f" ON DELETE {con.on_delete}" if con.on_delete not in (None, "NO ACTION") else "")
            + _deferrable_sql(con)
        )
        self._exact(table, con, expected)
        if single:
            self.imp("sqlalchemy", "ForeignKey")
            return _Call("ForeignKey", [targets[0], *opts])
        self.imp("sqlalchemy", "ForeignKeyConstraint")
        local = "[" + ", ".join(_q(c) for c in con.columns) + "]"
        return _Call("ForeignKeyConstraint", [local, "[" + ", ".join(targets) + "]", *opts])

    def _check(self, table: Table, con: Constraint) -> _Call | None:
        where = f"{quote_ident(con.name)} on {table.key}"
        expr, _rest = _check_expression(con.definition)
        refs = self._unknown_refs(expr)
        if refs:
            self.note("constraint", where, f"CHECK {expr} uses {', '.join(refs)}; left out")
            return None
        self._exact(table, con, f"CHECK {expr}")
        self.imp("sqlalchemy", "CheckConstraint")
        return _Call("CheckConstraint", [_sql(expr[1:-1]), _Kw("name", _q(con.name))])

    def _exclusion(self, table: Table, con: Constraint, by_quoted: dict[str, str]) -> _Call | None:
        where = f"{quote_ident(con.name)} on {table.key}"
        m = re.match(r"EXCLUDE USING (\w+) \(", con.definition)
        if m is None or m[1] not in _BUILTIN_INDEX_METHODS:
            self.note("constraint", where, f"{con.definition}; left out")
            return None
        end = paren_end(con.definition, m.end() - 1)
        elements = split_top(con.definition[m.end() : end - 1])
        rest = con.definition[end:]
        args: list[_Node] = []
        ops: list[_Node] = []
        for element in elements:
            key, _, op = element.rpartition(" WITH ")
            target, opclass = self._index_key(key, by_quoted)
            if target is None or self._unknown_refs(key):
                self.note("constraint", where, f"{con.definition}; left out")
                return None
            if opclass:
                ops.append(_Kw(_q(by_quoted[key.split(" ")[0]]), _q(opclass), ": "))
            args.append(_Call("", [target, _q(op)], tuple_=True))
        args.append(_Kw("name", _q(con.name)))
        args.append(_Kw("using", _q(m[1])))
        predicate = None
        wm = re.search(r" WHERE \(", rest)
        if wm:
            stop = paren_end(rest, wm.end() - 1)
            predicate = rest[wm.end() : stop - 1]
            if self._unknown_refs(predicate):
                self.note("constraint", where, f"{con.definition}; left out")
                return None
            self.imp("sqlalchemy", "text")
            args.append(_Kw("where", _text(predicate)))
        if ops:
            args.append(_Kw("ops", _Call("", ops, "{", "}")))
        args += _deferrable(con)
        expected = (
            f"EXCLUDE USING {m[1]} ({', '.join(elements)})"
            + (f" WHERE ({predicate})" if predicate is not None else "")
            + _deferrable_sql(con)
        )
        self._exact(table, con, expected)
        self.imp("sqlalchemy.dialects", "postgresql")
        return _Call("postgresql.ExcludeConstraint", args)

    def _exact(self, table: Table, con: Constraint, expected: str) -> None:
        """List what the written constraint cannot carry (NOT VALID, NO INHERIT, ...)."""
        where = f"{quote_ident(con.name)} on {table.key}"
        definition = con.definition
        if not con.validated:
            self.note("constraint", where, "NOT VALID; declared as valid")
            definition = definition.removesuffix(" NOT VALID")
        if definition != expected:
            self.note("constraint", where, f"{con.definition}; declared as {expected}")

    # -- indexes --

    def _index_key(self, key: str, by_quoted: dict[str, str]) -> tuple[_Node | None, str]:
        """The argument for one index key (a column name or text()) and its operator class."""
        if key in by_quoted:
            return _q(by_quoted[key]), ""
        first, _, rest = key.partition(" ")
        if first in by_quoted and re.fullmatch(r"[a-z_][a-z0-9_$]*", rest) and rest.upper() != rest:
            return _q(by_quoted[first]), rest
        self.imp("sqlalchemy", "text")
        return _text(key), ""

    def _index(self, table: Table, index: Index, by_quoted: dict[str, str]) -> _Call | None:
        where = f"{quote_ident(index.name)} on {table.key}"
        if index.comment is not None:
            self.note("index", where, f"comment {index.comment!r}")
        if not index.valid:
            self.note(
                "index",
                where,
                "INVALID (an interrupted CREATE INDEX CONCURRENTLY); declared as valid",
            )
        if index.method not in _BUILTIN_INDEX_METHODS:
            self.note("index", where, f"access method {index.method}; left out")
            return None
        refs = [
            r for part in (*index.keys, index.predicate or "") for r in self._unknown_refs(part)
        ]
        if refs:
            self.note("index", where, f"uses {', '.join(refs)}; left out")
            return None
        args: list[_Node] = [_q(index.name)]
        ops: list[_Node] = []
        for key in index.keys:
            target, opclass = self._index_key(key, by_quoted)
            assert target is not None
            args.append(target)
            if opclass:
                ops.append(_Kw(_q(by_quoted[key.split(" ")[0]]), _q(opclass), ": "))
        if index.unique:
            args.append(_Kw("unique", "True"))
        if index.method != "btree":
            args.append(_Kw("postgresql_using", _q(index.method)))
        if ops:
            args.append(_Kw("postgresql_ops", _Call("", ops, "{", "}")))
        if index.include:
            names = [_q(by_quoted.get(c, c)) for c in index.include]
            args.append(_Kw("postgresql_include", "[" + ", ".join(names) + "]"))
        if index.nulls_not_distinct:
            args.append(_Kw("postgresql_nulls_not_distinct", "True"))
        with_ = re.search(r" WITH \(([^)]*)\)", index.definition)
        if with_:
            items: list[_Node] = []
            for opt in split_top(with_[1]):
                k, _, v = opt.partition("=")
                items.append(_Kw(_q(k.strip()), _option_value(v.strip().strip("'")), ": "))
            args.append(_Kw("postgresql_with", _Call("", items, "{", "}")))
        if index.predicate is not None:
            self.imp("sqlalchemy", "text")
            args.append(_Kw("postgresql_where", _text(index.predicate)))
        if index.tablespace is not None:
            self.note(
                "index", where, f"TABLESPACE {quote_ident(index.tablespace)}; declared without it"
            )
        expected = (
            f"CREATE {'UNIQUE ' if index.unique else ''}INDEX {quote_ident(index.name)} ON "
            f"{'ONLY ' if table.partition_key else ''}{table.key} USING {index.method} ({', '.join(index.keys)})"
            + (f" INCLUDE ({', '.join(index.include)})" if index.include else "")
            + (" NULLS NOT DISTINCT" if index.nulls_not_distinct else "")
            + (f" WITH ({with_[1]})" if with_ else "")
            + (f" WHERE {index.predicate}" if index.predicate is not None else "")
        )
        if index.definition != expected:
            self.note("index", where, f"{index.definition}; declared as {expected}")
        self.imp("sqlalchemy", "Index")
        return _Call("Index", args)

    # -- references --

    def _unknown_refs(self, expr: str) -> list[str]:
        """What `expr` names that the models do not create (user or extension functions, types...)."""
        out: list[str] = []
        for m in _EXPR_TOKENS.finditer(expr):
            if m["lit"] is not None:
                if expr.startswith("::regclass", m.end()):
                    name = m["lit"][1:-1].replace("''", "'")
                    if name not in self.relations:
                        out.append(name)
            elif m["op"] is not None:
                if not m["op"].startswith("pg_catalog."):
                    out.append(f"OPERATOR({m['op']})")
            elif (q := m["qual"]) is not None:
                if q.startswith("pg_catalog."):
                    continue
                if expr[m.end() :].lstrip().startswith("("):
                    out.append(f"{q}()")
                elif expr[: m.start()].endswith("::"):
                    if q not in self.enum_vars and q not in self.domain_types:
                        out.append(q)
                else:
                    out.append(q)
        return sorted(set(out))


# --- small helpers -----------------------------------------------------------------------


def _type_import(expr: str) -> tuple[str, str]:
    if expr.startswith("postgresql."):
        return ("sqlalchemy.dialects", "postgresql")
    return ("sqlalchemy", expr.split("(", 1)[0])


def _pg_type(text: str) -> _Type:
    return _Type(f"PgType({_q(text)})", "Any", pg_type=True)


def _identifier(name: str) -> str:
    """A Python identifier close to `name`."""
    if name.isidentifier():
        return name
    out = re.sub(r"\W+", "_", name).strip("_") or "x"
    return f"_{out}" if out[0].isdigit() else out


def _snake(name: str) -> str:
    """snake_case for a module-level variable (`Order Items_id_seq` -> order_items_id_seq)."""
    return _identifier(re.sub(r"[\W]+", "_", name).lower())


def _camel(name: str) -> str:
    """CamelCase of a table name (`order_items` and `Order Items` -> OrderItems)."""
    parts = [p for p in re.split(r"[\W_]+", name) if p]
    out = "".join(p[:1].upper() + p[1:] for p in parts)
    if not out or not out.isidentifier():
        out = "Table" + (out if out.isidentifier() else "")
    return out


def _same_column(a: Column, b: Column) -> bool:
    return (a.type, a.not_null, a.default, a.collation, a.generated, a.identity, a.comment) == (
        b.type,
        b.not_null,
        b.default,
        b.collation,
        b.generated,
        b.identity,
        b.comment,
    )


def _option_value(value: str) -> str:
    if re.fullmatch(r"-?\d+", value):
        return value
    if value in ("true", "false"):
        return "True" if value == "true" else "False"
    return _q(value)


def _check_expression(definition: str) -> tuple[str, str]:
    """`CHECK (expr) NO INHERIT` -> ('(expr)', ' NO INHERIT')."""
    start = definition.index("(")
    end = paren_end(definition, start)
    return definition[start:end], definition[end:]


def _include(definition: str) -> list[str]:
    m = re.search(r" INCLUDE \(", definition)
    if m is None:
        return []
    end = paren_end(definition, m.end() - 1)
    return [split_qualified(c)[0] for c in split_top(definition[m.end() : end - 1])]


def _include_sql(include: list[str]) -> str:
    return f" INCLUDE ({_cols(include)})" if include else ""


def _deferrable(con: Constraint) -> list[_Node]:
    out: list[_Node] = []
    if con.deferrable:
        out.append(_Kw("deferrable", "True"))
    if con.initially_deferred:
        out.append(_Kw("initially", _q("DEFERRED")))
    return out


def _deferrable_sql(con: Constraint) -> str:
    return (" DEFERRABLE" if con.deferrable else "") + (
        " INITIALLY DEFERRED" if con.initially_deferred else ""
    )


# --- the command's core -----------------------------------------------------------------------


async def pull(settings: Settings, out: Path, *, force: bool = False) -> PullResult:
    """Read the live schema, render it as models and write them to `out` atomically.

    Raises:
        UsageError: `out` exists and `force` is not set, or it cannot be written.
    """
    from studio.commands.diff import inspect
    from studio.config import mask_dsn

    if out.exists() and not force:
        raise UsageError(f"{out} already exists; pass --force to overwrite it", "")
    inspection = await inspect(settings)
    rendered = render(inspection.schema)
    write_file(out, rendered.source, force=force)
    return PullResult(
        path=out,
        database=mask_dsn(inspection.url),
        server_version=inspection.server_version,
        schemas=inspection.schemas,
        tables=rendered.tables,
        not_expressible=rendered.not_expressible,
    )


def write_file(path: Path, text: str, *, force: bool) -> None:
    """Write `text` through a temporary file in the same folder, so `path` is never half-written.

    Without `force`, the file appears only if no file of that name exists,
    even one created meanwhile (a hard link fails on an existing name).
    """
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror}", "") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        if force:
            os.replace(tmp, path)
            return
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise UsageError(f"{path} already exists; pass --force to overwrite it", "") from None
        except OSError:  # no hard links on this file system
            if path.exists():
                raise UsageError(
                    f"{path} already exists; pass --force to overwrite it", ""
                ) from None
            os.replace(tmp, path)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror}", "") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
