"""The studio's review of a pending migration shows a Python step as such, claiming no lock."""

from __future__ import annotations

from studio.commands.pending import PendingStep
from studio.config import Settings
from studio.migrations.format import parse_text
from studio.plan.estimates import Estimate
from studio.plan.preview import StepEstimate
from studio.tui.options import StudioOptions
from studio.tui.widgets.step_facts import pending_content


def test_a_python_steps_facts_say_what_runs_and_claim_no_lock_or_time() -> None:
    (step,) = parse_text(
        "-- schema-studio:step\n-- schema-studio:python app.fill:run\n", "m.sql"
    ).steps
    preview = StepEstimate(
        "20250101000001", 1, step.title, True, (), (), Estimate(0, 0, "catalog only"),
        python="app.fill:run",
    )  # fmt: skip
    text = pending_content(
        PendingStep(step, preview, ()), StudioOptions(settings=Settings()), 100
    ).plain
    assert "python: app.fill:run" in text
    assert "not analysed: the lock analysis covers SQL only" in text
    assert "not estimated" in text
    assert "catalog only" not in text and "instant" not in text
