"""`init`: a project set up for schema-studio, from what it already has.

Writes `[tool.schema-studio]` into the project's pyproject.toml (made when
missing; an existing section is never touched), creates the migrations
folder and, given a database, records it as a baseline (a first migration
that makes what the database holds, recorded as applied without running) and
optionally writes SQLAlchemy models of it (`pull`). The declared schema is
found by reading the project's Python files, never importing them: a
`DeclarativeBase` subclass, a `declarative_base()` or a `MetaData()` at the top
level of a module. No URL is written: the config names the environment
variable that holds it.
"""

from __future__ import annotations

import ast
import json
import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from studio.commands.baseline import baseline
from studio.commands.diff import diff_sources
from studio.commands.generate import annotated_steps
from studio.commands.pull import PullResult, pull
from studio.commands.target import read_history
from studio.config import (
    PYPROJECT,
    SECTION,
    Settings,
    find_pyproject,
    load,
    mask_dsn,
)
from studio.errors import ConfigError, UsageError
from studio.migrations import files as migrations
from studio.migrations.checksums import write_atomic
from studio.words import counted

if TYPE_CHECKING:
    from collections.abc import Iterator

# folders a project's own models are never in
_SKIPPED = frozenset(
    {"node_modules", "site-packages", "build", "dist", "__pycache__", "tests", "test", "migrations"}
)
# a project this size is read in well under a second; past it, the rest is not looked at
_MAX_FILES = 5_000
_MAX_BYTES = 1 << 20
_BASES = frozenset({"DeclarativeBase", "DeclarativeBaseNoMeta"})


@dataclass(frozen=True, slots=True)
class Declared:
    """A declared schema found in the project: `spec` is what the `schema` key takes."""

    spec: str  # package.module:attr
    kind: str  # "DeclarativeBase", "declarative_base()" or "MetaData"
    path: Path
    line: int


@dataclass(frozen=True, slots=True)
class Choices:
    """What the section says: the declared schema, the migrations folder, the URL's variable."""

    schema: str
    migrations: str = "migrations"
    database_url_env: str = "DATABASE_URL"


@dataclass(frozen=True, slots=True)
class Initialized:
    """What `init` did, and the commands to run next."""

    pyproject: Path
    created_pyproject: bool
    section: str
    migrations_dir: Path
    baseline: tuple[str, ...] = ()  # the baseline migration's version, when recorded
    baseline_path: Path | None = None
    pulled: PullResult | None = None
    notes: tuple[str, ...] = ()
    next_steps: tuple[str, ...] = ()


# --- finding the declared schema -----------------------------------------------------------------


def discover(root: Path) -> tuple[Declared, ...]:
    """The declared schemas defined at the top level of the project's modules, by file.

    A module's `DeclarativeBase` subclass hides a `MetaData()` of the same
    module (its `metadata`); test folders, virtualenvs and hidden folders are
    not read.
    """
    found: list[Declared] = []
    for path in _python_files(root):
        module = _module_name(path, root)
        if module is None:
            continue
        found += _declared_in(path, module)
    # the likeliest first: a declarative base, then a bare MetaData
    return tuple(sorted(found, key=lambda d: (d.kind == "MetaData", d.spec)))


def _python_files(root: Path) -> Iterator[Path]:
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and d not in _SKIPPED
            and not (Path(folder, d) / "pyvenv.cfg").exists()
        )
        for name in sorted(files):
            if not name.endswith(".py") or name.startswith("test_") or name == "conftest.py":
                continue
            seen += 1
            if seen > _MAX_FILES:
                return
            yield Path(folder, name)


def _module_name(path: Path, root: Path) -> str | None:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]  # the src layout: the package is imported as installed
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


def _declared_in(path: Path, module: str) -> list[Declared]:
    try:
        if path.stat().st_size > _MAX_BYTES:
            return []
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return []
    bases: list[Declared] = []
    metadata: list[Declared] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(_named(b, _BASES) for b in node.bases):
            bases.append(Declared(f"{module}:{node.name}", "DeclarativeBase", path, node.lineno))
        for name, value in _assignments(node):
            if _called(value, frozenset({"declarative_base"})):
                bases.append(Declared(f"{module}:{name}", "declarative_base()", path, node.lineno))
            elif _called(value, frozenset({"MetaData"})):
                metadata.append(Declared(f"{module}:{name}", "MetaData", path, node.lineno))
    return bases or metadata


def _assignments(node: ast.stmt) -> Iterator[tuple[str, ast.expr]]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value = node.targets[0], node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        target, value = node.target, node.value
    else:
        return
    if isinstance(target, ast.Name):
        yield target.id, value


def _named(node: ast.expr, names: frozenset[str]) -> bool:
    """`Name` or `module.Name` for one of `names`."""
    if isinstance(node, ast.Name):
        return node.id in names
    return isinstance(node, ast.Attribute) and node.attr in names


def _called(node: ast.expr, names: frozenset[str]) -> bool:
    return isinstance(node, ast.Call) and _named(node.func, names)


def module_of(path: Path, root: Path) -> str:
    """The module a file of the project is imported as (`app/models.py` -> `app.models`).

    Raises:
        UsageError: a path outside the project, or not a Python module name.
    """
    try:
        name = _module_name(path.resolve(), root.resolve())
    except ValueError:
        name = None
    if name is None or path.suffix != ".py":
        raise UsageError(
            f"{path} is not a Python module of the project in {root}",
            "give a path like models.py or app/models.py",
        )
    return name


