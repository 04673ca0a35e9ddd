"""Every measure of the comparison, one method each, sharing one context.

The context holds the bench cluster (`bench-compare-pg<major>`, kept between
runs with the databases of bench/databases.py), the peers (bench/peers.py), a scratch folder with
the temp project (the models modules of bench/models.py) and our tool's own dev cluster:
`STUDIO_DEVDB_DIR` points into the scratch folder, so the dev server our processes start, reuse and
stop is the bench's, not a developer's.

Figures are stored under (measure key, N); correctness verdicts under
(tool, N). bench/diff.py runs the declared-vs-live subset, bench/__main__.py
all of them and writes the report.
"""

from __future__ import annotations

import asyncio
import compileall
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import databases, drizzle
from bench.changes import Item, Verdict, five, items_from_sql, judge, share
from bench.introspect import database_name, ensure_database, inspect_command
from bench.measure import (
    Figure,
    ProcessFailed,
    log,
    median_of,
    run_output,
    time_process,
    with_bytecode,
)
from bench.models import sqlalchemy_module
from bench.peers import SCRIPTS, peer_env
from studio.sources.devdb.binaries import PgBinaries, find_binaries
from studio.sources.devdb.cluster import Cluster
from studio.sources.devdb.lease import release, use_dev_cluster
from studio.sources.devdb.placement import clusters_root, tmpfs_parent
from studio.sources.devdb.servers import stop_dev_servers

if TYPE_CHECKING:
    from bench.changes import ChangeSet
    from bench.peers import Peers

DIFF_OK = (0, 2)  # 2: differences found


def psycopg2_url(url: str) -> str:
    """The same database for SQLAlchemy/migra through psycopg2.

    SQLAlchemy 2.1 defaults to psycopg 3.
    """
    return url.replace("postgresql://", "postgresql+psycopg2://", 1)


