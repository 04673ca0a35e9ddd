"""Benchmark: where a cold first render of the studio spends its time, phase by phase.

The setting of bench/tui.py (the synthetic N-table schema live, the same
plus a few changes declared as SQL, the studio headless at 160x50, its own
dev server started and left warm first), then `--runs` cold first renders in
one process, each with an empty materialization cache. For each render: its
wall time (creating the app to the screen update that shows the filled
panes), the studio's CPU time (every thread), the CPU time of the live
server's and the dev server's backends (their postmasters' reaped children,
/proc/PID/stat cutime + cstime, read once the backends are gone), and the
timeline of the phases, each a span from the app's creation: the live read,
the declared load and, within it, the cache key, the throwaway database, the
splitting of the SQL (a thread), the DDL (`run_batches`, and the first and
last of its round trips), the read-back, the drop and the cache file; the
diff and the panes built (`compare`, a thread), and the panes filled.

The phases are timed by wrapping the functions that do them, by name: a
function renamed or moved shows as missing (said on stderr), not as zero.
The drift check, which follows the first render, is held back while the
servers' CPU is read.

    python -m bench.tui_timeline [--tables 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import inspect
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.introspect import ServerCpu, ensure_database
from bench.tui import SIZE, Timed, panes_shown, project
from studio.sources.devdb.binaries import available_servers
from studio.sources.devdb.cluster import Cluster
from studio.sources.devdb.lease import release, use_dev_cluster
from studio.sources.devdb.placement import tmpfs_parent
from studio.sources.devdb.servers import stop_dev_servers
from studio.tui.options import StudioOptions

# (module, attribute, label): the phases timed; context managers get :enter, :body and :exit
PHASES = [
    ("studio.tui.services", "load_sides", "both sides read"),
    ("studio.tui.services", "overview", "overview (migrations)"),
    ("studio.commands.diff", "read_live", "live read"),
    ("studio.commands.diff", "load", "declared load"),
    ("studio.sources.load", "cache_key", "cache key"),
    ("studio.sources.load", "dev_database_url", "throwaway database"),
    ("studio.sources.load", "run_batches", "DDL"),
    ("studio.sources.load", "introspect", "read-back"),
    ("studio.sources.load", "write_cached", "cache file"),
    ("studio.tui.services", "compare_schemas", "diff and panes (thread)"),
    ("studio.tui.screens.studio", "MainScreen._show", "panes filled"),
]
CONTEXT_MANAGERS = {"dev_database_url"}
# the drift check waits this long after the first render (the servers' CPU is read meanwhile)
DRIFT_DELAY = 1.5


class Timeline:
    """Spans of the phases of one render, from the app's creation."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.spans: list[tuple[str, float, float, str]] = []
        self.round_trips: list[tuple[float, float]] = []

    def now(self) -> float:
        return time.perf_counter() - self.t0

    def add(self, label: str, start: float) -> None:
        self.spans.append((label, start, self.now(), threading.current_thread().name))

    def lines(self, until: float) -> list[str]:
        """The spans begun before `until` (what follows the first render is the drift check's)."""
        spans = [span for span in self.spans if span[1] < until]
        if trips := self.round_trips:
            first, last = trips[0], trips[-1]
            label = f"DDL round trips: {len(trips)}, the first done at {first[1]:.3f}"
            spans.append((label, first[0], last[1], ""))
        return [
            f"  {s:7.3f} -> {e:7.3f}  {e - s:6.3f} s  {label}  ({thread})"
            for label, s, e, thread in sorted(spans, key=lambda x: x[1])
        ]


TIMELINE = [Timeline()]


def _wrap(fn: Callable[..., Any], label: str, cm: bool) -> Callable[..., Any]:
    if cm:

        @contextlib.asynccontextmanager
        async def managed(*a: Any, **k: Any) -> Any:
            t = TIMELINE[0]
            start = t.now()
            async with fn(*a, **k) as value:
                t.add(f"{label}: made", start)
                body = t.now()
                try:
                    yield value
                finally:
                    t.add(f"{label}: used", body)
                    end = t.now()
            t.add(f"{label}: dropped", end)

        return managed
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def timed_async(*a: Any, **k: Any) -> Any:
            start = TIMELINE[0].now()
            try:
                return await fn(*a, **k)
            finally:
                TIMELINE[0].add(label, start)

        return timed_async

    @functools.wraps(fn)
    def timed(*a: Any, **k: Any) -> Any:
        start = TIMELINE[0].now()
        try:
            return fn(*a, **k)
        finally:
            TIMELINE[0].add(label, start)

    return timed


