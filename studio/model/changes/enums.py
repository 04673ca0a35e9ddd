"""Enum changes: create, drop, add a value in place, recreate when a label goes or moves."""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.model import EnumType, qualname, quote_ident, quote_literal
from studio.model.changes.base import Change, col_key, nsp_key, temp_name, type_key
from studio.words import counted


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
        temp = temp_name(self.old.name)
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
        return (
            f"recreate enum {self.new.key} ({why}; {counted(len(self.columns), 'column')} re-cast)"
        )

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
