"""Benchmark: what the lock monitor itself costs the server it watches.

A dedicated local cluster (studio.sources.devdb; max_connections 200, twice
PostgreSQL's default) gets `--idle` idle connections, then `--waiting`
sessions waiting for locks (row waits on a holder's transaction, an ALTER
TABLE behind the holder, SELECTs queued behind the ALTER). `monitor.watch()`
runs for `--seconds` at `--interval` in each phase (idle only, then idle plus
waits) and the table shows, for the monitor's query:

- queries per second it issued and their mean execution time on the server
  (pg_stat_statements, loaded into the bench cluster for this);
- the mean round trip seen by the client, snapshot building included
  (`monitor.sample()` back to back on the monitor's own kind of connection);
- the CPU time its backend used per second of watching (/proc), when readable.

    python -m bench.monitor [--major 18] [--idle 100]
    [--waiting 10] [--seconds 10] [--interval 0.25]

The cluster is kept for later runs and stopped at the end when this process
started it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

from studio.errors import DevDbError
from studio.run import monitor
from studio.sources.devdb.binaries import find_binaries
from studio.sources.devdb.cluster import Cluster

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

DATABASE = "bench_monitor"


@dataclass(frozen=True, slots=True)
class Figures:
    """The monitor's cost over one phase."""

    phase: str
    waits_seen: int
    polls: int
    seconds: float
    server_calls: int
    server_mean_ms: float
    client_mean_ms: float
    backend_cpu_ms_per_s: float | None

    @property
    def qps(self) -> float:
        """Monitor queries per second, as the server counted them."""
        return self.server_calls / self.seconds


def cluster_for(major: int | None) -> Cluster:
    """The bench cluster, with pg_stat_statements loaded (restarted once to load it)."""
    binaries = find_binaries(major)
    name = f"bench-monitor-pg{binaries.major}"
    cluster = Cluster.ensure(name, binaries)
    if not asyncio.run(_has_statements(cluster)):
        asyncio.run(
            _admin(cluster, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        )
        cluster.stop(force=True)
        cluster = Cluster.ensure(name, binaries)
    return cluster


async def _has_statements(cluster: Cluster) -> bool:
    conn = await cluster.connect()
    try:
        return "pg_stat_statements" in await conn.fetchval("SHOW shared_preload_libraries")
    finally:
        await conn.close()


async def _admin(cluster: Cluster, sql: str, database: str = "postgres") -> None:
    conn = await cluster.connect(database)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def prepare(cluster: Cluster) -> str:
    """A fresh bench database with its table and pg_stat_statements; its URL."""
    await cluster.drop_database(DATABASE)
    url = await cluster.create_database(DATABASE)
    await _admin(
        cluster,
        "CREATE EXTENSION pg_stat_statements;"
        "CREATE TABLE orders (id int PRIMARY KEY, qty int);"
        "INSERT INTO orders SELECT g, 1 FROM generate_series(1, 1000) g",
        DATABASE,
    )
    return url


@contextlib.asynccontextmanager
async def idle_sessions(url: str, n: int) -> AsyncIterator[list[asyncpg.Connection]]:
    """`n` connections doing nothing."""
    conns = await asyncio.gather(
        *(asyncpg.connect(url, server_settings={"application_name": f"idle {i}"}) for i in range(n))
    )
    try:
        yield list(conns)
    finally:
        await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)


@contextlib.asynccontextmanager
async def waiting_sessions(url: str, n: int) -> AsyncIterator[int]:
    """`n` sessions waiting for locks behind one holder; yields how many wait."""
    holder = await asyncpg.connect(url, server_settings={"application_name": "holder"})
    await holder.execute(
        "BEGIN; SELECT count(*) FROM orders; UPDATE orders SET qty = 2 WHERE id = 1"
    )
    conns: list[asyncpg.Connection] = [holder]
    tasks: list[asyncio.Task[object]] = []

    async def start(app: str, sql: str) -> None:
        conn = await asyncpg.connect(url, server_settings={"application_name": app})
        conns.append(conn)
        tasks.append(asyncio.create_task(conn.execute(sql)))
        await asyncio.sleep(0.05)  # in this order: row waits first, then the ALTER, then readers

    rows = max(0, min(3, n - 1))
    for i in range(rows):
        await start(f"row writer {i}", "UPDATE orders SET qty = 3 WHERE id = 1")
    if n > rows:
        await start("ddl", "ALTER TABLE orders ADD COLUMN note text")
    for i in range(n - rows - 1):
        await start(f"reader {i}", "SELECT count(*) FROM orders")
    try:
        yield len(tasks)
    finally:
        for conn in conns:
            conn.terminate()
        await asyncio.gather(*tasks, return_exceptions=True)


