"""Snapshots of every screen at 120x40 on each server, and at 80x24 and 160x48 on the embedded one.

Snapshot mode masks what varies between runs and servers (server version,
pids, sizes, row counts, estimates, timings, timestamps, client hosts) and
the target is shown under a fixed label, so the pictures are stable. One
snapshot per test; the app is driven in `run_before`. Update with
`pytest tests/tui/test_snapshots.py --snapshot-update` after looking at the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from _blocking import lock_queue
from conftest import EMBEDDED_ONLY, make_app, settle, wait_until
from textual.widgets import Input

from studio.tui.screens.apply import ApplyScreen

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from _workspace import Workspace
    from textual.pilot import Pilot

WIDE = (120, 40)
SMALL = (80, 24)
LARGE = (160, 48)
# every screen usable at 80x24 (each footer key shown), whole words at 160x48
SIZES = pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])


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


# --- every screen at 80x24 and 160x48 (embedded server only) ----------------------------------


@EMBEDDED_ONLY
@SIZES
def test_main_at(workspace: Workspace, snap_compare: Any, size: tuple[int, int]) -> None:
    """The main screen: three panes, the detail, every footer key."""
    assert snap_compare(make_app(workspace), terminal_size=size, run_before=steps("3"))


@EMBEDDED_ONLY
@SIZES
def test_review_at(workspace: Workspace, snap_compare: Any, size: tuple[int, int]) -> None:
    """The review: the rename accepted and planned as expand/contract, its expand steps shown."""

    async def split(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        review = screen.review  # type: ignore[attr-defined]
        rename = next(i for i in range(len(review)) if review.can_split(i))
        screen.query_one("#steps").move_cursor(row=rename)
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)

    assert snap_compare(
        make_app(workspace), terminal_size=size, run_before=steps("g", "R", "a", then=split)
    )


@EMBEDDED_ONLY
@SIZES
def test_pending_review_at(workspace: Workspace, snap_compare: Any, size: tuple[int, int]) -> None:
    """A hand-written pending migration opened from the history: its index step and hazard."""
    from test_journey import hand_written

    version = hand_written(workspace)

    async def open_it(pilot: Pilot[None]) -> None:
        history = pilot.app.screen
        rows = [e.version for e in history.status.entries]  # type: ignore[attr-defined]
        history.query_one("#history-table").move_cursor(row=rows.index(version))
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)

    assert snap_compare(
        make_app(workspace), terminal_size=size, run_before=steps("h", then=open_it)
    )


@EMBEDDED_ONLY
@SIZES
def test_finish_at(workspace: Workspace, snap_compare: Any, size: tuple[int, int]) -> None:
    """The files as they will be written."""
    assert snap_compare(make_app(workspace), terminal_size=size, run_before=steps("g", "A", "w"))


@EMBEDDED_ONLY
@SIZES
def test_apply_at(workspace: Workspace, snap_compare: Any, size: tuple[int, int]) -> None:
    """The pending migration applied, over the lock tail."""

    async def run(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, ApplyScreen)
        await pilot.press("m")
        await wait_until(pilot, lambda: bool(screen.progress.finished) and not screen.running)
        await settle(pilot)

    assert snap_compare(make_app(workspace), terminal_size=size, run_before=steps("m", then=run))


@EMBEDDED_ONLY
@SIZES
def test_history_at(workspace: Workspace, snap_compare: Any, size: tuple[int, int]) -> None:
    """Every migration with its state, steps, time and who applied it."""
    assert snap_compare(make_app(workspace), terminal_size=size, run_before=steps("h"))


@EMBEDDED_ONLY
@SIZES
def test_locks_at(workspace: Workspace, snap_compare: Any, size: tuple[int, int]) -> None:
    """A session holding ACCESS EXCLUSIVE on orders, two queued behind it; paused."""
    with lock_queue(workspace.url, waiters=2):

        async def sampled(pilot: Pilot[None]) -> None:
            screen = pilot.app.screen
            await wait_until(
                pilot,
                lambda: screen.samples > 0 and len(screen.query_one("#locks-table").rows) == 3,
            )  # type: ignore[attr-defined]
            await pilot.press("p")

        assert snap_compare(
            make_app(workspace), terminal_size=size, run_before=steps("l", then=sampled)
        )
