"""Benchmark: a cold `check` of bench/squash.py's project, unsquashed and squashed, at two commits.

The project of bench/squash.py (300 migrations building the 1,000-table
schema, each file with its down file) is made once, applied to a database of
its own, copied, and the copy squashed and recorded on another database (as
bench/squash.py does, with the AFTER commit's code). Then each round runs a
cold `check` (the materialization cache emptied first) four times in turn:
the unsquashed project at BEFORE, the squashed one at BEFORE, the same two at
AFTER, so a change of the machine's load falls on all four. Each commit is
exported with `git archive` and run as `python -m studio` with that folder
first on PYTHONPATH (bench/introspect_ab.py does the same).

Per run: wall seconds, the client process's CPU (user + sys, from wait4) and
the servers' CPU: the dev server's (both replays, read back) and the
target's (its schema and history read), each the postmaster's reaped
children's times (bench.introspect.ServerCpu) plus what its living children
(checkpointer, writers, autovacuum) used meanwhile. The medians of `--runs`
rounds, after one untimed round, and the 1-minute load at each round.

The dev server runs in a folder of its own, held up by this process; with
`--devdb tmpfs` (the default) on /dev/shm when the tool itself would put it
there (`tmpfs_parent`), as every user's is on this machine; with `--devdb
disk`, in the system temp folder, as bench/squash.py puts it.

    python -m bench.squash_ab BEFORE AFTER [--runs 5] [--tables 1000] [--migrations 300]
                              [--devdb tmpfs|disk] [--churn]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.introspect_ab import export
from bench.measure import with_bytecode
from bench.squash import _targets, make_project
from studio.sources.devdb.binaries import find_binaries
from studio.sources.devdb.cluster import Cluster
from studio.sources.devdb.lease import release, use_dev_cluster
from studio.sources.devdb.placement import clusters_root, tmpfs_parent


@dataclass
class Run:
    """One timed `check`: wall and CPU seconds."""

    wall: float
    client: float
    dev: float
    target: float

    @property
    def total(self) -> float:
        """Client and both servers."""
        return self.client + self.dev + self.target


class TreeCpu:
    """A postmaster's CPU and its children's: the reaped ones' times, and the living ones'.

    bench.introspect.ServerCpu reads the reaped ones' only; the checkpointer, the
    writers and autovacuum work for a materialization too.
    """

    def __init__(self, datadir: Path) -> None:
        self.pid = int((datadir / "postmaster.pid").read_text().split()[0])
        self.tick = os.sysconf("SC_CLK_TCK")

    def read(self) -> float:
        """Seconds so far: the postmaster's own, its reaped children's, its living children's."""
        total = 0
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            if proc.name == str(self.pid):
                total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
            elif int(fields[1]) == self.pid:
                total += int(fields[11]) + int(fields[12])
        return total / self.tick

    def settled(self) -> float:
        """`read` once it holds still for 0.2 s: the last backends reaped (10 s at most)."""
        deadline = time.monotonic() + 10
        last = self.read()
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if (now := self.read()) == last:
                break
            last = now
        return last


def check_once(argv: list[str], env: dict[str, str], cwd: Path, servers: list[TreeCpu]) -> Run:
    """One cold `check` (the cache emptied first), timed."""
    shutil.rmtree(env["XDG_CACHE_HOME"], ignore_errors=True)
    before = [s.settled() for s in servers]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise subprocess.CalledProcessError(status, argv)
    dev, target = (s.settled() - b for s, b in zip(servers, before, strict=True))
    return Run(wall, usage.ru_utime + usage.ru_stime, dev, target)


def _migrate(env: dict[str, str], url: str, cwd: Path, *args: str) -> None:
    run_env = {**env, "DATABASE_URL": url}
    argv = [sys.executable, "-m", "studio", *args]
    subprocess.run(argv, env=run_env, cwd=cwd, check=True, capture_output=True)


