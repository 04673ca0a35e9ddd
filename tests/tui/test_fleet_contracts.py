"""The fleet screen and expand/contract: a waiting contract shown per target, confirmed with `c`.

On the embedded server only, with the fleet screen's databases (FLEET_A..C,
the studio's own target a fourth): items (V1), an expand adding `label`
(V2) and its contract dropping `name` (V3). Every target applied the
expand, so V3 waits for confirmation on each.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from conftest import settle, wait_until
from test_fleet_screen import _applied, _status, build_fleet, cells, make, open_fleet, run

from studio import config
from studio.migrations import files as migrations
from studio.run import runner
from studio.run.history import HistoryTable
from studio.run.phases import ContractNotConfirmed
from studio.tui.palette import studio_commands
from studio.tui.screens.fleet import FleetScreen
from studio.tui.screens.modals import ChoiceScreen

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from textual.pilot import Pilot

V1, V2, V3, V4 = "20250101000001", "20250101000002", "20250101000003", "20250101000004"
FILES = {
    f"{V1}_items.sql": "CREATE TABLE items (id serial PRIMARY KEY, name text);\n",
    f"{V2}_label.sql": "-- schema-studio:phase expand\nALTER TABLE items ADD COLUMN label text;\n",
    f"{V3}_drop_name.sql": (
        f"-- expand migration: {V2}_label\n-- schema-studio:phase contract\n"
        "ALTER TABLE items DROP COLUMN name;\n"
    ),
}
SCHEMA = "CREATE TABLE items (id serial PRIMARY KEY, label text);\n"
# the migration lock every target's migrator takes (the default history table's)
LOCK_KEY = HistoryTable.parse("schema_studio.migrations").lock_key


@pytest.fixture
def contracts(
    tmp_path: Path, _cluster_pool: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[config.Settings]:
    """Three targets at the expand, its contract waiting on each."""
    with build_fleet(tmp_path, _cluster_pool, monkeypatch, FILES, SCHEMA) as (settings, urls):
        ms = migrations.load_directory(settings.migrations_dir)
        for url in urls[:3]:
            with contextlib.suppress(ContractNotConfirmed):  # V3 waits: that is the point
                run(runner.apply(url, settings, ms))
        yield settings


def url_of(name: str) -> str:
    return os.environ[name]


async def columns(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'items' ORDER BY ordinal_position"
        )
        return [r[0] for r in rows]
    finally:
        await conn.close()


async def ask(pilot: Pilot[None]) -> ChoiceScreen:
    """`c`, and the question once the contracts are read."""
    await pilot.press("c")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChoiceScreen))
    await pilot.pause()
    question = pilot.app.screen
    assert isinstance(question, ChoiceScreen)
    return question


def detail(question: ChoiceScreen) -> str:
    return str(question.detail)


async def confirm(pilot: Pilot[None], screen: FleetScreen, downs: int) -> None:
    """`c`, the answer `downs` below "No", and the run to its end."""
    await ask(pilot)
    await pilot.press(*(["down"] * downs), "enter")
    await wait_until(pilot, lambda: not screen.running and "confirm:" in _status(screen))


def notices(pilot: Pilot[None]) -> list[str]:
    return [str(n.message) for n in pilot.app._notifications]


async def test_c_confirms_the_contract_on_every_target(contracts: config.Settings) -> None:
    """Each row says the contract waits; `c` asks (no by default), escape and no change
    nothing; yes confirms it on all three, live, as `migrate --fleet --confirm-contract`."""
    app = make(contracts)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_fleet(pilot)
        for name in ("FLEET_A", "FLEET_B", "FLEET_C"):
            row = cells(screen, name)
            assert row[:5] == [name, V2, "1", "none", "waiting"]
            assert row[6] == f"contract waiting: {V3}"
        assert "a contract waits on 3 targets" in _status(screen)
        assert "c confirms the contracts" in _status(screen)
        # in the footer and the palette, as the screen's other actions
        assert screen.active_bindings["c"].binding.description == "Contracts"
        assert screen.active_bindings["c"].enabled
        assert "Contracts" in [c.title for c in studio_commands(app, screen)]

        question = await ask(pilot)
        assert question.prompt == "Confirm the waiting contract on 3 targets, 4 at a time?"
        text = detail(question)
        assert f"{V3}_drop_name.sql on FLEET_A, FLEET_B, FLEET_C:\n" in text
        assert "  drops column public.items.name\n" in text
        assert question.options[0] == "No: not yet"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and not screen.running
        await ask(pilot)
        await pilot.press("enter")  # the highlighted answer: no
        await settle(pilot)
        assert app.screen is screen and not screen.running
        for name in ("FLEET_A", "FLEET_B", "FLEET_C"):
            assert await _applied(url_of(name)) == [V1, V2]

        seen: list[tuple[str, str]] = []
        original = screen._draw

        def spy(name: str, *, running: bool = False) -> None:
            original(name, running=running)
            if running:
                seen.append((name, cells(screen, name)[6]))

        screen._draw = spy  # type: ignore[method-assign]
        await confirm(pilot, screen, 3)  # every target, go on past a failure
        # live: each row said it ran the contract while it ran
        assert {n for n, step in seen if step.startswith(f"{V3} step 1/1")} == {
            "FLEET_A", "FLEET_B", "FLEET_C"
        }  # fmt: skip
        for name in ("FLEET_A", "FLEET_B", "FLEET_C"):
            assert cells(screen, name)[:5] == [name, V3, "0", "none", "done"]
            assert cells(screen, name)[6] == ""
        assert "confirm: 3 targets: 3 done" in _status(screen)
        assert "contract waits" not in _status(screen)
        assert not screen.active_bindings["c"].enabled  # nothing waits any more
    for name in ("FLEET_A", "FLEET_B", "FLEET_C"):
        assert await _applied(url_of(name)) == [V1, V2, V3]
        assert await columns(url_of(name)) == ["id", "label"]


async def test_c_is_refused_while_the_fleet_migrates(contracts: config.Settings) -> None:
    """A release after the contract runs past it; C waits for a lock meanwhile: `c` then
    says why not, opens no question and queues nothing; once the run is over it asks."""
    m = contracts.migrations_dir
    (m / f"{V4}_note.sql").write_text("ALTER TABLE items ADD COLUMN note text;\n")
    migrations.write_sum(m)
    blocker = await asyncpg.connect(url_of("FLEET_C"))
    await blocker.execute("BEGIN; LOCK TABLE items IN ACCESS SHARE MODE")
    try:
        app = make(contracts)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_fleet(pilot)
            # V4 to apply too: pending, not only waiting; the step cell names the contract
            assert cells(screen, "FLEET_A")[2:5] == ["2", "none", "pending"]
            assert cells(screen, "FLEET_A")[6] == f"contract waiting: {V3}"
            await pilot.press("m")
            await pilot.press("down", "down", "enter")  # every target, go on past a failure
            await wait_until(pilot, lambda: "lock wait" in cells(screen, "FLEET_C")[6])
            await pilot.press("c")
            await pilot.pause()
            assert app.screen is screen
            assert not any(w.group == "fleet-contracts" for w in app.workers)
            assert any("the fleet is migrating" in n for n in notices(pilot))
            await pilot.press("x")
            await wait_until(pilot, lambda: not screen.running and "migrate:" in _status(screen))
            # A and B: V4 ran past the waiting contract, which waits still; C aborted
            assert cells(screen, "FLEET_A")[1:5] == [V4, "1", "none", "waiting"]
            assert cells(screen, "FLEET_C")[4] == "aborted"
            assert "a contract waits on 3 targets" in _status(screen)
            question = await ask(pilot)  # the run is over: `c` asks now
            assert "on 3 targets" in question.prompt
            assert "1 other pending migration on those targets runs too" in detail(question)
            await pilot.press("escape")
    finally:
        await blocker.close()
    assert await _applied(url_of("FLEET_A")) == [V1, V2, V4]
    assert await _applied(url_of("FLEET_C")) == [V1, V2]


async def test_c_follows_the_policy_past_a_busy_and_an_unreachable_target(
    contracts: config.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Canary A held by another migrator: B and C never start. Then B held and C
    unreachable, going on past failures: A confirmed; the summary names B and C's states;
    B's contract not half-applied."""
    app = make(contracts)
    holder = await asyncpg.connect(url_of("FLEET_A"))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_fleet(pilot)
            await holder.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
            await confirm(pilot, screen, 1)  # the first target alone, then the rest
            assert [cells(screen, n)[4] for n in ("FLEET_A", "FLEET_B", "FLEET_C")] == [
                "busy", "skipped", "skipped"
            ]  # fmt: skip
            assert "another migrator holds the migration lock" in screen.reports["FLEET_A"].message
            assert "migration lock" in str(screen.query_one("#fleet-detail").render())
            status = _status(screen)
            assert "confirm: 3 targets: 1 busy, 2 skipped" in status
            assert "not confirmed on FLEET_A (busy), FLEET_B (skipped), FLEET_C (skipped)" in status
            assert "a contract waits on 3 targets" in status
            for name in ("FLEET_A", "FLEET_B", "FLEET_C"):
                assert await _applied(url_of(name)) == [V1, V2]

            await holder.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
            await holder.close()
            holder = await asyncpg.connect(url_of("FLEET_B"))
            await holder.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
            monkeypatch.setenv("FLEET_C", "postgresql://nobody:s3cret@127.0.0.1:1/nowhere")
            await confirm(pilot, screen, 3)  # every target, go on past a failure
            assert [cells(screen, n)[4] for n in ("FLEET_A", "FLEET_B", "FLEET_C")] == [
                "done", "busy", "unreachable"
            ]  # fmt: skip
            status = _status(screen)
            assert "confirm: 3 targets: 1 done, 1 busy, 1 unreachable" in status
            assert "not confirmed on FLEET_B (busy), FLEET_C (unreachable)" in status
            assert "a contract waits on 2 targets" in status
            assert "s3cret" not in status + str(screen.query_one("#fleet-detail").render())
    finally:
        await holder.close()
    assert await _applied(url_of("FLEET_A")) == [V1, V2, V3]
    assert await _applied(url_of("FLEET_B")) == [V1, V2]
    assert await columns(url_of("FLEET_B")) == ["id", "name", "label"]


