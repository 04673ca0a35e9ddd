"""bench/RESULTS.md: figures, ratios of the same run, verdicts, machine, versions.

Every time is the median of the run's samples, with the 1-minute load average
seen when its runs started in parentheses (the machine is shared). The
exponent k is the least-squares slope of log t against log N over the sizes
measured.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.measure import exponent

if TYPE_CHECKING:
    from bench.measure import Figure
    from bench.suite import Context

HERE = Path(__file__).resolve().parent

# (key, label): the rows of the figures table, in reading order
ROWS: list[tuple[str, str]] = [
    ("pg_dump", "a. `pg_dump --schema-only` (process)"),
    ("inspect", "**ours** `inspect --format json` (process)"),
    ("reflect_process", "b. SQLAlchemy `MetaData.reflect()` (process)"),
    ("reflect_first", "b. `reflect()` in-process, 1st call"),
    ("reflect_second", "b. `reflect()` in-process, 2nd call (same engine)"),
    ("alembic_process", "c. Alembic `compare_metadata` (process: import + declare + compare)"),
    ("alembic_first", "c. `compare_metadata` in-process, 1st call"),
    ("alembic_nochange", "c. `compare_metadata`, no-change check (in-process)"),
    ("alembic_declare", "c. declaring the N-table models (import of the module)"),
    (
        "diff_cold",
        "**ours** `diff --db URL --to models --format json` (process), cold: no cache,"
        " dev server started and stopped by the process",
    ),
    ("diff_cold_up", "**ours** same, cold: no cache, dev server already running"),
    ("diff_cached", "**ours** same, cached materialization"),
    (
        "materialize_cold",
        "**ours** materializing the models:"
        " `sources.load()` timed in a fresh process, cold, dev server up",
    ),
    ("materialize_cached", "**ours** materializing: `sources.load()`, cached"),
    ("materialize_import", "**ours** cold materialization, part: importing the models module"),
    ("materialize_compile", "**ours** part: compiling the DDL (`create_all` on a mock engine)"),
    ("materialize_createdb", "**ours** part: creating the throwaway database"),
    ("materialize_ddl", "**ours** part: running the DDL in the dev database"),
    ("materialize_introspect", "**ours** part: reading it back (introspect)"),
    ("diff_pure", "**ours** `diff()` alone (pure, in-process), the 5 changes"),
    ("migra_cli", "d. `migra --unsafe base target` (process, inspects both DBs)"),
    ("migra_inprocess", "d. migra `Migration()` + `add_all_changes()` in-process"),
    ("dbdb", "**ours** `diff --from URL --to URL --format sql` (process, inspects both DBs)"),
    ("dbdb_inprocess", "**ours** `diff_sources(URL, URL)` in-process"),
    (
        "generate_cold",
        "**ours** `generate --dry-run` (migrations replayed vs models), cold,"
        " dev server started by the process",
    ),
    ("generate_cached", "**ours** `generate --dry-run`, cached"),
    (
        "generate_initial",
        "**ours** `generate` of the first migration"
        " (all N tables, empty migrations folder; 1 run, capped)",
    ),
    ("drizzle_pull", "e. drizzle-kit `pull` (process)"),
    (
        "drizzle_generate",
        "e. drizzle-kit `generate` of the changed schema.ts (process, no database)",
    ),
    ("reflect_first_cpu", "client CPU of b (1st reflect, process_time)"),
    ("alembic_first_cpu", "client CPU of c (1st compare, process_time)"),
    ("migra_inprocess_cpu", "client CPU of d (in-process)"),
]

# the whole-process figures drawn in bench/scaling.svg (every row would be unreadable)
PLOTTED = {
    "pg_dump", "inspect", "reflect_process", "alembic_process", "diff_cold", "diff_cached",
    "migra_cli", "dbdb", "generate_cached", "drizzle_pull", "drizzle_generate",
}  # fmt: skip

TOOLS = {
    "alembic": "Alembic `compare_metadata` (models vs live)",
    "diff": "**ours** `diff --db --to models` (declared vs live)",
    "diff_pure": "**ours** `diff()` on the two databases' schemas",
    "migra": "migra (database to database)",
    "dbdb": "**ours** `diff --from URL --to URL`",
    "drizzle_generate": "drizzle-kit `generate` (schema.ts vs its snapshot)",
    "alembic_1pct": "Alembic `compare_metadata`, 1% of the tables changed",
    "diff_pure_1pct": "**ours** `diff()`, 1% of the tables changed",
}


def _cell(f: Figure | None) -> str:
    if f is None:
        return "—"
    if f.timed_out is not None:
        return f"> {f.timed_out:.0f} s ({f.load:.1f})"
    if f.seconds is None:
        return "—"
    digits = 3 if f.seconds < 10 else 1
    once = ", 1 run" if f.note else ""
    return f"{f.seconds:.{digits}f} s ({f.load:.1f}{once})"


def _ratio(ctx: Context, num: str, den: str, n: int) -> str:
    a, b = ctx.figures.get((num, n)), ctx.figures.get((den, n))
    if a is None or b is None:
        return "—"
    if a.timed_out is not None and b.seconds:
        return f"> {a.timed_out / b.seconds:.1f}x"
    if not (a.seconds and b.seconds):
        return "—"
    return f"{a.seconds / b.seconds:.2f}x"


def machine(ctx: Context) -> list[str]:
    """Cores, RAM, CPU model, load, kernel."""
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    return [
        f"- CPU: {model}, {os.cpu_count()} cores; RAM {mem_kb / 2**20:.1f} GiB;"
        f" Linux {platform.release()}",
        (
            "- **A shared machine**: other work may run beside the bench. Each time is the median"
            " of several runs, with the 1-minute load average seen when its runs started in"
            " parentheses (the bench's own servers and clients count in it, and so does what ran"
            " just before); on 2 cores, a load above 2 means the figures include waiting for a CPU,"
            " for every tool alike. Ratios are computed from figures taken minutes apart in the"
            " same run."
        ),
    ]


def _loads(ctx: Context) -> str:
    return ", ".join(f"{x:.2f}" for x in getattr(ctx, "load_end", os.getloadavg()))


def versions(ctx: Context) -> list[str]:
    """PostgreSQL, Python, our tool and each peer."""
    from studio import __version__

    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        rev = "?"
    try:
        from importlib.metadata import version

        ours_sa = version("sqlalchemy")
    except Exception:  # noqa: BLE001  (a version is only shown)
        ours_sa = "?"
    pv = ctx.peers.versions
    peer = ", ".join(f"{k} {v}" for k, v in pv.items())
    return [
        (
            f"- PostgreSQL {ctx.binaries.version} ({ctx.binaries.source} binaries), fsync off on"
            " the bench and dev clusters (both throwaway)"
        ),
        (
            f"- Python {platform.python_version()}; schema-studio {__version__} (commit {rev}) with"
            f" SQLAlchemy {ours_sa} for the declared side"
        ),
        f"- peers: {peer}",
    ]


def figures_table(ctx: Context, sizes: list[int]) -> list[str]:
    """Every measured row, one column per size, k and the peak memory at the largest size."""
    big = max(sizes)
    head = (
        "| measure | "
        + " | ".join(f"N={n:,}" for n in sizes)
        + " | k (fit) | peak RSS at N="
        + f"{big:,} |"
    )
    lines = [head, "|---|" + "---:|" * (len(sizes) + 2)]
    for key, label in ROWS:
        cells = [ctx.figures.get((key, n)) for n in sizes]
        if not any(cells):
            continue
        k = exponent({n: f.seconds for n, f in zip(sizes, cells, strict=True) if f and f.seconds})
        last = ctx.figures.get((key, big))
        rss = f"{last.rss_mb:.0f} MB" if last and last.rss_mb else ""
        ks = f"{k:.2f}" if k is not None else ""
        lines.append(f"| {label} | " + " | ".join(_cell(c) for c in cells) + f" | {ks} | {rss} |")
    return lines


def headline(ctx: Context, sizes: list[int]) -> list[str]:
    """The ratios the issue asks for, from this run's figures."""
    mid = 1000 if 1000 in sizes else max(sizes)
    lines = [
        "| ratio | " + " | ".join(f"N={n:,}" for n in sizes) + " | goal |",
        "|---|" + "---:|" * (len(sizes) + 1),
    ]

    def row(label: str, num: str, den: str, goal: str) -> None:
        lines.append(
            f"| {label} | " + " | ".join(_ratio(ctx, num, den, n) for n in sizes) + f" | {goal} |"
        )

    row("`inspect` / `pg_dump` (time, lower is better)", "inspect", "pg_dump", "≤ 1.0x")
    row(
        "Alembic process / our `diff` process, **cached**",
        "alembic_process",
        "diff_cached",
        f"≥ 10x at {mid:,}",
    )
    row(
        "Alembic process / our `diff` process, **cold** (dev server started by the process)",
        "alembic_process",
        "diff_cold",
        f"≥ 3x at {mid:,}",
    )
    row(
        "Alembic process / our `diff` process, cold, dev server up",
        "alembic_process",
        "diff_cold_up",
        "",
    )
    row(
        "migra CLI / our `diff --from URL --to URL` (process)",
        "migra_cli",
        "dbdb",
        "> 1x at every size",
    )
    row("migra in-process / ours in-process", "migra_inprocess", "dbdb_inprocess", "")
    row("SQLAlchemy `reflect()` process / our `inspect` process", "reflect_process", "inspect", "")
    row("drizzle-kit `pull` / our `inspect`", "drizzle_pull", "inspect", "")
    row("drizzle-kit `generate` / our `generate` cached", "drizzle_generate", "generate_cached", "")
    return lines


