"""Lock trace: each step run in a throwaway database, its locks compared with the knowledge base.

`migrate --dry-run --trace` and `lint --trace` use it (`studio.commands.trace`
decides what is traced and what is replayed). The database is a throwaway
one on the dev server (`studio.sources.devdb.lease.dev_database_url`) where the
migrations to replay (those the target has applied) are applied by the
tool's runner; with `rows`, every table the traced statements touch gets
that many synthetic rows (`studio.run.trace.rows`). Then each traced
statement runs, in order, and the relation locks its own backend held are
read from pg_locks (`studio.run.trace.observe`) and compared with what
`studio.plan.locks` predicted for it, in the same context
(`studio.run.trace.compare`). A difference is reported as a defect of the
knowledge base, never silently accepted.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import asyncpg
from pglast import ast, parse_sql
from pglast.parser import ParseError
from pglast.visitors import Visitor

from studio.catalog import connect as db
from studio.errors import translate
from studio.plan.locks.kb import Role
from studio.plan.locks.lint import lint_sources, sources_for_migrations
from studio.run import runner
from studio.run.trace import observe
from studio.run.trace.compare import (
    Defect,
    DefectKind,
    How,
    Observation,
    Relation,
    StatementTrace,
    TraceReport,
    compare,
)
from studio.run.trace.rows import fill
from studio.sources.devdb.lease import dev_database_url
from studio.sqltext.statements import non_transactional_statement

if TYPE_CHECKING:
    from studio.config import Settings
    from studio.migrations.files import Migration
    from studio.plan.locks.lint import StatementReport

__all__ = [
    "Defect",
    "DefectKind",
    "How",
    "Observation",
    "Relation",
    "StatementTrace",
    "TraceReport",
    "compare",
    "trace_migrations",
    "trace_sources",
    "trace_statements",
]


def skip_reason(sql: str) -> str | None:
    """Why a statement is not traced on its own: transaction control, or bind parameters."""
    try:
        stmts = parse_sql(sql)
    except ParseError:
        return None  # the server is the judge
    if len(stmts) == 1 and isinstance(stmts[0].stmt, ast.TransactionStmt):
        return "transaction control: each statement is traced in a transaction of its own"
    found: list[bool] = []

    class _Params(Visitor):
        def visit_ParamRef(self, ancestors: object, node: ast.ParamRef) -> None:
            found.append(True)

    _Params()(stmts[0])
    if found:
        return "bind parameters: a backfill runs in batches by the runner, not traced"
    return None


async def trace_statements(url: str, reports: Sequence[StatementReport]) -> list[StatementTrace]:
    """Run each statement at `url`, in order, and compare its locks; stop at the first error."""
    out: list[StatementTrace] = []
    conn = await db.connect(url)
    try:
        for r in reports:
            base = StatementTrace(r.path, r.line, _first_line(r.statement), r.facts)
            if (why := skip_reason(r.statement)) is not None:
                out.append(_replace(base, skipped=why))
                continue
            started = time.monotonic()
            try:
                if non_transactional_statement(r.statement):
                    tables = [f.relation for f in r.facts if f.role is Role.TABLE]
                    seen = await observe.while_running(conn, url, r.statement, tables)
                else:
                    seen = await observe.in_transaction(conn, r.statement)
            except asyncpg.PostgresError as e:
                msg = str(e).splitlines()[0] if str(e) else type(e).__name__
                out.append(_replace(base, error=msg, seconds=time.monotonic() - started))
                break
            took = time.monotonic() - started
            if not seen.complete and not seen.locks:
                out.append(
                    _replace(
                        base,
                        skipped="it ran outside a transaction and finished before its locks"
                        " could be seen",
                        seconds=took,
                    )
                )
                continue
            out.append(
                _replace(base, observation=seen, defects=compare(r.facts, seen), seconds=took)
            )
    finally:
        await conn.close()
    return out


def _replace(base: StatementTrace, **kw: Any) -> StatementTrace:
    return dataclasses.replace(base, **kw)


def _first_line(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= 100 else first[:97] + "..."


async def trace_migrations(
    settings: Settings,
    replay: Sequence[Migration],
    traced: Sequence[Migration],
    *,
    rows: int = 0,
    major: int | None = None,
) -> TraceReport:
    """Replay `replay` in a throwaway database, then trace every statement of `traced`."""
    wanted = {m.version for m in traced}
    sources = sources_for_migrations([*replay, *traced], wanted)
    return await trace_sources(settings, replay, sources, rows, major)


async def trace_sources(
    settings: Settings,
    replay: Sequence[Migration],
    sources: Sequence[Any],
    rows: int,
    major: int | None,
) -> TraceReport:
    """Replay `replay` in a throwaway database, then trace the statements of lint's `sources`."""
    notes: list[str] = []
    async with dev_database_url(settings, major) as url:
        conn = await db.connect(url, timeout=settings.connect_timeout)
        try:
            with translate("the trace's throwaway database"):
                if replay:
                    # a throwaway database has no old application version: contracts need no
                    # confirmation
                    await runner.apply(conn, settings, replay, confirm_contract=True)
                version = await db.server_version_num(conn)
                report = lint_sources(sources, server_version=version)
                if rows > 0:
                    tables = [
                        f.relation
                        for s in report.statements
                        for f in s.facts
                        if not f.placeholder and f.role is not Role.INDEX
                    ]
                    notes += await fill(conn, list(dict.fromkeys(tables)), rows)
        finally:
            await conn.close()
        statements = await trace_statements(url, report.statements)
    return TraceReport(
        tuple(statements), version, tuple(m.version for m in replay), rows, tuple(notes)
    )
