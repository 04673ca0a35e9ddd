"""The migrator's connection cut in the middle of a backfill (issue 14, item 11).

`pg_terminate_backend` of the migrator's session while a batch runs: the run
fails with one line naming the step and the batch, as other steps' errors
name their line, and the server's reason (never asyncpg's "cannot call
Transaction.__aexit__()"); the rerun resumes after the last finished batch
and converges.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import time
from typing import TYPE_CHECKING

import asyncpg
from _rel import (
    assert_converged,
    assert_one_line_error,
    clean_env,
    fetch,
    make_project,
    query,
    run,
    spawn,
    studio,
    terminate_migrator,
    wait_for_migrator,
    write,
)

from studio.words import counted

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from studio.sources.devdb.cluster import Cluster

V1 = "20250101000001"
FILE = f"{V1}_backfill.sql"

# a batch of 100 rows sleeps fault.bf seconds a row while the fault is injected (1 s a batch:
# the cut lands inside a batch's UPDATE)
BACKFILL = """-- schema-studio:step
CREATE TABLE public.b (id int PRIMARY KEY, v int, w int);
INSERT INTO public.b SELECT g, g, NULL FROM generate_series(1, 2000) g;
CREATE FUNCTION public.slow(i int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_sleep(coalesce(nullif(current_setting('fault.bf', true), ''), '0')::float8);
    RETURN i;
END $$;
-- schema-studio:step
-- schema-studio:backfill
-- backfill public.b.w from v
-- backfill table=public.b key=id batch_size=100
UPDATE public.b SET w = public.slow(v) WHERE id >= $1 AND id <= $2 AND w IS NULL;
-- schema-studio:step
ALTER TABLE public.b ALTER COLUMN w SET NOT NULL;
"""


async def _batches_done(url: str, at_least: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = []
        with contextlib.suppress(asyncpg.UndefinedTableError):  # not created yet
            rows = await fetch(
                url, "SELECT batches FROM schema_studio.backfills WHERE version = $1", V1
            )
        if rows and rows[0][0] >= at_least:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the backfill did not finish {at_least} batches in {timeout}s")


@contextlib.contextmanager
def _reference(pg: Cluster, project: Path, cache: Path) -> Iterator[str]:
    """The same migration applied without a fault, on a database of its own."""
    name = f"ref_{os.getpid()}_{time.monotonic_ns() % 10**9}"
    url = str(run(pg.create_database(name)))
    try:
        r = studio("migrate", "--yes", cwd=project, env=clean_env(cache, DATABASE_URL=url))
        assert r.returncode == 0, r.stderr
        yield url
    finally:
        run(pg.drop_database(name))


def test_connection_cut_mid_backfill_names_the_step_and_batch_then_resumes(
    pg: Cluster, db_url: str, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "project", lock_timeout="2s")
    write(project / "migrations", V1, "backfill", BACKFILL)
    env = clean_env(tmp_path / "cache", DATABASE_URL=db_url)
    dbname = db_url.rsplit("/", 1)[1]
    query(db_url, f"ALTER DATABASE {dbname} SET fault.bf = '0.01'")

    proc = spawn("migrate", "--yes", cwd=project, env=env)
    try:
        run(_batches_done(db_url, 2))
        run(wait_for_migrator(db_url, "public.slow"))
        assert run(terminate_migrator(db_url)) >= 1
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    line = assert_one_line_error(
        result,
        f"lost the connection to the server (step 2 of {FILE}, batch ",
        "terminating connection due to administrator command",
        hint="resume at step 2",
    )
    assert "__aexit__" not in line
    batch = int(re.search(r", batch (\d+)\)", line)[1])  # type: ignore[index]
    # the batch named is the one cut: the one after the last recorded
    recorded = query(db_url, "SELECT batches FROM schema_studio.backfills WHERE version = $1", V1)
    assert recorded == [(batch - 1,)], (recorded, line)

    query(db_url, f"ALTER DATABASE {dbname} RESET fault.bf")
    r = studio("migrate", "--yes", cwd=project, env=env)
    assert r.returncode == 0, r.stderr
    assert f"resuming after {counted(batch - 1, 'batch')}" in r.stderr, r.stderr
    with _reference(pg, project, tmp_path / "cache") as reference:
        assert_converged(db_url, reference, [V1])
