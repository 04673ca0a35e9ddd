"""`push`: development only, the target brought straight to the declared schema, no files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from studio.commands.diff import load_pair
from studio.commands.generate import resolve_renames, step_spec
from studio.commands.schemas import exclusions, in_scope, managed_schemas
from studio.commands.target import read_history, target_url
from studio.config import database_name
from studio.diff import diff
from studio.migrations import files as migrations
from studio.run import push as run_push
from studio.run.push import PushRefused, migrated

if TYPE_CHECKING:
    from collections.abc import Sequence

    from studio.commands.generate import AskRename
    from studio.config import Settings
    from studio.model.changes import Change
    from studio.run.events import EventSink


@dataclass(frozen=True, slots=True)
class PushPlan:
    """What `push` would run on the target: the changes and the in-memory migration."""

    url: str
    changes: tuple[Change, ...]
    migration: migrations.Migration | None
    # --force: a database with applied migrations is pushed to all the same
    force: bool = False
    # objects the `exclude` patterns left out of both sides (None: no pattern given)
    excluded: int | None = None


def _production_match(settings: Settings, url: str) -> str | None:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    for pattern in settings.production_patterns:
        for value in (database_name(url), host):
            if value and re.search(pattern, value):
                return f"{value!r} matches production pattern {pattern!r}"
    return None


async def push_plan(
    settings: Settings,
    rename_specs: Sequence[str] = (),
    *,
    no_rename: bool = False,
    ask: AskRename | None = None,
    force: bool = False,
) -> PushPlan:
    """The changes that bring the target straight to the declared schema (read-only)."""
    url = target_url(settings)
    exclusions(settings)
    if not force and (why := _production_match(settings, url)):
        raise PushRefused(f"refusing to push to a production database: {why}")
    rows, _, _ = await read_history(settings, url)
    if rows and not force:
        raise migrated(settings, len(rows))
    # the live side is read while the declared one materializes
    live, declared = await load_pair(settings, url, None)
    scoped = in_scope(
        settings, managed_schemas(settings, live, declared), live.schema, declared.schema
    )
    a, b = scoped.sides
    excluded = scoped.excluded if settings.exclude else None
    renames = resolve_renames(a, b, rename_specs, no_rename=no_rename, ask=ask)
    changes = tuple(diff(a, b, renames, server_version=live.server_version))
    if not changes:
        return PushPlan(url, (), None, force, excluded)
    steps = [step_spec(c) for c in changes]
    text = migrations.render_migration("00000000000000", steps, description=("push",))
    parsed = migrations.parse_text(text, "<push>")
    migration = migrations.Migration(
        version="00000000000000", name="push", path=Path("<push>"), steps=parsed.steps
    )
    return PushPlan(url, changes, migration, force, excluded)


async def push(
    settings: Settings, plan: PushPlan, *, on_event: EventSink | None = None, wait: float = 0.0
) -> None:
    """Apply a push plan under the migration lock: lock_timeout and retries, nothing recorded.

    `wait` is how long to queue behind a migrator holding the lock, as `migrate --wait`.
    """
    if plan.migration is None:
        return
    await run_push.push(
        plan.url,
        settings,
        plan.migration,
        changes=len(plan.changes),
        force=plan.force,
        wait=wait,
        on_event=on_event,
    )