def _cpu_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


async def measure(url: str, phase: str, seconds: float, interval: float) -> Figures:
    """Watch for `seconds`; the monitor's calls and times, from the server and the client."""
    admin = await asyncpg.connect(url)
    try:
        stream = monitor.watch(url, interval=interval)
        async with contextlib.aclosing(stream):
            first = await anext(stream)  # connected, statement prepared
            pid = await admin.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1"
                " AND datname = current_database()",
                monitor.APPLICATION_NAME,
            )
            await admin.execute("SELECT pg_stat_statements_reset()")
            ticks0 = _cpu_ticks(pid)
            loop = asyncio.get_running_loop()
            started = loop.time()
            polls, seen = 0, len(first.waits)
            while loop.time() - started < seconds:
                snap = await anext(stream)
                polls += 1
                seen = max(seen, len(snap.waits))
            elapsed = loop.time() - started
            ticks1 = _cpu_ticks(pid)
        row = await admin.fetchrow(
            "SELECT sum(calls)::int AS calls, sum(total_exec_time) / nullif(sum(calls), 0) AS"
            " mean_ms FROM pg_stat_statements WHERE query LIKE '%pg_blocking_pids%' AND query NOT"
            " LIKE '%pg_stat_statements%'"
        )
    finally:
        await admin.close()
    client_ms = await _round_trip(url)
    cpu = None
    if ticks0 is not None and ticks1 is not None:
        cpu = (ticks1 - ticks0) * 1000 / os.sysconf("SC_CLK_TCK") / elapsed
    return Figures(
        phase=phase,
        waits_seen=seen,
        polls=polls,
        seconds=elapsed,
        server_calls=row["calls"] or 0,
        server_mean_ms=float(row["mean_ms"] or 0.0),
        client_mean_ms=client_ms,
        backend_cpu_ms_per_s=cpu,
    )


async def _round_trip(url: str, n: int = 200) -> float:
    """Mean milliseconds of one `monitor.sample()`, back to back, after a warm-up."""
    conn = await monitor.open_connection(url)
    try:
        for _ in range(5):
            await monitor.sample(conn)
        t0 = time.perf_counter()
        for _ in range(n):
            await monitor.sample(conn)
        return (time.perf_counter() - t0) * 1000 / n
    finally:
        await conn.close()


async def run(
    cluster: Cluster, idle: int, waiting: int, seconds: float, interval: float
) -> list[Figures]:
    """Both phases on a fresh bench database."""
    url = await prepare(cluster)
    out = []
    async with idle_sessions(url, idle):
        out.append(await measure(url, f"{idle} idle, no waits", seconds, interval))
        async with waiting_sessions(url, waiting) as n:
            out.append(await measure(url, f"{idle} idle + {n} waiting", seconds, interval))
    return out


def table(figures: list[Figures], major: int, interval: float) -> str:
    """The figures as a Markdown table."""
    lines = [
        f"PostgreSQL {major}, interval {interval:g}s",
        "",
        "| phase | waits seen | monitor queries/s | server mean (ms)"
        " | client round trip (ms) | backend CPU (ms/s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for f in figures:
        cpu = "n/a" if f.backend_cpu_ms_per_s is None else f"{f.backend_cpu_ms_per_s:.1f}"
        lines.append(
            f"| {f.phase} | {f.waits_seen} | {f.qps:.2f} | {f.server_mean_ms:.3f}"
            f" | {f.client_mean_ms:.2f} | {cpu} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--major", type=int, default=None, help="server major version (default: embedded)"
    )
    p.add_argument("--idle", type=int, default=100)
    p.add_argument("--waiting", type=int, default=10)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--interval", type=float, default=monitor.DEFAULT_INTERVAL)
    args = p.parse_args(argv)
    cluster = cluster_for(args.major)
    try:
        t0 = time.monotonic()
        figures = asyncio.run(run(cluster, args.idle, args.waiting, args.seconds, args.interval))
        print(table(figures, cluster.major, args.interval))
        print(f"\n({time.monotonic() - t0:.0f}s)", file=sys.stderr)
    finally:
        with contextlib.suppress(DevDbError):
            asyncio.run(cluster.drop_database(DATABASE))
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
