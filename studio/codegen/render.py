"""A live schema written out as SQLAlchemy 2.0 typed declarative models (what `pull` writes).

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

The layout of the Python written is `studio.codegen.layout`'s, the column
types `studio.codegen.sa_types`'; `studio.commands.pull` writes the file.
"""

from __future__ import annotations

import keyword
import re
import textwrap
from collections import defaultdict
from dataclasses import dataclass

from studio.codegen.extensions import (
    DIALECT_TYPES,
    TypeClass,
    class_base_name,
    create_statements,
    created_by_models,
    extension_types,
    modifier_args,
    split_type,
)
from studio.codegen.layout import INDENT, WIDTH, Call, Kw, Node, py_str, sql_str, stmt, text_call
from studio.codegen.sa_types import (
    COLLATABLE,
    INT_MAX,
    INT_TYPES,
    PG_TYPE_CLASS,
    SaType,
    array_of,
    as_pg_type,
    builtin_type,
)
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
    make_object_name,
    quote_ident,
)
from studio.model.changes.base import split_qualified
from studio.sqltext.scan import paren_end, split_top


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


# Names the module binds at top level (imports, Base, the type helper): a class
# attribute of the same name would shadow it for the rest of the class body.
_MODULE_NAMES = frozenset(
    """
    annotations Any date datetime time timedelta Decimal uuid ARRAY BigInteger Boolean CHAR
    CheckConstraint Column Computed Date DateTime Double Enum ForeignKey ForeignKeyConstraint
    Identity Index Integer Interval JSON LargeBinary Numeric PrimaryKeyConstraint REAL Sequence
    SmallInteger String Table Text Time UniqueConstraint UserDefinedType Uuid quoted_name text
    postgresql DeclarativeBase Mapped mapped_column Base PgType DDL event
    """.split()  # noqa: SIM905 -- a word list reads better than 47 quoted names
)
_NO_SCHEMA = "its schema holds no table, so it does not exist where the models are created"
_UNUSED = "no column of the models uses it"

# attribute names declarative reserves for itself
_DECLARATIVE_NAMES = frozenset({"metadata", "registry", "type_annotation_map"})

# --- expressions ---------------------------------------------------------------------

# What an expression may name besides pg_catalog: string literals are skipped
# (except 'name'::regclass), quoted identifiers are consumed whole, and a
# schema-qualified name is a function, operator or type of a user schema or
# an extension (search_path is empty when PostgreSQL prints them).
# an identifier as PostgreSQL prints it: double-quoted ("" inside) or plain
_NAME = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_EXPR_TOKENS = re.compile(
    rf"""
      (?P<lit>[Ee]?'(?:[^']|'')*')
    | OPERATOR\((?P<op>[^)]*)\)
    | (?P<qual>{_NAME}\.{_NAME})
    | "(?:[^"]|"")*"
    | [A-Za-z_][A-Za-z0-9_$]*
    """,
    re.VERBOSE,
)
# a schema-qualified type name: an enum or a domain the models may declare
_QUALIFIED = re.compile(rf"^{_NAME}\.")
_NEXTVAL = re.compile(r"nextval\('((?:[^']|'')*)'::regclass\)")
_BUILTIN_INDEX_METHODS = frozenset({"btree", "hash", "gist", "gin", "spgist", "brin"})


