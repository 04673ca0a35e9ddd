"""Benchmark: the backfill of bench/backfill.py with a hot standby that replays slowly.

`orders` with `--rows` rows (5,000,000 in the issue; the template database
of bench/backfill.py, `bench_backfill_<rows>`, built once and kept) on a
dedicated cluster (`bench-replica-pg<major>`), and a hot standby of it
(`pg_basebackup -R`, studio.sources.devdb.standby) whose replay is slowed:
a task on the standby lets replay run `--replay-on` seconds, then pauses it
(`pg_wal_replay_pause()`) for `--replay-off` seconds, over and over, so it
replays at a fraction of its speed, as a standby busy with long queries or
on a smaller machine does. The standby reports its position every second
(`wal_receiver_status_interval = 1`; 10 s by default).

Two runs on fresh copies of the template, each the tool's own runner
applying the expand migration of `orders.qty` int -> bigint (new column,
sync trigger, then the backfill in `--batch-size` batches):

1. `max_replica_lag = 0`: the throttle off;
2. `max_replica_lag = --limit`: batches wait while the standby is further
   behind, until it is under half of it.

The standby's lag is measured by the bench itself, every 0.1 s, on both
servers directly: how long ago the primary had flushed WAL that the standby
has not replayed (`pg_current_wal_flush_lsn()` on the primary, with the
time each was read, against `pg_last_wal_replay_lsn()` on the standby; 0
once it has replayed all). Reported: the backfill's wall time and rows/s,
the standby's maximum and mean lag while it ran (and how long it took to
catch up after), and the throttle's pauses. Written to
bench/results/replica.md and printed.

    python -m bench.replica [--rows 5000000] [--limit 10] [--replay-on 0.25] [--replay-off 1.75]

A quick run: `--rows 1000000 --limit 3`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from bench.backfill import copy_of, scratch_project, template
from studio.config import Settings
from studio.migrations import files as migrations
from studio.run import backfill, runner
from studio.run.events import BackfillPaused, BackfillProgress, BackfillResumed, Event
from studio.run.phases import ContractNotConfirmed
from studio.sources.devdb.binaries import find_binaries
from studio.sources.devdb.cluster import Cluster, discard
from studio.sources.devdb.standby import start_standby

RESULTS = Path(__file__).parent / "results" / "replica.md"
STANDBY = "-c wal_receiver_status_interval=1"
TICK = 0.1  # seconds between two readings of the lag


@dataclass
class Lag:
    """The standby's lag over a run, read on both servers every TICK seconds."""

    samples: list[tuple[float, float]] = field(default_factory=list)  # (clock, lag seconds)

    def during(self, start: float, end: float) -> list[float]:
        return [lag for at, lag in self.samples if start <= at <= end]

    def caught_up_after(self, end: float) -> float:
        """Seconds from `end` until the lag first read 0."""
        return next((at - end for at, lag in self.samples if at >= end and lag == 0), float("nan"))


async def watch_lag(primary: Cluster, standby: Cluster, lag: Lag, stop: asyncio.Event) -> None:
    """Read the lag until `stop`: the age of the oldest primary WAL the standby has not replayed."""
    here, there = await primary.connect(), await standby.connect()
    marks: deque[tuple[float, int]] = deque()
    lsn = "pg_wal_lsn_diff({}, '0/0')::bigint"
    try:
        while not stop.is_set():
            now = time.monotonic()
            flushed = await here.fetchval(f"SELECT {lsn.format('pg_current_wal_flush_lsn()')}")
            replayed = await there.fetchval(f"SELECT {lsn.format('pg_last_wal_replay_lsn()')}")
            marks.append((now, flushed))
            while len(marks) > 1 and marks[1][1] <= replayed:
                marks.popleft()
            behind = next((at for at, pos in marks if pos > replayed), None)
            lag.samples.append((now, 0.0 if behind is None else now - behind))
            await asyncio.sleep(TICK)
    finally:
        await here.close()
        await there.close()


async def slow_replay(standby: Cluster, on: float, off: float, stop: asyncio.Event) -> None:
    """Let the standby replay `on` seconds out of every `on + off`, until `stop`; then resume."""
    conn = await standby.connect()
    try:
        while not stop.is_set():
            await conn.execute("SELECT pg_wal_replay_resume()")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), on)
            if stop.is_set():
                break
            await conn.execute("SELECT pg_wal_replay_pause()")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), off)
    finally:
        await conn.execute("SELECT pg_wal_replay_resume()")
        await conn.close()


@dataclass(frozen=True, slots=True)
class Run:
    """One backfill's figures."""

    limit: float
    rows: int
    seconds: float
    max_lag: float
    mean_lag: float
    catch_up: float
    pauses: int
    paused: float
    throttle_max: float


async def _replayed(standby: Cluster, db: str) -> None:
    """Wait until the standby has the copy (its CREATE DATABASE replayed)."""
    deadline = time.monotonic() + 600
    while True:
        try:
            conn = await standby.connect(db)
        except Exception:  # noqa: BLE001  (not replayed yet)
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
            continue
        await conn.close()
        return


