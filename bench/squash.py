"""Benchmark: `check` of a project of 300 migrations on 1,000 tables, before and after `squash`.

Builds a scratch project whose declared schema is the synthetic 1,000-table
schema (bench/schema.py, as a SQL file) and whose migrations build it in 300
files (its 3,020 statements dealt out in order, 10 or 11 per file, each file
with its down file), then times each command as a whole process (wall
seconds and peak RSS of the client, GNU time):

- `migrate --yes` of the 300 migrations on a fresh database (once);
- `squash --to <the 300th>` with that database listed (once);
- `migrate --yes` on that database, which records the baseline in place of
  the 300 after checking the live schema against the replay (once);
- `migrate --yes` of the baseline on another fresh database (once);
- `check` against the database, cold (empty materialization cache: both
  replays, the migrations' and the declared schema's, run on the dev
  server), of the project with the baseline and of a copy kept unsquashed
  (against a database of its own that applied the 300), taking turns.

The dev server runs in a folder of its own (STUDIO_DEVDB_DIR) and is held
open by this process for the whole run, so no measured process starts or
stops it. Everything this run started is stopped at the end.

    python -m bench.squash [--tables 1000] [--migrations 300] [--runs 3] [--churn] [--major 18]
                           [--out FILE]

With `--churn`, the same again on a project whose first 150 migrations
build the schema and whose other 150 each add a column and its index to a
few tables and drop them from those the migration before added them to: the
replay before the squash does that work, the baseline does not.

`python -m bench --only squash` runs it into bench/results/squash.md and its
section of bench/RESULTS.md. `python -m bench.squash_ab BEFORE AFTER` times
the cold `check`s of the same project at two commits, taking turns, with the
CPU of the client and of both servers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.measure import Figure, load_now, log, time_process
from bench.report import SQUASH_MISSING, SQUASH_TITLE
from bench.schema import sql, statements, table_name
from studio.migrations import files as migrations
from studio.migrations.checksums import write_sum
from studio.sources.devdb.binaries import find_binaries
from studio.sources.devdb.cluster import Cluster
from studio.sources.devdb.lease import release, use_dev_cluster
from studio.sources.devdb.placement import clusters_root

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "squash.md"
TITLE, MISSING = SQUASH_TITLE, SQUASH_MISSING
PYPROJECT = """\
# A scratch project made by bench/squash.py.
[tool.schema-studio]
schema = "schema.sql"
migrations = "migrations"
"""
FIRST = datetime(2026, 1, 1, tzinfo=UTC)


def _drop(statement: str) -> str:
    """The down of one of bench/schema.py's CREATE statements."""
    words = statement.split()
    kind, name = words[1], words[2]
    if kind == "INDEX":
        return f"DROP INDEX public.{name}"
    return f"DROP {kind} {name}"


