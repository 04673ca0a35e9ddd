"""Benchmark: `inspect --format json` of two commits beside `pg_dump --schema-only`, alternating.

On a shared machine the load moves between runs minutes apart; run one
after the other in each round (the first commit, the second, pg_dump), the
three see the same load. Each commit is exported with `git archive` into a
temporary folder and run as `python -m studio` with that folder first on
PYTHONPATH. Against the N-table database bench/introspect.py keeps in the
bench cluster (made first if missing); one untimed round, then medians of
`--runs` rounds: wall time, the client process's CPU, and the server's CPU
(the backends' times, once reaped: bench.introspect.ServerCpu).

    python -m bench.introspect_ab BEFORE AFTER [--tables 3000] [--runs 9]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.introspect import ServerCpu, database_name, ensure_database
from bench.measure import with_bytecode
from studio.sources.devdb.binaries import find_binaries
from studio.sources.devdb.cluster import Cluster

if TYPE_CHECKING:
    from collections.abc import Sequence

HERE = Path(__file__).resolve().parent


def export(commit: str, into: Path) -> Path:
    """The tree of `commit` written into a new folder under `into`."""
    folder = into / commit
    folder.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(HERE.parent), "archive", commit], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("commits", nargs=2, help="the two commits, before and after")
    parser.add_argument("--tables", type=int, default=3000, help="size of the synthetic schema")
    parser.add_argument("--runs", type=int, default=9, help="timed rounds (median)")
    args = parser.parse_args(argv)
    binaries = find_binaries(None)
    cluster = Cluster.ensure(f"bench-pg{binaries.major}", binaries)
    with cluster, tempfile.TemporaryDirectory() as tmp:
        url = asyncio.run(ensure_database(cluster, args.tables))
        db = database_name(args.tables)
        server = ServerCpu(cluster)
        commands: dict[str, tuple[list[str], dict[str, str] | None]] = {}
        for commit in args.commits:
            env = with_bytecode(os.environ)
            env["PYTHONPATH"] = str(export(commit, Path(tmp)))
            argv_ = [sys.executable, "-m", "studio", "inspect", "--db", url, "--format", "json"]
            commands[commit] = (argv_, env)
        pg_dump = [str(binaries.bindir / "pg_dump"), "--schema-only", "--dbname", url]
        commands["pg_dump"] = (pg_dump, None)
        seen: dict[str, list[tuple[float, float, float]]] = {k: [] for k in commands}
        loads = []
        for i in range(args.runs + 1):
            for name, (cmd, env) in commands.items():
                before = server.settled(db)
                started = time.perf_counter()
                proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env)
                _, status, usage = os.wait4(proc.pid, 0)
                wall = time.perf_counter() - started
                if os.waitstatus_to_exitcode(status) != 0:
                    raise subprocess.CalledProcessError(status, cmd)
                if i:
                    client = usage.ru_utime + usage.ru_stime
                    seen[name].append((wall, client, server.settled(db) - before))
            loads.append(os.getloadavg()[0])
        print(
            f"{args.tables} tables, PostgreSQL {binaries.version}, medians of {args.runs} rounds;"
            f" 1-minute load {statistics.median(loads):.2f} ({min(loads):.2f}-{max(loads):.2f})"
        )
        print()
        print("| run | wall | CPU client | CPU server | CPU total |")
        print("|---|---:|---:|---:|---:|")
        for name, rows in seen.items():
            wall, client, srv = (statistics.median(r[j] for r in rows) for j in range(3))
            label = "`pg_dump --schema-only`" if name == "pg_dump" else f"`inspect` at {name}"
            total = client + srv
            print(f"| {label} | {wall:.3f} s | {client:.3f} s | {srv:.3f} s | {total:.3f} s |")


if __name__ == "__main__":
    main()
