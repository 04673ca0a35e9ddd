"""Benchmark: the declared-vs-live diff beside Alembic's autogenerate, in one run.

On the synthetic schema (bench/schema.py) declared as a generated SQLAlchemy
models module (bench/models.py) with the 5 changes of
shared/reference/anchor-figures.md (bench/changes.py):

- materializing the N-table models in the dev database (`sources.load`,
  in-process): cold (no cache; dev server up) and cached;
- the whole `schema-studio diff --db URL --to module:attr --format json`
  process against the live N-table database: cold with the dev server
  started and stopped by the process (a first run), cold with the dev server
  already up, and cached;
- Alembic's `compare_metadata` as a whole process (import + declare +
  compare) on the same models and database, and in-process;
- `diff()` alone on two M-table schemas differing in 1% of their tables,
  beside Alembic's `compare_metadata` (in-process, 1st call) on the same pair;
- whether each tool's changes are right: the expected ones found, wrong
  ones counted; our SQL applied to a copy of the live database must give the
  changed database's `pg_dump --schema-only`.

    python -m bench.diff [--tables 1000] [--share-tables 3000] [--runs 3]

`python -m bench` runs this too, among the rest, into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from bench import peers as peers_mod
from bench.changes import five, share
from bench.databases import ensure_changed
from bench.introspect import ensure_database
from bench.measure import log
from bench.suite import make_context

if TYPE_CHECKING:
    from bench.suite import Context


def declared(ctx: Context, n: int) -> None:
    """Materialization, the diff process cold and cached, Alembic beside it, at N tables."""
    base, changed = asyncio.run(ctx.databases(n))
    mb = ctx.models(n, None, f"m{n}b")
    mc = ctx.models(n, five(n), f"m{n}c")
    for what, fn, args in (
        ("Alembic", ctx.alembic, (n, base, five(n), mc, mb)),
        ("our diff, declared vs live", ctx.ours_declared, (n, base, changed, five(n), mc)),
        ("materialization", ctx.materialize, (n, mc)),
        ("our diff()", ctx.pure_diff, (n, base, changed, five(n), "diff_pure")),
    ):
        try:
            fn(*args)
        except Exception as e:  # noqa: BLE001  (one tool failing must not lose the others' figures)
            traceback.print_exc()
            ctx.notes[f"{what} N={n}"] = f"{type(e).__name__}: {e}"


def one_percent(ctx: Context, m: int) -> None:
    """`diff()` on two M-table schemas differing in 1% of their tables, Alembic beside it."""
    cs = share(m, 0.01)
    base = asyncio.run(ensure_database(ctx.cluster, m))
    changed = asyncio.run(ensure_changed(ctx.cluster, cs))
    mb = ctx.models(m, None, f"m{m}b")
    mp = ctx.models(m, cs, f"m{m}p")
    ctx.pure_diff(m, base, changed, cs, "diff_pure_1pct")
    ctx.alembic(m, base, cs, mp, mb, key="alembic_1pct", process=False)


def section(ctx: Context, n: int, m: int) -> list[str]:
    """The markdown section of this benchmark."""
    f = ctx.figures

    def t(key: str, size: int) -> str:
        fig = f.get((key, size))
        return f"{fig.seconds:.3f} s (load {fig.load:.1f})" if fig and fig.seconds else "—"

    def r(num: str, den: str, size: int) -> str:
        a, b = f.get((num, size)), f.get((den, size))
        return f"**{a.seconds / b.seconds:.1f}x**" if a and b and a.seconds and b.seconds else "—"

    cs = share(m, 0.01)
    lines = [
        "## Declared vs live: our `diff` beside Alembic autogenerate (bench/diff.py)",
        "",
        (
            f"N = {n:,} tables, the 5 changes; medians of {ctx.runs} runs; Alembic ="
            " `compare_metadata` on the same models module and database (SQLAlchemy + psycopg2)."
        ),
        "",
        "| measure | ours | Alembic (whole process) | Alembic / ours |",
        "|---|---:|---:|---:|",
        f"| `diff` process, cached materialization | {t('diff_cached', n)}"
        f" | {t('alembic_process', n)} | {r('alembic_process', 'diff_cached', n)} |",
        "| `diff` process, cold (dev server started and stopped by the process)"
        f" | {t('diff_cold', n)} | {t('alembic_process', n)}"
        f" | {r('alembic_process', 'diff_cold', n)} |",
        f"| `diff` process, cold, dev server already up | {t('diff_cold_up', n)}"
        f" | {t('alembic_process', n)} | {r('alembic_process', 'diff_cold_up', n)} |",
        "| materializing the models (`sources.load()` in a fresh process), cold,"
        f" dev server up | {t('materialize_cold', n)} | | |",
        "| materializing the models (`sources.load()`),"
        f" cached | {t('materialize_cached', n)} | | |",
        (
            "| where a cold materialization's time goes | import of the models"
            f" {t('materialize_import', n)}, DDL compiled {t('materialize_compile', n)}, throwaway"
            f" database {t('materialize_createdb', n)}, DDL run {t('materialize_ddl', n)}, read"
            f" back {t('materialize_introspect', n)} | | |"
        ),
        f"| `diff()` alone (pure), the 5 changes | {t('diff_pure', n)}"
        f" | {t('alembic_first', n)} (in-process compare, reflection included) | |",
        "",
        (
            f"{m:,} tables differing in 1% of them ({cs.count} tables: {len(cs.add_column)} added"
            f" columns, {len(cs.drop_index)} dropped indexes, {len(cs.to_bigint)} int -> bigint,"
            f" {len(cs.not_null)} SET NOT NULL, {len(cs.added)} new tables): our `diff()` on the"
            f" two introspected schemas {t('diff_pure_1pct', m)}; Alembic's `compare_metadata`"
            " in-process (1st call; it reflects the database as it compares)"
            f" {t('alembic_1pct_first', m)}."
        ),
        "",
        "Correctness:",
        "",
    ]
    for key, label in (
        ("diff", f"ours, `diff --db --to models`, N={n:,}"),
        ("alembic", f"Alembic, N={n:,}"),
        ("diff_pure_1pct", f"ours, `diff()`, {m:,} tables, 1% changed"),
        ("alembic_1pct", f"Alembic, {m:,} tables, 1% changed"),
    ):
        size = n if key in ("diff", "alembic") else m
        lines.append(f"- {label}: {ctx.verdicts.get((key, size), '—')}")
    return lines + [""]


def main() -> None:
    """Run this benchmark alone and print its section."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--tables", type=int, default=1000)
    p.add_argument("--share-tables", type=int, default=3000, help="size of the 1%% diff")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--major", type=int, default=None)
    args = p.parse_args()
    peers = peers_mod.ensure()
    work = Path(tempfile.mkdtemp(prefix="bench-diff-"))
    ctx = make_context(args.runs, work, peers, args.major, 90.0)
    try:
        declared(ctx, args.tables)
        one_percent(ctx, args.share_tables)
        print("\n".join(section(ctx, args.tables, args.share_tables)))
    finally:
        ctx.dev_down()
        ctx.cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
        log("done")


if __name__ == "__main__":
    main()
