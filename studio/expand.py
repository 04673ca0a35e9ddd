"""Expand/contract: column renames and rewriting type changes as two migrations (pure).

A rename or a rewriting/incompatible type change breaks the application
version that still runs while the new one rolls out, and a rewrite holds
ACCESS EXCLUSIVE for the whole copy. Planned in phases instead:

- **expand** (`-- schema-studio:phase expand`): the new column is added with
  its new type (nullable, no default: catalog only), together with a trigger
  that keeps old and new in sync in both directions while both application
  versions write; the declared CHECK/FOREIGN KEY constraints of the new column
  are added NOT VALID (checked on every write from then on: a row not yet
  backfilled shows NULL in the new column, which a CHECK lets through); a backfill step (`-- schema-studio:backfill`, run in
  batches by `studio.backfill`) fills the rows written before the trigger.
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

What is not planned in phases (it is reported, or refused under
`--expand-contract`): a column in a primary key, unique constraint, exclusion
constraint or index, referenced by a foreign key or a view, an identity,
generated or serial column, a table without a single-column primary key (the
backfill walks it), partitioned tables, and a column change on a table renamed
in the same migration.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from studio.changes import (
    AddConstraint,
    AlterColumnType,
    Change,
    DropConstraint,
    DropDefault,
    DropNotNull,
    RenameColumn,
    RenameConstraint,
    RenameTable,
    SetComment,
    SetDefault,
    SetNotNull,
    ValidateConstraint,
)
from studio.changes.base import split_qualified
from studio.changes.casts import is_lossless, is_widening
from studio.errors import StudioError
from studio.migrations import StepSpec
from studio.model import (
    Column,
    Constraint,
    ConstraintKind,
    Schema,
    Table,
    quote_ident,
    quote_literal,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

# Tables with at least this many rows get expand/contract without being asked.
DEFAULT_THRESHOLD_ROWS = 1_000_000
DEFAULT_BATCH_SIZE = 10_000
# The setting the backfill turns on in its own transactions: the sync trigger steps aside.
BACKFILL_SETTING = "schema_studio.backfill"
_MAX_IDENT = 63


class ExpandUnsupported(StudioError):
    """A change asked to go through expand/contract that the planner cannot phase."""

    hint = "plan it without --expand-contract (a plain migration), or write the phases by hand"


# --- what needs phases ---------------------------------------------------------------------


def _rewrites(old: str, new: str) -> bool:
    try:
        from studio.locks.types import rewrites
    except ImportError:  # the lock knowledge base is optional here
        return not (is_widening(old, new) and not _integer_widening(old, new))
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
class ColumnMove:
    """One column going through expand/contract: renamed, retyped, or both."""

    table: str
    old: Column
    new: Column
    # the new column's name during expand: its final name for a rename, a temporary one
    # when the type changes under the same name (renamed to the final name at contract)
    physical: str
    # the single-column primary key the backfill walks
    key: str
    # declared CHECK / FOREIGN KEY constraints of the new column, and their names during expand
    constraints: tuple[tuple[Constraint, str], ...] = ()

    @property
    def renamed(self) -> bool:
        """The column changes name (the new application writes the new name)."""
        return self.old.name != self.new.name

    @property
    def schema(self) -> str:
        """The table's schema (unquoted)."""
        return split_qualified(self.table)[0]

    @property
    def table_name(self) -> str:
        """The table's name (unquoted)."""
        return split_qualified(self.table)[-1]

    @property
    def sync_name(self) -> str:
        """Name of the sync trigger and of its function."""
        return short_ident(f"{self.table_name}_{self.new.name}_sync")

    @property
    def function(self) -> str:
        """The sync function, qualified."""
        return f"{quote_ident(self.schema)}.{quote_ident(self.sync_name)}"

    @property
    def not_null_check(self) -> str:
        """Name of the CHECK (col IS NOT NULL) that makes SET NOT NULL skip its scan."""
        return short_ident(f"{self.table_name}_{self.new.name}_nn_check")

    def convert(self, value: str) -> str:
        """SQL converting an old-column value to the new type."""
        return f"{value}::{self.new.type}"

    def back(self, value: str) -> str:
        """SQL converting a new-column value back to the old type."""
        return f"{value}::{self.old.type}"

    def describe(self) -> str:
        """One line: what moves."""
        what = []
        if self.renamed:
            what.append(f"rename to {quote_ident(self.new.name)}")
        if self.old.type != self.new.type:
            what.append(f"type {self.old.type} -> {self.new.type}")
        return f"{self.table}.{quote_ident(self.old.name)}: {', '.join(what)}"


