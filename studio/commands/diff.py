"""`diff`: the ordered changes between two sources, and the managed schemas both sides share.

Each use case takes `Settings` and plain values and returns data; printing
is the face's job (alembic's command.py shape). The schema helpers here
(`managed_schemas`, `refuse_unknown_schemas`, `restrict`) are the one rule
every comparing command (generate, check, push, status) applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.diff import diff_report, parse_rename, rename_candidates
from studio.diff.unmodelled import unmodelled
from studio.errors import UsageError
from studio.sources.live import live_connection, read_live
from studio.sources.load import concurrently, load
from studio.sources.spec import SourceKind, declared_source, parse_source

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from studio.config import Settings
    from studio.diff import Rename, RenameCandidate
    from studio.diff.unmodelled import UnmodelledReport
    from studio.model import Schema
    from studio.model.changes import Change
    from studio.sources.spec import Loaded


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
    # what the diff says beside its changes (see DiffReport): differences no change
    # reaches, and dependency cycles broken to order the changes
    unreached: tuple[str, ...] = ()
    cycles: tuple[str, ...] = ()

    @property
    def differs(self) -> bool:
        """Whether the sides differ, in what the changes do or in what they cannot."""
        return bool(self.changes or self.unmodelled.differs or self.unreached)

    def warnings(self) -> tuple[str, ...]:
        """What the changes leave undone (unmodelled objects on one side only, differences
        no SQL reaches) or may get wrong (a broken dependency cycle), one line each."""
        problems = self.unmodelled.problems(self.old.source.describe(), self.new.source.describe())
        return problems + self.unreached + self.cycles


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


def restrict(schema: Schema, names: tuple[str, ...] | None) -> Schema:
    """`schema` cut to the managed schemas `names` (None: every user schema, the whole of it)."""
    return schema if names is None else schema.restrict(names)


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
    old, new = await load_pair(settings, from_spec, to_spec, with_privileges=with_privileges)
    schemas = managed_schemas(settings, old, new)
    a, b = restrict(old.schema, schemas), restrict(new.schema, schemas)
    renames = [parse_rename(text, a, b) for text in rename_specs]
    report = diff_report(
        a,
        b,
        renames,
        with_privileges=with_privileges,
        server_version=old.server_version or new.server_version or None,
    )
    candidates = rename_candidates(a, b, renames)
    return DiffResult(
        old, new, schemas, report.changes, tuple(candidates), unmodelled(a, b),
        report.unreached, report.cycles,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class SchemaDiff:
    """The ordered changes between two schemas in hand, under the renames that apply to them."""

    renames: tuple[Rename, ...]
    changes: tuple[Change, ...]
    candidates: tuple[RenameCandidate, ...]
    # objects of kinds the model lacks, by side: never in `changes`
    unmodelled: UnmodelledReport
    # what the diff says beside its changes (studio.diff.DiffReport.warnings)
    warnings: tuple[str, ...] = ()


def diff_schemas(old: Schema, new: Schema, hints: Sequence[str] = ()) -> SchemaDiff:
    """Diff two schemas with the rename hints (`old=new`) that name objects of this pair (pure).

    The studio keeps one set of accepted renames for its two comparisons (the
    live database -> declared, the migrations -> declared): a hint naming
    nothing in this pair is left out, not an error.
    """
    renames = []
    for text in hints:
        try:
            renames.append(parse_rename(text, old, new))
        except UsageError:
            continue
    report = diff_report(old, new, renames)
    return SchemaDiff(
        tuple(renames),
        report.changes,
        tuple(rename_candidates(old, new, renames)),
        unmodelled(old, new),
        report.warnings(),
    )
