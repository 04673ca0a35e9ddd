"""Snapshots of every screen at 120x40 and of the main screen at 80x24, on each server.

Snapshot mode masks what varies between runs and servers (server version,
pids, sizes, row counts, estimates, timings, timestamps, client hosts) and
the target is shown under a fixed label, so the pictures are stable. One
snapshot per test; the app is driven in `run_before`. Update with
`pytest tests/tui/test_snapshots.py --snapshot-update` after looking at the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from _blocking import lock_queue
from conftest import make_app, settle, wait_until
from textual.widgets import Input

from studio.tui.screens.apply import ApplyScreen

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from _workspace import Workspace
    from textual.pilot import Pilot

WIDE = (120, 40)
SMALL = (80, 24)


def steps(
    *keys: str, then: Callable[[Pilot[None]], Awaitable[None]] | None = None
) -> Callable[[Pilot[None]], Awaitable[None]]:
    """A `run_before` that waits for the app to load, presses `keys` (settling after each)."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        if then is not None:
            await then(pilot)
        for box in pilot.app.query(Input):
            box.cursor_blink = False
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


def test_main_screen(workspace: Workspace, snap_compare: Any) -> None:
    """Declared | Live | Diff with the first object selected."""
    assert snap_compare(make_app(workspace), terminal_size=WIDE, run_before=steps())


def test_main_screen_small(workspace: Workspace, snap_compare: Any) -> None:
    """The same at 80x24."""
    assert snap_compare(make_app(workspace), terminal_size=SMALL, run_before=steps())


def test_main_screen_column_detail(workspace: Workspace, snap_compare: Any) -> None:
    """A table opened and a rename candidate selected: both sides' SQL and the change."""

    async def select(pilot: Pilot[None]) -> None:
        pane = pilot.app.screen.query_one("#live")
        pane.reveal("column:public.orders.status")  # type: ignore[attr-defined]
        await pilot.press("2")
        await settle(pilot)

    assert snap_compare(make_app(workspace), terminal_size=WIDE, run_before=steps(then=select))


def test_main_screen_filtered(workspace: Workspace, snap_compare: Any) -> None:
    """The filter narrows all three panes."""
    assert snap_compare(
        make_app(workspace),
        terminal_size=WIDE,
        run_before=steps("slash", "s", "t", "a", "t", "enter"),
    )


def test_review_screen(workspace: Workspace, snap_compare: Any) -> None:
    """The plan: one step approved, the index step in its safe form with its facts."""
    assert snap_compare(
        make_app(workspace), terminal_size=WIDE, run_before=steps("g", "a", "a", "a")
    )


def test_finish_screen(workspace: Workspace, snap_compare: Any) -> None:
    """The whole migration and its down file before writing."""
    assert snap_compare(make_app(workspace), terminal_size=WIDE, run_before=steps("g", "A", "w"))


def test_apply_screen_after_a_run(workspace: Workspace, snap_compare: Any) -> None:
    """The pending migration applied, step by step, over the lock tail."""

    async def run(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, ApplyScreen)
        await pilot.press("m")
        await wait_until(pilot, lambda: bool(screen.progress.finished) and not screen.running)
        await settle(pilot)

    assert snap_compare(make_app(workspace), terminal_size=WIDE, run_before=steps("m", then=run))


def test_history_screen(workspace: Workspace, snap_compare: Any) -> None:
    """Applied and pending migrations with checksums."""
    assert snap_compare(make_app(workspace), terminal_size=WIDE, run_before=steps("h"))


def test_history_sql(workspace: Workspace, snap_compare: Any) -> None:
    """A migration opened from the history."""
    assert snap_compare(
        make_app(workspace), terminal_size=WIDE, run_before=steps("h", "down", "enter")
    )


def test_locks_screen(workspace: Workspace, snap_compare: Any) -> None:
    """A session holding ACCESS EXCLUSIVE on orders, two application sessions queued behind it."""
    with lock_queue(workspace.url, waiters=2):

        async def sampled(pilot: Pilot[None]) -> None:
            screen = pilot.app.screen
            await wait_until(
                pilot,
                lambda: screen.samples > 0 and len(screen.query_one("#locks-table").rows) == 3,
            )  # type: ignore[attr-defined]
            screen.paused = True  # type: ignore[attr-defined]

        assert snap_compare(
            make_app(workspace), terminal_size=WIDE, run_before=steps("l", then=sampled)
        )
