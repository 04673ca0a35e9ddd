"""`dev status` and `dev stop`: the dev clusters of this user, looked at and stopped.

Nothing here starts a server. Looking takes no lock (the users of a server
are read from /proc/locks), so it never holds up a command or a reaper.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio.errors import DevDbError
from studio.sources.devdb.idle import (
    clear_idle,
    end_reaper,
    read_idle,
    reaper_pid,
    server_of,
    users_of,
)
from studio.sources.devdb.lease import dev_root, sole_user
from studio.sources.devdb.process import flock, shutdown

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from studio.sources.devdb.idle import Idle


@dataclass(frozen=True, slots=True)
class DevServer:
    """A dev cluster in this user's clusters folder, as `dev status` shows it."""

    name: str
    data_dir: Path
    major: int | None
    pid: int | None  # None: not running
    port: int | None
    version: str | None  # of the binaries it was started from
    bindir: str | None
    users: int  # processes using it now
    idle: Idle | None  # when the last command gave it back, and its timeout
    reaper: int | None  # the pid of its reaper

    @property
    def running(self) -> bool:
        """Whether the server runs."""
        return self.pid is not None

    def idle_for(self, now: float) -> float | None:
        """Seconds since the last command gave it back (None: in use, stopped, or unknown)."""
        if not self.running or self.users or self.idle is None:
            return None
        return max(0.0, now - self.idle.since)

    def stops_in(self, now: float) -> float | None:
        """Seconds until its reaper stops it (None: in use, stopped, or no reaper)."""
        if self.idle_for(now) is None or self.reaper is None or self.idle is None:
            return None
        return max(0.0, self.idle.until - now)


def dev_servers() -> tuple[Path, list[DevServer]]:
    """The clusters folder and the dev clusters in it, running or not (nothing is started)."""
    root = dev_root()
    servers = []
    for home in sorted(root.glob("dev-pg*")):
        if home.is_dir():
            servers.append(_dev_server(root, home.name))
    return root, servers


def _dev_server(root: Path, name: str) -> DevServer:
    home = root / name
    info = server_of(root, name)
    binaries: dict[str, Any] = {}
    if info is not None:
        with contextlib.suppress(OSError, ValueError):
            binaries = json.loads((home / "server.json").read_text())
    major = None
    with contextlib.suppress(OSError, ValueError):
        major = int((home / "data" / "PG_VERSION").read_text().strip())
    return DevServer(
        name, home / "data", major,
        info.pid if info else None, info.port if info else None,
        binaries.get("version"), binaries.get("bindir"),
        users_of(root, name), read_idle(root, name), reaper_pid(root, name),
    )  # fmt: skip


def stop_dev_servers(
    wait: float = 60.0, on_wait: Callable[[DevServer], None] | None = None
) -> list[DevServer]:
    """Stop every running dev server now (fast shutdown) and its reaper; those stopped.

    A command using one is let finish first, `wait` seconds at most (`on_wait`
    is told); clients of the user's are disconnected.
    """
    root, servers = dev_servers()
    stopped = []
    for server in servers:
        if not server.running and server.reaper is None:
            continue
        users = os.open(root / f"{server.name}.users", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _take_exclusive(users, server, wait, on_wait)
            end_reaper(root, server.name)
            with flock(root / f"{server.name}.lock"):
                shutdown(server.data_dir)
            clear_idle(root, server.name)
        finally:
            os.close(users)
        if server.running:
            stopped.append(server)
    return stopped


def _take_exclusive(
    fd: int, server: DevServer, wait: float, on_wait: Callable[[DevServer], None] | None
) -> None:
    deadline = time.monotonic() + wait
    told = False
    while not sole_user(fd):
        if not told and on_wait is not None:
            on_wait(server)
            told = True
        if time.monotonic() > deadline:
            raise DevDbError(
                f"the dev server {server.name} is still in use by another command after {wait:g} s",
                "run `schema-studio dev stop` again when it is done",
            )
        time.sleep(0.05)
