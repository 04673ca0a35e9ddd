"""`migrate --dry-run --trace` and `lint --trace`: what is traced, and what is replayed before it.

The trace itself (a throwaway database, pg_locks against the knowledge
base) is `studio.run.trace`; this use case picks the statements: the
migrations the target has not finished, or the files given, after the
migrations that must exist first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.commands.files import load_migrations
from studio.commands.target import read_history
from studio.config import mask_dsn
from studio.migrations import files as migrations
from studio.plan.locks.lint import is_migration_file, sources_for_migrations, sources_for_paths
from studio.run.trace import TraceReport, trace_migrations, trace_sources

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from studio.config import Settings
    from studio.migrations.files import Migration


async def trace_paths(
    settings: Settings, paths: Sequence[Path], *, rows: int = 0, major: int | None = None
) -> TraceReport:
    """Trace SQL files (or migration files) in order, after the earlier migrations of the project.

    A migration file of the project's migrations directory is traced after
    the migrations older than the oldest file given, so the tables it alters
    exist; a plain SQL file runs on an empty database (after the files
    before it).
    """
    replay: list[Migration] = []
    directory = settings.migrations_dir.resolve()
    given = [p.resolve() for p in paths]
    mine = [p for p in given if p.is_file() and p.parent == directory and is_migration_file(p)]
    if mine and directory.is_dir():
        first = min(p.name[:14] for p in mine)
        replay = [
            m
            for m in migrations.load_directory(directory)
            if m.version < first and m.path.resolve() not in given
        ]
    sources = [*sources_for_migrations(replay, set()), *sources_for_paths(paths)]
    return await trace_sources(settings, replay, sources, rows, major)


async def trace_pending(
    settings: Settings, *, rows: int = 0, to: str | None = None
) -> tuple[TraceReport, str | None]:
    """Trace the migrations the target has not finished (all of them without a target).

    Returns the report and the masked target it was compared with (None
    without a database URL).
    """
    ms = load_migrations(settings)
    url = settings.database_url(required=False)
    finished: set[str] = set()
    major = None
    if url is not None:
        history, version, _ = await read_history(settings, url)
        finished = {r.version for r in history if r.finished}
        major = version // 10000
    replay = [m for m in ms if m.version in finished]
    pending = [m for m in ms if m.version not in finished and (to is None or m.version <= to)]
    report = await trace_migrations(settings, replay, pending, rows=rows, major=major)
    return report, mask_dsn(url) if url else None
