"""Server processes: the environment they get, running a tool, pid files, fast shutdown."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio.errors import DevDbError

if TYPE_CHECKING:
    from collections.abc import Iterator

# The server's PATH: its tools are run by absolute path, so only the system's own folders.
_SERVER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_TZ = re.compile(r"[A-Za-z0-9_+\-/:]{1,64}")


def server_env() -> dict[str, str]:
    """The environment of every process we start, built from nothing.

    Never a filtered copy of the caller's: the dev server runs migration SQL as
    superuser, which can read its own environment (`COPY ... FROM PROGRAM 'env'`),
    and the caller's may hold DATABASE_URL with a production password, or
    PGPORT/PGDATA/PGOPTIONS that would steer our cluster.
    """
    env = {"PATH": _SERVER_PATH, "LC_ALL": "C", "LANG": "C"}
    if (tz := os.environ.get("TZ")) and _TZ.fullmatch(tz):
        # initdb writes the caller's zone into the cluster's config, as psql users expect
        env["TZ"] = tz
    return env


def run_tool(argv: list[str], user: str | None, cwd: Path) -> None:
    """Run a server tool (as `user` when root); DevDbError with its last output line."""
    env = server_env()
    tool = Path(argv[0]).name
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    # A file, not a pipe: the server started by pg_ctl could keep a pipe open.
    with tempfile.TemporaryFile("w+") as out:
        try:
            rc = subprocess.run(
                argv, check=False, stdout=out, stderr=out, cwd=cwd, env=env, timeout=120
            ).returncode
        except (OSError, subprocess.TimeoutExpired) as e:
            raise DevDbError(f"{tool} failed: {e}") from None
        out.seek(0)
        lines = out.read().strip().splitlines()
    if rc != 0:
        raise DevDbError(f"{tool} failed: {lines[-1] if lines else f'exit status {rc}'}")


@contextlib.contextmanager
def flock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (retaken if the file was unlinked meanwhile)."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                break
        os.close(fd)
    try:
        yield
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class PidFile:
    """What a running server's postmaster.pid says."""

    pid: int
    port: int
    socket_dir: str
    status: str


def _read_pidfile(datadir: Path) -> PidFile | None:
    try:  # lines: pid, datadir, start time, port, socket dir, listen addr, shmem key, status
        lines = (datadir / "postmaster.pid").read_text().splitlines()
        return PidFile(int(lines[0]), int(lines[3]), lines[4], lines[7].strip())
    except (OSError, IndexError, ValueError):
        return None


def _is_postgres(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:  # after a reboot the pid may belong to anything
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return True
    return os.path.basename(argv0) in (b"postgres", b"postmaster") or argv0.startswith(b"postgres:")


def running_server(datadir: Path) -> PidFile | None:
    """The pid file of the server running on `datadir` (ready or not), without waiting."""
    if (info := _read_pidfile(datadir)) is None or not _is_postgres(info.pid):
        return None
    return info


def _answers(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def wait_running(datadir: Path, host: str, timeout: float = 30) -> PidFile | None:
    """The pid file of the server running on `datadir`, or None (stale file removed)."""
    deadline = time.monotonic() + timeout
    while (info := _read_pidfile(datadir)) is not None:
        if not _is_postgres(info.pid):
            # a recycled pid: postgres would refuse to start over this file
            (datadir / "postmaster.pid").unlink(missing_ok=True)
            return None
        if info.status == "ready" and _answers(host, info.port):
            return info
        if time.monotonic() > deadline:
            raise DevDbError(
                f"server pid {info.pid} holds {datadir} but does not answer on port {info.port}"
            )
        time.sleep(0.05)  # starting up, or shutting down
    return None


def log_tail(log: Path, offset: int) -> str:
    """The line of the server log, past `offset`, that best says why it stopped."""
    with contextlib.suppress(OSError), log.open("rb") as f:
        f.seek(offset)
        lines = f.read().decode(errors="replace").splitlines()[-30:]
        errors = [ln for ln in lines if "FATAL" in ln or "could not" in ln]
        return (errors or lines or [""])[-1].strip()
    return ""


def shutdown(datadir: Path) -> None:
    """Fast shutdown, as `pg_ctl stop -m fast -w`: SIGINT, then wait for the pid file to go."""
    # Signalling needs no binaries: a cached copy of them may have been cleaned from /tmp.
    if (info := _read_pidfile(datadir)) is None or not _is_postgres(info.pid):
        return
    try:
        os.kill(info.pid, signal.SIGINT)
    except PermissionError:
        raise DevDbError(f"server pid {info.pid} of {datadir} belongs to another user") from None
    deadline = time.monotonic() + 60
    while _read_pidfile(datadir) is not None and _is_postgres(info.pid):
        if time.monotonic() > deadline:
            raise DevDbError(f"server pid {info.pid} of {datadir} did not stop within 60 s")
        time.sleep(0.02)
    if Path(info.socket_dir).name.startswith("sst-"):
        shutil.rmtree(info.socket_dir, ignore_errors=True)
