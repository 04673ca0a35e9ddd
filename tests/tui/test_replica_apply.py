"""The apply screen while a backfill waits for a standby: which one, how far behind, the limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conftest import EMBEDDED_ONLY, make_app, settle
from textual.widgets import Static

from studio.run.events import (
    BackfillPaused,
    BackfillProgress,
    BackfillResumed,
    BackfillStarted,
    Standby,
)
from studio.tui.messages import StepEvent
from studio.tui.screens.apply import ApplyScreen

if TYPE_CHECKING:
    from _workspace import Workspace


@EMBEDDED_ONLY
async def test_the_apply_screen_names_the_standby_a_backfill_waits_for(
    workspace: Workspace,
) -> None:
    app = make_app(workspace, snapshot=False)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        await app.push_screen(ApplyScreen())
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ApplyScreen)
        status = screen.query_one("#apply-status", Static)
        where = {"version": "20261201093000", "index": 2, "table": "public.orders"}
        lagging = Standby("replica1@10.0.0.7", "streaming", 12.3, 48 * 2**20)
        screen.post_message(
            StepEvent(
                BackfillPaused(
                    at=1.0, standby=lagging, limit=10.0, resume_below=5.0, waited=3.0, **where
                )
            )
        )
        await pilot.pause()
        shown = str(status.render())
        assert shown.startswith("paused backfill of public.orders: standby replica1@10.0.0.7")
        assert "12.3 s behind in replay (max_replica_lag 10.0 s)" in shown
        assert "resuming once every standby is under 5.0 s, waited 3.0 s" in shown
        gone = Standby("replica1@10.0.0.7", "disconnected", None)
        screen.post_message(
            StepEvent(BackfillPaused(at=2.0, standby=gone, limit=10.0, resume_below=5.0, **where))
        )
        await pilot.pause()
        assert "disconnected, counted as behind until it streams again" in str(status.render())
        caught_up = Standby("replica1@10.0.0.7", "streaming", 0.0, 0)
        screen.post_message(
            StepEvent(BackfillResumed(at=9.0, standby=caught_up, paused_for=8.0, **where))
        )
        await pilot.pause()
        assert str(status.render()) == (
            "backfill public.orders: resumed after a pause of 8.0 s for the standbys"
        )


@EMBEDDED_ONLY
async def test_the_apply_screen_calls_a_python_steps_walk_a_walk(workspace: Workspace) -> None:
    """A Python step's `batches()` walk is told as a walk, a backfill step's as a backfill."""
    app = make_app(workspace, snapshot=False)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        await app.push_screen(ApplyScreen())
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ApplyScreen)
        status = screen.query_one("#apply-status", Static)
        where = {"version": "20261201093000", "index": 2, "table": "public.orders"}
        screen.post_message(
            StepEvent(BackfillStarted(at=1.0, key="id", rows_total=100, kind="walk", **where))
        )
        progress = BackfillProgress(
            at=2.0, batch=1, first="1", last="50", rows=50, updated=50, rows_done=50,
            rows_total=100, rows_per_second=50.0, **where,
        )  # fmt: skip
        screen.post_message(StepEvent(progress))
        await pilot.pause()
        assert str(status.render()).startswith("walk public.orders: batch 1, 50/100 rows")
