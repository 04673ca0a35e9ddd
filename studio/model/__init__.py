"""The schema model: immutable values that two sources are compared by.

A `Schema` holds every object kind schema-studio manages, keyed by qualified
name. Text forms (types, defaults, definitions) are PostgreSQL's own
(`format_type`, `pg_get_expr`, `pg_get_*def`), so two schemas read from two
databases compare equal exactly when PostgreSQL would build the same objects.
Fields that do not make a difference to PostgreSQL's behaviour (column
position, an extension's installed version) are kept for display but left out
of `==`.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import re
import typing
from dataclasses import dataclass, field

from studio.model import json_form as model_json

# quote_identifier() in PostgreSQL's ruleutils.c leaves a name bare only when it is lower-case
# ASCII letters, digits and underscores, not starting with a digit ('$', which an unquoted
# identifier may hold, is quoted too), and not a keyword it quotes
_SAFE_IDENT = re.compile(r"[a-z_][a-z0-9_]*")
# PostgreSQL's quote_ident() quotes every keyword that is not unreserved: the
# reserved, column-name and type-or-function-name keywords of its kwlist.h
# (PostgreSQL 18). Spelled out rather than imported from pglast.keywords,
# which loads all of pglast (its parser, 15 ms) into every command that reads
# a schema; tests/unit/test_model.py checks the two agree.
QUOTED_KEYWORDS = frozenset(
    """
    all analyse analyze and any array as asc asymmetric authorization between bigint
    binary bit boolean both case cast char character check coalesce collate collation
    column concurrently constraint create cross current_catalog current_date current_role
    current_schema current_time current_timestamp current_user dec decimal default
    deferrable desc distinct do else end except exists extract false fetch float for
    foreign freeze from full grant greatest group grouping having ilike in initially inner
    inout int integer intersect interval into is isnull join json json_array json_arrayagg
    json_exists json_object json_objectagg json_query json_scalar json_serialize
    json_table json_value lateral leading least left like limit localtime localtimestamp
    merge_action national natural nchar none normalize not notnull null nullif numeric
    offset on only or order out outer overlaps overlay placing position precision primary
    real references returning right row select session_user setof similar smallint some
    substring symmetric system_user table tablesample then time timestamp to trailing
    treat trim true union unique user using values varchar variadic verbose when where
    window with xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces
    xmlparse xmlpi xmlroot xmlserialize xmltable
    """.split()  # noqa: SIM905  (a word list reads better as words)
)


# the same names are quoted over and over (ids and keys of every object the studio shows):
# 127,000 calls diffing two 1,000-table schemas, most of them for a few thousand names
@functools.lru_cache(maxsize=1 << 16)
def quote_ident(
    name: str, *, keywords: frozenset[str] = QUOTED_KEYWORDS, quote_all: bool = False
) -> str:
    """Quote an identifier the way PostgreSQL's quote_ident() does (only when needed).

    `keywords` and `quote_all` are a server's own, when known (`studio.catalog.tables.Quoter`):
    by default PostgreSQL 18's keywords, quote_all_identifiers off.
    """
    if quote_all or name in keywords or not _SAFE_IDENT.fullmatch(name):
        return '"' + name.replace('"', '""') + '"'
    return name


def quote_literal(value: str) -> str:
    """Quote a string literal (for DDL that takes no bind parameters, e.g. COMMENT)."""
    if "\\" in value:
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + value.replace("'", "''") + "'"


def qualname(schema: str, name: str) -> str:
    """The key and SQL form of a schema-qualified object: `schema.name`, quoted as needed."""
    return f"{quote_ident(schema)}.{quote_ident(name)}"


# identifiers longer than NAMEDATALEN - 1 bytes are cut by PostgreSQL
NAMEDATALEN = 64


def make_object_name(name1: str, name2: str | None, label: str) -> str:
    """The name PostgreSQL chooses for `<name1>[_<name2>]_<label>` (makeObjectName).

    The longer part is cut, a byte at a time, until the whole fits in
    NAMEDATALEN - 1 bytes, without splitting a multibyte character.
    """
    b1, b2 = name1.encode(), (name2 or "").encode()
    avail = NAMEDATALEN - 1 - (len(label) + 1 + (name2 is not None))
    n1, n2 = len(b1), len(b2)
    while n1 + n2 > avail:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    part1 = b1[:n1].decode(errors="ignore")
    if name2 is None:
        return f"{part1}_{label}"
    part2 = b2[:n2].decode(errors="ignore")
    return f"{part1}_{part2}_{label}"


class ConstraintKind(enum.StrEnum):
    """pg_constraint.contype values that the model keeps (NOT NULL lives on the column)."""

    PRIMARY_KEY = "p"
    UNIQUE = "u"
    FOREIGN_KEY = "f"
    CHECK = "c"
    EXCLUSION = "x"


@dataclass(frozen=True, slots=True)
class SequenceOptions:
    """Options shared by sequences and identity columns."""

    data_type: str = "bigint"
    start: int = 1
    increment: int = 1
    min_value: int = 1
    max_value: int = 9223372036854775807
    cache: int = 1
    cycle: bool = False


@dataclass(frozen=True, slots=True)
class Identity:
    """An identity column: GENERATED ALWAYS (always=True) or BY DEFAULT, with its sequence."""

    always: bool
    options: SequenceOptions = SequenceOptions()
    # the sequence behind it (schema-qualified), for the statements that read its
    # current value; PostgreSQL names it, so it is not compared
    sequence: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Column:
    """A table column; `position` is for display only (PostgreSQL cannot reorder columns)."""

    name: str
    type: str
    not_null: bool = False
    default: str | None = None
    identity: Identity | None = None
    generated: str | None = None
    # "stored" or "virtual" (PostgreSQL 18) when `generated` is set
    generated_kind: str | None = None
    collation: str | None = None
    comment: str | None = None
    # PostgreSQL 18 names NOT NULL constraints; kept only when the name is not the default one
    not_null_name: str | None = None
    # PostgreSQL 18: NOT NULL ... NOT VALID
    not_null_valid: bool = True
    position: int = field(default=0, compare=False)
    # ALTER COLUMN SET STATISTICS; None is the server's default_statistics_target
    statistics: int | None = None
    # ALTER COLUMN SET STORAGE (plain, external, extended, main) when not the type's own
    storage: str | None = None
    # the type's own storage, known when `storage` is set: what resetting it writes
    type_storage: str | None = field(default=None, compare=False)
    # ALTER COLUMN SET COMPRESSION (pglz, lz4; PostgreSQL 14+); None is default_toast_compression
    compression: str | None = None
    # ALTER COLUMN SET (n_distinct=..., n_distinct_inherited=...): pg_attribute.attoptions, sorted
    options: tuple[str, ...] = ()
    # an INHERITS child's column that only comes from its parents (not
    # attislocal): CREATE TABLE leaves it out, and so does pg_dump. Compared,
    # but no ALTER flips it on a column that stays inherited: the diff names
    # such a difference as one it cannot reach. Never set on a partition's
    # columns (a partition is made as a table of its own and attached).
    inherited: bool = False


@dataclass(frozen=True, slots=True)
class Constraint:
    """A table constraint; `definition` is pg_get_constraintdef() and decides equality."""

    name: str
    kind: ConstraintKind
    definition: str
    columns: tuple[str, ...] = ()
    validated: bool = True
    deferrable: bool = False
    initially_deferred: bool = False
    no_inherit: bool = False
    # foreign keys
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()
    on_update: str | None = None
    on_delete: str | None = None
    match: str | None = None
    # unique / primary key / exclusion: the backing index's name
    index: str | None = None
    comment: str | None = None
    # a partition's key constraint whose index is attached to an index of the
    # parent (qualified): it goes when that one is dropped
    attached_to: str | None = None


@dataclass(frozen=True, slots=True)
class Index:
    """An index not owned by a constraint; `definition` is pg_get_indexdef()."""

    name: str
    definition: str
    unique: bool = False
    method: str = "btree"
    # key columns or expressions, in order, with opclass and sort order where not default
    keys: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    predicate: str | None = None
    nulls_not_distinct: bool = False
    # an interrupted CREATE INDEX CONCURRENTLY leaves an invalid index
    valid: bool = True
    tablespace: str | None = None
    comment: str | None = None
    # a partition's index attached to an index of the parent (qualified): made
    # with it, and dropped with it (PostgreSQL has no DETACH for an index)
    attached_to: str | None = None


@dataclass(frozen=True, slots=True)
class Trigger:
    """A trigger; `definition` is pg_get_triggerdef()."""

    name: str
    definition: str
    function: str
    # pg_trigger.tgenabled: O (origin), D (disabled), R (replica), A (always)
    enabled: str = "O"
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """A row-level security policy."""

    name: str
    command: str = "ALL"
    permissive: bool = True
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    with_check: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """A table, partitioned table or partition, with what hangs off it."""

    schema: str
    name: str
    columns: tuple[Column, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    policies: tuple[Policy, ...] = ()
    # pg_get_partkeydef(), for a partitioned table
    partition_key: str | None = None
    # qualified name of the parent and the bound, for a partition
    partition_of: str | None = None
    partition_bound: str | None = None
    # legacy inheritance parents (qualified)
    inherits: tuple[str, ...] = ()
    unlogged: bool = False
    rls_enabled: bool = False
    rls_forced: bool = False
    # storage parameters, sorted; the TOAST table's own are prefixed `toast.`
    options: tuple[str, ...] = ()
    comment: str | None = None
    # REPLICA IDENTITY: default, full, nothing or index (USING INDEX `replica_index`). An
    # identity index dropped leaves relreplident 'i' with no index, which PostgreSQL treats
    # as NOTHING: it is read as nothing.
    replica_identity: str = "default"
    replica_index: str | None = None
    # the table access method when not heap (CREATE TABLE ... USING, SET ACCESS METHOD)
    access_method: str | None = None

    @property
    def key(self) -> str:
        """Qualified name."""
        return qualname(self.schema, self.name)

    def column(self, name: str) -> Column | None:
        """The column called `name`, if any."""
        return next((c for c in self.columns if c.name == name), None)

    def constraint(self, name: str) -> Constraint | None:
        """The constraint called `name`, if any."""
        return next((c for c in self.constraints if c.name == name), None)

    def index(self, name: str) -> Index | None:
        """The index called `name`, if any."""
        return next((i for i in self.indexes if i.name == name), None)

    @property
    def primary_key(self) -> Constraint | None:
        """The primary key constraint, if any."""
        return next((c for c in self.constraints if c.kind is ConstraintKind.PRIMARY_KEY), None)


@dataclass(frozen=True, slots=True)
class View:
    """A view or materialized view; `definition` is pg_get_viewdef()."""

    schema: str
    name: str
    definition: str
    materialized: bool = False
    columns: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    # relations (qualified) and columns (qualified.column) the view reads, from pg_depend
    depends_on: tuple[str, ...] = ()
    depends_on_columns: tuple[str, ...] = ()
    indexes: tuple[Index, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    comment: str | None = None

    @property
    def key(self) -> str:
        """Qualified name."""
        return qualname(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class EnumType:
    """An enum type with its labels in sort order."""

    schema: str
    name: str
    labels: tuple[str, ...]
    comment: str | None = None

    @property
    def key(self) -> str:
        """Qualified name."""
        return qualname(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class DomainConstraint:
    """A CHECK constraint of a domain."""

    name: str
    definition: str
    validated: bool = True


@dataclass(frozen=True, slots=True)
class Domain:
    """A domain over a base type."""

    schema: str
    name: str
    base_type: str
    not_null: bool = False
    default: str | None = None
    collation: str | None = None
    constraints: tuple[DomainConstraint, ...] = ()
    comment: str | None = None

    @property
    def key(self) -> str:
        """Qualified name."""
        return qualname(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Sequence:
    """A sequence (identity sequences belong to their column and are not listed)."""

    schema: str
    name: str
    options: SequenceOptions = SequenceOptions()
    # "schema.table.column" (qualified table) when OWNED BY a column
    owned_by: str | None = None
    comment: str | None = None

    @property
    def key(self) -> str:
        """Qualified name."""
        return qualname(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Function:
    """A function, procedure or aggregate; keyed by name and identity arguments."""

    schema: str
    name: str
    arguments: str
    # f function, p procedure, a aggregate, w window
    kind: str
    definition: str
    returns: str | None = None
    language: str | None = None
    comment: str | None = None

    @property
    def key(self) -> str:
        """Qualified name with the identity arguments."""
        return f"{qualname(self.schema, self.name)}({self.arguments})"


@dataclass(frozen=True, slots=True)
class CompositeAttribute:
    """One attribute of a composite type."""

    name: str
    type: str
    # a collation other than the type's own, qualified
    collation: str | None = None


@dataclass(frozen=True, slots=True)
class CompositeType:
    """A composite type (CREATE TYPE ... AS (...)); attributes in order."""

    schema: str
    name: str
    attributes: tuple[CompositeAttribute, ...] = ()
    comment: str | None = None

    @property
    def key(self) -> str:
        """Qualified name."""
        return qualname(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class CatalogObject:
    """An object kept as the statements that create it, rebuilt from the catalog.

    Range types, collations, text search dictionaries and configurations,
    operators, operator families and classes, casts, rules and extended
    statistics: compared by those statements, changed by dropping and
    creating again.
    """

    # 'range type', 'collation', 'text search dictionary', 'text search configuration',
    # 'operator', 'operator family', 'operator class', 'cast', 'rule' or 'statistics'
    kind: str
    # what DROP <kind> names: `public.r`, `public.=== (integer, integer)`, `(a AS b)`,
    # `r ON public.t`, `public.my_ops USING btree`
    identity: str
    statements: tuple[str, ...]
    schema: str | None = None  # None for a cast
    # what must exist first: types as format_type prints them, function keys, relations,
    # and objects of these kinds by their `key` (an operator class's operators and family)
    types: tuple[str, ...] = field(default=(), compare=False)
    functions: tuple[str, ...] = field(default=(), compare=False)
    relations: tuple[str, ...] = field(default=(), compare=False)
    objects: tuple[str, ...] = field(default=(), compare=False)
    comment: str | None = None
    # an operator class whose CREATE made its family (of its name, holding nothing else):
    # the family is not an object of its own, and goes with the class
    makes_family: bool = False

    @property
    def key(self) -> str:
        """The kind and identity (a cast's and a rule's identity alone is not unique)."""
        return f"{self.kind}:{self.identity}"


@dataclass(frozen=True, slots=True)
class Extension:
    """An installed extension; its version is shown, not compared."""

    name: str
    schema: str
    version: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        """The extension's name (unique per database)."""
        return quote_ident(self.name)


