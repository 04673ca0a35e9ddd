"""The migrations directory: read (checked against its sum), a new migration, the sum rewritten.

Every command that reads the migrations directory verifies the checksum
file first, so an edited migration is refused by name before anything
connects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.errors import UsageError
from studio.migrations import files as migrations

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from studio.config import Settings
    from studio.migrations.files import Migration


def load_migrations(settings: Settings, *, verify: bool = True) -> tuple[Migration, ...]:
    """The migrations directory, checked against its sum file first (unless `verify` is off)."""
    directory = settings.migrations_dir
    if verify:
        migrations.verify_sum(directory)
    return migrations.load_directory(directory)


def new(settings: Settings, name: str, *, now: datetime | None = None) -> Path:
    """Write an empty migration for hand-written SQL (and record it in the sum)."""
    directory = settings.migrations_dir
    slug = migrations.slugify(name)
    version = migrations.next_version(migrations.taken_versions(directory), now)
    return migrations.write_migration(
        directory, version, slug, migrations.render_new(version, name)
    )


def rehash(settings: Settings) -> Path:
    """Rewrite the sum file from the files as they are (after a deliberate edit)."""
    directory = settings.migrations_dir
    if not directory.is_dir():
        raise UsageError(
            f"no migrations directory at {directory}", "create one with `schema-studio new NAME`"
        )
    migrations.load_directory(directory)  # a malformed file is refused, not blessed
    return migrations.write_sum(directory)
