"""The warm dev server: since when it is idle, for how long it may stay so, and its reaper.

Beside each dev cluster `<name>` in the clusters folder:

- `<name>.users`: every process using the server holds a shared flock on it
  (`lease.use_dev_cluster`); the server is only ever stopped under its
  exclusive lock, so never under a command.
- `<name>.idle`: written by each command as it gives the server back, while
  it still holds its shared lock: when that was and the command's
  `dev_idle_timeout`. The last command to finish decides.
- `<name>.reaper`: the reaper's own flock (who holds it is read in
  /proc/locks). The reaper is a small detached process (`reaper.py`, a
  session of its own, an environment built from nothing) that sleeps until
  the idle deadline, then stops the server under the exclusive lock when no
  command came meanwhile.

The postmaster cannot stop itself when idle, and a command cannot wait 15
minutes to do it: hence the reaper. If a reaper dies (killed, OOM), the next
command of any major stops the servers idle past their deadline with no
reaper (`lease.stop_stale`), and starts a reaper for its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from studio.sources.devdb.process import PidFile, running_server, server_env

# the reaper's command line carries this, so a pid read from its file is known to be one
REAPER_MARK = "studio-dev-reaper"
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from studio.sources.devdb.reaper import main; main(sys.argv[2], sys.argv[3])"
)
# where `studio` is imported from: the reaper runs the same code as the command that starts it
_SOURCE = Path(__file__).resolve().parents[3]
# reapers this process spawned and has not waited for yet (each is reaped once it exits):
# pid -> (clusters folder, cluster name)
_spawned: dict[int, tuple[Path, str]] = {}


@dataclass(frozen=True, slots=True)
class Idle:
    """When the last command gave the server back, and its idle timeout in seconds."""

    since: float  # time.time()
    timeout: float

    @property
    def until(self) -> float:
        """When the server is to stop, unless a command comes first."""
        return self.since + self.timeout


def mark_idle(root: Path, name: str, timeout: float) -> None:
    """Say the server is idle from now, to stop after `timeout` seconds (written whole)."""
    text = json.dumps({"since": time.time(), "timeout": timeout})
    fd, tmp = tempfile.mkstemp(dir=root, prefix=f".{name}.idle-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, root / f"{name}.idle")


def read_idle(root: Path, name: str) -> Idle | None:
    """What the last command to give the server back wrote, if anything."""
    try:
        data = json.loads((root / f"{name}.idle").read_text())
        return Idle(float(data["since"]), float(data["timeout"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear_idle(root: Path, name: str) -> None:
    """Forget the idle state (the server was stopped)."""
    (root / f"{name}.idle").unlink(missing_ok=True)


# --- the reaper process ---


def reaper_pid(root: Path, name: str) -> int | None:
    """The pid of the reaper of `name`, when one runs (holds `<name>.reaper`).

    Read from /proc/locks, without taking the lock: a reaper starting up takes
    it without waiting, and must not be turned away by someone merely looking.
    """
    for mode, pid in _flock_holders(root / f"{name}.reaper"):
        if mode == "WRITE" and _is_reaper(pid, root, name):
            return pid
    return None


def _is_reaper(pid: int, root: Path, name: str) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False  # gone
    return REAPER_MARK.encode() in argv and os.fsencode(root) in argv and name.encode() in argv


def ensure_reaper(root: Path, name: str) -> None:
    """Start the reaper of `name` unless one runs; the caller holds a lock on `<name>.users`.

    A reaper leaves only with the exclusive lock on `<name>.users` held, so one
    seen here stays until after the caller's lock is released, and then reads
    the caller's idle deadline.
    """
    if _reap_spawned(root, name) or reaper_pid(root, name) is not None:
        return  # one of ours is starting (it claims the lock in a moment), or one runs
    argv = [sys.executable, "-I", "-c", _BOOT, str(_SOURCE), str(root), name, REAPER_MARK]
    log = root / f"{name}.reaper.log"
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, str(log), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
    ]
    # its own session: a Ctrl-C at the terminal or the end of the shell does not reach it;
    # every descriptor of ours is close-on-exec (PEP 446), so it holds none of our locks
    pid = os.posix_spawn(sys.executable, argv, server_env(), file_actions=actions, setsid=True)
    _spawned[pid] = (root, name)


def _reap_spawned(root: Path, name: str) -> list[int]:
    """Wait for the reapers this process spawned that have exited (no zombie is left); the
    pids of those of `name` still running."""
    running = []
    for pid, of in list(_spawned.items()):
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                if of == (root, name):
                    running.append(pid)
                continue
        del _spawned[pid]
    return running


def end_reaper(root: Path, name: str, wait: float = 5.0) -> None:
    """Stop the reaper of `name`, if one runs (or one of ours starts), and wait for it to go."""
    pids = set(_reap_spawned(root, name))
    if (pid := reaper_pid(root, name)) is not None:
        pids.add(pid)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while (_reap_spawned(root, name) or any(_is_reaper(p, root, name) for p in pids)) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.01)


def claim_reaper(root: Path, name: str) -> int | None:
    """The reaper's lock; None when another reaper holds it.

    Tried for a moment: whoever just looked at the file may hold it briefly.
    Closing the descriptor lets it go.
    """
    fd = os.open(root / f"{name}.reaper", os.O_RDWR | os.O_CREAT, 0o600)
    for _ in range(100):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            time.sleep(0.01)
            continue
        return fd
    os.close(fd)
    return None


# --- who uses the server ---

_LOCK_LINE = re.compile(
    r"^\d+:\s+FLOCK\s+\S+\s+(READ|WRITE)\s+(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s"
)


def _flock_holders(path: Path) -> list[tuple[str, int]]:
    """(READ or WRITE, pid) of each flock held on `path` (/proc/locks), none taken here."""
    try:
        st = os.stat(path)
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    dev = (os.major(st.st_dev), os.minor(st.st_dev))
    holders = []
    for line in lines:
        m = _LOCK_LINE.match(line)
        if m and int(m[5]) == st.st_ino and (int(m[3], 16), int(m[4], 16)) == dev:
            holders.append((m[1], int(m[2])))
    return holders


def users_of(root: Path, name: str) -> int:
    """How many processes use the server `name` now (hold a lock on `<name>.users`)."""
    return len({pid for _, pid in _flock_holders(root / f"{name}.users")})


def server_of(root: Path, name: str) -> PidFile | None:
    """The running server of cluster `name`, if one runs."""
    return running_server(root / name / "data")
