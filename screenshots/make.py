"""Regenerate the studio's screenshots from the real app on a real database.

    python screenshots/make.py            # every screen, into screenshots/*.svg
    python screenshots/make.py --png      # and a PNG beside each (needs cairosvg)

It starts a cluster of its own with `studio.sources.devdb` (the embedded PostgreSQL),
creates a `shop` database with the quick-start users/orders schema at its
first migration and fills it (10,000 users, 100,000 orders); the project has
a second, pending migration, and its declared schema is one step ahead
(orders.status becomes an order_status enum, a new index). The lock scenes
are real sessions: `psql` holding a lock, `shop-api` sessions querying.
The cluster is destroyed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "tui"))

from _workspace import Workspace, make_workspace, prepare_database  # noqa: E402 (tests/tui on the path)

from studio.sources.devdb.binaries import available_servers  # noqa: E402
from studio.sources.devdb.cluster import Cluster  # noqa: E402
from studio.tui.app import StudioApp  # noqa: E402
from studio.tui.options import StudioOptions  # noqa: E402
from studio.tui.screens.apply import ApplyScreen  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from textual.pilot import Pilot

LABEL = "postgresql://postgres@localhost:5432/shop"
WIDE = (120, 40)


async def settle(pilot: Pilot[None]) -> None:
    """Wait for the app's finite workers, then let it repaint."""
    app = pilot.app
    for _ in range(4):
        await pilot.pause()
        for w in [w for w in app.workers if w.is_running and w.group != "monitor"]:
            with contextlib.suppress(Exception):
                await w.wait()
        await pilot.pause()


