"""Statements that fail when run a second time: what makes a script unsafe to rerun.

A script run outside a transaction commits statement by statement; when it
stops part way (a failure, a lost connection), it is run again from the top,
and every statement that already ran must then succeed again. Those that do
not: CREATE without IF NOT EXISTS (or OR REPLACE), DROP without IF EXISTS,
ALTER TABLE ... ADD/DROP COLUMN and DROP CONSTRAINT without IF [NOT] EXISTS,
ADD CONSTRAINT (it has no IF NOT EXISTS, unless the script drops it IF
EXISTS first), renames, ATTACH/DETACH PARTITION, ALTER TYPE ... ADD VALUE
without IF NOT EXISTS. Statements that only set something (SET NOT NULL,
VALIDATE CONSTRAINT, COMMENT, GRANT) succeed again, and so does whatever a
temporary table holds (gone with the session) or an unnamed index (a new
name each time).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ObjectType as OT

from studio.plan.locks.parse import isa

# CREATE statements that have IF NOT EXISTS, by node: what to call them
_IF_NOT_EXISTS: dict[type, str] = {
    ast.CreateSeqStmt: "CREATE SEQUENCE",
    ast.CreateSchemaStmt: "CREATE SCHEMA",
    ast.CreateExtensionStmt: "CREATE EXTENSION",
    ast.CreateStatsStmt: "CREATE STATISTICS",
}
# ... and those with OR REPLACE
_OR_REPLACE: dict[type, str] = {
    ast.ViewStmt: "CREATE VIEW",
    ast.CreateFunctionStmt: "CREATE FUNCTION",
    ast.CreateTrigStmt: "CREATE TRIGGER",
}
# ... and those with neither: only a transaction makes them safe to rerun
_NEITHER: dict[type, str] = {
    ast.CreateEnumStmt: "CREATE TYPE ... AS ENUM",
    ast.CompositeTypeStmt: "CREATE TYPE ... AS (...)",
    ast.CreateRangeStmt: "CREATE TYPE ... AS RANGE",
    ast.CreateDomainStmt: "CREATE DOMAIN",
    ast.CreatePolicyStmt: "CREATE POLICY",
}
_ALTER_ONCE = {
    AT.AT_AttachPartition: "ATTACH PARTITION",
    AT.AT_DetachPartition: "DETACH PARTITION",
    AT.AT_AddIdentity: "ADD GENERATED ... AS IDENTITY",
}


def rerun_failures(node: Any, dropped: set[str]) -> Iterator[str]:
    """What in `node` fails when it runs again, having already run once.

    `dropped`: constraint names the script drops IF EXISTS before this
    statement (adding one of them again succeeds).
    """
    if isa(node, ast.CreateForeignTableStmt):
        node = node.base
    kind = type(node)
    if isa(node, ast.CreateStmt) or isa(node, ast.CreateTableAsStmt):
        yield from _create_table(node)
    elif isa(node, ast.SelectStmt) and node.intoClause is not None:
        if node.intoClause.rel.relpersistence != "t":
            yield "SELECT ... INTO (CREATE TABLE IF NOT EXISTS ... AS has the IF NOT EXISTS)"
    elif isa(node, ast.IndexStmt):
        if node.idxname and not node.if_not_exists:
            yield "CREATE INDEX without IF NOT EXISTS"
    elif isa(node, ast.DropStmt):
        if not node.missing_ok:
            yield f"DROP {_object(node.removeType)} without IF EXISTS"
    elif isa(node, ast.AlterTableStmt):
        yield from _alter_table(node, dropped)
    elif isa(node, ast.RenameStmt):
        # IF EXISTS on the relation lets a rerun skip a renamed table, not a renamed column
        if not _whole(node):
            yield f"RENAME of a {_object(node.renameType).lower()} (the old name is gone)"
    elif isa(node, ast.AlterObjectSchemaStmt):
        if not node.missing_ok:
            yield "SET SCHEMA (the object is no longer in the old schema)"
    elif isa(node, ast.AlterEnumStmt):
        if node.oldVal:
            yield "RENAME VALUE (the old value is gone)"
        elif not node.skipIfNewValExists:
            yield "ALTER TYPE ... ADD VALUE without IF NOT EXISTS"
    elif kind in _IF_NOT_EXISTS and not node.if_not_exists:
        yield f"{_IF_NOT_EXISTS[kind]} without IF NOT EXISTS"
    elif kind in _OR_REPLACE and not node.replace:
        yield f"{_OR_REPLACE[kind]} without OR REPLACE"
    elif kind in _NEITHER:
        yield f"{_NEITHER[kind]} (it has no IF NOT EXISTS: run it in a transaction)"


def _whole(node: Any) -> bool:
    """A RENAME of a whole relation under IF EXISTS: a rerun finds no relation and skips."""
    return bool(node.missing_ok) and node.renameType in (
        OT.OBJECT_TABLE, OT.OBJECT_VIEW, OT.OBJECT_MATVIEW, OT.OBJECT_INDEX, OT.OBJECT_SEQUENCE,
        OT.OBJECT_FOREIGN_TABLE,
    )  # fmt: skip


def _create_table(node: Any) -> Iterator[str]:
    rel = node.relation if isa(node, ast.CreateStmt) else node.into.rel
    if node.if_not_exists or rel.relpersistence == "t":
        return  # a temporary table goes with the session: a rerun makes it again
    what = "CREATE TABLE"
    if isa(node, ast.CreateTableAsStmt):
        what = "CREATE MATERIALIZED VIEW" if node.objtype == OT.OBJECT_MATVIEW else what + " AS"
    yield f"{what} without IF NOT EXISTS"


def _alter_table(node: Any, dropped: set[str]) -> Iterator[str]:
    for cmd in node.cmds or ():
        sub = cmd.subtype
        if sub == AT.AT_AddColumn and not cmd.missing_ok:
            yield "ADD COLUMN without IF NOT EXISTS"
        elif sub in (AT.AT_DropColumn, AT.AT_DropConstraint) and not cmd.missing_ok:
            what = "COLUMN" if sub == AT.AT_DropColumn else "CONSTRAINT"
            yield f"DROP {what} without IF EXISTS"
        elif sub == AT.AT_AddConstraint and isa(cmd.def_, ast.Constraint):
            if cmd.def_.conname not in dropped:
                yield "ADD CONSTRAINT (it has no IF NOT EXISTS: DROP CONSTRAINT IF EXISTS first)"
        elif sub in _ALTER_ONCE:
            yield _ALTER_ONCE[sub]


def dropped_constraints(node: Any) -> Iterator[str]:
    """Constraint names an ALTER TABLE drops IF EXISTS (adding them after it is rerunnable)."""
    if isa(node, ast.AlterTableStmt):
        for cmd in node.cmds or ():
            if cmd.subtype == AT.AT_DropConstraint and cmd.missing_ok and cmd.name:
                yield str(cmd.name)


def _object(kind: Any) -> str:
    name = str(kind.name).removeprefix("OBJECT_")
    return "MATERIALIZED VIEW" if name == "MATVIEW" else name.replace("_", " ")
