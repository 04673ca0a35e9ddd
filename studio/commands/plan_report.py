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

import enum
import re
from dataclasses import dataclass
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
from studio.plan.locks.hazards import Level
from studio.plan.locks.lint import DEFAULT_SERVER_VERSION, lint_sources, sources_for_migrations
from studio.words import counted

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from studio.commands.pending import PendingStep
    from studio.config import Settings
    from studio.migrations.files import Migration, Step
    from studio.plan.estimates import Throughput
    from studio.plan.locks.kb import LockFact
    from studio.plan.locks.lint import Finding
    from studio.plan.preview import StepEstimate

# the version of the JSON shape (docs/ci.md): raised when a key changes meaning or goes away
JSON_SHAPE = 1
# the name `generate` is given for the migration it would write
DRAFT_NAME = "pending changes"
_VERSION = re.compile(r"^\d{14}$")


class Source(enum.StrEnum):
    """Where the planned migrations come from."""

    PENDING = "pending"  # the ones migrate would run on the database
    FILES = "files"  # migration files chosen without a database (`since`)
    GENERATE = "generate"  # what generate would write now


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """One step: its SQL, the locks it takes, lint's hazards on it, its estimate on the target."""

    step: Step
    facts: tuple[LockFact, ...]
    findings: tuple[Finding, ...]
    # sizes, duration and row checks read from the target (None: no database given)
    estimate: StepEstimate | None = None
    # committed by an interrupted run: migrate resumes after it
    done: bool = False

    @property
    def stops_the_application(self) -> bool:
        """Whether a lock of the step makes reads or writes of some relation wait."""
        return any(f.blocks_reads or f.blocks_writes for f in self.facts)

    def strongest(self) -> LockFact | None:
        """The step's strongest lock (the first one of that mode)."""
        return max(self.facts, key=lambda f: f.mode, default=None)

    def seconds(self) -> tuple[float, float]:
        """The estimated duration range (0-0 without an estimate)."""
        if self.estimate is None:
            return 0.0, 0.0
        return self.estimate.estimate.low, self.estimate.estimate.high

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (docs/ci.md)."""
        e = self.estimate
        return {
            "index": self.step.index,
            "title": self.step.title,
            "line": self.step.line,
            "transactional": self.step.transactional,
            "backfill": self.step.backfill,
            "done": self.done,
            "sql": [st.sql for st in self.step.statements],
            "locks": [f.to_dict() for f in self.facts],
            "sizes": [s.to_dict() for s in e.sizes] if e is not None else None,
            "estimate": e.estimate.to_dict() if e is not None else None,
            "checks": list(e.checks) if e is not None else [],
            "hazards": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True, slots=True)
class PlannedMigration:
    """One migration as migrate would run it (or as generate would write it)."""

    migration: Migration
    steps: tuple[PlannedStep, ...]
    state: str  # "pending", "partial" (resumed), "file" (no database to ask), "draft" (not written)

    @property
    def todo(self) -> tuple[PlannedStep, ...]:
        """The steps still to run."""
        return tuple(s for s in self.steps if not s.done)

    @property
    def one_transaction(self) -> bool:
        """Whether the runner applies it in one transaction (else step by step)."""
        return self.migration.one_transaction

    def blocking(self) -> tuple[float, float]:
        """Estimated seconds under locks that stop reads or writes.

        In one transaction a lock is held until the commit: from the first step
        that takes such a lock to the end. Step by step, each step's own.
        """
        todo = self.todo
        if self.one_transaction:
            first = next((i for i, s in enumerate(todo) if s.stops_the_application), len(todo))
            held = todo[first:]
        else:
            held = tuple(s for s in todo if s.stops_the_application)
        return _sum(s.seconds() for s in held)

    def duration(self) -> tuple[float, float]:
        """Estimated seconds for the steps still to run."""
        return _sum(s.seconds() for s in self.todo)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (docs/ci.md)."""
        m = self.migration
        return {
            "version": m.version,
            "name": m.name,
            "path": str(m.path) if self.state != "draft" else None,
            "state": self.state,
            "phase": m.phase.value if m.phase else None,
            "one_transaction": self.one_transaction,
            "steps": [s.to_dict() for s in self.steps],
        }


