"""Expand/contract: column renames and rewriting type changes as two migrations (pure).

A rename or a rewriting/incompatible type change breaks the application
version that still runs while the new one rolls out, and a rewrite holds
ACCESS EXCLUSIVE for the whole copy. Planned in phases instead:

- **expand** (`-- schema-studio:phase expand`): the new column is added with
  its new type (nullable, no default: catalog only), together with a trigger
  that keeps old and new in sync in both directions while both application
  versions write; the declared CHECK/FOREIGN KEY constraints of the new column
  are added NOT VALID (checked on every write from then on: a row not yet
  backfilled shows NULL in the new column, which a CHECK lets through); a
  backfill step (`-- schema-studio:backfill`, run in batches by
  `studio.run.backfill`) fills the rows written before the trigger.
- **contract** (`-- schema-studio:phase contract`, its own file, applied once
  the old application version is gone): validate the constraints, drop the
  trigger and its function, drop the old column, rename the new one to its
  final name when the type changed under the same name, set the default and
  NOT NULL the safe way (CHECK NOT VALID, VALIDATE, SET NOT NULL — which then
  skips its scan —, DROP CHECK). The swap is one short transaction.

The sync trigger (BEFORE INSERT OR UPDATE OF both columns):

- INSERT: the new column wins when written (the new application); otherwise it
  is derived from the old one (the old application, or the old column's
  default). So during expand the new column has no default of its own: an
  INSERT cannot tell a default from a written value, and one side must be
  the source. (An explicit NULL written to the new column by the new
  application on INSERT gets the old column's default converted.)
- UPDATE: the side that changed is copied to the other (the new one wins when
  both changed).
- The backfill sets `schema_studio.backfill = on` in its transactions: the
  trigger steps aside, the backfill's UPDATE writes the converted value itself
  and the old column is never rewritten from a back-conversion.

A table rename keeps the old name as a simple view (`CREATE VIEW old AS
SELECT * FROM new`, created in the same transaction as the rename): a
one-table view is automatically updatable, so the old application's reads and
writes go through it with the table's defaults and triggers; the contract
drops the view. (The view belongs to the migrating role: grant the old
application's role on it if that is another role.)

The new column's indexes (those the declared schema has on it, plain,
partial, unique or on expressions) are built at contract, CONCURRENTLY and
before the swap, on the new column under a name of their own; the old
column's go with it when it is dropped, and the swap gives the new ones their
final names.

What is not planned in phases (it is reported, or refused under
`--expand-contract`): a column in a primary key, unique constraint or
exclusion constraint, referenced by a foreign key or a view, an identity,
generated or serial column, a table without a single-column primary key (the
backfill walks it), partitioned tables, and a column change on a table renamed
in the same migration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from studio.errors import StudioError
from studio.migrations.files import StepSpec
from studio.model import (
    Column,
    Constraint,
    ConstraintKind,
    Index,
    Schema,
    Table,
    quote_ident,
)
from studio.model.changes import (
    AddConstraint,
    AlterColumnType,
    Change,
    CreateIndex,
    DropConstraint,
    DropDefault,
    DropIndex,
    DropNotNull,
    RenameColumn,
    RenameConstraint,
    RenameTable,
    SetComment,
    SetDefault,
    SetNotNull,
    ValidateConstraint,
)
from studio.model.changes.casts import is_lossless
from studio.plan.locks.types import rewrites
from studio.plan.moves import (
    BACKFILL_SETTING,
    DEFAULT_BATCH_SIZE,
    ColumnMove,
    Move,
    TableMove,
    contract_steps,
    expand_steps,
    short_ident,
    undo_expand_steps,
)
from studio.sqltext.lexer import lex

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "BACKFILL_SETTING",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_THRESHOLD_ROWS",
    "ColumnMove",
    "ExpandUnsupported",
    "Move",
    "Options",
    "Phases",
    "TableMove",
    "breaking_type_change",
    "plan_phases",
    "wants_phases",
]

# Tables with at least this many rows get expand/contract without being asked.
DEFAULT_THRESHOLD_ROWS = 1_000_000


class ExpandUnsupported(StudioError):
    """A change asked to go through expand/contract that the planner cannot phase."""

    hint = "plan it without --expand-contract (a plain migration), or write the phases by hand"


# --- what needs phases ---------------------------------------------------------------------


def _rewrites(old: str, new: str) -> bool:
    return rewrites(old, new)


def _integer_widening(old: str, new: str) -> bool:
    ints = ("smallint", "integer", "bigint")
    return old in ints and new in ints and old != new


def breaking_type_change(change: AlterColumnType) -> bool:
    """True when the type change rewrites the table or may refuse or alter values."""
    old, new = change.old.type, change.new.type
    if old == new:
        return False  # a collation change only
    return _rewrites(old, new) or not is_lossless(old, new)


def wants_phases(change: Change) -> bool:
    """Whether a change is one expand/contract is for: a rename, or a breaking type change."""
    if isinstance(change, (RenameColumn, RenameTable)):
        return True
    return isinstance(change, AlterColumnType) and breaking_type_change(change)


# --- the plan ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Phases:
    """The expand and contract migrations' steps (the expand's down steps: when all invert)."""

    expand: tuple[StepSpec, ...]
    contract: tuple[StepSpec, ...]
    expand_down: tuple[StepSpec, ...] | None
    moves: tuple[Move, ...]
    # changes that could have been phased but were left plain, and why
    notes: tuple[str, ...] = ()
    # the expand's changes with no inverse (why `expand_down` is None)
    irreversible: tuple[Change, ...] = ()


@dataclass(frozen=True, slots=True)
class Options:
    """When to phase: always (`force`), or for tables with at least `threshold` rows in `sizes`."""

    force: bool = False
    sizes: Mapping[str, int] | None = None
    threshold: int = DEFAULT_THRESHOLD_ROWS
    batch_size: int = DEFAULT_BATCH_SIZE
    server_version: int = 0

    def chosen(self, table: str) -> bool:
        """Whether `table` (qualified, as the live database names it) gets phases."""
        if self.force:
            return True
        if self.sizes is None:
            return False
        return self.sizes.get(table, 0) >= self.threshold


# the steps of a change that stays plain (generate's own step builder, safe forms included)
StepOf = Callable[[Change], Sequence[StepSpec]]


@dataclass
class _Unit:
    """A move and the diff's changes it replaces (mutable while planning)."""

    move: Move
    changes: list[Change] = field(default_factory=list)