@dataclass(frozen=True, slots=True)
class Namespace:
    """A schema (namespace)."""

    name: str
    comment: str | None = None

    @property
    def key(self) -> str:
        """The schema's quoted name."""
        return quote_ident(self.name)


@dataclass(frozen=True, slots=True)
class Privilege:
    """One granted privilege (only read when privileges are compared)."""

    object_kind: str
    object: str
    grantee: str
    privilege: str
    grantable: bool = False
    column: str | None = None


@dataclass(frozen=True, slots=True)
class Unmodelled:
    """An object of a kind the model does not hold: named, never diffed.

    `kind` and `identity` are pg_identify_object()'s (`operator`,
    `public.<<<(text,text)`), the same text for the same object in any
    database; `schema` is its namespace (None for database-wide kinds).
    """

    kind: str
    identity: str
    schema: str | None = None

    @property
    def key(self) -> str:
        """The kind and identity: `operator public.<<<(text,text)`."""
        return f"{self.kind} {self.identity}"


@dataclass(frozen=True)
class Schema:
    """A whole database schema: every managed object, keyed by qualified name.

    The mappings are never mutated after construction; build a new Schema
    (`dataclasses.replace`) to change one.
    """

    namespaces: dict[str, Namespace] = field(default_factory=dict)
    extensions: dict[str, Extension] = field(default_factory=dict)
    enums: dict[str, EnumType] = field(default_factory=dict)
    domains: dict[str, Domain] = field(default_factory=dict)
    sequences: dict[str, Sequence] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    composites: dict[str, CompositeType] = field(default_factory=dict)
    objects: dict[str, CatalogObject] = field(default_factory=dict)
    # privileges and owners are empty unless asked for (--with-privileges)
    privileges: tuple[Privilege, ...] = ()
    owners: dict[str, str] = field(default_factory=dict)
    # what each object uses, from pg_depend: dependency key (studio.model.keys)
    # -> the keys of the objects it depends on. How the objects came to be,
    # not what they are: left out of `==`. Empty for a schema not read from a
    # catalog; the differ then falls back on the references in expressions.
    dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    # objects of kinds the model lacks (operators, rules, casts, ...): never
    # diffed, but part of equality, so two schemas that differ only by them
    # are not equal and the difference is reported (studio.diff.unmodelled)
    unmodelled: dict[str, Unmodelled] = field(default_factory=dict)

    def to_json(self, *, indent: int | None = None) -> str:
        """Serialize to JSON, in a stable order."""
        return model_json.encode(self, indent=indent)

    @classmethod
    def from_json(cls, text: str) -> Schema:
        """Read back what `to_json` wrote."""
        value = model_json.decode(Schema, text)
        assert isinstance(value, Schema)
        return value

    def restrict(self, names: typing.Iterable[str]) -> Schema:
        """The part of the schema that lives in the namespaces `names` (extensions kept)."""
        keep = frozenset(names)
        return dataclasses.replace(
            self,
            namespaces={k: v for k, v in self.namespaces.items() if v.name in keep},
            enums={k: v for k, v in self.enums.items() if v.schema in keep},
            domains={k: v for k, v in self.domains.items() if v.schema in keep},
            sequences={k: v for k, v in self.sequences.items() if v.schema in keep},
            tables={k: v for k, v in self.tables.items() if v.schema in keep},
            views={k: v for k, v in self.views.items() if v.schema in keep},
            functions={k: v for k, v in self.functions.items() if v.schema in keep},
            composites={k: v for k, v in self.composites.items() if v.schema in keep},
            objects={k: v for k, v in self.objects.items() if v.schema is None or v.schema in keep},
            unmodelled={
                k: v for k, v in self.unmodelled.items() if v.schema is None or v.schema in keep
            },
        )

    def object_count(self) -> int:
        """How many top-level objects the schema holds."""
        return sum(
            len(m)
            for m in (
                self.namespaces,
                self.extensions,
                self.enums,
                self.domains,
                self.sequences,
                self.tables,
                self.views,
                self.functions,
                self.composites,
                self.objects,
            )
        )