# --- snapshots: 80x24 and 160x48 --------------------------------------------------------------


def test_fleet_contracts_waiting_small(contracts: config.Settings, snap_compare: Any) -> None:
    """80x24: each target's contract waiting, the summary counting them, `c` in the footer."""

    async def run_before(pilot: Pilot[None]) -> None:
        await open_fleet(pilot)

    assert snap_compare(make(contracts), terminal_size=(80, 24), run_before=run_before)


def test_fleet_contract_question_small(contracts: config.Settings, snap_compare: Any) -> None:
    """80x24: the question, its contract, targets and drops, and "No" highlighted."""

    async def run_before(pilot: Pilot[None]) -> None:
        await open_fleet(pilot)
        await ask(pilot)

    assert snap_compare(make(contracts), terminal_size=(80, 24), run_before=run_before)


def test_fleet_contract_question_large(contracts: config.Settings, snap_compare: Any) -> None:
    """160x48: the same question."""

    async def run_before(pilot: Pilot[None]) -> None:
        await open_fleet(pilot)
        await ask(pilot)

    assert snap_compare(make(contracts), terminal_size=(160, 48), run_before=run_before)


def test_fleet_contracts_confirmed_large(contracts: config.Settings, snap_compare: Any) -> None:
    """160x48: the contract confirmed on every target; nothing waits."""

    async def run_before(pilot: Pilot[None]) -> None:
        screen = await open_fleet(pilot)
        assert isinstance(screen, FleetScreen)
        await confirm(pilot, screen, 3)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make(contracts), terminal_size=(160, 48), run_before=run_before)


def test_fleet_contract_partly_confirmed_large(
    contracts: config.Settings, snap_compare: Any
) -> None:
    """160x48: B held by another migrator during the confirm: A and C done, B busy, its
    contract waiting still."""

    async def run_before(pilot: Pilot[None]) -> None:
        screen = await open_fleet(pilot)
        assert isinstance(screen, FleetScreen)
        holder = await asyncpg.connect(url_of("FLEET_B"))
        try:
            await holder.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
            await confirm(pilot, screen, 3)
        finally:
            await holder.close()
        await pilot.press("down")
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make(contracts), terminal_size=(160, 48), run_before=run_before)
