"""`squash --to VERSION`: the migrations up to VERSION replaced by one baseline migration.

The baseline is generated, not concatenated: the migrations up to VERSION
are replayed on the dev server, the replay is diffed from an empty database
(the dev server's own empty replay, so its defaults are on both sides), and
the changes are written as one migration of version VERSION, which lists in
its header every migration it replaced with its checksum
(`-- schema-studio:squashes`). Before anything is written the baseline itself
is replayed and must rebuild the same schema.

A fresh database runs the baseline. A database that applied the migrations
it replaced has the baseline recorded in their place by `migrate`
(`record_squashed`), once its live schema matches the replay. So `squash`
refuses a migration some listed database has not applied: that database
could neither run the baseline nor skip it. The baseline is irreversible:
the down files of the migrations it replaced go with them.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio.commands.check import compare_live
from studio.commands.diff import migrations_source
from studio.commands.fleet.targets import fleet_targets, target_settings
from studio.commands.generate import schema_hash, step_spec, step_transactional
from studio.commands.schemas import in_scope, managed_schemas
from studio.commands.squash_inline import inline_constraints
from studio.commands.target import read_history
from studio.config import mask_dsn
from studio.diff import diff_report
from studio.diff.unmodelled import unmodelled
from studio.errors import StudioError, UsageError
from studio.migrations import files as migrations
from studio.migrations.files import Phase, Squashed, StepSpec
from studio.run import history, phases, runner
from studio.run.history import State
from studio.sources.load import concurrently, load
from studio.sources.spec import Source, SourceKind
from studio.words import counted

if TYPE_CHECKING:
    from collections.abc import Sequence

    from studio.config import Settings
    from studio.migrations.files import Migration
    from studio.model.changes import Change
    from studio.sources.spec import Loaded

SLUG = "squashed"
# statements that change rows, not the schema: a baseline made from the schema leaves them out
_DATA = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE|COPY|TRUNCATE)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Squash:
    """What `squash` wrote: the baseline, the migrations it replaced, where they were checked."""

    version: str
    path: Path
    # `version_name` of each migration replaced, in version order
    replaced: tuple[str, ...]
    # every file removed (up and down files)
    removed: tuple[Path, ...]
    steps: int
    # the databases (masked) where every replaced migration was found applied
    checked_on: tuple[str, ...]
    # what the baseline does not carry (rows inserted by a migration, down files)
    notes: tuple[str, ...] = ()


def _folded(ms: Sequence[Migration], to: str, directory: Path) -> list[Migration]:
    """The migrations up to `to`; refuses an unknown version, one migration, a split phase pair."""
    if to not in {m.version for m in ms}:
        raise UsageError(
            f"no migration {to} in {directory}", "run `schema-studio status` for the versions"
        )
    folded = [m for m in ms if m.version <= to]
    if len(folded) < 2:
        raise UsageError(
            f"nothing to squash: {folded[0].filename} is the first migration",
            "give the version of a later migration",
        )
    for m in ms:
        if m.version > to and m.phase is Phase.CONTRACT:
            expand = phases.expand_of(m, ms)
            if expand is not None and expand.version <= to:
                raise UsageError(
                    f"squashing up to {to} would split {expand.filename} from its contract"
                    f" {m.filename}",
                    f"squash up to {m.version}, or to before {expand.version}",
                )
    return folded


async def _refuse_unapplied(
    ms: Sequence[Migration],
    folded: Sequence[Migration],
    databases: Sequence[tuple[Settings, str]],
) -> tuple[tuple[str, ...], int | None]:
    """The masked databases checked (each must have applied every migration folded in), and
    the first one's major version: the baseline is written for the servers it will run on.

    `databases`: each database's URL with the settings it is read with (a fleet's tenant
    has a history table of its own)."""
    wanted = {m.version for m in folded}
    checked = []
    major = None
    for settings, url in databases:
        where = mask_dsn(url)
        try:
            rows, version, _ = await read_history(settings, url)
        except StudioError as e:
            raise StudioError(
                f"cannot tell whether {where} applied the migrations to squash: {e.message}",
                "make the database reachable, or leave it out of --db",
            ) from None
        for entry in history.compare(ms, rows).entries:
            if entry.version in wanted and entry.state is not State.APPLIED:
                raise StudioError(
                    f"{entry.version}_{entry.name} is {entry.state.value} on {where}: squash"
                    " replaces only migrations every listed database applied",
                    "migrate that database first, or squash up to an earlier version",
                )
        checked.append(where)
        major = major or version // 10000
    return tuple(checked), major


def _data_notes(folded: Sequence[Migration]) -> tuple[str, ...]:
    """A note per migration whose statements change rows: the baseline holds the schema only.

    A backfill step is left out: it rewrites the rows a database had, and a fresh one has none.
    """
    return tuple(
        f"{m.filename} changes rows (INSERT, UPDATE, ...): a fresh database running the"
        " baseline will not have them"
        for m in folded
        if any(
            _DATA.match(st.sql) for step in m.steps if not step.backfill for st in step.statements
        )
    )


async def _replays(
    settings: Settings, folded: Sequence[Migration], major: int | None
) -> tuple[Loaded, Loaded]:
    """The dev server's empty database, and the replay of the migrations folded in."""
    sources = (
        migrations_source(settings, ()),
        migrations_source(settings, [m.version for m in folded]),
    )
    empty, replay = await concurrently(
        *(load(s, settings, major=major, with_privileges=True) for s in sources)
    )
    return empty, replay