@dataclass(frozen=True, slots=True)
class TableMove:
    """A table renamed, its old name kept as an updatable view until the contract."""

    old: str
    new: str

    def describe(self) -> str:
        """One line: what moves."""
        return f"{self.old}: rename to {self.new}"


Move = ColumnMove | TableMove


@dataclass(frozen=True, slots=True)
class Phases:
    """The expand and contract migrations' steps (and the expand's down steps, when every change has an inverse)."""

    expand: tuple[StepSpec, ...]
    contract: tuple[StepSpec, ...]
    expand_down: tuple[StepSpec, ...] | None
    moves: tuple[Move, ...]
    # changes that could have been phased but were left plain, and why
    notes: tuple[str, ...] = ()


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


def plan(
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
        expand += _expand_steps(unit.move, options)
        emitted.add(id(c))
    contract = [s for unit in units for s in _contract_steps(unit.move)]
    down: list[StepSpec] | None = []
    for c in reversed(plain):
        inverse = c.inverse()
        if inverse is None:
            down = None
            break
        assert down is not None
        down.extend(step(inverse))
    if down is not None:
        undo = [s for unit in reversed(units) for s in _undo_expand(unit.move)]
        down = undo + down
    return Phases(
        tuple(expand),
        tuple(contract),
        None if down is None else tuple(down),
        tuple(u.move for u in units),
        tuple(notes),
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
            f"{where}: its table is renamed in the same migration; rename the table in a migration of its own first"
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
    return ColumnMove(
        table,
        c_old,
        c_new,
        physical,
        pk.columns[0],
        tuple(constraints),
    )


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
                    f"it is part of {con.kind.name.lower().replace('_', ' ')} {quote_ident(con.name)}"
                )
        for index in table.indexes:
            if _mentions(index.definition, column):
                raise no(f"index {quote_ident(index.name)} uses it")
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
    from pglast.parser import scan

    ident = column
    for token in scan(definition):
        text = definition[token.start : token.end + 1]
        if text.strip('"') == ident and (token.name == "IDENT" or token.kind != "NO_KEYWORD"):
            return True
    return False


def _free_name(base: str, taken: Iterable[str]) -> str:
    taken = set(taken)
    name, n = short_ident(base), 2
    while name in taken:
        name, n = short_ident(f"{base}{n}"), n + 1
    return name


def short_ident(name: str) -> str:
    """`name` if it fits PostgreSQL's 63 bytes, else cut with a short hash of the whole."""
    if len(name.encode()) <= _MAX_IDENT:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    raw = name.encode()[: _MAX_IDENT - 9].decode(errors="ignore")
    return f"{raw}_{digest}"


# --- SQL of the phases ------------------------------------------------------------------------


def _alter(table: str, action: str) -> str:
    return f"ALTER TABLE {table} {action}"


def sync_function_sql(m: ColumnMove) -> str:
    """CREATE FUNCTION of the trigger keeping both columns in sync (see the module docstring)."""
    o, n = f"NEW.{quote_ident(m.old.name)}", f"NEW.{quote_ident(m.physical)}"
    oo, on = f"OLD.{quote_ident(m.old.name)}", f"OLD.{quote_ident(m.physical)}"
    body = f"""
BEGIN
  -- the backfill writes both sides itself
  IF current_setting({quote_literal(BACKFILL_SETTING)}, true) = 'on' THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF {n} IS NULL THEN
      {n} := {m.convert(o)};
    ELSE
      {o} := {m.back(n)};
    END IF;
  ELSIF {n} IS DISTINCT FROM {on} THEN
    {o} := {m.back(n)};
  ELSIF {o} IS DISTINCT FROM {oo} THEN
    {n} := {m.convert(o)};
  END IF;
  RETURN NEW;
END
"""
    tag = _dollar_tag(body)
    return f"CREATE FUNCTION {m.function}() RETURNS trigger LANGUAGE plpgsql AS {tag}{body}{tag}"


def _dollar_tag(body: str) -> str:
    tag, n = "$sync$", 1
    while tag in body:
        tag, n = f"$sync{n}$", n + 1
    return tag


def sync_trigger_sql(m: ColumnMove) -> str:
    """CREATE TRIGGER firing the sync function on INSERT and on UPDATE of either column."""
    cols = f"{quote_ident(m.old.name)}, {quote_ident(m.physical)}"
    return (
        f"CREATE TRIGGER {quote_ident(m.sync_name)} BEFORE INSERT OR UPDATE OF {cols} ON {m.table} "
        f"FOR EACH ROW EXECUTE FUNCTION {m.function}()"
    )


def backfill_sql(m: ColumnMove) -> str:
    """The backfill's UPDATE: `$1`/`$2` are the batch's first and last primary-key values."""
    key, o, n = quote_ident(m.key), quote_ident(m.old.name), quote_ident(m.physical)
    return (
        f"UPDATE {m.table} SET {n} = {m.convert(o)}\n"
        f"WHERE {key} >= $1 AND {key} <= $2 AND {n} IS NULL AND {o} IS NOT NULL"
    )


def backfill_annotation(table: str, key: str, batch_size: int) -> str:
    """The step comment naming the backfill's table, key and default batch size."""
    return f"backfill table={table} key={key} batch_size={batch_size}"


def _not_valid(definition: str) -> str:
    d = definition.strip()
    return d if d.upper().endswith("NOT VALID") else f"{d} NOT VALID"


def _constraint_sql(m: ColumnMove, con: Constraint, name: str) -> str:
    definition = _not_valid(con.definition)
    stmt = _alter(m.table, f"ADD CONSTRAINT {quote_ident(name)} {definition}")
    if m.physical != m.new.name:
        stmt = _rename_column_refs(stmt, m.new.name, m.physical)
    return stmt


def _rename_column_refs(statement: str, old: str, new: str) -> str:
    """The statement with column references to `old` pointing at `new` (parsed, not regex)."""
    from pglast import ast, parse_sql
    from pglast.stream import RawStream
    from pglast.visitors import Visitor

    class Renamer(Visitor):
        def visit_ColumnRef(self, ancestors: object, node: ast.ColumnRef) -> ast.ColumnRef | None:
            fields = node.fields or ()
            if fields and isinstance(fields[-1], ast.String) and fields[-1].sval == old:
                return ast.ColumnRef(fields=(*fields[:-1], ast.String(sval=new)))
            return None

        def visit_Constraint(self, ancestors: object, node: ast.Constraint) -> None:
            if node.fk_attrs:
                node.fk_attrs = tuple(
                    ast.String(sval=new) if a.sval == old else a for a in node.fk_attrs
                )

    tree = parse_sql(statement)
    Renamer()(tree)
    return str(RawStream()(tree))


def _expand_steps(move: Move, options: Options) -> list[StepSpec]:
    if isinstance(move, TableMove):
        return [
            StepSpec(
                (
                    *RenameTable(move.old, move.new).sql(),
                    f"CREATE VIEW {move.old} AS SELECT * FROM {move.new}",
                ),
                (
                    f"expand: rename table {move.old} to {move.new}, keep {move.old} as an updatable view for the old application",
                    f"lock: ACCESS EXCLUSIVE on {move.old}, catalog only (brief)",
                ),
            )
        ]
    m = move
    column = f"{quote_ident(m.physical)} {m.new.type}"
    if m.new.collation:
        from studio.changes.columns import collation_sql

        column += f" COLLATE {collation_sql(m.new.collation)}"
    steps = [
        StepSpec(
            (
                _alter(m.table, f"ADD COLUMN {column}"),
                sync_function_sql(m),
                sync_trigger_sql(m),
            ),
            (
                (
                    f"expand: add column {m.table}.{quote_ident(m.physical)} {m.new.type} "
                    f"and the trigger keeping it in sync with {quote_ident(m.old.name)}"
                ),
                f"lock: ACCESS EXCLUSIVE on {m.table}, catalog only (nullable, no default: no rewrite)",
            ),
        )
    ]
    checks = [_constraint_sql(m, con, name) for con, name in m.constraints]
    if checks:
        steps.append(
            StepSpec(
                tuple(checks),
                (
                    f"expand: constraints of {m.table}.{quote_ident(m.physical)}, NOT VALID (checked on writes, validated at contract)",
                    f"lock: ACCESS EXCLUSIVE or SHARE ROW EXCLUSIVE on {m.table}, catalog only (no scan)",
                ),
            )
        )
    steps.append(
        StepSpec(
            (backfill_sql(m),),
            (
                f"backfill {m.table}.{quote_ident(m.physical)} from {quote_ident(m.old.name)}",
                backfill_annotation(m.table, quote_ident(m.key), options.batch_size),
                "each batch: its own short transaction under lock_timeout (ROW EXCLUSIVE, row locks of the batch)",
            ),
            backfill=True,
        )
    )
    return steps


def _contract_steps(move: Move) -> list[StepSpec]:
    if isinstance(move, TableMove):
        return [
            StepSpec(
                (f"DROP VIEW {move.old}",),
                (
                    f"contract: drop the view {move.old} the old application used",
                    f"lock: ACCESS EXCLUSIVE on the view {move.old} (brief)",
                ),
            )
        ]
    m = move
    col = quote_ident(m.physical)
    steps: list[StepSpec] = []
    # NOT NULL waits for the contract: a NOT VALID check is still checked on every UPDATE,
    # and a row the backfill has not reached yet holds NULL in the new column
    if m.new.not_null:
        steps.append(
            StepSpec(
                (
                    _alter(
                        m.table,
                        f"ADD CONSTRAINT {quote_ident(m.not_null_check)} CHECK ({col} IS NOT NULL) NOT VALID",
                    ),
                ),
                (
                    f"contract: CHECK ({col} IS NOT NULL) NOT VALID, so that SET NOT NULL skips its scan",
                    f"lock: ACCESS EXCLUSIVE on {m.table}, catalog only",
                ),
            )
        )
    validate = [name for con, name in m.constraints if con.validated]
    if m.new.not_null:
        validate.append(m.not_null_check)
    for name in validate:
        steps.append(
            StepSpec(
                (_alter(m.table, f"VALIDATE CONSTRAINT {quote_ident(name)}"),),
                (
                    f"contract: validate {quote_ident(name)} on {m.table}",
                    f"lock: SHARE UPDATE EXCLUSIVE on {m.table} (scans; reads and writes go on)",
                ),
            )
        )
    swap = [
        f"DROP TRIGGER {quote_ident(m.sync_name)} ON {m.table}",
        f"DROP FUNCTION {m.function}()",
        _alter(m.table, f"DROP COLUMN {quote_ident(m.old.name)}"),
    ]
    if m.physical != m.new.name:
        swap.append(_alter(m.table, f"RENAME COLUMN {col} TO {quote_ident(m.new.name)}"))
    final = quote_ident(m.new.name)
    for con, name in m.constraints:
        if name != con.name:
            swap.append(
                _alter(m.table, f"RENAME CONSTRAINT {quote_ident(name)} TO {quote_ident(con.name)}")
            )
    if m.new.default is not None:
        swap.append(_alter(m.table, f"ALTER COLUMN {final} SET DEFAULT {m.new.default}"))
    if m.new.not_null:
        swap.append(_alter(m.table, f"ALTER COLUMN {final} SET NOT NULL"))
        swap.append(_alter(m.table, f"DROP CONSTRAINT {quote_ident(m.not_null_check)}"))
    if m.new.comment is not None:
        swap.append(f"COMMENT ON COLUMN {m.table}.{final} IS {quote_literal(m.new.comment)}")
    what = f"drop {quote_ident(m.old.name)}"
    if m.physical != m.new.name:
        what += f", rename {col} to {final}"
    if m.new.default is not None:
        what += ", set the default"
    if m.new.not_null:
        what += ", SET NOT NULL (the validated CHECK spares its scan)"
    steps.append(
        StepSpec(
            tuple(swap),
            (
                f"contract: drop the sync trigger, {what}",
                f"lock: ACCESS EXCLUSIVE on {m.table}, one short transaction, catalog only",
            ),
        )
    )
    return steps


def _undo_expand(move: Move) -> list[StepSpec]:
    if isinstance(move, TableMove):
        return [
            StepSpec(
                (f"DROP VIEW {move.old}", *RenameTable(move.new, move.old).sql()),
                (f"undo expand: drop the view {move.old}, rename {move.new} back",),
            )
        ]
    m = move
    return [
        StepSpec(
            (
                f"DROP TRIGGER {quote_ident(m.sync_name)} ON {m.table}",
                f"DROP FUNCTION {m.function}()",
                _alter(m.table, f"DROP COLUMN {quote_ident(m.physical)}"),
            ),
            (f"undo expand: drop the sync trigger and {m.table}.{quote_ident(m.physical)}",),
        )
    ]


def with_batch_size(options: Options, batch_size: int | None) -> Options:
    """`options` with another default batch size (None keeps it)."""
    return options if batch_size is None else replace(options, batch_size=batch_size)
