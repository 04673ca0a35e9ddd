"""Identity column changes: add, drop, alter (ALWAYS / BY DEFAULT, sequence options)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from studio.model import Identity, make_object_name, qualname, quote_ident
from studio.model.changes.base import Change, alter_table, col_key, rel_key, split_qualified
from studio.model.changes.sequences import default_sequence_options, sequence_option_clauses


def identity_sql(identity: Identity, column_type: str) -> str:
    """`GENERATED ... AS IDENTITY [(options)]`, naming only the options that are not the default."""
    how = "ALWAYS" if identity.always else "BY DEFAULT"
    # min/max/start defaults follow the sign of the increment; the increment's own default is 1
    base = replace(default_sequence_options(column_type, identity.options.increment), increment=1)
    opts = sequence_option_clauses(
        replace(identity.options, data_type=column_type), base, with_type=False
    )
    return f"GENERATED {how} AS IDENTITY" + (f" ({' '.join(opts)})" if opts else "")


def _col(column: str) -> str:
    return f"ALTER COLUMN {quote_ident(column)}"


@dataclass(frozen=True, slots=True)
class AddIdentity(Change):
    """ALTER COLUMN ... ADD GENERATED ... AS IDENTITY."""

    table: str
    column: str
    column_type: str
    identity: Identity

    def sql(self) -> tuple[str, ...]:
        ident = identity_sql(self.identity, self.column_type)
        return (alter_table(self.table, f"{_col(self.column)} ADD {ident}"),)

    def describe(self) -> str:
        return f"add identity to {self.table}.{quote_ident(self.column)}"

    def inverse(self) -> Change:
        return DropIdentity(self.table, self.column, self.column_type, self.identity)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({col_key(self.table, self.column)})


@dataclass(frozen=True, slots=True)
class DropIdentity(Change):
    """ALTER COLUMN ... DROP IDENTITY (its sequence goes with it)."""

    table: str
    column: str
    column_type: str
    identity: Identity

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.table, f"{_col(self.column)} DROP IDENTITY"),)

    def describe(self) -> str:
        return f"drop identity of {self.table}.{quote_ident(self.column)}"

    def inverse(self) -> Change:
        return AddIdentity(self.table, self.column, self.column_type, self.identity)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def removes(self) -> frozenset[str]:
        # its sequence, by the name PostgreSQL most likely gave it: a serial column's
        # sequence of that name (identity -> serial) is created only after it is gone
        schema, table = split_qualified(self.table)[-2:]
        return frozenset({rel_key(qualname(schema, make_object_name(table, self.column, "seq")))})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({col_key(self.table, self.column)})


@dataclass(frozen=True, slots=True)
class AlterIdentity(Change):
    """ALTER COLUMN ... SET GENERATED / SET <sequence option> of an identity column."""

    table: str
    column: str
    column_type: str
    old: Identity
    new: Identity

    @property
    def actions(self) -> list[str]:
        """The SET clauses.

        Empty when only the sequence's type differs (it follows the column's).
        """
        actions: list[str] = []
        if self.old.always != self.new.always:
            actions.append(f"SET GENERATED {'ALWAYS' if self.new.always else 'BY DEFAULT'}")
        old = replace(self.old.options, data_type=self.column_type)
        new = replace(self.new.options, data_type=self.column_type)
        return actions + ["SET " + c for c in sequence_option_clauses(new, old, with_type=False)]

    def sql(self) -> tuple[str, ...]:
        if not self.actions:
            return ()
        return (alter_table(self.table, f"{_col(self.column)} {' '.join(self.actions)}"),)

    def describe(self) -> str:
        return f"alter identity of {self.table}.{quote_ident(self.column)}"

    def inverse(self) -> Change:
        return AlterIdentity(self.table, self.column, self.column_type, self.new, self.old)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({col_key(self.table, self.column)})
