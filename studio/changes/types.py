"""Type and sequence changes: enums, domains, sequences."""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.changes.base import (
    NO_DEPS,
    Change,
    Deps,
    col_key,
    nsp_key,
    rel_key,
    split_qualified,
    type_key,
)
from studio.changes.columns import sequence_option_clauses
from studio.model import (
    Domain,
    DomainConstraint,
    EnumType,
    Sequence,
    SequenceOptions,
    qualname,
    quote_ident,
    quote_literal,
)

# --- enums -------------------------------------------------------------------


def _labels_sql(labels: tuple[str, ...]) -> str:
    return ", ".join(quote_literal(v) for v in labels)


@dataclass(frozen=True, slots=True)
class CreateEnum(Change):
    """CREATE TYPE ... AS ENUM (labels)."""

    enum: EnumType

    def sql(self) -> tuple[str, ...]:
        return (f"CREATE TYPE {self.enum.key} AS ENUM ({_labels_sql(self.enum.labels)})",)

    def describe(self) -> str:
        return f"create enum {self.enum.key}"

    def inverse(self) -> Change:
        return DropEnum(self.enum)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({type_key(self.enum.key)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({nsp_key(self.enum.schema)})


@dataclass(frozen=True, slots=True)
class DropEnum(Change):
    """DROP TYPE of an enum."""

    enum: EnumType

    def sql(self) -> tuple[str, ...]:
        return (f"DROP TYPE {self.enum.key}",)

    def describe(self) -> str:
        return f"drop enum {self.enum.key}"

    def inverse(self) -> Change:
        return CreateEnum(self.enum)

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({type_key(self.enum.key)})


@dataclass(frozen=True, slots=True)
class AddEnumValue(Change):
    """ALTER TYPE ... ADD VALUE 'v' BEFORE/AFTER 'w', in the position the new labels give it.

    PostgreSQL (12+) runs it in a transaction, but the value cannot be used in
    the transaction that added it: `commit_before_use` asks the script writer
    to commit it before anything that follows.
    """

    enum: str
    value: str
    before: str | None = None
    after: str | None = None
    # the value added just before this one in the same diff: keeps them in label order
    follows: str | None = field(default=None, compare=False, repr=False)

    _commit_before_use = True

    def sql(self) -> tuple[str, ...]:
        where = ""
        if self.before is not None:
            where = f" BEFORE {quote_literal(self.before)}"
        elif self.after is not None:
            where = f" AFTER {quote_literal(self.after)}"
        return (f"ALTER TYPE {self.enum} ADD VALUE {quote_literal(self.value)}{where}",)

    def describe(self) -> str:
        return f"add value {quote_literal(self.value)} to enum {self.enum}"

    @property
    def provides(self) -> frozenset[str]:
        # labels are keys too, so that values added AFTER one another keep their order
        return frozenset({type_key(self.enum), _label_key(self.enum, self.value)})

    def _structural_requires(self) -> frozenset[str]:
        keys = {self.after if self.after is not None else self.before, self.follows}
        return frozenset(_label_key(self.enum, k) for k in keys if k is not None)


def _label_key(enum: str, label: str) -> str:
    return f"label:{enum}:{label}"


@dataclass(frozen=True, slots=True)
class EnumColumn:
    """A column whose type is (an array of) an enum being recreated."""

    table: str
    column: str
    # the column's type as written, e.g. `public.mood` or `public.mood[]`
    type: str
    # the default is dropped before the cast and the new one set after
    old_default: str | None = None
    new_default: str | None = None

    def reversed(self) -> EnumColumn:
        """The same column with the defaults swapped (for the inverse change)."""
        return EnumColumn(self.table, self.column, self.type, self.new_default, self.old_default)


def _temp_name(name: str) -> str:
    suffix = "__old"
    raw = name.encode()
    while len(raw) + len(suffix) > 63:
        raw = raw[:-1]
    return raw.decode(errors="ignore") + suffix


@dataclass(frozen=True, slots=True)
class RecreateEnum(Change):
    """A removed or reordered enum label: rename the old type, create the new one,
    re-cast every column using it through text, drop the old type.

    Rows holding a removed label make the cast fail: the change is destructive.
    """

    old: EnumType
    new: EnumType
    columns: tuple[EnumColumn, ...] = ()

    def sql(self) -> tuple[str, ...]:
        temp = _temp_name(self.old.name)
        out = [
            f"ALTER TYPE {self.old.key} RENAME TO {quote_ident(temp)}",
            f"CREATE TYPE {self.new.key} AS ENUM ({_labels_sql(self.new.labels)})",
        ]
        by_table: dict[str, list[EnumColumn]] = {}
        for c in self.columns:
            by_table.setdefault(c.table, []).append(c)
        for table, cols in by_table.items():
            actions = []
            for c in cols:
                col = quote_ident(c.column)
                dims = "[]" * c.type.count("[]")
                if c.old_default is not None:
                    actions.append(f"ALTER COLUMN {col} DROP DEFAULT")
                actions.append(
                    f"ALTER COLUMN {col} TYPE {c.type} USING {col}::text{dims}::{c.type}"
                )
                if c.new_default is not None:
                    actions.append(f"ALTER COLUMN {col} SET DEFAULT {c.new_default}")
            out.append(f"ALTER TABLE {table} " + ", ".join(actions))
        out.append(f"DROP TYPE {qualname(self.old.schema, temp)}")
        return tuple(out)

    def describe(self) -> str:
        removed = [v for v in self.old.labels if v not in self.new.labels]
        why = f"remove {', '.join(map(quote_literal, removed))}" if removed else "reorder labels"
        return f"recreate enum {self.new.key} ({why}; {len(self.columns)} column(s) re-cast)"

    @property
    def destructive(self) -> bool:
        return any(v not in self.new.labels for v in self.old.labels)

    def inverse(self) -> Change:
        return RecreateEnum(self.new, self.old, tuple(c.reversed() for c in self.columns))

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.table for c in self.columns))

    @property
    def provides(self) -> frozenset[str]:
        return frozenset(
            {type_key(self.new.key)} | {col_key(c.table, c.column) for c in self.columns}
        )

    @property
    def removes(self) -> frozenset[str]:
        return frozenset(
            {type_key(self.old.key)} | {col_key(c.table, c.column) for c in self.columns}
        )


