"""The steps' preview on the target: locks, sizes, estimates (what `migrate` asks with).

`studio.plan.preview` analyses; this use case opens the read-only session
and reads the migrations directory, whose earlier migrations are replayed so
that a pending one is analysed knowing what they created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.catalog import connect as db
from studio.config import mask_dsn
from studio.errors import translate
from studio.migrations import files as migrations
from studio.plan.preview import Preview, step_estimates

if TYPE_CHECKING:
    from collections.abc import Sequence

    from studio.config import Settings
    from studio.migrations.files import Migration
    from studio.model.changes import Change
    from studio.plan.locks import Context


async def preview_steps(
    settings: Settings,
    url: str,
    migration_or_changes: Migration | Sequence[Migration] | Sequence[Change],
    *,
    context: Context | None = None,
    refresh: bool = False,
) -> Preview:
    """Locks, sizes and duration estimates of every step, read from the target at `url` (read-only).

    Migrations are analysed as the runner applies them, after the earlier
    migrations of the directory. Changes are one step each, analysed against
    `context` (the target's schema, when the caller has it).
    """
    conn = await db.connect(url, timeout=settings.connect_timeout, read_only=True)
    try:
        with translate(mask_dsn(url)):
            return await step_estimates(
                conn,
                migration_or_changes,
                earlier=_earlier(settings, migration_or_changes),
                context=context,
                refresh=refresh,
                url=url,
            )
    finally:
        await conn.close()


def _earlier(
    settings: Settings, what: Migration | Sequence[Migration] | Sequence[Change]
) -> tuple[Migration, ...]:
    """The directory's migrations before the oldest of `what` (none when `what` is changes)."""
    items = [what] if isinstance(what, migrations.Migration) else list(what)
    ms = [m for m in items if isinstance(m, migrations.Migration)]
    if not ms or len(ms) != len(items):
        return ()
    directory = settings.migrations_dir
    on_disk = migrations.load_directory(directory) if directory.is_dir() else ()
    wanted = {m.version for m in ms}
    first = min(wanted)
    return tuple(m for m in on_disk if m.version < first and m.version not in wanted)
