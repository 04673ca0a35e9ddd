"""Benchmark: `schema-studio inspect --format json` against `pg_dump --schema-only`.

For each size N, the synthetic N-table schema of
shared/reference/anchor-figures.md (bench/schema.py) is created in a database
of a local cluster (studio.sources.devdb, on the embedded PostgreSQL by default), then
both whole processes run against it, output to /dev/null, median of `--runs`
after one warm-up run; the table also shows `introspect()` and
`Schema.to_json()` timed inside this process, on a fresh connection each time
as the command line has.

    python -m bench.introspect [--sizes 100,1000,3000] [--runs 3] [--major 15]

The databases are kept in the bench cluster and reused by later runs (a
comment on each records the schema it holds); the cluster is stopped at the end
when this process started it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

from bench.measure import with_bytecode
from bench.schema import statements
from studio.catalog.introspect import introspect
from studio.model import quote_ident, quote_literal
from studio.sources.devdb.binaries import find_binaries
from studio.sources.devdb.cluster import Cluster

if TYPE_CHECKING:
    from collections.abc import Sequence

# bumped when bench/schema.py changes, so stale databases are rebuilt
SCHEMA_VERSION = 1
BATCH = 400  # statements per transaction: a few hundred tables keep the lock table small


def database_name(n: int) -> str:
    """The bench database holding the N-table schema."""
    return f"bench_n{n}"


def _marker(n: int) -> str:
    return f"schema-studio bench schema v{SCHEMA_VERSION}, {n} tables"


async def ensure_database(cluster: Cluster, n: int) -> str:
    """The URL of a database holding the N-table schema, created unless a previous run left it."""
    name = database_name(n)
    admin = await cluster.connect()
    try:
        row = await admin.fetchrow(
            "SELECT pg_catalog.shobj_description(oid, 'pg_database') AS note"
            " FROM pg_catalog.pg_database WHERE datname = $1",
            name,
        )
    finally:
        await admin.close()
    if row is not None and row["note"] == _marker(n):
        return cluster.url(name)
    if row is not None:
        await cluster.drop_database(name)  # stale or interrupted: the marker is written last
    url = await cluster.create_database(name)
    conn = await asyncpg.connect(url)
    try:
        todo = list(statements(n))
        started = time.perf_counter()
        for i in range(0, len(todo), BATCH):
            await conn.execute(";\n".join(todo[i : i + BATCH]))
        await conn.execute("ANALYZE")  # catalog statistics, as a lived-in database has them
        await conn.execute(
            f"COMMENT ON DATABASE {quote_ident(name)} IS {quote_literal(_marker(n))}"
        )
        print(f"  created {n} tables in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    finally:
        await conn.close()
    return url


class ServerCpu:
    """CPU time used by the cluster's exited backends (user + sys), in seconds.

    The postmaster reaps every backend, so the CPU a connection's backend
    used shows in the postmaster's children times (/proc/<pid>/stat cutime and
    cstime) once it has disconnected. Beside the client's own CPU time it
    gives the cost of a run on a busy machine, where wall time mostly measures
    the other processes.
    """

    def __init__(self, cluster: Cluster) -> None:
        self.pid = int((cluster.datadir / "postmaster.pid").read_text().split()[0])
        self.tick = os.sysconf("SC_CLK_TCK")

    def read(self) -> float:
        """The children times now."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": field 3 on
        return (int(fields[13]) + int(fields[14])) / self.tick  # fields 16 and 17

    def settled(self, database: str) -> float:
        """The children times once no backend of `database` is left to be reaped."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self._backends(database):
            time.sleep(0.005)
        # the times of a reaped child can show a moment after it left /proc
        last = self.read()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            if (now := self.read()) == last:
                break
            last = now
        return last

    def _backends(self, database: str) -> bool:
        """Whether a backend of `database` (ps shows its name) or an unreaped one is there."""
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                stat = (proc / "stat").read_text()
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue  # gone meanwhile
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            # an exited backend not yet reaped is a zombie, its command line gone
            if int(ppid) == self.pid and (state == "Z" or f" {database} ".encode() in cmdline):
                return True
        return False


def time_process(
    argv: Sequence[str],
    runs: int,
    server: ServerCpu,
    database: str,
    env: dict[str, str] | None = None,
) -> tuple[float, float]:
    """Median wall time and median CPU time (client + server) of `argv`, stdout to /dev/null.

    A warm-up run comes first and is not counted.
    """
    walls, cpus = [], []
    for i in range(runs + 1):
        before = server.settled(database)
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, list(argv))
        if i:
            walls.append(wall)
            cpus.append(usage.ru_utime + usage.ru_stime + server.settled(database) - before)
    return statistics.median(walls), statistics.median(cpus)


async def time_in_process(url: str, runs: int) -> tuple[float, float, int]:
    """Median of introspect() and of to_json(), each on a fresh connection; tables seen."""
    intro, dump, tables = [], [], 0
    for i in range(runs + 1):
        conn = await asyncpg.connect(url)
        try:
            started = time.perf_counter()
            schema = await introspect(conn)
            took = time.perf_counter() - started
        finally:
            await conn.close()
        started = time.perf_counter()
        schema.to_json()
        if i:
            intro.append(took)
            dump.append(time.perf_counter() - started)
        tables = len(schema.tables)
    return statistics.median(intro), statistics.median(dump), tables


def inspect_command() -> list[str]:
    """The installed `schema-studio` script beside this interpreter, else `python -m studio`."""
    script = Path(sys.executable).with_name("schema-studio")
    if script.is_file():
        return [str(script)]
    if found := shutil.which("schema-studio"):
        return [found]
    return [sys.executable, "-m", "studio"]


async def run(sizes: Sequence[int], runs: int, major: int | None) -> None:
    binaries = find_binaries(major)
    cluster = Cluster.ensure(f"bench-pg{binaries.major}", binaries)
    with cluster:  # stopped at the end if this process started it
        pg_dump = str(binaries.bindir / "pg_dump")
        server = ServerCpu(cluster)
        print(
            f"PostgreSQL {binaries.version} ({binaries.source}), median of {runs} after a warm-up;"
            " both processes write to /dev/null",
            file=sys.stderr,
        )
        header = (
            "| tables | `inspect --format json` (process) | `pg_dump --schema-only` (process)"
            " | ratio | CPU client+server: inspect / pg_dump | CPU ratio"
            " | introspect() in-process | to_json() in-process |"
        )
        rows: list[str] = []
        for n in sizes:
            url = await ensure_database(cluster, n)
            inspect = [*inspect_command(), "inspect", "--db", url, "--format", "json"]
            ours, ours_cpu = time_process(
                inspect, runs, server, database_name(n), with_bytecode(os.environ)
            )
            dump = [pg_dump, "--schema-only", "--dbname", url]
            theirs, theirs_cpu = time_process(dump, runs, server, database_name(n))
            intro, to_json, seen = await time_in_process(url, runs)
            assert seen == n, f"introspect saw {seen} tables, expected {n}"
            rows.append(
                f"| {n:>6} | {ours:.3f} s | {theirs:.3f} s | {ours / theirs:.2f}x"
                f" | {ours_cpu:.2f} s / {theirs_cpu:.2f} s | {ours_cpu / theirs_cpu:.2f}x"
                f" | {intro:.3f} s | {to_json:.3f} s |"
            )
            print(rows[-1], file=sys.stderr)
        print(header)
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        print("\n".join(rows))


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100,1000,3000", help="comma-separated table counts")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per measure (median)")
    parser.add_argument("--major", type=int, help="PostgreSQL major version (default: embedded)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    asyncio.run(run(sizes, args.runs, args.major))


if __name__ == "__main__":
    main()
