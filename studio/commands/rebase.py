"""`rebase VERSION`: renumber a migration no database applied to now, after a merge.

Two branches that each added a migration conflict in `schema-studio.sum`;
the one merged second is renumbered after the other so every database
applies them in one order. A migration applied on the target keeps its
version (the history records it): renumbering it would apply it twice. Like
every command that could undo an applied migration, it refuses when it
cannot reach the database to ask, unless told `--force`.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.commands.target import read_history
from studio.config import mask_dsn
from studio.errors import MigrationFileError, StudioError, UsageError
from studio.migrations import checksums
from studio.migrations import files as migrations

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from studio.config import Settings

_VERSION_LINE = re.compile(r"^(--\s*version:\s*)(\d{14})(\s*)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Rebased:
    """What `rebase` did: the version given, the new one, the files renamed."""

    old: str
    new: str
    renamed: tuple[tuple[Path, Path], ...]
    # where it was checked that the migration is not applied (None: --force, not checked)
    checked_on: str | None


def _verify_or_merging(directory: Path) -> None:
    """The sum verified, unless git left it in a merge conflict, which `rebase` resolves."""
    try:
        migrations.verify_sum(directory)
    except MigrationFileError as e:
        if "merge conflict" not in e.message:
            raise
        # both sides' lines are there: the files are checked by parsing, as `hash` does
        migrations.load_directory(directory)


async def _refuse_applied(settings: Settings, version: str, *, force: bool) -> str | None:
    """The masked target where `version` was found unapplied; refuse when applied or unknown."""
    url = settings.database_url(required=False)
    if url is None:
        if force:
            return None
        raise UsageError(
            f"cannot tell whether {version} is applied: no database given",
            "give --db URL (or DATABASE_URL); --force renumbers it unchecked",
        )
    try:
        rows, _, _ = await read_history(settings, url)
    except StudioError as e:
        if force:
            return None
        raise StudioError(
            f"cannot tell whether {version} is applied: {e.message}",
            "make the database reachable; --force renumbers it unchecked",
        ) from None
    where = mask_dsn(url)
    applied = next((r for r in rows if r.version == version), None)
    if applied is not None:
        raise StudioError(
            f"{version}_{applied.name} is applied on {where}: rebase renumbers only"
            " migrations no database applied",
            "write a new migration for the change instead",
        )
    return where


async def rebase(
    settings: Settings, version: str, *, force: bool = False, now: datetime | None = None
) -> Rebased:
    """Rename the migration `version` (up and down files) after every other one, and re-hash.

    Raises:
        UsageError: no migration has that version, or no database to ask.
        StudioError: it is applied on the target, or the target is unreachable (without force).
    """
    directory = settings.migrations_dir
    _verify_or_merging(directory)
    prefix = f"{version}_"
    files = [p for p in checksums.sql_files(directory) if p.name.startswith(prefix)]
    if not files or version not in migrations.taken_versions(directory):
        raise UsageError(
            f"no migration {version} in {directory}", "run `schema-studio status` for the versions"
        )
    checked_on = await _refuse_applied(settings, version, force=force)
    new = migrations.next_version(migrations.taken_versions(directory), now)
    renamed: list[tuple[Path, Path]] = []
    originals = {path: checksums.read_file(path) for path in files}
    try:
        try:
            for path, (_, text) in originals.items():
                target = directory / (new + path.name[len(version) :])
                # the header names the version too, and must match the file name
                text = _VERSION_LINE.sub(
                    lambda m: f"{m[1]}{new}{m[3]}" if m[2] == version else m[0], text
                )
                migrations.write_atomic(target, text)
                renamed.append((path, target))
            for old, _ in renamed:
                old.unlink()
        except OSError as e:
            raise StudioError(
                f"cannot rename {version} in {directory}: {e.strerror or e}",
                "check the folder's permissions and free space",
            ) from None
        migrations.write_sum(directory)
    except BaseException:
        # all or nothing: the old files back, the new ones gone, the sum as it was
        for _, target in renamed:
            with contextlib.suppress(OSError):
                target.unlink()
        for old, (data, _) in originals.items():
            if not old.exists():
                with contextlib.suppress(OSError):
                    old.write_bytes(data)
        raise
    return Rebased(version, new, tuple(renamed), checked_on)
