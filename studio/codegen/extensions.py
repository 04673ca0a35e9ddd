"""Extensions in the models `pull` writes: which ones the models create, and their types.

The declared schema runs the models first and the pulled SQL file after them,
so an extension whose type, operator class or function a model uses must
exist before the models' tables: the models create it themselves, with a
`before_create` DDL listener on the metadata (`CREATE EXTENSION IF NOT
EXISTS`). Which extensions those are is read from pg_depend's edges
(`Schema.dependencies`: an object an extension owns is named as the
extension). Their types are SQLAlchemy's dialect class when it has one
(`CITEXT`), else a small `UserDefinedType` the module defines, named after
the type, that prints the type as PostgreSQL does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.codegen.layout import py_str
from studio.model import Extension, Schema, qualname, quote_ident
from studio.model.changes.base import split_qualified
from studio.model.keys import col_key, con_key, def_key, rel_key, type_key
from studio.sqltext.scan import split_top

if TYPE_CHECKING:
    from collections.abc import Iterable

    from studio.model import Table

# an extension's type with a class in sqlalchemy.dialects.postgresql: (class, Python type)
DIALECT_TYPES: dict[str, tuple[str, str]] = {
    "citext": ("postgresql.CITEXT", "str"),
    "hstore": ("postgresql.HSTORE", "dict[str, str | None]"),
}

# `schema.name` or `schema.name(modifiers)`, as format_type() prints a type of another schema
_PART = r'(?:"(?:[^"]|"")+"|[^".(]+)'
_TYPE = re.compile(rf"^(?P<name>{_PART}\.{_PART})(?:\((?P<mods>.*)\))?$")


@dataclass(frozen=True, slots=True)
class TypeClass:
    """A UserDefinedType subclass the module defines for an extension's type."""

    name: str  # the Python class name
    type_name: str  # the type as PostgreSQL prints it, without modifiers: public.ltree
    extension: str
    modifiers: bool  # some column gives it modifiers (vector(3)): the class takes them

    def source(self) -> str:
        """The class statement."""
        spec = py_str(self.type_name)
        what = f"{self.type_name}, of the {self.extension} extension, as PostgreSQL prints it."
        doc = '    """' + what.replace("\\", "\\\\").replace('"', '\\"') + '"""'
        head = [f"class {self.name}(UserDefinedType[Any]):", doc, "", "    cache_ok = True", ""]
        if not self.modifiers:
            return "\n".join(
                [*head, "    def get_col_spec(self, **kw: Any) -> str:", f"        return {spec}"]
            )
        return "\n".join(
            [
                *head,
                "    def __init__(self, *modifiers: int | str) -> None:",
                "        self.modifiers = modifiers",
                "",
                "    def get_col_spec(self, **kw: Any) -> str:",
                "        if not self.modifiers:",
                f"            return {spec}",
                f'        return {spec} + "(" + ",".join(str(m) for m in self.modifiers) + ")"',
            ]
        )


def created_by_models(schema: Schema, tables: Iterable[Table]) -> tuple[Extension, ...]:
    """The extensions the objects of `tables` and the domains depend on, by name order.

    Without dependency edges (a schema not read from a catalog), every extension.
    """
    ordered = sorted(schema.extensions.values(), key=lambda e: e.name)
    if not schema.dependencies:
        return tuple(ordered)
    keys: list[str] = [type_key(d) for d in schema.domains]
    for t in tables:
        keys.append(rel_key(t.key))
        keys += [k(t.key, c.name) for c in t.columns for k in (col_key, def_key)]
        keys += [con_key(t.key, c.name) for c in t.constraints]
        keys += [rel_key(qualname(t.schema, i.name)) for i in t.indexes]
    needed = {d for k in keys for d in schema.dependencies.get(k, ()) if d.startswith("ext:")}
    return tuple(e for e in ordered if f"ext:{e.key}" in needed)


def extension_types(schema: Schema, tables: Iterable[Table]) -> dict[str, str]:
    """The extensions' types the columns of `tables` and the domains use: name -> extension.

    The name is the type's as PostgreSQL prints it, without modifiers or `[]`
    (`public.vector`); the owner is the one extension the column (or domain)
    depends on.
    """
    names = {e.key: e.name for e in schema.extensions.values()}
    owner: dict[str, str] = {}

    def see(type_text: str, key: str) -> None:
        found = split_type(type_text.removesuffix("[]"))
        exts = [d[4:] for d in schema.dependencies.get(key, ()) if d.startswith("ext:")]
        if found is not None and len(exts) == 1 and exts[0] in names:
            owner.setdefault(found[0], names[exts[0]])

    for d in schema.domains.values():
        see(d.base_type, type_key(d.key))
    for t in tables:
        for c in t.columns:
            see(c.type, col_key(t.key, c.name))
    return owner


def create_statements(extensions: Iterable[Extension]) -> list[str]:
    """CREATE SCHEMA (when not public) and CREATE EXTENSION statements for `extensions`."""
    out: list[str] = []
    for e in extensions:
        schema = quote_ident(e.schema)
        if e.schema != "public" and f"CREATE SCHEMA IF NOT EXISTS {schema}" not in out:
            out.append(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        out.append(f"CREATE EXTENSION IF NOT EXISTS {quote_ident(e.name)} WITH SCHEMA {schema}")
    return out


def split_type(text: str) -> tuple[str, str | None] | None:
    """`public.vector(3)` -> ('public.vector', '3'); None for a type not schema-qualified."""
    m = _TYPE.match(text)
    if m is None:
        return None
    return m["name"], m["mods"]


def modifier_args(mods: str) -> list[str]:
    """Type modifiers as Python arguments: numbers as they are, words as strings."""
    out = []
    for part in split_top(mods):
        part = part.strip()
        out.append(part if re.fullmatch(r"-?\d+", part) else py_str(part))
    return out


def class_base_name(type_name: str) -> str:
    """`public.ltree` -> `Ltree`: the class name a type's UserDefinedType starts from."""
    bare = split_qualified(type_name)[-1]
    parts = [p for p in re.split(r"[\W_]+", bare) if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts)
    return name if name.isidentifier() else "ExtensionType"