def verdicts(ctx: Context, sizes: list[int]) -> list[str]:
    """Correctness per tool and size."""
    tools = [t for t in TOOLS if any((t, n) in ctx.verdicts for n in sizes)]
    lines = [
        "| tool | " + " | ".join(f"N={n:,}" for n in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for t in tools:
        lines.append(
            f"| {TOOLS[t]} | " + " | ".join(ctx.verdicts.get((t, n), "—") for n in sizes) + " |"
        )
    return lines


FLEET_TITLE = "Fleet: tenant databases checked and migrated as one"
INTROSPECT_TITLE = "`inspect` beside `pg_dump` at 3,000 tables: before and after (issue 15)"
FLEET_MISSING = (
    "No `bench/results/fleet.md` yet: `python -m bench --only fleet` writes it and this section."
)


SQUASH_TITLE = "Squash: `check` of 300 migrations on 1,000 tables, before and after"
SQUASH_MISSING = (
    "No `bench/results/squash.md` yet: `python -m bench --only squash` writes it and this section."
)


def section_file(
    path: Path,
    title: str,
    missing: str,
    source: str = "written by its own bench run, not re-run here",
) -> list[str]:
    """An earlier bench's own report, included as it is (its headings pushed below `title`)."""
    if not path.is_file():
        return [f"## {title}", "", missing, ""]
    text = path.read_text().strip().splitlines()
    top = min((len(ln) - len(ln.lstrip("#")) for ln in text if ln.startswith("#")), default=3)
    body = [("#" * (3 - top) + ln if ln.startswith("#") else ln) for ln in text]
    return [
        f"## {title}",
        "",
        f"(from `{path.relative_to(HERE.parent)}`, {source})",
        "",
        *body,
        "",
    ]


def splice(path: Path, title: str, missing: str) -> Path:
    """bench/RESULTS.md with the section `title` replaced by `path`'s report (or added at the end).

    The rest of the file, its machine and figures, stays as its own run wrote it.
    """
    results = HERE / "RESULTS.md"
    text = results.read_text().rstrip().split("\n")
    heading = f"## {title}"
    start = text.index(heading) if heading in text else len(text)
    end = next((i for i in range(start + 1, len(text)) if text[i].startswith("## ")), len(text))
    section = section_file(path, title, missing)
    text[start:end] = ([""] if start == len(text) else []) + section
    results.write_text("\n".join(text).rstrip() + "\n")
    return results


def write(
    ctx: Context,
    sizes: list[int],
    started: str,
    elapsed: float,
    argv: list[str],
    extra: list[str],
    plot: str | None,
) -> Path:
    """Write bench/RESULTS.md."""
    cmd = "python -m bench" + ("" if len(argv) == 0 else " " + " ".join(argv))
    out = [
        "# Benchmarks: schema-studio beside the tools users would otherwise pick",
        "",
        (
            f"`{cmd}` on {started}, whole run {elapsed / 60:.1f} min; median of {ctx.runs} runs per"
            " figure (processes: after one untimed warm-up run, unless that run took over 5 s,"
            " when it counts; cold runs each start from an empty cache and a stopped dev server,"
            " or as labelled). Synthetic schema and changes of shared/reference/anchor-figures.md"
            " (bench/schema.py, bench/changes.py): N tables of 13 columns, 2 indexes, a unique, a"
            " check and a foreign key each; the changed side has 5 changes (add a column, drop an"
            " index, int -> bigint, add a table, nullable -> NOT NULL). The declared side is a"
            " generated SQLAlchemy 2 models module (one class per table, bench/models.py) read by"
            " both Alembic and us; drizzle-kit gets the same tables as a schema.ts."
        ),
        "",
        "## Machine",
        "",
        *machine(ctx),
        f"- load average (1, 5, 15 min) at the end of the run: {_loads(ctx)}",
        *versions(ctx),
        "",
        "## Headline ratios (same run)",
        "",
        *headline(ctx, sizes),
        "",
        "## Correctness: the 5 changes found, and wrong changes reported",
        "",
        (
            "A wrong change is one that none of the intended changes explains (statements creating"
            " the new table's indexes, constraints and identity count for the added table). Where a"
            " tool writes SQL, it is applied with psql to a copy of the old database and `pg_dump"
            " --schema-only` of the result is compared with the new database's."
        ),
        "",
        *verdicts(ctx, sizes),
        "",
        "## All figures (median; load average in parentheses)",
        "",
        *figures_table(ctx, sizes),
        "",
        (
            "SQLAlchemy's `reflect()` (b) runs with `sys.setrecursionlimit(50000)`: with Python's"
            " default limit it fails at 3,000 tables with `RecursionError`, because it follows each"
            " foreign key into the referenced table recursively and the synthetic schema chains"
            " t03000 → t02999 → … → t00001. Alembic's `compare_metadata` needs no such thing."
        ),
        "",
        (
            "Peak RSS is the client process's maximum resident set (GNU time's %M: the process and"
            " the children it waited for): PostgreSQL's own memory is in no figure, ours or the"
            " peers'. In-process rows have no RSS."
        ),
        "",
    ]
    if plot:
        out += [f"![time vs tables, log-log]({plot})", ""]
    out += extra
    if ctx.notes:
        out += ["## What could not be measured", ""]
        out += [f"- {k}: {v}" for k, v in ctx.notes.items()]
        out += [""]
    out += section_file(
        HERE / "results" / "warm.md",
        "Warm dev server: `diff` cold, warm and cached",
        "No `bench/results/warm.md` yet: run `python -m bench.warm` (it writes that file) and"
        " rerun this report.",
        "written by bench/warm.py, in this run or on its own",
    )
    out += section_file(
        HERE / "results" / "lint.md",
        "lint against squawk",
        "No `bench/results/lint.md` yet: run `python -m bench.lint` (it writes that file) and"
        " rerun this report.",
    )
    out += section_file(
        HERE / "results" / "online.md",
        "Online safety under load",
        "No `bench/results/online.md` yet:"
        " run `python -m bench.online` (it writes that file) and rerun this report.",
    )
    out += section_file(
        HERE / "results" / "backfill.md",
        "Backfill: int -> bigint by expand/contract",
        "No `bench/results/backfill.md` yet: `python -m bench.backfill --rows 1000000 >"
        " bench/results/backfill.md` writes it (bench/backfill.py prints its table), then rerun"
        " this report.",
    )
    out += section_file(
        HERE / "results" / "replica.md",
        "Replicas: a backfill and a slowly replaying standby",
        "No `bench/results/replica.md` yet: `python -m bench.replica` writes it (5,000,000"
        " rows by default; `--rows 1000000 --limit 3` for a quick run), then rerun this"
        " report.",
    )
    out += section_file(HERE / "results" / "fleet.md", FLEET_TITLE, FLEET_MISSING)
    out += section_file(
        HERE / "results" / "introspect.md",
        INTROSPECT_TITLE,
        "No `bench/results/introspect.md` yet: `python -m bench.introspect_ab BEFORE AFTER`"
        " prints its tables.",
    )
    out += section_file(HERE / "results" / "squash.md", SQUASH_TITLE, SQUASH_MISSING)
    path = HERE / "RESULTS.md"
    path.write_text("\n".join(out).rstrip() + "\n")
    return path


def plot(ctx: Context, sizes: list[int]) -> str | None:
    """bench/scaling.svg, drawn by matplotlib in the peers' venv; its file name, or None."""
    import json

    series = {}
    for key, label in ROWS:
        if key not in PLOTTED:
            continue
        pts = [(n, f.seconds) for n in sizes if (f := ctx.figures.get((key, n))) and f.seconds]
        if len(pts) >= 2:
            series[key] = {
                "label": label.replace("**", "").replace("`", ""),
                "points": pts,
                "ours": "ours" in label,
            }
    if not series or ctx.peers.python is None:
        return None
    target = HERE / "scaling.svg"
    proc = subprocess.run(
        [str(ctx.peers.python), str(HERE / "peer_scripts" / "plot.py"), str(target)],
        input=json.dumps(series), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        ctx.notes["plot"] = "matplotlib failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1]
        return None
    return target.name


# --- saved figures: the report can be rebuilt (e.g. once online.md or backfill.md exist) ---

SAVED = HERE / "results" / "figures.json"


def save(ctx: Context, sizes: list[int], started: str, elapsed: float, argv: list[str]) -> Path:
    """Every figure, verdict and note of the run, for `python -m bench --report-only`."""
    import dataclasses
    import json

    data = {
        "sizes": sizes,
        "runs": ctx.runs,
        "started": started,
        "elapsed": elapsed,
        "argv": argv,
        "load_end": list(os.getloadavg()),
        "postgres": [ctx.binaries.version, ctx.binaries.source],
        "peers": ctx.peers.versions,
        "figures": [
            {"key": k, "n": n, **dataclasses.asdict(f)} for (k, n), f in ctx.figures.items()
        ],
        "verdicts": [{"tool": t, "n": n, "text": v} for (t, n), v in ctx.verdicts.items()],
        "notes": ctx.notes,
    }
    SAVED.parent.mkdir(exist_ok=True)
    SAVED.write_text(json.dumps(data, indent=1) + "\n")
    return SAVED


def saved() -> tuple[Any, list[int], str, float, list[str]]:
    """The last run's figures, as a stand-in context for `write()`."""
    import json
    from types import SimpleNamespace

    from bench.measure import Figure

    data = json.loads(SAVED.read_text())
    figures = {}
    for f in data["figures"]:
        key, n = f.pop("key"), f.pop("n")
        figures[(key, n)] = Figure(**f)
    version, source = data["postgres"]
    ctx = SimpleNamespace(
        runs=data["runs"],
        figures=figures,
        verdicts={(v["tool"], v["n"]): v["text"] for v in data["verdicts"]},
        notes=data["notes"],
        binaries=SimpleNamespace(version=version, source=source),
        peers=SimpleNamespace(versions=data["peers"], python=None),
        load_end=data["load_end"],
    )
    return ctx, data["sizes"], data["started"], data["elapsed"], data["argv"]
