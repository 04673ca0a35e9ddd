"""`plan`: what `migrate` would do, step by step, as a report for a pull request (read-only).

Which migrations it plans:

- with a database: the ones `migrate` would run on it now
  (`migrate.migrate_plan`: interrupted ones first, then the pending ones, with
  migrate's own refusals), analysed against it as the studio reviews a
  pending migration (`pending.pending_steps`: locks, sizes, duration
  estimates and row checks read from the target, lint's hazards);
- without one there is no history to compare with: the migration files newer
  than `since`, by default the newest file alone, analysed by lint only (locks
  and hazards; sizes and durations need a database);
- when that selects nothing: what `generate` would write now (the declared
  schema against the migrations), analysed the same way, written nowhere.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from studio.commands.files import load_migrations
from studio.commands.generate import generate
from studio.commands.migrate import migrate_plan
from studio.commands.pending import pending_steps, within
from studio.config import mask_dsn
from studio.errors import UsageError
from studio.migrations import files as migrations
from studio.migrations.format import Phase
from studio.migrations.python_calls import python_targets
from studio.plan.locks.lint import DEFAULT_SERVER_VERSION, lint_sources, sources_for_migrations
from studio.plan.report import PlannedMigration, PlannedStep, PlanReport, Source

if TYPE_CHECKING:
    from collections.abc import Sequence

    from studio.commands.pending import PendingStep
    from studio.config import Settings
    from studio.migrations.files import Migration

# the name `generate` is given for the migration it would write
DRAFT_NAME = "pending changes"
_VERSION = re.compile(r"^\d{14}$")


# --- the use case --------------------------------------------------------------------------------


async def plan_report(
    settings: Settings,
    *,
    since: str | None = None,
    renames: Sequence[str] = (),
    no_rename: bool = False,
) -> PlanReport:
    """What `migrate` would run now, or what `generate` would write, analysed step by step.

    Read-only: the target (when given) is only read, and nothing is written.

    Raises:
        UsageError: `since` is not a version, or given with a database.
        UnresolvedRenames: generate's rename candidates need `renames` or `no_rename`.
    """
    if since is not None and not _VERSION.match(since):
        raise UsageError(
            f"--since {since!r} is not a migration version",
            "a version is 14 digits, e.g. 20250101120000",
        )
    url = settings.database_url(required=False)
    if url is not None and since is not None:
        raise UsageError(
            "--since chooses migration files when no database is given; with one, the plan is"
            " what its history lacks",
            "drop --since, or leave out --db and the database variable",
        )
    if url is not None:
        return await _on_database(settings, url, renames, no_rename)
    return await _from_files(settings, since, renames, no_rename)


async def _on_database(
    settings: Settings, url: str, renames: Sequence[str], no_rename: bool
) -> PlanReport:
    """The migrations migrate would run on the target, else generate's, analysed against it."""
    planned = await migrate_plan(settings)
    database = _database_name(url)
    source, drafts = Source.PENDING, planned.migrations
    done = {m.version: d for m, d in zip(planned.migrations, planned.done, strict=True)}
    notes: tuple[str, ...] = ()
    if not drafts:
        source = Source.GENERATE
        drafts, notes = await _generated(settings, renames, no_rename)
        notes = (f"no migration is pending on `{database}`", *notes)
    if not drafts:
        return _report(settings, source, (), 0, database=database, notes=notes)
    preview, steps = await pending_steps(settings, url, drafts, done)
    ms = tuple(
        PlannedMigration(
            m,
            tuple(_planned(s) for s in steps[m.version]),
            "draft"
            if source is Source.GENERATE
            else ("partial" if done.get(m.version) else "pending"),
        )
        for m in sorted(drafts, key=lambda m: m.version)
    )
    notes = notes + _contract_notes(ms) + _python_notes(ms)
    return _report(
        settings,
        source,
        ms,
        preview.server_version,
        database=database,
        throughput=preview.throughput,
        notes=notes,
    )


async def _from_files(
    settings: Settings, since: str | None, renames: Sequence[str], no_rename: bool
) -> PlanReport:
    """Without a database: the files newer than `since` (the newest alone by default)."""
    existing = load_migrations(settings) if settings.migrations_dir.is_dir() else ()
    chosen = tuple(m for m in existing if m.version > since) if since else existing[-1:]
    which = f"the migration files after {since}" if since else "the newest migration file"
    notes = [f"no database given: planning {which} (with one: the migrations pending on it)"]
    source, state = Source.FILES, "file"
    if not chosen:
        source, state = Source.GENERATE, "draft"
        chosen, said = await _generated(settings, renames, no_rename)
        notes += said
    ms = _linted(existing, chosen, state)
    notes += [*_contract_notes(ms), *_python_notes(ms)]
    return _report(settings, source, ms, DEFAULT_SERVER_VERSION, notes=tuple(notes))