def _steps(changes: Sequence[Change]) -> list[StepSpec]:
    """A step per run of consecutive changes of one class (one per change outside a transaction).

    The baseline runs on an empty database in one transaction, so a step is
    only a unit of progress: a step per change (7,019 for 1,000 tables) made a
    1.7 MB file that took 3.4 s to parse and printed 7,019 progress lines;
    grouped, 5 steps and 1.2 MB, parsed in 2.4 s; with the keys, checks and
    foreign keys inside CREATE TABLE (`squash_inline`), 3 steps and 1.07 MB.
    """
    steps: list[StepSpec] = []
    for (_, transactional), group in itertools.groupby(
        changes, key=lambda c: (type(c), step_transactional(c))
    ):
        run = list(group)
        if not transactional or len(run) == 1:
            steps += [step_spec(c) for c in run]
            continue
        # a class spans kinds (add check, add primary key, add unique): the first and the last
        what = f"{len(run):,} changes, from {run[0].describe()} to {run[-1].describe()}"
        steps.append(
            StepSpec(statements=tuple(sql for c in run for sql in c.sql()), annotations=(what,))
        )
    return steps


def _render(to: str, folded: Sequence[Migration], empty: Loaded, replay: Loaded) -> str:
    """The baseline's text: the replay diffed from an empty database, one step per change."""
    version = replay.server_version or None
    report = diff_report(empty.schema, replay.schema, server_version=version)
    problems = (
        unmodelled(empty.schema, replay.schema).problems("an empty database", "the migrations")
        + report.unreached
    )
    if problems:
        raise StudioError(
            f"the baseline cannot rebuild what the migrations up to {to} made: {problems[0]}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            "squash up to an earlier version",
        )
    last = folded[-1].filename
    return migrations.render_migration(
        to,
        _steps(inline_constraints(report.changes)),
        description=(
            f"squash of {counted(len(folded), 'migration')}, {folded[0].filename} to {last}",
            "irreversible (no down file): a fresh database runs it; where the migrations it"
            " replaced were applied, `migrate` records it in their place",
        ),
        schema_before=schema_hash(empty.schema),
        schema_after=schema_hash(replay.schema),
        squashes=[Squashed(m.version, m.name, m.checksum) for m in folded],
    )


async def _verify(
    settings: Settings, to: str, text: str, replay: Loaded, major: int | None
) -> None:
    """Replay the baseline alone; it must rebuild the migrations' schema."""
    with tempfile.TemporaryDirectory(prefix="schema-studio-squash-") as scratch:
        folder = Path(scratch)
        migrations.write_atomic(folder / migrations.file_name(to, SLUG), text)
        source = Source(SourceKind.MIGRATIONS, "the squash baseline", folder)
        rebuilt = await load(source, settings, major=major, use_cache=False, with_privileges=True)
    if rebuilt.schema == replay.schema:
        return
    report = diff_report(rebuilt.schema, replay.schema, server_version=replay.server_version)
    if report.changes or report.unreached:
        first = report.changes[0].describe() if report.changes else report.unreached[0]
        raise StudioError(
            f"the baseline does not rebuild the replayed schema"
            f" ({counted(len(report.changes) + len(report.unreached), 'difference')},"
            f" first: {first}); nothing was written",
            "squash up to an earlier version",
        )