def plan_phases(
    changes: Sequence[Change],
    old: Schema,
    new: Schema,
    step: StepOf,
    options: Options,
) -> Phases | None:
    """Split ordered changes into expand and contract steps, or None when nothing needs phases.

    `step` renders a change that stays out of the phases. When every
    candidate had to stay plain, the result has no moves, only `notes`.

    Raises:
        ExpandUnsupported: under `force`, a change that cannot be phased.
    """
    units, notes = _units(changes, old, new, options)
    if not units:
        return Phases((), (), None, (), tuple(notes)) if notes else None
    owner: dict[int, _Unit] = {}
    for unit in units:
        for c in unit.changes:
            owner[id(c)] = unit
    expand: list[StepSpec] = []
    emitted: set[int] = set()
    started: set[int] = set()
    plain: list[Change] = []

    def emit_plain(c: Change) -> None:
        emitted.add(id(c))
        plain.append(c)
        expand.extend(step(c))

    for i, c in enumerate(changes):
        if id(c) in emitted:
            continue
        found = owner.get(id(c))
        if found is None:
            emit_plain(c)
            continue
        unit = found
        if id(unit) in started:
            emitted.add(id(c))
            continue
        started.add(id(unit))
        # what the unit's changes need (a new enum type, a schema) goes first
        needs = frozenset().union(*(u.requires for u in unit.changes))
        for later in changes[i + 1 :]:
            if id(later) not in emitted and id(later) not in owner and later.provides & needs:
                emit_plain(later)
        expand += expand_steps(unit.move, options.batch_size)
        emitted.add(id(c))
    contract = [s for unit in units for s in contract_steps(unit.move)]
    irreversible = tuple(c for c in plain if c.inverse() is None)
    down: list[StepSpec] | None = None if irreversible else []
    if down is not None:
        for c in reversed(plain):
            inverse = c.inverse()
            assert inverse is not None
            down.extend(step(inverse))
        undo = [s for unit in reversed(units) for s in undo_expand_steps(unit.move)]
        down = undo + down
    return Phases(
        tuple(expand),
        tuple(contract),
        None if down is None else tuple(down),
        tuple(u.move for u in units),
        tuple(notes),
        irreversible,
    )


