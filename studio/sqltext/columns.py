"""Which tables and columns a statement names, drops and renames (pglast's tree, never a regex).

Read by the runner to tell whether a later migration may run while an
earlier contract migration waits (`studio.run.phases`): the contract drops
and renames columns; the later one must not use them. Names are compared as
PostgreSQL folds them (pglast gives them unquoted); a table named without a
schema is taken to be in `public`, the usual search_path. A statement pglast
cannot parse names nothing; a function's body is a string, not read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from studio.sqltext.lexer import literal_rows, without

# (schema, table), unquoted
Relation = tuple[str, str]
DEFAULT_SCHEMA = "public"


@dataclass(frozen=True, slots=True)
class ColumnUse:
    """What one statement names and takes away, by table and column name."""

    # the tables (and views) it names
    relations: frozenset[Relation] = frozenset()
    # every column name it mentions: references, definitions, ALTER TABLE subcommands, renames
    columns: frozenset[str] = frozenset()
    # (schema, table, column) it drops
    dropped: frozenset[tuple[str, str, str]] = frozenset()
    # (schema, table, old name, new name) it renames
    renamed: frozenset[tuple[str, str, str, str]] = frozenset()
    # relations it drops (DROP TABLE / VIEW) or renames (ALTER TABLE ... RENAME TO)
    removed: frozenset[Relation] = frozenset()
    # (schema, relation, new name) of those it renames
    renamed_relations: frozenset[tuple[str, str, str]] = frozenset()


@dataclass
class _Found:
    relations: set[Relation] = field(default_factory=set)
    columns: set[str] = field(default_factory=set)
    dropped: set[tuple[str, str, str]] = field(default_factory=set)
    renamed: set[tuple[str, str, str, str]] = field(default_factory=set)
    removed: set[Relation] = field(default_factory=set)
    renamed_relations: set[tuple[str, str, str]] = field(default_factory=set)


def _relation(node: Any) -> Relation:
    return (str(node.schemaname or DEFAULT_SCHEMA), str(node.relname or ""))


def column_use(sql: str) -> ColumnUse:
    """The tables and columns one statement names, drops and renames."""
    # deferred: pglast loads libpg_query, which the CLI does not always need
    from pglast import ast, parse_sql
    from pglast.enums import AlterTableType, ObjectType  # deferred: as above
    from pglast.parser import ParseError  # deferred: as above
    from pglast.visitors import Visitor  # deferred: as above

    try:
        stmts = parse_sql(without(sql, literal_rows(sql)))
    except ParseError:
        return ColumnUse()
    found = _Found()

    class _Collect(Visitor):
        def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
            found.relations.add(_relation(node))

        def visit_ColumnRef(self, ancestors: object, node: ast.ColumnRef) -> None:
            names = [f.sval for f in node.fields or () if isinstance(f, ast.String)]
            if names:
                found.columns.add(str(names[-1]))

        def visit_ColumnDef(self, ancestors: object, node: ast.ColumnDef) -> None:
            if node.colname:
                found.columns.add(str(node.colname))

        def visit_ResTarget(self, ancestors: object, node: ast.ResTarget) -> None:
            if node.name:
                found.columns.add(str(node.name))

        def visit_IndexElem(self, ancestors: object, node: ast.IndexElem) -> None:
            if node.name:
                found.columns.add(str(node.name))

        def visit_CreateTrigStmt(self, ancestors: object, node: ast.CreateTrigStmt) -> None:
            found.columns.update(
                str(c.sval) for c in node.columns or () if isinstance(c, ast.String)
            )

        def visit_Constraint(self, ancestors: object, node: ast.Constraint) -> None:
            for names in (node.keys, node.fk_attrs, node.pk_attrs, node.including):
                found.columns.update(str(c.sval) for c in names or () if isinstance(c, ast.String))

    for raw in stmts:
        node = raw.stmt
        if node is None:
            continue
        _Collect()(node)
        if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
            schema, table = _relation(node.relation)
            for cmd in node.cmds or ():
                if cmd.name:
                    found.columns.add(str(cmd.name))
                if cmd.subtype == AlterTableType.AT_DropColumn and cmd.name:
                    found.dropped.add((schema, table, str(cmd.name)))
        elif isinstance(node, ast.RenameStmt) and node.relation is not None:
            schema, table = _relation(node.relation)
            if node.renameType == ObjectType.OBJECT_COLUMN and node.subname and node.newname:
                found.columns.update((str(node.subname), str(node.newname)))
                found.renamed.add((schema, table, str(node.subname), str(node.newname)))
            elif node.renameType in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW):
                found.removed.add((schema, table))
                if node.newname:
                    found.renamed_relations.add((schema, table, str(node.newname)))
        elif isinstance(node, ast.DropStmt) and node.removeType in (
            ObjectType.OBJECT_TABLE,
            ObjectType.OBJECT_VIEW,
        ):
            for obj in node.objects or ():
                parts = [str(p.sval) for p in obj if isinstance(p, ast.String)]
                rel = (parts[-2], parts[-1]) if len(parts) >= 2 else (DEFAULT_SCHEMA, parts[-1])
                found.removed.add(rel)
                found.relations.add(rel)
    return ColumnUse(
        frozenset(found.relations),
        frozenset(found.columns),
        frozenset(found.dropped),
        frozenset(found.renamed),
        frozenset(found.removed),
        frozenset(found.renamed_relations),
    )
