"""The migrations directory: read (checked against its sum), a new migration, the sum rewritten.

Every command that reads the migrations directory verifies the checksum
file first, so an edited migration is refused by name before anything
connects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio.errors import StudioError, UsageError
from studio.migrations import files as migrations
from studio.migrations import skeleton

if TYPE_CHECKING:
    from datetime import datetime

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


@dataclass(frozen=True, slots=True)
class PythonMigration:
    """What `new --python` wrote: the migration, its down file, the module and its target."""

    path: Path
    down_path: Path
    module_path: Path
    module: str


def new_python(
    settings: Settings,
    name: str,
    *,
    package: str = skeleton.DEFAULT_PACKAGE,
    now: datetime | None = None,
) -> PythonMigration:
    """Write a Python data migration: the migration and down files, and the module they call.

    The module goes in `package` at the project root (`data_migrations/<slug>.py`),
    importable because the runner puts the project root first on `sys.path`.
    Nothing is written when a file is already there.
    """
    if not skeleton.valid_package(package):
        raise UsageError(f"--package {package!r} is not a dotted Python package name")
    directory = settings.migrations_dir
    slug = migrations.slugify(name)
    version = migrations.next_version(migrations.taken_versions(directory), now)
    module = f"{package}.{skeleton.module_name(slug)}"
    folder = (settings.root or Path.cwd()) / Path(*package.split("."))
    module_path = folder / f"{skeleton.module_name(slug)}.py"
    if module_path.exists():
        raise StudioError(f"{module_path} already exists", "pick another name")
    made = _package_folders(folder)
    migration = migrations.file_name(version, slug)
    try:
        migrations.write_atomic(module_path, skeleton.render_python_module(name, migration))
        path = migrations.write_migration(
            directory,
            version,
            slug,
            skeleton.render_python_migration(version, name, f"{module}:up"),
            skeleton.render_python_migration(version, name, f"{module}:down", down=True),
        )
    except BaseException:
        module_path.unlink(missing_ok=True)
        for path_made in reversed(made):
            (path_made / "__init__.py").unlink(missing_ok=True)
            path_made.rmdir()
        raise
    return PythonMigration(
        path, path.with_name(migrations.file_name(version, slug, down=True)), module_path, module
    )


def _package_folders(folder: Path) -> list[Path]:
    """Make `folder` and the package folders above it a package; the folders made, outermost first.

    Each gets an `__init__.py` when it has none.
    """
    made: list[Path] = []
    for part in reversed([folder, *folder.parents][: len(folder.parts)]):
        if part.exists():
            continue
        made.append(part)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StudioError(f"cannot create {folder}: {e.strerror or e}") from None
    for part in made:
        init = part / "__init__.py"
        if not init.exists():
            migrations.write_atomic(init, "")
    return made


def rehash(settings: Settings) -> Path:
    """Rewrite the sum file from the files as they are (after a deliberate edit)."""
    directory = settings.migrations_dir
    if not directory.is_dir():
        raise UsageError(
            f"no migrations directory at {directory}", "create one with `schema-studio new NAME`"
        )
    migrations.load_directory(directory)  # a malformed file is refused, not blessed
    return migrations.write_sum(directory)
