"""Words cut at their boundaries, and tables that fit their width (no database)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from studio.tui.fit import fit
from studio.tui.widgets.steps import Col, StyledTable


def test_fit_cuts_at_a_word_boundary() -> None:
    assert fit("drop column status destructive", 40) == "drop column status destructive"
    assert fit("drop column status destructive", 24) == "drop column status…"
    assert fit("drop column status destructive", 19) == "drop column status…"
    # an identifier: between its parts
    assert fit("create index orders_user_id_created_at_idx on public.orders", 30) == (
        "create index orders_user_id_…"
    )
    assert fit("retried 3/10", 12) == "retried 3/10"
    assert fit("abcdefghijklmnop", 6) == "abcde…"  # one long word: where the room ends


class _Locks(App[None]):
    def compose(self) -> ComposeResult:
        yield StyledTable(id="t")

    def on_mount(self) -> None:
        t = self.query_one(StyledTable)
        t.define(
            Col("waited", "waited", drop=1),
            Col("pid", "pid"),
            Col("session", "session", flex=True),
            Col("lock", "lock mode"),
            Col("on", "on"),
            Col("by", "blocked by"),
        )
        for n in range(3):
            t.put_row(
                str(n),
                t.cell("12.5 s"),
                t.cell(f"4242{n}"),
                t.cell("psql alice idle in transaction for a long while"),
                t.cell("AccessExclusiveLock"),
                t.cell("public.orders"),
                t.cell("42420, 42421 (queued ahead)"),
            )


async def test_a_table_fits_80_columns_with_its_last_columns_whole() -> None:
    # at 160 every column; narrower, `waited` goes first: never `on` or `blocked by`
    for width, dropped in ((160, set()), (80, {"waited"})):
        app = _Locks()
        async with app.run_test(size=(width, 10)) as pilot:
            await pilot.pause()
            t = app.query_one(StyledTable)
            shown = [str(c.key.value) for c in t.columns.values()]
            assert set(shown) == {"waited", "pid", "session", "lock", "on", "by"} - dropped
            row = [cell.plain for cell in t.get_row_at(0)]
            # whole words: the relation and the blocking pids, whatever the width
            by = row[shown.index("by")]
            assert "public.orders" in row and by.startswith("42420, 42421"), (width, row)
            assert by in ("42420, 42421 (queued ahead)", "42420, 42421 (queued…"), by
            total = sum(c.get_render_width(t) for c in t.columns.values())
            assert total <= t.scrollable_content_region.width, (width, total)  # no sideways scroll
            session = row[shown.index("session")]
            assert session.endswith(("…", "while")) and "transa…" not in session, session
