"""What a statement was seen to lock, beside what the knowledge base predicted (pure).

An `Observation` is read from pg_locks for the statement's own backend (see
`studio.run.trace.observe`); `compare` turns every disagreement with the
predicted `LockFact`s into a `Defect` of the knowledge base:

- a predicted relation held in a mode that blocks something else than the
  predicted mode blocks (a backend often holds several modes on one relation:
  what others feel is their union, so unions are compared);
- a relation that existed before the statement, locked stronger than ACCESS
  SHARE, that the knowledge base does not name (an index or owned sequence of
  a table locked at least as strongly is implied by its table);
- a table rewritten (new relfilenode) that the knowledge base says is not, or
  the other way round.

Relations the statement created are left out: nobody else could see them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from studio.plan.locks.kb import Effect, LockFact
from studio.plan.locks.modes import LockMode, conflict_union


@dataclass(frozen=True, slots=True)
class Relation:
    """A relation of the traced database, as pg_class has it before the statement."""

    name: str
    kind: str  # pg_class.relkind
    filenode: int
    table: str | None = None  # an index's table, an owned sequence's table


class How(enum.StrEnum):
    """How the locks were read."""

    IN_TRANSACTION = "in its own transaction, before commit"
    WHILE_WAITING = "from a second connection, while it waited behind a held lock"
    WHILE_RUNNING = "from a second connection, while it ran"


@dataclass(frozen=True, slots=True)
class Observation:
    """The relation locks one statement's backend held (or waited for), and what it rewrote."""

    how: How
    # relation name -> modes held or requested
    locks: Mapping[str, frozenset[LockMode]]
    # every relation that existed before the statement
    before: Mapping[str, Relation]
    # tables whose storage was replaced by the statement (relfilenode changed)
    rewritten: frozenset[str] = frozenset()
    # after the statement, the names that still exist (a dropped relation has no filenode
    # to compare)
    after: frozenset[str] = frozenset()

    @property
    def complete(self) -> bool:
        """Whether every lock the statement took was seen (not only one moment of it)."""
        return self.how is How.IN_TRANSACTION

    def held(self) -> tuple[tuple[str, LockMode], ...]:
        """(relation, strongest mode) for each relation that existed before, strongest first."""
        out = [(rel, max(modes)) for rel, modes in self.locks.items() if rel in self.before]
        return tuple(sorted(out, key=lambda x: (-x[1], x[0])))


class DefectKind(enum.StrEnum):
    """How the knowledge base was wrong."""

    MODE = "mode"  # the relation is locked in another mode
    MISSING = "missing"  # predicted, never locked
    UNPREDICTED = "unpredicted"  # locked, not predicted
    REWRITE = "rewrite"  # rewritten or not, against the prediction


@dataclass(frozen=True, slots=True)
class Defect:
    """One disagreement between PostgreSQL and the knowledge base."""

    kind: DefectKind
    relation: str
    predicted: str
    observed: str

    def describe(self) -> str:
        """`public.t: held ACCESS EXCLUSIVE, the knowledge base says SHARE`."""
        return f"{self.relation}: {self.observed}, the knowledge base says {self.predicted}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind.value,
            "relation": self.relation,
            "predicted": self.predicted,
            "observed": self.observed,
        }


def _labels(modes: Iterable[LockMode]) -> str:
    return " + ".join(m.label for m in sorted(set(modes), reverse=True)) or "no lock"


