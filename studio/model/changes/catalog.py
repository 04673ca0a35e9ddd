"""Composite types, and the objects kept as the statements that create them.

Range types, collations, text search dictionaries and configurations,
operators, operator families and classes, casts, rules and extended
statistics have no ALTER that the diff needs: a changed one is dropped and
created again, after what uses it is dropped and before it is recreated (the
orderer's keys). An operator class that made its family goes with it: DROP
OPERATOR FAMILY drops both. A composite type is altered attribute by
attribute, as columns of tables may use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.model import CatalogObject, CompositeAttribute, CompositeType, qualname, quote_ident
from studio.model.changes.base import (
    NO_DEPS,
    Change,
    Deps,
    col_key,
    fn_key,
    nsp_key,
    rel_key,
    temp_name,
    type_key,
)
from studio.model.keys import catalog_key, split_qualified
from studio.words import counted

# DROP <what> <identity>
_DROP = {
    "range type": "TYPE",
    "collation": "COLLATION",
    "text search dictionary": "TEXT SEARCH DICTIONARY",
    "text search configuration": "TEXT SEARCH CONFIGURATION",
    "operator": "OPERATOR",
    "operator family": "OPERATOR FAMILY",
    "operator class": "OPERATOR CLASS",
    "cast": "CAST",
    "rule": "RULE",
    "statistics": "STATISTICS",
}
# the kinds whose object belongs to a table (listed and ordered with it)
_ON_TABLE = frozenset({"rule", "statistics"})
# COMMENT ON <what> <identity>
COMMENT_KIND = _DROP


def object_key(obj: CatalogObject) -> str:
    """The dependency key a catalog object provides (a range type is a type like any other)."""
    return catalog_key(obj.kind, obj.identity)


def object_keys(obj: CatalogObject) -> frozenset[str]:
    """The keys a catalog object's CREATE provides and its DROP removes: a class's family too."""
    if obj.makes_family:
        return frozenset({object_key(obj), catalog_key("operator family", obj.identity)})
    return frozenset({object_key(obj)})


def needed_objects(obj: CatalogObject) -> frozenset[str]:
    """Keys of the catalog objects an object names (`CatalogObject.objects`)."""
    return frozenset(catalog_key(*k.split(":", 1)) for k in obj.objects)


def _needs(obj: CatalogObject) -> frozenset[str]:
    keys = {fn_key(f) for f in obj.functions} | {rel_key(r) for r in obj.relations}
    keys |= needed_objects(obj)
    if obj.schema is not None:
        keys.add(nsp_key(obj.schema))
    return frozenset(keys)


def _targets(obj: CatalogObject) -> tuple[str, ...]:
    return obj.relations if obj.kind in _ON_TABLE else ()


@dataclass(frozen=True, slots=True)
class CreateObject(Change):
    """CREATE a catalog object kept as statements (a range type, an operator class...)."""

    obj: CatalogObject
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        return self.obj.statements

    def describe(self) -> str:
        return f"create {self.obj.kind} {self.obj.identity}"

    def inverse(self) -> Change:
        return DropObject(self.obj)

    @property
    def targets(self) -> tuple[str, ...]:
        return _targets(self.obj)

    @property
    def provides(self) -> frozenset[str]:
        return object_keys(self.obj)

    def _structural_requires(self) -> frozenset[str]:
        return _needs(self.obj)


@dataclass(frozen=True, slots=True)
class DropObject(Change):
    """DROP a catalog object kept as statements; a class that made its family with that family."""

    obj: CatalogObject
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        # DROP OPERATOR CLASS would leave the family its CREATE made
        what = "OPERATOR FAMILY" if self.obj.makes_family else _DROP[self.obj.kind]
        return (f"DROP {what} {self.obj.identity}",)

    def describe(self) -> str:
        family = " with its family" if self.obj.makes_family else ""
        return f"drop {self.obj.kind} {self.obj.identity}{family}"

    def inverse(self) -> Change:
        return CreateObject(self.obj)

    @property
    def targets(self) -> tuple[str, ...]:
        return _targets(self.obj)

    @property
    def removes(self) -> frozenset[str]:
        return object_keys(self.obj)

    def _structural_uses(self) -> frozenset[str]:
        return _needs(self.obj)


def _attribute(a: CompositeAttribute) -> str:
    collate = f" COLLATE {a.collation}" if a.collation else ""
    return f"{quote_ident(a.name)} {a.type}{collate}"


@dataclass(frozen=True, slots=True)
class CreateComposite(Change):
    """CREATE TYPE ... AS (attributes)."""

    composite: CompositeType
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        t = self.composite
        return (f"CREATE TYPE {t.key} AS ({', '.join(_attribute(a) for a in t.attributes)})",)

    def describe(self) -> str:
        return f"create type {self.composite.key}"

    def inverse(self) -> Change:
        return DropComposite(self.composite)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({type_key(self.composite.key)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({nsp_key(self.composite.schema)})


@dataclass(frozen=True, slots=True)
class DropComposite(Change):
    """DROP TYPE of a composite type."""

    composite: CompositeType
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        return (f"DROP TYPE {self.composite.key}",)

    def describe(self) -> str:
        return f"drop type {self.composite.key}"

    def inverse(self) -> Change:
        return CreateComposite(self.composite)

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({type_key(self.composite.key)})


@dataclass(frozen=True, slots=True)
class AlterComposite(Change):
    """ALTER TYPE ... DROP / ALTER / ADD ATTRIBUTE, in one statement.

    Attributes can only be added at the end, and PostgreSQL refuses to change
    an attribute's type while a table column uses the type. So the longest
    run of leading attributes that can stay (same name, and the same type or a
    type it may change) stays; every other old attribute is dropped and the
    rest of the new ones added in order: exact, at the cost of the dropped
    attributes' values (then the change is destructive).
    """

    old: CompositeType
    new: CompositeType
    # a table column uses the type (its attributes' types cannot change in place)
    used: bool = False
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def _kept(self) -> int:
        wanted = {a.name for a in self.new.attributes}
        staying = [a for a in self.old.attributes if a.name in wanted]
        k = 0
        # not strict: the attributes kept in place are a common prefix of both lists
        for before, after in zip(staying, self.new.attributes, strict=False):
            if before.name != after.name or (before != after and self.used):
                break
            k += 1
        return k

    def _actions(self) -> list[str]:
        k = self._kept()
        kept = {a.name: a for a in self.new.attributes[:k]}
        actions = [
            f"DROP ATTRIBUTE {quote_ident(a.name)}"
            for a in self.old.attributes
            if a.name not in kept
        ]
        old = {a.name: a for a in self.old.attributes}
        for a in self.new.attributes[:k]:
            if old[a.name] != a:
                collate = f" COLLATE {a.collation}" if a.collation else ""
                actions.append(f"ALTER ATTRIBUTE {quote_ident(a.name)} TYPE {a.type}{collate}")
        actions += [f"ADD ATTRIBUTE {_attribute(a)}" for a in self.new.attributes[k:]]
        return actions

    def sql(self) -> tuple[str, ...]:
        return (f"ALTER TYPE {self.new.key} {', '.join(self._actions())}",)

    def describe(self) -> str:
        return f"alter type {self.new.key}: {', '.join(a.lower() for a in self._actions())}"

    @property
    def destructive(self) -> bool:
        return any(a.startswith("DROP ") for a in self._actions())

    def inverse(self) -> Change:
        return AlterComposite(self.new, self.old, self.used)

    @property
    def provides(self) -> frozenset[str]:
        # what uses the new attributes runs after
        return frozenset({type_key(self.new.key)})


@dataclass(frozen=True, slots=True)
class CollatedColumn:
    """A column a recreated collation moves to its new self: table, name and type.

    ALTER COLUMN TYPE gives the column (and the partitions and children it
    recurses to) its type's own storage and no compression: what the column had
    is set again. `moved` False: a partition's or child's column, moved by its
    parent's ALTER, whose storage and compression only are set again.
    """

    table: str
    column: str
    type: str
    storage: str | None = None
    compression: str | None = None
    moved: bool = True


@dataclass(frozen=True, slots=True)
class RecreateCollation(Change):
    """A collation redefined while table columns keep using it.

    PostgreSQL refuses to drop a collation a column uses, and has no ALTER for
    its definition: the old one is renamed away, the new one made under the
    name, each column moved to it (ALTER COLUMN ... TYPE ... COLLATE, which
    keeps the rows and rebuilds the column's indexes), then the old one
    dropped. What else names the collation (a view over such a column, an
    index or a check naming it) is dropped before and made again after
    (studio.diff.depend).
    """

    old: CatalogObject
    new: CatalogObject
    columns: tuple[CollatedColumn, ...] = ()
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        *_, name = split_qualified(self.old.identity)
        temp = temp_name(name)
        schema = self.old.schema or "public"
        out = [
            f"ALTER COLLATION {self.old.identity} RENAME TO {quote_ident(temp)}",
            *self.new.statements,
        ]
        by_table: dict[str, list[CollatedColumn]] = {}
        for c in self.columns:
            by_table.setdefault(c.table, []).append(c)
        for table, cols in by_table.items():
            actions = ", ".join(
                f"ALTER COLUMN {quote_ident(c.column)} TYPE {c.type} COLLATE {self.new.identity}"
                for c in cols
                if c.moved
            )
            if actions:
                out.append(f"ALTER TABLE {table} {actions}")
        for c in self.columns:
            col = quote_ident(c.column)
            if c.storage:
                out.append(
                    f"ALTER TABLE ONLY {c.table} ALTER COLUMN {col} SET STORAGE {c.storage.upper()}"
                )
            if c.compression:
                out.append(
                    f"ALTER TABLE ONLY {c.table} ALTER COLUMN {col} SET COMPRESSION {c.compression}"
                )
        out.append(f"DROP COLLATION {qualname(schema, temp)}")
        return tuple(out)

    def describe(self) -> str:
        moved = counted(sum(c.moved for c in self.columns), "column")
        return f"recreate collation {self.new.identity} ({moved} moved to it)"

    def inverse(self) -> Change:
        return RecreateCollation(self.new, self.old, self.columns)

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.table for c in self.columns))

    @property
    def provides(self) -> frozenset[str]:
        # rebuilt in place: the collation and the columns it moves (what reads them
        # is made again after, what PostgreSQL refuses to keep over them dropped before)
        return object_keys(self.new) | {col_key(c.table, c.column) for c in self.columns}

    @property
    def removes(self) -> frozenset[str]:
        return object_keys(self.old) | {col_key(c.table, c.column) for c in self.columns}

    def _structural_requires(self) -> frozenset[str]:
        return _needs(self.new) | {rel_key(c.table) for c in self.columns}
