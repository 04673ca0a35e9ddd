"""`diff`: the ordered changes between two sources; the sides a comparison loads.

`load_pair` reads a live side while the declared one materializes;
`migrations_source` is the migrations directory as a side, and
`replayed_schemas` what its replay holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.commands.schemas import exclusions, in_scope, managed_schemas, schemas_in
from studio.diff import diff_report, parse_rename, rename_candidates
from studio.diff.unmodelled import unmodelled
from studio.errors import DevDbError, UsageError
from studio.sources.live import live_connection, read_live
from studio.sources.load import concurrently, load
from studio.sources.spec import (
    Source,
    SourceKind,
    declared_source,
    parse_source,
    parse_sources,
)

if TYPE_CHECKING:
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
    # objects the `exclude` patterns left out of the sides (None: no pattern given)
    excluded: int | None = None

    @property
    def differs(self) -> bool:
        """Whether the sides differ, in what the changes do or in what they cannot."""
        return bool(self.changes or self.unmodelled.differs or self.unreached)

    def warnings(self) -> tuple[str, ...]:
        """What the changes leave undone (unmodelled objects on one side only, differences
        no SQL reaches) or may get wrong (a broken dependency cycle), one line each."""
        problems = self.unmodelled.problems(self.old.source.describe(), self.new.source.describe())
        return problems + self.unreached + self.cycles


def migrations_source(settings: Settings, versions: Sequence[str] | None = None) -> Source:
    """The migrations directory as a source; `versions` restricts the replay to those."""
    return Source(
        SourceKind.MIGRATIONS,
        "migrations",
        settings.migrations_dir,
        None if versions is None else tuple(sorted(versions)),
    )


async def replayed_schemas(settings: Settings, major: int) -> set[str]:
    """The schemas the migrations' replay holds (none when no dev server can run it here)."""
    try:
        replay = await load(migrations_source(settings), settings, major=major)
    except DevDbError:
        return set()  # a deploy host without a dev server: the target alone decides
    return schemas_in(replay)


# a side as given: one source, or several (a composite declared schema); None or empty: the default
SideSpec = str | Sequence[str] | None


async def load_pair(
    settings: Settings, from_spec: SideSpec, to_spec: SideSpec, *, with_privileges: bool = False
) -> tuple[Loaded, Loaded]:
    """Load the two sides of a comparison: default live database -> declared schema.

    A live side is read first so a declared side is materialized on a dev
    server of the same PostgreSQL major version.
    """
    old_src = (
        parse_sources(from_spec, settings)
        if from_spec
        else parse_source(settings.database_url() or "", settings)
    )
    new_src = (
        parse_sources(to_spec, settings)
        if to_spec
        else declared_source(settings, instead="--to SRC")
    )
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
    from_spec: SideSpec = None,
    to_spec: SideSpec = None,
    rename_specs: Sequence[str] = (),
    *,
    with_privileges: bool = False,
) -> DiffResult:
    """Compare two sources and return the ordered changes from the first to the second."""
    exclusions(settings)
    old, new = await load_pair(settings, from_spec, to_spec, with_privileges=with_privileges)
    schemas = managed_schemas(settings, old, new)
    scoped = in_scope(settings, schemas, old.schema, new.schema)
    a, b = scoped.sides
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
        report.unreached, report.cycles, scoped.excluded if settings.exclude else None,
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
