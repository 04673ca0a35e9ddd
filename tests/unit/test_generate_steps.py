"""Generated steps of a safe plan commit between the NOT VALID add and the VALIDATE."""

from __future__ import annotations

from pathlib import Path

from studio.commands.generate import annotated_steps, step_transactional
from studio.migrations import files as migrations
from studio.model import Column, Constraint, ConstraintKind, Index, Schema, Table
from studio.model.changes import (
    AddColumn,
    AddConstraint,
    AddEnumValue,
    CreateIndex,
    SetNotNull,
    ValidateConstraint,
)
from studio.plan.locks.lint import lint_sources, migration_source
from studio.plan.planner import plan_safe_forms, undo

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


def test_safe_forms_keep_their_down_file_and_its_absence_names_the_change() -> None:
    """A foreign key and a CHECK added NOT VALID + VALIDATE, NOT NULL proven by a CHECK, an
    index built CONCURRENTLY: each is undone through its plain change, the down side in
    safe forms too; with a change that has no inverse, the reason names it."""
    index = Index("orders_note_idx", "CREATE INDEX orders_note_idx ON public.orders (note)")
    check = Constraint("orders_id_check", ConstraintKind.CHECK, "CHECK ((id > 0))")
    old = Schema(tables={ORDERS.key: ORDERS})
    changes = [
        AddConstraint(ORDERS.key, FK),
        AddConstraint(ORDERS.key, check),
        SetNotNull(ORDERS.key, "note"),
        CreateIndex(ORDERS.key, index),
    ]
    planned = plan_safe_forms(changes, old)
    assert any(isinstance(c, ValidateConstraint) for c in planned.changes)
    undone = undo(planned.items, old)
    assert undone.complete and undone.why_none() == ""
    assert [c.describe() for c in undone.changes] == [
        "drop index orders_note_idx on public.orders",
        "drop not null on public.orders.note",
        "drop check orders_id_check on public.orders",
        "drop foreign key orders_user_id_fkey on public.orders",
    ]
    assert [s for c in undone.changes[:1] for s in c.sql()] == [
        "DROP INDEX CONCURRENTLY public.orders_note_idx"
    ]
    # the plain plan's down stays plain
    plain = undo(plan_safe_forms(changes, old, safe=False).items, old, safe=False)
    assert not any(getattr(c, "concurrently", False) for c in plain.changes)
    enum_value = AddEnumValue("public.status", "late")
    with_enum = undo(plan_safe_forms([*changes, enum_value], old).items, old)
    assert not with_enum.complete and with_enum.changes == ()
    assert with_enum.why_none() == f"no inverse for {enum_value.describe()}"
    many = [AddEnumValue("public.status", v) for v in "abcde"]
    assert with_enum.__class__((), tuple(many)).why_none().endswith("; and 2 more")
