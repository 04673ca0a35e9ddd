"""`lint`: hazards of SQL files, or of the migrations the target has not finished.

The analysis is `studio.plan.locks.lint` (pure); this use case decides
what is linted: the files given, else the migrations directory with its
pending migrations reported and the earlier ones replayed for context, the
target's history and server version read when a database is configured,
with its hot standbys and published tables (`exclusive-lock-on-standbys` is
not reported for a target that has no standby; `published-table-change`
knows its publications).
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from typing import TYPE_CHECKING

from studio.config import mask_dsn
from studio.errors import StudioError, translate
from studio.migrations import files as migrations
from studio.migrations import python_calls
from studio.plan.locks.context import Context
from studio.plan.locks.lint import (
    DEFAULT_SERVER_VERSION,
    LintReport,
    lint_sources,
    sources_for_migrations,
    sources_for_paths,
)
from studio.words import counted

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from studio.config import Settings


async def _target_context(settings: Settings, url: str) -> tuple[Context, str]:
    """What the target says to lint, on one read-only connection: its standbys and
    publications, and its functions' volatility; and a note saying the first two."""
    # deferred: asyncpg and the probe load only when there is a target to read
    from studio.catalog import connect as db
    from studio.catalog.queries import get
    from studio.plan import probe  # deferred: asyncpg (see above)

    conn = await db.connect(url, timeout=settings.connect_timeout, read_only=True)
    try:
        with translate(mask_dsn(url)):
            published, standbys = await probe.replication(conn)
        try:
            with translate(mask_dsn(url)):
                rows = await conn.fetch(get("function_volatility"))
        except StudioError:
            rows = []  # lint goes on without: unknown functions are taken to be volatile
    finally:
        await conn.close()
    note = (
        f"hot standbys streaming from the target: {standbys};"
        f" {counted(len(published), 'table')} published"
    )
    context = Context.of(None, publications=published, standbys=standbys)
    if rows:
        volatility = {r["name"].lower(): r["volatility"] for r in rows}
        context = dataclasses.replace(context, volatility=MappingProxyType(volatility))
    return context, note


async def _pending(
    settings: Settings, ms: Sequence[migrations.Migration]
) -> tuple[set[str] | None, int | None, str]:
    """Versions the target has not (fully) applied, its server version, and how that was decided."""
    # deferred: asyncpg and the history table load only when there is a target to read
    from studio.commands.target import read_history
    from studio.run import history  # deferred: asyncpg (see above)

    url = settings.database_url(required=False)
    if url is None:
        return (
            None,
            None,
            "no database given: linting every migration (with one, only the pending ones)",
        )
    try:
        rows, version, exists = await read_history(settings, url)
    except StudioError as e:
        return None, None, f"history not read ({e.message}): linting every migration"
    status = history.compare(ms, rows, table_exists=exists)
    todo = {
        e.version
        for e in status.having(history.State.PENDING, history.State.PARTIAL, history.State.MODIFIED)
    }
    where = f"{mask_dsn(url)} (PostgreSQL {version // 10000})"
    return todo, version, f"{len(todo)} of {counted(len(ms), 'migration')} pending on {where}"


async def lint_project(
    settings: Settings,
    paths: Sequence[Path] = (),
    *,
    external: bool = False,
    server_version: int | None = None,
) -> LintReport:
    """`schema-studio lint`: the given files, or the migrations directory's pending migrations.

    Earlier migrations are replayed (not reported) so that the pending ones
    are analysed knowing the tables, columns and indexes those created.
    """
    notes: list[str] = []
    context: Context | None = None
    if paths:
        sources = sources_for_paths(paths, external=external)
        version = server_version or DEFAULT_SERVER_VERSION
    else:
        ms = migrations.load_directory(settings.migrations_dir)
        report, live_version, note = await _pending(settings, ms)
        notes.append(note)
        url = settings.database_url(required=False)
        if live_version is not None and url is not None:
            context, said = await _target_context(settings, url)
            notes.append(said)
        linted = [m for m in ms if report is None or m.version in report]
        # a Python step naming a missing module or function: refused here, as migrate would
        python_calls.check(linted, settings.root)
        python_calls.check(linted, settings.root, down=True)
        if targets := python_calls.python_targets(linted):
            notes.append(
                f"{counted(len(targets), 'Python step function')} ({', '.join(targets)}) found:"
                " the lock analysis covers SQL only"
            )
        sources = sources_for_migrations(ms, report, external=external)
        version = server_version or live_version or DEFAULT_SERVER_VERSION
    if server_version is None and not paths and "PostgreSQL" not in notes[0]:
        notes.append(
            f"server version not known: assuming PostgreSQL {version // 10000} (see --pg-version)"
        )
    return lint_sources(
        sources, server_version=version, external=external, context=context, notes=notes
    )
