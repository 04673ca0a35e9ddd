"""Generated steps of a safe plan commit between the NOT VALID add and the VALIDATE."""

from __future__ import annotations

from pathlib import Path

from studio.commands.generate import annotated_steps, step_transactional
from studio.migrations import files as migrations
from studio.model import Column, Constraint, ConstraintKind, Schema, Table
from studio.model.changes import AddColumn, AddConstraint, SetNotNull
from studio.plan.locks.lint import lint_sources, migration_source
from studio.plan.planner import plan_safe_forms

ORDERS = Table(
    "public",
    "orders",
    columns=(
        Column("id", "bigint", not_null=True),
        Column("user_id", "bigint"),
        Column("note", "text"),
    ),
)
FK = Constraint(
    "orders_user_id_fkey",
    ConstraintKind.FOREIGN_KEY,
    "FOREIGN KEY (user_id) REFERENCES public.users(id)",
    columns=("user_id",),
)


def _migration(changes: list) -> migrations.Migration:  # type: ignore[type-arg]
    steps = annotated_steps(changes, 180000)
    text = migrations.render_migration("20250101000001", steps)
    parsed = migrations.parse_text(text, "<gen>")
    return migrations.Migration("20250101000001", "x", Path("<gen>"), parsed.steps)


def test_validate_runs_in_its_own_transaction() -> None:
    old = Schema(tables={ORDERS.key: ORDERS})
    planned = plan_safe_forms([AddConstraint(ORDERS.key, FK), SetNotNull(ORDERS.key, "note")], old)
    changes = list(planned.changes)
    flags = [(type(c).__name__, step_transactional(c)) for c in changes]
    assert ("ValidateConstraint", False) in flags
    assert all(ok for name, ok in flags if name != "ValidateConstraint")
    m = _migration(changes)
    # one non-transactional step: the runner runs the migration step by step, committing each
    assert not m.transactional
    report = lint_sources([migration_source(m)], server_version=180000)
    assert "validate-in-same-transaction" not in {f.hazard.id for f in report.findings}
    assert "lock-held-across-statements" not in {f.hazard.id for f in report.findings}


def test_other_steps_keep_the_migration_transaction() -> None:
    m = _migration([AddColumn(ORDERS.key, Column("flag", "boolean"))])
    assert m.transactional
