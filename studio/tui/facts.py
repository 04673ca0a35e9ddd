"""What the review screen says about each step: locks, what they block, effect, hazards, estimate.

Pure: the lock analysis (`studio.plan.locks`) and the estimates (`studio.plan.estimates`)
do the work. The chosen plan is analysed as one migration, the way the
runner will apply it and `generate` annotates it (a step sees what the
earlier steps did); sizes and the throughput come from the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio.commands.generate import annotated_steps, step_spec
from studio.migrations import files as migrations
from studio.model.changes import CreateTable

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from studio.commands.pending import PendingStep
    from studio.model import Schema
    from studio.model.changes import Change
    from studio.plan.estimates import Estimate, RelationSize, Throughput
    from studio.plan.locks import Context, LockFact
    from studio.plan.locks.lint import LintReport

LEVELS = ("danger", "warning", "info")
DEFAULT_SERVER_VERSION = 180000


@dataclass(frozen=True, slots=True)
class LockLine:
    """One lock a step takes."""

    relation: str
    mode: str
    blocks: str
    effect: str
    # "rewrite", "scan", "index_build", "catalog"...: the effect's key
    effect_key: str
    blocks_reads: bool = False
    blocks_writes: bool = False


@dataclass(frozen=True, slots=True)
class Hazard:
    """Something to know before running a step."""

    level: str  # danger, warning, info
    id: str
    message: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class StepFacts:
    """Everything the review shows about one change (None: no answer)."""

    locks: tuple[LockLine, ...] | None
    hazards: tuple[Hazard, ...]
    estimate: str | None = None
    instant: bool = False
    facts: tuple[LockFact, ...] = ()

    @property
    def effect(self) -> str | None:
        """The costliest effect, in words (rewrite > index build > scan > catalog)."""
        if not self.locks:
            return None
        order = ("rewrite", "index_build", "data", "scan", "truncate", "catalog")
        best = min(
            self.locks, key=lambda f: order.index(f.effect_key) if f.effect_key in order else 99
        )
        return best.effect

    @property
    def worst(self) -> str | None:
        """The most severe hazard level, if any."""
        levels = {h.level for h in self.hazards}
        return next((lv for lv in LEVELS if lv in levels), None)


def context(before: Schema, changes: Sequence[Change]) -> Context:
    """What lock analysis knows: the schema before the migration and the tables it creates."""
    # deferred: pglast (the lock analysis), loaded when a plan is analysed, not at startup
    from studio.plan.locks import Context

    new_tables = frozenset(c.table.key for c in changes if isinstance(c, CreateTable))
    return Context.of(before, new_tables=new_tables)


def plain_steps(changes: Sequence[Change]) -> list[migrations.StepSpec]:
    """One step per change, annotated with its description only."""
    return [step_spec(c) for c in changes]


def steps(
    changes: Sequence[Change], server_version: int, before: Schema
) -> list[migrations.StepSpec]:
    """The steps `generate` writes for these changes (annotated with locks and hazards).

    Should the lock analysis fail on a statement, the steps are still written,
    with their descriptions only: a file without lock notes beats no file.
    """
    try:
        return annotated_steps(changes, server_version, context(before, changes))
    except Exception:  # noqa: BLE001
        return plain_steps(changes)


def lock_line(f: LockFact) -> LockLine:
    from studio.plan.locks.modes import Activity, summary  # deferred: pglast, as in `context`

    blocked = f.blocks
    return LockLine(
        f.relation,
        f.mode.label,
        summary(blocked),
        f.effect.label,
        f.effect.value,
        Activity.SELECT in blocked,
        Activity.WRITE in blocked,
    )


def analyse(
    changes: Sequence[Change],
    server_version: int,
    before: Schema,
    sizes: Mapping[str, RelationSize] | None = None,
    throughput: Throughput | None = None,
) -> tuple[StepFacts, ...]:
    """Facts of each change of a migration, analysed in order as one migration."""
    return analyse_steps(
        plain_steps(changes), list(changes), server_version, before, sizes, throughput
    )


def analyse_steps(
    specs: Sequence[migrations.StepSpec],
    changes: Sequence[Change | None],
    server_version: int,
    before: Schema,
    sizes: Mapping[str, RelationSize] | None = None,
    throughput: Throughput | None = None,
) -> tuple[StepFacts, ...]:
    """Facts of each step of a migration, analysed in order as one migration.

    `changes[i]` is the change step `i` runs, when it is one (its own
    hazards count too); None for a step of an expand/contract phase.
    """
    if not specs:
        return ()
    # deferred: pglast (the lock analysis and estimates), loaded when a plan is analysed
    from studio.plan import estimates

    # deferred: pglast loads its parser only when SQL is parsed
    from studio.plan.locks.lint import lint_sources, migration_source

    version = server_version or DEFAULT_SERVER_VERSION
    ctx = context(before, [c for c in changes if c is not None])
    draft = migrations.parse_text(migrations.render_migration("00000000000000", specs), "<review>")
    m = migrations.Migration(
        version="00000000000000", name="review", path=Path("<review>"), steps=draft.steps
    )
    try:
        report = lint_sources([migration_source(m)], server_version=version, context=ctx)
    except Exception:  # noqa: BLE001  # the analysis cannot read a statement: say nothing rather than guess
        return tuple(StepFacts(None, _own_hazards(c), None) for c in changes)
    rate = throughput or estimates.default_throughput("not measured yet")
    return tuple(
        _step_facts(step, change, report, sizes, rate)
        for step, change in zip(draft.steps, changes, strict=True)
    )


def _step_facts(
    step: migrations.Step,
    change: Change | None,
    report: LintReport,
    sizes: Mapping[str, RelationSize] | None,
    rate: Throughput,
) -> StepFacts:
    """The facts of one step of an analysed draft (its lines in the lint report)."""
    # deferred: pglast (the lock analysis and estimates), loaded when a plan is analysed
    from studio.plan import estimates

    # deferred: pglast loads its parser only when SQL is parsed
    from studio.plan.locks.hazards import Level

    lines = {st.line for st in step.statements}
    first = min(lines) if lines else 0
    last = max(lines) + step.sql.count("\n") if lines else 0
    facts = tuple(
        f
        for r in report.statements
        if first <= r.line <= last
        for f in r.facts
        if not f.placeholder
    )
    seen: set[str] = set()
    hazards: list[Hazard] = []
    for finding in report.active():
        if first <= finding.line <= last and finding.hazard.id not in seen:
            seen.add(finding.hazard.id)
            hazards.append(
                Hazard(
                    finding.level.label,
                    finding.hazard.id,
                    finding.hazard.message + (f" ({finding.detail})" if finding.detail else ""),
                    finding.hazard.fix,
                )
            )
    if (
        change is not None
        and change.destructive
        and "destroys-data" not in seen
        and not any(h.level == Level.DANGER.label for h in hazards)
    ):
        hazards.append(
            Hazard(
                "danger",
                "destroys-data",
                f"{change.describe()}: the data it removes cannot be restored by the down file",
                "back the data up first, or keep the old object until nothing reads it",
            )
        )
    est: Estimate = estimates.estimate(
        estimates.table_facts(facts), sizes or {}, rate, every_row=step.backfill
    )
    return StepFacts(
        tuple(dict.fromkeys(lock_line(f) for f in facts)),
        tuple(sorted(hazards, key=lambda h: LEVELS.index(h.level) if h.level in LEVELS else 9)),
        est.describe(),
        est.instant,
        facts,
    )


def _own_hazards(change: Change | None) -> tuple[Hazard, ...]:
    """What the change vocabulary itself knows (a destructive change)."""
    if change is None or not change.destructive:
        return ()
    return (
        Hazard(
            "danger",
            "destroys-data",
            f"{change.describe()}: the data it removes cannot be restored by the down file",
            "back the data up first, or keep the old object until nothing reads it",
        ),
    )


def relations(changes: Sequence[Change], server_version: int, before: Schema) -> tuple[str, ...]:
    """Every relation the changes lock (for reading their sizes on the target)."""
    # deferred: pglast (the lock analysis and estimates), loaded when a plan is analysed
    from studio.plan import estimates

    # deferred: pglast loads its parser only when SQL is parsed
    from studio.plan.locks import facts_for_change

    ctx = context(before, changes)
    version = server_version or DEFAULT_SERVER_VERSION
    out: list[str] = []
    for c in changes:
        try:
            out += estimates.relations_of(facts_for_change(c, version, ctx))
        except Exception:  # noqa: BLE001  # a change the analysis cannot place: its tables still have sizes
            out += list(c.targets)
    return tuple(dict.fromkeys(out))


def pending_facts(step: PendingStep) -> StepFacts:
    """What the review shows of a step of a pending migration (`commands.pending`)."""
    p = step.preview
    facts = tuple(f for f in p.facts if not f.placeholder)
    hazards = tuple(
        Hazard(
            f.level.label,
            f.hazard.id,
            f.hazard.message + (f" ({f.detail})" if f.detail else ""),
            f.hazard.fix,
        )
        for f in step.findings
    )
    estimate = p.estimate.describe()
    if p.backfill and not p.estimate.instant:
        estimate += ", in short batches"
    return StepFacts(
        tuple(dict.fromkeys(lock_line(f) for f in facts)),
        tuple(sorted(hazards, key=lambda h: LEVELS.index(h.level) if h.level in LEVELS else 9)),
        estimate,
        p.estimate.instant,
        facts,
    )
