"""SIGKILL and SIGINT of `migrate` at random points of a multi-step run, then a rerun.

Each run applies three migrations to a fresh database — one transaction; a
step-by-step one with a trigger added then dropped (an expand/contract's sync
trigger), two concurrent index builds and a step outside a transaction; one
transaction again — and kills the migrator after a random delay with SIGKILL
or SIGINT. After each kill a rerun (`migrate --wait`) must converge: the
schema equal to a fault-free replay of the same migrations, every history row
finished, no invalid index, no trigger but the reference's.

The delays and signals come from `random.Random(seed)`: a failure names the
seed and the run, and `STUDIO_KILL_SEED=<seed>` replays the same sequence.
`test_kill_loop` runs 50 kills (marked slow); `test_kill_loop_ci` a handful.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from _rel import (
    assert_converged,
    clean_env,
    make_project,
    run,
    spawn,
    state_of,
    studio,
    write,
)

if TYPE_CHECKING:
    from studio.sources.devdb.cluster import Cluster

V1, V2, V3 = "20250201000001", "20250201000002", "20250201000003"
SEED = int(os.environ.get("STUDIO_KILL_SEED", "20250201"))

CREATE = """-- create k and a slow index expression
-- schema-studio:step
CREATE TABLE k (a int PRIMARY KEY, b text);
INSERT INTO k SELECT g, 'b' || g FROM generate_series(1, 200) g;
CREATE FUNCTION slow(i int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(0.002); RETURN i; END $$;
-- schema-studio:step
SELECT pg_sleep(0.1);
"""

STEPWISE = """-- expand, backfill, index, contract
-- schema-studio:step
-- add k.c
ALTER TABLE k ADD COLUMN c int;
-- schema-studio:step
-- a sync trigger while both columns live
CREATE FUNCTION k_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.c := NEW.a; RETURN NEW; END $$;
CREATE TRIGGER k_sync BEFORE INSERT OR UPDATE ON k FOR EACH ROW EXECUTE FUNCTION k_sync();
-- schema-studio:step
-- schema-studio:no-transaction
-- a slow concurrent build
CREATE INDEX CONCURRENTLY k_slow ON k (slow(a));
-- schema-studio:step
-- backfill
UPDATE k SET c = a WHERE c IS NULL;
SELECT pg_sleep(0.1);
-- schema-studio:step
-- schema-studio:no-transaction
SELECT pg_sleep(0.15);
-- schema-studio:step
-- schema-studio:no-transaction
CREATE INDEX CONCURRENTLY k_b ON k (b);
-- schema-studio:step
-- contract: the trigger goes
DROP TRIGGER k_sync ON k;
DROP FUNCTION k_sync();
"""

FINISH = """-- tighten
-- schema-studio:step
ALTER TABLE k ALTER COLUMN c SET NOT NULL;
-- schema-studio:step
CREATE TABLE k2 (id int PRIMARY KEY REFERENCES k (a));
SELECT pg_sleep(0.1);
"""

VERSIONS = [V1, V2, V3]
# how a killed migrator may end: finished before the signal, killed, or interrupted (SIGINT:
# 130 from the CLI; -SIGINT when CPython re-raises the signal at exit, which it does when the
# interrupt landed in code run by exec/eval, e.g. a dataclass being built while importing;
# 1 when it landed while the interpreter itself was starting: "Fatal Python error")
EXITS = {0, -signal.SIGKILL, -signal.SIGINT, 130, 1}


def _outcome(code: int, err: str, where: str) -> str:
    """What the killed run printed fits how it ended; the outcome's name."""
    if code == -signal.SIGKILL:
        return "killed"
    lines = err.rstrip().splitlines()
    if code == 0 or (lines and lines[-1].startswith("applied 3 migrations")):
        # done before the signal, or SIGINT while the finished process was exiting
        assert "Traceback" not in err, (where, err)
        return "finished first"
    if "Traceback" in err or "Fatal Python error" in err:
        # Ctrl-C before the command line took over (Python still starting or importing it):
        # Python's own report, before anything connected
        assert code in (1, -signal.SIGINT) and lines[-1] == "KeyboardInterrupt", (where, err)
        assert "studio/run/runner.py" not in err, (where, err)
        return "interrupted"
    assert lines and lines[-1] == "interrupted", (where, err)
    assert "internal error" not in err, (where, err)
    return "interrupted"


def _project(root: Path) -> Path:
    make_project(root, connect_timeout=5, lock_timeout="2s")
    for version, slug, text in (
        (V1, "create", CREATE),
        (V2, "stepwise", STEPWISE),
        (V3, "finish", FINISH),
    ):
        write(root / "migrations", version, slug, text)
    return root


class _Databases:
    """Fresh databases on a cluster, dropped at the end."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster, self.names = cluster, []

    def new(self, tag: str) -> str:
        name = f"kill_{tag}_{os.getpid()}_{len(self.names)}"
        self.names.append(name)
        return str(run(self.cluster.create_database(name)))

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with contextlib.suppress(Exception):
            run(self.cluster.drop_database(name))

    def close(self) -> None:
        for name in self.names:
            with contextlib.suppress(Exception):
                run(self.cluster.drop_database(name))


def kill_loop(pg: Cluster, tmp_path: Path, runs: int, seed: int) -> dict[str, int]:
    """Kill `runs` migrators at random points; every rerun must converge. Counts of outcomes."""
    project = _project(tmp_path / "project")
    cache = tmp_path / "cache"
    dbs = _Databases(pg)
    try:
        reference = dbs.new("ref")
        r = studio("migrate", "--yes", cwd=project, env=clean_env(cache, DATABASE_URL=reference))
        assert r.returncode == 0, r.stderr
        # how long a whole run takes once Python's caches are warm
        warm = dbs.new("warm")
        t0 = time.monotonic()
        r = studio("migrate", "--yes", cwd=project, env=clean_env(cache, DATABASE_URL=warm))
        span = time.monotonic() - t0
        assert r.returncode == 0, r.stderr
        dbs.drop(warm)
        rng = random.Random(seed)
        outcomes = {"killed": 0, "interrupted": 0, "finished first": 0, "resumed": 0}
        for i in range(runs):
            # a little past the whole run, so some signals land before the first connection
            # and some after the last commit
            delay = rng.uniform(0.0, span * 1.1)
            sig = rng.choice([signal.SIGKILL, signal.SIGINT])
            where = f"seed {seed}, run {i}: {sig.name} after {delay:.2f}s of {span:.2f}s"
            url = dbs.new("t")
            env = clean_env(cache, DATABASE_URL=url)
            proc = spawn("migrate", "--yes", cwd=project, env=env)
            try:
                time.sleep(delay)
                proc.send_signal(sig)
                _, err = proc.communicate(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()
            assert proc.returncode in EXITS, (where, proc.returncode, err)
            outcome = _outcome(proc.returncode, err, where)
            outcomes[outcome] += 1

            r = studio("migrate", "--yes", "--wait", "60", cwd=project, env=env)
            assert r.returncode == 0, (where, r.stderr)
            assert "Traceback" not in r.stderr, (where, r.stderr)
            outcomes["resumed"] += "resuming after step" in r.stderr
            try:
                assert_converged(url, reference, VERSIONS)
            except AssertionError as e:
                raise AssertionError(f"{where}: {e}; {run(state_of(url))}") from None
            dbs.drop(url)
        return outcomes
    finally:
        dbs.close()


def test_kill_loop_ci(pg: Cluster, tmp_path: Path) -> None:
    """A handful of kills (CI): the same loop as the slow test, on every server."""
    outcomes = kill_loop(pg, tmp_path, runs=8, seed=SEED)
    assert sum(v for k, v in outcomes.items() if k != "resumed") == 8


@pytest.mark.slow
def test_kill_loop(pg: Cluster, tmp_path: Path) -> None:
    """Fifty kills at random points; at least one of each kind of outcome."""
    outcomes = kill_loop(pg, tmp_path, runs=50, seed=SEED)
    print(f"kill loop, seed {SEED}: {outcomes}")
    assert outcomes["killed"] and outcomes["interrupted"] and outcomes["resumed"], outcomes
