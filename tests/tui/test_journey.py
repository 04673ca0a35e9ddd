"""The studio's journeys, headless with Pilot, on a real database.

Open, move between panes, filter, select an object and see its detail,
accept a rename candidate; generate, approve and skip steps, switch a step
to its plain form and back, write the file and apply it, see it in history;
abort a step that waits on a lock a test connection holds.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import asyncpg
import pytest
from conftest import EMBEDDED_ONLY, NOW, make_app, settle, wait_until
from textual.widgets import Input, Static

from studio.migrations import files as migrations
from studio.run.history import State
from studio.tui import services
from studio.tui.objects import Status
from studio.tui.screens.apply import ApplyScreen
from studio.tui.screens.finish import FinishScreen
from studio.tui.screens.history import HistoryScreen
from studio.tui.screens.modals import ErrorScreen, NameScreen, SqlScreen
from studio.tui.screens.review import ReviewScreen
from studio.tui.screens.studio import MainScreen
from studio.tui.widgets.detail import DetailPanel
from studio.tui.widgets.lock_tail import LockTable
from studio.tui.widgets.object_tree import ObjectPane
from studio.tui.widgets.steps import StyledTable

if TYPE_CHECKING:
    from _workspace import Workspace
    from textual.pilot import Pilot

    from studio.config import Settings


def text_of(widget: Static) -> str:
    """What a Static shows, as plain text."""
    return str(widget.render())


def pane(app: object, name: str) -> ObjectPane:
    return app.screen.query_one(f"#{name}", ObjectPane)  # type: ignore[attr-defined]


def detail_text(app: object) -> str:
    d = app.screen.query_one(DetailPanel)  # type: ignore[attr-defined]
    return "\n".join(text_of(s) for s in d.query(Static))


async def open_review(app: object, pilot: Pilot[None]) -> ReviewScreen:
    """From the studio: `g`, and the review screen once its plan is loaded."""
    await settle(pilot)
    await pilot.press("g")
    await settle(pilot)
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, ReviewScreen)
    return screen


def shown_ids(p: ObjectPane) -> set[str]:
    """The ids of the nodes the pane has drawn."""
    out = set()
    stack = list(p.root.children)
    while stack:
        n = stack.pop()
        if n.data is not None:
            out.add(n.data.id)
        stack.extend(n.children)
    return out


async def test_open_move_filter_and_detail(workspace: Workspace) -> None:
    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        declared, live, diff = pane(app, "declared"), pane(app, "live"), pane(app, "diff")
        assert declared.has_focus
        # every object marked: the new enum is added in Declared,
        # status is a rename candidate in Live
        assert declared.model.get("enum:public.order_status").status is Status.ADDED
        assert live.model.get("column:public.orders.status").status is Status.RENAME
        assert live.model.get("table:public.users").status is Status.CHANGED
        assert diff.model.get("candidate:0") is not None
        # the header: masked target, migrations, drift
        header = "".join(text_of(s) for s in app.screen.query("StudioHeader Static"))
        assert "1 applied · 1 pending" in header
        assert "PostgreSQL ··" in header
        assert "no drift" in header

        # move between panes
        await pilot.press("2")
        assert live.has_focus
        await pilot.press("3")
        assert diff.has_focus
        await pilot.press("1")
        assert declared.has_focus

        # select a column in Declared: Live follows,
        # the detail shows both definitions and its change
        assert declared.reveal("column:public.orders.shipped_at")
        await settle(pilot)
        assert declared.current.id == "column:public.orders.shipped_at"
        assert live.current.id == "table:public.orders"  # not in the live database: its table
        text = detail_text(app)
        assert "ADD COLUMN shipped_at timestamp without time zone" in text
        assert "not in the live database" in text
        assert "add column public.orders.shipped_at" in text

        # a column both sides have: same on both
        assert declared.reveal("column:public.orders.total")
        await settle(pilot)
        assert live.current.id == "column:public.orders.total"
        assert "No change concerns this object." in detail_text(app)

        # filter all panes by name
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"email")
        await settle(pilot)
        assert "column:public.users.email" in shown_ids(declared)
        assert "table:public.orders" not in shown_ids(declared)
        assert "table:public.orders" not in shown_ids(live)
        await pilot.press("enter")
        assert declared.has_focus
        await pilot.press("escape")
        await settle(pilot)
        assert "table:public.orders" in shown_ids(declared)


async def test_selecting_in_the_diff_selects_the_object(workspace: Workspace) -> None:
    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        diff, declared = pane(app, "diff"), pane(app, "declared")
        await pilot.press("3")
        c = app.comparison
        assert c is not None
        index = next(
            i
            for i, ch in enumerate(c.changes)
            if ch.kind == "create_index" and "orders" in ch.describe()
        )
        diff.reveal(f"change:{index}")
        await settle(pilot)
        assert declared.current.id == "index:public.orders.orders_user_id_created_at_idx"
        assert "CREATE INDEX orders_user_id_created_at_idx" in detail_text(app)


async def test_accept_a_rename_candidate(workspace: Workspace) -> None:
    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        diff = pane(app, "diff")
        await pilot.press("3")
        diff.reveal("candidate:0")
        await settle(pilot)
        assert "possible rename" in detail_text(app)
        await pilot.press("R")
        await settle(pilot)
        c = app.comparison
        assert c is not None
        assert app.hints == ("public.orders.status=public.orders.order_status",)
        assert not c.candidates
        assert any(ch.kind == "rename_column" for ch in c.changes)
        # the type change that follows the rename changes the column: `~`, not `-`
        typed = next(i for i, ch in enumerate(c.changes) if ch.kind == "alter_column_type")
        assert c.changes[typed].destructive
        leaf = diff.model.get(f"change:{typed}")
        assert leaf.status is Status.CHANGED and leaf.tag == "destructive"
        live, declared = pane(app, "live"), pane(app, "declared")
        # the live column now stands for the renamed one: changed, selected together
        assert live.model.get("column:public.orders.order_status").status is Status.CHANGED
        assert declared.model.get("column:public.orders.order_status").status is Status.CHANGED
        await pilot.press("1")
        declared.reveal("column:public.orders.order_status")
        await settle(pilot)
        assert live.current.id == "column:public.orders.order_status"
        text = detail_text(app)
        assert "RENAME COLUMN status TO order_status" in text
        assert "character varying(50)" in text  # the live definition, under its old name


async def test_generate_review_write_apply_history(workspace: Workspace) -> None:
    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot)
        review = screen.review
        assert review is not None
        kinds = [review.items[i].plain[0].kind for i in range(len(review))]
        assert kinds == ["drop_column", "create_enum", "add_column", "create_index"]
        assert review.source.candidates  # shown in the banner
        assert "possible rename" in text_of(screen.query_one("#review-banner", Static))

        # step 1 is destructive: its hazard is shown
        facts = text_of(screen.query_one("#step-facts", Static))
        assert "danger" in facts and "ACCESS EXCLUSIVE on public.orders" in facts

        await pilot.press("a")  # approve 1, cursor to 2
        await pilot.press("a")  # approve 2
        await pilot.press("a")  # approve 3, cursor on the index
        await settle(pilot)
        i = screen.cursor
        assert i == 3
        assert review.form(3) == "safe"
        assert "CONCURRENTLY" in review.sql(3)
        await pilot.press("f")  # its plain form
        await settle(pilot)
        assert review.form(3) == "plain"
        assert "CONCURRENTLY" not in review.sql(3)
        assert "plain form" in text_of(screen.query_one("#step-title", Static))
        await pilot.press("f")  # and back
        assert review.form(3) == "safe"
        await pilot.press("s")  # skip the index
        await settle(pilot)
        s = review.summary()
        assert (s.approved, s.skipped, s.pending) == (3, 1, 0)
        bar = text_of(screen.query_one("#summary-bar", Static))
        assert "3 approved" in bar and "1 skipped" in bar

        await pilot.press("w")
        await settle(pilot)
        finish = app.screen
        assert isinstance(finish, FinishScreen)
        up = text_of(finish.query_one("#file-up-sql", Static))
        assert "-- schema-studio:step" in up
        assert "DROP COLUMN status" in up
        assert "orders_user_id_created_at_idx" not in up  # skipped
        assert "version: 20261201093000" in up

        await pilot.press("m")  # write and apply: asks for a name first
        await settle(pilot)
        assert isinstance(app.screen, NameScreen)
        name_box = app.screen.query_one(Input)
        name_box.value = ""
        await pilot.press(*"order status enum", "enter")
        await settle(pilot)
        written = workspace.settings.migrations_dir / "20261201093000_order_status_enum.sql"
        assert written.exists()
        assert (
            workspace.settings.migrations_dir / "20261201093000_order_status_enum.down.sql"
        ).exists()
        migrations.verify_sum(workspace.settings.migrations_dir)  # the sum was updated

        # applying started at once, on the apply screen
        apply = app.screen
        assert isinstance(apply, ApplyScreen)
        await wait_until(pilot, lambda: apply.progress.finished != [] and not apply.running)
        await settle(pilot, groups=("apply", "after"))
        assert apply.progress.finished == ["20261130090000", "20261201093000"]
        assert "done" in text_of(apply.query_one("#apply-status", Static))

        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        history = app.screen
        assert isinstance(history, HistoryScreen)
        assert history.status is not None
        states = {e.version: e.state for e in history.status.entries}
        assert states == {
            "20261128035950": State.APPLIED,
            "20261130090000": State.APPLIED,
            "20261201093000": State.APPLIED,
        }
        table = history.query_one("#history-table")
        table.move_cursor(row=2)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SqlScreen)
        assert "DROP COLUMN status" in "\n".join(text_of(s) for s in app.screen.query(".file-sql"))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)


async def test_abort_a_step_waiting_on_a_lock(workspace: Workspace) -> None:
    """The migration waits behind a test connection, the application queues behind it; abort."""
    import asyncio
    import contextlib

    blocker = await asyncpg.connect(
        workspace.url, server_settings={"application_name": "test-blocker"}
    )
    reader = await asyncpg.connect(workspace.url, server_settings={"application_name": "test-app"})
    stop = asyncio.Event()

    async def application() -> None:
        # reads orders again and again: each read queues behind the migration's lock request
        while not stop.is_set():
            await reader.fetchval("SELECT count(*) FROM orders")

    try:
        await blocker.execute("BEGIN; SELECT count(*) FROM orders")  # holds ACCESS SHARE on orders
        app = make_app(workspace, snapshot=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot, groups=("pending",))
            apply = app.screen
            assert isinstance(apply, ApplyScreen)
            assert [m.version for m in apply.pending] == ["20261130090000"]
            app_task = asyncio.ensure_future(application())
            await pilot.press("m")
            table = apply.query_one("#tail-table", LockTable)

            def rows() -> list[str]:
                return list(table.rows_text())

            def tail_shows_the_queue() -> bool:
                r = rows()
                own = apply.own_pid
                return (
                    any("test-blocker" in x and str(blocker.get_server_pid()) in x for x in r)
                    and any("this migration" in x for x in r)
                    and own is not None
                    and any("test-app" in x and f"migration {own}" in x for x in r)
                )

            # the migration waits behind the test connection, the tail says who blocks it,
            # and the application's reads queue behind the migration (highlighted)
            await wait_until(pilot, tail_shows_the_queue)
            assert apply.query_one("#tail-title").has_class("-queued-behind")
            assert apply.running
            await pilot.press("x")
            await wait_until(pilot, lambda: not apply.running)
            await settle(pilot, groups=("apply", "after", "abort"))
            status = text_of(apply.query_one("#apply-status", Static))
            assert "aborted" in status
            assert "rolled back" in status
            # the step's row says the user aborted it, not that it failed
            steps = apply.query_one("#apply-steps", StyledTable)
            states = [str(steps.get_row_at(i)[0]) for i in range(steps.row_count)]
            assert "aborted" in states and "failed" not in states, states
            stop.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(app_task, 10)
        # the database is as it was: the migration is still pending, its column absent
        st = await services.history_status(workspace.settings)
        assert {e.version: e.state for e in st.entries}["20261130090000"] is State.PENDING
        has_column = await blocker.fetchval(
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_name = 'orders' AND column_name = 'shipped_at'"
        )
        assert has_column == 0
    finally:
        stop.set()
        await reader.close()
        await blocker.close()


async def test_event_loop_stays_responsive_while_a_query_runs(workspace: Workspace) -> None:
    """A query sleeping 2 s in a worker while keys are pressed: the screen keeps responding."""
    from studio.catalog import connect as db

    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen

        async def slow_query() -> float:
            conn = await db.connect(workspace.url)
            try:
                return float(
                    await conn.fetchval(
                        "SELECT extract(epoch FROM clock_timestamp()) FROM pg_sleep(2)"
                    )
                )
            finally:
                await conn.close()

        worker = screen.run_worker(slow_query(), group="slow", exclusive=True, exit_on_error=False)
        await wait_until(pilot, lambda: worker.is_running)
        loop = __import__("asyncio").get_running_loop()
        started = loop.time()
        await pilot.press("slash", "m")
        declared = pane(app, "declared")
        assert app.screen.query_one("#filter", Input).value == "m"
        elapsed = loop.time() - started
        # the query takes 2 s: the keys were handled and drawn while it ran
        assert worker.is_running, "the keys waited for the query: the event loop was blocked"
        assert elapsed < 2.0, f"keys took {elapsed:.2f}s"
        assert "column:public.users.email" in shown_ids(declared)
        assert "table:public.orders" not in shown_ids(declared)
        await worker.wait()


@EMBEDDED_ONLY
async def test_a_migration_half_applied_is_applying_not_drift(workspace: Workspace) -> None:
    """Step 1 of a step-by-step migration committed, step 2 waits on a lock: no red drift."""
    import asyncio

    from studio.run import runner

    third = "20261130100000"
    (workspace.settings.migrations_dir / f"{third}_notes.sql").write_text(
        migrations.render_migration(
            third,
            [
                migrations.StepSpec(
                    ("ALTER TABLE public.orders ADD COLUMN note text",), ("note",), False
                ),
                migrations.StepSpec(
                    ("ALTER TABLE public.users ADD COLUMN nickname text",), ("nick",), False
                ),
            ],
            description=("notes",),
        )
    )
    migrations.write_sum(workspace.settings.migrations_dir)
    (workspace.root / "declared.sql").write_text(
        (workspace.root / "declared.sql").read_text()
        + "ALTER TABLE public.orders ADD COLUMN note text;\n"
        + "ALTER TABLE public.users ADD COLUMN nickname text;\n"
    )
    blocker = await asyncpg.connect(workspace.url)
    await blocker.execute("BEGIN; SELECT count(*) FROM users")  # step 2 waits behind it
    ms = migrations.load_directory(workspace.settings.migrations_dir)
    run = asyncio.ensure_future(runner.apply(workspace.url, workspace.settings, ms))
    try:
        while True:  # until step 1 of the third migration is committed and recorded
            st = await services.history_status(workspace.settings)
            row = next((e.row for e in st.entries if e.version == third and e.row), None)
            if row is not None and row.steps_done == 1:
                break
            assert not run.done(), run
            await asyncio.sleep(0.05)
        app = make_app(workspace)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert app.drift_report is not None and app.drift_report.drift  # what check sees
            badge = text_of(app.screen.query_one("#header-drift", Static))
            assert badge == f"⟳ applying {third} 1/2", badge
            assert "drift" not in badge
    finally:
        await blocker.execute("COMMIT")
        await blocker.close()
        await run


@EMBEDDED_ONLY
async def test_command_palette_lists_the_studio_actions_first(workspace: Workspace) -> None:
    """ctrl+p: the screen's actions in footer order with their keys, no cursor keys; Theme last."""
    from textual.command import CommandList

    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.pause(0.3)  # the palette gathers its commands in a worker of its own
        commands = app.screen.query_one(CommandList)
        hits = [commands.get_option_at_index(i) for i in range(commands.option_count)]
        titles = [str(h.hit.text) for h in hits]  # type: ignore[attr-defined]
        helps = {str(h.hit.text): h.hit.help for h in hits}  # type: ignore[attr-defined]
        own = ["Generate", "Apply", "History", "Locks", "Refresh", "Rename", "Filter"]
        assert titles[: len(own)] == own, titles
        assert helps["Generate"] == "key: g" and helps["Rename"] == "key: R"
        assert "Cursor Down" not in titles and "Scroll Home" not in titles, titles
        assert titles.index("Theme") > titles.index("Declared")  # the studio's, hidden keys too


