"""The core of each command, callable from tests and the studio without click.

Each function takes `Settings` and plain values and returns data; printing
is the CLI's job (alembic's command.py shape).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.catalog import connect as db
from studio.config import mask_dsn, split_table_name
from studio.errors import UsageError, translate

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from studio.config import Settings
    from studio.diff import RenameCandidate
    from studio.diff.unmodelled import UnmodelledReport
    from studio.model import Schema
    from studio.model.changes import Change
    from studio.sources.spec import Loaded


@dataclass(frozen=True, slots=True)
class Inspection:
    """A live schema with where it came from."""

    url: str
    server_version: int
    schemas: tuple[str, ...]
    schema: Schema


def history_schema(settings: Settings) -> str:
    """The schema of the tool's history table (always left out of comparisons)."""
    return split_table_name(settings.history_table)[0]


async def resolve_schemas(
    conn: object, settings: Settings, declared: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The one set of managed schemas for this command, checked against the database.

    Order of precedence: --schema, else `schemas` from config, else the
    schemas a declared SQLAlchemy source uses, else every user schema; minus
    --exclude-schema and the tool's own history schema.
    """
    existing = await db.schema_names(conn)  # type: ignore[arg-type]
    own = history_schema(settings)
    chosen = settings.schemas or declared
    if chosen:
        unknown = [s for s in chosen if s not in existing]
        if unknown and not declared:
            raise UsageError(
                f"unknown schema {unknown[0]!r}",
                f"schemas in this database: {', '.join(existing) or '(none)'}",
            )
        names = tuple(chosen)
    else:
        names = tuple(existing)
    for s in settings.exclude_schemas:
        if s not in existing and s not in names:
            raise UsageError(f"unknown schema {s!r} in --exclude-schema")
    return tuple(s for s in names if s not in settings.exclude_schemas and s != own)


async def inspect(settings: Settings) -> Inspection:
    """Read the live schema of the target database."""
    url = settings.database_url()
    assert url is not None
    conn = await db.connect(url, timeout=settings.connect_timeout, read_only=True)
    from studio.catalog.introspect import introspect

    try:
        with translate(mask_dsn(url)):
            version = await db.server_version_num(conn)
            schemas = await resolve_schemas(conn, settings)
            # a large schema is read on a second connection too (same snapshot)
            schema = await introspect(
                conn,
                schemas,
                connect=lambda: db.connect(url, timeout=settings.connect_timeout, read_only=True),
            )
    finally:
        await conn.close()
    return Inspection(url=url, server_version=version, schemas=schemas, schema=schema)


@dataclass(frozen=True, slots=True)
class DiffResult:
    """Two loaded sides, the managed schemas and the ordered changes between them."""

    old: Loaded
    new: Loaded
    schemas: tuple[str, ...] | None
    changes: tuple[Change, ...]
    candidates: tuple[RenameCandidate, ...]
    # objects of kinds the model lacks, by side: never in `changes`, always reported
    unmodelled: UnmodelledReport

    def warnings(self) -> tuple[str, ...]:
        """What the changes leave undone (unmodelled objects on one side only), one line each."""
        return self.unmodelled.problems(self.old.source.describe(), self.new.source.describe())


def managed_schemas(settings: Settings, *sides: Loaded) -> tuple[str, ...] | None:
    """The one set of managed schemas applied to both sides (None: every user schema).

    --schema (or `schemas` in config), else the schemas a declared SQLAlchemy
    source uses, else every user schema; minus --exclude-schema.
    """
    present = schemas_in(*sides)
    refuse_unknown_schemas(settings, present)
    chosen: tuple[str, ...] = settings.schemas or tuple(
        sorted({s for side in sides for s in side.declared_schemas})
    )
    if not chosen:
        if not settings.exclude_schemas:
            return None
        chosen = tuple(sorted(present))
    return tuple(s for s in chosen if s not in settings.exclude_schemas)


def schemas_in(*sides: Loaded) -> set[str]:
    """The schemas the loaded sides hold (a table's too, should its schema be left out)."""
    present = {ns.name for side in sides for ns in side.schema.namespaces.values()}
    return present | {t.schema for side in sides for t in side.schema.tables.values()}


def refuse_unknown_schemas(settings: Settings, present: Collection[str]) -> None:
    """UsageError naming a --schema or --exclude-schema (or `schemas`) that is not in `present`."""
    found = f"schemas found: {', '.join(sorted(present)) or '(none)'}"
    for name in settings.schemas:
        if name not in present:
            raise UsageError(f"unknown schema {name!r}", found)
    for name in settings.exclude_schemas:
        if name not in present:
            raise UsageError(f"unknown schema {name!r} in --exclude-schema", found)


async def load_pair(
    settings: Settings, from_spec: str | None, to_spec: str | None, *, with_privileges: bool = False
) -> tuple[Loaded, Loaded]:
    """Load the two sides of a comparison: default live database -> declared schema.

    A live side is read first so a declared side is materialized on a dev
    server of the same PostgreSQL major version.
    """
    from studio.sources.live import live_connection, read_live
    from studio.sources.load import concurrently, load
    from studio.sources.spec import SourceKind, declared_source, parse_source

    old_src = (
        parse_source(from_spec, settings)
        if from_spec
        else parse_source(settings.database_url() or "", settings)
    )
    new_src = parse_source(to_spec, settings) if to_spec else declared_source(settings)
    if old_src.kind is SourceKind.URL and new_src.kind is SourceKind.URL:
        old, new = await concurrently(
            load(old_src, settings, with_privileges=with_privileges),
            load(new_src, settings, with_privileges=with_privileges),
        )
        return old, new
    live = next((s for s in (old_src, new_src) if s.kind is SourceKind.URL), None)
    if live is None:
        old = await load(old_src, settings, with_privileges=with_privileges)
        return old, await load(new_src, settings, with_privileges=with_privileges)
    declared = new_src if live is old_src else old_src
    async with live_connection(live, settings) as (conn, version):
        # the live side is read while the declared one materializes (the models import meanwhile)
        read, made = await concurrently(
            read_live(conn, live, settings, version, with_privileges),
            load(declared, settings, major=version // 10000, with_privileges=with_privileges),
        )
    return (read, made) if live is old_src else (made, read)


async def diff_sources(
    settings: Settings,
    from_spec: str | None = None,
    to_spec: str | None = None,
    rename_specs: Sequence[str] = (),
    *,
    with_privileges: bool = False,
) -> DiffResult:
    """Compare two sources and return the ordered changes from the first to the second."""
    from studio.diff import diff, parse_rename, rename_candidates
    from studio.diff.unmodelled import unmodelled

    old, new = await load_pair(settings, from_spec, to_spec, with_privileges=with_privileges)
    schemas = managed_schemas(settings, old, new)
    a = old.schema if schemas is None else old.schema.restrict(schemas)
    b = new.schema if schemas is None else new.schema.restrict(schemas)
    renames = [parse_rename(text, a, b) for text in rename_specs]
    changes = diff(
        a,
        b,
        renames,
        with_privileges=with_privileges,
        server_version=old.server_version or new.server_version or None,
    )
    candidates = rename_candidates(a, b, renames)
    return DiffResult(old, new, schemas, tuple(changes), tuple(candidates), unmodelled(a, b))
