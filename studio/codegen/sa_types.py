"""PostgreSQL types as SQLAlchemy types: the expression a column declares and its Python type.

Keyed by format_type()'s text, as the catalog prints a column's type. A type
with no SQLAlchemy class is written through `PgType`, a small
UserDefinedType the module defines (`PG_TYPE_CLASS`), as PostgreSQL prints
it; enums and domains are the renderer's, which declares them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from studio.codegen.layout import py_str

INT_MAX = {"smallint": 32767, "integer": 2147483647, "bigint": 9223372036854775807}
INT_TYPES = {"smallint": "SmallInteger", "integer": "Integer", "bigint": "BigInteger"}

# format_type() text -> (SQLAlchemy type expression, Python annotation)
_SIMPLE: dict[str, tuple[str, str]] = {
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
_PATTERNS: tuple[tuple[re.Pattern[str], str, str], ...] = (
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
COLLATABLE = re.compile(r"^(Text|String|CHAR)(\((.*)\))?$")

PG_TYPE_CLASS = '''\
class PgType(UserDefinedType[Any]):
    """A PostgreSQL type SQLAlchemy has no class for, as PostgreSQL prints it."""

    cache_ok = True

    def __init__(self, spec: str) -> None:
        self.spec = spec

    def get_col_spec(self, **kw: Any) -> str:
        return self.spec'''


@dataclass(frozen=True, slots=True)
class SaType:
    """A column type as the models write it: the expression, its Python type, what it imports."""

    expr: str
    py: str
    # (module, name) imports the expression needs; "" module: `import name`
    needs: tuple[tuple[str, str], ...] = ()
    pg_type: bool = False  # written through the PgType helper
    # the UserDefinedType subclass of an extension's type it is written through, if any
    defines: str = ""


def builtin_type(text: str) -> SaType | None:
    """The SQLAlchemy type of a built-in type's format_type() text (no array), or None."""
    if text in _SIMPLE:
        expr, py = _SIMPLE[text]
        return SaType(expr, py, (_type_import(expr),))
    for pattern, template, py in _PATTERNS:
        if m := pattern.fullmatch(text):
            expr = template.format(*m.groups())
            return SaType(expr, py, (_type_import(expr),))
    return None


def array_of(item: SaType) -> SaType:
    """`ARRAY(item)`."""
    return SaType(
        f"ARRAY({item.expr})",
        f"list[{item.py}]",
        (*item.needs, ("sqlalchemy", "ARRAY")),
        item.pg_type,
        item.defines,
    )


def as_pg_type(text: str) -> SaType:
    """`PgType("<text>")`: the type as PostgreSQL prints it."""
    return SaType(f"PgType({py_str(text)})", "Any", pg_type=True)


def _type_import(expr: str) -> tuple[str, str]:
    if expr.startswith("postgresql."):
        return ("sqlalchemy.dialects", "postgresql")
    return ("sqlalchemy", expr.split("(", 1)[0])
