"""What moves in an expand/contract, and the SQL of each phase (pure).

A `ColumnMove` is one column renamed, retyped or both; a `TableMove` a table
renamed. For each, `expand_steps` renders the expand migration's steps (new
column, sync trigger, NOT VALID constraints, backfill; or the rename and the
view keeping the old name), `contract_steps` the contract's (validate, drop
the trigger and the old column, rename, default, NOT NULL through a
validated CHECK; or drop the view) and `undo_expand_steps` the expand's down
steps. `studio.plan.expand` decides what moves; see its docstring for the why.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from studio.migrations.files import StepSpec
from studio.model import Column, Constraint, quote_ident, quote_literal
from studio.model.changes import RenameTable
from studio.model.changes.base import split_qualified
from studio.model.changes.columns import collation_sql

DEFAULT_BATCH_SIZE = 10_000
# The setting the backfill turns on in its own transactions: the sync trigger steps aside.
BACKFILL_SETTING = "schema_studio.backfill"
_MAX_IDENT = 63


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
    # declared indexes on the new column: (final name, name until the swap, the
    # CREATE INDEX CONCURRENTLY that builds it on the physical column at contract)
    indexes: tuple[tuple[str, str, str], ...] = ()

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
    from pglast import ast, parse_sql  # deferred: pglast loads its parser only when SQL is parsed
    from pglast.stream import RawStream  # deferred: pglast loads its parser only when SQL is parsed
    from pglast.visitors import Visitor  # deferred: pglast loads its parser only when SQL is parsed

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


def expand_steps(move: Move, batch_size: int) -> list[StepSpec]:
    if isinstance(move, TableMove):
        return [
            StepSpec(
                (
                    *RenameTable(move.old, move.new).sql(),
                    f"CREATE VIEW {move.old} AS SELECT * FROM {move.new}",
                ),
                (
                    f"expand: rename table {move.old} to {move.new},"
                    f" keep {move.old} as an updatable view for the old application",
                    f"lock: ACCESS EXCLUSIVE on {move.old}, catalog only (brief)",
                ),
            )
        ]
    m = move
    column = f"{quote_ident(m.physical)} {m.new.type}"
    if m.new.collation:
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
                f"lock: ACCESS EXCLUSIVE on {m.table},"
                " catalog only (nullable, no default: no rewrite)",
            ),
        )
    ]
    checks = [_constraint_sql(m, con, name) for con, name in m.constraints]
    if checks:
        steps.append(
            StepSpec(
                tuple(checks),
                (
                    f"expand: constraints of {m.table}.{quote_ident(m.physical)},"
                    " NOT VALID (checked on writes, validated at contract)",
                    "lock: ACCESS EXCLUSIVE or"
                    f" SHARE ROW EXCLUSIVE on {m.table}, catalog only (no scan)",
                ),
            )
        )
    steps.append(
        StepSpec(
            (backfill_sql(m),),
            (
                f"backfill {m.table}.{quote_ident(m.physical)} from {quote_ident(m.old.name)}",
                backfill_annotation(m.table, quote_ident(m.key), batch_size),
                "each batch: its own short transaction under lock_timeout"
                " (ROW EXCLUSIVE, row locks of the batch)",
            ),
            backfill=True,
        )
    )
    return steps


def contract_steps(move: Move) -> list[StepSpec]:
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
                        f"ADD CONSTRAINT {quote_ident(m.not_null_check)}"
                        f" CHECK ({col} IS NOT NULL) NOT VALID",
                    ),
                ),
                (
                    f"contract: CHECK ({col} IS NOT NULL) NOT VALID,"
                    " so that SET NOT NULL skips its scan",
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
    # the new column's indexes, built before the swap (reads and writes go on); the
    # old column's go with it when it is dropped
    for index_name, temp, create in m.indexes:
        steps.append(
            StepSpec(
                (create,),
                (
                    f"contract: build index {quote_ident(index_name)} on {m.table}.{col}"
                    + (f" as {quote_ident(temp)} until the swap" if temp != index_name else ""),
                    f"lock: SHARE UPDATE EXCLUSIVE on {m.table}"
                    " (builds concurrently; reads and writes go on)",
                ),
                transactional=False,
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
    for index_name, temp, _ in m.indexes:
        if temp != index_name:
            index = f"{quote_ident(m.schema)}.{quote_ident(temp)}"
            swap.append(f"ALTER INDEX {index} RENAME TO {quote_ident(index_name)}")
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


def undo_expand_steps(move: Move) -> list[StepSpec]:
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
