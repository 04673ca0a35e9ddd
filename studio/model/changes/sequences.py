"""Sequence changes and the sequence options identity columns share."""

from __future__ import annotations

from dataclasses import dataclass

from studio.model import Sequence, SequenceOptions, qualname, quote_literal
from studio.model.changes.base import Change, col_key, nsp_key, rel_key, split_qualified

_TYPE_MAX = {"smallint": 32767, "integer": 2147483647, "bigint": 9223372036854775807}


def default_sequence_options(data_type: str, increment: int = 1) -> SequenceOptions:
    """What PostgreSQL picks for a sequence of this type when no option is given."""
    top = _TYPE_MAX.get(data_type, _TYPE_MAX["bigint"])
    if increment < 0:
        return SequenceOptions(data_type, -1, increment, -top - 1, -1)
    return SequenceOptions(data_type, 1, increment, 1, top)


def sequence_option_clauses(
    opts: SequenceOptions, base: SequenceOptions | None, *, with_type: bool = True
) -> list[str]:
    """CREATE/ALTER SEQUENCE clauses for the options of `opts` that differ from `base`.

    All of them when `base` is None.
    """
    out: list[str] = []
    if with_type and (base is None or opts.data_type != base.data_type):
        out.append(f"AS {opts.data_type}")
    if base is None or opts.increment != base.increment:
        out.append(f"INCREMENT BY {opts.increment}")
    if base is None or opts.min_value != base.min_value:
        out.append(f"MINVALUE {opts.min_value}")
    if base is None or opts.max_value != base.max_value:
        out.append(f"MAXVALUE {opts.max_value}")
    if base is None or opts.start != base.start:
        out.append(f"START WITH {opts.start}")
    if base is None or opts.cache != base.cache:
        out.append(f"CACHE {opts.cache}")
    if base is None or opts.cycle != base.cycle:
        out.append("CYCLE" if opts.cycle else "NO CYCLE")
    return out


def flips(old: SequenceOptions, new: SequenceOptions) -> bool:
    """True when the direction flips: the current value cannot stay, the sequence restarts."""
    return (old.increment > 0) != (new.increment > 0)


def narrows(old: SequenceOptions, new: SequenceOptions) -> bool:
    """True when MINVALUE rises or MAXVALUE falls (and the direction stays): the current
    value may fall outside the new bounds."""
    return not flips(old, new) and (new.min_value > old.min_value or new.max_value < old.max_value)


def joined_bounds(old: SequenceOptions, new: SequenceOptions) -> tuple[int, int] | None:
    """(MINVALUE, MAXVALUE) spanning both ranges when they do not meet, else None.

    setval only takes values inside the current bounds: when the old and the new
    ranges do not meet, they are joined before the current value is moved.
    """
    if new.min_value > old.max_value or new.max_value < old.min_value:
        return min(old.min_value, new.min_value), max(old.max_value, new.max_value)
    return None


def bound_guards(sequence: str, old: SequenceOptions, new: SequenceOptions) -> list[str]:
    """Statements that move the current value of `sequence` inside the new bounds, whatever it is.

    PostgreSQL refuses new bounds that leave out the current value (`RESTART
    value (x) cannot be less than MINVALUE (y)`), and the value at apply time
    is not the one the diff could see: each guard reads it when it runs. A
    value behind the bound it moves towards gets the bound as its next value;
    one past the bound it moves towards (values beyond it were handed out)
    leaves the sequence exhausted there, as its new bounds say it is.
    """
    name = quote_literal(sequence)
    up = new.increment > 0
    out = []
    if new.min_value > old.min_value:
        out.append(
            f"SELECT pg_catalog.setval({name}, {new.min_value}, {str(not up).lower()})"
            f" FROM {sequence} WHERE last_value < {new.min_value}"
        )
    if new.max_value < old.max_value:
        out.append(
            f"SELECT pg_catalog.setval({name}, {new.max_value}, {str(up).lower()})"
            f" FROM {sequence} WHERE last_value > {new.max_value}"
        )
    return out


def _owner_sql(owned_by: str | None) -> str:
    return "NONE" if owned_by is None else owned_by


def _owner_key(owned_by: str) -> str:
    *table, column = split_qualified(owned_by)
    return col_key(qualname(*table), column)


