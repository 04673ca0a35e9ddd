"""`baseline`: record the target as being at a version, without running SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.commands.files import load_migrations
from studio.commands.target import checked_target
from studio.run import runner

if TYPE_CHECKING:
    from studio.config import Settings


async def baseline(settings: Settings, version: str, *, wait: float = 0.0) -> tuple[str, ...]:
    """Record the target as being at `version` without running SQL; the versions recorded."""
    ms = load_migrations(settings)
    return await runner.baseline(await checked_target(settings), settings, ms, version, wait=wait)
