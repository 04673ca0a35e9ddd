"""What the review screen says about a step: locks, what they block, effect, hazards (pure).

Lock facts come from the lock knowledge base (`studio.locks`) when it can
answer; a step it cannot analyse shows "—" rather than a guess. Hazards the
change vocabulary itself knows (a destructive change, a statement that
cannot run in a transaction) are always shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from studio.changes import Change
    from studio.model import Schema

LEVELS = ("danger", "warning", "info")


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
    """Everything the review shows about one step (None: the analysis has no answer)."""

    locks: tuple[LockLine, ...] | None
    hazards: tuple[Hazard, ...]
    estimate: str | None = None

    @property
    def effect(self) -> str | None:
        """The costliest effect, in words (rewrite > index build > scan > catalog)."""
        if not self.locks:
            return None
        order = ("rewrite", "index_build", "data", "scan", "truncate", "catalog")
        best = min(self.locks, key=lambda f: order.index(f.effect_key) if f.effect_key in order else 99)
        return best.effect

    @property
    def worst(self) -> str | None:
        """The most severe hazard level, if any."""
        levels = {h.level for h in self.hazards}
        return next((lv for lv in LEVELS if lv in levels), None)


def lock_lines(change: Change, server_version: int, schema: Schema | None) -> tuple[LockLine, ...] | None:
    """The locks a change's statements take, from the lock knowledge base (None when it cannot say)."""
    try:
        from studio.locks.context import Context
        from studio.locks.statements import facts_for_statement
    except ImportError:
        return None
    try:
        ctx = Context.of(schema)
        out: list[LockLine] = []
        for sql in change.sql():
            for f in facts_for_statement(sql, server_version or 180000, ctx):
                if getattr(f, "placeholder", False):
                    continue
                out.append(
                    LockLine(
                        f.relation,
                        f.mode.label,
                        _blocks(f),
                        f.effect.label,
                        f.effect.value,
                        bool(f.blocks_reads),
                        bool(f.blocks_writes),
                    )
                )
        return _merge(out)
    except Exception:  # the lock analysis is still growing: no answer beats a wrong one
        return None


def _blocks(fact: object) -> str:
    from studio.locks.modes import summary

    return summary(fact.blocks)  # type: ignore[attr-defined]


def _merge(lines: list[LockLine]) -> tuple[LockLine, ...]:
    seen: dict[tuple[str, str], LockLine] = {}
    for line in lines:
        seen.setdefault((line.relation, line.mode), line)
    return tuple(seen.values())


def hazards(change: Change, locks: Sequence[LockLine] | None, *, table_exists: bool) -> tuple[Hazard, ...]:
    """Hazards of a change: from its own flags, and from its locks on an existing table."""
    out: list[Hazard] = []
    if change.destructive:
        out.append(
            Hazard(
                "danger",
                "destroys-data",
                f"{change.describe()}: the data it removes cannot be restored by the down file",
                "back the data up first, or keep the old object until nothing reads it",
            )
        )
    if not change.transactional:
        out.append(
            Hazard(
                "info",
                "no-transaction",
                "runs outside a transaction: the runner records it step by step",
            )
        )
    if change.commit_before_use:
        out.append(
            Hazard("info", "commit-before-use", "what it creates is usable only once committed")
        )
    if locks and table_exists:
        for line in locks:
            if line.effect_key == "rewrite" and line.blocks_reads:
                out.append(
                    Hazard(
                        "danger",
                        "rewrite-under-lock",
                        f"rewrites {line.relation} while reads and writes wait",
                        "use expand/contract: a new column, a backfill in batches, then a swap",
                    )
                )
            elif line.effect_key in ("scan", "index_build") and line.blocks_writes:
                out.append(
                    Hazard(
                        "warning",
                        "long-lock",
                        f"{line.effect} of {line.relation} while writes wait",
                        "use the safe form (CONCURRENTLY, NOT VALID + VALIDATE) when there is one",
                    )
                )
    return tuple(out)


def facts_for(change: Change, server_version: int, schema: Schema | None) -> StepFacts:
    """The facts of one change against the schema it runs on."""
    locks = lock_lines(change, server_version, schema)
    exists = bool(schema is not None and change.targets and change.targets[0] in schema.tables)
    return StepFacts(locks, hazards(change, locks, table_exists=exists))
