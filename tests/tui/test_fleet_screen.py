"""The fleet screen, headless: reached with `f`, a row per target, live while the fleet migrates.

On the embedded server only. Three databases named by FLEET_A..C: A at the
last migration, B at it with a column added by hand (drift), C one behind.
The studio's own target is a fourth database.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from conftest import NOW, settle, wait_until

from studio import config
from studio.migrations import files as migrations
from studio.run import runner
from studio.sources.devdb.binaries import available_servers
from studio.tui.app import StudioApp
from studio.tui.options import StudioOptions, frozen_clock
from studio.tui.screens.apply import ApplyScreen
from studio.tui.screens.fleet import FleetScreen
from studio.tui.screens.modals import ChoiceScreen

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from textual.pilot import Pilot

    from studio.sources.devdb.cluster import Cluster

V1, V2 = "20250101000001", "20250101000002"
NAMES = ("FLEET_A", "FLEET_B", "FLEET_C")


def run(coro: Any) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


@pytest.fixture
def fleet(
    tmp_path: Path, _cluster_pool: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[config.Settings]:
    """The project and its fleet, the studio's settings on the fourth database."""
    files = {
        f"{V1}_items.sql": "CREATE TABLE items (id serial PRIMARY KEY, name text);\n",
        f"{V2}_price.sql": "ALTER TABLE items ADD COLUMN price integer;\n",
    }
    schema = "CREATE TABLE items (id serial PRIMARY KEY, name text, price integer);\n"
    with build_fleet(tmp_path, _cluster_pool, monkeypatch, files, schema) as (settings, urls):
        ms = migrations.load_directory(settings.migrations_dir)
        run(runner.apply(urls[0], settings, ms))
        run(runner.apply(urls[1], settings, ms))
        run(runner.apply(urls[2], settings, ms, to=V1))
        run(_execute(urls[1], "ALTER TABLE items ADD COLUMN extra integer"))
        yield settings


@contextlib.contextmanager
def build_fleet(
    tmp_path: Path,
    pool: Any,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
    schema: str,
) -> Iterator[tuple[config.Settings, list[str]]]:
    """Four databases on the embedded server, FLEET_A..C naming three; the project's
    migrations `files` and declared `schema`; its settings (on the fourth) and the URLs."""
    b = next(b for b in available_servers() if b.source == "embedded")
    server: Cluster = pool.get(f"pg{b.major}", b)
    token = secrets.token_hex(4)
    names = [f"tui_fleet_{token}_{x}" for x in ("a", "b", "c", "home")]
    urls = [run(server.create_database(n)) for n in names]
    m = tmp_path / "migrations"
    m.mkdir()
    for name, text in files.items():
        (m / name).write_text(text)
    migrations.write_sum(m)
    (tmp_path / "schema.sql").write_text(schema)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.schema-studio]\nschema = "schema.sql"\ndev_url = "{server.url()}"\n'
        'lock_timeout = "200ms"\n\n[tool.schema-studio.fleet]\n'
        'targets = ["FLEET_A", "FLEET_B", "FLEET_C"]\n'
    )
    for name, url in zip(NAMES, urls, strict=False):
        monkeypatch.setenv(name, url)
    try:
        yield config.load(tmp_path, db_override=urls[3]), urls
    finally:
        for n in names:
            run(server.drop_database(n))


