"""Per-table and per-column attributes pg_dump writes after CREATE TABLE.

REPLICA IDENTITY, SET ACCESS METHOD, and a column's SET STATISTICS, SET
STORAGE, SET COMPRESSION and SET (attribute options). The column changes are
written `ALTER TABLE ONLY`: without ONLY, statistics, storage and compression
recurse to partitions and inheritance children, which the differ compares
(and alters) one table at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.model import qualname, quote_ident
from studio.model.changes.base import Change, alter_table, col_key, rel_key, schema_of


def _option_names(options: tuple[str, ...]) -> dict[str, str]:
    return {o.partition("=")[0]: o for o in options}


@dataclass(frozen=True, slots=True)
class SetReplicaIdentity(Change):
    """ALTER TABLE ... REPLICA IDENTITY DEFAULT / FULL / NOTHING / USING INDEX idx."""

    table: str
    identity: str  # default, full, nothing, index
    index: str | None = None
    old_identity: str = "default"
    old_index: str | None = None

    def sql(self) -> tuple[str, ...]:
        return (
            alter_table(self.table, f"REPLICA IDENTITY {_identity_sql(self.identity, self.index)}"),
        )

    def describe(self) -> str:
        identity = _identity_sql(self.identity, self.index).lower()
        return f"set replica identity of {self.table} to {identity}"

    def inverse(self) -> Change:
        return SetReplicaIdentity(
            self.table, self.old_identity, self.old_index, self.identity, self.index
        )

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        keys = {rel_key(self.table)}
        if self.identity == "index" and self.index:
            # the index (or the key constraint it backs) must exist first
            keys.add(rel_key(qualname(schema_of(self.table), self.index)))
        return frozenset(keys)

    def _structural_uses(self) -> frozenset[str]:
        # before the old identity index is dropped: its drop would leave NOTHING meanwhile,
        # and undoing the migration (inverses in reverse order) needs it built first
        if self.old_identity == "index" and self.old_index and self.old_index != self.index:
            return frozenset({rel_key(qualname(schema_of(self.table), self.old_index))})
        return frozenset()


def _identity_sql(identity: str, index: str | None) -> str:
    if identity == "index":
        return f"USING INDEX {quote_ident(index or '')}"
    return identity.upper()


@dataclass(frozen=True, slots=True)
class SetAccessMethod(Change):
    """ALTER TABLE ... SET ACCESS METHOD (PostgreSQL 15+; rewrites the table)."""

    table: str
    method: str | None  # None: heap
    old: str | None = None

    def sql(self) -> tuple[str, ...]:
        return (alter_table(self.table, f"SET ACCESS METHOD {quote_ident(self.method or 'heap')}"),)

    def describe(self) -> str:
        return f"set access method of {self.table} to {self.method or 'heap'} (rewrites it)"

    def inverse(self) -> Change:
        return SetAccessMethod(self.table, self.old, self.method)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})


@dataclass(frozen=True, slots=True)
class _ColumnAttribute(Change):
    """A column attribute change: ALTER TABLE ONLY t ALTER COLUMN c <action>."""

    table: str
    column: str

    def _action(self) -> str:
        raise NotImplementedError

    def sql(self) -> tuple[str, ...]:
        return (
            alter_table(
                self.table, f"ALTER COLUMN {quote_ident(self.column)} {self._action()}", only=True
            ),
        )

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table), col_key(self.table, self.column)})


@dataclass(frozen=True, slots=True)
class SetColumnStatistics(_ColumnAttribute):
    """ALTER COLUMN ... SET STATISTICS n (-1: back to default_statistics_target)."""

    statistics: int | None = None
    old: int | None = None

    def _action(self) -> str:
        return f"SET STATISTICS {-1 if self.statistics is None else self.statistics}"

    def describe(self) -> str:
        value = "default" if self.statistics is None else str(self.statistics)
        return f"set statistics target of {self.table}.{quote_ident(self.column)} to {value}"

    def inverse(self) -> Change:
        return SetColumnStatistics(self.table, self.column, self.old, self.statistics)


@dataclass(frozen=True, slots=True)
class SetColumnStorage(_ColumnAttribute):
    """ALTER COLUMN ... SET STORAGE (catalog only: existing values keep their form)."""

    storage: str = "extended"  # plain, external, extended, main; "default" on PostgreSQL 16+
    old: str = "extended"

    def _action(self) -> str:
        return f"SET STORAGE {self.storage.upper()}"

    def describe(self) -> str:
        return f"set storage of {self.table}.{quote_ident(self.column)} to {self.storage}"

    def inverse(self) -> Change:
        return SetColumnStorage(self.table, self.column, self.old, self.storage)


@dataclass(frozen=True, slots=True)
class SetColumnCompression(_ColumnAttribute):
    """ALTER COLUMN ... SET COMPRESSION (PostgreSQL 14+; only values written later use it)."""

    compression: str | None = None  # pglz, lz4; None: default_toast_compression
    old: str | None = None

    def _action(self) -> str:
        return f"SET COMPRESSION {self.compression or 'default'}"

    def describe(self) -> str:
        return (
            f"set compression of {self.table}.{quote_ident(self.column)}"
            f" to {self.compression or 'default'}"
        )

    def inverse(self) -> Change:
        return SetColumnCompression(self.table, self.column, self.old, self.compression)


@dataclass(frozen=True, slots=True)
class SetColumnOptions(_ColumnAttribute):
    """ALTER COLUMN ... SET (n_distinct = ...) and RESET (removed attribute options)."""

    options: tuple[str, ...] = ()
    old: tuple[str, ...] = ()

    def sql(self) -> tuple[str, ...]:
        old, new = _option_names(self.old), _option_names(self.options)
        column = f"ALTER COLUMN {quote_ident(self.column)}"
        out = []
        reset = [k for k in old if k not in new]
        if reset:
            out.append(alter_table(self.table, f"{column} RESET ({', '.join(reset)})", only=True))
        changed = [o for k, o in new.items() if old.get(k) != o]
        if changed:
            out.append(alter_table(self.table, f"{column} SET ({', '.join(changed)})", only=True))
        return tuple(out)

    def describe(self) -> str:
        return (
            f"set options of {self.table}.{quote_ident(self.column)} to ({', '.join(self.options)})"
        )

    def inverse(self) -> Change:
        return SetColumnOptions(self.table, self.column, self.old, self.options)
