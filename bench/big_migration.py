"""Benchmark: one 45 MB migration through `hash`, `status`, `check --no-live`, `lint`.

Builds a scratch project shaped like the demo's (the demo's migrations and
models, `[tool.schema-studio]` in pyproject.toml) plus one hand-written
migration holding a single `INSERT INTO public.users ... VALUES (...), ...`
of `--rows` rows (400,000 make 45 MB), then times each command as a whole
process with GNU time (wall seconds and peak RSS of the client; PostgreSQL's
own memory is not in it):

- `hash`: rewrite the sum file;
- `status`: against a database where every migration was applied (a cluster
  of its own, `bench-bigmig-pg<major>`, started from studio.sources.devdb), cold
  (empty materialization cache: its drift check replays the migrations on
  the dev server) and cached;
- `check --no-live`: cold and cached likewise;
- `lint`: every migration, no database.

The dev server runs in a folder of its own (STUDIO_DEVDB_DIR) and is held
open by this process for the whole run, so no measured process starts or
stops it. Everything this run started is stopped at the end.

    python -m bench.big_migration [--rows 400000] [--runs 3] [--major 18] [--out FILE]
    python -m bench.big_migration --make DIR    # only write the project
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.measure import Figure, load_now, log, run_output, time_process
from studio.migrations.checksums import write_sum
from studio.sources.devdb.binaries import find_binaries
from studio.sources.devdb.cluster import Cluster
from studio.sources.devdb.lease import release, use_dev_cluster
from studio.sources.devdb.placement import clusters_root

DEMO_MIGRATIONS = Path(__file__).resolve().parent.parent / "studio" / "demo" / "migrations"
VERSION = "20261128060000"
PYPROJECT = """\
# A scratch project made by bench/big_migration.py.
[tool.schema-studio]
schema = "studio.demo.models:metadata"
migrations = "migrations"
"""


def _row(i: int) -> str:
    # about 112 bytes a row: 400,000 rows are 45 MB
    return (
        f"('user{i:07d}@bench.example.com', 'Bench user number {i:07d}, imported from the old"
        f" system', '2026-01-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00')"
    )


def write_big_migration(path: Path, rows: int) -> int:
    """A migration of one multi-row INSERT into public.users; returns its size in bytes."""
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(
            f"-- import the old system's users\n-- version: {VERSION}\n\n"
            "INSERT INTO public.users (email, name, created_at) VALUES\n"
        )
        for start in range(0, rows, 10_000):
            chunk = range(start, min(rows, start + 10_000))
            f.write(",\n".join(_row(i) for i in chunk))
            f.write(",\n" if chunk.stop < rows else ";\n")
    return path.stat().st_size


def make_project(root: Path, rows: int) -> Path:
    """The demo's migrations plus the big one, its pyproject and its sum file."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    mig = root / "migrations"
    shutil.copytree(DEMO_MIGRATIONS, mig, dirs_exist_ok=True)
    size = write_big_migration(mig / f"{VERSION}_import_users.sql", rows)
    write_sum(mig)
    log(f"project in {root}: {rows:,}-row migration of {size / 1e6:.1f} MB")
    return root


@dataclass
class Row:
    """One measured command."""

    command: str
    figure: Figure


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "studio", *args]


def measure(root: Path, url: str, env: dict[str, str], runs: int) -> list[Row]:
    """Time the four commands (and check's cold run) in the project at `root`."""
    cache = Path(env["XDG_CACHE_HOME"])

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    db_env = {**env, "DATABASE_URL": url}

    def timed(env: dict[str, str], *args: str, cold_cache: bool = False) -> Figure:
        return time_process(
            _cli(*args),
            env=env,
            ok=(0, 2),
            runs=runs,
            cwd=root,
            single_after=30.0,
            before=cold if cold_cache else None,
            warmup=not cold_cache,
        )

    return [
        Row("hash", timed(env, "hash")),
        Row("status (cold: no cache)", timed(db_env, "status", cold_cache=True)),
        Row("status (cached)", timed(db_env, "status")),
        Row("check --no-live (cold: no cache)", timed(env, "check", "--no-live", cold_cache=True)),
        Row("check --no-live (cached)", timed(env, "check", "--no-live")),
        Row("lint", timed(env, "lint")),
    ]


def report(rows: int, size: int, results: list[Row], load: float, migrate: float) -> str:
    """A markdown table of the figures."""
    lines = [
        (
            f"{rows:,}-row INSERT, {size / 1e6:.1f} MB migration; median of the timed runs "
            f"(load average at the start {load:.2f}); peak RSS of the client process (GNU time). "
            f"Applying the migrations first (`migrate --yes`, untimed setup) took {migrate:.1f} s."
        ),
        "",
        "| command | wall | peak RSS | runs |",
        "|---|---:|---:|---:|",
    ]
    for r in results:
        f = r.figure
        rss = f"{f.rss_mb:,.0f} MB" if f.rss_mb is not None else "—"
        lines.append(f"| `{r.command}` | {f.text(2)} | {rss} | {f.runs} {f.note} |")
    return "\n".join(lines)


async def _target(cluster: Cluster) -> str:
    await cluster.drop_database("bigmig")
    return await cluster.create_database("bigmig")


def main() -> None:
    """Build the project, start the servers, measure, print the table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=400_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--major", type=int, default=None)
    p.add_argument("--out", type=Path, help="also write the table to this file")
    p.add_argument("--make", type=Path, metavar="DIR", help="only write the project to DIR")
    args = p.parse_args()
    if args.make:
        make_project(args.make, args.rows)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-bigmig-"))
    try:
        print(run(work, args))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, args: argparse.Namespace) -> str:
    """The project and servers in `work`, measured; everything started here is stopped."""
    work.chmod(0o711)  # as root, the servers run as another user and must reach their folders
    devdir = work / "devdb"
    devdir.mkdir(mode=0o711)
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache"), "STUDIO_DEVDB_DIR": str(devdir)}
    env["STUDIO_DEV_IDLE_TIMEOUT"] = "0"  # held up by this process: no reaper needed
    env.pop("DATABASE_URL", None)
    os.environ["STUDIO_DEVDB_DIR"] = str(devdir)  # for our own hold on the dev server
    root = make_project(work / "project", args.rows)
    size = (root / "migrations" / f"{VERSION}_import_users.sql").stat().st_size
    binaries = find_binaries(args.major)
    target = Cluster.ensure(
        f"bench-bigmig-pg{binaries.major}", binaries, root=clusters_root(devdir)
    )
    try:
        dev, fd = use_dev_cluster(binaries.major)
        try:
            url = asyncio.run(_target(target))
            started = time.perf_counter()
            run_output(
                _cli("migrate", "--yes", "--confirm-contract"),
                env={**env, "DATABASE_URL": url},
                cwd=root,
            )
            migrate = time.perf_counter() - started
            log(f"migrations applied to the target in {migrate:.1f} s")
            load = load_now()
            results = measure(root, url, env, args.runs)
        finally:
            release(dev, fd, 0)
            os.close(fd)
    finally:
        target.stop()
    table = report(args.rows, size, results, load, migrate)
    if args.out:
        args.out.write_text(table + "\n")
    return table


if __name__ == "__main__":
    main()
