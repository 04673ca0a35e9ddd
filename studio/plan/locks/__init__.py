"""Lock analysis: what each statement locks, blocks and costs, the hazards it carries, and lint.

- `modes`: PostgreSQL's lock modes, their conflict matrix and what each blocks;
- `kb`: the knowledge base (one entry per statement kind), proven against
  PostgreSQL 15 and 18 by tests/db/test_lock_kb.py;
- `statements` / `alter`: parsed SQL -> entries -> `LockFact`s;
- `changes`: the same for a typed `Change`;
- `context`: what the analysis knows of the target (a `Schema` and more);
- `hazards`: the hazard catalogue and its detection;
- `lint`: hand-written SQL and migration files through all of the above.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.plan.locks.context import Context
from studio.plan.locks.kb import ENTRIES, Effect, Entry, LockFact, Role, Rule, blocked_on, entry
from studio.plan.locks.modes import Activity, LockMode
from studio.plan.locks.statements import classify, facts_for_statement

if TYPE_CHECKING:
    from studio.model.changes import Change

__all__ = [
    "ENTRIES",
    "Activity",
    "Context",
    "Effect",
    "Entry",
    "LockFact",
    "LockMode",
    "Role",
    "Rule",
    "blocked_on",
    "classify",
    "entry",
    "facts_for_change",
    "facts_for_statement",
]


def facts_for_change(
    change: Change, server_version: int, context: Context | None = None
) -> tuple[LockFact, ...]:
    """The locks a typed `Change` takes when applied (see `studio.plan.locks.changes`)."""
    # deferred: the change vocabulary loads on first use, not with every lint
    from studio.plan.locks.changes import facts_for_change as impl

    return impl(change, server_version, context)
