"""Hand-written SQL through pglast: comments, names, type names.

pglast parses with PostgreSQL's own grammar (libpg_query), so what it accepts
is what the server accepts; these helpers turn its trees into the few facts
lock analysis needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeGuard

from pglast import ast
from pglast.stream import RawStream

from studio.model import qualname, quote_ident
from studio.plan.locks.context import proven_not_null
from studio.sqltext.lexer import comment_tokens


def comments(source: str) -> Iterator[tuple[int, str]]:
    """Every `--` comment of `source` as (offset, text without the dashes)."""
    for start, end, name, _ in comment_tokens(source):
        if name == "SQL_COMMENT":
            yield start, source[start + 2 : end].strip()


def deparse(node: Any) -> str:
    """SQL text of a tree (pglast's printer)."""
    return str(RawStream()(node))


def isa(node: object, cls: type) -> TypeGuard[Any]:
    """isinstance() for pglast nodes, the node left untyped (pglast types each field Optional)."""
    return isinstance(node, cls)


# --- names -------------------------------------------------------------------


def relkey(rv: Any, default_schema: str = "public") -> str:
    """Qualified, quoted name of a RangeVar (an unqualified one taken to be in `default_schema`)."""
    return qualname(rv.schemaname or default_schema, rv.relname)


def names_key(names: tuple[Any, ...] | None, default_schema: str = "public") -> str:
    """Qualified name of a list of String nodes (`schema.name` or `name`)."""
    parts = [n.sval for n in names or ()]
    if not parts:
        return ""
    if len(parts) == 1:
        return qualname(default_schema, parts[0])
    return qualname(parts[-2], parts[-1])


def range_vars(node: Any) -> list[ast.RangeVar]:
    """Every RangeVar under `node` (tables a query reads), CTE names left out."""
    found: list[ast.RangeVar] = []
    ctes: set[str] = set()

    def walk(n: Any) -> None:
        if isinstance(n, ast.CommonTableExpr):
            ctes.add(str(n.ctename))
        if isinstance(n, ast.RangeVar):
            found.append(n)
            return
        if isinstance(n, ast.Node):
            for attr in n:
                walk(getattr(n, attr))
        elif isinstance(n, tuple):
            for x in n:
                walk(x)

    walk(node)
    return [rv for rv in found if rv.schemaname or rv.relname not in ctes]


# --- types ---------------------------------------------------------------------

# pg_catalog internal names -> format_type() spelling
_TYPE_NAMES = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "varchar": "character varying",
    "bpchar": "character",
    "varbit": "bit varying",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
}
SERIAL_TYPES = {"serial": "integer", "serial4": "integer", "bigserial": "bigint",
                "serial8": "bigint", "smallserial": "smallint", "serial2": "smallint"}  # fmt: skip


def type_parts(tn: Any) -> tuple[str, str | None]:
    """(name as written last, schema or None) of a TypeName: `int4`, `pg_catalog`."""
    names = [n.sval for n in tn.names]
    return names[-1], (names[-2] if len(names) > 1 else None)


def is_serial(tn: Any) -> bool:
    """Whether the type is a serial pseudo-type (a sequence and a volatile default)."""
    name, schema = type_parts(tn)
    return schema is None and name.lower() in SERIAL_TYPES


def format_type(tn: Any) -> str:
    """The format_type() spelling of a TypeName (`character varying(20)[]`)."""
    name, schema = type_parts(tn)
    mods = []
    for m in tn.typmods or ():
        if isinstance(m, ast.A_Const) and isinstance(m.val, ast.Integer):
            mods.append(str(m.val.ival))
    if schema in (None, "pg_catalog") and name in SERIAL_TYPES:
        base = SERIAL_TYPES[name]
    elif schema == "pg_catalog" or (schema is None and name in _TYPE_NAMES):
        base = _TYPE_NAMES.get(name, name)
    elif schema is None:
        base = name
    else:
        base = qualname(schema, name)
    if name == "bpchar" and schema == "pg_catalog" and not mods:
        mods = ["1"]
    if mods:
        if base.endswith(" time zone"):
            head, _, tail = base.partition(" with")
            base = f"{head}({','.join(mods)}) with{tail}"
        else:
            base = f"{base}({','.join(mods)})"
    return base + "[]" * len(tn.arrayBounds or ())


def string_literals(node: Any) -> Iterator[str]:
    """Every string constant under `node`."""
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String):
        yield str(node.val.sval)
    elif isinstance(node, ast.Node):
        for attr in node:
            yield from string_literals(getattr(node, attr))
    elif isinstance(node, tuple):
        for x in node:
            yield from string_literals(x)


def made_not_null(
    node: object, checks: dict[str, list[tuple[str, str]]], default_schema: str = "public"
) -> list[tuple[str, str]]:
    """(table, column) pairs an ALTER TABLE statement requires to hold no NULL now.

    `SET NOT NULL`; `ADD CHECK (column IS NOT NULL)`; and the `VALIDATE` of such
    a check added `NOT VALID` (the safe form), which is where existing NULLs
    fail. `checks` maps the names of the NOT VALID ones seen so far to their
    pairs: pass the same dict through a migration's statements in order.
    """

    stmt: Any = node
    if type(node).__name__ != "AlterTableStmt" or stmt.relation is None:
        return []
    table = relkey(stmt.relation, default_schema)
    out: list[tuple[str, str]] = []
    for cmd in stmt.cmds or ():
        subtype = cmd.subtype.name
        if subtype == "AT_SetNotNull" and cmd.name:
            out.append((table, cmd.name))
        elif subtype == "AT_ValidateConstraint" and cmd.name:
            out += checks.get(cmd.name, [])
        elif subtype == "AT_AddConstraint" and type(cmd.def_).__name__ == "Constraint":
            con: Any = cmd.def_
            if con.contype.name != "CONSTR_CHECK":
                continue
            pairs = [(table, c) for c in sorted(proven_not_null(con.raw_expr))]
            if con.skip_validation:
                if con.conname:
                    checks[con.conname] = pairs
            else:
                out += pairs
    return out


def type_changes(node: object, default_schema: str = "public") -> list[tuple[str, str, str, str]]:
    """(table, column, new type, conversion) of each ALTER COLUMN ... TYPE of a statement.

    The type is spelled as format_type() prints it; the conversion is the USING
    expression, or the column itself when there is none (an implicit or
    assignment cast), as SQL.
    """

    stmt: Any = node
    if type(node).__name__ != "AlterTableStmt" or stmt.relation is None:
        return []
    table = relkey(stmt.relation, default_schema)
    out = []
    for cmd in stmt.cmds or ():
        if cmd.subtype.name != "AT_AlterColumnType" or not cmd.name:
            continue
        column: Any = cmd.def_
        using = column.raw_default
        conversion = deparse(using) if using is not None else quote_ident(cmd.name)
        out.append((table, cmd.name, format_type(column.typeName), conversion))
    return out
