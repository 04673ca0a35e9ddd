"""Benchmark: the studio's first complete render and its key-to-repaint latency on large schemas.

For each size N, the synthetic N-table schema (bench/schema.py) is the live
database (a local cluster from studio.sources.devdb, embedded PostgreSQL), and the
declared schema is the same plus a few changes (a column on every tenth
table, a new table), as SQL in a scratch project. The studio runs headless
at 160x50.

- **first render**: from creating the app to the first screen update that
  shows the three panes filled (both sides read and diffed, trees drawn);
  "cold" materializes the declared schema in a throwaway database of the dev
  server (a cache miss), "warm" finds it in the materialization cache (an
  unchanged schema: the everyday case). The dev server is the studio's own,
  as a project without `dev_url` gets it (on tmpfs when /dev/shm has room),
  in a folder of the bench's; it is started, and left warm, before the cold
  render, and stopped at the end.
- **key to repaint**: `down` pressed in the Declared pane, moving through the
  N tables once the background drift check is done; from the key event to
  the screen update that shows the cursor on the next table, the other
  panes following (and, for single presses, the detail redrawn; a held key
  redraws the detail when the cursor rests).

    python -m bench.tui [--sizes 100,1000] [--keys 300]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from textual import events

from bench.introspect import ensure_database
from studio import config
from studio.sources.devdb.binaries import available_servers
from studio.sources.devdb.cluster import Cluster
from studio.sources.devdb.lease import release, use_dev_cluster
from studio.sources.devdb.placement import tmpfs_parent
from studio.sources.devdb.servers import stop_dev_servers
from studio.tui.app import StudioApp
from studio.tui.options import StudioOptions

SIZE = (160, 50)


def project(root: Path, url: str, n: int) -> config.Settings:
    """A scratch project whose declared schema is the live one plus a few changes."""
    from bench.schema import sql, table_name

    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[tool.schema-studio]\nschema = "declared.sql"\nmigrations = "migrations"\n'
    )
    changes = [
        f"ALTER TABLE public.{table_name(i)} ADD COLUMN region text" for i in range(1, n + 1, 10)
    ]
    changes.append("CREATE TABLE public.audit_log (id bigint PRIMARY KEY, note text)")
    (root / "declared.sql").write_text(sql(n) + ";\n".join(changes) + ";\n")
    return config.load(root, db_override=url)


class Timed(StudioApp):
    """The studio, noting when each screen update reaches the (headless) terminal."""

    def __init__(self, options: StudioOptions) -> None:
        super().__init__(options)
        self.displays: list[float] = []

    def _display(self, screen: Any, renderable: Any) -> None:
        super()._display(screen, renderable)
        self.displays.append(time.perf_counter())


async def panes_shown(app: Timed) -> None:
    """Wait for the screen update that shows the panes filled (both sides read and diffed)."""
    while not (app.comparison is not None and app.screen.query_one("#declared").root.children):
        await asyncio.sleep(0.005)
    shown = len(app.displays)
    while len(app.displays) == shown:
        await asyncio.sleep(0.001)


async def first_render(settings: config.Settings) -> tuple[float, Timed]:
    """Seconds from creating the app to the update showing the filled panes."""
    started = time.perf_counter()
    app = Timed(StudioOptions(settings=settings))
    async with app.run_test(size=SIZE) as pilot:
        await panes_shown(app)
        elapsed = app.displays[-1] - started
        # let the background drift check finish: the next run starts on a quiet process
        for worker in list(app.workers):
            if worker.is_running:
                with contextlib.suppress(Exception):
                    await worker.wait()
        await pilot.pause()
    return elapsed, app


async def key_latency(settings: config.Settings, keys: int, gap: float) -> list[float]:
    """Milliseconds from each `down` to the update showing its effect, through the tables.

    `gap` seconds between keys: 0.03 is a held key (auto-repeat: the detail
    waits for the cursor to rest), 0.3 separate presses (the detail redrawn
    with each).
    """
    app = Timed(StudioOptions(settings=settings))
    out: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        while app.comparison is None:
            await asyncio.sleep(0.01)
        # steady state: the drift check that follows the first render has finished
        for worker in list(app.workers):
            if worker.is_running:
                with contextlib.suppress(Exception):
                    await worker.wait()
        await pilot.pause()
        pane = app.screen.query_one("#declared")
        pane.focus()
        await pilot.pause()
        driver = app._driver
        assert driver is not None
        for _ in range(keys):
            if pane.cursor_line >= pane.last_line:  # the end of the tree: start over (not timed)
                pane.move_cursor_to_line(1)
                await pilot.pause()
            before_line = pane.cursor_line
            shown = len(app.displays)
            t0 = time.perf_counter()
            key = events.Key("down", None)
            key.set_sender(app)
            driver.send_message(key)
            while pane.cursor_line == before_line or len(app.displays) == shown:
                await asyncio.sleep(0)
            # the update that follows the cursor move (the detail and other panes with it)
            while len(app.displays) == shown:
                await asyncio.sleep(0)
            out.append((app.displays[-1] - t0) * 1000)
            await asyncio.sleep(gap)
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def size_row(
    cluster: Cluster, tmp: Path, n: int, keys: int
) -> tuple[int, float, float, list[float], list[float]]:
    """The figures of size N: first render cold and warm, held and single keys."""
    url = await ensure_database(cluster, n)
    settings = project(tmp / f"p{n}", url, n)
    # the dev server started and left warm (idle timeout) first: cold is the cache miss alone
    dev, fd = await asyncio.to_thread(use_dev_cluster, cluster.major)
    await asyncio.to_thread(release, dev, fd, settings.dev_idle_timeout or 900.0)
    os.close(fd)
    cold, _ = await first_render(settings)
    warm_runs = [(await first_render(settings))[0] for _ in range(3)]
    held = await key_latency(settings, keys, 0.03)
    single = await key_latency(settings, max(20, keys // 5), 0.3)
    print(
        f"N={n}: first render cold {cold:.2f} s, warm {statistics.median(warm_runs):.2f} s;"
        f" held key median {statistics.median(held):.1f} ms p95 {pct(held, 95):.1f} ms;"
        f" single key median {statistics.median(single):.1f} ms p95 {pct(single, 95):.1f}"
        " ms",
        file=sys.stderr,
    )
    return n, cold, statistics.median(warm_runs), held, single


async def main(sizes: list[int], keys: int) -> None:
    binaries = next(b for b in available_servers() if b.source == "embedded")
    cluster = await asyncio.to_thread(Cluster.ensure, f"bench-pg{binaries.major}", binaries)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-tui-", dir=tmpfs_parent()) as tmp:
        Path(tmp).chmod(0o711)  # as root, the dev server runs as another user and must reach it
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
        # the studio's own dev server, as a project without dev_url gets it, in a folder of ours
        os.environ["STUDIO_DEVDB_DIR"] = tmp
        try:
            for n in sizes:
                rows.append(await size_row(cluster, Path(tmp), n, keys))
        finally:
            stop_dev_servers()
    if cluster.started_by_us:
        cluster.stop()
    print(
        f"\nstudio at {SIZE[0]}x{SIZE[1]},"
        f" PostgreSQL {binaries.version} (embedded), {os.cpu_count()} CPUs\n"
    )
    print(
        "| tables | first render, cold | first render, warm "
        "| held key→repaint median / p95 / max"
        " | single key→repaint (with detail) median / p95 / max |"
    )
    print("|---:|---:|---:|---:|---:|")
    for n, cold, warm, held, single in rows:
        print(
            f"| {n:,} | {cold:.2f} s | {warm:.2f} s "
            f"| {statistics.median(held):.0f} / {pct(held, 95):.0f} / {max(held):.0f} ms "
            f"| {statistics.median(single):.0f} / {pct(single, 95):.0f} / {max(single):.0f} ms |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--keys", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.sizes.split(",")], args.keys))
