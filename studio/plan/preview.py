"""What each step of a migration (or of a list of changes) will do on the target, before it runs.

Per step: the locks it takes and what they block, whether it rewrites, scans,
builds an index or only touches the catalog (the knowledge base,
`studio.plan.locks`), the size and row count of the relations it works on, read
from the target (`studio.plan.probe`), an estimated duration range
(`studio.plan.estimates`), and what it means beyond the target
(`studio.plan.locks.replication`): an ACCESS EXCLUSIVE lock that lasts a second
or more, which hot standbys replay, and a change to a published table, which
logical subscribers need in the right order.
Read-only, on a connection the caller opens (`studio.commands.preview`).
`migrate` prints it before asking, `generate` after writing, and the studio
shows it beside each step; none of it is ever written into a migration file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.catalog import connect as db
from studio.config import mask_dsn
from studio.errors import StudioError
from studio.migrations import files as migrations
from studio.plan import estimates, probe
from studio.plan.estimates import Estimate, RelationSize, Throughput
from studio.plan.locks import Context, facts_for_change
from studio.plan.locks.lint import lint_sources, sources_for_migrations
from studio.plan.locks.parse import made_not_null, type_changes
from studio.plan.locks.replication import (
    long_exclusive_lock,
    published_changes,
    standby_lock_note,
)
from studio.sqltext.split import parse_statements

if TYPE_CHECKING:
    import asyncpg

    from studio.migrations.files import Migration
    from studio.model.changes import Change
    from studio.plan.locks.kb import LockFact


@dataclass(frozen=True, slots=True)
class StepEstimate:
    """One step on the target: its locks, the sizes of what they touch, and how long it may run."""

    version: str  # "" for a step made of a change not yet written
    index: int  # 1-based, within its migration
    title: str
    transactional: bool
    facts: tuple[LockFact, ...]
    sizes: tuple[RelationSize, ...]
    estimate: Estimate
    backfill: bool = False
    # what the target's data says about this step before it runs (e.g. NULLs it would refuse)
    checks: tuple[str, ...] = ()
    # what it means for the target's hot standbys and logical subscribers
    replicas: tuple[str, ...] = ()
    # a Python step's `pkg.mod:fn`: no SQL to analyse, so no locks or time are claimed
    python: str | None = None

    @property
    def kind(self) -> str:
        """What runs: `sql`, `backfill` or `python`."""
        return "python" if self.python else "backfill" if self.backfill else "sql"

    def lines(self) -> list[str]:
        """The summary as text lines: locks, sizes, time, checks."""
        if self.python is not None:
            # the title already says `python: pkg.mod:fn`
            return [
                "locks: not analysed: the lock analysis covers SQL only",
                "time:  not estimated (a Python step)",
            ]
        out = [f"locks: {f.describe()}" for f in self.facts if not f.placeholder]
        if not out:
            out.append("locks: none known to the knowledge base")
        out += [f"size:  {s.describe()}" for s in self.sizes]
        time = self.estimate.describe()
        if self.backfill and not self.estimate.instant:
            time += ", in short batches"
        if self.estimate.notes:
            time += "; " + "; ".join(self.estimate.notes)
        out.append(f"time:  {time}")
        out += [f"check: {c}" for c in self.checks]
        out += [f"replica: {r}" for r in self.replicas]
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "version": self.version or None,
            "index": self.index,
            "title": self.title,
            "kind": self.kind,
            "python": self.python,
            "transactional": self.transactional,
            "backfill": self.backfill,
            "locks": [f.to_dict() for f in self.facts],
            "sizes": [s.to_dict() for s in self.sizes],
            "estimate": self.estimate.to_dict(),
            "checks": list(self.checks),
            "replicas": list(self.replicas),
        }


@dataclass(frozen=True, slots=True)
class Preview:
    """Every step's estimate, with the throughput they are based on."""

    steps: tuple[StepEstimate, ...]
    throughput: Throughput | None  # None: every step is catalog only, nothing was measured
    server_version: int
    url: str = ""
    # read from the target: the standbys streaming from it, and its published tables' publications
    standbys: int | None = None
    publications: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def context(self) -> Context:
        """What lint needs to know of the target's standbys and publications."""
        return Context.of(None, publications=self.publications, standbys=self.standbys)

    def step(self, version: str, index: int) -> StepEstimate | None:
        """The estimate of step `index` of migration `version`."""
        return next((s for s in self.steps if s.version == version and s.index == index), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "database": mask_dsn(self.url) if self.url else None,
            "server_version": self.server_version,
            "throughput": self.throughput.to_dict() if self.throughput else None,
            "standbys": self.standbys,
            "steps": [s.to_dict() for s in self.steps],
        }


