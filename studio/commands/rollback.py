"""`rollback`: the down files of the last applied migrations, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.commands.files import load_migrations
from studio.commands.migrate import Plan
from studio.commands.target import checked_target, read_history
from studio.migrations import python_calls
from studio.run import runner
from studio.run.events import Direction

if TYPE_CHECKING:
    from studio.config import Settings
    from studio.run.events import EventSink


async def rollback_plan(
    settings: Settings, *, count: int = 1, to: str | None = None, only: str | None = None
) -> Plan:
    """The migrations `rollback` would undo, newest first (read-only)."""
    ms = load_migrations(settings)
    url = await checked_target(settings)
    rows, _, _ = await read_history(settings, url)
    todo = runner.rollback_plan(ms, rows, count=count, to=to, only=only)
    python_calls.check([m for m, _ in todo], settings.root, down=True)
    return Plan(
        url, Direction.DOWN, tuple(m for m, _ in todo), tuple(r.down_steps_done for _, r in todo)
    )


async def rollback(
    settings: Settings,
    *,
    count: int = 1,
    to: str | None = None,
    only: str | None = None,
    wait: float = 0.0,
    on_event: EventSink | None = None,
) -> runner.RunResult:
    """Run the down files of the last `count` applied migrations (or of those after `to`).

    Or of the expand migration `only` alone, while its contract waits.
    """
    ms = load_migrations(settings)
    return await runner.rollback(
        await checked_target(settings),
        settings,
        ms,
        count=count,
        to=to,
        only=only,
        wait=wait,
        on_event=on_event,
    )
