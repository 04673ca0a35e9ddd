"""The warm dev server: kept up after a command, reused, shown, stopped by `dev stop` or its reaper.

On the embedded server only (the lifecycle does not differ across majors), in
a clusters folder of each test's own; everything started here is stopped.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from studio.sources.devdb.cluster import discard
from studio.sources.devdb.idle import mark_idle, reaper_pid, server_of
from studio.sources.devdb.lease import release, stop_stale, use_dev_cluster
from studio.sources.devdb.placement import clusters_root, tmpfs_parent
from studio.sources.devdb.process import flock, shutdown

if TYPE_CHECKING:
    from collections.abc import Iterator

    from studio.sources.devdb.cluster import Cluster


@pytest.fixture
def dev_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A clusters folder of the test's own; its dev servers and reapers are stopped after."""
    parent = Path(tempfile.mkdtemp(prefix="ss-warm-", dir=tmpfs_parent()))
    parent.chmod(0o711)  # as root, the server's user must traverse it
    monkeypatch.setenv("STUDIO_DEVDB_DIR", str(parent))
    root = clusters_root()
    try:
        yield root
    finally:
        for home in root.glob("dev-pg*"):
            if home.is_dir():
                discard(home.name, root)
        shutil.rmtree(parent, ignore_errors=True)


