"""`drop`: the newest migration deleted (its down file too), the checksum file rewritten.

Only a migration no database has applied may go: `drop` reads the target's
history first and refuses an applied (or partly applied) one. Without a
database to ask (none configured, or not reachable) it refuses too, unless
`force` says the migration was applied nowhere. The contract migration of an
expand/contract pair goes with its expand migration: they were written
together. Any other edit in the folder is refused as every command refuses
it, never blessed by the rewritten sum.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.commands.target import read_history
from studio.config import mask_dsn
from studio.errors import ChecksumMismatch, ConnectionFailed, StudioError, UsageError
from studio.migrations import files as migrations
from studio.migrations.checksums import compute_sum, read_sum
from studio.migrations.files import Phase

if TYPE_CHECKING:
    from pathlib import Path

    from studio.config import Settings
    from studio.migrations.files import Migration


@dataclass(frozen=True, slots=True)
class Dropped:
    """What `drop` deleted, and how it knew the migrations were not applied."""

    versions: tuple[str, ...]
    paths: tuple[Path, ...]
    checked: str  # how it was known: "<database> has not applied it", or why none was asked


def newest(settings: Settings) -> tuple[Migration, ...]:
    """The newest migration, with its expand migration when it is the contract of a pair.

    Raises:
        UsageError: the folder has no migration.
    """
    ms = migrations.load_directory(settings.migrations_dir)
    if not ms:
        raise UsageError(f"no migration in {settings.migrations_dir} to drop")
    last = ms[-1]
    if last.phase is Phase.CONTRACT and len(ms) > 1 and ms[-2].phase is Phase.EXPAND:
        return ms[-2], last
    return (last,)


def files_of(ms: tuple[Migration, ...]) -> tuple[Path, ...]:
    """The files of `ms`: each migration and its down file."""
    return tuple(p for m in ms for p in (m.path, m.down_path) if p is not None and p.exists())


async def drop(settings: Settings, *, force: bool = False) -> Dropped:
    """Delete the newest migration (and its down file, and a pair's other half) if unapplied.

    Raises:
        StudioError: it is applied or partly applied on the target; no database says it is
            not (without `force`); another file of the folder was edited.
    """
    ms = newest(settings)
    paths = files_of(ms)
    _only_these_edited(settings.migrations_dir, {p.name for p in paths})
    checked = await _unapplied(settings, ms, force=force)
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    migrations.write_sum(settings.migrations_dir)
    return Dropped(tuple(m.version for m in ms), paths, checked)


def _only_these_edited(directory: Path, names: set[str]) -> None:
    """Refuse an edit the rewritten sum would bless: any but in the files dropped."""
    recorded = read_sum(directory)
    if recorded is None:
        return
    _, entries = recorded
    _, actual = compute_sum(directory)
    changed = sorted(n for n in entries.keys() | actual.keys() if entries.get(n) != actual.get(n))
    others = [n for n in changed if n not in names]
    if others:
        raise ChecksumMismatch(str(directory / others[0]))


async def _unapplied(settings: Settings, ms: tuple[Migration, ...], *, force: bool) -> str:
    """How drop knows no migration of `ms` is applied: the target's history, or `force`."""
    url = settings.database_url(required=False)
    names = ", ".join(m.filename for m in ms)
    if url is None:
        if force:
            return "no database was asked (--force)"
        raise StudioError(
            f"no database to tell whether {names} is applied; nothing was dropped",
            f"pass --db URL (or set {settings.database_url_env}),"
            " or --force if no database has applied it",
        )
    try:
        rows, _, _ = await read_history(settings, url)
    except ConnectionFailed as e:
        if force:
            return f"no database was asked ({e.message}; --force)"
        raise StudioError(
            f"cannot tell whether {names} is applied: {e.message}; nothing was dropped",
            "pass --force if no database has applied it",
        ) from None
    applied = {r.version: r for r in rows}
    for m in ms:
        row = applied.get(m.version)
        if row is not None:
            how = "applied" if row.finished else "partly applied"
            raise StudioError(
                f"{m.filename} is {how} on {mask_dsn(url)}; nothing was dropped",
                "roll it back first (`schema-studio rollback`), or write a new migration",
            )
    return f"{mask_dsn(url)} has not applied it"
