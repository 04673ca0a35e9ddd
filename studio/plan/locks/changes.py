"""Lock facts of a typed `Change`: its own SQL through the knowledge base, with what it knows added.

A change's statements are what will run, so they are what is analysed (parsed
with pglast, never matched as text). What the SQL alone does not say but the
change knows (the column's type before an ALTER COLUMN TYPE, the table a
dropped index belongs to, the kind of a dropped constraint) is added to the
context first, so the answer does not depend on the caller's context being
complete.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from studio.model import Column, Constraint, Schema, Table, qualname
from studio.model.changes import (
    AlterColumnType,
    DropConstraint,
    DropIndex,
    DropTable,
    RecreateCollation,
    ValidateConstraint,
)
from studio.model.changes.base import split_qualified
from studio.plan.locks.alter import Match
from studio.plan.locks.context import Context
from studio.plan.locks.kb import LockFact
from studio.plan.locks.statements import classify, facts_of
from studio.sqltext.split import parse_statements

if TYPE_CHECKING:
    from studio.model.changes import Change


def _table(ctx: Context, key: str) -> Table:
    t = ctx.table(key)
    if t is not None:
        return t
    schema, name = split_qualified(key)[-2:] if "." in key else (ctx.default_schema, key)
    return Table(schema, name)


def _with_table(ctx: Context, table: Table) -> Context:
    base = ctx.schema or Schema()
    schema = dataclasses.replace(base, tables={**base.tables, table.key: table})
    index_tables = dict(ctx.index_tables)
    for i in table.indexes:
        index_tables[qualname(table.schema, i.name)] = table.key
    return dataclasses.replace(ctx, schema=schema, index_tables=index_tables)


def _with_column(ctx: Context, table: str, column: Column) -> Context:
    t = _table(ctx, table)
    cols = tuple(c for c in t.columns if c.name != column.name) + (column,)
    return _with_table(ctx, dataclasses.replace(t, columns=cols))


def _with_constraint(ctx: Context, table: str, constraint: Constraint) -> Context:
    t = _table(ctx, table)
    cons = tuple(c for c in t.constraints if c.name != constraint.name) + (constraint,)
    return _with_table(ctx, dataclasses.replace(t, constraints=cons))


def enrich(change: Change, context: Context | None = None) -> Context:
    """The context, plus what `change` itself knows about the objects it touches."""
    ctx = context or Context()
    if isinstance(change, AlterColumnType):
        ctx = _with_column(ctx, change.table, change.old)
    elif isinstance(change, DropIndex):
        t = _table(ctx, change.table)
        if t.index(change.index.name) is None:
            ctx = _with_table(ctx, dataclasses.replace(t, indexes=(*t.indexes, change.index)))
    elif isinstance(change, DropConstraint):
        ctx = _with_constraint(ctx, change.table, change.constraint)
    elif isinstance(change, DropTable):
        if ctx.table(change.table.key) is None:
            ctx = _with_table(ctx, change.table)
    elif isinstance(change, RecreateCollation):
        # its columns are on the old collation, renamed away, when they move to the new
        # one of the same name: a collation change, which rebuilds their indexes
        for c in change.columns:
            t = _table(ctx, c.table)
            col = t.column(c.column) or Column(c.column, c.type)
            ctx = _with_column(ctx, c.table, dataclasses.replace(col, collation="(renamed away)"))
    elif (
        isinstance(change, ValidateConstraint) and ctx.constraint(change.table, change.name) is None
    ):
        pass  # nothing typed to add: the facts say what an unknown constraint may cost
    return ctx


def entries_for_change(
    change: Change, server_version: int, context: Context | None = None
) -> tuple[Match, ...]:
    """The knowledge-base entries the statements of `change` are, with their relations."""
    ctx = enrich(change, context)
    out: list[Match] = []
    for sql in change.sql():
        for stmt in parse_statements(sql):
            out.extend(classify(stmt.node, server_version, ctx))
    return tuple(out)


def facts_for_change(
    change: Change, server_version: int, context: Context | None = None
) -> tuple[LockFact, ...]:
    """The locks `change` takes on a server of `server_version`, merged per relation."""
    return facts_of(entries_for_change(change, server_version, context), server_version)