def _cols(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(quote_ident(n) for n in names)


# --- the renderer -----------------------------------------------------------------------


def render(schema: Schema, *, sql_file: str | None = None) -> Rendered:
    """The models module for `schema`, and what it could not declare.

    `sql_file`: the file `pull` writes what the models cannot declare to, as
    the module's header names it.
    """
    return _Renderer(schema, sql_file).render()


class _Renderer:
    def __init__(self, schema: Schema, sql_file: str | None = None) -> None:
        self.schema = schema
        self.sql_file = sql_file
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
        self.domain_types: dict[str, SaType] = {}
        self.class_names: dict[str, str] = {}
        # relations the models create: what a 'name'::regclass may name
        self.relations: set[str] = set(self.table_keys)
        # the extensions the models create before their tables, and the types of theirs they use
        self.extensions = created_by_models(schema, self.tables)
        created = {e.name for e in self.extensions}
        self.ext_types = {
            t: ext for t, ext in extension_types(schema, self.tables).items() if ext in created
        }
        self.ext_schemas = {e.schema for e in self.extensions}
        self.schemas |= self.ext_schemas  # created before the tables, with the extensions
        self.type_classes: dict[str, TypeClass] = {}
        self.used_type_classes: set[str] = set()
        # what the schema defines itself: such a name in an extension's schema is its own
        self.own_names = _own_names(schema)
        self.used_types = self._used_types()

    # -- notes --

    def note(self, kind: str, name: str, detail: str = "") -> None:
        self.notes.append(NotExpressible(kind, name, detail))

    def imp(self, module: str, *names: str) -> None:
        self.imports[module].update(names)

    # -- the whole module --

    def render(self) -> Rendered:
        s = self.schema
        for ext in sorted(s.extensions.values(), key=lambda e: e.name):
            if ext not in self.extensions:
                where = f"in schema {quote_ident(ext.schema)}"
                self.note("extension", quote_ident(ext.name), where)
        self._name_type_classes()
        used_schemas = {t.schema for t in self.tables}
        for ns in sorted(s.namespaces.values(), key=lambda n: n.name):
            if ns.name == "public":
                if ns.comment not in (None, "standard public schema"):
                    self.note("schema", "public", f"comment {ns.comment!r}")
                continue
            if ns.name not in used_schemas and ns.name not in self.ext_schemas:
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
            "# Generated by `schema-studio pull`:"
            " SQLAlchemy 2.0 models of a live PostgreSQL schema.",
            "#",
        ]
        if not self.notes:
            head += [
                "# Materialized (metadata.create_all), these models introspect equal to that",
                "# database: SQLAlchemy expresses every object of it.",
            ]
        elif self.sql_file is not None:
            said = (
                "Materialized (metadata.create_all), then followed by the SQL of"
                f" {self.sql_file}, these models introspect equal to that database. That"
                " file holds what SQLAlchemy cannot express, listed here object by object:"
            )
            head += [f"# {line}" for line in textwrap.wrap(said, WIDTH - 2)] + ["#"]
        else:
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
        self.imp("sqlalchemy.orm", "DeclarativeBase", "Mapped", "mapped_column")
        if self.extensions:
            self.imp("sqlalchemy", "DDL", "event")
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
            lines += [PG_TYPE_CLASS, "", ""]
        for name in sorted(self.used_type_classes):
            lines += [self.type_classes[name].source(), "", ""]
        lines += [
            "class Base(DeclarativeBase):",
            '    """Declarative base of the pulled models."""',
        ]
        if self.extensions:
            lines += [
                "",
                "",
                "# The extensions whose types, operator classes or functions the models use,",
                "# created before the tables.",
            ]
            for statement in create_statements(self.extensions):
                # DDL() formats its text with %: a literal one is doubled
                call = Call("DDL", [py_str(statement.replace("%", "%%"))])
                lines.append(
                    stmt(0, "", Call("event.listen", ["Base.metadata", '"before_create"', call]))
                )
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
        inner = "".join(f"{INDENT}{n},\n" for n in ordered)
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
        if col.type not in INT_TYPES or col.identity or col.generated or not col.default:
            return None
        m = _NEXTVAL.fullmatch(col.default)
        if m is None:
            return None
        seq = self.schema.sequences.get(m[1].replace("''", "'"))
        if seq is None or seq.owned_by != f"{table.key}.{quote_ident(col.name)}":
            return None
        if seq.schema != table.schema or seq.name != make_object_name(table.name, col.name, "seq"):
            return None
        if seq.options != SequenceOptions(data_type=col.type, max_value=INT_MAX[col.type]):
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
            args: list[Node] = [
                py_str(seq.name),
                *self._sequence_options(seq.options, with_type=True),
            ]
            if seq.schema != "public":
                args.append(Kw("schema", py_str(seq.schema)))
            args.append(Kw("metadata", "Base.metadata"))
            out.append(stmt(0, f"{var} = ", Call("Sequence", args)))
            if seq.owned_by is not None:
                self.note("sequence", key, f"OWNED BY {seq.owned_by}")
            if seq.comment is not None:
                self.note("sequence", key, f"comment {seq.comment!r}")
        return out

    def _sequence_options(self, o: SequenceOptions, *, with_type: bool) -> list[Node]:
        """Keyword arguments for the options that differ from PostgreSQL's defaults."""
        top = INT_MAX.get(o.data_type, INT_MAX["bigint"])
        ascending = o.increment > 0
        d_min = 1 if ascending else -top - 1
        d_max = top if ascending else -1
        d_start = o.min_value if ascending else o.max_value
        out: list[Node] = []
        if with_type and o.data_type != "bigint" and o.data_type in INT_TYPES:
            self.imp("sqlalchemy", INT_TYPES[o.data_type])
            out.append(Kw("data_type", INT_TYPES[o.data_type]))
        if o.start != d_start:
            out.append(Kw("start", str(o.start)))
        if o.increment != 1:
            out.append(Kw("increment", str(o.increment)))
        if o.min_value != d_min:
            out.append(Kw("minvalue", str(o.min_value)))
        if o.max_value != d_max:
            out.append(Kw("maxvalue", str(o.max_value)))
        if o.cache != 1:
            out.append(Kw("cache", str(o.cache)))
        if o.cycle:
            out.append(Kw("cycle", "True"))
        return out

    # -- enums and domains --

    def _enums(self) -> list[str]:
        out = []
        for key, e in sorted(self.schema.enums.items()):
            if e.schema not in self.schemas:
                self.note("enum", key, _NO_SCHEMA)
                continue
            if key not in self.used_types:
                self.note("enum", key, _UNUSED)
                continue
            self.imp("sqlalchemy", "Enum")
            var = self._module_name(_snake(f"{e.name}_enum"))
            self.enum_vars[key] = var
            args: list[Node] = [py_str(label) for label in e.labels]
            args.append(Kw("name", py_str(e.name)))
            if e.schema != "public":
                args.append(Kw("schema", py_str(e.schema)))
            # metadata: created by create_all even when no column uses it
            args.append(Kw("metadata", "Base.metadata"))
            out.append(stmt(0, f"{var} = ", Call("Enum", args)))
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
        args: list[Node] = [py_str(dom.name), base.expr]
        if dom.collation is not None:
            args.append(Kw("collation", py_str(split_qualified(dom.collation)[-1])))
        if dom.default is not None:
            self.imp("sqlalchemy", "text")
            args.append(Kw("default", text_call(dom.default)))
        if dom.constraints:
            (check,) = dom.constraints
            # SQLAlchemy writes CONSTRAINT <name> before NOT NULL, naming that one instead
            if not dom.not_null:
                args.append(Kw("constraint_name", py_str(check.name)))
        if dom.not_null:
            args.append(Kw("not_null", "True"))
        if dom.constraints:
            self.imp("sqlalchemy", "text")
            args.append(
                Kw("check", text_call(_check_expression(dom.constraints[0].definition)[0][1:-1]))
            )
        if dom.schema != "public":
            args.append(Kw("schema", py_str(dom.schema)))
        args.append(Kw("metadata", "Base.metadata"))
        var = self._module_name(_snake(f"{dom.name}_domain"))
        self.domain_types[dom.key] = SaType(var, base.py)
        if dom.comment is not None:
            self.note("domain", dom.key, f"comment {dom.comment!r}")
        return stmt(0, f"{var} = ", Call("postgresql.DOMAIN", args))

    def _domain_problem(self, dom: Domain) -> str:
        """Why `dom` cannot be declared with postgresql.DOMAIN, or ''."""
        if dom.schema not in self.schemas:
            return _NO_SCHEMA
        if dom.key not in self.used_types:
            return _UNUSED
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
            if dom.not_null and c.name != make_object_name(dom.name, None, "check"):
                named = make_object_name(dom.name, None, "check")
                return f"NOT NULL with a CHECK constraint not named {named}"
            if refs := self._unknown_refs(expr):
                return f"its CHECK constraint uses {', '.join(refs)}"
        if dom.default is not None and (refs := self._unknown_refs(dom.default)):
            return f"its default uses {', '.join(refs)}"
        return ""

    # -- column types --

    def _type(self, text: str) -> SaType | None:
        """The SQLAlchemy type of a format_type() text, or None when the models cannot create it."""
        array = text.endswith("[]")
        base = text[:-2] if array else text
        if _QUALIFIED.match(base):
            if base in self.enum_vars:
                item = SaType(self.enum_vars[base], "str")
            elif base in self.domain_types:
                item = self.domain_types[base]
            elif (ext := self._extension_type(base)) is not None:
                item = ext
            else:
                return None
        else:
            found = builtin_type(base)
            if found is None:
                return as_pg_type(text)
            item = found
        return array_of(item) if array else item

    def _extension_type(self, text: str) -> SaType | None:
        """An extension's type the models create: its dialect class, else the module's own class."""
        found = split_type(text)
        if found is None or found[0] not in self.ext_types:
            return None
        name, mods = found
        schema, bare = split_qualified(name)
        if bare in DIALECT_TYPES and schema == "public" and mods is None:
            expr, py = DIALECT_TYPES[bare]
            return SaType(expr, py, (("sqlalchemy.dialects", "postgresql"),))
        cls = self.type_classes[name]
        args = ", ".join(modifier_args(mods)) if mods is not None else ""
        return SaType(f"{cls.name}({args})", "Any", defines=name)

    def _name_type_classes(self) -> None:
        """Name the classes of the extensions' types (before the tables' classes take names)."""
        with_mods: set[str] = set()
        for t in self.tables:
            for c in t.columns:
                found = split_type(c.type.removesuffix("[]"))
                if found is not None and found[1] is not None:
                    with_mods.add(found[0])
        for name, ext in sorted(self.ext_types.items()):
            schema, bare = split_qualified(name)
            if bare in DIALECT_TYPES and schema == "public" and name not in with_mods:
                continue
            cls = self._module_name(class_base_name(name), suffix="Type")
            self.type_classes[name] = TypeClass(cls, name, ext, name in with_mods)

    def _use(self, t: SaType | None) -> SaType:
        """Record the imports a type needs (and the PgType helper)."""
        assert t is not None
        for module, name in t.needs:
            self.imp(module, name)
        if t.defines:
            self.used_type_classes.add(t.defines)
            self.imp("sqlalchemy.types", "UserDefinedType")
            self.imp("typing", "Any")
        if t.pg_type:
            self.uses_pg_type = True
            self.imp("sqlalchemy.types", "UserDefinedType")
            self.imp("typing", "Any")
        return t

    def _fallback_type(self, text: str) -> tuple[SaType, str]:
        """A type the models can create for a column whose own type they cannot.

        Its domain's base type (through domains over domains), else text.
        """
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
        single_fk: dict[str, list[Node]] = defaultdict(list)
        unique_inline: set[str] = set()
        table_args: list[Node] = []

        if pk is not None and not pk_inline:
            table_args.append(self._pk_constraint(table, pk))
        for con in table.constraints:
            if con.kind is ConstraintKind.FOREIGN_KEY:
                node = self._foreign_key(table, con, single=len(con.columns) == 1)
                if node is None:
                    continue
                if len(con.columns) == 1 and isinstance(node, Call) and node.func == "ForeignKey":
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

        lines = [f"class {name}(Base):", f"{INDENT}__tablename__ = {py_str(table.name)}"]
        entries: list[Node] = [Kw(py_str(k), v, ": ") for k, v in options]
        if table_args:
            items: list[Node] = list(table_args)
            if options:
                items.append(Call("", entries, "{", "}"))
            lines.append(stmt(4, "__table_args__ = ", Call("", items, tuple_=True)))
        elif options:
            lines.append(stmt(4, "__table_args__ = ", Call("", entries, "{", "}")))
        lines.append("")
        taken: set[str] = set()
        for col, (call, py) in column_nodes:
            attr = self._attr_name(_identifier(col.name), taken | _DECLARATIVE_NAMES)
            taken.add(attr)
            if attr != col.name:
                call.args.insert(0, py_str(col.name))
            self.imp_py(py)
            lines.append(stmt(4, f"{attr}: Mapped[{py}] = ", call))
        return "\n".join(lines)

    def _table_construct(
        self,
        table: Table,
        name: str,
        column_nodes: list[tuple[Column, tuple[Call, str]]],
        table_args: list[Node],
        options: list[tuple[str, Node]],
    ) -> str:
        """A table without a primary key: a Table, since a mapped class needs one."""
        self.imp("sqlalchemy", "Table", "Column")
        args: list[Node] = [py_str(table.name), "Base.metadata"]
        for col, (call, _py) in column_nodes:
            call.func = "Column"
            call.args.insert(0, py_str(col.name))
            if col.not_null and col.not_null_valid:
                call.args.append(Kw("nullable", "False"))
            args.append(call)
        args += table_args
        args += [Kw(k, v) for k, v in options]
        return stmt(0, f"{name} = ", Call("Table", args))

    def _table_options(self, table: Table, after: list[str]) -> list[tuple[str, Node]]:
        """Keyword arguments of the Table (entries of the __table_args__ dict)."""
        out: list[tuple[str, Node]] = []
        if table.schema != "public":
            out.append(("schema", py_str(table.schema)))
        if table.comment is not None:
            out.append(("comment", py_str(table.comment)))
        if table.unlogged:
            out.append(("prefixes", '["UNLOGGED"]'))
        if table.partition_key is not None:
            refs = self._unknown_refs(table.partition_key)
            if refs:
                self.note(
                    "table", table.key, f"PARTITION BY {table.partition_key} uses {', '.join(refs)}"
                )
            else:
                out.append(("postgresql_partition_by", sql_str(table.partition_key)))
        if table.options:
            pairs = [opt.partition("=") for opt in table.options]
            items: list[Node] = [Kw(py_str(k), _option_value(v), ": ") for k, _, v in pairs]
            out.append(("postgresql_with", Call("", items, "{", "}")))
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
                names = [Call("quoted_name", [sql_str(p), Kw("quote", "False")]) for p in parents]
                value: Node = names[0] if len(names) == 1 else Call("", list(names), tuple_=True)
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
        return f"Base.metadata.tables[{py_str(sa_key)}]"

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
        self, table: Table, col: Column, pk_inline: bool, fks: list[Node], unique: bool
    ) -> tuple[Call, str]:
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
        args: list[Node] = [self._collated(typ.expr, col, where)]
        args += fks
        serial = (table.key, col.name) in self.serial
        if col.identity is not None:
            self.imp("sqlalchemy", "Identity")
            opts = self._sequence_options(col.identity.options, with_type=False)
            args.append(Call("Identity", [Kw("always", str(col.identity.always)), *opts]))
        if col.generated is not None:
            refs = self._unknown_refs(col.generated)
            if refs:
                self.note(
                    "column",
                    where,
                    f"GENERATED ALWAYS AS {col.generated} uses {', '.join(refs)};"
                    " declared as a plain column",
                )
            else:
                self.imp("sqlalchemy", "Computed")
                persisted = "True" if col.generated_kind != "virtual" else "False"
                args.append(Call("Computed", [sql_str(col.generated), Kw("persisted", persisted)]))
        pk = table.primary_key
        in_pk = pk is not None and col.name in pk.columns
        if pk_inline and in_pk:
            args.append(Kw("primary_key", "True"))
        if serial:
            args.append(Kw("autoincrement", "True"))
        elif (
            in_pk
            and pk is not None
            and len(pk.columns) == 1
            and col.default is None
            and col.identity is None
            and (col.type in INT_TYPES or col.type.startswith("numeric"))
        ):
            # SQLAlchemy would make a lone integer primary key SERIAL
            args.append(Kw("autoincrement", "False"))
        if unique:
            args.append(Kw("unique", "True"))
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
                args.append(Kw("server_default", text_call(col.default)))
        if col.comment is not None:
            args.append(Kw("comment", py_str(col.comment)))
        if col.not_null_name is not None:
            self.note(
                "column", where, f"NOT NULL constraint named {quote_ident(col.not_null_name)}"
            )
        if not col.not_null_valid:
            # rows may hold NULLs: nullable in the models, NOT VALID in the SQL file
            self.note("column", where, "NOT NULL is NOT VALID; declared nullable")
        py = typ.py if (col.not_null and col.not_null_valid) or in_pk else f"{typ.py} | None"
        return Call("mapped_column", args), py

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
        m = COLLATABLE.match(expr)
        if m:
            inner = m[3]
            args = f"{inner}, " if inner else ""
            return f"{m[1]}({args}collation={py_str(parts[-1])})"
        # any other collatable type (arrays of text, ...): the type text with its COLLATE
        return self._use(as_pg_type(f"{col.type} COLLATE {col.collation}")).expr

    # -- constraints --

    def _pk_inline(self, table: Table, pk: Constraint) -> bool:
        """Whether `primary_key=True` on the columns gives exactly this primary key."""
        order = [
            c.name for c in sorted(table.columns, key=lambda c: c.position) if c.name in pk.columns
        ]
        # SQLAlchemy puts the autoincrement column first in a primary key it builds itself
        serial = [c for c in pk.columns if (table.key, c) in self.serial]
        return (
            pk.name == make_object_name(table.name, None, "pkey")
            and list(pk.columns) == order
            and (not serial or serial[0] == pk.columns[0])
            and pk.definition == f"PRIMARY KEY ({_cols(pk.columns)})"
        )

    def _pk_constraint(self, table: Table, pk: Constraint) -> Call:
        self.imp("sqlalchemy", "PrimaryKeyConstraint")
        args: list[Node] = [py_str(c) for c in pk.columns]
        if pk.name != make_object_name(table.name, None, "pkey"):
            args.append(Kw("name", py_str(pk.name)))
        include = _include(pk.definition)
        if include:
            args.append(Kw("postgresql_include", "[" + ", ".join(py_str(c) for c in include) + "]"))
        args += _deferrable(pk)
        expected = (
            f"PRIMARY KEY ({_cols(pk.columns)})" + _include_sql(include) + _deferrable_sql(pk)
        )
        self._exact(table, pk, expected)
        return Call("PrimaryKeyConstraint", args)

    def _unique_inline(self, table: Table, con: Constraint) -> bool:
        return (
            len(con.columns) == 1
            and con.name == make_object_name(table.name, con.columns[0], "key")
            and con.definition == f"UNIQUE ({_cols(con.columns)})"
        )

    def _unique(self, table: Table, con: Constraint) -> Call:
        self.imp("sqlalchemy", "UniqueConstraint")
        args: list[Node] = [py_str(c) for c in con.columns]
        args.append(Kw("name", py_str(con.name)))
        nnd = con.definition.startswith("UNIQUE NULLS NOT DISTINCT ")
        if nnd:
            args.append(Kw("postgresql_nulls_not_distinct", "True"))
        include = _include(con.definition)
        if include:
            args.append(Kw("postgresql_include", "[" + ", ".join(py_str(c) for c in include) + "]"))
        args += _deferrable(con)
        expected = (
            f"UNIQUE {'NULLS NOT DISTINCT ' if nnd else ''}({_cols(con.columns)})"
            + _include_sql(include)
            + _deferrable_sql(con)
        )
        self._exact(table, con, expected)
        return Call("UniqueConstraint", args)

    def _foreign_key(self, table: Table, con: Constraint, *, single: bool) -> Node | None:
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
        targets = [py_str(f"{prefix}.{c}") for c in con.ref_columns]
        opts: list[Node] = []
        default = make_object_name(table.name, "_".join(con.columns), "fkey")
        if con.name != default or not single:
            opts.append(Kw("name", py_str(con.name)))
        if con.on_update not in (None, "NO ACTION"):
            opts.append(Kw("onupdate", py_str(con.on_update)))
        if con.on_delete not in (None, "NO ACTION"):
            opts.append(Kw("ondelete", py_str(con.on_delete)))
        if con.match == "FULL":
            opts.append(Kw("match", py_str("FULL")))
        opts += _deferrable(con)
        expected = (
            f"FOREIGN KEY ({_cols(con.columns)})"
            f" REFERENCES {con.ref_table}({_cols(con.ref_columns)})"
            + (" MATCH FULL" if con.match == "FULL" else "")
            + (f" ON UPDATE {con.on_update}" if con.on_update not in (None, "NO ACTION") else "")
            + (f" ON DELETE {con.on_delete}" if con.on_delete not in (None, "NO ACTION") else "")
            + _deferrable_sql(con)
        )
        self._exact(table, con, expected)
        if single:
            self.imp("sqlalchemy", "ForeignKey")
            return Call("ForeignKey", [targets[0], *opts])
        self.imp("sqlalchemy", "ForeignKeyConstraint")
        local = "[" + ", ".join(py_str(c) for c in con.columns) + "]"
        return Call("ForeignKeyConstraint", [local, "[" + ", ".join(targets) + "]", *opts])

    def _check(self, table: Table, con: Constraint) -> Call | None:
        where = f"{quote_ident(con.name)} on {table.key}"
        expr, rest = _check_expression(con.definition)
        refs = self._unknown_refs(expr)
        if refs:
            self.note("constraint", where, f"CHECK {expr} uses {', '.join(refs)}; left out")
            return None
        if rest:  # NO INHERIT, NOT VALID: CheckConstraint writes neither
            self.note("constraint", where, f"{con.definition}; left out")
            return None
        self._exact(table, con, f"CHECK {expr}")
        self.imp("sqlalchemy", "CheckConstraint")
        return Call("CheckConstraint", [sql_str(expr[1:-1]), Kw("name", py_str(con.name))])

    def _exclusion(self, table: Table, con: Constraint, by_quoted: dict[str, str]) -> Call | None:
        where = f"{quote_ident(con.name)} on {table.key}"
        m = re.match(r"EXCLUDE USING (\w+) \(", con.definition)
        if m is None or m[1] not in _BUILTIN_INDEX_METHODS:
            self.note("constraint", where, f"{con.definition}; left out")
            return None
        end = paren_end(con.definition, m.end() - 1)
        elements = split_top(con.definition[m.end() : end - 1])
        rest = con.definition[end:]
        args: list[Node] = []
        ops: list[Node] = []
        for element in elements:
            key, _, op = element.rpartition(" WITH ")
            target, opclass = self._index_key(key, by_quoted)
            if target is None or self._unknown_refs(key):
                self.note("constraint", where, f"{con.definition}; left out")
                return None
            if opclass:
                ops.append(Kw(py_str(by_quoted[key.split(" ")[0]]), py_str(opclass), ": "))
            args.append(Call("", [target, py_str(op)], tuple_=True))
        args.append(Kw("name", py_str(con.name)))
        args.append(Kw("using", py_str(m[1])))
        predicate = None
        wm = re.search(r" WHERE \(", rest)
        if wm:
            stop = paren_end(rest, wm.end() - 1)
            predicate = rest[wm.end() : stop - 1]
            if self._unknown_refs(predicate):
                self.note("constraint", where, f"{con.definition}; left out")
                return None
            self.imp("sqlalchemy", "text")
            args.append(Kw("where", text_call(predicate)))
        if ops:
            args.append(Kw("ops", Call("", ops, "{", "}")))
        args += _deferrable(con)
        expected = (
            f"EXCLUDE USING {m[1]} ({', '.join(elements)})"
            + (f" WHERE ({predicate})" if predicate is not None else "")
            + _deferrable_sql(con)
        )
        self._exact(table, con, expected)
        self.imp("sqlalchemy.dialects", "postgresql")
        return Call("postgresql.ExcludeConstraint", args)

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

    def _index_key(self, key: str, by_quoted: dict[str, str]) -> tuple[Node | None, str]:
        """The argument for one index key (a column name or text()) and its operator class."""
        if key in by_quoted:
            return py_str(by_quoted[key]), ""
        first, _, rest = key.partition(" ")
        if first in by_quoted and re.fullmatch(r"[a-z_][a-z0-9_$]*", rest) and rest.upper() != rest:
            return py_str(by_quoted[first]), rest
        self.imp("sqlalchemy", "text")
        return text_call(key), ""

    def _index(self, table: Table, index: Index, by_quoted: dict[str, str]) -> Call | None:
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
        args: list[Node] = [py_str(index.name)]
        ops: list[Node] = []
        for key in index.keys:
            target, opclass = self._index_key(key, by_quoted)
            assert target is not None
            args.append(target)
            if opclass:
                ops.append(Kw(py_str(by_quoted[key.split(" ")[0]]), py_str(opclass), ": "))
        if index.unique:
            args.append(Kw("unique", "True"))
        if index.method != "btree":
            args.append(Kw("postgresql_using", py_str(index.method)))
        if ops:
            args.append(Kw("postgresql_ops", Call("", ops, "{", "}")))
        if index.include:
            names = [py_str(by_quoted.get(c, c)) for c in index.include]
            args.append(Kw("postgresql_include", "[" + ", ".join(names) + "]"))
        if index.nulls_not_distinct:
            args.append(Kw("postgresql_nulls_not_distinct", "True"))
        with_ = re.search(r" WITH \(([^)]*)\)", index.definition)
        if with_:
            items: list[Node] = []
            for opt in split_top(with_[1]):
                k, _, v = opt.partition("=")
                items.append(Kw(py_str(k.strip()), _option_value(v.strip().strip("'")), ": "))
            args.append(Kw("postgresql_with", Call("", items, "{", "}")))
        if index.predicate is not None:
            self.imp("sqlalchemy", "text")
            args.append(Kw("postgresql_where", text_call(index.predicate)))
        if index.tablespace is not None:
            self.note(
                "index", where, f"TABLESPACE {quote_ident(index.tablespace)}; declared without it"
            )
        expected = (
            f"CREATE {'UNIQUE ' if index.unique else ''}INDEX {quote_ident(index.name)} ON "
            f"{'ONLY ' if table.partition_key else ''}{table.key}"
            f" USING {index.method} ({', '.join(index.keys)})"
            + (f" INCLUDE ({', '.join(index.include)})" if index.include else "")
            + (" NULLS NOT DISTINCT" if index.nulls_not_distinct else "")
            + (f" WITH ({with_[1]})" if with_ else "")
            + (f" WHERE {index.predicate}" if index.predicate is not None else "")
        )
        if index.definition != expected:
            self.note("index", where, f"{index.definition}; declared as {expected}")
        self.imp("sqlalchemy", "Index")
        return Call("Index", args)

    # -- references --

    def _unknown_refs(self, expr: str) -> list[str]:
        """What `expr` names that the models do not create (user or extension functions, types)."""
        out: list[str] = []
        for m in _EXPR_TOKENS.finditer(expr):
            if m["lit"] is not None:
                if expr.startswith("::regclass", m.end()):
                    name = m["lit"][1:-1].replace("''", "'")
                    if name not in self.relations:
                        out.append(name)
            elif m["op"] is not None:
                if not m["op"].startswith("pg_catalog.") and not self._extensions_own(m["op"]):
                    out.append(f"OPERATOR({m['op']})")
            elif (q := m["qual"]) is not None:
                if q.startswith("pg_catalog.") or self._extensions_own(q):
                    continue
                if expr[m.end() :].lstrip().startswith("("):
                    out.append(f"{q}()")
                elif expr[: m.start()].endswith("::"):
                    if q not in self.enum_vars and q not in self.domain_types:
                        out.append(q)
                else:
                    out.append(q)
        return sorted(set(out))

    def _extensions_own(self, name: str) -> bool:
        """Whether a qualified name is an extension's the models create (not the schema's own).

        The introspected schema holds no extension member, so a name in an
        extension's schema that the schema does not define is an extension's.
        """
        schema = split_qualified(name)[0]
        return schema in self.ext_schemas and name not in self.own_names

    def _used_types(self) -> set[str]:
        """The enums and domains the declared columns use, through domains over them too."""
        used: set[str] = set()
        todo = [c.type.removesuffix("[]") for t in self.tables for c in t.columns]
        while todo:
            name = todo.pop()
            if name in used:
                continue
            used.add(name)
            if (dom := self.schema.domains.get(name)) is not None:
                todo.append(dom.base_type.removesuffix("[]"))
        return used


# --- small helpers -----------------------------------------------------------------------


def _own_names(schema: Schema) -> set[str]:
    """The qualified names the schema defines: relations, types, routines and operators."""
    names = set(schema.tables) | set(schema.views) | set(schema.sequences)
    names |= set(schema.enums) | set(schema.domains) | set(schema.composites)
    names |= {f.key.split("(", 1)[0] for f in schema.functions.values()}
    identities = [o.identity for o in schema.objects.values()]
    identities += [o.identity for o in schema.unmodelled.values()]
    names |= {i.split("(", 1)[0] for i in identities}
    return names


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
    return py_str(value)


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


def _deferrable(con: Constraint) -> list[Node]:
    out: list[Node] = []
    if con.deferrable:
        out.append(Kw("deferrable", "True"))
    if con.initially_deferred:
        out.append(Kw("initially", py_str("DEFERRED")))
    return out


def _deferrable_sql(con: Constraint) -> str:
    return (" DEFERRABLE" if con.deferrable else "") + (
        " INITIALLY DEFERRED" if con.initially_deferred else ""
    )