def _churn(j: int, count: int, tables: int) -> tuple[str, str]:
    """Churn migration `j` of `count`: a column and its index added to a few tables, and
    dropped from the few the migration before added them to (the last drops its own too)."""
    per = max(tables // count, 1)

    def group(k: int) -> list[str]:
        return [table_name(i) for i in range(k * per + 1, min((k + 1) * per, tables) + 1)]

    def add(t: str) -> str:
        return (
            f"ALTER TABLE public.{t} ADD COLUMN legacy text NOT NULL DEFAULT '';\n"
            f"CREATE INDEX {t}_legacy_idx ON public.{t} (legacy);\n"
        )

    def drop(t: str) -> str:
        return f"ALTER TABLE public.{t} DROP COLUMN legacy;\n"

    dropped = group(j - 1) if j else []
    last = group(j) if j == count - 1 else []
    up = "".join(map(drop, dropped)) + "".join(map(add, group(j))) + "".join(map(drop, last))
    down = "".join(map(add, last)) + "".join(map(drop, group(j))) + "".join(map(add, dropped))
    return up, down


def make_project(root: Path, tables: int, count: int, *, churn: bool = False) -> tuple[Path, str]:
    """The project at `root`: pyproject, schema.sql, `count` migrations; the last version.

    With `churn`, half of them build the schema and the other half add and drop a column
    and its index on a few tables each, ending where they started.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "schema.sql").write_text(sql(tables))
    mdir = root / "migrations"
    mdir.mkdir()
    stmts = list(statements(tables))
    building = count // 2 if churn else count
    version = ""
    for i in range(count):
        version = migrations.version_of(FIRST + timedelta(minutes=i))
        name = f"step_{i + 1:03d}"
        if i < building:
            chunk = stmts[len(stmts) * i // building : len(stmts) * (i + 1) // building]
            up = "".join(f"{s};\n" for s in chunk)
            down = "".join(f"{_drop(s)};\n" for s in reversed(chunk))
        else:
            up, down = _churn(i - building, count - building, tables)
        (mdir / migrations.file_name(version, name)).write_text(f"-- {name}\n\n{up}")
        (mdir / migrations.file_name(version, name, down=True)).write_text(f"-- down\n\n{down}")
    write_sum(mdir)
    log(f"project in {root}: {count} migrations, {tables:,} tables, churn: {churn}")
    return root, version


def folder_size(mdir: Path) -> tuple[int, int]:
    """Files and bytes of the migrations folder."""
    files = [p for p in mdir.iterdir() if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


@dataclass
class Row:
    """One measured command."""

    command: str
    figure: Figure


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "studio", *args]


def _once(argv: list[str], env: dict[str, str], root: Path) -> Figure:
    return time_process(argv, env=env, runs=1, cwd=root, warmup=False, ok=(0,))


def measure(
    root: Path, last: str, urls: tuple[str, str, str], env: dict[str, str], runs: int
) -> tuple[list[Row], list[str]]:
    """The commands before and after the squash; the rows and the folder before and after.

    The `check`s before and after take turns (a copy of the project kept
    unsquashed, against a database of its own), so a change of the machine's
    load falls on both.
    """
    cache = Path(env["XDG_CACHE_HOME"])
    target, kept, fresh = urls
    db_env = {**env, "DATABASE_URL": target}
    kept_env = {**env, "DATABASE_URL": kept}
    mdir = root / "migrations"
    unsquashed = root.with_name(root.name + "-unsquashed")
    shutil.copytree(root, unsquashed)

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    before = folder_size(mdir)
    migrate = _cli("migrate", "--yes")
    many = f"{len(migrations.taken_versions(mdir))} migrations"
    rows = [Row(f"migrate --yes (fresh database, {many})", _once(migrate, db_env, root))]
    _once(migrate, kept_env, unsquashed)  # the database the unsquashed copy checks
    rows.append(Row(f"squash --to {last}", _once(_cli("squash", "--to", last), db_env, root)))
    after = folder_size(mdir)
    rows.append(Row("migrate --yes (records the baseline)", _once(migrate, db_env, root)))
    rows.append(
        Row(
            "migrate --yes (fresh database, the baseline)",
            _once(migrate, {**env, "DATABASE_URL": fresh}, root),
        )
    )
    walls: dict[str, list[Figure]] = {many: [], "the baseline": []}
    for _ in range(runs):
        for label, where, e in (
            (many, unsquashed, kept_env),
            ("the baseline", root, db_env),
        ):
            cold()
            walls[label].append(
                time_process(_cli("check"), env=e, runs=1, cwd=where, warmup=False, ok=(0,))
            )
    for label, figures in walls.items():
        rows.append(Row(f"check (cold), {label}", _median(figures)))
    sizes = [
        f"the migrations folder: {before[0]} files, {before[1] / 1e6:.2f} MB before;"
        f" {after[0]} files, {after[1] / 1e6:.2f} MB after"
    ]
    return rows, sizes


def _median(figures: list[Figure]) -> Figure:
    """One figure of single runs: the median wall, the highest peak RSS, the first load."""
    walls = [f.seconds for f in figures if f.seconds is not None]
    peaks = [f.rss_mb for f in figures if f.rss_mb is not None]
    return Figure(
        statistics.median(walls),
        figures[0].load,
        len(walls),
        max(peaks) if peaks else None,
        walls=walls,
    )


def report(
    tables: int, count: int, rows: list[Row], sizes: list[str], load: float, *, churn: bool
) -> str:
    """A markdown table of the figures."""
    by = {r.command: r.figure for r in rows}
    before = by[f"check (cold), {count} migrations"].seconds
    after = by["check (cold), the baseline"].seconds
    ratio = f"after / before {after / before:.2f}" if before and after else "not measured"
    what = (
        f"{count // 2} build it, {count - count // 2} add a column and its index to a few"
        " tables each and drop them from those the migration before added them to"
        if churn
        else "no churn: each creates its share of the objects"
    )
    lines = [
        f"### {'With churn' if churn else 'Creates only'}",
        "",
        (
            f"{count} migrations building the {tables:,}-table schema of bench/schema.py ({what}),"
            " squashed"
            f" into one baseline. Load average at the start {load:.2f}; wall seconds (median of"
            " the timed runs for `check`, one run otherwise) and peak RSS of the client process"
            " (GNU time); the dev server held up by the bench, caches emptied before each"
            f" `check`. `check` cold, {ratio}; {sizes[0]}."
        ),
        "",
        "| command | wall | peak RSS | runs |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        f = r.figure
        rss = f"{f.rss_mb:,.0f} MB" if f.rss_mb is not None else "—"
        lines.append(f"| `{r.command}` | {f.text(2)} | {rss} | {f.runs} {f.note} |")
    return "\n".join(lines)


async def _targets(cluster: Cluster) -> tuple[str, str, str]:
    urls = []
    for name in ("squash_target", "squash_kept", "squash_fresh"):
        await cluster.drop_database(name)
        urls.append(await cluster.create_database(name))
    return urls[0], urls[1], urls[2]


def main(argv: list[str] | None = None) -> None:
    """Build the project(s), start the servers, measure, print (and write) the tables."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--tables", type=int, default=1000)
    p.add_argument("--migrations", type=int, default=300)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--major", type=int, default=None)
    p.add_argument("--churn", action="store_true", help="also a project whose migrations churn")
    p.add_argument("--out", type=Path, default=RESULTS, help="write the tables to this file")
    args = p.parse_args(argv)
    tables = []
    for churn in (False, True) if args.churn else (False,):
        work = Path(tempfile.mkdtemp(prefix="bench-squash-"))
        try:
            tables.append(run(work, args, churn=churn))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    text = "\n\n".join(tables)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    print(text)


