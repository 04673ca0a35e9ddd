"""The base of every change, the dependency keys ordering works on, and SQL helpers.

A `Change` is a frozen value. Besides its SQL it tells the orderer (studio.order)
which objects it creates (`provides`), which must exist before it runs
(`requires`), which it removes (`removes`) and which the object it removes or
alters used (`uses`: it must run before those go away). Objects are named by
keys: `rel:<schema.name>` for anything in pg_class (tables, views, sequences,
indexes share one namespace), `col:<table>.<column>`, `con:<table>.<name>`
(a domain's constraint: `con:<domain>.<name>`), `def:<table>.<column>` (a
column's default), `trg:<table>.<name>`, `pol:<table>.<name>`,
`rule:<table>.<name>`, `type:<schema.name>`, `fn:<schema.name(args)>`,
`nsp:<name>`, `ext:<name>`, and `obj:<type> <identity>` for any other kind
(pg_identify_object's type and identity: `obj:operator class public.my_ops
USING btree`). The same keys name the two ends of `Schema.dependencies`.
And states rather than objects: `attached:<table>` / `detached:<table>` (a
table became / stopped being a partition), `valid:<index>` (a partitioned
index has its partitions' indexes attached).
The diff adds the references it finds in expressions (a default calling a
function, a column of an enum type) and the catalog's dependency edges
through `Deps`, which is not part of a change's identity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from studio.model import quote_ident, quote_literal

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


# --- the base class --------------------------------------------------------

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
NO_KEYS: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Deps:
    """References found in expressions, added by the differ: not part of a change's identity."""

    requires: frozenset[str] = NO_KEYS
    uses: frozenset[str] = NO_KEYS

    def __or__(self, other: Deps) -> Deps:
        return Deps(self.requires | other.requires, self.uses | other.uses)


NO_DEPS = Deps()


class Change:
    """One step of a schema change: its SQL, flags for safety and what ordering needs."""

    __slots__ = ()

    # class-level defaults; a few kinds override the properties per instance
    _destructive: ClassVar[bool] = False
    _commit_before_use: ClassVar[bool] = False
    _renames: ClassVar[bool] = False

    def sql(self) -> tuple[str, ...]:
        """The statements, without trailing semicolons."""
        raise NotImplementedError

    def describe(self) -> str:
        """One line for humans."""
        raise NotImplementedError

    @property
    def kind(self) -> str:
        """snake_case name of the change kind (`add_column`)."""
        return _CAMEL.sub("_", type(self).__name__).lower()

    @property
    def destructive(self) -> bool:
        """True when applying it loses data (drop table/column, narrowing type, enum value removal)."""
        return self._destructive

    @property
    def transactional(self) -> bool:
        """False when a statement cannot run inside a transaction block (CONCURRENTLY)."""
        return True

    @property
    def commit_before_use(self) -> bool:
        """True when what it creates is usable only once committed (a new enum value)."""
        return self._commit_before_use

    def inverse(self) -> Change | None:
        """The change that undoes this one, or None when there is none."""
        return None

    @property
    def targets(self) -> tuple[str, ...]:
        """Qualified names of the relations it locks (what lock analysis keys on)."""
        return ()

    @property
    def provides(self) -> frozenset[str]:
        """Keys of the objects it creates."""
        return NO_KEYS

    @property
    def creates(self) -> frozenset[str]:
        """Keys of the objects it builds (a rename provides a key but builds nothing)."""
        return frozenset() if self._renames else self.provides

    @property
    def requires(self) -> frozenset[str]:
        """Keys that must exist before it runs."""
        return self._structural_requires() | self._deps().requires

    @property
    def removes(self) -> frozenset[str]:
        """Keys of the objects it drops."""
        return NO_KEYS

    @property
    def uses(self) -> frozenset[str]:
        """Keys the old state used: it runs before any change removing them."""
        return self._structural_uses() | self._deps().uses

    def _structural_requires(self) -> frozenset[str]:
        return NO_KEYS

    def _structural_uses(self) -> frozenset[str]:
        return NO_KEYS

    def _deps(self) -> Deps:
        deps = getattr(self, "deps", NO_DEPS)
        assert isinstance(deps, Deps)
        return deps

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (kind, description, SQL and flags)."""
        return {
            "kind": self.kind,
            "describe": self.describe(),
            "sql": list(self.sql()),
            "targets": list(self.targets),
            "destructive": self.destructive,
            "transactional": self.transactional,
            "commit_before_use": self.commit_before_use,
        }


# --- SQL helpers -----------------------------------------------------------


def strip_statement(text: str) -> str:
    """A catalog definition as one statement: trailing whitespace and semicolon removed."""
    text = text.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    return text


def comment_value(comment: str | None) -> str:
    """The literal of COMMENT ON ... IS (NULL removes the comment)."""
    return "NULL" if comment is None else quote_literal(comment)


def alter_table(table: str, action: str, *, only: bool = False) -> str:
    """`ALTER TABLE [ONLY] table action`."""
    return f"ALTER TABLE {'ONLY ' if only else ''}{table} {action}"
