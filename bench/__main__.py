"""`python -m bench`: every benchmark against the peers, in one run, into bench/RESULTS.md.

Creates the peers' virtualenv and node folder when missing (bench/peers.py;
nothing is installed globally), builds the synthetic schemas (100, 1,000 and
3,000 tables; `--quick`: 100 and 1,000) in the bench cluster, then measures
at each size:

- `pg_dump --schema-only`, and our `inspect`;
- SQLAlchemy `MetaData.reflect()` (process, in-process 1st and 2nd call);
- Alembic `compare_metadata` (process, in-process, no-change check) and our
  `diff --db URL --to models` (cold, cold with the dev server up, cached),
  with the correctness of both (bench/diff.py);
- migra (CLI and in-process) and our `diff --from URL --to URL`, with the
  correctness of both (SQL applied to a copy, compared by pg_dump);
- our `generate --dry-run` (cold, cached) and drizzle-kit `generate`;
  drizzle-kit `pull`, capped at `--drizzle-cap` seconds;

then `diff()` on two schemas differing in 1% of their tables (the largest
size), then our `diff` of a 100-table project cold, with the dev server warm
(cache miss) and cached (bench/warm.py, into bench/results/warm.md), and
compares `lint` with squawk on the golden lint cases and the demo's
migrations (bench/lint.py, into bench/results/lint.md), and writes
bench/RESULTS.md (figures, ratios of this run, exponents, memory peaks,
machine, versions, plus bench/results/warm.md, lint.md, online.md,
backfill.md, replica.md and fleet.md when present) and bench/scaling.svg.

    python -m bench [--quick] [--runs 3] [--sizes 100,1000,3000] [--drizzle-cap 90]
                    [--generate-cap 240] [--major 18]
    python -m bench --report-only    # rewrite RESULTS.md from bench/results/figures.json
    python -m bench --only fleet [--tenants 50] [--runs 3]  # bench/fleet.py alone
    python -m bench --only squash [--runs 3]  # bench/squash.py alone
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import diff as diff_bench
from bench import fleet as fleet_bench
from bench import lint as lint_bench
from bench import peers as peers_mod
from bench import report, warm
from bench import squash as squash_bench
from bench.changes import five
from bench.measure import log
from bench.suite import Context, make_context


def measure_size(ctx: Context, n: int, pull: bool) -> None:
    """Every measure at N tables."""
    log(f"N = {n}")
    base, changed = asyncio.run(ctx.databases(n))
    cs = five(n)
    guarded(ctx, f"pg_dump N={n}", ctx.pg_dump, n, base)
    guarded(ctx, f"inspect N={n}", ctx.inspect, n, base)
    guarded(ctx, f"reflect N={n}", ctx.reflect, n, base)
    guarded(ctx, f"declared vs live N={n}", diff_bench.declared, ctx, n)
    guarded(ctx, f"migra N={n}", ctx.migra, n, base, changed, cs)
    guarded(ctx, f"db-to-db N={n}", ctx.ours_db_to_db, n, base, changed, cs)
    guarded(ctx, f"generate N={n}", ctx.ours_generate, n, cs)
    guarded(ctx, f"drizzle-kit N={n}", ctx.drizzle, n, base, cs, pull=pull)


def warm_into_results(ctx: Context, runs: int, raw: list[str]) -> None:
    """`diff` of a 100-table project cold, warm and cached, into bench/results/warm.md."""
    results = [warm.measure(ctx.cluster, ctx.work, 100, runs, kind) for kind in ("models", "sql")]
    command = "python -m bench " + " ".join(raw) if raw else "python -m bench"
    (report.HERE / "results" / "warm.md").write_text(warm.report(results, command))


def guarded(ctx: Context, what: str, fn: object, *args: object, **kw: object) -> None:
    """Run one measure; a failure is recorded as a note, and the run goes on."""
    try:
        fn(*args, **kw)  # type: ignore[operator]
    except Exception as e:  # noqa: BLE001  (a peer that breaks must not lose the other figures)
        traceback.print_exc()
        ctx.notes[what] = f"{type(e).__name__}: {e}"


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    p = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else None
    )
    p.add_argument("--quick", action="store_true", help="100 and 1,000 tables only")
    p.add_argument("--sizes", help="comma-separated table counts (default 100,1000,3000)")
    p.add_argument("--runs", type=int, default=3, help="timed runs per figure (median)")
    p.add_argument(
        "--drizzle-cap", type=float, default=90.0, help="seconds before drizzle-kit pull is stopped"
    )
    p.add_argument(
        "--major", type=int, default=None, help="PostgreSQL major version (default: embedded)"
    )
    p.add_argument(
        "--generate-cap",
        type=float,
        default=240.0,
        help="seconds before our `generate` of the first N-table migration is stopped",
    )
    p.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite bench/RESULTS.md from the last run's"
        " bench/results/figures.json (measures nothing)",
    )
    p.add_argument(
        "--only",
        choices=["fleet", "squash"],
        help="run one bench alone (fleet: bench/fleet.py, 50 tenant databases; squash:"
        " bench/squash.py, 300 migrations on 1,000 tables), write its"
        " bench/results/<name>.md and put it in bench/RESULTS.md in place of its section",
    )
    p.add_argument(
        "--tenants", type=int, default=50, help="with --only fleet: tenant databases (default 50)"
    )
    args = p.parse_args(argv)
    if args.only == "fleet":
        fleet_bench.main(["--tenants", str(args.tenants), "--runs", str(args.runs)]
                         + (["--major", str(args.major)] if args.major else []))  # fmt: skip
        # the other sections, machine and figures stay as their own run wrote them
        log(f"wrote {report.splice(fleet_bench.RESULTS, report.FLEET_TITLE, report.FLEET_MISSING)}")
        return
    if args.only == "squash":
        squash_bench.main(["--runs", str(args.runs), "--churn"]
                          + (["--major", str(args.major)] if args.major else []))  # fmt: skip
        written = report.splice(squash_bench.RESULTS, squash_bench.TITLE, squash_bench.MISSING)
        log(f"wrote {written}")
        return
    if args.report_only:
        ctx, sizes, started_at, elapsed, raw = report.saved()
        big = max(sizes)
        extra = diff_bench.section(ctx, 1000 if 1000 in sizes else big, big)
        plot = "scaling.svg" if (report.HERE / "scaling.svg").is_file() else None
        log(f"wrote {report.write(ctx, sizes, started_at, elapsed, raw, extra, plot)}")
        return
    raw = sys.argv[1:] if argv is None else argv
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else [100, 1000]
        if args.quick
        else [100, 1000, 3000]
    )
    # a stopped run (kill) still stops the clusters it started and removes its scratch folder
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    started_at = time.strftime("%Y-%m-%d %H:%M %Z")
    started = time.perf_counter()
    peers = peers_mod.ensure()
    work = Path(tempfile.mkdtemp(prefix="bench-all-"))
    ctx = make_context(args.runs, work, peers, args.major, args.drizzle_cap)
    ctx.generate_cap = args.generate_cap
    for name, problem in peers.problems.items():
        ctx.notes[name] = problem
    try:
        pull = True
        for n in sizes:
            guarded(ctx, f"N={n}", measure_size, ctx, n, pull)
            fig = ctx.figures.get(("drizzle_pull", n))
            if pull and fig is not None and fig.timed_out is not None:
                # its time grows faster than linearly: a larger size would hit the cap too
                pull = False
                bigger = [m for m in sizes if m > n]
                if bigger:
                    ctx.notes["drizzle-kit pull"] = (
                        f"stopped at the {args.drizzle_cap:.0f} s cap at {n:,} tables, so not run"
                        f" at {', '.join(f'{m:,}' for m in bigger)} (it would be over the cap there"
                        " too)"
                    )
        big = max(sizes)
        guarded(ctx, "1% diff", diff_bench.one_percent, ctx, big)
        extra = diff_bench.section(ctx, 1000 if 1000 in sizes else big, big)
        ctx.dev_down()  # the warm-server rounds start and stop it themselves
        guarded(ctx, "warm dev server", warm_into_results, ctx, max(args.runs, 9), raw)
        guarded(ctx, "lint against squawk", lint_bench.main, [])
        guarded(ctx, "squash", squash_bench.main, ["--runs", str(args.runs), "--churn"])
    finally:
        ctx.dev_down()
        ctx.cluster.stop()
        shutil.rmtree(os.environ["STUDIO_DEVDB_DIR"], ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    plot = report.plot(ctx, sizes)
    elapsed = time.perf_counter() - started
    report.save(ctx, sizes, started_at, elapsed, raw)
    path = report.write(ctx, sizes, started_at, elapsed, raw, extra, plot)
    log(f"wrote {path}" + (f" and bench/{plot}" if plot else ""))


if __name__ == "__main__":
    main()