async def _execute(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def make(settings: config.Settings) -> StudioApp:
    return StudioApp(
        StudioOptions(
            settings=settings,
            snapshot=True,
            clock=frozen_clock(),
            now=lambda: NOW,
            target_label="postgresql://postgres@localhost:5432/shop",
            monitor_interval=0.1,
        )
    )


def cells(screen: FleetScreen, name: str) -> list[str]:
    table = screen.query_one("#fleet-table")
    return [str(c) for c in table.get_row(name)]  # type: ignore[attr-defined]


async def open_fleet(pilot: Pilot[None]) -> FleetScreen:
    """From the studio: `f`, and the fleet screen once every target is read."""
    await settle(pilot)
    await pilot.press("F")
    screen = pilot.app.screen
    assert isinstance(screen, FleetScreen)
    await wait_until(pilot, lambda: "read:" in _status(screen))
    await pilot.pause()
    return screen


async def test_fleet_screen_reads_migrates_live_and_opens_a_target(
    fleet: config.Settings,
) -> None:
    app = make(fleet)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        # the key is in the main screen's footer, since the project names a fleet
        assert app.screen.active_bindings["F"].binding.description == "Fleet"
        screen = await open_fleet(pilot)
        assert cells(screen, "FLEET_A")[:5] == ["FLEET_A", V2, "0", "none", "in sync"]
        assert cells(screen, "FLEET_B")[:5] == ["FLEET_B", V2, "0", "1", "drift"]
        assert cells(screen, "FLEET_C")[:5] == ["FLEET_C", V1, "1", "none", "pending"]
        seen: list[tuple[str, str]] = []
        original = screen._draw

        def spy(name: str, *, running: bool = False) -> None:
            original(name, running=running)
            if running:
                seen.append((name, cells(screen, name)[6]))

        screen._draw = spy  # type: ignore[method-assign]
        await pilot.press("m")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("down", "down", "enter")  # every target, go on past a failure
        await wait_until(pilot, lambda: not screen.running and "migrate:" in _status(screen))
        # live: C's row said which step it ran while it ran
        assert any(name == "FLEET_C" and step.startswith(f"{V2} step 1/1") for name, step in seen)
        assert cells(screen, "FLEET_A")[4] == "up to date"
        assert cells(screen, "FLEET_B")[3:5] == ["1", "drift"]  # refused: not migrated
        assert cells(screen, "FLEET_C")[:5] == ["FLEET_C", V2, "0", "none", "done"]
        assert "3 targets: 1 up to date, 1 done, 1 drift" in _status(screen)
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        apply = app.screen
        assert isinstance(apply, ApplyScreen)
        assert apply.label == "FLEET_C" and apply.settings.database_url() == fleet_url(2)
        assert "Nothing to apply" in str(apply.query_one("#apply-status").render())


def fleet_url(i: int) -> str:
    return os.environ[NAMES[i]]


def _status(screen: FleetScreen) -> str:
    return str(screen.query_one("#fleet-status").render())


def test_fleet_screen_small(fleet: config.Settings, snap_compare: Any) -> None:
    """The fleet read, at 80x24: in sync, drift and pending; the drifted target's story."""

    async def run_before(pilot: Pilot[None]) -> None:
        await open_fleet(pilot)
        await pilot.press("down")
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make(fleet), terminal_size=(80, 24), run_before=run_before)


async def test_fleet_screen_aborts_a_run(fleet: config.Settings) -> None:
    """`x` while the fleet migrates (C waits for its lock behind a session): C stops, aborted;
    the key is in the footer only while a run can be aborted."""
    blocker = await asyncpg.connect(fleet_url(2))
    await blocker.execute("BEGIN; LOCK TABLE items IN ACCESS SHARE MODE")
    try:
        app = make(fleet)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_fleet(pilot)
            assert "x" not in screen.active_bindings
            await pilot.press("m")
            await pilot.press("down", "down", "enter")  # every target, go on past a failure
            await wait_until(pilot, lambda: "lock wait" in cells(screen, "FLEET_C")[6])
            assert screen.active_bindings["x"].binding.description == "Abort"
            await pilot.press("x")
            await wait_until(pilot, lambda: not screen.running and "migrate:" in _status(screen))
            assert cells(screen, "FLEET_C")[:5] == ["FLEET_C", V1, "1", "none", "aborted"]
            assert "x" not in screen.active_bindings
    finally:
        await blocker.close()
    ms = await _applied(fleet_url(2))
    assert ms == [V1]  # V2 rolled back with its cancelled statement, to be resumed


async def _applied(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT version FROM schema_studio.migrations WHERE finished_at IS NOT NULL"
            " ORDER BY version"
        )
        return [r[0] for r in rows]
    finally:
        await conn.close()