def _linted(
    existing: Sequence[Migration], chosen: Sequence[Migration], state: str
) -> tuple[PlannedMigration, ...]:
    """The chosen migrations analysed by lint alone, the earlier files replayed for context."""
    if not chosen:
        return ()
    wanted = {m.version for m in chosen}
    first = min(wanted)
    earlier = [m for m in existing if m.version < first and m.version not in wanted]
    ordered = sorted(chosen, key=lambda m: m.version)
    report = lint_sources(
        sources_for_migrations([*earlier, *ordered], wanted), server_version=DEFAULT_SERVER_VERSION
    )
    active = report.active()
    out = []
    for m in ordered:
        path = str(m.path)
        findings = [f for f in active if f.path == path]
        statements = [s for s in report.statements if s.path == path]
        steps = tuple(
            PlannedStep(
                step,
                tuple(dict.fromkeys(f for s in within(step, statements) for f in s.facts)),
                within(step, findings),
            )
            for step in m.steps
        )
        out.append(PlannedMigration(m, steps, state))
    return tuple(out)


async def _generated(
    settings: Settings, renames: Sequence[str], no_rename: bool
) -> tuple[tuple[Migration, ...], tuple[str, ...]]:
    """What generate would write now, as migrations in memory (and why there is none)."""
    if settings.schema is None:
        return (), ("no declared schema configured: nothing `generate` could write",)
    result = await generate(settings, DRAFT_NAME, renames, no_rename=no_rename, write=False)
    if not result.changes:
        return (), ("the declared schema matches the migrations: `generate` would write nothing",)
    slug = migrations.slugify(DRAFT_NAME)
    texts = [(result.version, slug if result.phases is None else f"{slug}_expand", result.text)]
    if result.contract_text:
        texts.append((result.contract_version, f"{slug}_contract", result.contract_text))
    drafts = tuple(_draft(settings, v, s, t) for v, s, t in texts)
    return drafts, result.warnings() + result.notes


def _draft(settings: Settings, version: str, slug: str, text: str) -> Migration:
    """A migration generate would write, parsed in memory at the path it would get."""
    path = settings.migrations_dir / migrations.file_name(version, slug)
    parsed = migrations.parse_text(text, str(path))
    return migrations.Migration(
        version=version, name=slug, path=path, steps=parsed.steps, phase=parsed.phase
    )


def _planned(s: PendingStep) -> PlannedStep:
    return PlannedStep(s.step, s.preview.facts, s.findings, s.preview, s.done)


def _contract_notes(ms: Sequence[PlannedMigration]) -> tuple[str, ...]:
    return tuple(
        f"{m.migration.version} is a contract migration: migrate applies it only with"
        " --confirm-contract, once no instance of the old application version runs"
        for m in ms
        if m.migration.phase is Phase.CONTRACT
    )


def _python_notes(ms: Sequence[PlannedMigration]) -> tuple[str, ...]:
    targets = python_targets([m.migration for m in ms])
    if not targets:
        return ()
    return (
        f"Python steps ({', '.join(targets)}): the lock analysis covers SQL only;"
        " no lock or time is counted for them",
    )


def _report(
    settings: Settings,
    source: Source,
    ms: tuple[PlannedMigration, ...],
    server_version: int,
    **kw: Any,
) -> PlanReport:
    return PlanReport(
        source,
        ms,
        server_version,
        lock_timeout=settings.lock_timeout,
        retries=settings.retries,
        queue_guard=settings.queue_guard,
        **kw,
    )


def _database_name(url: str) -> str:
    """The database's name in `url` (shown in a pull request: never its host or user)."""
    masked = mask_dsn(url)
    if "://" in masked:
        name = unquote(urlsplit(masked).path.lstrip("/"))
    else:  # a keyword DSN: `dbname=app host=...`
        m = re.search(r"\bdbname\s*=\s*'?([^'\s]+)", masked)
        name = m[1] if m else ""
    return name or "(the user's default database)"
