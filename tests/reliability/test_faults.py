"""Faults in the middle of `migrate`, each a real process against real PostgreSQL.

- the server restarted (`pg_ctl restart -m fast`, on a cluster of this
  module's own) and the migrator's backend terminated (`pg_terminate_backend`)
  during a transactional migration, a non-transactional step and a
  concurrent index build: the run fails with one line naming the step, and a
  rerun converges (schema equal to a fault-free replay, history finished, no
  invalid index);
- statement_timeout hit by a long step: rolled back, the message names the
  step and the limit;
- the disk full, or the folder read-only, while writing migration files:
  nothing half-written (no orphan file, no temp file, the sum intact).

The long steps sleep only while a test sets a custom setting on the target
database (`ALTER DATABASE ... SET fault.*`), so the rerun and the reference
replay are fast.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from _rel import (
    assert_converged,
    assert_one_line_error,
    clean_env,
    make_project,
    private_cluster,
    query,
    restart,
    run,
    snapshot_files,
    spawn,
    studio,
    terminate_migrator,
    wait_for_migrator,
    wait_until_gone,
    write,
)

from studio.migrations import files as migrations

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from studio.sources.devdb.cluster import Cluster

V1, V2 = "20250101000001", "20250101000002"


def _sleep(setting: str, scale: str = "") -> str:
    seconds = f"coalesce(nullif(current_setting('fault.{setting}', true), ''), '0')::float8"
    return f"pg_sleep({seconds}{scale})"


TRANSACTIONAL = f"""-- schema-studio:step
-- create and fill t1
CREATE TABLE t1 (id int PRIMARY KEY, note text);
INSERT INTO t1 SELECT g, 'n' || g FROM generate_series(1, 1000) g;
-- schema-studio:step
-- the long step
SELECT {_sleep("tx")};
-- schema-studio:step
CREATE TABLE t2 (id int REFERENCES t1);
"""

STEPWISE = f"""-- schema-studio:step
CREATE TABLE s (a int, b text);
INSERT INTO s SELECT g, 'b' || g FROM generate_series(1, 200) g;
CREATE FUNCTION slow(i int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN PERFORM {_sleep("slow", " / 100")}; RETURN i; END $$;
-- schema-studio:step
-- schema-studio:no-transaction
-- the long step, outside a transaction
SELECT {_sleep("step")};
-- schema-studio:step
-- schema-studio:no-transaction
-- a slow concurrent build
CREATE INDEX CONCURRENTLY s_slow ON s (slow(a));
-- schema-studio:step
ALTER TABLE s ADD COLUMN c int;
CREATE TRIGGER s_touch BEFORE UPDATE ON s \
FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
"""

# where the fault lands: (GUC to make long, migrations on disk, statement to wait for,
# failing version, failing step, steps recorded after the fault)
CASES = {
    "transactional": ("tx", (V1,), "pg_sleep", V1, 2, None),
    "non-transactional": ("step", (V1, V2), "fault.step", V2, 2, 1),
    "concurrent-index": ("slow", (V1, V2), "CREATE INDEX CONCURRENTLY s_slow", V2, 3, 2),
}
SOURCES = {V1: ("transactional", TRANSACTIONAL), V2: ("stepwise", STEPWISE)}


def _project(root: Path, versions: tuple[str, ...]) -> Path:
    make_project(root, connect_timeout=5, lock_timeout="2s")
    for v in versions:
        write(root / "migrations", v, *SOURCES[v])
    return root


_CREATED: list[tuple[Cluster, str]] = []


def _database(cluster: Cluster, tag: str) -> str:
    name = f"f_{tag}_{os.getpid()}_{time.monotonic_ns() % 10**9}"
    _CREATED.append((cluster, name))
    return str(run(cluster.create_database(name)))


@pytest.fixture(autouse=True)
def _drop_databases() -> Iterator[None]:
    yield
    while _CREATED:
        cluster, name = _CREATED.pop()
        with contextlib.suppress(Exception):
            run(cluster.drop_database(name))


def _reference(cluster: Cluster, project: Path, cache: Path) -> str:
    """The same migrations applied without any fault, on a database of their own."""
    url = _database(cluster, "ref")
    r = studio("migrate", "--yes", cwd=project, env=clean_env(cache, DATABASE_URL=url))
    assert r.returncode == 0, r.stderr
    return url


def _fault_then_rerun(
    cluster: Cluster, tmp_path: Path, case: str, inject: Callable[[str], None]
) -> None:
    setting, versions, fragment, failing, step, recorded = CASES[case]
    project = _project(tmp_path / "project", versions)
    cache = tmp_path / "cache"
    url = _database(cluster, "t")
    dbname = url.rsplit("/", 1)[1]
    query(url, f"ALTER DATABASE {dbname} SET fault.{setting} = '30'")
    env = clean_env(cache, DATABASE_URL=url)

    proc = spawn("migrate", "--yes", cwd=project, env=env)
    try:
        run(wait_for_migrator(url, fragment))
        time.sleep(0.3)
        t0 = time.monotonic()
        inject(url)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert time.monotonic() - t0 < 30, "the migrator did not notice the fault promptly"
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    filename = f"{failing}_{SOURCES[failing][0]}.sql"
    line = assert_one_line_error(
        result, "lost the connection to the server", f"step {step} of {filename}"
    )
    assert "cannot connect" not in line
    if recorded:
        assert f"resume at step {step}" in err, err

    # what the fault left: the transactional migration not
    # at all, the stepwise one up to its last recorded step
    run(wait_until_gone(url))
    rows = query(
        url,
        "SELECT version, steps_done, finished_at IS NULL FROM schema_studio.migrations ORDER BY 1",
    )
    expected = [(V1, 3, False)] if failing == V2 else []
    if recorded is not None:
        expected.append((V2, recorded, True))
    assert rows == expected
    if failing == V1:
        assert query(url, "SELECT to_regclass('t1')") == [(None,)]

    query(url, f"ALTER DATABASE {dbname} RESET fault.{setting}")
    r = studio("migrate", "--yes", cwd=project, env=env)
    assert r.returncode == 0, r.stderr
    if recorded:
        assert f"resuming after step {recorded}" in r.stderr, r.stderr
    if case == "concurrent-index":
        assert "dropped invalid index" in r.stderr and "s_slow" in r.stderr, r.stderr
    assert_converged(url, _reference(cluster, project, cache), list(versions))
    # and a third run has nothing to do
    r = studio("migrate", "--yes", cwd=project, env=env)
    assert r.returncode == 0 and "up to date" in r.stderr, r.stderr


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[Cluster]:
    """A cluster of this module's own: restarting it hits no other test."""
    with private_cluster("restart") as cluster:
        yield cluster


@pytest.mark.parametrize("case", list(CASES))
def test_server_restart_mid_migration(own_cluster: Cluster, tmp_path: Path, case: str) -> None:
    _fault_then_rerun(own_cluster, tmp_path, case, lambda url: restart(own_cluster))


@pytest.mark.parametrize("case", list(CASES))
def test_backend_terminated_mid_step(pg: Cluster, tmp_path: Path, case: str) -> None:
    def terminate(url: str) -> None:
        assert run(terminate_migrator(url)) >= 1

    _fault_then_rerun(pg, tmp_path, case, terminate)


# --- statement_timeout ----------------------------------------------------------------------------


def test_statement_timeout_rolls_back_and_names_step_and_limit(db_url: str, tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", statement_timeout="300ms")
    write(project / "migrations", V1, *SOURCES[V1])
    env = clean_env(tmp_path / "cache", DATABASE_URL=db_url)
    dbname = db_url.rsplit("/", 1)[1]

    # a transactional migration: nothing of it stays
    query(db_url, f"ALTER DATABASE {dbname} SET fault.tx = '5'")
    t0 = time.monotonic()
    r = studio("migrate", "--yes", cwd=project, env=env)
    assert time.monotonic() - t0 < 4.5
    assert_one_line_error(
        r, f"step 2 of {V1}_transactional.sql", "statement_timeout (300ms)", hint="rolled back"
    )
    assert query(db_url, "SELECT to_regclass('t1')") == [(None,)]
    assert query(db_url, "SELECT count(*) FROM schema_studio.migrations") == [(0,)]
    query(db_url, f"ALTER DATABASE {dbname} RESET fault.tx")
    assert studio("migrate", "--yes", cwd=project, env=env).returncode == 0

    # a step outside a transaction: the steps before
    # it stay recorded, the session settings are reset
    write(project / "migrations", V2, *SOURCES[V2])
    query(db_url, f"ALTER DATABASE {dbname} SET fault.step = '5'")
    r = studio("migrate", "--yes", cwd=project, env=env)
    assert_one_line_error(r, f"step 2 of {V2}_stepwise.sql", "statement_timeout (300ms)")
    assert "resume at step 2" in r.stderr
    assert query(
        db_url, f"SELECT steps_done FROM schema_studio.migrations WHERE version = '{V2}'"
    ) == [(1,)]

    # a concurrent index build cancelled half-way leaves
    # an invalid index: the rerun drops and rebuilds it
    query(db_url, f"ALTER DATABASE {dbname} RESET fault.step")
    query(db_url, f"ALTER DATABASE {dbname} SET fault.slow = '30'")
    r = studio("migrate", "--yes", cwd=project, env=env)
    assert_one_line_error(r, f"step 3 of {V2}_stepwise.sql", "statement_timeout (300ms)")
    assert query(
        db_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('s_slow')"
    ) == [(False,)]
    query(db_url, f"ALTER DATABASE {dbname} RESET fault.slow")
    r = studio("migrate", "--yes", cwd=project, env=env)
    assert r.returncode == 0 and "dropped invalid index" in r.stderr, r.stderr
    assert query(db_url, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(0,)]
    assert query(
        db_url,
        "SELECT version, steps_done, finished_at"
        " IS NOT NULL FROM schema_studio.migrations ORDER BY 1",
    ) == [(V1, 3, True), (V2, 4, True)]


# --- writing migration files: disk full, read-only folder -----------------------------------------

DECLARED = "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);\n"


def _mount(*argv: str) -> None:
    subprocess.run(["mount", *argv], check=True, capture_output=True, timeout=30)


@contextlib.contextmanager
def _mounted(target: Path, *argv: str) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs or a read-only bind needs root")
    target.mkdir(parents=True, exist_ok=True)
    _mount(*argv, str(target))
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False, capture_output=True, timeout=30)


def _fill(folder: Path, leave_pages: int) -> Path:
    """Fill the filesystem of `folder` until `leave_pages` blocks are free."""
    filler = folder / "filler.bin"
    filler.unlink(missing_ok=True)
    st = os.statvfs(folder)
    size = max(0, (st.f_bavail - leave_pages) * st.f_frsize)
    with filler.open("wb") as f, contextlib.suppress(OSError):
        f.write(b"\0" * size)
    return filler


def _assert_intact(migrations_dir: Path, before: dict[str, bytes]) -> None:
    """Exactly the files that were there, byte for byte: no orphan, no temp file, sum intact."""
    assert snapshot_files(migrations_dir) == before
    migrations.verify_sum(migrations_dir)


def _populate(root: Path, dev_url: str) -> None:
    make_project(root, schema="schema.sql", dev_url=dev_url)
    (root / "schema.sql").write_text(DECLARED)
    write(root / "migrations", V1, "first", "CREATE TABLE first (a int);\n")


@pytest.mark.parametrize("free_pages", [0, 1])
def test_disk_full_while_writing_migration_files(
    tmp_path: Path, pg: Cluster, free_pages: int
) -> None:
    """0 free blocks: the migration's temp file fails.

    1: the migration fits, then the sum does not.
    """
    cache = tmp_path / "cache"
    with _mounted(tmp_path / "disk", "-t", "tmpfs", "-o", "size=64k", "tmpfs") as disk:
        root = disk / "project"
        _populate(root, pg.url())
        mdir = root / "migrations"
        before = snapshot_files(mdir)
        env = clean_env(cache)
        _fill(disk, free_pages)
        for args in (("new", "add_things"), ("generate", "--name", "items")):
            r = studio(*args, cwd=root, env=env)
            assert_one_line_error(r, "No space left on device", hint="free space")
            _assert_intact(mdir, before)
        # hash rewrites the sum through a temp file: the old sum survives a full disk
        (disk / "filler.bin").unlink()
        (mdir / f"{V2}_by_hand.sql").write_text("CREATE TABLE by_hand (a int);\n")
        before = snapshot_files(mdir)
        _fill(disk, 0)
        r = studio("hash", cwd=root, env=env)
        assert_one_line_error(r, "No space left on device")
        assert snapshot_files(mdir) == before
        # room again: the same commands succeed and leave a consistent directory
        (disk / "filler.bin").unlink()
        assert studio("hash", cwd=root, env=env).returncode == 0
        r = studio("generate", "--name", "items", cwd=root, env=env)
        assert r.returncode == 0, r.stderr
        migrations.verify_sum(mdir)
        assert len(migrations.load_directory(mdir)) == 3


def test_read_only_migrations_folder(tmp_path: Path, pg: Cluster) -> None:
    root = tmp_path / "project"
    _populate(root, pg.url())
    mdir = root / "migrations"
    before = snapshot_files(mdir)
    env = clean_env(tmp_path / "cache")
    with _mounted(mdir, "--bind", str(mdir)):
        _mount("-o", "remount,bind,ro", str(mdir))
        for args in (("new", "add_things"), ("generate", "--name", "items"), ("hash",)):
            r = studio(*args, cwd=root, env=env)
            assert_one_line_error(r, "Read-only file system", hint="permissions")
            _assert_intact(mdir, before)