# one step before the target is read: (version, index, title, transactional, backfill,
# facts per statement, the statements' SQL, a Python step's `pkg.mod:fn`)
_Draft = tuple[
    str, int, str, bool, bool, tuple[tuple["LockFact", ...], ...], tuple[str, ...], str | None
]


async def step_estimates(
    conn: asyncpg.Connection,
    migration_or_changes: Migration | Sequence[Migration] | Sequence[Change],
    *,
    earlier: Sequence[Migration] = (),
    context: Context | None = None,
    refresh: bool = False,
    url: str = "",
) -> Preview:
    """Locks, sizes and duration estimates of every step, read on `conn` (read-only).

    Migrations are analysed as the runner applies them, after `earlier`
    (the migrations before them, replayed for context, not read from the
    target). Changes are one step each, analysed against `context` (the
    target's schema, when the caller has it). `url` is where `conn` goes,
    shown with the preview.
    """
    version = await db.server_version_num(conn)
    drafts = _drafts(migration_or_changes, earlier, version, context)
    facts = [f for d in drafts for stmt in d[5] for f in stmt]
    sizes = await probe.read_sizes(conn, estimates.relations_of(facts))
    throughput = None
    if estimates.needs_throughput(facts, sizes):
        throughput = await probe.throughput_for(conn, sizes, refresh=refresh)
    wanted = data_requirements([d[6] for d in drafts])
    found = await data_findings(conn, [r for rs in wanted for r in rs])
    published, standbys = await probe.replication(conn)
    ctx = Context.of(None, publications=published, standbys=standbys)
    steps = (
        _step(
            d,
            sizes,
            throughput,
            tuple(dict.fromkeys(found[r] for r in rs if r in found)),
            ctx,
        )
        for d, rs in zip(drafts, wanted, strict=True)
    )
    return Preview(tuple(steps), throughput, version, url, standbys, published)


# an ACCESS EXCLUSIVE expected to last this long (seconds, the estimate's upper bound) is worth
# a line about the standbys that replay it: below, their readers barely notice it
STANDBY_NOTICE = 1.0


def replica_notes(
    facts: Sequence[LockFact],
    sqls: Sequence[str],
    estimate: Estimate,
    sizes: Mapping[str, RelationSize],
    context: Context,
) -> tuple[str, ...]:
    """What a step means for the target's hot standbys and logical subscribers."""
    out: list[str] = []
    lock = long_exclusive_lock(facts, lambda table: table in sizes)
    if lock is not None and estimate.high >= STANDBY_NOTICE:
        seconds = estimates.human_range(estimate.low, estimate.high)
        out.append(standby_lock_note(lock, seconds, context.standbys))
    if context.publications:
        for sql in sqls:
            try:
                parsed = parse_statements(sql)
            except StudioError:
                continue  # what does not parse is lint's to report
            out += [c.describe() for st in parsed for c in published_changes(st.node, context)]
    return tuple(dict.fromkeys(out))


# What a step requires of the rows already there: (table, column) to hold no NULL, or
# (table, column, type, conversion) to convert without an error or a cut value
Requirement = tuple[str, ...]


def data_requirements(steps: Sequence[Sequence[str]]) -> list[list[Requirement]]:
    """Per step (its statements' SQL, in order), what it requires of the target's rows."""
    named: dict[str, list[tuple[str, str]]] = {}  # the NOT VALID checks of the steps so far
    out: list[list[Requirement]] = []
    for sqls in steps:
        found: list[Requirement] = list(not_null_targets(sqls, named))
        found += conversion_targets(sqls)
        out.append(found)
    return out


async def data_findings(conn: Any, wanted: Sequence[Requirement]) -> dict[Requirement, str]:
    """What the target's rows say of each requirement that they would fail (read-only)."""
    pairs = [(r[0], r[1]) for r in wanted if len(r) == 2]
    conversions = [(r[0], r[1], r[2], r[3]) for r in wanted if len(r) == 4]
    found: dict[Requirement, str] = {}
    for pair, note in (await probe.null_rows(conn, pairs)).items():
        found[pair] = note
    for change, note in (await probe.conversion_problems(conn, conversions)).items():
        found[change] = note
    return found