@EMBEDDED_ONLY
async def test_locks_pause_shows_it_is_paused(workspace: Workspace) -> None:
    """`p` freezes the picture: the summary and the title say paused, the footer offers Resume."""
    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        screen = app.screen
        await wait_until(pilot, lambda: screen.samples > 0)  # type: ignore[attr-defined]

        def shown() -> tuple[str, str, str]:
            summary = text_of(screen.query_one("#locks-summary", Static))
            title = text_of(screen.query_one("#header-title", Static))
            return summary, title, screen.active_bindings["p"].binding.description

        summary, title, label = shown()
        assert "paused" not in summary and title == "locks" and label == "Pause"
        await pilot.press("p")
        await pilot.pause()
        summary, title, label = shown()
        assert summary.startswith("paused ·") and "waiting" in summary, summary
        assert title == "locks · paused" and label == "Resume"
        before = screen.samples  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: screen.query_one("#locks-summary").has_class("-paused"))
        await pilot.press("p")
        await wait_until(pilot, lambda: screen.samples > before)  # type: ignore[attr-defined]
        summary, title, label = shown()
        assert "paused" not in summary and title == "locks" and label == "Pause"


@EMBEDDED_ONLY
async def test_a_table_the_same_on_both_sides_is_filled_when_needed(workspace: Workspace) -> None:
    """Its members are made when a pane needs them: a filter finds one inside the collapsed
    table, selecting one moves the other pane to it. What a read holds is frozen for the
    collector while the studio shows it, and given back when it exits."""
    notes = (
        "CREATE TABLE public.notes (id bigint PRIMARY KEY, body text, created_at timestamptz);\n"
        "CREATE INDEX notes_created_at_idx ON public.notes (created_at);\n"
    )
    conn = await asyncpg.connect(workspace.url)
    try:
        await conn.execute(notes)
    finally:
        await conn.close()
    declared_sql = workspace.root / "declared.sql"
    declared_sql.write_text(declared_sql.read_text() + "\n" + notes)
    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        declared, live = pane(app, "declared"), pane(app, "live")
        assert declared.model.get("table:public.notes").status is Status.SAME
        assert "column:public.notes.body" not in declared.model.nodes  # not made yet
        assert gc.get_freeze_count() > 0
        # the filter finds the column inside the collapsed table, in both panes
        await pilot.press("slash", *"body")
        await settle(pilot)
        assert "column:public.notes.body" in shown_ids(declared) & shown_ids(live)
        assert "table:public.orders" not in shown_ids(declared)
        await pilot.press("enter", "escape")
        await settle(pilot)
        # selecting a column of the table in Declared moves Live to the same column
        assert declared.reveal("column:public.notes.created_at")
        await settle(pilot)
        assert live.current.id == "column:public.notes.created_at"
        assert "No change concerns this object." in detail_text(app)
    assert gc.get_freeze_count() == 0