@dataclass(frozen=True, slots=True)
class CreateSequence(Change):
    """CREATE SEQUENCE with every option spelled out.

    OWNED BY is a separate change in a diff (the owning table comes later);
    `with_owner` makes it part of this one (the inverse of a drop does that).
    """

    sequence: Sequence
    with_owner: bool = False

    def sql(self) -> tuple[str, ...]:
        opts = " ".join(sequence_option_clauses(self.sequence.options, None))
        out = [f"CREATE SEQUENCE {self.sequence.key} {opts}"]
        if self.with_owner and self.sequence.owned_by:
            out.append(f"ALTER SEQUENCE {self.sequence.key} OWNED BY {self.sequence.owned_by}")
        return tuple(out)

    def describe(self) -> str:
        return f"create sequence {self.sequence.key}"

    def inverse(self) -> Change:
        return DropSequence(self.sequence)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({rel_key(self.sequence.key)})

    def _structural_requires(self) -> frozenset[str]:
        keys = {nsp_key(self.sequence.schema)}
        if self.with_owner and self.sequence.owned_by:
            keys.add(_owner_key(self.sequence.owned_by))
        return frozenset(keys)


@dataclass(frozen=True, slots=True)
class DropSequence(Change):
    """DROP SEQUENCE (its current value is lost)."""

    sequence: Sequence

    def sql(self) -> tuple[str, ...]:
        return (f"DROP SEQUENCE {self.sequence.key}",)

    def describe(self) -> str:
        return f"drop sequence {self.sequence.key}"

    def inverse(self) -> Change:
        return CreateSequence(self.sequence, with_owner=True)

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({rel_key(self.sequence.key)})


@dataclass(frozen=True, slots=True)
class AlterSequence(Change):
    """ALTER SEQUENCE with the options that changed.

    AS, INCREMENT, MIN/MAX, START, CACHE, CYCLE.
    """

    sequence: str
    old: SequenceOptions
    new: SequenceOptions

    @property
    def restarts(self) -> bool:
        """True when the direction flips: the current value cannot stay, the sequence restarts."""
        return flips(self.old, self.new)

    @property
    def narrows(self) -> bool:
        """True when MINVALUE rises or MAXVALUE falls: the current value may fall outside."""
        return narrows(self.old, self.new)

    def sql(self) -> tuple[str, ...]:
        clauses = sequence_option_clauses(self.new, self.old)
        if self.restarts:
            clauses.append("RESTART")
        alter = f"ALTER SEQUENCE {self.sequence} {' '.join(clauses)}"
        return (*self._into_new_bounds(), alter) if self.narrows else (alter,)

    def _into_new_bounds(self) -> list[str]:
        old, new, seq = self.old, self.new, self.sequence
        out = []
        if (joined := joined_bounds(old, new)) is not None:
            wide = max(old.data_type, new.data_type, key=lambda t: _TYPE_MAX.get(t, 0))
            out.append(f"ALTER SEQUENCE {seq} AS {wide} MINVALUE {joined[0]} MAXVALUE {joined[1]}")
        return out + bound_guards(seq, old, new)

    def describe(self) -> str:
        note = " (restarts it)" if self.restarts else ""
        note = " (moves its current value into the new bounds)" if self.narrows else note
        return f"alter sequence {self.sequence}{note}"

    def inverse(self) -> Change:
        return AlterSequence(self.sequence, self.new, self.old)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.sequence,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.sequence)})


@dataclass(frozen=True, slots=True)
class SetSequenceOwner(Change):
    """ALTER SEQUENCE ... OWNED BY table.column / OWNED BY NONE."""

    sequence: str
    owned_by: str | None
    old_owned_by: str | None = None

    def sql(self) -> tuple[str, ...]:
        return (f"ALTER SEQUENCE {self.sequence} OWNED BY {_owner_sql(self.owned_by)}",)

    def describe(self) -> str:
        owner = _owner_sql(self.owned_by).lower() if self.owned_by is None else self.owned_by
        return f"make sequence {self.sequence} owned by {owner}"

    def inverse(self) -> Change:
        return SetSequenceOwner(self.sequence, self.old_owned_by, self.owned_by)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.sequence,)

    def _structural_requires(self) -> frozenset[str]:
        keys = {rel_key(self.sequence)}
        if self.owned_by:
            keys.add(_owner_key(self.owned_by))
        return frozenset(keys)

    def _structural_uses(self) -> frozenset[str]:
        # the old owning column drops the sequence with it: release it first
        return frozenset({_owner_key(self.old_owned_by)}) if self.old_owned_by else frozenset()
