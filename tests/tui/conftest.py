"""Fixtures of the studio's tests: a workspace on a real database, and helpers to wait in Pilot."""

from __future__ import annotations

import asyncio
import contextlib
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from _workspace import Workspace, make_workspace, prepare_database
from textual.worker import WorkerCancelled, WorkerFailed

from studio.sources.devdb.binaries import available_servers
from studio.tui.app import StudioApp
from studio.tui.options import StudioOptions, frozen_clock

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Iterator
    from pathlib import Path

    from textual.pilot import Pilot

    from studio.sources.devdb.cluster import Cluster

# a fixed "now" for new migration versions in snapshots
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _embedded_server() -> list[Any]:
    """The `pg` param of the embedded server only (the root conftest's key, so its cluster)."""
    found = [b for b in available_servers() if b.source == "embedded"]
    if not found:
        return [pytest.param(("pg-embedded", None), id="pg-embedded")]  # fails in the fixture
    return [pytest.param((f"pg{b.major}", b), id=f"pg{b.major}") for b in found[:1]]


# a test on the embedded server only: what it shows does not differ between servers
EMBEDDED_ONLY = pytest.mark.parametrize("pg", _embedded_server(), indirect=True)


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine on a private loop (fixtures are synchronous; snapshots have their own)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


@pytest.fixture(scope="session", autouse=True)
def _cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Materializations are cached in a folder of this session, never the user's."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture
def workspace(tmp_path: Path, db_url: str, pg: Cluster) -> Workspace:
    """The quick-start project at its first migration, with rows; declared one step ahead."""
    ws = make_workspace(tmp_path / "project", db_url, dev_url=pg.url(), lock_timeout="200ms")
    run(prepare_database(ws))
    return ws


def options(ws: Workspace, **kw: Any) -> StudioOptions:
    """Options for a test: snapshot mode masks what varies between runs and servers."""
    values: dict[str, Any] = {
        "settings": ws.settings,
        "snapshot": True,
        "clock": frozen_clock(),
        "now": lambda: NOW,
        "target_label": "postgresql://postgres@localhost:5432/shop",
        "monitor_interval": 0.1,
    }
    values.update(kw)
    return StudioOptions(**values)


def make_app(ws: Workspace, **kw: Any) -> StudioApp:
    """The studio on a workspace."""
    return StudioApp(options(ws, **kw))


async def settle(pilot: Pilot[None], *, groups: tuple[str, ...] = ()) -> None:
    """Wait for the app's finite workers (not the lock monitor), then let the screen repaint."""
    app = pilot.app
    for _ in range(4):
        await pilot.pause()
        running = [
            w
            for w in app.workers
            if w.is_running and w.group != "monitor" and (not groups or w.group in groups)
        ]
        for w in running:
            with contextlib.suppress(WorkerFailed, WorkerCancelled):
                await w.wait()
        await pilot.pause()


async def wait_until(
    pilot: Pilot[None], predicate: Callable[[], bool], timeout: float = 30.0
) -> None:
    """Let the app run until `predicate()` holds (fails after `timeout` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for the app")
        await pilot.pause(0.05)
