"""What a schema source is: a database URL or a declared schema, and what reading one gives.

A declared schema is SQLAlchemy metadata (`package.module:attr`), a SQL file or
folder, or the migrations directory; `parse_source` tells them apart. A list
of SQLAlchemy targets and SQL files or folders is one composite declared
schema (`parse_sources`): its parts are materialized in order into one
database, so hand-written SQL can build on the models' tables.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from studio.config import mask_dsn
from studio.errors import UsageError
from studio.model import Schema

if TYPE_CHECKING:
    from studio.config import Settings


class SourceKind(enum.StrEnum):
    """Where a schema comes from."""

    URL = "url"
    SQLALCHEMY = "sqlalchemy"
    SQL = "sql"
    MIGRATIONS = "migrations"
    # several SQLAlchemy targets and SQL files or folders, in order, as one declared schema
    COMPOSITE = "composite"


@dataclass(frozen=True, slots=True)
class Source:
    """A parsed source specification."""

    kind: SourceKind
    spec: str
    # resolved file or folder for SQL and migrations sources
    path: Path | None = None
    # migrations: replay only these versions (None: all of them)
    versions: tuple[str, ...] | None = None
    # composite: the sources it is made of, in the order they are materialized
    parts: tuple[Source, ...] = ()

    def describe(self) -> str:
        """How the source is shown to the user (URLs masked)."""
        if self.kind is SourceKind.URL:
            return mask_dsn(self.spec)
        if self.kind is SourceKind.MIGRATIONS:
            return f"migrations ({self.path})"
        return self.spec


@dataclass(frozen=True, slots=True)
class Loaded:
    """A schema read from a source, with what it took."""

    source: Source
    schema: Schema
    # schemas the declared SQLAlchemy metadata uses (for the managed-schema default)
    declared_schemas: tuple[str, ...] = ()
    cached: bool = False
    server_version: int = 0
    # composite: dependency key (studio.model.keys) -> the part (or SQL file) that made
    # the object, e.g. `rel:public.orders` -> `app.models:Base`; empty for one source
    origins: Mapping[str, str] = field(default_factory=dict)


def major_mismatch(live: int, declared: int) -> str | None:
    """A warning when the declared side was read on a dev server of another major version.

    `live` and `declared` are server_version_num values (0: unknown). The dev
    server runs the target's major when the machine has its binaries, else the
    embedded one; PostgreSQL prints view, rule and routine bodies differently
    across majors (a view of one table qualifies its columns before 16), so the
    two sides may differ where the schemas do not.
    """
    a, b = live // 10000, declared // 10000
    if not a or not b or a == b:
        return None
    return (
        f"the database runs PostgreSQL {a}, the declared schema was read on a dev server of"
        f" PostgreSQL {b}: view and function bodies print differently across versions and may"
        f" show as changes; set dev_url to a PostgreSQL {a} server"
        " (or STUDIO_PG_BIN to its binaries)"
    )


def parse_source(spec: str, settings: Settings) -> Source:
    """Recognize a source: a database URL, `migrations`, a .sql file or folder, or `module:attr`."""
    if spec.startswith(("postgresql://", "postgres://")):
        return Source(SourceKind.URL, spec)
    if spec == "migrations":
        return Source(SourceKind.MIGRATIONS, spec, settings.migrations_dir)
    for base in (Path.cwd(), settings.root):
        if base is None:
            continue
        candidate = base / spec
        if candidate.is_dir() or (candidate.is_file() and candidate.suffix == ".sql"):
            if candidate.is_dir() and (candidate / "schema-studio.sum").exists():
                return Source(SourceKind.MIGRATIONS, spec, candidate)
            return Source(SourceKind.SQL, spec, candidate)
    if spec.endswith(".sql") or "/" in spec:
        raise UsageError(f"no such SQL file or folder: {spec}")
    module, sep, attr = spec.partition(":")
    if sep and module and attr and all(p.isidentifier() for p in module.split(".")):
        return Source(SourceKind.SQLALCHEMY, spec)
    raise UsageError(
        f"not a schema source: {spec!r}",
        "use a database URL, package.module:attr, a .sql file or folder, or `migrations`",
    )


def parse_sources(specs: str | Sequence[str], settings: Settings) -> Source:
    """One source, or a composite declared schema of several (given in materialization order).

    A list of one is that source. In a list, each entry must be SQLAlchemy
    metadata or a SQL file or folder: a database URL or the migrations
    directory is a whole schema of its own, not a part of one.
    """
    if isinstance(specs, str):
        return parse_source(specs, settings)
    if not specs:
        raise UsageError("an empty list of schema sources", "name at least one source")
    if len(specs) == 1:
        return parse_source(specs[0], settings)
    parts = tuple(parse_source(spec, settings) for spec in specs)
    for spec, part in zip(specs, parts, strict=True):
        if part.kind not in (SourceKind.SQLALCHEMY, SourceKind.SQL):
            shown = part.describe() if part.kind is SourceKind.URL else spec
            raise UsageError(
                f"{shown} cannot be part of a list of schema sources",
                "a list combines package.module:attr targets and .sql files or folders;"
                " a database URL or `migrations` is a schema on its own",
            )
    return Source(SourceKind.COMPOSITE, " + ".join(p.spec for p in parts), parts=parts)


def declared_source(settings: Settings, *, instead: str = "") -> Source:
    """The declared schema from config (`schema`: one source or a list of them).

    `instead` names the command's own option that gives one (diff's `--to SRC`).
    """
    if settings.schema:
        return parse_sources(settings.schema, settings)
    where = (
        f"[tool.schema-studio] of {settings.root / 'pyproject.toml'}"
        if settings.root is not None
        else "[tool.schema-studio] of pyproject.toml (none here or above)"
    )
    raise UsageError(
        "no declared schema configured",
        f'run `schema-studio init`, or set schema = "package.module:Base" (a SQLAlchemy'
        f' MetaData or DeclarativeBase), a .sql file or folder, or "migrations" in {where}'
        + (f", or pass {instead}" if instead else ""),
    )