def run(work: Path, args: argparse.Namespace, *, churn: bool) -> str:
    """The project and servers in `work`, measured; everything started here is stopped."""
    work.chmod(0o711)  # as root, the servers run as another user and must reach their folders
    devdir = work / "devdb"
    devdir.mkdir(mode=0o711)
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache"), "STUDIO_DEVDB_DIR": str(devdir)}
    env["STUDIO_DEV_IDLE_TIMEOUT"] = "0"  # held up by this process: no reaper needed
    env.pop("DATABASE_URL", None)
    os.environ["STUDIO_DEVDB_DIR"] = str(devdir)  # for our own hold on the dev server
    root, last = make_project(work / "project", args.tables, args.migrations, churn=churn)
    binaries = find_binaries(args.major)
    target = Cluster.ensure(
        f"bench-squash-pg{binaries.major}", binaries, root=clusters_root(devdir)
    )
    try:
        dev, fd = use_dev_cluster(binaries.major)
        try:
            urls = asyncio.run(_targets(target))
            load = load_now()
            started = time.perf_counter()
            rows, sizes = measure(root, last, urls, env, args.runs)
            log(f"measured in {time.perf_counter() - started:.0f} s")
        finally:
            release(dev, fd, 0)
            os.close(fd)
    finally:
        target.stop()
    return report(args.tables, args.migrations, rows, sizes, load, churn=churn)


if __name__ == "__main__":
    main()
