"""A migrator stopped (SIGSTOP) in a transaction stalls the application for its idle limit.

The migrator takes ACCESS EXCLUSIVE on a table, then is stopped while its
step sleeps; its session goes idle in the transaction, holding the lock, and
an application session queues behind it. `idle_in_transaction_timeout` (2 s
here) has the server end the migrator's session, which releases the lock:
the application's longest wait stays under the limit plus one second. The
woken migrator fails with one line naming the step and the limit, and a
rerun converges. (Issue 14, item 4.)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from typing import TYPE_CHECKING

import asyncpg
from _rel import (
    MIGRATOR,
    assert_converged,
    assert_one_line_error,
    clean_env,
    fetch,
    make_project,
    run,
    spawn,
    studio,
    wait_for_migrator,
    write,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from studio.sources.devdb.cluster import Cluster

V1, V2 = "20250101000001", "20250101000002"
IDLE = 2.0
# how long the migrator stays stopped: well past the limit
FROZEN = 6.0

TABLE = """-- schema-studio:step
CREATE TABLE public.t (id int PRIMARY KEY);
INSERT INTO public.t SELECT generate_series(1, 100);
"""
HOLD = """-- schema-studio:step
-- hold the table, work a while, change it
LOCK TABLE public.t IN ACCESS EXCLUSIVE MODE;
SELECT pg_sleep(1);
ALTER TABLE public.t ADD COLUMN c int;
"""


async def _idle_in_transaction(url: str, timeout: float = 30) -> None:
    """Wait until the (stopped) migrator's session sits idle in its transaction."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = await fetch(
            url,
            "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 "
            "AND datname = current_database() AND state = 'idle in transaction'",
            MIGRATOR,
        )
        if rows:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the migrator never sat idle in its transaction")


async def _application(url: str, duration: float) -> float:
    """Read the table again and again for `duration` seconds; the longest single wait."""
    conn = await asyncpg.connect(url, server_settings={"application_name": "app"})
    longest, end = 0.0, time.monotonic() + duration
    try:
        while time.monotonic() < end:
            t0 = time.monotonic()
            try:
                await conn.fetchval("SELECT count(*) FROM public.t", timeout=FROZEN + 2)
            except TimeoutError:
                pass  # still blocked: the wait is what counts
            longest = max(longest, time.monotonic() - t0)
            await asyncio.sleep(0.01)
    finally:
        conn.terminate()
    return longest


@contextlib.contextmanager
def _reference(pg: Cluster, project: Path, cache: Path) -> Iterator[str]:
    """The same migrations applied without a fault, on a database of their own."""
    name = f"ref_{os.getpid()}_{time.monotonic_ns() % 10**9}"
    url = str(run(pg.create_database(name)))
    try:
        r = studio("migrate", "--yes", cwd=project, env=clean_env(cache, DATABASE_URL=url))
        assert r.returncode == 0, r.stderr
        yield url
    finally:
        run(pg.drop_database(name))


def test_stopped_migrator_stalls_the_application_no_longer_than_its_idle_limit(
    pg: Cluster, db_url: str, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "project", idle_in_transaction_timeout=f"{IDLE:g}s")
    write(project / "migrations", V1, "table", TABLE)
    write(project / "migrations", V2, "hold", HOLD)
    env = clean_env(tmp_path / "cache", DATABASE_URL=db_url)
    assert studio("migrate", "--yes", "--to", V1, cwd=project, env=env).returncode == 0

    proc = spawn("migrate", "--yes", cwd=project, env=env)
    try:
        run(wait_for_migrator(db_url, "pg_sleep"))
        os.kill(proc.pid, signal.SIGSTOP)
        stopped = time.monotonic()
        run(_idle_in_transaction(db_url))
        longest = run(_application(db_url, IDLE + 2))
        time.sleep(max(0.0, FROZEN - (time.monotonic() - stopped)))
        gone = not run(
            fetch(db_url, "SELECT 1 FROM pg_stat_activity WHERE application_name = $1", MIGRATOR)
        )
        os.kill(proc.pid, signal.SIGCONT)
        out, err = proc.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGCONT)
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    print(
        f"idle limit {IDLE:g}s, migrator stopped {FROZEN:g}s:"
        f" longest application wait {longest:.2f}s"
    )
    assert longest < IDLE + 1, f"the application waited {longest:.1f}s behind the stopped migrator"
    assert gone, "the stopped migrator's session outlived its idle limit"
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    # nor asyncio's report of a future asyncpg left failing unseen
    assert "never retrieved" not in err, err
    assert_one_line_error(
        result,
        f"lost the connection to the server (step 1 of {V2}_hold.sql, line ",
        "idle in its transaction while this process was stopped for",
        f"idle_in_transaction_timeout ({IDLE:g}s)",
        hint="rolled back",
    )

    r = studio("migrate", "--yes", cwd=project, env=env)
    assert r.returncode == 0, r.stderr
    with _reference(pg, project, tmp_path / "cache") as reference:
        assert_converged(db_url, reference, [V1, V2])
