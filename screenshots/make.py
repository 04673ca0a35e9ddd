"""Regenerate the studio's screenshots from the real app on a real database.

    python screenshots/make.py            # every screen, into screenshots/*.svg
    python screenshots/make.py --png      # and a PNG beside each (needs cairosvg)

It opens what a newcomer opens with `schema-studio demo`: the demo's scratch
project (`studio.demo.workspace`: its first migration applied, the demo models
declared one step ahead) on a database made and filled as the demo makes it
(10,000 users, 120,000 orders), on an embedded cluster of its own, with the
demo banner. The review scene writes the migration the apply scenes then run.
The lock scenes are real sessions: `psql` holding a lock, and the demo's own
application writer (`demo-app`) inserting and updating orders. The cluster is
destroyed at the end.
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

from studio import config
from studio.demo import workspace as demo
from studio.demo.writer import BackgroundWriter
from studio.sources.devdb.binaries import available_servers
from studio.sources.devdb.cluster import Cluster
from studio.tui.app import StudioApp
from studio.tui.options import StudioOptions
from studio.tui.screens.apply import ApplyScreen

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from textual.pilot import Pilot

LABEL = f"postgresql://postgres@localhost:5432/{demo.DATABASE}"
DEMO_NOTE = "q quits and stops it; `schema-studio demo` opens it again"
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


def to_step(app: StudioApp, label: str) -> None:
    """Put the review's cursor on the first step whose label starts with `label`."""
    table = app.screen.query_one("#steps")
    for i in range(table.row_count):  # type: ignore[attr-defined]
        if str(table.get_row_at(i)[-1]).startswith(label):  # type: ignore[attr-defined]
            table.move_cursor(row=i)  # type: ignore[attr-defined]
            return
    raise LookupError(f"no step {label!r} in the review")


def options(settings: config.Settings, **kw: Any) -> StudioOptions:
    return StudioOptions(
        settings=settings, target_label=LABEL, demo=True, demo_note=DEMO_NOTE, **kw
    )


@contextlib.asynccontextmanager
async def application_traffic(url: str, *, hold: str | None) -> AsyncIterator[None]:
    """`psql` idle in a transaction holding a lock (`hold`); the demo's writer plays the app."""
    holder = await asyncpg.connect(url, server_settings={"application_name": "psql"})
    writer: BackgroundWriter | None = None
    try:
        if hold:
            await holder.execute(f"BEGIN; {hold}")
        writer = BackgroundWriter(url, rate=10.0).start()
        yield
    finally:
        with contextlib.suppress(Exception):
            await holder.execute("ROLLBACK")
        if writer is not None:
            stats = writer.stop()
            print(f"  the demo application {stats.summary()}", file=sys.stderr)
        await holder.close()


async def shoot(settings: config.Settings, url: str, out: Path) -> list[Path]:
    shots: list[Path] = []

    # the studio: declared | live | diff
    app = StudioApp(options(settings))
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
        app = StudioApp(options(settings))
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            app.screen.query_one("#declared").reveal(
                "index:public.orders.orders_user_id_created_at_idx"
            )  # type: ignore[attr-defined]
            await settle(pilot)
            save(app, name, out, shots)

    # review (the rename planned, as expand/contract), the file it makes, written; history
    app = StudioApp(options(settings))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        save(app, "review-rename-candidate", out, shots)
        # both rename candidates planned as renames (orders.status, users.name), then each
        # split into expand/contract (`e` on its step)
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        for table in ("public.orders", "public.users"):
            to_step(app, f"rename column {table}.")
            await settle(pilot)
            await pilot.press("e")
            await settle(pilot)
        to_step(app, "rename column public.orders.")
        await settle(pilot)
        save(app, "review", out, shots)
        to_step(app, "create index")
        await settle(pilot)
        save(app, "review-safe-form", out, shots)
        await pilot.press("f")
        await settle(pilot)
        save(app, "review-plain-form", out, shots)
        await pilot.press("f", "A", "w")
        await settle(pilot)
        save(app, "finish", out, shots)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("enter")  # the suggested name
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        save(app, "history", out, shots)
        await pilot.press("down", "enter")
        await settle(pilot)
        save(app, "history-sql", out, shots)

    # the lock monitor on its own: psql holds ACCESS EXCLUSIVE, the application queues
    async with application_traffic(url, hold="LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"):
        app = StudioApp(options(settings, monitor_interval=0.2))
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            await pilot.press("l")
            screen = app.screen
            await until(pilot, lambda: len(screen.query_one("#locks-table").rows) >= 2)  # type: ignore[attr-defined]
            await pilot.pause(0.5)
            save(app, "locks", out, shots)

    # apply: the migration waits behind psql's read lock, the application queues behind it; abort.
    # A long lock_timeout with the queue guard off, so the queue stays on screen (by default the
    # guard gives up the lock attempt once the application has queued for a second).
    slow = config.with_overrides(settings, lock_timeout="20s", queue_guard=0.0)
    async with application_traffic(url, hold="SELECT count(*) FROM orders"):
        app = StudioApp(options(slow, monitor_interval=0.2))
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
                    "demo-app" in r for r in rows
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
    async with application_traffic(url, hold=None):
        app = StudioApp(options(settings, monitor_interval=0.2))
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
            root = demo.make_workspace(Path(tmp))
            # the dev database on this cluster too, so nothing outlives the run
            settings = config.load(root, dev_url=cluster.url())
            print("making and filling the demo database ...", file=sys.stderr)
            url = await demo.create_database(cluster, settings)
            settings = config.with_overrides(settings, db_override=url)
            shots = await shoot(settings, url, out)
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