async def test_both_sides_are_read_from_before_the_main_screen_is_mounted(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read starts as the app loads, not once the screen that shows it is drawn."""
    order: list[str] = []
    read, mounted = services.load_sides, MainScreen.on_mount

    async def load_sides(settings: Settings) -> services.Sides:
        order.append("read")
        return await read(settings)

    def on_mount(self: MainScreen) -> None:
        order.append("mounted")
        mounted(self)

    monkeypatch.setattr(services, "load_sides", load_sides)
    monkeypatch.setattr(MainScreen, "on_mount", on_mount)
    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert order == ["read", "mounted"]
        assert pane(app, "declared").model.get("table:public.orders") is not None


async def test_the_loading_indicator_is_redrawn_four_times_a_second(workspace: Workspace) -> None:
    """On one tick of Textual's 16 a second in four: each redraw took CPU from the reads."""
    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        declared = pane(app, "declared")
        declared.loading = True
        await pilot.pause()
        indicator = declared._cover_widget
        assert indicator is not None and indicator.is_on_screen
        drawn: list[int] = []
        indicator.refresh = lambda *a, **k: drawn.append(1) or indicator  # type: ignore[method-assign]
        for _ in range(16):
            indicator.automatic_refresh()
        assert len(drawn) == 4


@EMBEDDED_ONLY
def test_the_studio_exits_1_after_an_error_dialog(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong DATABASE_URL: the dialog, then `run()` raises it; the CLI prints it and exits 1."""
    import dataclasses

    from studio import tui
    from studio.errors import ConnectionFailed
    from studio.tui.app import StudioApp

    settings = dataclasses.replace(
        workspace.settings,
        db_override="postgresql://nobody:secret@127.0.0.1:1/nowhere",
        connect_timeout=2,
    )
    real_run = StudioApp.run

    async def close_the_dialog(pilot: Pilot[None]) -> None:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ErrorScreen))
        await pilot.press("escape", "q")

    def headless(self: StudioApp) -> None:
        real_run(self, headless=True, size=(100, 30), auto_pilot=close_the_dialog)

    monkeypatch.setattr(StudioApp, "run", headless)
    with pytest.raises(ConnectionFailed) as raised:
        tui.run(settings)
    assert "cannot connect" in raised.value.message and "secret" not in raised.value.message


async def test_unreachable_database_is_one_line_in_a_modal(workspace: Workspace) -> None:
    import dataclasses

    settings = dataclasses.replace(
        workspace.settings,
        db_override="postgresql://nobody:secret@127.0.0.1:1/nowhere",
        connect_timeout=2,
    )
    app = make_app(workspace, settings=settings, target_label=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        message = text_of(app.screen.query_one("#error-message", Static))
        assert "\n" not in message.strip()
        assert "cannot connect" in message
        assert "secret" not in message
        await pilot.press("escape")
        header = "".join(text_of(s) for s in app.screen.query("StudioHeader Static"))
        assert "secret" not in header and "***" in header


async def test_expand_contract_from_the_review(workspace: Workspace) -> None:
    """Plan the rename as a rename, split it into expand/contract, apply both.

    The contract is applied once confirmed.
    """
    from studio.tui.screens.modals import ChoiceScreen

    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot)
        await pilot.press("R")  # the candidate, planned as a rename
        await settle(pilot)
        review = screen.review
        assert review is not None
        kinds = [review.items[i].plain[0].kind for i in range(len(review))]
        assert "rename_column" in kinds and "drop_column" not in kinds
        i = kinds.index("rename_column")
        screen.query_one("#steps").move_cursor(row=i)
        await settle(pilot)
        sql = text_of(screen.query_one("#step-sql", Static))
        assert "RENAME COLUMN" in sql and review.worst_hazard(i) == "danger"
        await pilot.press("e")
        await settle(pilot)
        assert review.is_split(i)
        # the step shows the expand migration's steps, each with its own locks and hazards
        sql = text_of(screen.query_one("#step-sql", Static))
        assert "RENAME COLUMN" not in sql and "ALTER TYPE" not in sql, sql
        assert "ADD COLUMN order_status public.order_status" in sql
        assert "CREATE TRIGGER" in sql and "-- expand 2: backfill" in sql, sql
        assert "later, in the contract migration" in sql
        facts = text_of(screen.query_one("#step-facts", Static))
        assert facts.count("expand    ") == 2, facts
        assert "ACCESS EXCLUSIVE on public.orders" in facts and "danger" not in facts, facts
        assert review.worst_hazard(i) != "danger"
        typed = kinds.index("alter_column_type")
        assert review.done_by(typed) == i and review.sql(typed).startswith("-- done by step")
        await pilot.press("A", "w")
        await settle(pilot)
        finish = app.screen
        assert isinstance(finish, FinishScreen)
        assert finish.rendered is not None and finish.rendered.contract_text is not None
        assert "schema-studio:phase contract" in finish.rendered.contract_text
        assert "schema-studio:backfill" in finish.rendered.text
        await pilot.press("m")
        await settle(pilot)
        app.screen.query_one(Input).value = "order status"
        await pilot.press("enter")
        await settle(pilot)
        apply = app.screen
        assert isinstance(apply, ApplyScreen)
        # the second migration and the expand run; the contract waits for the user's word
        await wait_until(pilot, lambda: not apply.running and len(apply.progress.finished) == 2)
        await settle(pilot, groups=("apply", "after", "pending"))
        assert apply._first_contract() == 0
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("enter")  # "Yes: apply the contract now"
        await wait_until(
            pilot,
            lambda: (
                not apply.running and apply.progress.finished[-1:] != [] and apply.pending == ()
            ),
        )
        await settle(pilot, groups=("apply", "after", "pending"))
    st = await services.history_status(workspace.settings)
    assert all(e.state is State.APPLIED for e in st.entries), st.entries
    assert len(st.entries) == 4
    conn = await asyncpg.connect(workspace.url)
    try:
        cols = {r[0]: r[1] for r in await conn.fetch(
            "SELECT column_name, udt_name FROM information_schema.columns"
            " WHERE table_name = 'orders'"
        )}  # fmt: skip
        assert "status" not in cols and cols["order_status"] == "order_status"
        assert await conn.fetchval("SELECT count(*) FROM orders WHERE order_status IS NULL") == 0
    finally:
        await conn.close()


async def test_review_names_nulls_a_not_null_step_would_meet(workspace: Workspace) -> None:
    """Declared NOT NULL on a column with NULLs on the target: the step says it would fail."""
    declared = workspace.root / "declared.sql"
    declared.write_text(
        declared.read_text() + "\nALTER TABLE public.users ALTER COLUMN name SET NOT NULL;\n"
    )
    conn = await asyncpg.connect(workspace.url)
    try:
        await conn.execute("UPDATE users SET name = NULL WHERE id % 7 = 0")
    finally:
        await conn.close()
    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(app, pilot)
        review = screen.review
        assert review is not None
        titles = [review.items[i].describe() for i in range(len(review))]
        step = titles.index("set not null on public.users.name")
        assert review.form(step) == "safe"  # through a NOT VALID check and its VALIDATE
        message = "public.users.name has NULLs on the target now"
        assert [c[: len(message)] for c in review.checks(step)] == [message]
        assert not any(review.checks(i) for i in range(len(review)) if i != step)
        screen.query_one("#steps").move_cursor(row=step)
        await settle(pilot)
        facts = text_of(screen.query_one("#step-facts", Static))
        assert "check" in facts and "has NULLs on the target now" in facts
        await pilot.press("f")  # the plain SET NOT NULL fails the same way
        await settle(pilot)
        assert review.form(step) == "plain" and review.checks(step)


def hand_written(workspace: Workspace) -> str:
    """A migration written by hand (`schema-studio new`, then `hash`): its version."""
    from studio.commands.files import new, rehash

    path = new(workspace.settings, "orders by total", now=NOW)
    path.write_text(
        path.read_text()
        + "-- schema-studio:step\n"
        + "ALTER TABLE public.orders ADD COLUMN note text;\n"
        + "-- schema-studio:step\n"
        + "CREATE INDEX orders_total_idx ON public.orders (total);\n"
    )
    rehash(workspace.settings)
    return path.name.split("_", 1)[0]


@EMBEDDED_ONLY
async def test_review_a_hand_written_pending_migration_and_apply_it(workspace: Workspace) -> None:
    """Enter on a hand-written pending file in the history: locks, sizes, hazards; m applies."""
    from studio.tui.screens.pending import PendingScreen

    version = hand_written(workspace)
    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        history = app.screen
        assert isinstance(history, HistoryScreen) and history.status is not None
        rows = [e.version for e in history.status.entries]
        history.query_one("#history-table").move_cursor(row=rows.index(version))
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PendingScreen) and screen.review is not None
        assert [s.step.title for s in screen.review.steps] == [
            "ALTER TABLE public.orders ADD COLUMN note text;",
            "CREATE INDEX orders_total_idx ON public.orders (total);",
        ]
        assert screen.review.before == ("20261130090000",)  # applied first
        await pilot.press("j")
        await settle(pilot)
        facts = text_of(screen.query_one("#step-facts", Static))
        assert "SHARE on public.orders" in facts and "blocks" in facts, facts
        assert "public.orders: ·· MB of rows" in facts and "estimate" in facts, facts
        assert "CONCURRENTLY" in facts and "hazard" in facts, facts  # lint's finding
        assert "CREATE INDEX orders_total_idx" in text_of(screen.query_one("#step-sql", Static))
        summary = text_of(screen.query_one("#summary-bar", Static))
        assert f"{version}_orders_by_total.sql" in summary and "press m to apply" in summary
        assert screen.query_one("#steps").get_row_at(1)[2].plain in ("!", "▲")

        await pilot.press("m")  # applies the one before it, then this one
        await settle(pilot)
        apply = app.screen
        assert isinstance(apply, ApplyScreen)
        await wait_until(pilot, lambda: len(apply.progress.finished) == 2 and not apply.running)
        await settle(pilot, groups=("apply", "after", "pending"))
    st = await services.history_status(workspace.settings)
    assert all(e.state is State.APPLIED for e in st.entries), st.entries