# --- finding the moves ----------------------------------------------------------------------


def _units(
    changes: Sequence[Change], old: Schema, new: Schema, options: Options
) -> tuple[list[_Unit], list[str]]:
    units: list[_Unit] = []
    notes: list[str] = []
    renamed_tables = {c.new: c.old for c in changes if isinstance(c, RenameTable)}
    columns: dict[tuple[str, str], tuple[str, list[Change]]] = {}
    for c in changes:
        if isinstance(c, RenameColumn):
            columns.setdefault((c.table, c.new_name), (c.old_name, []))[1].append(c)
        elif isinstance(c, AlterColumnType) and breaking_type_change(c):
            entry = columns.setdefault((c.table, c.new.name), (c.new.name, []))
            entry[1].append(c)
    for c in changes:
        if isinstance(c, RenameTable) and options.chosen(c.old):
            units.append(_Unit(TableMove(c.old, c.new), [c]))
    for (table, name), (old_name, own) in columns.items():
        live_name = renamed_tables.get(table, table)
        if not options.chosen(live_name):
            continue
        try:
            move = _column_move(
                table, old_name, name, old, new, renamed=table in renamed_tables, options=options
            )
        except ExpandUnsupported as e:
            if options.force:
                raise
            notes.append(e.message)
            continue
        own = own + _related(changes, table, old_name, name, own)
        units.append(_Unit(move, own))
    return units, notes


def _involves(constraint: Constraint, *names: str) -> bool:
    return any(n in constraint.columns for n in names)


def _related(
    changes: Sequence[Change], table: str, old_name: str, name: str, own: list[Change]
) -> list[Change]:
    """The diff's other changes to this column: the move does them its own way."""
    out: list[Change] = []
    column_keys = (f"{table}.{quote_ident(name)}", f"{table}.{quote_ident(old_name)}")
    for c in changes:
        if c in own or getattr(c, "table", None) != table and not isinstance(c, SetComment):
            continue
        if isinstance(c, (SetDefault, DropDefault, SetNotNull, DropNotNull)):
            related = c.column in (name, old_name)
        elif isinstance(c, (AddConstraint, DropConstraint)):
            related = _involves(c.constraint, name, old_name)
        elif isinstance(c, (ValidateConstraint, RenameConstraint)):
            related = _constraint_of(c, name)
        elif isinstance(c, SetComment):
            related = c.object_kind == "COLUMN" and c.object in column_keys
        elif isinstance(c, CreateIndex):
            related = _mentions(c.index.definition, name)  # built at contract, on the new column
        elif isinstance(c, DropIndex):
            # goes with the old column (the diff may show it with the column's new name)
            related = _mentions(c.index.definition, old_name) or _mentions(c.index.definition, name)
        else:
            related = False
        if related:
            out.append(c)
    return out


def _constraint_of(c: ValidateConstraint | RenameConstraint, column: str) -> bool:
    # PostgreSQL 18 names NOT NULL constraints `<table>_<column>_not_null`
    name = c.name if isinstance(c, ValidateConstraint) else c.new_name
    return column in name


def _column_move(
    table: str,
    old_name: str,
    name: str,
    old: Schema,
    new: Schema,
    *,
    renamed: bool,
    options: Options,
) -> ColumnMove:
    where = f"{table}.{quote_ident(old_name)}"
    if renamed:
        raise ExpandUnsupported(
            f"{where}: its table is renamed in the same migration;"
            " rename the table in a migration of its own first"
        )
    t_old, t_new = old.tables.get(table), new.tables.get(table)
    if t_old is None or t_new is None:
        raise ExpandUnsupported(f"{where}: the table is not in both schemas")
    c_old, c_new = t_old.column(old_name), t_new.column(name)
    if c_old is None or c_new is None:
        raise ExpandUnsupported(f"{where}: the column is not in both schemas")
    _check_supported(where, t_old, t_new, c_old, c_new, old)
    pk = t_old.primary_key
    assert pk is not None  # checked above
    taken = {c.name for c in t_old.columns} | {c.name for c in t_new.columns}
    physical = name if old_name != name else _free_name(f"{name}__new", taken)
    old_constraint_names = {c.name for c in t_old.constraints}
    constraints = []
    for con in t_new.constraints:
        if con.kind in (ConstraintKind.CHECK, ConstraintKind.FOREIGN_KEY) and name in con.columns:
            temp = (
                con.name
                if con.name not in old_constraint_names
                else short_ident(f"{con.name}__new")
            )
            constraints.append((con, temp))
    # the new column's indexes: built at contract on the physical column, under a name of
    # their own while an index of the old column may still hold theirs
    index_names = {i.name for i in t_old.indexes} | {i.name for i in t_new.indexes}
    indexes = []
    for index in t_new.indexes:
        if _mentions(index.definition, name):
            old_names = {i.name for i in t_old.indexes}
            temp = (
                index.name
                if index.name not in old_names
                else _free_name(f"{index.name}__new", index_names)
            )
            index_names.add(temp)
            indexes.append((index.name, temp, _index_on(index, temp, name, physical)))
    return ColumnMove(
        table,
        c_old,
        c_new,
        physical,
        pk.columns[0],
        tuple(constraints),
        tuple(indexes),
    )


