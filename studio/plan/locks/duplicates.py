"""Columns a statement declares or assigns twice: PostgreSQL refuses the statement.

Declared: a table's columns (CREATE [FOREIGN] TABLE), the columns of
CREATE TABLE ... AS, SELECT ... INTO and a view, named by their column list
or else as PostgreSQL names a select list's columns (FigureColname: the
alias, the column, the function, `?column?`). Assigned: INSERT's column
list, UPDATE's SET (including `(a, b) = ...`), ON CONFLICT DO UPDATE SET,
MERGE's UPDATE SET and INSERT list. Assigning parts of one column (`a.x`,
`a.y`; `a[1]`, `a[2]`) is allowed; the whole column and a part of it is not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast

from studio.plan.locks.parse import isa

# a (column name, only part of it assigned) list
Columns = list[tuple[str, bool]]

# FigureColname's names for expression kinds (parse_target.c), each with its strength: 2 for
# a name of its own, 1 for a fallback a type cast overrides, 0 for none (`?column?`)
_NODE_NAMES: dict[type, tuple[str, int]] = {
    ast.A_ArrayExpr: ("array", 2),
    ast.RowExpr: ("row", 2),
    ast.CoalesceExpr: ("coalesce", 2),
    ast.GroupingFunc: ("grouping", 2),
    ast.A_Const: ("?column?", 0),
    ast.BoolExpr: ("?column?", 0),
    ast.NullTest: ("?column?", 0),
    ast.BooleanTest: ("?column?", 0),
    ast.ParamRef: ("?column?", 0),
}
_TIME_FUNCTIONS = ("CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "LOCALTIME",
                   "LOCALTIMESTAMP")  # fmt: skip


def duplicate_columns(node: Any) -> list[str]:
    """The column names `node` declares or assigns more than once, sorted."""
    dupes: set[str] = set()
    for cols in _column_lists(node):
        names = [name for name, _ in cols]
        for name in set(names):
            parts = [partial for n, partial in cols if n == name]
            if len(parts) > 1 and not all(parts):
                dupes.add(name)
    return sorted(dupes)


def _column_lists(node: Any) -> Iterator[Columns]:
    if isa(node, ast.CreateForeignTableStmt):
        node = node.base
    if isa(node, ast.CreateStmt):
        yield [(str(el.colname), False) for el in node.tableElts or () if isa(el, ast.ColumnDef)]
    elif isa(node, ast.CreateTableAsStmt):
        yield _declared(node.into.colNames, node.query)
    elif isa(node, ast.ViewStmt):
        yield _declared(node.aliases, node.query)
    elif isa(node, ast.SelectStmt) and node.intoClause is not None:
        yield _declared(None, node)
    elif isa(node, ast.InsertStmt):
        yield _assigned(node.cols)
        if node.onConflictClause is not None:
            yield _assigned(node.onConflictClause.targetList)
    elif isa(node, ast.UpdateStmt):
        yield _assigned(node.targetList)
    elif isa(node, ast.MergeStmt):
        for clause in node.mergeWhenClauses or ():
            yield _assigned(clause.targetList)


def _assigned(targets: Any) -> Columns:
    """Assignment targets: a column, or a part of one (a field or an element)."""
    return [(str(t.name), bool(t.indirection)) for t in targets or ()]


def _declared(names: Any, query: Any) -> Columns:
    """The columns of a query's result: the names given first, then the select list's own."""
    given = [str(n.sval) for n in names or ()]
    while isa(query, ast.SelectStmt) and query.larg is not None:
        query = query.larg  # a UNION's columns are named by its first branch
    figured = [_colname(t) for t in (query.targetList or ()) if isa(query, ast.SelectStmt)]
    return [(n, False) for n in given + figured[len(given) :] if n is not None]


def _colname(target: Any) -> str | None:
    """The name PostgreSQL gives a select-list entry; None when lint cannot tell (`*`)."""
    if target.name:
        return str(target.name)
    figured = _figure(target.val)
    return figured[0] if figured is not None else None


def _figure(expr: Any) -> tuple[str, int] | None:
    """FigureColnameInternal: (name, strength), or None where lint does not follow it."""
    if isa(expr, ast.ColumnRef):
        last = expr.fields[-1]
        return (str(last.sval), 2) if isa(last, ast.String) else None
    if isa(expr, ast.FuncCall):
        return str(expr.funcname[-1].sval), 2
    if isa(expr, ast.TypeCast):
        inner = _figure(expr.arg)
        if inner is None or inner[1] > 1:
            return inner
        return str(expr.typeName.names[-1].sval), 1
    if isa(expr, ast.A_Indirection):
        fields = [i for i in expr.indirection or () if isa(i, ast.String)]
        return (str(fields[-1].sval), 2) if fields else _figure(expr.arg)
    if isa(expr, ast.CollateClause):
        return _figure(expr.arg)
    if isa(expr, ast.CaseExpr):
        inner = _figure(expr.defresult) if expr.defresult is not None else ("?column?", 0)
        return inner if inner is None or inner[1] > 1 else ("case", 1)
    if isa(expr, ast.A_Expr):
        return ("nullif", 2) if expr.kind.name == "AEXPR_NULLIF" else ("?column?", 0)
    if isa(expr, ast.MinMaxExpr):
        return ("greatest" if expr.op.name == "IS_GREATEST" else "least"), 2
    if isa(expr, ast.SQLValueFunction):
        op = expr.op.name.removeprefix("SVFOP_").removesuffix("_N")
        return (op.lower(), 2) if op in _TIME_FUNCTIONS else None
    if isa(expr, ast.SubLink):
        kind = expr.subLinkType.name
        return {"EXISTS_SUBLINK": ("exists", 2), "ARRAY_SUBLINK": ("array", 2)}.get(kind)
    return _NODE_NAMES.get(type(expr))