# --- domains -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateDomain(Change):
    """CREATE DOMAIN, then its CHECK constraints (NOT VALID ones can only be added after)."""

    domain: Domain
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        d = self.domain
        text = f"CREATE DOMAIN {d.key} AS {d.base_type}"
        if d.collation:
            text += f" COLLATE {d.collation}"
        if d.default is not None:
            text += f" DEFAULT {d.default}"
        if d.not_null:
            text += " NOT NULL"
        return (text, *(AddDomainConstraint(d.key, c).sql()[0] for c in d.constraints))

    def describe(self) -> str:
        return f"create domain {self.domain.key}"

    def inverse(self) -> Change:
        return DropDomain(self.domain)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({type_key(self.domain.key)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({nsp_key(self.domain.schema)})


@dataclass(frozen=True, slots=True)
class DropDomain(Change):
    """DROP DOMAIN."""

    domain: Domain
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        return (f"DROP DOMAIN {self.domain.key}",)

    def describe(self) -> str:
        return f"drop domain {self.domain.key}"

    def inverse(self) -> Change:
        return CreateDomain(self.domain)

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({type_key(self.domain.key)})


@dataclass(frozen=True, slots=True)
class SetDomainDefault(Change):
    """ALTER DOMAIN ... SET DEFAULT / DROP DEFAULT."""

    domain: str
    default: str | None
    old_default: str | None = None

    def sql(self) -> tuple[str, ...]:
        action = "DROP DEFAULT" if self.default is None else f"SET DEFAULT {self.default}"
        return (f"ALTER DOMAIN {self.domain} {action}",)

    def describe(self) -> str:
        return f"{'drop' if self.default is None else 'set'} default of domain {self.domain}"

    def inverse(self) -> Change:
        return SetDomainDefault(self.domain, self.old_default, self.default)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({type_key(self.domain)})


@dataclass(frozen=True, slots=True)
class SetDomainNotNull(Change):
    """ALTER DOMAIN ... SET NOT NULL (checks every column using it) / DROP NOT NULL."""

    domain: str
    not_null: bool

    def sql(self) -> tuple[str, ...]:
        return (f"ALTER DOMAIN {self.domain} {'SET' if self.not_null else 'DROP'} NOT NULL",)

    def describe(self) -> str:
        return f"{'set' if self.not_null else 'drop'} not null on domain {self.domain}"

    def inverse(self) -> Change:
        return SetDomainNotNull(self.domain, not self.not_null)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({type_key(self.domain)})


@dataclass(frozen=True, slots=True)
class AddDomainConstraint(Change):
    """ALTER DOMAIN ... ADD CONSTRAINT name CHECK (...) [NOT VALID]."""

    domain: str
    constraint: DomainConstraint

    def sql(self) -> tuple[str, ...]:
        c = self.constraint
        return (f"ALTER DOMAIN {self.domain} ADD CONSTRAINT {quote_ident(c.name)} {c.definition}",)

    def describe(self) -> str:
        return f"add constraint {quote_ident(self.constraint.name)} to domain {self.domain}"

    def inverse(self) -> Change:
        return DropDomainConstraint(self.domain, self.constraint)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({type_key(self.domain)})


@dataclass(frozen=True, slots=True)
class DropDomainConstraint(Change):
    """ALTER DOMAIN ... DROP CONSTRAINT."""

    domain: str
    constraint: DomainConstraint

    def sql(self) -> tuple[str, ...]:
        return (f"ALTER DOMAIN {self.domain} DROP CONSTRAINT {quote_ident(self.constraint.name)}",)

    def describe(self) -> str:
        return f"drop constraint {quote_ident(self.constraint.name)} of domain {self.domain}"

    def inverse(self) -> Change:
        return AddDomainConstraint(self.domain, self.constraint)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({type_key(self.domain)})


@dataclass(frozen=True, slots=True)
class ValidateDomainConstraint(Change):
    """ALTER DOMAIN ... VALIDATE CONSTRAINT."""

    domain: str
    name: str

    def sql(self) -> tuple[str, ...]:
        return (f"ALTER DOMAIN {self.domain} VALIDATE CONSTRAINT {quote_ident(self.name)}",)

    def describe(self) -> str:
        return f"validate constraint {quote_ident(self.name)} of domain {self.domain}"

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({type_key(self.domain)})


# --- sequences ---------------------------------------------------------------


def _owner_sql(owned_by: str | None) -> str:
    return "NONE" if owned_by is None else owned_by


def _owner_key(owned_by: str) -> str:
    *table, column = split_qualified(owned_by)
    return col_key(qualname(*table), column)


@dataclass(frozen=True, slots=True)
class CreateSequence(Change):
    """CREATE SEQUENCE with every option spelled out (OWNED BY is a separate step, after the table)."""

    sequence: Sequence

    def sql(self) -> tuple[str, ...]:
        opts = " ".join(sequence_option_clauses(self.sequence.options, None))
        return (f"CREATE SEQUENCE {self.sequence.key} {opts}",)

    def describe(self) -> str:
        return f"create sequence {self.sequence.key}"

    def inverse(self) -> Change:
        return DropSequence(self.sequence)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({rel_key(self.sequence.key)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({nsp_key(self.sequence.schema)})


@dataclass(frozen=True, slots=True)
class DropSequence(Change):
    """DROP SEQUENCE (its current value is lost)."""

    sequence: Sequence

    def sql(self) -> tuple[str, ...]:
        return (f"DROP SEQUENCE {self.sequence.key}",)

    def describe(self) -> str:
        return f"drop sequence {self.sequence.key}"

    def inverse(self) -> Change:
        return CreateSequence(self.sequence)

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({rel_key(self.sequence.key)})


@dataclass(frozen=True, slots=True)
class AlterSequence(Change):
    """ALTER SEQUENCE with the options that changed (AS, INCREMENT, MIN/MAX, START, CACHE, CYCLE)."""

    sequence: str
    old: SequenceOptions
    new: SequenceOptions

    @property
    def restarts(self) -> bool:
        """True when the direction flips: the current value cannot stay, the sequence restarts."""
        return (self.old.increment > 0) != (self.new.increment > 0)

    def sql(self) -> tuple[str, ...]:
        clauses = sequence_option_clauses(self.new, self.old)
        if self.restarts:
            clauses.append("RESTART")
        return (f"ALTER SEQUENCE {self.sequence} {' '.join(clauses)}",)

    def describe(self) -> str:
        return f"alter sequence {self.sequence}" + (" (restarts it)" if self.restarts else "")

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
        return f"make sequence {self.sequence} owned by {_owner_sql(self.owned_by).lower() if self.owned_by is None else self.owned_by}"

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
