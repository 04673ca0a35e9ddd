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


class _History(App[None]):
    """The history screen's columns, with the long names `generate` writes for expand/contract."""

    def compose(self) -> ComposeResult:
        yield StyledTable(id="t")

    def on_mount(self) -> None:
        t = self.query_one(StyledTable)
        t.define(
            Col("state", "state"),
            Col("version", "version"),
            Col("name", "name", flex=True),
            Col("checksum", "checksum", drop=5, yields=True),
            Col("steps", "steps"),
            Col("at", "applied at", drop=2),
            Col("took", "took", drop=4, yields=True),
            Col("by", "by", drop=3, yields=True),
        )
        for n, name in enumerate(
            ("create_users_and_orders", "rename_orders_status_and_4_more_expand")
        ):
            t.put_row(
                str(n),
                t.cell("applied"),
                t.cell(f"2026120705031{n}"),
                t.cell(name),
                t.cell("h1:1qg+aD3Ni"),
                t.cell("6/6"),
                t.cell("2026-12-07 05:02:36"),
                t.cell("146 ms"),
                t.cell("postgres@127.0.0.1"),
            )


async def test_the_history_gives_up_its_checksum_before_it_cuts_a_name() -> None:
    # at 120 a whole name (the expand and the contract differ only at its end) beats the
    # checksum; at 200 there is room for everything; at 80 the name is cut only past `applied at`
    for width in (200, 120, 80):
        app = _History()
        async with app.run_test(size=(width, 10)) as pilot:
            await pilot.pause()
            t = app.query_one(StyledTable)
            shown = [str(c.key.value) for c in t.columns.values()]
            # never given up for a name: state, version, steps, when
            assert {"state", "version", "name", "steps", "at"} <= set(shown), (width, shown)
            names = [t.get_row_at(i)[shown.index("name")].plain for i in range(2)]
            if width == 200:
                assert len(shown) == 8
            if width >= 120:
                assert names[1] == "rename_orders_status_and_4_more_expand", (width, names)
                # the checksum goes first, and only what the name needs goes
                assert "checksum" not in shown or width == 200
                assert "by" in shown, (width, shown)