def _alive(pid: int | None) -> bool:
    """Whether `pid` runs (a zombie, exited and not yet waited for by init, does not)."""
    try:
        return pid is not None and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _reaper(root: Path, name: str) -> int | None:
    """The reaper of `name`, given the moment it takes to start."""
    deadline = time.monotonic() + 30
    while (pid := reaper_pid(root, name)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return pid


def _studio(project: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(project / "cache")}
    env["STUDIO_DEV_IDLE_TIMEOUT"] = str(timeout)
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def test_a_command_leaves_the_server_warm_for_the_next_until_stopped(
    dev_root: Path, tmp_path: Path
) -> None:
    """`diff` keeps it up, the next `diff` (cache miss) reuses it, `dev status` shows it, `dev
    stop` stops it and its reaper."""
    (tmp_path / "pyproject.toml").write_text("[tool.schema-studio]\n")
    (tmp_path / "a.sql").write_text("CREATE TABLE t (id int PRIMARY KEY);\n")
    (tmp_path / "b.sql").write_text("CREATE TABLE t (id int PRIMARY KEY, n text);\n")
    diff = ("diff", "--from", "a.sql", "--to", "b.sql")
    first = _studio(tmp_path, *diff, timeout=60)
    assert first.returncode == 2, first.stderr
    shown = _studio(tmp_path, "dev", "status", "--format", "json", timeout=60)
    [server] = json.loads(shown.stdout)["servers"]
    pid, reaper = server["pid"], _reaper(dev_root, server["name"])
    assert server["running"] and _alive(pid) and _alive(reaper)
    assert server["data_dir"] == str(dev_root / server["name"] / "data")
    assert server["users"] == 0 and 0 < server["stops_in_seconds"] <= 60
    # the next command, its declared side changed (no cached materialization), reuses it
    (tmp_path / "b.sql").write_text("CREATE TABLE t (id bigint PRIMARY KEY);\n")
    second = _studio(tmp_path, *diff, timeout=60)
    assert second.returncode == 2, second.stderr
    assert "bigint" in second.stdout
    text = _studio(tmp_path, "dev", "status", timeout=60).stdout
    assert f"running, pid {pid}, port {server['port']}" in text and "stops in" in text
    assert reaper_pid(dev_root, server["name"]) == reaper  # one reaper, still the same
    stop = _studio(tmp_path, "dev", "stop", timeout=60)
    assert (
        stop.returncode == 0 and f"stopped dev server {server['name']} (pid {pid})" in stop.stderr
    )
    assert not _alive(pid) and not _alive(reaper)
    again = _studio(tmp_path, "dev", "stop", timeout=60)
    assert again.returncode == 0 and "no dev server was running" in again.stderr


def _pid(cluster: Cluster) -> int:
    info = server_of(cluster.home.parent, cluster.name)
    assert info is not None
    return info.pid


def test_reuse_is_quick_other_binaries_restart_and_a_stop_in_progress_is_waited_for(
    dev_root: Path,
) -> None:
    """What a command does with the dev server, in-process: reuse (quicker than a start), a
    restart for other binaries, the wait behind a reaper stopping it, the stop at a timeout
    of 0, the backstop of a dead reaper, and the reaper's stop after a second."""
    started = time.perf_counter()
    cold, fd = use_dev_cluster()
    cold_s = time.perf_counter() - started
    assert cold.started_by_us
    first = _pid(cold)
    release(cold, fd, 60)
    os.close(fd)
    reaper = _reaper(dev_root, cold.name)
    assert _alive(reaper)
    # detached, with an environment built from nothing (never the caller's DATABASE_URL)
    environ = Path(f"/proc/{reaper}/environ").read_bytes().split(b"\0")
    assert {e.partition(b"=")[0] for e in environ if e} <= {b"PATH", b"LC_ALL", b"LANG", b"TZ"}
    assert os.getsid(reaper) == reaper
    started = time.perf_counter()
    warm, fd = use_dev_cluster()
    warm_s = time.perf_counter() - started
    assert not warm.started_by_us and _pid(warm) == first and warm.port == cold.port
    assert warm_s < cold_s / 2, (warm_s, cold_s)
    release(warm, fd, 60)
    os.close(fd)
    # a warm server of other binaries (another build of the major) is not reused
    home = cold.home
    (home / "server.json").write_text(json.dumps({"bindir": "/elsewhere/bin", "version": "0.1"}))
    other, fd = use_dev_cluster()
    second = _pid(other)
    assert other.started_by_us and second != first and not other.other_binaries
    assert json.loads((home / "server.json").read_text())["bindir"] == str(other.bindir)
    assert not _alive(reaper)  # it went with the server it was to stop
    release(other, fd, 60)
    os.close(fd)
    # a command coming while the reaper stops the server (it holds `.users` exclusively)
    # waits, then starts the server again
    users = os.open(dev_root / f"{other.name}.users", os.O_RDWR)
    fcntl.flock(users, fcntl.LOCK_EX)
    with ThreadPoolExecutor(1) as pool:
        coming = pool.submit(use_dev_cluster)
        time.sleep(0.3)
        assert not coming.done()
        with flock(dev_root / f"{other.name}.lock"):
            shutdown(other.datadir)
        os.close(users)
        last, fd = coming.result(timeout=120)
    assert last.started_by_us and _pid(last) != second
    # a timeout of 0: the last user stops it at once, and its reaper with it
    release(last, fd, 0)
    os.close(fd)
    assert server_of(dev_root, last.name) is None
    assert reaper_pid(dev_root, last.name) is None
    # the backstop of a reaper that died (killed, OOM): a command taking another dev server
    # stops this one once it is idle past its deadline
    stale, fd = use_dev_cluster()
    release(stale, fd, 60)
    os.close(fd)
    dead = _reaper(dev_root, stale.name)
    assert dead is not None
    os.kill(dead, signal.SIGKILL)
    while _alive(dead):
        time.sleep(0.01)
    stop_stale(dev_root, "dev-pg0")
    assert server_of(dev_root, stale.name) is not None  # not idle for 60 s yet
    mark_idle(dev_root, stale.name, 0)
    stop_stale(dev_root, "dev-pg0")
    assert server_of(dev_root, stale.name) is None
    # a timeout of a second: the server is left up, and its reaper stops it soon after
    short, fd = use_dev_cluster()
    release(short, fd, 1)
    os.close(fd)
    assert server_of(dev_root, short.name) is not None
    reaper = _reaper(dev_root, short.name)
    assert _alive(reaper)
    deadline = time.monotonic() + 30
    while (_alive(reaper) or server_of(dev_root, short.name)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server_of(dev_root, short.name) is None and not _alive(reaper)
