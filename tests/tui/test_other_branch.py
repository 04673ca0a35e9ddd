"""A migration added on another branch (pending, older than one applied) in the studio, at 80x24."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conftest import EMBEDDED_ONLY, make_app, settle

from studio.commands.files import rehash
from studio.migrations import files as migrations
from studio.tui.screens.history import HistoryScreen

if TYPE_CHECKING:
    from _workspace import Workspace


@EMBEDDED_ONLY
async def test_a_migration_from_another_branch_is_named_and_counted(workspace: Workspace) -> None:
    """The history row says what `check` says, and the header and the summary count it."""
    # older than the applied first migration (28 Nov): merged from a branch after it was applied
    version = "20261127000000"
    step = migrations.StepSpec(("ALTER TABLE public.orders ADD COLUMN note text",), ("add note",))
    path = workspace.settings.migrations_dir / migrations.file_name(version, "from_a_branch")
    path.write_text(migrations.render_migration(version, [step], description=("a branch's",)))
    rehash(workspace.settings)
    app = make_app(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = str(app.screen.query_one("#header-migrations").render())
        assert header == "1 applied · 2 pending (1 branch)", header
        badge = app.screen.query_one("#header-drift").region  # still on screen at 80 columns
        assert badge.width > 8 and badge.right <= 80, badge
        await pilot.press("h")
        await settle(pilot)
        history = app.screen
        assert isinstance(history, HistoryScreen) and history.status is not None
        table = history.query_one("#history-table")
        shown = {str(table.get_row_at(i)[1]): i for i in range(table.row_count)}  # type: ignore[attr-defined]
        rows = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]  # type: ignore[attr-defined]
        row = [e.version for e in history.status.entries].index(version)
        assert rows[row] == "pending (added on another branch)", rows
        assert shown[version] == row
        summary = str(history.query_one("#history-status").render())
        assert "· 1 added on another branch —" in summary, summary
        await pilot.resize_terminal(120, 30)
        await settle(pilot)
        header = str(history.query_one("#header-migrations").render())
        assert header == "1 applied · 2 pending · 1 added on another branch", header