@dataclass(frozen=True, slots=True)
class PlanReport:
    """What `migrate` would do (or `generate` would write), migration by migration."""

    source: Source
    migrations: tuple[PlannedMigration, ...]
    # the server the locks are analysed for (server_version_num); the target's when one is given
    server_version: int
    # the target database's name, never its host or user (None: no database given)
    database: str | None = None
    throughput: Throughput | None = None
    lock_timeout: str = ""
    retries: int = 0
    notes: tuple[str, ...] = ()

    @property
    def estimated(self) -> bool:
        """Whether durations were estimated (a database was given)."""
        return self.database is not None

    def todo(self) -> Iterator[tuple[PlannedMigration, PlannedStep]]:
        """Every step still to run, with its migration."""
        for m in self.migrations:
            for s in m.todo:
                yield m, s

    def counts(self) -> dict[str, int]:
        """Hazards per level on the steps still to run (those no ignore comment accepted)."""
        found = [f for _, s in self.todo() for f in s.findings]
        return {lv.label: sum(1 for f in found if f.level is lv) for lv in Level}

    def strongest(self) -> tuple[PlannedMigration, PlannedStep, LockFact] | None:
        """The strongest lock of the plan, where it is first taken."""
        best: tuple[PlannedMigration, PlannedStep, LockFact] | None = None
        for m, s in self.todo():
            f = s.strongest()
            if f is not None and (best is None or f.mode > best[2].mode):
                best = (m, s, f)
        return best

    def blocking(self) -> tuple[float, float]:
        """Estimated seconds, over the whole plan, under locks that stop reads or writes."""
        return _sum(m.blocking() for m in self.migrations)

    def duration(self) -> tuple[float, float]:
        """Estimated seconds for every step still to run."""
        return _sum(m.duration() for m in self.migrations)

    def exit_code(self, fail_on: Level = Level.DANGER) -> int:
        """2 when a hazard at or above `fail_on` is on a step still to run (as lint), else 0."""
        return 2 if any(f.level >= fail_on for _, s in self.todo() for f in s.findings) else 0

    def headline(self) -> str:
        """`2 migrations (5 steps) pending on app` and the like: what is planned."""
        if not self.migrations:
            return "nothing to plan"
        steps = counted(sum(1 for _ in self.todo()), "step")
        n = counted(len(self.migrations), "migration")
        where = f"`{self.database}`" if self.database else "the database"
        if self.source is Source.PENDING:
            return f"{n} ({steps}) pending on {where}"
        if self.source is Source.FILES:
            return f"{n} ({steps}) from the migration files"
        return f"{n} ({steps}) that `generate` would write now"

    def to_dict(self, fail_on: Level = Level.DANGER) -> dict[str, Any]:
        """JSON-ready form (its shape is documented in docs/ci.md)."""
        strongest = self.strongest()
        blocking, duration = self.blocking(), self.duration()
        return {
            "shape": JSON_SHAPE,
            "source": self.source.value,
            "database": self.database,
            "server_version": self.server_version,
            "throughput": self.throughput.to_dict() if self.throughput else None,
            "lock_timeout": self.lock_timeout,
            "retries": self.retries,
            "notes": list(self.notes),
            "summary": {
                "migrations": len(self.migrations),
                "steps": sum(1 for _ in self.todo()),
                "strongest_lock": None
                if strongest is None
                else {
                    "version": strongest[0].migration.version,
                    "step": strongest[1].step.index,
                    **strongest[2].to_dict(),
                },
                "hazards": self.counts(),
                "blocking_s": _range(blocking) if self.estimated else None,
                "duration_s": _range(duration) if self.estimated else None,
            },
            "migrations": [m.to_dict() for m in self.migrations],
            "fail_on": fail_on.label,
            "exit_code": self.exit_code(fail_on),
        }


def _sum(ranges: Iterable[tuple[float, float]]) -> tuple[float, float]:
    low = high = 0.0
    for a, b in ranges:
        low, high = low + a, high + b
    return low, high


def _range(r: tuple[float, float]) -> dict[str, float]:
    return {"low": round(r[0], 3), "high": round(r[1], 3)}


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
    notes = notes + _contract_notes(ms)
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
    return _report(
        settings, source, ms, DEFAULT_SERVER_VERSION, notes=(*notes, *_contract_notes(ms))
    )


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