def _index_on(index: Index, temp: str, column: str, physical: str) -> str:
    """`index`'s definition as CREATE INDEX CONCURRENTLY `temp`, on `physical` for `column`."""
    text = index.definition
    head = f"CREATE {'UNIQUE ' if index.unique else ''}INDEX {quote_ident(index.name)} "
    if not text.startswith(head):
        raise ExpandUnsupported(f"index {quote_ident(index.name)}: unexpected definition {text!r}")
    rest = text[len(head) :]
    if physical != column:
        for start, end, name, kind in reversed(list(lex(rest))):
            if _is_column(rest[start:end], name, kind, column):
                rest = rest[:start] + quote_ident(physical) + rest[end:]
    unique = "UNIQUE " if index.unique else ""
    return f"CREATE {unique}INDEX CONCURRENTLY {quote_ident(temp)} {rest}"


def _check_supported(
    where: str, t_old: Table, t_new: Table, c_old: Column, c_new: Column, old: Schema
) -> None:
    def no(why: str) -> ExpandUnsupported:
        return ExpandUnsupported(f"{where} cannot go through expand/contract: {why}")

    if t_old.partition_key or t_old.partition_of or t_old.inherits:
        raise no("partitioned and inherited tables are not supported")
    pk = t_old.primary_key
    if pk is None or len(pk.columns) != 1:
        raise no("the backfill needs a single-column primary key to walk the table")
    for c in (c_old, c_new):
        if c.identity is not None or c.generated is not None:
            raise no("identity and generated columns are not supported")
        if c.default and "nextval(" in c.default:
            raise no("a column fed by a sequence (serial) is not supported")
    for table, column in ((t_old, c_old.name), (t_new, c_new.name)):
        for con in table.constraints:
            if (
                con.kind not in (ConstraintKind.CHECK, ConstraintKind.FOREIGN_KEY)
                and column in con.columns
            ):
                raise no(
                    f"it is part of {con.kind.name.lower().replace('_', ' ')}"
                    f" {quote_ident(con.name)}"
                )
    for other in old.tables.values():
        for con in other.constraints:
            if con.ref_table == t_old.key and c_old.name in con.ref_columns:
                raise no(f"foreign key {quote_ident(con.name)} of {other.key} references it")
    for view in old.views.values():
        if (
            f"{t_old.key}.{quote_ident(c_old.name)}" in view.depends_on_columns
            or f"{t_old.key}.{c_old.name}" in view.depends_on_columns
        ):
            raise no(f"view {view.key} uses it")


def _mentions(definition: str, column: str) -> bool:
    """Whether an index definition names the column (by its identifier tokens)."""
    tokens = lex(definition)
    return any(_is_column(definition[s:e], name, kind, column) for s, e, name, kind in tokens)


def _is_column(word: str, name: str, kind: str, column: str) -> bool:
    """Whether a token names `column` (an identifier, quoted or not, or an unreserved word)."""
    return word.strip('"') == column and (name == "IDENT" or kind != "NO_KEYWORD")


def _free_name(base: str, taken: Iterable[str]) -> str:
    taken = set(taken)
    name, n = short_ident(base), 2
    while name in taken:
        name, n = short_ident(f"{base}{n}"), n + 1
    return name
