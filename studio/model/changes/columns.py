"""Column changes: add, drop, rename, type, default, nullability, identity, generation."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from studio.model import Column, quote_ident
from studio.model.changes.base import (
    NO_DEPS,
    Change,
    Deps,
    alter_table,
    col_key,
    def_key,
    rel_key,
)
from studio.model.changes.casts import is_lossless, is_widening, using_expression
from studio.model.changes.identity import identity_sql


def collation_sql(collation: str) -> str:
    """A collation name as SQL (quoted as needed; a qualified name is kept as it is)."""
    return collation if "." in collation or collation.startswith('"') else quote_ident(collation)


def column_sql(c: Column) -> str:
    """A column definition as in CREATE TABLE / ADD COLUMN."""
    parts = [quote_ident(c.name), c.type]
    if c.collation:
        parts.append(f"COLLATE {collation_sql(c.collation)}")
    if c.generated is not None:
        kind = "VIRTUAL" if c.generated_kind == "virtual" else "STORED"
        parts.append(f"GENERATED ALWAYS AS ({c.generated}) {kind}")
    elif c.identity is not None:
        parts.append(identity_sql(c.identity, c.type))
    elif c.default is not None:
        parts.append(f"DEFAULT {c.default}")
    if c.not_null:
        if c.not_null_name:
            parts.append(f"CONSTRAINT {quote_ident(c.not_null_name)}")
        parts.append("NOT NULL")
    return " ".join(parts)


def _col(column: str) -> str:
    return f"ALTER COLUMN {quote_ident(column)}"


@dataclass(frozen=True, slots=True)
class AddColumn(Change):
    """ALTER TABLE ... ADD COLUMN, with its default, identity or generation inline."""

    table: str
    column: Column
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        out = [alter_table(self.table, f"ADD COLUMN {column_sql(self.column)}")]
        if self.column.not_null and not self.column.not_null_valid and self.column.not_null_name:
            out = [
                alter_table(
                    self.table, f"ADD COLUMN {column_sql(replace(self.column, not_null=False))}"
                ),
                alter_table(
                    self.table,
                    f"ADD CONSTRAINT {quote_ident(self.column.not_null_name)} "
                    f"NOT NULL {quote_ident(self.column.name)} NOT VALID",
                ),
            ]
        return tuple(out)

    def describe(self) -> str:
        return f"add column {self.table}.{quote_ident(self.column.name)} {self.column.type}"

    def inverse(self) -> Change:
        return DropColumn(self.table, self.column)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def provides(self) -> frozenset[str]:
        return column_keys(self.table, self.column)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})


def column_keys(table: str, column: Column) -> frozenset[str]:
    """Keys of a column and of its default, if it has one."""
    if column.default is None:
        return frozenset({col_key(table, column.name)})
    return frozenset({col_key(table, column.name), def_key(table, column.name)})


@dataclass(frozen=True, slots=True)
class DropColumn(Change):
    """ALTER TABLE ... DROP COLUMN; keeps the old column so the inverse can re-add it."""

    table: str
    column: Column
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)
    # ONLY: the INHERITS children keep their column, as their own (attislocal)
    only: bool = False

    def sql(self) -> tuple[str, ...]:
        drop = f"DROP COLUMN {quote_ident(self.column.name)}"
        return (alter_table(self.table, drop, only=self.only),)

    def describe(self) -> str:
        note = " (its inheriting tables keep theirs)" if self.only else ""
        return f"drop column {self.table}.{quote_ident(self.column.name)}{note}"

    @property
    def destructive(self) -> bool:
        # a generated column's values are derived: nothing is lost
        return self.column.generated is None

    def inverse(self) -> Change:
        return AddColumn(self.table, self.column)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def removes(self) -> frozenset[str]:
        return column_keys(self.table, self.column)


@dataclass(frozen=True, slots=True)
class RenameColumn(Change):
    """ALTER TABLE ... RENAME COLUMN (only from a rename hint)."""

    _renames = True

    table: str
    old_name: str
    new_name: str

    def sql(self) -> tuple[str, ...]:
        return (
            alter_table(
                self.table,
                f"RENAME COLUMN {quote_ident(self.old_name)} TO {quote_ident(self.new_name)}",
            ),
        )

    def describe(self) -> str:
        return (
            f"rename column {self.table}.{quote_ident(self.old_name)}"
            f" to {quote_ident(self.new_name)}"
        )

    def inverse(self) -> Change:
        return RenameColumn(self.table, self.new_name, self.old_name)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({col_key(self.table, self.new_name)})

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({col_key(self.table, self.old_name)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})


@dataclass(frozen=True, slots=True)
class AlterColumnType(Change):
    """ALTER COLUMN ... TYPE [COLLATE] [USING col::type].

    No USING for a widening change (PostgreSQL's assignment cast does it); an
    explicit cast otherwise. A default that may not survive the cast is
    dropped first and the new one set after.
    """

    table: str
    old: Column
    new: Column
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    @property
    def needs_using(self) -> bool:
        """True unless the change is a widening one (varchar(n)->text, int->bigint...)."""
        return not is_widening(self.old.type, self.new.type)

    def sql(self) -> tuple[str, ...]:
        col = quote_ident(self.new.name)
        action = f"ALTER COLUMN {col} TYPE {self.new.type}"
        # without COLLATE the column takes its new type's default collation: said when the
        # type changes and the collation stays, and left out for a type that has none
        retyped = self.new.type != self.old.type
        if self.new.collation and (retyped or self.new.collation != self.old.collation):
            action += f" COLLATE {collation_sql(self.new.collation)}"
        elif self.old.collation and not self.new.collation and not retyped:
            action += ' COLLATE "default"'
        if self.needs_using:
            action += f" USING {using_expression(col, self.old.type, self.new.type)}"
        out = []
        reset_default = self.needs_using and self.old.default is not None
        if reset_default:
            out.append(alter_table(self.table, f"ALTER COLUMN {col} DROP DEFAULT"))
        out.append(alter_table(self.table, action))
        # ALTER COLUMN TYPE gives the column its type's own storage and no compression
        # (here and in the children it recurses to): what the new column keeps comes back
        if self.new.storage:
            out.append(
                alter_table(
                    self.table,
                    f"ALTER COLUMN {col} SET STORAGE {self.new.storage.upper()}",
                    only=True,
                )
            )
        if self.new.compression:
            out.append(
                alter_table(
                    self.table,
                    f"ALTER COLUMN {col} SET COMPRESSION {self.new.compression}",
                    only=True,
                )
            )
        if self.needs_using and self.new.default is not None and self.new.identity is None:
            out.append(
                alter_table(self.table, f"ALTER COLUMN {col} SET DEFAULT {self.new.default}")
            )
        return tuple(out)

    def describe(self) -> str:
        what = f"{self.old.type} -> {self.new.type}"
        if self.old.type == self.new.type:
            what = (
                f"collation {self.old.collation or 'default'} -> {self.new.collation or 'default'}"
            )
        return f"alter column {self.table}.{quote_ident(self.new.name)} type {what}"

    @property
    def destructive(self) -> bool:
        return not is_lossless(self.old.type, self.new.type)

    def inverse(self) -> Change:
        return AlterColumnType(self.table, self.new, self.old)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    # the column is rebuilt: views over it go before, and come back after
    @property
    def provides(self) -> frozenset[str]:
        return frozenset({col_key(self.table, self.new.name)})

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({col_key(self.table, self.old.name)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table), col_key(self.table, self.new.name)})


@dataclass(frozen=True, slots=True)
class SetDefault(Change):
    """ALTER COLUMN ... SET DEFAULT."""

    table: str
    column: str
    default: str
    old_default: str | None = None
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.table, f"{_col(self.column)} SET DEFAULT {self.default}"),)

    def describe(self) -> str:
        return f"set default of {self.table}.{quote_ident(self.column)} to {self.default}"

    def inverse(self) -> Change:
        if self.old_default is None:
            return DropDefault(self.table, self.column, self.default)
        return SetDefault(self.table, self.column, self.old_default, self.default)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({def_key(self.table, self.column)})

    @property
    def removes(self) -> frozenset[str]:
        # SET DEFAULT replaces the old default (and what it depended on) in place
        if self.old_default is None:
            return frozenset()
        return frozenset({def_key(self.table, self.column)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({col_key(self.table, self.column)})


@dataclass(frozen=True, slots=True)
class DropDefault(Change):
    """ALTER COLUMN ... DROP DEFAULT."""

    table: str
    column: str
    old_default: str
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.table, f"{_col(self.column)} DROP DEFAULT"),)

    def describe(self) -> str:
        return f"drop default of {self.table}.{quote_ident(self.column)}"

    def inverse(self) -> Change:
        return SetDefault(self.table, self.column, self.old_default)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({def_key(self.table, self.column)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({col_key(self.table, self.column)})


@dataclass(frozen=True, slots=True)
class SetNotNull(Change):
    """ALTER COLUMN ... SET NOT NULL (a scan of the table), or a named NOT NULL constraint (18)."""

    table: str
    column: str
    name: str | None = None
    valid: bool = True

    def sql(self) -> tuple[str, ...]:
        if self.name is None and self.valid:
            return (alter_table(self.table, f"{_col(self.column)} SET NOT NULL"),)
        named = f"CONSTRAINT {quote_ident(self.name)} " if self.name else ""
        tail = "" if self.valid else " NOT VALID"
        return (alter_table(self.table, f"ADD {named}NOT NULL {quote_ident(self.column)}{tail}"),)

    def describe(self) -> str:
        return f"set not null on {self.table}.{quote_ident(self.column)}"

    def inverse(self) -> Change:
        return DropNotNull(self.table, self.column)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({col_key(self.table, self.column)})


@dataclass(frozen=True, slots=True)
class DropNotNull(Change):
    """ALTER COLUMN ... DROP NOT NULL."""

    table: str
    column: str

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.table, f"{_col(self.column)} DROP NOT NULL"),)

    def describe(self) -> str:
        return f"drop not null on {self.table}.{quote_ident(self.column)}"

    def inverse(self) -> Change:
        return SetNotNull(self.table, self.column)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({col_key(self.table, self.column)})


@dataclass(frozen=True, slots=True)
class DropExpression(Change):
    """ALTER COLUMN ... DROP EXPRESSION: a stored generated column becomes a plain one."""

    table: str
    column: str
    expression: str

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.table, f"{_col(self.column)} DROP EXPRESSION"),)

    def describe(self) -> str:
        return f"drop generation expression of {self.table}.{quote_ident(self.column)}"

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({col_key(self.table, self.column)})


@dataclass(frozen=True, slots=True)
class Backfill(Change):
    """Existing rows get a column's value, in batches by primary key (a backfill step, not DDL).

    Its one statement is the UPDATE the runner (`studio.run.backfill`) runs batch by
    batch, `$1`/`$2` bounding the integer primary key `key`; each batch is its
    own short transaction. Rows that already hold a value are left alone.
    """

    table: str
    column: str
    expression: str
    key: str
    batch_size: int = 10_000

    def sql(self) -> tuple[str, ...]:
        col, key = quote_ident(self.column), quote_ident(self.key)
        update = f"UPDATE {self.table} SET {col} = {self.expression}"
        return (f"{update}\nWHERE {key} >= $1 AND {key} <= $2 AND {col} IS NULL",)

    def describe(self) -> str:
        return (
            f"backfill {self.table}.{quote_ident(self.column)} with {self.expression},"
            f" in batches by {quote_ident(self.key)}"
        )

    @property
    def annotation(self) -> str:
        """The step comment naming the backfill's table, key and default batch size."""
        return (
            f"backfill table={self.table} key={quote_ident(self.key)} batch_size={self.batch_size}"
        )

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({col_key(self.table, self.column), col_key(self.table, self.key)})