def main(argv: list[str] | None = None) -> None:
    """Build the projects, measure the rounds, print the table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("commits", nargs=2, help="the two commits, before and after")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--tables", type=int, default=1000)
    p.add_argument("--migrations", type=int, default=300)
    p.add_argument("--devdb", choices=["tmpfs", "disk"], default="tmpfs")
    p.add_argument("--churn", action="store_true", help="bench/squash.py's project with churn")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-squash-ab-"))
    work.chmod(0o711)  # as root, the servers run as another user and must reach their folders
    parent = tmpfs_parent() if args.devdb == "tmpfs" else None
    devdir = Path(tempfile.mkdtemp(prefix="bench-squash-ab-devdb-", dir=parent))
    devdir.chmod(0o711)
    try:
        run(work, devdir, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(devdir, ignore_errors=True)


def run(work: Path, devdir: Path, args: argparse.Namespace) -> None:
    """The projects and servers in `work` and `devdir`, measured; all started here stopped."""
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache"), "STUDIO_DEVDB_DIR": str(devdir)}
    env["STUDIO_DEV_IDLE_TIMEOUT"] = "0"  # held up by this process: no reaper needed
    env.pop("DATABASE_URL", None)
    os.environ["STUDIO_DEVDB_DIR"] = str(devdir)  # for our own hold on the dev server
    root, last = make_project(work / "squashed", args.tables, args.migrations, churn=args.churn)
    unsquashed = work / "unsquashed"
    shutil.copytree(root, unsquashed)
    binaries = find_binaries(None)
    target = Cluster.ensure(
        f"bench-squash-pg{binaries.major}", binaries, root=clusters_root(devdir)
    )
    try:
        dev, fd = use_dev_cluster(binaries.major)
        try:
            squashed_url, kept_url, _ = asyncio.run(_targets(target))
            _migrate(env, kept_url, unsquashed, "migrate", "--yes")
            _migrate(env, squashed_url, root, "migrate", "--yes")
            _migrate(env, squashed_url, root, "squash", "--to", last)
            _migrate(env, squashed_url, root, "migrate", "--yes")
            servers = [TreeCpu(dev.datadir), TreeCpu(target.datadir)]
            measure(work, env, servers, args, {"unsquashed": (unsquashed, kept_url),
                                              "squashed": (root, squashed_url)})  # fmt: skip
        finally:
            release(dev, fd, 0)
            os.close(fd)
    finally:
        target.stop()


def measure(
    work: Path,
    env: dict[str, str],
    servers: list[TreeCpu],
    args: argparse.Namespace,
    projects: dict[str, tuple[Path, str]],
) -> None:
    """The rounds of four cold checks, and the table of their medians."""
    order: list[tuple[str, str, dict[str, str], Path]] = []
    for commit in args.commits:
        commit_env = with_bytecode({**env, "PYTHONPATH": str(export(commit, work))})
        for name, (folder, url) in projects.items():
            order.append((commit, name, {**commit_env, "DATABASE_URL": url}, folder))
    runs: dict[tuple[str, str], list[Run]] = {(c, n): [] for c, n, _, _ in order}
    loads = []
    argv = [sys.executable, "-m", "studio", "check"]
    for i in range(args.runs + 1):
        loads.append(os.getloadavg()[0])
        for commit, name, e, folder in order:
            got = check_once(argv, e, folder, servers)
            if i:  # the first round is not timed: bytecode written, files in the page cache
                runs[(commit, name)].append(got)
    churn = ", with churn (bench/squash.py --churn)" if args.churn else ""
    print(
        f"cold `check`, {args.migrations} migrations on {args.tables:,} tables{churn},"
        f" dev server on {args.devdb}; medians of {args.runs} rounds, each round the four in turn;"
        f" 1-minute load at the rounds' starts {statistics.median(loads):.2f}"
        f" ({min(loads):.2f}-{max(loads):.2f})"
    )
    print()
    print("| commit | project | wall | CPU client | CPU dev server | CPU target | CPU total |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for (commit, name), rows in runs.items():
        med = {f: statistics.median(getattr(r, f) for r in rows) for f in
               ("wall", "client", "dev", "target", "total")}  # fmt: skip
        walls = ", ".join(f"{r.wall:.1f}" for r in rows)
        print(
            f"| {commit} | {name} | {med['wall']:.2f} s ({walls}) | {med['client']:.2f} s"
            f" | {med['dev']:.2f} s | {med['target']:.2f} s | {med['total']:.2f} s |"
        )


if __name__ == "__main__":
    main()
