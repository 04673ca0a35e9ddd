"""Identity column changes: add, drop, alter (ALWAYS / BY DEFAULT, sequence options)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from studio.model import Identity, SequenceOptions, make_object_name, qualname, quote_ident
from studio.model.changes.base import Change, alter_table, col_key, rel_key, split_qualified
from studio.model.changes.sequences import (
    bound_guards,
    default_sequence_options,
    flips,
    joined_bounds,
    narrows,
    sequence_option_clauses,
)


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


def identity_sequence(table: str, column: str) -> str:
    """The name PostgreSQL most likely gave the sequence of identity column `table.column`."""
    schema, name = split_qualified(table)[-2:]
    return qualname(schema, make_object_name(name, column, "seq"))


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

    @property
    def provides(self) -> frozenset[str]:
        # its sequence: what the new side says depends on it is created after
        return frozenset(
            {rel_key(self.identity.sequence or identity_sequence(self.table, self.column))}
        )

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
        # its sequence (by the name PostgreSQL most likely gave it when not known): a
        # serial column's sequence of that name (identity -> serial) is created only after
        # it is gone, and what depends on it is dropped before
        seq = self.identity.sequence or identity_sequence(self.table, self.column)
        return frozenset({rel_key(seq)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({col_key(self.table, self.column)})


@dataclass(frozen=True, slots=True)
class AlterIdentity(Change):
    """ALTER COLUMN ... SET GENERATED / SET <sequence option> of an identity column.

    Its sequence's options follow the rules of ALTER SEQUENCE: bounds that
    narrow move the current value inside them first (the same guards, on the
    identity's sequence), a flipped direction restarts it.
    """

    table: str
    column: str
    column_type: str
    old: Identity
    new: Identity
    # the identity's sequence when the change runs; None: the name PostgreSQL gives it
    sequence: str | None = None

    @property
    def _options(self) -> tuple[SequenceOptions, SequenceOptions]:
        # the sequence's type follows the column's
        old = replace(self.old.options, data_type=self.column_type)
        return old, replace(self.new.options, data_type=self.column_type)

    @property
    def restarts(self) -> bool:
        """True when the direction flips: the current value cannot stay, the sequence restarts."""
        return flips(*self._options)

    @property
    def narrows(self) -> bool:
        """True when MINVALUE rises or MAXVALUE falls: the current value may fall outside."""
        return narrows(*self._options)

    @property
    def actions(self) -> list[str]:
        """The SET clauses.

        Empty when only the sequence's type differs (it follows the column's).
        """
        actions: list[str] = []
        if self.old.always != self.new.always:
            actions.append(f"SET GENERATED {'ALWAYS' if self.new.always else 'BY DEFAULT'}")
        old, new = self._options
        actions += ["SET " + c for c in sequence_option_clauses(new, old, with_type=False)]
        return actions + ["RESTART"] if self.restarts else actions

    def sql(self) -> tuple[str, ...]:
        if not self.actions:
            return ()
        alter = alter_table(self.table, f"{_col(self.column)} {' '.join(self.actions)}")
        if not self.narrows:
            return (alter,)
        old, new = self._options
        out = []
        if (joined := joined_bounds(old, new)) is not None:
            lo, hi = joined
            out.append(
                alter_table(self.table, f"{_col(self.column)} SET MINVALUE {lo} SET MAXVALUE {hi}")
            )
        seq = self.sequence or identity_sequence(self.table, self.column)
        return (*out, *bound_guards(seq, old, new), alter)

    def describe(self) -> str:
        note = " (restarts its sequence)" if self.restarts else ""
        note = " (moves its sequence's current value into the new bounds)" if self.narrows else note
        return f"alter identity of {self.table}.{quote_ident(self.column)}{note}"

    def inverse(self) -> Change:
        return AlterIdentity(
            self.table, self.column, self.column_type, self.new, self.old, self.sequence
        )

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({col_key(self.table, self.column)})
