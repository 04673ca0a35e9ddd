"""The base of every change, the dependency keys ordering works on, and SQL helpers.

A `Change` is a frozen value. Besides its SQL it tells the orderer (studio.diff.order)
which objects it creates (`provides`), which must exist before it runs
(`requires`), which it removes (`removes`), which the object it removes or
alters used (`uses`: it must run before those go away) and which must be gone
before it runs (`after_removal`, from `Deps.gone`). Objects are named by
keys: `rel:<schema.name>` for anything in pg_class (tables, views, sequences,
indexes share one namespace), `col:<table>.<column>`, `con:<table>.<name>`
(a domain's constraint: `con:<domain>.<name>`), `def:<table>.<column>` (a
column's default), `trg:<table>.<name>`, `pol:<table>.<name>`,
`rule:<table>.<name>`, `type:<schema.name>`, `fn:<schema.name(args)>`,
`nsp:<name>`, `ext:<name>`, `obj:<kind>:<identity>` for the catalog objects
kept as statements (`obj:operator class:public.my_ops USING btree`), and
`obj:<type> <identity>` for any other kind (pg_identify_object's type and
identity: `obj:conversion public.latin_utf8`). The same keys name the two
ends of `Schema.dependencies`.
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

from studio.model import quote_literal

# the keys are part of this module's vocabulary: re-exported
from studio.model.keys import (
    attached_key as attached_key,
)
from studio.model.keys import (
    col_key as col_key,
)
from studio.model.keys import (
    con_key as con_key,
)
from studio.model.keys import (
    def_key as def_key,
)
from studio.model.keys import (
    detached_key as detached_key,
)
from studio.model.keys import (
    ext_key as ext_key,
)
from studio.model.keys import (
    fn_key as fn_key,
)
from studio.model.keys import (
    nsp_key as nsp_key,
)
from studio.model.keys import (
    obj_key as obj_key,
)
from studio.model.keys import (
    pol_key as pol_key,
)
from studio.model.keys import (
    rel_key as rel_key,
)
from studio.model.keys import (
    rule_key as rule_key,
)
from studio.model.keys import (
    schema_of as schema_of,
)
from studio.model.keys import (
    split_qualified as split_qualified,
)
from studio.model.keys import (
    trg_key as trg_key,
)
from studio.model.keys import (
    type_key as type_key,
)
from studio.model.keys import (
    valid_key as valid_key,
)

# --- the base class --------------------------------------------------------

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
NO_KEYS: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Deps:
    """References found in expressions, added by the differ: not part of a change's identity."""

    requires: frozenset[str] = NO_KEYS
    uses: frozenset[str] = NO_KEYS
    # keys whose removal, where a change removes them, must come first (a table
    # goes unlogged once the foreign keys of permanent tables on it are gone)
    gone: frozenset[str] = NO_KEYS

    def __or__(self, other: Deps) -> Deps:
        return Deps(self.requires | other.requires, self.uses | other.uses, self.gone | other.gone)


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
        """True when applying it loses data.

        Drop table or column, narrowing type, enum value removal.
        """
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

    @property
    def after_removal(self) -> frozenset[str]:
        """Keys that must be gone first: it runs after any change removing them."""
        return self._deps().gone

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


def temp_name(name: str) -> str:
    """`name` with `__old` after it, cut to PostgreSQL's 63 bytes: where a recreated
    type or collation's old self goes while its users move to the new one."""
    suffix = "__old"
    raw = name.encode()
    while len(raw) + len(suffix) > 63:
        raw = raw[:-1]
    return raw.decode(errors="ignore") + suffix


def alter_table(table: str, action: str, *, only: bool = False) -> str:
    """`ALTER TABLE [ONLY] table action`."""
    return f"ALTER TABLE {'ONLY ' if only else ''}{table} {action}"