# --- the section -----------------------------------------------------------------------------


def section_text(choices: Choices) -> str:
    """The `[tool.schema-studio]` section, commented, with no URL or password in it."""
    value = json.dumps  # a TOML basic string is a JSON string for these values
    return (
        f"[tool.{SECTION}]\n"
        "# the declared schema: package.module:attr (a SQLAlchemy MetaData or DeclarativeBase),\n"
        '# a .sql file or folder, or "migrations"\n'
        f"schema = {value(choices.schema)}\n"
        f"migrations = {value(choices.migrations)}\n"
        "# the environment variable that holds the database URL (never the URL itself here)\n"
        f"database_url_env = {value(choices.database_url_env)}\n"
    )


def free_pyproject(root: Path) -> Path:
    """The pyproject.toml `init` writes to, in `root`.

    Raises:
        UsageError: it, or the pyproject.toml of a folder above, already has the section.
    """
    nearest = find_pyproject(root)
    if nearest is not None and SECTION in _tool_section(nearest):
        raise UsageError(
            f"{nearest} already has [tool.{SECTION}]; init leaves it as it is",
            "edit that section by hand, or run init in a folder of its own",
        )
    return root / PYPROJECT


def _tool_section(path: Path) -> dict[str, object]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from None
    tool = data.get("tool", {})
    return tool if isinstance(tool, dict) else {}


def write_section(path: Path, section: str) -> bool:
    """Append `section` to `path` (made when missing), never rewriting what is there.

    Returns whether the file was created. The result is read back first: an
    existing file it would break (a `tool` inline table) is refused, unchanged.
    """
    created = not path.exists()
    before = "" if created else path.read_text(encoding="utf-8")
    text = before + ("\n" if before and not before.endswith("\n") else "")
    text += ("\n" if before.strip() else "") + section
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UsageError(
            f"cannot add [tool.{SECTION}] to {path}: it would not read back ({e})",
            "add the section by hand",
        ) from None
    write_atomic(path, text)
    return created


# --- init -------------------------------------------------------------------------------------


async def init(
    root: Path,
    choices: Choices,
    *,
    db_url: str | None = None,
    models: Path | None = None,
) -> Initialized:
    """Set the project in `root` up: the section, the migrations folder, and with `db_url` a
    baseline of that database (and, with `models`, SQLAlchemy models of it written there).

    Raises:
        UsageError: the section exists already, or models are asked for without a database.
    """
    if models is not None and db_url is None:
        raise UsageError("--pull writes models of a database: give it with --db URL")
    if models is not None and models.exists():
        raise UsageError(f"{models} already exists", "name another file with --models PATH")
    path = free_pyproject(root)
    if db_url is not None:
        # before anything is written: the database is reachable and has no history yet
        await _without_history(Settings(root=root, db_override=db_url), db_url)
    section = section_text(choices)
    created = write_section(path, section)
    settings = load(root, db_override=db_url)
    settings.migrations_dir.mkdir(parents=True, exist_ok=True)
    done = Initialized(path, created, section, settings.migrations_dir)
    if db_url is not None:
        pulled = await pull(settings, models, force=False) if models is not None else None
        version, written, notes = await _baseline(settings, db_url)
        recorded = await baseline(settings, version) if version else ()
        done = replace(done, baseline=recorded, baseline_path=written, pulled=pulled, notes=notes)
    return replace(done, next_steps=_next_steps(done, choices))


async def _without_history(settings: Settings, url: str) -> None:
    rows, _, _ = await read_history(settings, url)
    if rows:
        raise UsageError(
            f"{mask_dsn(url)} already records {counted(len(rows), 'migration')}"
            f" in {settings.history_table}: it has a baseline",
            "run init without --db, and `schema-studio status` to see where it stands",
        )


async def _baseline(settings: Settings, url: str) -> tuple[str, Path | None, tuple[str, ...]]:
    """Write the migration that makes what the database holds: its version, path and notes."""
    result = await diff_sources(settings, "migrations", url)
    notes = result.warnings()
    if not result.changes:
        return "", None, (*notes, "the database holds nothing to baseline: no migration written")
    version = migrations.next_version(migrations.taken_versions(settings.migrations_dir))
    steps = annotated_steps(result.changes, result.new.server_version)
    text = migrations.render_migration(
        version,
        steps,
        description=(f"baseline of {mask_dsn(url)}", "recorded as applied there by `init`"),
    )
    path = migrations.write_migration(settings.migrations_dir, version, "baseline", text)
    return version, path, notes


def _next_steps(done: Initialized, choices: Choices) -> tuple[str, ...]:
    """What to run next, given what `init` did."""
    env = choices.database_url_env
    steps = []
    if not os.environ.get(env):
        steps.append(f"export {env}=postgresql://USER@HOST/DBNAME (its password in ~/.pgpass)")
    if choices.schema == "migrations":
        steps.append("schema-studio new NAME  (write the first migration by hand)")
    elif done.pulled is not None:
        steps.append(f"schema-studio check  (once you have looked at {done.pulled.path})")
    elif done.baseline:
        steps.append("schema-studio generate  (once the declared schema differs from the baseline)")
    else:
        steps.append("schema-studio generate  (writes the first migration)")
    return tuple(steps)
