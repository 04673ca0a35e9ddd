"""Dependency keys: the names ordering works on, for changes and catalog edges alike.

Objects are named by keys: `rel:<schema.name>` for anything in pg_class
(tables, views, sequences, indexes share one namespace), `col:<table>.<column>`,
`con:<table>.<name>`, `def:<table>.<column>`, `trg:`, `pol:`, `rule:`,
`type:<schema.name>`, `fn:<schema.name(args)>`, `nsp:<name>`, `ext:<name>`,
`obj:<kind>:<identity>` for the catalog objects the model holds as statements,
and `obj:<type> <identity>` for any other kind. A module of its own, so that
the introspector names its edges without loading the change vocabulary.
"""

from __future__ import annotations

from studio.model import quote_ident

# --- dependency keys -------------------------------------------------------


def rel_key(qualified: str) -> str:
    """Key of a relation (table, view, sequence, index) by qualified name."""
    return f"rel:{qualified}"


def col_key(table: str, column: str) -> str:
    """Key of a column of a (qualified) table."""
    return f"col:{table}.{quote_ident(column)}"


def con_key(table: str, name: str) -> str:
    """Key of a constraint of a (qualified) table."""
    return f"con:{table}.{quote_ident(name)}"


def type_key(qualified: str) -> str:
    """Key of a type (enum, domain) by qualified name."""
    return f"type:{qualified}"


def fn_key(key: str) -> str:
    """Key of a function by its model key (qualified name with identity arguments)."""
    return f"fn:{key}"


def nsp_key(name: str) -> str:
    """Key of a schema."""
    return f"nsp:{quote_ident(name)}"


def ext_key(name: str) -> str:
    """Key of an extension."""
    return f"ext:{quote_ident(name)}"


def def_key(table: str, column: str) -> str:
    """Key of the default of a column of a (qualified) table."""
    return f"def:{table}.{quote_ident(column)}"


def trg_key(table: str, name: str) -> str:
    """Key of a trigger of a (qualified) table or view."""
    return f"trg:{table}.{quote_ident(name)}"


def pol_key(table: str, name: str) -> str:
    """Key of a row-level security policy of a (qualified) table."""
    return f"pol:{table}.{quote_ident(name)}"


def rule_key(table: str, name: str) -> str:
    """Key of a rule of a (qualified) table (a view's own rule is the view)."""
    return f"rule:{table}.{quote_ident(name)}"


def obj_key(kind: str, identity: str) -> str:
    """Key of an object of another kind, by pg_identify_object's type and identity."""
    return f"obj:{kind} {identity}"


def attached_key(table: str) -> str:
    """Key of a table's being a partition of its parent (ATTACH PARTITION provides it)."""
    return f"attached:{table}"


def detached_key(table: str) -> str:
    """Key of a table's no longer being a partition (DETACH PARTITION provides it)."""
    return f"detached:{table}"


def valid_key(index: str) -> str:
    """Key of a partitioned index made whole: every partition's index attached to it."""
    return f"valid:{index}"


def schema_of(qualified: str) -> str:
    """The (unquoted) schema part of a qualified name."""
    return split_qualified(qualified)[0]


def split_qualified(text: str) -> list[str]:
    """Split `a."b.c".d` into its unquoted parts (`a`, `b.c`, `d`)."""
    parts: list[str] = []
    i, n = 0, len(text)
    while i <= n:
        if i < n and text[i] == '"':
            j, buf = i + 1, []
            while j < n:
                if text[j] == '"':
                    if j + 1 < n and text[j + 1] == '"':
                        buf.append('"')
                        j += 2
                        continue
                    break
                buf.append(text[j])
                j += 1
            parts.append("".join(buf))
            i = j + 1
        else:
            j = text.find(".", i)
            j = n if j < 0 else j
            parts.append(text[i:j])
            i = j
        if i < n and text[i] == ".":
            i += 1
            continue
        break
    return parts


def catalog_key(kind: str, identity: str) -> str:
    """The key of a catalog object the model holds as statements (a range type is a type)."""
    return type_key(identity) if kind == "range type" else f"obj:{kind}:{identity}"