@dataclass
class Context:
    """What every measure needs; figures and verdicts collected as they come."""

    binaries: PgBinaries
    cluster: Cluster
    peers: Peers
    work: Path
    runs: int
    drizzle_cap: float = 90.0
    generate_cap: float = 240.0
    figures: dict[tuple[str, int], Figure] = field(default_factory=dict)
    verdicts: dict[tuple[str, int], str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    dev: Cluster | None = None
    dev_fd: int = -1  # use_dev_cluster's: this process uses the dev server (it stays up)

    # --- setup ---------------------------------------------------------------

    @property
    def project(self) -> Path:
        """The temp project holding the models modules."""
        return self.work / "project"

    @property
    def bindir(self) -> Path:
        """The PostgreSQL client binaries (pg_dump, psql)."""
        return self.binaries.bindir

    def ours_env(self, cache: Path, idle: float = 0.0) -> dict[str, str]:
        """Our processes' environment.

        The materialization cache at `cache`, the bench's dev cluster, and the dev server's
        idle timeout: 0 (each process stops the server it is the last to use, as before warm
        servers) unless said.
        """
        env = with_bytecode(os.environ)
        env["XDG_CACHE_HOME"] = str(cache)
        env["STUDIO_DEV_IDLE_TIMEOUT"] = f"{idle:g}"
        return env

    def models(self, n: int, cs: ChangeSet | None, name: str) -> str:
        """Write models package `name` (N tables, `cs` applied) into the project; its spec."""
        package = self.project / name
        if not (package / "__init__.py").is_file():
            package.mkdir(parents=True, exist_ok=True)
            (package / "__init__.py").write_text(sqlalchemy_module(n, cs))
            # compiled once for every tool, as a user's models are after their first import
            compileall.compile_dir(str(package), quiet=1)
        (self.project / "pyproject.toml").write_text('[tool.schema-studio]\nschema = "none:none"\n')
        return f"{name}:metadata"

    def dev_up(self) -> None:
        """Start our dev cluster, held up by this process (as a user) until `dev_down`."""
        if self.dev is None:
            self.dev, self.dev_fd = use_dev_cluster(self.binaries.major)

    def dev_down(self) -> None:
        """Stop our dev cluster and its reaper, whoever started it (a cold run starts it)."""
        if self.dev is not None:
            release(self.dev, self.dev_fd, 0)
            os.close(self.dev_fd)
            self.dev, self.dev_fd = None, -1
        stop_dev_servers()

    def fresh_cache(self) -> Path:
        """An empty cache folder: the next run of ours is cold."""
        cache = self.work / "cache-cold"
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir()
        return cache

    def put(self, key: str, n: int, fig: Figure) -> Figure:
        """Store a figure and log it."""
        self.figures[(key, n)] = fig
        rss = f", {fig.rss_mb:.0f} MB" if fig.rss_mb else ""
        log(f"  {key} N={n}: {fig.text()} (load {fig.load:.2f}{rss})")
        return fig

    def verdict(self, tool: str, n: int, v: Verdict, applied: str | None = None) -> None:
        """Store a correctness verdict (and the result of applying the tool's SQL)."""
        text = v.summary() + (f"; {applied}" if applied else "")
        self.verdicts[(tool, n)] = text
        log(f"  correctness {tool} N={n}: {text}")

    async def databases(self, n: int) -> tuple[str, str]:
        """URLs of the N-table database and its 5-change copy."""
        base = await ensure_database(self.cluster, n)
        changed = await databases.ensure_changed(self.cluster, five(n))
        return base, changed

    async def applied(self, n: int, script: str, target: str, label: str) -> str:
        """Apply a tool's SQL to a copy of the N-table database.

        Compared with `target` by pg_dump.
        """
        async with databases.copy_of(self.cluster, n, label) as url:
            error = await asyncio.to_thread(
                databases.apply_sql, str(self.bindir / "psql"), url, script
            )
            if error:
                return f"its SQL fails: {error}"
            lines = await asyncio.to_thread(
                databases.dump_difference, str(self.bindir / "pg_dump"), url, target
            )
        if not lines:
            return "applied to the old database, pg_dump equals the new one"
        return f"applied: pg_dump differs from the new one by {len(lines)} line(s): {lines[0][:80]}"

    # --- reading a catalog ---------------------------------------------------------

    def pg_dump(self, n: int, url: str) -> None:
        """`pg_dump --schema-only` (process)."""
        argv = [str(self.bindir / "pg_dump"), "--schema-only", "--dbname", url]
        self.put("pg_dump", n, time_process(argv, runs=self.runs))

    def inspect(self, n: int, url: str) -> None:
        """`schema-studio inspect --format json` (process)."""
        argv = [*inspect_command(), "inspect", "--db", url, "--format", "json"]
        env = self.ours_env(self.work / "cache-cached")
        self.put("inspect", n, time_process(argv, runs=self.runs, env=env))

    def reflect(self, n: int, url: str) -> None:
        """SQLAlchemy `MetaData.reflect()`: whole process, then 1st and 2nd call in-process."""
        py = str(self.peers.python)
        script = str(SCRIPTS / "reflect.py")
        u = psycopg2_url(url)
        self.put(
            "reflect_process",
            n,
            time_process([py, script, u, "process"], runs=self.runs, env=peer_env()),
        )
        out = self._peer_runs([py, script, u, "inprocess"])
        load = out[0]["_load"]
        self.put("reflect_first", n, median_of([o["first"] for o in out], load))
        self.put("reflect_second", n, median_of([o["second"] for o in out], load))
        self.put("reflect_first_cpu", n, median_of([o["first_cpu"] for o in out], load))

    def _peer_runs(self, argv: list[str], runs: int | None = None) -> list[dict[str, Any]]:
        """Run an in-process peer script `runs` times (fresh process each); their JSON outputs."""
        outs = []
        for _ in range(runs or self.runs):
            load = os.getloadavg()[0]
            out = json.loads(run_output(argv, env=peer_env()))
            out["_load"] = load
            outs.append(out)
        return outs

    # --- declared vs live -----------------------------------------------------------

    def alembic(
        self, n: int, base: str, cs: ChangeSet, module: str, base_module: str,
        *, key: str = "alembic", process: bool = True,
    ) -> None:  # fmt: skip
        """Alembic `compare_metadata`: process, in-process parts, verdict.

        The process times import + declare + compare.
        """
        py = str(self.peers.python)
        script = str(SCRIPTS / "alembic_compare.py")
        u, proj = psycopg2_url(base), str(self.project)
        mod, base_mod = module.split(":")[0], base_module.split(":")[0]
        if process:
            argv = [py, script, u, proj, mod, "process"]
            self.put(f"{key}_process", n, time_process(argv, runs=self.runs, env=peer_env()))
        out = self._peer_runs([py, script, u, proj, mod, "inprocess", base_mod])
        load = out[0]["_load"]
        self.put(f"{key}_first", n, median_of([o["first"] for o in out], load))
        self.put(f"{key}_nochange", n, median_of([o["nochange"] for o in out], load))
        self.put(f"{key}_declare", n, median_of([o["declare"] for o in out], load))
        self.put(f"{key}_first_cpu", n, median_of([o["first_cpu"] for o in out], load))
        items = [
            Item(i["kind"], i["table"], i.get("name", ""), i.get("detail", ""))
            for i in out[0]["items"]
        ]
        v = judge(items, cs)
        nochange = len(out[0]["nochange_items"])
        self.verdict(key, n, v, f"no-change check: {nochange} change(s) reported")

    def ours_declared(
        self, n: int, base: str, changed: str, cs: ChangeSet, module: str, *, key: str = "diff"
    ) -> None:
        """`schema-studio diff --db URL --to module:attr --format json` cold and cached; verdict."""
        argv = [*inspect_command(), "diff", "--db", base, "--to", module, "--format", "json"]
        cached = self.work / "cache-cached"
        # cold, as a first run is: no cached materialization, the dev server not running
        # (the process starts it, materializes, and stops it again)
        self.dev_down()
        cold_env: dict[str, str] = {}

        def cold() -> None:
            cold_env.update(self.ours_env(self.fresh_cache()))

        cold()
        self.put(
            f"{key}_cold",
            n,
            time_process(
                argv,
                runs=self.runs,
                env=cold_env,
                cwd=self.project,
                ok=DIFF_OK,
                before=cold,
                warmup=False,
            ),
        )
        # cold, dev server already up (another command of the session started it)
        self.dev_up()
        self.put(
            f"{key}_cold_up",
            n,
            time_process(
                argv,
                runs=self.runs,
                env=cold_env,
                cwd=self.project,
                ok=DIFF_OK,
                before=cold,
                warmup=False,
            ),
        )
        env = self.ours_env(cached)
        self.put(
            f"{key}_cached",
            n,
            # the warm-up run fills the cache: never a sample, however long it takes
            time_process(
                argv,
                runs=self.runs,
                env=env,
                cwd=self.project,
                ok=DIFF_OK,
                slow_warmup_counts=False,
            ),
        )
        out = json.loads(run_output(argv, env=env, cwd=self.project, ok=DIFF_OK))
        items = [i for c in out["changes"] for i in items_from_sql(";\n".join(c["sql"]))]
        sql = run_output([*argv[:-1], "sql"], env=env, cwd=self.project, ok=DIFF_OK)
        applied = asyncio.run(self.applied(n, sql, changed, "ours_declared"))
        self.verdict(key, n, judge(items, cs), f"{len(out['changes'])} changes; {applied}")

    def materialize(self, n: int, module: str) -> None:
        """`sources.load()` of the models timed inside a fresh process.

        Cold, cached, and in parts.
        """
        self.dev_up()  # the dev server is up: these rows time the materialization itself
        argv = [sys.executable, "-m", "bench.materialize_once", str(self.project), module]
        repo = Path(__file__).resolve().parent.parent

        def once(env: dict[str, str], mode: str) -> dict[str, Any]:
            out: dict[str, Any] = json.loads(run_output([*argv, mode], env=env, cwd=repo))
            return out

        load = os.getloadavg()[0]
        cold = [once(self.ours_env(self.fresh_cache()), "total") for _ in range(self.runs)]
        assert not any(o["cached"] for o in cold)
        self.put("materialize_cold", n, median_of([o["seconds"] for o in cold], load))
        env = self.ours_env(self.work / "cache-materialize")
        once(env, "total")  # fills the cache
        load = os.getloadavg()[0]
        cached = [once(env, "total") for _ in range(self.runs)]
        assert all(o["cached"] for o in cached)
        self.put("materialize_cached", n, median_of([o["seconds"] for o in cached], load))
        load = os.getloadavg()[0]
        parts = [once(env, "parts") for _ in range(self.runs)]
        for part in ("import", "compile", "createdb", "ddl", "introspect"):
            self.put(f"materialize_{part}", n, median_of([p[part] for p in parts], load))

    def pure_diff(self, n: int, url_a: str, url_b: str, cs: ChangeSet, key: str) -> None:
        """`diff()` alone (no I/O) on the two databases' Schemas, in-process; verdict on its SQL."""
        import asyncpg

        from studio.catalog.introspect import introspect
        from studio.diff import diff

        async def read(url: str) -> Any:
            conn = await asyncpg.connect(url)
            try:
                return await introspect(conn)
            finally:
                await conn.close()

        a, b = asyncio.run(read(url_a)), asyncio.run(read(url_b))
        load, samples = os.getloadavg()[0], []
        for i in range(self.runs + 1):
            started = time.perf_counter()
            changes = diff(a, b)
            if i:
                samples.append(time.perf_counter() - started)
        self.put(key, n, median_of(samples, load))
        items = [it for c in changes for it in items_from_sql(";\n".join(c.sql()))]
        self.verdict(key, n, judge(items, cs), f"{len(changes)} changes")

    # --- database to database ---------------------------------------------------------

    def migra(self, n: int, base: str, changed: str, cs: ChangeSet) -> None:
        """migra: CLI process, in-process Migration(); verdict (its SQL applied and compared)."""
        assert self.peers.python is not None
        cli = str(self.peers.python.with_name("migra"))
        a, b = psycopg2_url(base), psycopg2_url(changed)
        self.put(
            "migra_cli",
            n,
            time_process([cli, "--unsafe", a, b], runs=self.runs, env=peer_env(), ok=DIFF_OK),
        )
        out = self._peer_runs([str(self.peers.python), str(SCRIPTS / "migra_diff.py"), a, b])
        load = out[0]["_load"]
        self.put("migra_inprocess", n, median_of([o["seconds"] for o in out], load))
        self.put("migra_inprocess_cpu", n, median_of([o["cpu"] for o in out], load))
        sql = out[0]["sql"]
        applied = asyncio.run(self.applied(n, sql, changed, "migra"))
        self.verdict("migra", n, judge(items_from_sql(sql), cs), applied)

    def ours_db_to_db(self, n: int, base: str, changed: str, cs: ChangeSet) -> None:
        """`schema-studio diff --from URL --to URL --format sql`: process, in-process, verdict."""
        argv = [*inspect_command(), "diff", "--from", base, "--to", changed, "--format", "sql"]
        env = self.ours_env(self.work / "cache-cached")
        self.put("dbdb", n, time_process(argv, runs=self.runs, env=env, ok=DIFF_OK))
        from studio import config
        from studio.commands import diff as commands

        settings = config.load(self.work)
        load, samples = os.getloadavg()[0], []
        for i in range(self.runs + 1):
            started = time.perf_counter()
            asyncio.run(commands.diff_sources(settings, base, changed))
            if i:
                samples.append(time.perf_counter() - started)
        self.put("dbdb_inprocess", n, median_of(samples, load))
        sql = run_output(argv, env=env, ok=DIFF_OK)
        applied = asyncio.run(self.applied(n, sql, changed, "ours_dbdb"))
        self.verdict("dbdb", n, judge(items_from_sql(sql), cs), applied)

    # --- generate -------------------------------------------------------------------

    def ours_generate(self, n: int, cs: ChangeSet) -> None:
        """`schema-studio generate --dry-run`.

        Migrations (the N tables) against the changed models.
        """
        root = self.work / f"generate-n{n}"
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir()
        for name in (f"m{n}b", f"m{n}c"):
            shutil.copytree(self.project / name, root / name)
        env = self.ours_env(self.work / "cache-cached")
        (root / "pyproject.toml").write_text(f'[tool.schema-studio]\nschema = "m{n}b:metadata"\n')
        # the first migration (all N tables, from nothing) is itself a figure; it is capped
        # because it grows much faster than N (minutes at 1,000 tables on this machine)
        first = time_process(
            [*inspect_command(), "generate", "--name", "base"],
            runs=1, env=env, cwd=root, timeout=self.generate_cap, warmup=False,
        )  # fmt: skip
        self.put("generate_initial", n, first)
        if first.timed_out is not None:
            self.notes[f"generate N={n:,}"] = (
                f"`generate` of the first migration ({n:,} tables from an empty migrations folder)"
                f" was stopped at the {self.generate_cap:.0f} s cap, so `generate --dry-run` of the"
                " 5 changes on top of it could not be measured at this size"
            )
            return
        (root / "pyproject.toml").write_text(f'[tool.schema-studio]\nschema = "m{n}c:metadata"\n')
        argv = [*inspect_command(), "generate", "--name", "change", "--dry-run", "--format", "json"]
        self.put(
            "generate_cached",
            n,
            time_process(
                argv, runs=self.runs, env=env, cwd=root, ok=DIFF_OK, slow_warmup_counts=False
            ),
        )
        self.dev_down()
        cold_env: dict[str, str] = {}

        def cold() -> None:
            cold_env.update(self.ours_env(self.fresh_cache()))

        cold()
        self.put(
            "generate_cold",
            n,
            time_process(
                argv, runs=self.runs, env=cold_env, cwd=root, ok=DIFF_OK, before=cold, warmup=False
            ),
        )

    # --- drizzle -----------------------------------------------------------------------

    def drizzle(self, n: int, base: str, cs: ChangeSet, pull: bool = True) -> None:
        """drizzle-kit pull (capped) and generate (its diff), with a verdict on generate's SQL."""
        if self.peers.drizzle_kit() is None:
            self.notes["drizzle-kit"] = self.peers.problems.get("drizzle-kit", "not installed")
            return
        if pull:
            self.put(
                "drizzle_pull",
                n,
                drizzle.pull(self.peers, base, self.work, self.runs, self.drizzle_cap),
            )
        root = drizzle.project(self.peers, self.work, cs)
        self.put(
            "drizzle_generate",
            n,
            drizzle.generate(self.peers, root, self.runs, self.drizzle_cap * 2),
        )
        sql = drizzle.generated_sql(self.peers, root)
        self.verdict("drizzle_generate", n, judge(items_from_sql(sql), cs))


def make_context(
    runs: int, work: Path, peers: Peers, major: int | None, drizzle_cap: float
) -> Context:
    """The bench cluster started (or reused), our tool's dev clusters under `work`."""
    # our processes (and in-process loads) find their dev cluster here, not in a developer's folder
    # on tmpfs when there is room, as a user's dev cluster is
    # (studio.sources.devdb.lease.dev_cluster)
    devdir = (tmpfs_parent() or work) / f"schema-studio-bench-devdb-{os.getpid()}"
    os.environ["STUDIO_DEVDB_DIR"] = str(devdir)
    # as root, the dev server runs as another user, who must traverse the scratch folder
    work.chmod(0o711)
    devdir.mkdir(mode=0o711, parents=True, exist_ok=True)
    binaries = find_binaries(major)
    # a cluster of its own: other benches start and stop `bench-pg<major>` as they run
    name = f"bench-compare-pg{binaries.major}"
    cluster = Cluster.ensure(name, binaries, root=_bench_root())
    return Context(binaries, cluster, peers, work, runs, drizzle_cap)


def _bench_root() -> Path:
    """The default clusters folder (where bench/introspect.py keeps its cluster too)."""
    saved = os.environ.pop("STUDIO_DEVDB_DIR", None)
    try:
        return clusters_root()
    finally:
        if saved is not None:
            os.environ["STUDIO_DEVDB_DIR"] = saved


__all__ = ["Context", "ProcessFailed", "database_name", "five", "make_context", "share"]