async def until(pilot: Pilot[None], predicate: Callable[[], bool], timeout: float = 60) -> None:
    """Let the app run until `predicate()` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("the app did not get there")
        await pilot.pause(0.05)


def save(app: StudioApp, name: str, out: Path, shots: list[Path]) -> None:
    """Write the current screen as `name`.svg."""
    app.clear_notifications()
    path = out / f"{name}.svg"
    path.write_text(app.export_screenshot(title=f"schema-studio — {name}"), encoding="utf-8")
    shots.append(path)
    print(f"  {path}", file=sys.stderr)


def options(ws: Workspace, **kw: Any) -> StudioOptions:
    return StudioOptions(settings=ws.settings, target_label=LABEL, **kw)


@contextlib.asynccontextmanager
async def application_traffic(url: str, *, hold: str | None) -> AsyncIterator[None]:
    """`psql` idle in a transaction holding a lock (`hold`); two `shop-api` sessions read orders."""
    holder = await asyncpg.connect(url, server_settings={"application_name": "psql"})
    apps = [
        await asyncpg.connect(url, server_settings={"application_name": "shop-api"})
        for _ in range(2)
    ]
    stop = asyncio.Event()

    async def reader(conn: asyncpg.Connection, n: int) -> None:
        i = n
        while not stop.is_set():
            await conn.fetchval("SELECT total FROM orders WHERE id = $1", i % 90_000 + 1)
            i += 7
            await asyncio.sleep(0.05)

    try:
        if hold:
            await holder.execute(f"BEGIN; {hold}")
        tasks = [asyncio.ensure_future(reader(c, i)) for i, c in enumerate(apps)]
        yield
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await holder.execute("ROLLBACK")
        for t in tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(t, 30)
        for c in (holder, *apps):
            await c.close()


async def shoot(ws: Workspace, out: Path) -> list[Path]:
    shots: list[Path] = []

    # the studio: declared | live | diff
    app = StudioApp(options(ws))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        save(app, "studio", out, shots)
        live = app.screen.query_one("#live")
        await pilot.press("2")
        live.reveal("column:public.orders.status")  # type: ignore[attr-defined]
        await settle(pilot)
        save(app, "studio-rename-candidate", out, shots)
        await pilot.press("slash", *"created", "enter")
        await settle(pilot)
        save(app, "studio-filter", out, shots)
    for size, name in (((80, 24), "studio-80x24"), ((200, 50), "studio-200x50")):
        app = StudioApp(options(ws))
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            app.screen.query_one("#declared").reveal(
                "index:public.orders.orders_user_id_created_at_idx"
            )  # type: ignore[attr-defined]
            await settle(pilot)
            save(app, name, out, shots)

    # review and the file it makes; history
    app = StudioApp(options(ws))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        save(app, "review", out, shots)
        for key in ("a", "a", "a"):
            await pilot.press(key)
        await settle(pilot)
        save(app, "review-safe-form", out, shots)
        await pilot.press("f")
        await settle(pilot)
        save(app, "review-plain-form", out, shots)
        await pilot.press("f", "a", "w")
        await settle(pilot)
        save(app, "finish", out, shots)
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        save(app, "history", out, shots)
        await pilot.press("down", "enter")
        await settle(pilot)
        save(app, "history-sql", out, shots)

    # the lock monitor on its own: psql holds ACCESS EXCLUSIVE, the application queues
    async with application_traffic(ws.url, hold="LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"):
        app = StudioApp(options(ws, monitor_interval=0.2))
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await pilot.press("l")
            screen = app.screen
            await until(pilot, lambda: len(screen.query_one("#locks-table").rows) >= 3)  # type: ignore[attr-defined]
            await pilot.pause(0.5)
            save(app, "locks", out, shots)

    # apply: the migration waits behind psql's read lock, the application queues behind it; abort
    import dataclasses

    slow = dataclasses.replace(ws.settings, lock_timeout="20s")
    async with application_traffic(ws.url, hold="SELECT count(*) FROM orders"):
        app = StudioApp(StudioOptions(settings=slow, target_label=LABEL, monitor_interval=0.2))
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot)
            apply = app.screen
            assert isinstance(apply, ApplyScreen)
            await pilot.press("m")

            def queued() -> bool:
                table = apply.query_one("#tail-table")
                rows = [
                    " ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)
                ]  # type: ignore[attr-defined]
                return any("this migration" in r for r in rows) and any(
                    "shop-api" in r for r in rows
                )

            with contextlib.suppress(TimeoutError):
                await until(pilot, queued, 30)
            await pilot.pause(1.0)
            save(app, "apply-waiting", out, shots)
            await pilot.press("x")
            await until(pilot, lambda: not apply.running)
            await settle(pilot)
            save(app, "apply-aborted", out, shots)

    # apply for real, with the application still reading
    async with application_traffic(ws.url, hold=None):
        app = StudioApp(options(ws, monitor_interval=0.2))
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot)
            apply = app.screen
            await pilot.press("m")
            await until(pilot, lambda: not apply.running and bool(apply.progress.finished))  # type: ignore[attr-defined]
            await settle(pilot)
            save(app, "apply-done", out, shots)
    return shots


async def main(out: Path, png: bool) -> None:
    binaries = next(b for b in available_servers() if b.source == "embedded")
    cluster = await asyncio.to_thread(Cluster.ensure, "screenshots", binaries)
    try:
        with tempfile.TemporaryDirectory(prefix="schema-studio-shots-") as tmp:
            os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
            await cluster.drop_database("shop")
            url = await cluster.create_database("shop")
            ws = make_workspace(Path(tmp) / "shop", url, dev_url=cluster.url())
            print("filling the shop database ...", file=sys.stderr)
            await prepare_database(ws, users=10_000, orders=100_000)
            shots = await shoot(ws, out)
    finally:
        cluster.destroy()
    if png:
        sys.path.insert(0, str(REPO.parent / "shared" / "tools"))
        from svg2png import svg_to_png  # type: ignore[import-not-found]

        for svg in shots:
            svg_to_png(svg, svg.with_suffix(".png"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--png", action="store_true", help="also write PNGs (needs cairosvg)")
    args = parser.parse_args()
    asyncio.run(main(args.out, args.png))