def _replace(directory: Path, folded: Sequence[Migration], path: Path, text: str) -> list[Path]:
    """Write the baseline, remove the files it replaces, rewrite the sum: all or nothing."""
    gone = [p for m in folded for p in (m.path, m.down_path) if p is not None and p != path]
    originals = {p: p.read_bytes() for p in gone}
    previous = path.read_bytes() if path.exists() else None
    try:
        try:
            migrations.write_atomic(path, text)
            for p in gone:
                p.unlink()
        except OSError as e:
            raise StudioError(
                f"cannot squash in {directory}: {e.strerror or e}",
                "check the folder's permissions and free space",
            ) from None
        migrations.write_sum(directory)
    except BaseException:
        with contextlib.suppress(OSError):
            if previous is None:
                path.unlink()
            else:
                path.write_bytes(previous)
        for p, data in originals.items():
            if not p.exists():
                with contextlib.suppress(OSError):
                    p.write_bytes(data)
        raise
    return gone


async def _databases(
    settings: Settings, urls: Sequence[str], *, fleet: bool, force: bool
) -> list[tuple[Settings, str]]:
    """The databases to check: the fleet's targets, or those given, else the configured one;
    none only with `force`."""
    if fleet:
        return [(target_settings(settings, t), t.url) for t in await fleet_targets(settings)]
    if urls:
        return [(settings, url) for url in urls]
    url = settings.database_url(required=False)
    if url is None and not force:
        raise UsageError(
            "cannot tell whether every database applied the migrations to squash: no database"
            " given",
            "give --db URL once per database (or DATABASE_URL), or --fleet;"
            " --force squashes unchecked",
        )
    return [(settings, url)] if url else []


async def squash(
    settings: Settings,
    to: str,
    *,
    urls: Sequence[str] = (),
    fleet: bool = False,
    force: bool = False,
    major: int | None = None,
) -> Squash:
    """Replace the migrations up to `to` with one baseline; nothing changes on disk on refusal.

    Raises:
        ChecksumMismatch: the directory does not match its sum (a broken chain).
        UsageError: `to` unknown, nothing to squash, a split expand/contract
            pair, or no database to ask (without `force`); `fleet` without one.
        StudioError: a listed database has not applied a migration folded in
            or cannot be reached; the baseline cannot rebuild the schema.
    """
    directory = settings.migrations_dir
    migrations.verify_sum(directory)
    ms = migrations.load_directory(directory)
    folded = _folded(ms, to, directory)
    databases = await _databases(settings, urls, fleet=fleet, force=force)
    checked, target_major = await _refuse_unapplied(ms, folded, databases)
    major = major or target_major
    empty, replay = await _replays(settings, folded, major)
    text = _render(to, folded, empty, replay)
    await _verify(settings, to, text, replay, major)
    path = directory / migrations.file_name(to, SLUG)
    removed = _replace(directory, folded, path, text)
    notes = _data_notes(folded)
    downs = [m.down_path.name for m in folded if m.down_path is not None]
    if downs:
        notes += (
            f"{counted(len(downs), 'down file')} removed with their migrations: the baseline"
            " cannot be rolled back",
        )
    return Squash(
        to,
        path,
        tuple(f"{m.version}_{m.name}" for m in folded),
        tuple(removed),
        len(migrations.parse_file(path).steps),
        checked,
        notes,
    )


async def record_squashed(
    settings: Settings, url: str, ms: Sequence[Migration], *, wait: float = 0.0
) -> tuple[str, ...]:
    """Record, on the target, each squash baseline whose replaced migrations it applied.

    The live schema must be the replay of the migrations applied there (the
    baseline and those after it); otherwise nothing is recorded. Returns the
    versions recorded.
    """
    rows, _, _ = await read_history(settings, url)
    if unapplied := history.squash_unapplied(ms, rows):
        raise StudioError(unapplied, runner.SQUASH_HINT)
    status = history.compare(ms, rows)
    squashed = status.having(State.SQUASHED)
    if not squashed:
        return ()
    applied = [e.version for e in status.having(State.APPLIED, State.SQUASHED)]
    live = await load(Source(SourceKind.URL, url), settings)
    replay = await load(
        migrations_source(settings, applied), settings, major=live.server_version // 10000
    )
    scoped = in_scope(settings, managed_schemas(settings, replay, live), replay.schema, live.schema)
    replayed, now = scoped.sides
    drift = compare_live(replayed, now, replay, live)
    differences = len(drift.report.changes) + len(drift.problems())
    if differences:
        names = ", ".join(e.migration.filename for e in squashed if e.migration)
        raise StudioError(
            f"{mask_dsn(url)} is not the schema its migrations build"
            f" ({counted(differences, 'difference')}): {names} not recorded, nothing run",
            "see `schema-studio check`: bring the database in line, then migrate again",
        )
    return await runner.record_squash(url, settings, ms, [e.version for e in squashed], wait=wait)