def instrument() -> None:
    """Wrap the functions of PHASES, the DDL's round trips and the SQL file's splitting."""
    import importlib

    import studio.sources.materialize as materialize
    import studio.tui.services as services
    from studio.sources.declared import DECLARED_KINDS, DeclaredKind
    from studio.sources.spec import SourceKind

    for module_name, attr, label in PHASES:
        owner: Any = importlib.import_module(module_name)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        fn = getattr(owner, name, None)
        if fn is None:
            print(f"(no {attr} in {module_name}: not timed)", file=sys.stderr)
            continue
        setattr(owner, name, _wrap(fn, label, name in CONTEXT_MANAGERS))
    run_group = materialize._run_group

    async def round_trip(*a: Any) -> None:
        start = TIMELINE[0].now()
        try:
            await run_group(*a)
        finally:
            TIMELINE[0].round_trips.append((start, TIMELINE[0].now()))

    materialize._run_group = round_trip
    sql = DECLARED_KINDS[SourceKind.SQL]
    DECLARED_KINDS[SourceKind.SQL] = DeclaredKind(
        sql.files, _wrap(sql.ddl, "SQL split and sent on (thread)", False)
    )
    drift = services.drift

    async def later_drift(settings: Any) -> Any:
        await asyncio.sleep(DRIFT_DELAY)
        return await drift(settings)

    services.drift = later_drift


async def cold_render(settings: Any, servers: list[ServerCpu]) -> dict[str, float]:
    """One cold first render: its figures, its timeline printed."""
    TIMELINE[0] = timeline = Timeline()
    cpu, server = time.process_time(), [s.read() for s in servers]
    app = Timed(StudioOptions(settings=settings))
    async with app.run_test(size=SIZE) as pilot:
        await panes_shown(app)
        wall, cpu = app.displays[-1] - timeline.t0, time.process_time() - cpu
        await asyncio.sleep(DRIFT_DELAY / 2)  # the backends gone and reaped
        live, dev = (s.read() - before for s, before in zip(servers, server, strict=True))
        for worker in list(app.workers):
            if worker.is_running:
                with contextlib.suppress(Exception):
                    await worker.wait()
        await pilot.pause()
    print(
        f"first render {wall:.3f} s; CPU: studio {cpu:.2f} s, live server {live:.2f} s,"
        f" dev server {dev:.2f} s; load {os.getloadavg()[0]:.2f}",
        file=sys.stderr,
    )
    print("\n".join(timeline.lines(until=wall)), file=sys.stderr)
    return {"first render": wall, "studio CPU": cpu, "live server CPU": live, "dev CPU": dev}


async def main(tables: int, runs: int) -> None:
    instrument()
    binaries = next(b for b in available_servers() if b.source == "embedded")
    cluster = await asyncio.to_thread(Cluster.ensure, f"bench-pg{binaries.major}", binaries)
    with tempfile.TemporaryDirectory(prefix="bench-timeline-", dir=tmpfs_parent()) as tmp:
        Path(tmp).chmod(0o711)  # as root, the dev server runs as another user and must reach it
        os.environ["STUDIO_DEVDB_DIR"] = tmp
        try:
            url = await ensure_database(cluster, tables)
            settings = project(Path(tmp) / f"p{tables}", url, tables)
            dev, fd = await asyncio.to_thread(use_dev_cluster, cluster.major)
            await asyncio.to_thread(release, dev, fd, settings.dev_idle_timeout or 900.0)
            os.close(fd)
            servers = [ServerCpu(cluster), ServerCpu(dev)]
            results = []
            for run in range(runs):
                os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / f"cache{run}")  # a cache miss
                results.append(await cold_render(settings, servers))
        finally:
            await asyncio.to_thread(stop_dev_servers)
    if cluster.started_by_us:
        cluster.stop()
    for key in results[0]:
        values = [r[key] for r in results]
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"{key}: median {statistics.median(values):.3f} s ({shown})", file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.tables, args.runs))
