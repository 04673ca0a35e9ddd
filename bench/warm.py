"""Benchmark: `diff` of an N-table project against its database, cold, warm and cached.

The goal of issue 17: with the dev server warm, `diff` of a 100-table project
whose declared side changed (no cached materialization) within 1.5x of the
same with the cache hit. Each round times three whole `schema-studio diff
--db URL --to models --format json` processes against the N-table database
(bench/schema.py), declared as SQLAlchemy models (bench/models.py) holding
the 5 changes, then as a SQL file of the same schema (no import to hide the
dev server's start behind):

- warm: the declared side edited (a comment appended: its hash changes, its
  schema does not, and Python compiles the models again, as after a user's
  edit), no cached materialization, the dev server left running by the
  previous command (`STUDIO_DEV_IDLE_TIMEOUT=900`);
- cached: the same files again: the materialization the warm run cached
  answers, and no dev server is used;
- cold: the declared side edited again, no cache, no dev server running: the
  process starts it and stops it (`STUDIO_DEV_IDLE_TIMEOUT=0`), as every
  command did before the server stayed warm.

The tool's modules are byte-compiled first and every process may write
bytecode (a sandbox's PYTHONDONTWRITEBYTECODE is dropped), as on a user's
machine. The rounds interleave the three, so a change of the machine's load
falls on all of them; the first round is not timed. Figures: the medians of the
rounds' wall seconds and CPU seconds (user + system of the process and the
children it waited for: the server's own work is in neither), the median of
the rounds' warm / cached ratios, and the 1-minute load average at each round.
Everything started here is stopped at the end (`dev stop`).

    python -m bench.warm [--tables 100] [--runs 9] [--major 18] [--out bench/results/warm.md]

`python -m bench` runs it too, at 100 tables, into bench/results/warm.md.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.changes import five
from bench.introspect import ensure_database, inspect_command
from bench.measure import load_now, log, run_output, wall_and_cpu, with_bytecode
from bench.models import sqlalchemy_module
from bench.schema import sql
from studio.sources.devdb.binaries import find_binaries
from studio.sources.devdb.cluster import Cluster, discard
from studio.sources.devdb.lease import release, use_dev_cluster
from studio.sources.devdb.placement import clusters_root, tmpfs_parent
from studio.sources.devdb.servers import dev_servers, stop_dev_servers

HERE = Path(__file__).resolve().parent
GOAL = 1.5  # warm / cached, at most
WARM_TIMEOUT = 900.0  # seconds: the default dev_idle_timeout
DIFF_OK = (0, 2)  # 2: differences found
MODES = ("cold", "warm", "cached")


@dataclass
class Round:
    """One round: the load average when it started, (wall, cpu) seconds per mode."""

    load: float
    times: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """warm / cached, wall time."""
        return self.times["warm"][0] / self.times["cached"][0]


@dataclass
class Result:
    """Every timed round at N tables of one declared kind, and what they ran on."""

    n: int
    kind: str  # "models" or "sql"
    version: str
    rounds: list[Round]
    started_at: str
    commit: str
    parts: dict[str, float] = field(default_factory=dict)  # of a warm miss (models only)

    def median(self, mode: str, which: int) -> float:
        """The median wall (0) or CPU (1) seconds of `mode`."""
        return statistics.median(r.times[mode][which] for r in self.rounds)


def measure(cluster: Cluster, work: Path, n: int, runs: int, kind: str = "models") -> Result:
    """Time `runs` rounds (after an untimed one) of the three runs against `cluster`'s database.

    `kind`: the declared side as SQLAlchemy models, or as a SQL file. The dev
    server is the one `STUDIO_DEVDB_DIR` leads to; it is stopped at the end.
    """
    started_at = time.strftime("%Y-%m-%d %H:%M %Z")
    url = asyncio.run(ensure_database(cluster, n))
    project = work / f"warm-{kind}-n{n}"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.schema-studio]\n")
    if kind == "models":
        (project / f"w{n}").mkdir()
        declared, to = project / f"w{n}" / "__init__.py", f"w{n}:metadata"
        declared.write_text(sqlalchemy_module(n, five(n)))
        compileall.compile_dir(str(declared.parent), quiet=1)
    else:
        declared, to = project / "schema.sql", "schema.sql"
        declared.write_text(sql(n))
    argv = [*inspect_command(), "diff", "--db", url, "--to", to, "--format", "json"]
    rounds: list[Round] = []
    edits = 0
    base = with_bytecode(os.environ)

    def edited() -> None:
        nonlocal edits
        edits += 1
        with declared.open("a") as f:
            f.write(f"\n-- edit {edits}\n" if kind == "sql" else f"# edit {edits}\n")

    def run(cache: Path, idle: float, fresh: bool) -> tuple[float, float]:
        if fresh:
            shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(exist_ok=True)
        env = {**base, "XDG_CACHE_HOME": str(cache), "STUDIO_DEV_IDLE_TIMEOUT": f"{idle:g}"}
        return wall_and_cpu(argv, env=env, cwd=project, ok=DIFF_OK)

    parts: dict[str, float] = {}
    try:
        for i in range(runs + 1):
            this = Round(load_now())
            _warm_up()  # as the previous command leaves it: running, idle, its reaper asleep
            edited()
            this.times["warm"] = run(work / "cache-warm", WARM_TIMEOUT, fresh=True)
            this.times["cached"] = run(work / "cache-warm", WARM_TIMEOUT, fresh=False)
            stop_dev_servers()
            edited()
            this.times["cold"] = run(work / "cache-cold", 0.0, fresh=True)
            if i:
                rounds.append(this)
                log(
                    f"  round {i}: "
                    + ", ".join(f"{m} {this.times[m][0]:.3f} s" for m in MODES)
                    + f", warm/cached {this.ratio:.2f}x (load {this.load:.2f})"
                )
        if kind == "models":
            _warm_up()
            parts = breakdown(project, to, runs)
    finally:
        stop_dev_servers()
    version = find_binaries(cluster.major).version
    return Result(n, kind, version, rounds, started_at, _commit(), parts)


def breakdown(project: Path, spec: str, runs: int) -> dict[str, float]:
    """Medians of the parts of a warm miss's materialization, each in a fresh process.

    `bench.materialize_once parts` with the dev server warm: import (sqlalchemy, its own
    import, among it), compile, createdb, ddl, introspect.
    """
    env = {**with_bytecode(os.environ), "STUDIO_DEV_IDLE_TIMEOUT": f"{WARM_TIMEOUT:g}"}
    argv = [sys.executable, "-m", "bench.materialize_once", str(project), spec, "parts"]
    parts = [json.loads(run_output(argv, env=env, cwd=HERE.parent)) for _ in range(runs)]
    return {key: statistics.median(p[key] for p in parts) for key in parts[0]}


def _warm_up() -> None:
    """The dev server running and idle, as a command with the default timeout leaves it."""
    _, servers = dev_servers()
    if not any(s.running for s in servers):
        cluster, fd = use_dev_cluster()
        release(cluster, fd, WARM_TIMEOUT)
        os.close(fd)


def _commit() -> str:
    proc = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=HERE, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return proc.stdout.strip() or "?"


def report(results: list[Result], command: str) -> str:
    """The markdown of bench/results/warm.md."""
    first = results[0]
    loads = [r.load for result in results for r in result.rounds]
    lines = [
        "# Warm dev server: `diff` cold, warm and cached",
        "",
        f"`{command}` on {first.started_at}, commit {first.commit}: `schema-studio diff --db URL"
        " --to DECLARED --format json` as whole processes against a database of the synthetic"
        f" schema, PostgreSQL {first.version}, the dev server on tmpfs. Each round runs warm,"
        " cached and cold one after the other, after an untimed round (see bench/warm.py);"
        " medians of the rounds. 2 cores shared with other work: the 1-minute load average was"
        f" {statistics.median(loads):.2f} (median; {min(loads):.2f}-{max(loads):.2f}).",
        "",
    ]
    for result in results:
        lines += _table(result)
    return "\n".join(lines)


_DECLARED = {
    "models": "SQLAlchemy models (bench/models.py, the 5 changes)",
    "sql": "a SQL file (bench/schema.py's statements: no import to hide the server's start)",
}


def _table(result: Result) -> list[str]:
    ratios = [r.ratio for r in result.rounds]
    cpu_ratio = result.median("warm", 1) / result.median("cached", 1)
    ratio = statistics.median(ratios)
    loads = [r.load for r in result.rounds]
    lines = [
        f"## {result.n:,} tables declared as {_DECLARED[result.kind]}",
        "",
        f"{len(result.rounds)} rounds, load average {statistics.median(loads):.2f} (median).",
        "",
        "| run | wall | CPU (user + system) |",
        "|---|---:|---:|",
        "| cold: declared side edited, no cache, no dev server running (the process starts"
        f" and stops it) | {result.median('cold', 0):.3f} s | {result.median('cold', 1):.3f} s |",
        "| warm: declared side edited, no cache, the dev server left running by the previous"
        f" command | {result.median('warm', 0):.3f} s | {result.median('warm', 1):.3f} s |",
        "| cached: the same files again, the materialization cached (no dev server used)"
        f" | {result.median('cached', 0):.3f} s | {result.median('cached', 1):.3f} s |",
        "",
        f"warm / cached: **{ratio:.2f}x** wall (median of the rounds' ratios), {cpu_ratio:.2f}x"
        f" CPU (goal for the models: at most {GOAL}x). cold / warm:"
        f" {result.median('cold', 0) / result.median('warm', 0):.2f}x wall.",
        "",
        "| round | load | cold | warm | cached | warm / cached |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for i, r in enumerate(result.rounds, 1):
        cells = " | ".join(f"{r.times[m][0]:.3f} s" for m in MODES)
        lines.append(f"| {i} | {r.load:.2f} | {cells} | {r.ratio:.2f}x |")
    if p := result.parts:
        lines += [
            "",
            "What a warm miss does that the cached run does not, part by part (each part timed"
            " alone in a fresh process, `bench.materialize_once parts` with the dev server warm;"
            f" medians of {len(result.rounds)}): importing SQLAlchemy {p['sqlalchemy']:.3f} s"
            f" and the rest of the models module (declaring the classes)"
            f" {p['import'] - p['sqlalchemy']:.3f} s, compiling the DDL {p['compile']:.3f} s,"
            f" taking the warm server and creating the throwaway database {p['createdb']:.3f} s,"
            f" running the DDL {p['ddl']:.3f} s, reading it back {p['introspect']:.3f} s.",
        ]
    return [*lines, ""]


def main() -> None:
    """Run the benchmark in a scratch folder of its own; write and print its table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--tables", type=int, default=100)
    p.add_argument("--runs", type=int, default=9, help="timed rounds (medians)")
    p.add_argument("--major", type=int, default=None)
    p.add_argument("--out", type=Path, default=HERE / "results" / "warm.md")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-warm-", dir=tmpfs_parent()))
    work.chmod(0o711)  # as root, the servers run as another user and must reach their folders
    os.environ["STUDIO_DEVDB_DIR"] = str(work)  # the dev server and the target, both ours
    binaries = find_binaries(args.major)
    name = f"bench-warm-pg{binaries.major}"
    try:
        target = Cluster.ensure(name, binaries, root=clusters_root())
        results = [measure(target, work, args.tables, args.runs, kind) for kind in _DECLARED]
    finally:
        discard(name, clusters_root())
        shutil.rmtree(work, ignore_errors=True)
    command = f"python -m bench.warm --tables {args.tables} --runs {args.runs}"
    text = report(results, command)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
