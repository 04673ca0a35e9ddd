"""What `plan` reports: the planned migrations, step by step, and the summary of them (pure).

Each step carries its SQL, the locks the knowledge base says it takes, the
hazards lint finds on it and, when a database was read, its sizes, estimate and
row checks (`studio.plan.preview`). The summary folds them: the strongest lock,
hazards by level, the estimated time under locks that stop reads or writes.
`studio.commands.plan_report` builds it; the faces print it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio.config import duration_seconds
from studio.plan.locks.hazards import Level
from studio.words import counted

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from studio.migrations.files import Migration, Step
    from studio.plan.estimates import Throughput
    from studio.plan.locks.kb import LockFact
    from studio.plan.locks.lint import Finding
    from studio.plan.preview import StepEstimate

# the version of the JSON shape (docs/ci.md): raised when a key changes meaning or goes away
JSON_SHAPE = 1


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
            "kind": self.step.kind,
            "python": self.step.python.target if self.step.python else None,
            "done": self.done,
            "sql": [st.sql for st in self.step.statements],
            "locks": [f.to_dict() for f in self.facts],
            "sizes": [s.to_dict() for s in e.sizes] if e is not None else None,
            # a Python step: nothing to estimate (the analysis covers SQL only)
            "estimate": e.estimate.to_dict() if e is not None and not self.step.python else None,
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
    # seconds an attempt may wait while others queue behind it (0: the guard off)
    queue_guard: float = 0.0
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

    @property
    def lock_wait(self) -> str:
        """How long each lock is waited for, in words (`lock_timeout` in backquotes)."""
        whole, guard = self.lock_timeout, self.queue_guard
        seconds = duration_seconds(whole) if whole else 0.0
        if guard > 0 and (seconds == 0 or guard < seconds):
            queued = f"{guard * 1000:.0f} ms while others queue behind it"
            head = f"{queued}, `lock_timeout` {whole} alone"
        else:
            head = f"`lock_timeout` {whole}"
        retried = counted(self.retries, "time")
        return f"each lock is waited for at most {head}, retried up to {retried}"

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
            "queue_guard": self.queue_guard,
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
