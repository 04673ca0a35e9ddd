"""What an expression or a type refers to, read from PostgreSQL's own text forms.

Introspection prints with an empty search_path, so every object outside
pg_catalog appears schema-qualified (`public.f(x)`, `'a'::public.mood`,
`nextval('public.s'::regclass)`): a qualified name found in a default, a check
or a view body that names an object of the schema is a dependency. A false
match only adds an ordering edge; it never changes the SQL.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING

from studio.model import make_object_name, qualname, quote_ident
from studio.model.changes.base import fn_key, rel_key, split_qualified, type_key

if TYPE_CHECKING:
    from collections.abc import Iterable

    from studio.model import Schema, Table

_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_QUALIFIED = re.compile(rf"{_IDENT}\.{_IDENT}")
_LITERAL = re.compile(r"'(?:[^']|'')*'")
_REGCLASS = re.compile(r"'((?:[^']|'')*)'::regclass")


def _canonical(text: str) -> str | None:
    parts = split_qualified(text)
    if len(parts) != 2:
        return None
    raw = _raw_parts(text)
    unquoted = [p if t.startswith('"') else p.lower() for p, t in zip(parts, raw, strict=True)]
    return qualname(*unquoted)


def _raw_parts(text: str) -> list[str]:
    # the parts as written, to tell quoted (case kept) from unquoted (folded) ones
    m = re.fullmatch(rf"({_IDENT})\.({_IDENT})", text)
    return [m[1], m[2]] if m else ["", ""]


class RefIndex:
    """The named objects of one schema, to resolve the qualified names an expression holds."""

    def __init__(self, schema: Schema) -> None:
        self.types = set(schema.enums) | set(schema.domains) | set(schema.composites)
        self.types |= {o.identity for o in schema.objects.values() if o.kind == "range type"}
        self.relations = set(schema.tables) | set(schema.views) | set(schema.sequences)
        self.functions: defaultdict[str, list[str]] = defaultdict(list)
        for f in schema.functions.values():
            self.functions[qualname(f.schema, f.name)].append(f.key)

    def type_deps(self, type_text: str | None) -> set[str]:
        """Keys of the user type a column type names, arrays included.

        The type is an enum, a domain, a composite or a range.
        """
        if not type_text:
            return set()
        base = type_text.strip()
        while base.endswith("[]"):
            base = base[:-2]
        return {type_key(base)} if base in self.types else set()

    def expr_deps(self, *texts: str | None) -> set[str]:
        """Keys of the types, relations and functions some expressions name."""
        out: set[str] = set()
        for text in texts:
            if not text:
                continue
            for m in _REGCLASS.finditer(text):
                name = _canonical(m[1].replace("''", "'"))
                if name in self.relations:
                    out.add(rel_key(name))
            for m in _QUALIFIED.finditer(_LITERAL.sub("''", text)):
                name = _canonical(m[0])
                if name is None:
                    continue
                if name in self.types:
                    out.add(type_key(name))
                if name in self.relations:
                    out.add(rel_key(name))
                out.update(fn_key(k) for k in self.functions.get(name, ()))
        return out


def _outside_literals(text: str, fn: re.Pattern[str], repl: str) -> str:
    """Apply a substitution to the parts of `text` that are not single-quoted literals."""
    out, last = [], 0
    for m in _LITERAL.finditer(text):
        out.append(fn.sub(repl, text[last : m.start()]))
        out.append(m[0])
        last = m.end()
    out.append(fn.sub(repl, text[last:]))
    return "".join(out)


def replace_ident(text: str | None, old: str, new: str) -> str | None:
    """Replace an identifier (as PostgreSQL prints it) by another, outside string literals."""
    if not text:
        return text
    q_old, q_new = quote_ident(old), quote_ident(new)
    pattern = re.compile(rf'(?<![A-Za-z0-9_$"]){re.escape(q_old)}(?![A-Za-z0-9_$"])')
    return _outside_literals(text, pattern, q_new.replace("\\", "\\\\"))


_SELECT_LIST = re.compile(r"^(\s*SELECT\s+)(.*?)(\n\s+FROM\s.*)$", re.DOTALL)


def rename_in_view(definition: str, old: str, new: str) -> str:
    """A view body as PostgreSQL prints it after a column it reads is renamed.

    pg_get_viewdef() prints one select-list item per line; an item that was the
    bare column keeps its output name: `code` becomes `sku AS code`.
    """
    m = _SELECT_LIST.match(definition)
    if m is None:
        return replace_ident(definition, old, new) or ""
    head, items, tail = m.groups()
    bare = re.compile(rf"((?:{_IDENT}\.)?){re.escape(quote_ident(old))}")
    out = []
    for item in items.split(",\n"):
        found = bare.fullmatch(item.strip())
        if found:
            lead = item[: len(item) - len(item.lstrip())]
            out.append(f"{lead}{found[1]}{quote_ident(new)} AS {quote_ident(old)}")
        else:
            out.append(replace_ident(item, old, new) or "")
    return head + ",\n".join(out) + (replace_ident(tail, old, new) or "")


def replace_qualified(text: str | None, old: str, new: str) -> str | None:
    """Replace a qualified name (`public.orders`) by another, outside string literals."""
    if not text:
        return text
    pattern = re.compile(rf'(?<![A-Za-z0-9_$".]){re.escape(old)}(?![A-Za-z0-9_$"])')
    return _outside_literals(text, pattern, new.replace("\\", "\\\\"))


def mentions(text: str | None, names: Iterable[str]) -> bool:
    """True when one of the identifiers appears in the text (outside string literals)."""
    if not text:
        return False
    bare = _LITERAL.sub("''", text)
    for name in names:
        q = re.escape(quote_ident(name))
        if re.search(rf'(?<![A-Za-z0-9_$"]){q}(?![A-Za-z0-9_$"])', bare):
            return True
    return False


def default_not_null_name(table: str, column: str) -> str:
    """The name PostgreSQL 18 gives the NOT NULL constraint of `table.column`."""
    return make_object_name(table, column, "not_null")


def pin_not_null_names(table: Table, columns: Iterable[str] | None = None) -> Table:
    """Write down the default NOT NULL constraint names of a table's columns (PostgreSQL 18).

    The model leaves a default name out; a rename or a detach keeps the old
    name, which is no longer the default one afterwards.
    """
    if table.partition_of or table.inherits:
        return table  # inherited constraints are named by the parent
    wanted = None if columns is None else set(columns)
    return replace(
        table,
        columns=tuple(
            replace(c, not_null_name=default_not_null_name(table.name, c.name))
            if c.not_null and c.not_null_name is None and (wanted is None or c.name in wanted)
            else c
            for c in table.columns
        ),
    )
