"""`push`'s run: an in-memory migration's steps under the migration lock, recorded nowhere.

The steps run as the runner runs a migration's (lock_timeout and retries on
every step, one transaction when every step allows it), but the history
table only guards the run: a database with applied migrations is refused
unless forced, read again under the lock.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

from studio.catalog import connect as db
from studio.config import mask_dsn
from studio.errors import StudioError, translate
from studio.run import history
from studio.run.events import Direction
from studio.run.executor import Backoff, Executor
from studio.run.runner import session_limits
from studio.words import counted

if TYPE_CHECKING:
    from studio.config import Settings
    from studio.migrations.files import Migration
    from studio.run.events import EventSink


class PushRefused(StudioError):
    """`push` refused a database it must not touch without --force."""

    hint = (
        "push is for development databases; use generate + migrate, or pass --force if you are sure"
    )


def migrated(settings: Settings, applied: int) -> PushRefused:
    """The refusal of a database with `applied` migrations in its history."""
    return PushRefused(
        f"the database has {counted(applied, 'applied migration')} in {settings.history_table}; "
        "push would bypass them"
    )


async def push(
    url: str,
    settings: Settings,
    migration: Migration,
    *,
    changes: int = 0,
    force: bool = False,
    wait: float = 0.0,
    on_event: EventSink | None = None,
) -> None:
    """Run `migration`'s steps on the target at `url` under the migration lock.

    `wait` is how long to queue behind a migrator holding the lock, as
    `migrate --wait`. Unless `force`, a migration applied since the push was
    planned (read under the lock) refuses it. The push is recorded (when, who,
    `changes`) beside the history table.
    """
    table = history.HistoryTable.parse(settings.history_table)
    conn = await db.connect(
        url, timeout=settings.connect_timeout, application_name="schema-studio push"
    )
    try:
        with translate(mask_dsn(url)):
            # a stopped push idle in its transaction must not hold its locks longer than a
            # migrate would
            await session_limits(conn, settings)
            # the migrators' own lock: a push beside `migrate` would create the same objects
            await history.acquire(conn, table, wait=wait, on_event=on_event)
            try:
                if not force and (rows := await history.read(conn, table)):
                    raise migrated(settings, len(rows))
                ex = Executor(
                    conn, settings, table, on_event,
                    time.monotonic, Backoff(), random.Random(), "",
                )  # fmt: skip
                await _run_steps(ex, migration)
                # so `status` says the database was pushed, not that it drifted
                await history.record_push(conn, table, changes)
            finally:
                await history.release(conn, table)
    finally:
        await conn.close()


async def _run_steps(ex: Executor, m: Migration) -> None:
    """The steps, in one transaction when every step allows it; nothing is recorded."""

    async def nothing(_ms: int) -> None:
        return None

    if m.transactional:
        await ex.transactional(m, m.steps, Direction.UP, nothing)
    else:
        for step in m.steps:
            await ex.step(m, step, len(m.steps), Direction.UP, nothing)