def compare(facts: Iterable[LockFact], seen: Observation) -> tuple[Defect, ...]:
    """Every disagreement between the predicted facts and what the backend held."""
    facts = tuple(facts)
    predicted: dict[str, set[LockMode]] = {}
    for f in facts:
        if not f.placeholder and f.relation in seen.before:
            predicted.setdefault(f.relation, set()).add(f.mode)
    defects: list[Defect] = []
    for rel, modes in predicted.items():
        got = seen.locks.get(rel, frozenset())
        if not got:
            if seen.complete:
                defects.append(Defect(DefectKind.MISSING, rel, _labels(modes), "held no lock"))
            continue  # seen from outside, at one moment: absence proves nothing
        if conflict_union(got) != conflict_union(modes):
            defects.append(Defect(DefectKind.MODE, rel, _labels(modes), f"held {_labels(got)}"))
    for rel, got in seen.locks.items():
        info = seen.before.get(rel)
        if info is None or rel in predicted:
            continue  # made by the statement itself, or compared above
        strongest = max(got)
        if strongest == LockMode.ACCESS_SHARE:
            continue  # a plain read (parse analysis, the planner, a view's expansion)
        owner = predicted.get(info.table or "")
        if info.kind in ("i", "I", "S") and owner and max(owner) >= strongest:
            continue  # an index or owned sequence of a table locked at least as strongly
        defects.append(Defect(DefectKind.UNPREDICTED, rel, "no lock", f"held {_labels(got)}"))
    defects += _rewrites(facts, seen)
    return tuple(defects)


def _rewrites(facts: tuple[LockFact, ...], seen: Observation) -> list[Defect]:
    says: dict[str, bool] = {}
    for f in facts:
        if f.relation in seen.before:
            rewrites = f.effect in (Effect.REWRITE, Effect.TRUNCATE)
            says[f.relation] = says.get(f.relation, False) or rewrites
    out = []
    for rel in sorted(set(says) | set(seen.rewritten)):
        info = seen.before.get(rel)
        if info is None or info.kind not in ("r", "m") or rel not in seen.after:
            continue
        did, said = rel in seen.rewritten, says.get(rel, False)
        if did != said:
            out.append(
                Defect(
                    DefectKind.REWRITE,
                    rel,
                    "a rewrite" if said else "no rewrite",
                    "was rewritten" if did else "was not rewritten",
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class StatementTrace:
    """One statement: where it is, what the knowledge base predicted, what PostgreSQL did."""

    path: str
    line: int
    sql: str
    predicted: tuple[LockFact, ...]
    observation: Observation | None = None
    defects: tuple[Defect, ...] = ()
    # why it was not traced (a backfill, transaction control), or what it failed with
    skipped: str | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def status(self) -> str:
        """`agrees`, `defect`, `not traced` or `failed`."""
        if self.error is not None:
            return "failed"
        if self.skipped is not None or self.observation is None:
            return "not traced"
        return "defect" if self.defects else "agrees"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        seen = self.observation
        return {
            "path": self.path,
            "line": self.line,
            "statement": self.sql,
            "status": self.status,
            "predicted": [f.to_dict() for f in self.predicted],
            "observed": None
            if seen is None
            else {
                "how": seen.how.name.lower(),
                "locks": {rel: sorted(m.label for m in modes) for rel, modes in seen.locks.items()},
                "rewritten": sorted(seen.rewritten),
            },
            "defects": [d.to_dict() for d in self.defects],
            "skipped": self.skipped,
            "error": self.error,
            "seconds": round(self.seconds, 4),
        }


@dataclass(frozen=True, slots=True)
class TraceReport:
    """Every traced statement, and where it ran."""

    statements: tuple[StatementTrace, ...]
    server_version: int
    replayed: tuple[str, ...] = ()
    rows: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def defects(self) -> tuple[tuple[StatementTrace, Defect], ...]:
        """Every knowledge-base defect, with its statement."""
        return tuple((s, d) for s in self.statements for d in s.defects)

    @property
    def failed(self) -> StatementTrace | None:
        """The statement that failed (the trace stops there), if any."""
        return next((s for s in self.statements if s.error is not None), None)

    def counts(self) -> dict[str, int]:
        """Statements per status."""
        out = {"agrees": 0, "defect": 0, "not traced": 0, "failed": 0}
        for s in self.statements:
            out[s.status] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "server_version": self.server_version,
            "replayed": list(self.replayed),
            "rows": self.rows,
            "notes": list(self.notes),
            "statements": [s.to_dict() for s in self.statements],
            "summary": self.counts(),
        }