async def one_run(
    primary: Cluster,
    standby: Cluster,
    url: str,
    root: Path,
    init: str,
    limit: float,
    args: argparse.Namespace,
) -> Run:
    settings = Settings(root=root, db_override=url, max_replica_lag=limit)
    ms = migrations.load_directory(settings.migrations_dir)
    await runner.baseline(url, settings, ms, init)
    await _replayed(standby, url.rsplit("/", 1)[1])
    events: list[Event] = []
    lag, slowing, watching = Lag(), asyncio.Event(), asyncio.Event()
    watcher = asyncio.create_task(watch_lag(primary, standby, lag, watching))
    slower = asyncio.create_task(slow_replay(standby, args.replay_on, args.replay_off, slowing))
    start = time.monotonic()
    with contextlib.suppress(ContractNotConfirmed):
        await runner.apply(
            url, settings, ms, on_event=events.append,
            backfills=backfill.Options(batch_size=args.batch_size),
        )  # fmt: skip
    end = time.monotonic()
    slowing.set()
    await slower  # replay runs freely again: the standby catches up
    while not (lag.samples and lag.samples[-1][0] > end and lag.samples[-1][1] == 0):
        await asyncio.sleep(TICK)
    watching.set()
    await watcher
    during = lag.during(start, end)
    progress = [e for e in events if isinstance(e, BackfillProgress)]
    resumed = [e for e in events if isinstance(e, BackfillResumed)]
    seen = [e.standby.lag for e in events if isinstance(e, BackfillPaused) and e.standby.lag]
    return Run(
        limit,
        progress[-1].rows_done if progress else 0,
        end - start,
        max(during, default=0.0),
        sum(during) / len(during) if during else 0.0,
        lag.caught_up_after(end),
        len(resumed),
        sum(e.paused_for for e in resumed),
        max(seen, default=0.0),
    )


def report(
    args: argparse.Namespace, version: str, runs: list[Run], took: float, loads: tuple[float, float]
) -> str:
    duty = args.replay_on / (args.replay_on + args.replay_off)
    lines = [
        "### Replicas: the backfill with a slowly replaying hot standby, throttle off and on",
        "",
        f"`python -m bench.replica --rows {args.rows} --limit {args.limit:g} --replay-on"
        f" {args.replay_on:g} --replay-off {args.replay_off:g}` on PostgreSQL {version}"
        " (dedicated cluster and its standby from studio.sources.devdb, fsync off on the"
        f" primary), 2 cores shared with other work (1-minute load average {loads[0]:.1f} at"
        f" the start, {loads[1]:.1f} at the end); whole run {took / 60:.1f} min.",
        f"orders = {args.rows:,} rows; the expand migration of qty int -> bigint (the backfill in"
        f" batches of {args.batch_size:,}) by the tool's runner, no other load. The standby"
        f" replays {args.replay_on:g} s out of every {args.replay_on + args.replay_off:g} s"
        f" ({duty:.0%} of the time: pg_wal_replay_pause/resume). Its lag is read every"
        f" {TICK:g} s on both servers: how long ago the primary flushed WAL the standby has"
        " not replayed.",
        "",
        "| max_replica_lag | backfill (expand + batches) | rows/s | standby max lag"
        " | mean lag | caught up after | throttle pauses | paused in all | largest lag the"
        " throttle saw |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        off = r.limit == 0
        limit = "0 (off)" if off else f"{r.limit:g} s"
        seen = "—" if off else f"{r.throttle_max:.1f} s"
        lines.append(
            f"| {limit} | {r.seconds:.1f} s | {r.rows / r.seconds:,.0f} | {r.max_lag:.1f} s"
            f" | {r.mean_lag:.1f} s | {r.catch_up:.1f} s | {r.pauses} | {r.paused:.1f} s"
            f" | {seen} |"
        )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> str:
    started, load = time.monotonic(), os.getloadavg()[0]
    binaries = find_binaries(args.major)
    primary = Cluster.ensure(f"bench-replica-pg{binaries.major}", binaries)
    root = primary.home.parent
    work = Path(tempfile.mkdtemp(prefix="bench-replica-"))
    name = f"bench-replica-pg{binaries.major}-standby"
    try:
        settings, init = scratch_project(work)
        template_name = await template(primary, settings, init, args.rows)
        standby = start_standby(primary, name, root, settings=STANDBY)
        runs = []
        for limit in (0.0, args.limit):
            label = "off" if limit == 0 else "on"
            async with copy_of(primary, template_name, f"replica_{label}") as url:
                runs.append(await one_run(primary, standby, url, work, init, limit, args))
        took = time.monotonic() - started
        return report(args, binaries.version, runs, took, (load, os.getloadavg()[0]))
    finally:
        discard(name, root)
        shutil.rmtree(work, ignore_errors=True)
        primary.stop()


def main() -> None:
    """Run the benchmark, write bench/results/replica.md and print it."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=5_000_000, help="orders rows (default 5,000,000)")
    p.add_argument("--batch-size", type=int, default=10_000)
    p.add_argument("--limit", type=float, default=10.0, help="max_replica_lag of the second run")
    p.add_argument("--replay-on", type=float, default=0.25, help="seconds the standby replays")
    p.add_argument("--replay-off", type=float, default=1.75, help="then seconds it is paused")
    p.add_argument("--major", type=int, default=None)
    text = asyncio.run(main_async(p.parse_args()))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