def conversion_targets(sqls: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """The (table, column, type, conversion) of the statements' ALTER COLUMN ... TYPE."""
    out: list[tuple[str, str, str, str]] = []
    for sql in sqls:
        if " TYPE " not in sql.upper():
            continue  # most statements: no parse needed
        try:
            out += [c for st in parse_statements(sql) for c in type_changes(st.node)]
        except StudioError:
            continue
    return out


def not_null_targets(
    sqls: Sequence[str], named: dict[str, list[tuple[str, str]]]
) -> list[tuple[str, str]]:
    """The (table, column) pairs these statements require to hold no NULL (`made_not_null`)."""
    out: list[tuple[str, str]] = []
    for sql in sqls:
        upper = sql.upper()
        if "NOT NULL" not in upper and "VALIDATE" not in upper:
            continue  # most statements: no parse needed
        try:
            out += [p for st in parse_statements(sql) for p in made_not_null(st.node, named)]
        except StudioError:
            continue  # what does not parse is lint's to report
    return out


def _step(
    draft: _Draft,
    sizes: dict[str, RelationSize],
    throughput: Throughput | None,
    checks: tuple[str, ...],
    context: Context,
) -> StepEstimate:
    version, index, title, transactional, backfill, statements, sqls, python = draft
    rate = throughput or estimates.default_throughput()
    est = estimates.combine(
        estimates.estimate(stmt, sizes, rate, every_row=backfill) for stmt in statements
    )
    flat = tuple(dict.fromkeys(f for stmt in statements for f in stmt))
    shown = estimates.relations_of(estimates.table_facts(flat))
    return StepEstimate(
        version,
        index,
        title,
        transactional,
        flat,
        tuple(sizes[r] for r in shown if r in sizes),
        est,
        backfill,
        checks,
        replica_notes(flat, sqls, est, sizes, context),
        python,
    )


def _drafts(
    what: Migration | Sequence[Migration] | Sequence[Change],
    earlier: Sequence[Migration],
    version: int,
    context: Context | None,
) -> list[_Draft]:
    if isinstance(what, migrations.Migration):
        return _migration_drafts([what], earlier, version)
    items = list(what)
    if items and all(isinstance(m, migrations.Migration) for m in items):
        return _migration_drafts(items, earlier, version)  # type: ignore[arg-type]
    out: list[_Draft] = []
    for i, change in enumerate(items, 1):
        c: Change = change  # type: ignore[assignment]
        facts = facts_for_change(c, version, context)
        out.append(("", i, c.describe(), c.transactional, False, (facts,), c.sql(), None))
    return out


def _migration_drafts(
    ms: Sequence[Migration], earlier: Sequence[Migration], version: int
) -> list[_Draft]:
    """Facts per step and statement, from lint's analysis of the migrations in runner order."""
    wanted = {m.version for m in ms}
    ordered = sorted(ms, key=lambda m: m.version)
    report = lint_sources(
        sources_for_migrations([*earlier, *ordered], wanted), server_version=version
    )
    by_path: dict[str, list[tuple[int, tuple[LockFact, ...]]]] = {}
    for s in report.statements:
        by_path.setdefault(s.path, []).append((s.line, s.facts))
    out: list[_Draft] = []
    for m in ordered:
        stmts = by_path.get(str(m.path), [])
        for step in m.steps:
            spans = [(st.line, st.line + st.sql.count("\n")) for st in step.statements]
            facts = tuple(f for line, f in stmts if any(a <= line <= b for a, b in spans))
            sqls = tuple(st.sql for st in step.statements)
            python = step.python.target if step.python else None
            out.append(
                (
                    m.version,
                    step.index,
                    step.title,
                    step.transactional,
                    step.backfill,
                    facts,
                    sqls,
                    python,
                )
            )
    return out


def draft_migration(
    steps: Sequence[migrations.StepSpec], version: str = "00000000000000"
) -> Migration:
    """An in-memory migration of rendered steps (what the studio reviews before writing it)."""
    parsed = migrations.parse_text(migrations.render_migration(version, list(steps)), "<draft>")
    return migrations.Migration(
        version=version, name="draft", path=Path("<draft>"), steps=parsed.steps
    )
